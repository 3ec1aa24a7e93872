package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/codeless/codeless/internal/resource"
)

// OAuth2 grant types.
const (
	GrantClientCredentials = "client_credentials"
	GrantAuthorizationCode = "authorization_code"
	GrantPassword          = "password"
	grantRefreshToken      = "refresh_token"
)

// OAuth2Config is auth type OAuth2 (reference/ccf-format.md §2.3.4).
type OAuth2Config struct {
	ClientID     string
	ClientSecret string
	// GrantType is client_credentials, authorization_code or password.
	GrantType     string
	TokenEndpoint string
	// TokenEndpointHeaders are sent to the token endpoint. An
	// Authorization header given here (Druva builds "Basic …" by hand)
	// replaces the client credentials in the body.
	TokenEndpointHeaders map[string]string
	// TokenEndpointQueryParameters are extra token-request parameters. They
	// go into the form body next to grant_type (Auth0's and Wiz's
	// "audience", Box's "box_subject_type" only work there); keys the grant
	// already sets are not overridden.
	TokenEndpointQueryParameters map[string]string
	Scope                        string
	// AuthorizationCode is the code supplied at connect time
	// (authorization_code grant); RedirectURI must match the consent call.
	AuthorizationCode string
	RedirectURI       string
	// UserName and Password are the resource-owner credentials (password
	// grant; ESET, Salesforce).
	UserName, Password string
	// CredentialsInHeader sends client id and secret as a Basic header
	// (isCredentialsInHeaders / IsClientSecretInHeader).
	CredentialsInHeader bool
	// AccessTokenPrepend is the scheme before the token on data requests;
	// nil = "Bearer", an explicit "" sends the raw token.
	AccessTokenPrepend *string
	// JWTBearerFlow (isJwtBearerFlow) is rejected: CCF gives no key to sign
	// the assertion with.
	JWTBearerFlow bool
}

// Validate checks the fields the grant needs.
func (c OAuth2Config) Validate() error {
	var errs []error
	req := func(v, name string) {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, fmt.Errorf("auth.%s: required for OAuth2 %s", name, c.GrantType))
		}
	}
	switch c.GrantType {
	case GrantClientCredentials, GrantAuthorizationCode, GrantPassword:
	case "":
		errs = append(errs, errors.New("auth.grantType: required for OAuth2 (client_credentials, authorization_code or password)"))
	default:
		if unresolved(c.GrantType) {
			errs = append(errs, fmt.Errorf("auth.grantType: unresolved expression %q (resolved at connect time)", c.GrantType))
		} else {
			errs = append(errs, fmt.Errorf("auth.grantType: unsupported grant type %q (client_credentials, authorization_code or password)", c.GrantType))
		}
	}
	req(c.ClientID, "clientId")
	if c.GrantType != GrantPassword {
		req(c.ClientSecret, "clientSecret")
	}
	req(c.TokenEndpoint, "tokenEndpoint")
	if c.TokenEndpoint != "" {
		if u, err := url.Parse(c.TokenEndpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("auth.tokenEndpoint: not an absolute http(s) URL: %q", c.TokenEndpoint))
		}
	}
	switch c.GrantType {
	case GrantAuthorizationCode:
		req(c.AuthorizationCode, "authorizationCode")
	case GrantPassword:
		req(c.UserName, "userName")
		req(c.Password, "password")
	}
	if c.JWTBearerFlow {
		errs = append(errs, errors.New("auth.isJwtBearerFlow: the JWT-bearer grant is not supported (CCF defines no signing key for the assertion)"))
	}
	return errors.Join(errs...)
}

// OAuth2 obtains access tokens from the token endpoint and sends
// "Authorization: <prepend> <token>". It renews the token before expiry
// with the refresh token when it has one (else with the original grant),
// lets one goroutine fetch at a time, persists every new state through the
// TokenStore before using it, and implements Invalidator.
type OAuth2 struct {
	c        OAuth2Config
	o        Options
	prepend  string
	codeHash string
	cache    *tokenCache

	loaded bool // Options.Store read (guarded by cache.sem)
	// unsaved is a state obtained but not yet persisted (guarded by
	// cache.sem): it is saved before anything else is tried.
	unsaved *Token
}

// NewOAuth2 validates c and returns the authenticator; it does no I/O.
func NewOAuth2(c OAuth2Config, o Options) (*OAuth2, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	a := &OAuth2{c: c, o: o, prepend: "Bearer"}
	if c.AccessTokenPrepend != nil {
		a.prepend = *c.AccessTokenPrepend
	}
	if c.AuthorizationCode != "" {
		h := sha256.Sum256([]byte(c.AuthorizationCode))
		a.codeHash = hex.EncodeToString(h[:])
	}
	a.cache = newTokenCache(o.Now, a.fetch)
	return a, nil
}

func newOAuth2From(a resource.Auth, o Options) (Authenticator, error) {
	f := a.Fields
	r := &fieldReader{f: f}
	s, b, m := r.str, r.boolean, r.stringMap
	c := OAuth2Config{
		ClientID:                     s("clientId"),
		ClientSecret:                 s("clientSecret"),
		GrantType:                    strings.ToLower(strings.TrimSpace(s("grantType"))),
		TokenEndpoint:                strings.TrimSpace(s("tokenEndpoint")),
		TokenEndpointHeaders:         m("tokenEndpointHeaders"),
		TokenEndpointQueryParameters: m("tokenEndpointQueryParameters"),
		Scope:                        s("scope"),
		AuthorizationCode:            s("authorizationCode"),
		RedirectURI:                  firstNonEmpty(s("redirectUri"), s("redirectionEndpoint")),
		UserName:                     firstNonEmpty(a.UserName, s("userName")),
		Password:                     firstNonEmpty(a.Password, s("password")),
		CredentialsInHeader:          b("isCredentialsInHeaders") || b("isClientSecretInHeader"),
		JWTBearerFlow:                b("isJwtBearerFlow"),
	}
	if has(f, "accessTokenPrepend") {
		p := s("accessTokenPrepend")
		c.AccessTokenPrepend = &p
	}
	if err := r.err(); err != nil {
		return nil, err
	}
	return NewOAuth2(c, o)
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// Apply sets the Authorization header, fetching a token when needed.
func (a *OAuth2) Apply(req *http.Request) error {
	t, err := a.cache.get(req.Context())
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", prependToken(a.prepend, t.AccessToken))
	return nil
}

// Invalidate implements Invalidator.
func (a *OAuth2) Invalidate(failed *http.Request) {
	a.cache.invalidate(matchHeader(failed, "Authorization", func(t Token) string { return prependToken(a.prepend, t.AccessToken) }))
}

// matchHeader builds the invalidate predicate: the failed request carried
// the current token (nil failed matches everything).
func matchHeader(failed *http.Request, header string, render func(Token) string) func(Token) bool {
	if failed == nil {
		return nil
	}
	got := failed.Header.Get(header)
	return func(t Token) bool { return got == render(t) }
}

// Secrets returns the client secret, the password, the authorization code
// and the tokens currently held, plus the forms they take on the wire
// (form-encoded, and the Basic header value) so that a recorded token
// request can be redacted too.
func (a *OAuth2) Secrets() []string {
	t := a.cache.snapshot()
	out := withEncodings(a.c.ClientSecret, a.c.Password, a.c.AuthorizationCode, t.AccessToken, t.RefreshToken)
	if a.c.CredentialsInHeader && a.c.ClientSecret != "" {
		out = append(out, basicValue(a.c.ClientID, a.c.ClientSecret))
	}
	return out
}

func nonEmpty(v ...string) []string {
	var out []string
	for _, s := range v {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// withEncodings returns the non-empty values and, where it differs, their
// form encoding.
func withEncodings(v ...string) []string {
	out := nonEmpty(v...)
	for _, s := range out {
		if e := url.QueryEscape(s); e != s {
			out = append(out, e)
		}
	}
	return out
}

// basicValue is the base64 part of a Basic Authorization header.
func basicValue(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

// fetch runs under the cache's semaphore: load the persisted state once,
// then refresh or run the grant, and persist the result before using it.
func (a *OAuth2) fetch(ctx context.Context, cur Token) (Token, error) {
	if !a.loaded {
		t, ok, err := a.o.Store.Load(ctx, a.o.StoreKey)
		if err != nil {
			return Token{}, fmt.Errorf("auth.oauth2: loading saved token: %w", err)
		}
		a.loaded = true
		if ok && (a.c.GrantType != GrantAuthorizationCode || t.CodeHash == a.codeHash) {
			cur = t
			if fresh(t, a.o.Now()) {
				return t, nil
			}
		}
	}
	if a.unsaved != nil {
		// The endpoint may already have rotated the refresh token: keep
		// the state we could not persist and persist it first.
		t := *a.unsaved
		if _, err := a.save(ctx, t); err != nil {
			return Token{}, err
		}
		cur = t
		if fresh(t, a.o.Now()) {
			return t, nil
		}
	}
	// A new authorization code supplied at connect time replaces the old
	// state: its refresh token belongs to the previous consent.
	sameCode := a.c.GrantType != GrantAuthorizationCode || cur.CodeHash == a.codeHash
	if cur.RefreshToken != "" && sameCode {
		nt, err := a.request(ctx, url.Values{"grant_type": {grantRefreshToken}, "refresh_token": {cur.RefreshToken}}, cur.RefreshToken)
		if err == nil {
			if nt.RefreshToken == "" {
				nt.RefreshToken = cur.RefreshToken // not rotated
			}
			nt.CodeHash = cur.CodeHash
			return a.save(ctx, nt)
		}
		var te *TokenError
		if !errors.As(err, &te) || te.Temporary() {
			return Token{}, err
		}
		if a.c.GrantType == GrantAuthorizationCode {
			return Token{}, &TokenError{Type: "OAuth2", Status: te.Status, Code: te.Code, err: err,
				msg: te.msg + "; the refresh token was rejected and the authorization code is spent: reconnect to supply a new code"}
		}
		// Refresh token rejected: client_credentials and password can
		// start over with the original grant.
	}
	form := url.Values{"grant_type": {a.c.GrantType}}
	switch a.c.GrantType {
	case GrantAuthorizationCode:
		if sameCode && cur.CodeHash != "" {
			return Token{}, tokenErr("OAuth2", 0, "", "auth.oauth2: the authorization code was already exchanged and no refresh token is left; reconnect to supply a new code")
		}
		form.Set("code", a.c.AuthorizationCode)
		if a.c.RedirectURI != "" {
			form.Set("redirect_uri", a.c.RedirectURI)
		}
	case GrantPassword:
		form.Set("username", a.c.UserName)
		form.Set("password", a.c.Password)
	}
	nt, err := a.request(ctx, form, "")
	if err != nil {
		return Token{}, err
	}
	if a.c.GrantType == GrantAuthorizationCode {
		nt.CodeHash = a.codeHash
	}
	return a.save(ctx, nt)
}

func (a *OAuth2) save(ctx context.Context, t Token) (Token, error) {
	if err := a.o.Store.Save(ctx, a.o.StoreKey, t); err != nil {
		// The endpoint may already have revoked the previous refresh
		// token: using a token we could not persist would lose the
		// connection at the next restart, so fail the window instead and
		// keep the state in memory to persist at the next attempt.
		a.unsaved = &t
		return Token{}, fmt.Errorf("auth.oauth2: saving the new token: %w", err)
	}
	a.unsaved = nil
	return t, nil
}

// request posts one grant to the token endpoint.
func (a *OAuth2) request(ctx context.Context, form url.Values, refresh string) (Token, error) {
	// Scope goes with every grant, refresh included (Entra v2 requires it
	// there; RFC 6749 §6 allows the originally granted scope).
	if a.c.Scope != "" {
		form.Set("scope", a.c.Scope)
	}
	for k, v := range a.c.TokenEndpointQueryParameters {
		if _, ok := form[k]; !ok {
			form.Set(k, v)
		}
	}
	hdrAuth := false
	for k := range a.c.TokenEndpointHeaders {
		if strings.EqualFold(k, "Authorization") {
			hdrAuth = true
		}
	}
	if !a.c.CredentialsInHeader && !hdrAuth {
		form.Set("client_id", a.c.ClientID)
		if a.c.ClientSecret != "" {
			form.Set("client_secret", a.c.ClientSecret)
		}
	}
	ctype := "application/x-www-form-urlencoded"
	for k, v := range a.c.TokenEndpointHeaders {
		if strings.EqualFold(k, "Content-Type") {
			ctype = v
		}
	}
	var body string
	if mt, _, _ := mime.ParseMediaType(ctype); strings.HasSuffix(mt, "json") {
		obj := map[string]string{}
		for k := range form {
			obj[k] = form.Get(k)
		}
		b, _ := json.Marshal(obj)
		body = string(b)
	} else {
		body = form.Encode()
	}
	ctx, cancel := withTimeout(ctx, 0)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.c.TokenEndpoint, strings.NewReader(body))
	if err != nil {
		return Token{}, fmt.Errorf("auth.tokenEndpoint: %w", err)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Accept", "application/json")
	for k, v := range a.c.TokenEndpointHeaders {
		req.Header.Set(k, v)
	}
	if a.c.CredentialsInHeader && !hdrAuth {
		req.SetBasicAuth(a.c.ClientID, a.c.ClientSecret)
	}
	secrets := nonEmpty(a.c.ClientSecret, a.c.Password, a.c.AuthorizationCode, refresh)
	grant := form.Get("grant_type")
	resp, err := a.o.Client.Do(req)
	if err != nil {
		return Token{}, &TokenError{Type: "OAuth2", msg: "auth.oauth2: token request (" + grant + "): " + redact(err.Error(), secrets...), err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Token{}, &TokenError{Type: "OAuth2", Status: resp.StatusCode, msg: "auth.oauth2: reading token response: " + err.Error(), err: err}
	}
	var tr struct {
		AccessToken      string `json:"access_token"`
		RefreshToken     string `json:"refresh_token"`
		ExpiresIn        any    `json:"expires_in"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var perr error
	if ct == "application/x-www-form-urlencoded" || ct == "text/plain" && !strings.HasPrefix(strings.TrimSpace(string(raw)), "{") {
		v, err := url.ParseQuery(string(raw))
		perr = err
		tr.AccessToken, tr.RefreshToken, tr.Error = v.Get("access_token"), v.Get("refresh_token"), v.Get("error")
		tr.ExpiresIn = v.Get("expires_in")
	} else {
		perr = json.Unmarshal(raw, &tr)
	}
	if resp.StatusCode/100 != 2 {
		msg := fmt.Sprintf("auth.oauth2: token endpoint answered HTTP %d to the %s grant", resp.StatusCode, grant)
		if tr.Error != "" {
			msg += ": " + clip(redact(tr.Error, secrets...), 100)
			if tr.ErrorDescription != "" {
				msg += " (" + clip(redact(tr.ErrorDescription, secrets...), 200) + ")"
			}
		}
		return Token{}, tokenErr("OAuth2", resp.StatusCode, tr.Error, "%s", msg)
	}
	if perr != nil {
		return Token{}, tokenErr("OAuth2", resp.StatusCode, "", "auth.oauth2: token response is not JSON (Content-Type %q)", resp.Header.Get("Content-Type"))
	}
	if tr.AccessToken == "" {
		return Token{}, tokenErr("OAuth2", resp.StatusCode, tr.Error, "auth.oauth2: token response has no access_token")
	}
	now := a.o.Now()
	t := Token{AccessToken: tr.AccessToken, RefreshToken: tr.RefreshToken, Issued: now}
	if secs, ok := seconds(tr.ExpiresIn); ok && secs > 0 {
		t.Expiry = now.Add(time.Duration(secs) * time.Second)
	} else if exp, ok := jwtExpiry(tr.AccessToken); ok {
		t.Expiry = exp
	}
	return t, nil
}

// seconds reads expires_in as a JSON number or numeric string.
func seconds(v any) (int64, bool) {
	switch x := v.(type) {
	case float64:
		return int64(x), true
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n, err == nil
	}
	return 0, false
}
