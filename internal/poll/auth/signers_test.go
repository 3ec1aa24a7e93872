package auth_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/mockapi"
	"github.com/codeless/codeless/internal/poll/auth"
	"github.com/codeless/codeless/internal/resource"
)

// The Duo signer against mockapi's independent verifier, with the Cisco
// Duo poller's request shape (mintime/maxtime/limit/next_offset).
func TestCiscoDuoAgainstVerifier(t *testing.T) {
	clk := newClock()
	v := &mockapi.DuoVerifier{IKey: "DIWJ8X6AEYOR5OMC6TQ1", SKey: "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep", Now: clk.Now}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"stat":"OK","response":{"items":[]}}`)) })
	srv := httptest.NewServer(v.Protect(ok))
	defer srv.Close()
	for _, sha1 := range []bool{false, true} {
		a, err := auth.NewCiscoDuo(auth.CiscoDuoConfig{IntegrationKey: "DIWJ8X6AEYOR5OMC6TQ1", SecretKey: "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep", SHA1: sha1}, auth.Options{Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{
			"/admin/v2/logs/telephony?mintime=1714564800000&maxtime=1714564860000&limit=1000",
			"/admin/v2/logs/telephony?limit=1000&next_offset=1714564800000%2Cabc+def&mintime=1&maxtime=2",
			"/admin/v1/info/summary",
		} {
			req, _ := http.NewRequest("GET", srv.URL+u, nil)
			if err := a.Apply(req); err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("sha1=%v %s: HTTP %d", sha1, u, resp.StatusCode)
			}
		}
		// POST with a form body is signed over the body parameters.
		req, _ := http.NewRequest("POST", srv.URL+"/admin/v1/users", strings.NewReader("username=root&realname=First+Last"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		a.Apply(req)
		resp, _ := http.DefaultClient.Do(req)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("POST: HTTP %d", resp.StatusCode)
		}
	}
	// A wrong secret and a stale Date are rejected.
	bad, _ := auth.New(resource.Auth{Type: "CiscoDuo", APIKey: "DIWJ8X6AEYOR5OMC6TQ1", Fields: map[string]any{"ClientSecret": "wrong"}}, nil)
	req, _ := http.NewRequest("GET", srv.URL+"/admin/v1/info/summary", nil)
	bad.Apply(req)
	resp, _ := http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("wrong secret: HTTP %d", resp.StatusCode)
	}
	old, _ := auth.NewCiscoDuo(auth.CiscoDuoConfig{IntegrationKey: "DIWJ8X6AEYOR5OMC6TQ1", SecretKey: "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep"}, auth.Options{Now: func() time.Time { return clk.Now().Add(-time.Hour) }})
	req, _ = http.NewRequest("GET", srv.URL+"/admin/v1/info/summary", nil)
	old.Apply(req)
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("stale date: HTTP %d", resp.StatusCode)
	}
	if acc, rej := v.Counts(); acc != 8 || rej != 2 {
		t.Fatalf("verifier counts %d/%d", acc, rej)
	}
	if _, err := auth.New(resource.Auth{Type: "CiscoDuo", Fields: map[string]any{}}, nil); err == nil || !strings.Contains(err.Error(), "auth.apiKey: required for CiscoDuo") || !strings.Contains(err.Error(), "auth.clientSecret: required for CiscoDuo") {
		t.Fatalf("err = %v", err)
	}
}

// The SLS signer against mockapi's verifier, with the ActionTrail poller's
// request shape.
func TestAliCloudSlsAgainstVerifier(t *testing.T) {
	v := &mockapi.SLSVerifier{AccessKeyID: "AKID", AccessKeySecret: "secret/+="}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`[]`)) })
	srv := httptest.NewServer(v.Protect(ok))
	defer srv.Close()
	a, err := auth.New(resource.Auth{Type: "AliCloudSlsV1", Fields: map[string]any{"AccessKeyId": "AKID", "AccessKeySecret": "secret/+=", "SecurityToken": "sts"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	send := func(req *http.Request) int {
		if err := a.Apply(req); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	get, _ := http.NewRequest("GET", srv.URL+"/logstores/actiontrail?type=log&project=p1&from=1714564800&to=1714565400&offset=100&line=100&query=%2A+and+x%3D1", nil)
	get.Header.Set("Accept", "application/json")
	get.Header.Set("x-log-apiversion", "0.6.0")
	if st := send(get); st != 200 {
		t.Fatalf("GET: HTTP %d", st)
	}
	post, _ := http.NewRequest("POST", srv.URL+"/logstores/actiontrail/logs", strings.NewReader(`{"query":"*"}`))
	post.Header.Set("Content-Type", "application/json")
	if st := send(post); st != 200 {
		t.Fatalf("POST: HTTP %d", st)
	}
	if post.Header.Get("x-log-bodyrawsize") != "13" || post.Header.Get("x-acs-security-token") != "sts" {
		t.Fatalf("headers %v", post.Header)
	}
	if s := strings.Join(a.Secrets(), ","); s != "secret/+=,sts" {
		t.Fatalf("secrets %q", s)
	}
	if _, err := auth.New(resource.Auth{Type: "AliCloudSlsV1", Fields: map[string]any{"AccessKeyId": "x"}}, nil); err == nil || !strings.Contains(err.Error(), "auth.accessKeySecret: required") {
		t.Fatalf("err = %v", err)
	}
}

func TestUnsupportedKinds(t *testing.T) {
	for _, typ := range []string{"GitHub", "AWS", "GCP", "ServiceBus", "Oracle", "ServicePrincipal"} {
		_, err := auth.New(resource.Auth{Type: typ}, nil)
		if err == nil || !strings.Contains(err.Error(), `auth.type: unsupported auth type "`+typ+`" for RestApiPoller polling (`) {
			t.Errorf("%s: err = %v", typ, err)
		}
	}
	// Cisco ETD's nested step spells the type key AuthType.
	a, err := auth.New(resource.Auth{Fields: map[string]any{"AuthType": "None"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := a.(*auth.None); !ok {
		t.Fatalf("got %T", a)
	}
}
