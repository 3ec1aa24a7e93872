package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/codeless/codeless/internal/jsonpath"
	"github.com/codeless/codeless/internal/resource"
)

// JwtTokenConfig is auth type JwtToken (reference/ccf-format.md §2.3.5).
// Either UserName and Password or UserToken must be set.
type JwtTokenConfig struct {
	TokenEndpoint string
	// TokenEndpointHTTPMethod is GET or POST (default POST).
	TokenEndpointHTTPMethod string
	// UserName and Password carry the form/JSON field name (Key) and the
	// value; a plain-string userName is sent as "username" (and
	// "password").
	UserName, Password credential
	// UserToken is sent as "Authorization: <UserTokenPrepend> <UserToken>"
	// (Zoom: "Basic" + base64(id:secret); BigID: "" + refresh token).
	UserToken        string
	UserTokenPrepend string
	// CredentialsInHeaders sends userName:password as a Basic header;
	// otherwise they go in the body (JSON when IsJSONRequest, else form;
	// in the query string for GET).
	CredentialsInHeaders bool
	IsJSONRequest        bool
	// JwtTokenJSONPath selects the token in the JSON response (default:
	// the first of access_token, token, accessToken, jwt, id_token).
	JwtTokenJSONPath string
	// JwtTokenInResponseHeader takes the token from response header
	// JwtTokenHeaderName (default Authorization), stripping
	// JwtTokenIdentifier ("Bearer") when present.
	JwtTokenInResponseHeader bool
	JwtTokenHeaderName       string
	JwtTokenIdentifier       string
	// NoAccessTokenPrepend sends the obtained token raw instead of
	// "Bearer <token>".
	NoAccessTokenPrepend bool
	QueryParameters      map[string]string
	Headers              map[string]string
	// RequestTimeout bounds the token request (default 100 s, max 180 s).
	RequestTimeout time.Duration
}

// Validate checks the required fields.
func (c JwtTokenConfig) Validate() error {
	var errs []error
	if strings.TrimSpace(c.TokenEndpoint) == "" {
		errs = append(errs, errors.New("auth.tokenEndpoint: required for JwtToken auth"))
	} else if u, err := url.Parse(c.TokenEndpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("auth.tokenEndpoint: not an absolute http(s) URL: %q", c.TokenEndpoint))
	}
	switch strings.ToUpper(c.TokenEndpointHTTPMethod) {
	case "", http.MethodGet, http.MethodPost:
	default:
		errs = append(errs, fmt.Errorf("auth.tokenEndpointHttpMethod: must be GET or POST, got %q", c.TokenEndpointHTTPMethod))
	}
	if c.UserToken == "" {
		if !c.UserName.Set || c.UserName.Value == "" {
			errs = append(errs, errors.New("auth.userName: required for JwtToken auth unless userToken is set"))
		}
		if !c.Password.Set {
			errs = append(errs, errors.New("auth.password: required for JwtToken auth unless userToken is set"))
		}
	}
	if c.JwtTokenJSONPath != "" {
		if _, err := jsonpath.Compile(c.JwtTokenJSONPath); err != nil {
			errs = append(errs, fmt.Errorf("auth.jwtTokenJsonPath: %w", err))
		}
	}
	if c.RequestTimeout < 0 || c.RequestTimeout > 180*time.Second {
		errs = append(errs, fmt.Errorf("auth.requestTimeoutInSeconds: must be between 1 and 180, got %d", int(c.RequestTimeout/time.Second)))
	}
	return errors.Join(errs...)
}

// JwtToken logs in at the token endpoint and sends the token it gets as
// "Authorization: Bearer <jwt>" (raw with NoAccessTokenPrepend). The token
// is renewed before the JWT's exp claim (or the response's expires_in) and
// after a 401 (Invalidator). Tokens are kept in memory only: a login is
// cheap and repeatable.
type JwtToken struct {
	c     JwtTokenConfig
	o     Options
	path  *jsonpath.Path
	cache *tokenCache
}

// NewJwtToken validates c and returns the authenticator; it does no I/O.
func NewJwtToken(c JwtTokenConfig, o Options) (*JwtToken, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	a := &JwtToken{c: c, o: o.withDefaults()}
	if c.JwtTokenJSONPath != "" {
		a.path, _ = jsonpath.Compile(c.JwtTokenJSONPath)
	}
	a.cache = newTokenCache(a.o.Now, a.fetch)
	return a, nil
}

func newJwtTokenFrom(a resource.Auth, o Options) (Authenticator, error) {
	f := a.Fields
	r := &fieldReader{f: f}
	s, b, m := r.str, r.boolean, r.stringMap
	user, pass := r.credential("userName", "username"), r.credential("password", "password")
	c := JwtTokenConfig{
		TokenEndpoint:            strings.TrimSpace(s("tokenEndpoint")),
		TokenEndpointHTTPMethod:  strings.TrimSpace(s("tokenEndpointHttpMethod")),
		UserName:                 user,
		Password:                 pass,
		UserToken:                s("userToken"),
		UserTokenPrepend:         s("userTokenPrepend"),
		CredentialsInHeaders:     b("isCredentialsInHeaders"),
		IsJSONRequest:            b("isJsonRequest"),
		JwtTokenJSONPath:         strings.TrimSpace(s("jwtTokenJsonPath")),
		JwtTokenInResponseHeader: b("jwtTokenInResponseHeader"),
		JwtTokenHeaderName:       strings.TrimSpace(s("jwtTokenHeaderName")),
		JwtTokenIdentifier:       s("jwtTokenIdentifier"),
		NoAccessTokenPrepend:     b("noAccessTokenPrepend"),
		QueryParameters:          m("queryParameters"),
		Headers:                  m("headers"),
	}
	if n, ok, err := integer(f, "requestTimeoutInSeconds"); err != nil {
		r.add(err)
	} else if ok {
		c.RequestTimeout = time.Duration(n) * time.Second
		if n <= 0 {
			c.RequestTimeout = -1 // rejected by Validate
		}
	}
	if err := r.err(); err != nil {
		return nil, err
	}
	return NewJwtToken(c, o)
}

func (a *JwtToken) header(t Token) string {
	if a.c.NoAccessTokenPrepend {
		return t.AccessToken
	}
	return "Bearer " + t.AccessToken
}

// Apply sets the Authorization header, logging in when needed.
func (a *JwtToken) Apply(req *http.Request) error {
	t, err := a.cache.get(req.Context())
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", a.header(t))
	return nil
}

// Invalidate implements Invalidator.
func (a *JwtToken) Invalidate(failed *http.Request) {
	a.cache.invalidate(matchHeader(failed, "Authorization", a.header))
}

// Secrets returns the password, the user token and the current JWT (and
// their form-encoded and Basic-header forms).
func (a *JwtToken) Secrets() []string {
	out := withEncodings(a.c.Password.Value, a.c.UserToken, a.cache.snapshot().AccessToken)
	if a.c.CredentialsInHeaders && a.c.Password.Value != "" {
		out = append(out, basicValue(a.c.UserName.Value, a.c.Password.Value))
	}
	return out
}

func (a *JwtToken) fetch(ctx context.Context, _ Token) (Token, error) {
	method := strings.ToUpper(a.c.TokenEndpointHTTPMethod)
	if method == "" {
		method = http.MethodPost
	}
	u, _ := url.Parse(a.c.TokenEndpoint)
	q := u.Query()
	for k, v := range a.c.QueryParameters {
		q.Set(k, v)
	}
	var body io.Reader
	ctype := ""
	if a.c.UserToken == "" && !a.c.CredentialsInHeaders {
		if method == http.MethodGet {
			q.Set(a.c.UserName.Key, a.c.UserName.Value)
			q.Set(a.c.Password.Key, a.c.Password.Value)
		} else if a.c.IsJSONRequest {
			b, _ := json.Marshal(map[string]string{a.c.UserName.Key: a.c.UserName.Value, a.c.Password.Key: a.c.Password.Value})
			body, ctype = strings.NewReader(string(b)), "application/json"
		} else {
			form := url.Values{a.c.UserName.Key: {a.c.UserName.Value}, a.c.Password.Key: {a.c.Password.Value}}
			body, ctype = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
		}
	}
	u.RawQuery = q.Encode()
	ctx, cancel := withTimeout(ctx, a.c.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return Token{}, fmt.Errorf("auth.tokenEndpoint: %w", err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	} else if a.c.IsJSONRequest && method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range a.c.Headers {
		if ctype != "" && strings.EqualFold(k, "Content-Type") {
			continue // the body we build decides
		}
		req.Header.Set(k, v)
	}
	switch {
	case a.c.UserToken != "":
		req.Header.Set("Authorization", prependToken(a.c.UserTokenPrepend, a.c.UserToken))
	case a.c.CredentialsInHeaders:
		req.SetBasicAuth(a.c.UserName.Value, a.c.Password.Value)
	}
	secrets := a.Secrets()
	resp, err := a.o.Client.Do(req)
	if err != nil {
		return Token{}, &TokenError{Type: "JwtToken", msg: "auth.jwtToken: token request: " + redact(err.Error(), secrets...), err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Token{}, &TokenError{Type: "JwtToken", Status: resp.StatusCode, msg: "auth.jwtToken: reading token response: " + err.Error(), err: err}
	}
	if resp.StatusCode/100 != 2 {
		return Token{}, tokenErr("JwtToken", resp.StatusCode, "", "auth.jwtToken: token endpoint answered HTTP %d", resp.StatusCode)
	}
	now := a.o.Now()
	t := Token{Issued: now}
	var doc any
	jsonErr := json.Unmarshal(raw, &doc)
	if a.c.JwtTokenInResponseHeader {
		name := a.c.JwtTokenHeaderName
		if name == "" {
			name = "Authorization"
		}
		v := strings.TrimSpace(resp.Header.Get(name))
		if id := strings.TrimSpace(a.c.JwtTokenIdentifier); id != "" && len(v) > len(id) && strings.EqualFold(v[:len(id)], id) {
			v = strings.TrimSpace(v[len(id):])
		}
		if v == "" {
			return Token{}, tokenErr("JwtToken", resp.StatusCode, "", "auth.jwtTokenHeaderName: response has no %s header", name)
		}
		t.AccessToken = v
	} else {
		if jsonErr != nil {
			return Token{}, tokenErr("JwtToken", resp.StatusCode, "", "auth.jwtToken: token response is not JSON: %v", jsonErr)
		}
		v, where := a.pick(doc)
		s, ok := v.(string)
		if !ok || s == "" {
			return Token{}, tokenErr("JwtToken", resp.StatusCode, "", "auth.jwtTokenJsonPath: %s selects no string token in the response", where)
		}
		t.AccessToken = s
	}
	if exp, ok := jwtExpiry(t.AccessToken); ok {
		t.Expiry = exp
	} else if obj, ok := doc.(map[string]any); ok {
		if secs, ok := seconds(lookup(obj, "expires_in")); ok && secs > 0 {
			t.Expiry = now.Add(time.Duration(secs) * time.Second)
		}
	}
	return t, nil
}

// pick selects the token from the response body.
func (a *JwtToken) pick(doc any) (any, string) {
	if a.path != nil {
		v, _ := a.path.First(doc)
		return v, a.c.JwtTokenJSONPath
	}
	if obj, ok := doc.(map[string]any); ok {
		for _, k := range []string{"access_token", "token", "accessToken", "jwt", "id_token"} {
			if v := lookup(obj, k); v != nil {
				return v, "$." + k
			}
		}
	}
	return nil, "(default: access_token, token, accessToken, jwt, id_token)"
}

// jwtExpiry reads the exp claim of a JWT without verifying it (we are the
// client; the issuer verifies). ok is false for anything that is not a
// JWT with a numeric exp.
func jwtExpiry(tok string) (time.Time, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp *float64 `json:"exp"`
	}
	if json.Unmarshal(b, &claims) != nil || claims.Exp == nil || *claims.Exp <= 0 {
		return time.Time{}, false
	}
	return time.Unix(int64(*claims.Exp), 0), true
}
