package auth_test

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/corpustest"
	"github.com/codeless/codeless/internal/poll/auth"
	"github.com/codeless/codeless/internal/resource"
)

var update = flag.Bool("update", false, "rewrite testdata goldens")

// tokenStub answers every token or login request with a token under every
// key the corpus reads it from, and records what it was sent.
type tokenStub struct {
	n   int
	log []string
}

func (s *tokenStub) RoundTrip(r *http.Request) (*http.Response, error) {
	s.n++
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", r.Method, r.URL)
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(r.Header[k], ", "))
	}
	if r.Body != nil {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(&b, "\n%s\n", body)
	}
	s.log = append(s.log, b.String())
	body := `{"access_token":"t","accessToken":"t","token":"t","jwt":"t","systemToken":"t","expires_in":3600}`
	h := http.Header{"Content-Type": {"application/json"}, "X-Session": {"s"}}
	return &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

// resolve stands in for connect-time parameters: every unresolved
// expression becomes a plausible literal.
func resolve(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if key != "" {
				out[k] = resolve(e, key+"."+k) // userName.value
			} else {
				out[k] = resolve(e, k)
			}
		}
		return out
	case string:
		t := strings.TrimSpace(x)
		if !(strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]")) && !strings.Contains(t, "{{") {
			return x
		}
		k := strings.ToLower(key)
		last := k[strings.LastIndex(k, ".")+1:]
		switch {
		case k == "granttype":
			return "client_credentials"
		case strings.Contains(last, "endpoint") || strings.Contains(last, "uri"):
			return "https://source.example/" + k
		}
		return "value-of-" + k
	}
	return v
}

// knownBad lists corpus auth objects that are invalid as written, with the
// error we give and why.
var knownBad = map[string]string{
	// Basic with only a password: the API's BasicAuthModel requires
	// userName, and sending "Basic base64(:secret)" would be a guess.
	"Check Point CloudGuard CNAPP/CloudGuard_PollingConfig.json": "auth.userName: required for Basic auth",
}

// TestCorpusAuth builds every auth object of every corpus connection (and
// nested step), resolving parameters as connect time would, and applies it
// to a request: every type the corpus uses must work, the other connector
// kinds must fail with the named error.
func TestCorpusAuth(t *testing.T) {
	dir := corpustest.Dir(t)
	counts := map[string]int{}
	var golden bytes.Buffer
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(strings.ToLower(path), ".json") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		set, _ := resource.DecodeFile(path, data)
		if set == nil {
			return nil
		}
		for _, c := range set.Connections {
			auths := []resource.Auth{c.Properties.Auth}
			for _, s := range c.Properties.StepCollectorConfigs {
				if s != nil && s.Auth != nil {
					auths = append(auths, *s.Auth)
				}
			}
			for _, a := range auths {
				rel, _ := filepath.Rel(dir, path)
				f, _ := resolve(a.Fields, "").(map[string]any)
				a.Fields = f
				a.UserName, _ = resolve(a.UserName, "userName").(string)
				a.Password, _ = resolve(a.Password, "password").(string)
				a.APIKey, _ = resolve(a.APIKey, "apiKey").(string)
				typ := strings.ToLower(a.Type)
				if typ == "" {
					typ = "(authtype) none"
				}
				counts[typ]++
				stub := &tokenStub{}
				au, err := auth.New(a, &http.Client{Transport: stub})
				if typ == "oracle" || typ == "serviceprincipal" {
					if err == nil || !strings.Contains(err.Error(), "for RestApiPoller polling") {
						t.Errorf("%s: %s: err = %v", rel, a.Type, err)
					}
					continue
				}
				if want, ok := knownBad[rel]; ok {
					if err == nil || !strings.Contains(err.Error(), want) {
						t.Errorf("%s: err = %v, want %q", rel, err, want)
					}
					continue
				}
				if err != nil {
					t.Errorf("%s: %s: %v", rel, a.Type, err)
					continue
				}
				req, _ := http.NewRequest("GET", "https://source.example/api?from=1&to=2", nil)
				if err := au.Apply(req); err != nil {
					t.Errorf("%s: %s: Apply: %v", rel, a.Type, err)
					continue
				}
				if typ != "none" && typ != "(authtype) none" && len(req.Header) == 0 && !a.IsAPIKeyInPostPayload {
					t.Errorf("%s: %s: Apply set no header", rel, a.Type)
				}
				if len(stub.log) > 0 {
					fmt.Fprintf(&golden, "=== %s (%s) token request\n%s", filepath.ToSlash(rel), a.Type, strings.Join(stub.log, "---\n"))
					fmt.Fprintf(&golden, "--- data request gets Authorization: %s\n\n", req.Header.Get("Authorization"))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("auth objects by type: %v", counts)
	// What every corpus OAuth2/JwtToken connection sends to its token
	// endpoint (parameters resolved to placeholders): the reviewable
	// record of the decisions in docs/auth.md.
	gp := filepath.Join("testdata", "corpus_token_requests.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(gp, golden.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(gp)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(want, golden.Bytes()) {
		t.Errorf("token requests differ from %s (run with -update and review the diff)", gp)
	}
	for _, typ := range []string{"oauth2", "jwttoken", "apikey", "basic", "ciscoduo", "alicloudslsv1"} {
		if counts[typ] == 0 {
			t.Errorf("no %s auth found in the corpus: the walk is broken", typ)
		}
	}
}
