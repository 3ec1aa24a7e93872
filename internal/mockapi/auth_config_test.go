package mockapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestNewJwtLogin derives token endpoints from the JwtToken shapes of the
// corpus and checks each accepts the request the config describes, refuses
// a variant, and answers the token where the config reads it.
func TestNewJwtLogin(t *testing.T) {
	now := func() time.Time { return time.Date(2024, 3, 6, 8, 0, 0, 0, time.UTC) }
	cases := []struct {
		name      string
		fields    string
		good, bad func() *http.Request
		tokenAt   string // JSON field of the token
		prefix    string
	}{
		{
			name:   "user token Basic, form headers (Zoom)",
			fields: `{"type":"JwtToken","TokenEndpoint":"https://zoom.example/oauth/token?grant_type=account_credentials","Headers":{"Content-Type":"application/x-www-form-urlencoded"},"JwtTokenJsonPath":"$.access_token","TokenEndpointHttpMethod":"POST","UserTokenPrepend":"Basic","UserToken":"aWQ6c2VjcmV0"}`,
			good: func() *http.Request {
				r := httptest.NewRequest("POST", "https://zoom.example/oauth/token?grant_type=account_credentials", nil)
				r.Header.Set("Authorization", "Basic aWQ6c2VjcmV0")
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				return r
			},
			bad: func() *http.Request {
				r := httptest.NewRequest("POST", "https://zoom.example/oauth/token", nil)
				r.Header.Set("Authorization", "aWQ6c2VjcmV0")
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				return r
			},
			tokenAt: "access_token", prefix: "Bearer",
		},
		{
			name:   "raw user token over GET, raw system token (BigID)",
			fields: `{"type":"JwtToken","UserToken":"refresh-1","UserTokenPrepend":"","TokenEndpoint":"https://bigid.example/api/v1/refresh-access-token","TokenEndpointHttpMethod":"GET","NoAccessTokenPrepend":true,"JwtTokenJsonPath":"$.systemToken"}`,
			good: func() *http.Request {
				r := httptest.NewRequest("GET", "https://bigid.example/api/v1/refresh-access-token", nil)
				r.Header.Set("Authorization", "refresh-1")
				return r
			},
			bad: func() *http.Request {
				r := httptest.NewRequest("POST", "https://bigid.example/api/v1/refresh-access-token", nil)
				r.Header.Set("Authorization", "refresh-1")
				return r
			},
			tokenAt: "systemToken", prefix: "",
		},
		{
			name:   "credentials in Basic header, required headers (Cisco ETD)",
			fields: `{"type":"JwtToken","userName":{"key":"clientId","value":"cid"},"password":{"key":"clientSecret","value":"cs"},"TokenEndpoint":"https://etd.example/v1/oauth/token","Headers":{"Content-Type":"application/json","x-api-key":"k"},"IsCredentialsInHeaders":true,"JwtTokenJsonPath":"$.accessToken"}`,
			good: func() *http.Request {
				r := httptest.NewRequest("POST", "https://etd.example/v1/oauth/token", nil)
				r.SetBasicAuth("cid", "cs")
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("x-api-key", "k")
				return r
			},
			bad: func() *http.Request {
				r := httptest.NewRequest("POST", "https://etd.example/v1/oauth/token", nil)
				r.SetBasicAuth("cid", "cs")
				r.Header.Set("Content-Type", "application/json")
				return r
			},
			tokenAt: "accessToken", prefix: "Bearer",
		},
		{
			name:   "JSON body with custom keys (Cyera)",
			fields: `{"type":"JwtToken","userName":{"key":"clientId","value":"u"},"password":{"key":"secret","value":"p"},"TokenEndpoint":"https://api.cyera.example/v1/login","Headers":{"Accept":"application/json"},"IsJsonRequest":true,"JwtTokenJsonPath":"$.jwt"}`,
			good: func() *http.Request {
				r := httptest.NewRequest("POST", "https://api.cyera.example/v1/login", strings.NewReader(`{"clientId":"u","secret":"p"}`))
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("Accept", "application/json")
				return r
			},
			bad: func() *http.Request {
				r := httptest.NewRequest("POST", "https://api.cyera.example/v1/login", strings.NewReader(`clientId=u&secret=p`))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r.Header.Set("Accept", "application/json")
				return r
			},
			tokenAt: "jwt", prefix: "Bearer",
		},
		{
			name:   "plain-string credentials in a form (default keys)",
			fields: `{"type":"JwtToken","userName":"u","password":"p","TokenEndpoint":"https://x.example/login"}`,
			good: func() *http.Request {
				r := httptest.NewRequest("POST", "https://x.example/login", strings.NewReader(`username=u&password=p`))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				return r
			},
			bad: func() *http.Request {
				r := httptest.NewRequest("POST", "https://x.example/login", strings.NewReader(`username=u&password=q`))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				return r
			},
			tokenAt: "access_token", prefix: "Bearer",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var fields map[string]any
			if err := json.Unmarshal([]byte(c.fields), &fields); err != nil {
				t.Fatal(err)
			}
			l, err := NewJwtLogin(fields, now)
			if err != nil {
				t.Fatal(err)
			}
			if l.Prefix != c.prefix {
				t.Errorf("prefix %q, want %q", l.Prefix, c.prefix)
			}
			w := httptest.NewRecorder()
			l.ServeHTTP(w, c.bad())
			if w.Code == http.StatusOK {
				t.Errorf("bad login accepted: %s", w.Body)
			}
			w = httptest.NewRecorder()
			l.ServeHTTP(w, c.good())
			if w.Code != http.StatusOK {
				t.Fatalf("good login refused: %d %s", w.Code, w.Body)
			}
			var resp map[string]any
			json.Unmarshal(w.Body.Bytes(), &resp)
			tok, _ := resp[c.tokenAt].(string)
			if tok == "" {
				t.Fatalf("no token at %q in %s", c.tokenAt, w.Body)
			}
			data := l.Protect(l.Prefix, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			r := httptest.NewRequest("GET", "https://x.example/data", nil)
			r.Header.Set("Authorization", strings.TrimSpace(c.prefix+" "+tok))
			w = httptest.NewRecorder()
			data.ServeHTTP(w, r)
			if w.Code != http.StatusOK || l.Rejected() != 0 {
				t.Errorf("data request with the issued token: %d", w.Code)
			}
		})
	}
}

func TestAuthConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		run  func() error
		want string
	}{
		{"jwt wrong type", func() error { _, err := NewJwtLogin(map[string]any{"type": "OAuth2"}, nil); return err }, "not JwtToken"},
		{"jwt relative endpoint", func() error {
			_, err := NewJwtLogin(map[string]any{"type": "JwtToken", "tokenEndpoint": "/login", "userToken": "t"}, nil)
			return err
		}, "tokenEndpoint"},
		{"jwt no credentials", func() error {
			_, err := NewJwtLogin(map[string]any{"type": "JwtToken", "tokenEndpoint": "https://x/login"}, nil)
			return err
		}, "userName and password"},
		{"jwt filter token path", func() error {
			_, err := NewJwtLogin(map[string]any{"type": "JwtToken", "tokenEndpoint": "https://x/login", "userToken": "t", "jwtTokenJsonPath": "$.a[0]"}, nil)
			return err
		}, "jwtTokenJsonPath"},
		{"duo without secret", func() error { _, err := NewDuoVerifierFor(map[string]any{"APIKey": "DI"}, nil); return err }, "ClientSecret"},
		{"sls without secret", func() error { _, err := NewSLSVerifierFor(map[string]any{"AccessKeyId": "a"}); return err }, "AccessKeySecret"},
	} {
		err := c.run()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %q", c.name, err, c.want)
		}
	}
}
