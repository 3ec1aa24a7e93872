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

type loginEnv struct {
	srv    *httptest.Server
	login  *mockapi.LoginServer
	events *mockapi.Server
}

func newLoginEnv(t *testing.T, cfg mockapi.LoginConfig, prefix string) *loginEnv {
	t.Helper()
	e := &loginEnv{login: mockapi.NewLoginServer(cfg), events: mockapi.New(mockapi.Config{})}
	mux := http.NewServeMux()
	mux.Handle("/login", e.login)
	mux.Handle("/events", e.login.Protect(prefix, e.events))
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// The corpus JwtToken shapes, each against a login server that accepts
// only what the real vendor expects.
func TestJwtTokenCorpusShapes(t *testing.T) {
	tests := []struct {
		name   string
		cfg    mockapi.LoginConfig
		fields map[string]any
		prefix string
	}{
		{"Cisco ETD: {key,value} credentials in a Basic header, extra headers",
			mockapi.LoginConfig{UserName: "cid", Password: "csecret", CredentialsIn: "header", TokenField: "accessToken", RequiredHeaders: map[string]string{"x-api-key": "K"}},
			map[string]any{"userName": map[string]any{"key": "clientId", "value": "cid"}, "password": map[string]any{"key": "clientSecret", "value": "csecret"},
				"TokenEndpointHttpMethod": "POST", "Headers": map[string]any{"Accept": "application/json", "Content-Type": "application/json", "x-api-key": "K"},
				"IsCredentialsInHeaders": true, "JwtTokenJsonPath": "$.accessToken"},
			"Bearer"},
		{"Prisma Cloud: JSON body with keyed credentials",
			mockapi.LoginConfig{UserKey: "username", PassKey: "password", UserName: "u", Password: "p", CredentialsIn: "json", TokenField: "token"},
			map[string]any{"userName": map[string]any{"key": "username", "value": "u"}, "password": map[string]any{"key": "password", "value": "p"}, "IsJsonRequest": true, "JwtTokenJsonPath": "$.token"},
			"Bearer"},
		{"Cyera: JSON body, custom keys, timeout",
			mockapi.LoginConfig{UserKey: "clientId", PassKey: "secret", UserName: "u", Password: "p", CredentialsIn: "json", TokenField: "jwt"},
			map[string]any{"userName": map[string]any{"key": "clientId", "value": "u"}, "password": map[string]any{"key": "secret", "value": "p"}, "IsCredentialsInHeaders": false, "IsJsonRequest": true, "JwtTokenJsonPath": "$.jwt", "RequestTimeoutInSeconds": 30},
			"Bearer"},
		{"Zoom: user token with Basic prepend, form content type",
			mockapi.LoginConfig{CredentialsIn: "authorization", ExpectAuthorization: "Basic aWQ6c2VjcmV0", TokenField: "access_token"},
			map[string]any{"IsJsonRequest": false, "Headers": map[string]any{"Content-Type": "application/x-www-form-urlencoded"}, "JwtTokenJsonPath": "$.access_token",
				"NoAccessTokenPrepend": false, "TokenEndpointHttpMethod": "POST", "UserTokenPrepend": "Basic", "UserToken": "aWQ6c2VjcmV0"},
			"Bearer"},
		{"BigID: GET, raw user token, nested token path, raw access token",
			mockapi.LoginConfig{Method: "GET", CredentialsIn: "authorization", ExpectAuthorization: "refresh-tok", TokenField: "data.systemToken"},
			map[string]any{"UserToken": "refresh-tok", "UserTokenPrepend": "", "TokenEndpointHttpMethod": "GET", "NoAccessTokenPrepend": true, "JwtTokenJsonPath": "$.data.systemToken"},
			""},
		{"plain string credentials in a form body, default token field",
			mockapi.LoginConfig{UserName: "u", Password: "p", TokenField: "access_token"},
			map[string]any{"userName": "u", "password": "p"},
			"Bearer"},
		{"GET with credentials in the query string",
			mockapi.LoginConfig{Method: "GET", UserName: "u", Password: "p", CredentialsIn: "query"},
			map[string]any{"userName": "u", "password": "p", "TokenEndpointHttpMethod": "Get", "JwtTokenJsonPath": "$.token"},
			"Bearer"},
		{"token in a response header with an identifier",
			mockapi.LoginConfig{UserName: "u", Password: "p", TokenHeader: "X-Auth-Token", TokenIdentifier: "Bearer"},
			map[string]any{"userName": "u", "password": "p", "JwtTokenInResponseHeader": true, "JwtTokenHeaderName": "X-Auth-Token", "JwtTokenIdentifier": "Bearer"},
			"Bearer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newLoginEnv(t, tc.cfg, tc.prefix)
			tc.fields["TokenEndpoint"] = e.srv.URL + "/login"
			tc.fields["type"] = "JwtToken"
			a, err := auth.New(resource.Auth{Type: "JwtToken", Fields: tc.fields}, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 2; i++ {
				if st, _ := get(t, a, e.srv.URL); st != 200 {
					t.Fatalf("request %d: HTTP %d (logins %d)", i, st, e.login.Logins())
				}
			}
			if e.login.Issued() != 1 {
				t.Fatalf("issued %d, want 1", e.login.Issued())
			}
		})
	}
}

func TestJwtTokenExpiryAnd401(t *testing.T) {
	clk := newClock()
	e := newLoginEnv(t, mockapi.LoginConfig{UserName: "u", Password: "p", TTL: 20 * time.Minute, Now: clk.Now}, "Bearer")
	a, err := auth.NewWithOptions(resource.Auth{Type: "JwtToken", Fields: map[string]any{"userName": "u", "password": "p", "TokenEndpoint": e.srv.URL + "/login"}}, auth.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := get(t, a, e.srv.URL); st != 200 {
		t.Fatal(st)
	}
	clk.Add(19*time.Minute + 30*time.Second) // exp claim in 30 s: renewed first
	if st, _ := get(t, a, e.srv.URL); st != 200 || e.login.Issued() != 2 {
		t.Fatalf("HTTP %d, issued %d", st, e.login.Issued())
	}
	e.login.Revoke()
	if st := getRetry401(t, a, e.srv.URL); st != 200 || e.login.Issued() != 3 {
		t.Fatalf("after 401: HTTP %d, issued %d", st, e.login.Issued())
	}
	if e.login.Rejected() != 1 {
		t.Fatalf("rejected %d", e.login.Rejected())
	}
}

func TestJwtTokenErrors(t *testing.T) {
	e := newLoginEnv(t, mockapi.LoginConfig{UserName: "u", Password: "right"}, "Bearer")
	a, _ := auth.New(resource.Auth{Type: "JwtToken", Fields: map[string]any{"userName": "u", "password": "wrong-pass", "TokenEndpoint": e.srv.URL + "/login"}}, nil)
	req, _ := http.NewRequest("GET", e.srv.URL+"/events", nil)
	if err := a.Apply(req); err == nil || !strings.Contains(err.Error(), "HTTP 401") || strings.Contains(err.Error(), "wrong-pass") {
		t.Fatalf("err = %v", err)
	}
	b, _ := auth.New(resource.Auth{Type: "JwtToken", Fields: map[string]any{"userName": "u", "password": "right", "JwtTokenJsonPath": "$.nope", "TokenEndpoint": e.srv.URL + "/login"}}, nil)
	if err := b.Apply(req); err == nil || !strings.Contains(err.Error(), "auth.jwtTokenJsonPath: $.nope selects no string token") {
		t.Fatalf("err = %v", err)
	}
	tests := []struct {
		f    map[string]any
		want string
	}{
		{map[string]any{"userName": "u", "password": "p"}, "auth.tokenEndpoint: required"},
		{map[string]any{"TokenEndpoint": "https://x/login"}, "auth.userName: required for JwtToken auth unless userToken is set"},
		{map[string]any{"TokenEndpoint": "https://x/login", "userName": []any{"u"}, "password": "p"}, "auth.userName: must be a string or"},
		{map[string]any{"TokenEndpoint": "https://x/login", "UserToken": "t", "TokenEndpointHttpMethod": "PATCH"}, "auth.tokenEndpointHttpMethod: must be GET or POST"},
		{map[string]any{"TokenEndpoint": "https://x/login", "UserToken": "t", "RequestTimeoutInSeconds": 500}, "auth.requestTimeoutInSeconds: must be between 1 and 180"},
		{map[string]any{"TokenEndpoint": "https://x/login", "UserToken": "t", "JwtTokenJsonPath": "$[?("}, "auth.jwtTokenJsonPath:"},
	}
	for _, tc := range tests {
		_, err := auth.New(resource.Auth{Type: "JwtToken", Fields: tc.f}, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.f, err, tc.want)
		}
	}
}

func TestSession(t *testing.T) {
	tests := []struct {
		name   string
		cfg    mockapi.LoginConfig
		fields map[string]any
	}{
		{"session id header, form body",
			mockapi.LoginConfig{UserKey: "user", PassKey: "pass", UserName: "u", Password: "p", SessionHeader: "X-Session-Id"},
			map[string]any{"userName": map[string]any{"user": "u"}, "password": map[string]any{"pass": "p"}, "sessionIdName": "X-Session-Id"}},
		{"cookie session, JSON body, {key,value} credentials",
			mockapi.LoginConfig{UserName: "u", Password: "p", CredentialsIn: "json", SessionCookie: "SID", RequiredHeaders: map[string]string{"X-Tenant": "t1"}},
			map[string]any{"userName": map[string]any{"key": "username", "value": "u"}, "password": map[string]any{"key": "password", "value": "p"}, "isPostPayloadJson": true, "headers": map[string]any{"X-Tenant": "t1"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			tc.cfg.Now, tc.cfg.TTL = clk.Now, time.Hour
			e := newLoginEnv(t, tc.cfg, "")
			tc.fields["sessionLoginRequestUri"] = e.srv.URL + "/login"
			tc.fields["sessionTimeoutInMinutes"] = 30
			a, err := auth.NewWithOptions(resource.Auth{Type: "Session", Fields: tc.fields}, auth.Options{Now: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			if st, _ := get(t, a, e.srv.URL); st != 200 {
				t.Fatalf("HTTP %d", st)
			}
			clk.Add(10 * time.Minute)
			if st, _ := get(t, a, e.srv.URL); st != 200 || e.login.Issued() != 1 {
				t.Fatalf("HTTP %d, issued %d", st, e.login.Issued())
			}
			clk.Add(25 * time.Minute) // past sessionTimeoutInMinutes: log in again
			if st, _ := get(t, a, e.srv.URL); st != 200 || e.login.Issued() != 2 {
				t.Fatalf("HTTP %d, issued %d", st, e.login.Issued())
			}
			e.login.Revoke()
			if st := getRetry401(t, a, e.srv.URL); st != 200 || e.login.Issued() != 3 {
				t.Fatalf("after 401: HTTP %d, issued %d", st, e.login.Issued())
			}
			if s := strings.Join(a.Secrets(), ","); !strings.Contains(s, "p") || !strings.Contains(s, "sess-3") {
				t.Fatalf("secrets %q", s)
			}
		})
	}
	if _, err := auth.New(resource.Auth{Type: "Session", Fields: map[string]any{"userName": "u", "password": "p"}}, nil); err == nil || !strings.Contains(err.Error(), "auth.sessionLoginRequestUri: required") {
		t.Fatalf("err = %v", err)
	}
}
