package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/mockapi"
	"github.com/codeless/codeless/internal/poll/auth"
	"github.com/codeless/codeless/internal/resource"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)} }
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// oauthEnv is a token endpoint at /token and the mock events API behind it.
type oauthEnv struct {
	srv    *httptest.Server
	tokens *mockapi.OAuth2Server
	events *mockapi.Server
}

func newOAuthEnv(t *testing.T, cfg mockapi.OAuth2Config, prefix string) *oauthEnv {
	t.Helper()
	e := &oauthEnv{tokens: mockapi.NewOAuth2Server(cfg), events: mockapi.New(mockapi.Config{})}
	mux := http.NewServeMux()
	mux.Handle("/token", e.tokens)
	mux.Handle("/events", e.tokens.Protect(prefix, e.events))
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// get applies a and fetches one window of events; it returns the status
// and the request it sent.
func get(t *testing.T, a auth.Authenticator, base string) (int, *http.Request) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/events?t0=1704067200&t1=1704067260", nil)
	if err := a.Apply(req); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, req
}

// getRetry401 is what the runner does: on 401 invalidate and retry once.
func getRetry401(t *testing.T, a auth.Authenticator, base string) int {
	t.Helper()
	st, req := get(t, a, base)
	if st == http.StatusUnauthorized {
		a.(auth.Invalidator).Invalidate(req)
		st, _ = get(t, a, base)
	}
	return st
}

func oauthAuth(fields map[string]any) resource.Auth {
	f := map[string]any{"type": "OAuth2"}
	for k, v := range fields {
		f[k] = v
	}
	return resource.Auth{Type: "OAuth2", Fields: f}
}

func TestOAuth2ClientCredentialsShapes(t *testing.T) {
	tests := []struct {
		name   string
		cfg    mockapi.OAuth2Config
		fields map[string]any
		prefix string
	}{
		{"body credentials, Auth0 audience in the body",
			mockapi.OAuth2Config{ClientID: "cid", ClientSecret: "csecret", ClientAuth: "body", RequiredParams: map[string]string{"audience": "https://x/api/v2/"}},
			map[string]any{"ClientId": "cid", "ClientSecret": "csecret", "GrantType": "client_credentials", "TokenEndpointQueryParameters": map[string]any{"audience": "https://x/api/v2/"}},
			"Bearer"},
		{"Box: lower-case keys, headers, subject params",
			mockapi.OAuth2Config{ClientID: "cid", ClientSecret: "csecret", RequiredParams: map[string]string{"box_subject_type": "enterprise", "box_subject_id": "42"}, RequiredHeaders: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}},
			map[string]any{"clientId": "cid", "clientSecret": "csecret", "grantType": "client_credentials", "TokenEndpointHeaders": map[string]any{"Content-Type": "application/x-www-form-urlencoded"}, "tokenEndpointQueryParameters": map[string]any{"box_subject_type": "enterprise", "box_subject_id": 42}},
			"Bearer"},
		{"credentials in a Basic header (IsClientSecretInHeader as a string)",
			mockapi.OAuth2Config{ClientID: "cid", ClientSecret: "csecret", ClientAuth: "header"},
			map[string]any{"ClientId": "cid", "ClientSecret": "csecret", "GrantType": "client_credentials", "IsClientSecretInHeader": "true"},
			"Bearer"},
		{"Druva: hand-built Authorization header replaces body credentials",
			mockapi.OAuth2Config{ClientID: "cid", ClientSecret: "csecret", ClientAuth: "header"},
			map[string]any{"clientId": "cid", "clientSecret": "csecret", "grantType": "client_credentials", "tokenEndpointHeaders": map[string]any{"Authorization": "Basic Y2lkOmNzZWNyZXQ=", "Accept": "application/json"}},
			"Bearer"},
		{"scope sent (Bitwarden)",
			mockapi.OAuth2Config{ClientID: "cid", ClientSecret: "csecret", Scope: "api.organization"},
			map[string]any{"ClientId": "cid", "ClientSecret": "csecret", "GrantType": "client_credentials", "scope": "api.organization"},
			"Bearer"},
		{"accessTokenPrepend Token",
			mockapi.OAuth2Config{ClientID: "cid", ClientSecret: "csecret"},
			map[string]any{"ClientId": "cid", "ClientSecret": "csecret", "GrantType": "client_credentials", "accessTokenPrepend": "Token"},
			"Token"},
		{"accessTokenPrepend empty sends the raw token",
			mockapi.OAuth2Config{ClientID: "cid", ClientSecret: "csecret"},
			map[string]any{"ClientId": "cid", "ClientSecret": "csecret", "GrantType": "client_credentials", "accessTokenPrepend": ""},
			""},
		{"JSON token request",
			mockapi.OAuth2Config{ClientID: "cid", ClientSecret: "csecret"},
			map[string]any{"ClientId": "cid", "ClientSecret": "csecret", "GrantType": "client_credentials", "TokenEndpointHeaders": map[string]any{"Content-Type": "application/json"}},
			"Bearer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newOAuthEnv(t, tc.cfg, tc.prefix)
			tc.fields["TokenEndpoint"] = e.srv.URL + "/token"
			a, err := auth.New(oauthAuth(tc.fields), nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 3; i++ {
				if st, _ := get(t, a, e.srv.URL); st != 200 {
					t.Fatalf("request %d: HTTP %d; token requests %+v", i, st, e.tokens.TokenRequests())
				}
			}
			if n := e.tokens.Issued(); n != 1 {
				t.Fatalf("issued %d tokens, want 1 (cached)", n)
			}
			if s := strings.Join(a.Secrets(), ","); !strings.Contains(s, "csecret") || !strings.Contains(s, "at-1") {
				t.Fatalf("secrets %q must list the client secret and the access token", s)
			}
		})
	}
}

func TestOAuth2RefreshBeforeExpiry(t *testing.T) {
	clk := newClock()
	e := newOAuthEnv(t, mockapi.OAuth2Config{ClientID: "cid", ClientSecret: "cs", ExpiresIn: 10 * time.Minute, RefreshTokens: true, Now: clk.Now}, "Bearer")
	a, err := auth.NewWithOptions(oauthAuth(map[string]any{"ClientId": "cid", "ClientSecret": "cs", "GrantType": "client_credentials", "TokenEndpoint": e.srv.URL + "/token"}), auth.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		advance time.Duration
		issued  int
	}{
		{0, 1},
		{8 * time.Minute, 1},              // 2 min left: still used
		{time.Minute + 30*time.Second, 2}, // 30 s left (< 1 min margin): renewed before expiry
		{11 * time.Minute, 3},             // expired: renewed
	}
	for i, s := range steps {
		clk.Add(s.advance)
		if st, _ := get(t, a, e.srv.URL); st != 200 {
			t.Fatalf("step %d: HTTP %d", i, st)
		}
		if n := e.tokens.Issued(); n != s.issued {
			t.Fatalf("step %d: issued %d, want %d", i, n, s.issued)
		}
	}
	var grants []string
	for _, r := range e.tokens.TokenRequests() {
		grants = append(grants, r.Grant)
	}
	if got := strings.Join(grants, ","); got != "client_credentials,refresh_token,refresh_token" {
		t.Fatalf("grants %s", got)
	}
	if e.tokens.Rejected() != 0 {
		t.Fatal("a data request went out with an expired token")
	}
}

func TestOAuth2ConcurrentRefreshIsOneRequest(t *testing.T) {
	const n = 24
	var started atomic.Int32
	// The token is issued only once every caller has started Apply, so
	// they overlap with the fetch in flight.
	cfg := mockapi.OAuth2Config{ClientID: "cid", ClientSecret: "cs", Hold: func() {
		for started.Load() < n {
			runtime.Gosched()
		}
	}}
	e := newOAuthEnv(t, cfg, "Bearer")
	a, err := auth.New(oauthAuth(map[string]any{"ClientId": "cid", "ClientSecret": "cs", "GrantType": "client_credentials", "TokenEndpoint": e.srv.URL + "/token"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	headers := make([]string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", e.srv.URL+"/events", nil)
			started.Add(1)
			if err := a.Apply(req); err != nil {
				t.Error(err)
			}
			headers[i] = req.Header.Get("Authorization")
		}()
	}
	wg.Wait()
	if got := e.tokens.Issued(); got != 1 {
		t.Fatalf("%d concurrent callers caused %d token requests, want 1", n, got)
	}
	for i, h := range headers {
		if h != "Bearer at-1" {
			t.Fatalf("caller %d got %q", i, h)
		}
	}
}

func TestOAuth2ReMintOnceOn401(t *testing.T) {
	e := newOAuthEnv(t, mockapi.OAuth2Config{ClientID: "cid", ClientSecret: "cs"}, "Bearer")
	a, err := auth.New(oauthAuth(map[string]any{"ClientId": "cid", "ClientSecret": "cs", "GrantType": "client_credentials", "TokenEndpoint": e.srv.URL + "/token"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := get(t, a, e.srv.URL); st != 200 {
		t.Fatal(st)
	}
	e.tokens.RevokeAccess() // the source forgets the token before its expiry
	// Two requests in flight with the stale token both fail.
	st1, stale1 := get(t, a, e.srv.URL)
	st2, stale2 := get(t, a, e.srv.URL)
	if st1 != 401 || st2 != 401 {
		t.Fatalf("statuses %d %d", st1, st2)
	}
	inv := a.(auth.Invalidator)
	inv.Invalidate(stale1)
	if st, _ := get(t, a, e.srv.URL); st != 200 {
		t.Fatalf("after re-mint: HTTP %d", st)
	}
	inv.Invalidate(stale2) // stale: must not drop the new token
	if st, _ := get(t, a, e.srv.URL); st != 200 {
		t.Fatal(st)
	}
	if got := e.tokens.Issued(); got != 2 {
		t.Fatalf("issued %d, want 2 (one re-mint)", got)
	}
	if got := getRetry401(t, a, e.srv.URL); got != 200 {
		t.Fatal(got)
	}
}

func TestOAuth2RotatedRefreshTokenPersisted(t *testing.T) {
	clk := newClock()
	e := newOAuthEnv(t, mockapi.OAuth2Config{ClientID: "cid", ClientSecret: "cs", ExpiresIn: 10 * time.Minute, RefreshTokens: true, RotateRefresh: true, Now: clk.Now}, "Bearer")
	store := auth.NewMemoryTokenStore()
	mk := func() auth.Authenticator {
		a, err := auth.NewWithOptions(oauthAuth(map[string]any{"ClientId": "cid", "ClientSecret": "cs", "GrantType": "client_credentials", "TokenEndpoint": e.srv.URL + "/token"}),
			auth.Options{Now: clk.Now, Store: store, StoreKey: "conn-1"})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := mk()
	if st, _ := get(t, a, e.srv.URL); st != 200 {
		t.Fatal(st)
	}
	clk.Add(15 * time.Minute)
	if st, _ := get(t, a, e.srv.URL); st != 200 {
		t.Fatal(st)
	}
	saved, ok, _ := store.Load(context.Background(), "conn-1")
	if !ok || saved.RefreshToken != "rt-2" || saved.AccessToken != "at-2" {
		t.Fatalf("store holds %+v, want the rotated rt-2 with at-2", saved)
	}
	// Restart with a fresh token in the store: no token request.
	b := mk()
	if st, _ := get(t, b, e.srv.URL); st != 200 {
		t.Fatal(st)
	}
	if e.tokens.Issued() != 2 {
		t.Fatalf("restart re-minted: issued %d", e.tokens.Issued())
	}
	// Restart after expiry: refreshes with rt-2 (rt-1 was revoked by the
	// rotation, so using it would fail with invalid_grant).
	clk.Add(15 * time.Minute)
	c := mk()
	if st, _ := get(t, c, e.srv.URL); st != 200 {
		t.Fatal(st)
	}
	reqs := e.tokens.TokenRequests()
	last := reqs[len(reqs)-1]
	if last.Grant != "refresh_token" || last.Form.Get("refresh_token") != "rt-2" || last.Status != 200 {
		t.Fatalf("last token request %+v", last)
	}
	if saved, _, _ := store.Load(context.Background(), "conn-1"); saved.RefreshToken != "rt-3" {
		t.Fatalf("store holds %+v, want rt-3", saved)
	}
}

func TestOAuth2AuthorizationCode(t *testing.T) {
	clk := newClock()
	const redirect = "https://portal.azure.com/TokenAuthorize/ExtensionName/Microsoft_Azure_Security_Insights"
	e := newOAuthEnv(t, mockapi.OAuth2Config{ClientID: "cid", ClientSecret: "cs", Codes: []string{"code-1", "code-2"}, RedirectURI: redirect, Scope: "logs offline_access", ExpiresIn: time.Hour, RefreshTokens: true, Now: clk.Now}, "Bearer")
	store := auth.NewMemoryTokenStore()
	mk := func(code string) auth.Authenticator {
		a, err := auth.NewWithOptions(oauthAuth(map[string]any{"ClientId": "cid", "ClientSecret": "cs", "GrantType": "authorization_code", "AuthorizationCode": code,
			"RedirectUri": redirect, "scope": "logs offline_access", "TokenEndpoint": e.srv.URL + "/token", "AuthorizationEndpoint": "https://idp/authorize"}),
			auth.Options{Now: clk.Now, Store: store, StoreKey: "k"})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := mk("code-1")
	if st, _ := get(t, a, e.srv.URL); st != 200 {
		t.Fatalf("HTTP %d: %+v", st, e.tokens.TokenRequests())
	}
	clk.Add(2 * time.Hour)
	// Restart with the same code: the code is not exchanged again (it is
	// single-use); the stored refresh token is used.
	b := mk("code-1")
	if st, _ := get(t, b, e.srv.URL); st != 200 {
		t.Fatal(st)
	}
	// Reconnect with a new code: exchanged.
	c := mk("code-2")
	if st, _ := get(t, c, e.srv.URL); st != 200 {
		t.Fatal(st)
	}
	var grants []string
	for _, r := range e.tokens.TokenRequests() {
		grants = append(grants, r.Grant+"("+r.Form.Get("code")+")")
	}
	if got := strings.Join(grants, ","); got != "authorization_code(code-1),refresh_token(),authorization_code(code-2)" {
		t.Fatalf("grants %s", got)
	}
	// The refresh token is revoked by the source and the code is spent:
	// the error says to reconnect, and names no secret.
	e2 := newOAuthEnv(t, mockapi.OAuth2Config{ClientID: "cid", ClientSecret: "cs", Codes: []string{"code-9"}, ExpiresIn: time.Hour, Now: clk.Now}, "Bearer")
	d, _ := auth.NewWithOptions(oauthAuth(map[string]any{"ClientId": "cid", "ClientSecret": "cs", "GrantType": "authorization_code", "AuthorizationCode": "code-9", "TokenEndpoint": e2.srv.URL + "/token"}), auth.Options{Now: clk.Now})
	if st, _ := get(t, d, e2.srv.URL); st != 200 {
		t.Fatal(st)
	}
	clk.Add(2 * time.Hour)
	e2.tokens.RevokeRefresh()
	req, _ := http.NewRequest("GET", e2.srv.URL+"/events", nil)
	err := d.Apply(req)
	if err == nil || !strings.Contains(err.Error(), "reconnect") {
		t.Fatalf("err = %v", err)
	}
	for _, s := range []string{"cs", "code-9"} {
		if strings.Contains(err.Error(), s+" ") || strings.HasSuffix(err.Error(), s) {
			t.Fatalf("error leaks %q: %v", s, err)
		}
	}
}

func TestOAuth2PasswordGrant(t *testing.T) {
	e := newOAuthEnv(t, mockapi.OAuth2Config{ClientID: "cid", ClientSecret: "cs", UserName: "alice", Password: "pw!"}, "Bearer")
	a, err := auth.New(resource.Auth{Type: "OAuth2", UserName: "alice", Password: "pw!", Fields: map[string]any{
		"ClientId": "cid", "ClientSecret": "cs", "UserName": "alice", "Password": "pw!", "GrantType": "password", "TokenEndpoint": e.srv.URL + "/token"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := get(t, a, e.srv.URL); st != 200 {
		t.Fatalf("HTTP %d %+v", st, e.tokens.TokenRequests())
	}
	if r := e.tokens.TokenRequests()[0]; r.Form.Get("username") != "alice" || r.Grant != "password" {
		t.Fatalf("token request %+v", r)
	}
	if s := strings.Join(a.Secrets(), ","); !strings.Contains(s, "pw!") {
		t.Fatalf("secrets %q", s)
	}
}

// failingStore fails every Save while broken is set.
type failingStore struct {
	*auth.MemoryTokenStore
	broken atomic.Bool
}

func (f *failingStore) Save(ctx context.Context, k string, t auth.Token) error {
	if f.broken.Load() {
		return errors.New("disk full")
	}
	return f.MemoryTokenStore.Save(ctx, k, t)
}

func TestOAuth2UnsavedTokenIsPersistedFirst(t *testing.T) {
	e := newOAuthEnv(t, mockapi.OAuth2Config{ClientID: "cid", ClientSecret: "cs", RefreshTokens: true}, "Bearer")
	store := &failingStore{MemoryTokenStore: auth.NewMemoryTokenStore()}
	store.broken.Store(true)
	a, _ := auth.NewWithOptions(oauthAuth(map[string]any{"ClientId": "cid", "ClientSecret": "cs", "GrantType": "client_credentials", "TokenEndpoint": e.srv.URL + "/token"}),
		auth.Options{Store: store, StoreKey: "k"})
	req, _ := http.NewRequest("GET", e.srv.URL+"/events", nil)
	if err := a.Apply(req); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
	if req.Header.Get("Authorization") != "" {
		t.Fatal("an unpersisted token was used")
	}
	store.broken.Store(false)
	if st, _ := get(t, a, e.srv.URL); st != 200 {
		t.Fatal(st)
	}
	if e.tokens.Issued() != 1 {
		t.Fatalf("issued %d: the unsaved token should have been persisted and used, not replaced", e.tokens.Issued())
	}
	if saved, ok, _ := store.Load(context.Background(), "k"); !ok || saved.RefreshToken != "rt-1" {
		t.Fatalf("store %+v", saved)
	}
}

// Callers waiting for a fetch that fails get its error; the token endpoint
// sees one request, not one per caller.
func TestOAuth2ConcurrentFailureIsOneRequest(t *testing.T) {
	const n = 16
	var started, requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		for started.Load() < n {
			runtime.Gosched()
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		w.Write([]byte(`{"error":"invalid_client"}`))
	}))
	defer srv.Close()
	a, _ := auth.New(oauthAuth(map[string]any{"ClientId": "cid", "ClientSecret": "cs", "GrantType": "client_credentials", "TokenEndpoint": srv.URL}), nil)
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", "http://x/", nil)
			started.Add(1)
			if err := a.Apply(req); err != nil && strings.Contains(err.Error(), "invalid_client") {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if failed.Load() != n {
		t.Fatalf("%d of %d callers got the error", failed.Load(), n)
	}
	if got := requests.Load(); got >= n/2 { // without sharing it is n; late starters may add one
		t.Fatalf("%d token requests for %d concurrent callers", got, n)
	}
}

func TestOAuth2TokenErrors(t *testing.T) {
	e := newOAuthEnv(t, mockapi.OAuth2Config{ClientID: "cid", ClientSecret: "right-secret"}, "Bearer")
	a, _ := auth.New(oauthAuth(map[string]any{"ClientId": "cid", "ClientSecret": "wrong-secret", "GrantType": "client_credentials", "TokenEndpoint": e.srv.URL + "/token"}), nil)
	req, _ := http.NewRequest("GET", e.srv.URL+"/events", nil)
	err := a.Apply(req)
	var te *auth.TokenError
	if !errors.As(err, &te) || te.Status != 401 || te.Code != "invalid_client" || te.Temporary() {
		t.Fatalf("err = %#v", err)
	}
	if strings.Contains(err.Error(), "wrong-secret") || !strings.Contains(err.Error(), "HTTP 401") {
		t.Fatalf("message %q", err)
	}
	// Unreachable endpoint: temporary.
	b, _ := auth.New(oauthAuth(map[string]any{"ClientId": "cid", "ClientSecret": "s3cret", "GrantType": "client_credentials", "TokenEndpoint": "http://127.0.0.1:1/token?k=s3cret"}), nil)
	err = b.Apply(req)
	if !errors.As(err, &te) || !te.Temporary() || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("err = %v", err)
	}
	// A token that cannot be persisted is not used.
	c, _ := auth.NewWithOptions(oauthAuth(map[string]any{"ClientId": "cid", "ClientSecret": "right-secret", "GrantType": "client_credentials", "TokenEndpoint": e.srv.URL + "/token"}),
		auth.Options{Store: func() *failingStore {
			f := &failingStore{MemoryTokenStore: auth.NewMemoryTokenStore()}
			f.broken.Store(true)
			return f
		}()})
	if err := c.Apply(req); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
}

func TestOAuth2Validation(t *testing.T) {
	base := func(kv ...any) resource.Auth {
		f := map[string]any{"ClientId": "c", "ClientSecret": "s", "GrantType": "client_credentials", "TokenEndpoint": "https://idp/token"}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(f, kv[i].(string))
			} else {
				f[kv[i].(string)] = kv[i+1]
			}
		}
		return oauthAuth(f)
	}
	tests := []struct {
		a    resource.Auth
		want string
	}{
		{base("ClientId", nil), "auth.clientId: required"},
		{base("GrantType", "implicit"), `auth.grantType: unsupported grant type "implicit"`},
		{base("GrantType", "[[parameters('salesforceGrantType')]"), "auth.grantType: unresolved expression"},
		{base("GrantType", nil), "auth.grantType: required"},
		{base("TokenEndpoint", "idp/token"), "auth.tokenEndpoint: not an absolute http(s) URL"},
		{base("GrantType", "authorization_code"), "auth.authorizationCode: required"},
		{base("GrantType", "password"), "auth.userName: required"},
		{base("isJwtBearerFlow", true), "auth.isJwtBearerFlow: the JWT-bearer grant is not supported"},
		{base("IsClientSecretInHeader", "maybe"), `auth.IsClientSecretInHeader: must be true or false`},
		{base("TokenEndpointHeaders", "x"), "auth.TokenEndpointHeaders: must be an object"},
	}
	for _, tc := range tests {
		_, err := auth.New(tc.a, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.a.Fields, err, tc.want)
		}
	}
}

// Every form a secret takes on the wire is listed for redaction.
func TestOAuth2SecretsCoverWireForms(t *testing.T) {
	a, err := auth.New(oauthAuth(map[string]any{"ClientId": "cid", "ClientSecret": "a b&c", "GrantType": "client_credentials", "TokenEndpoint": "https://idp/token", "IsCredentialsInHeaders": true}), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(a.Secrets(), "\n")
	for _, want := range []string{"a b&c", "a+b%26c", "Y2lkOmEgYiZj"} {
		if !strings.Contains(got, want) {
			t.Errorf("secrets %q lack %q", got, want)
		}
	}
}
