package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/codeless/codeless/internal/resource"
)

// SessionConfig is auth type Session (reference/ccf-format.md §2.3.6, API
// model SessionAuthModel; no corpus connector uses it).
type SessionConfig struct {
	// LoginURL is sessionLoginRequestUri.
	LoginURL string
	// UserName and Password are sent under their keys in the login body.
	UserName, Password credential
	// SessionIDName is the response header that carries the session id; the
	// same header carries it on data requests. Empty: the session is the
	// cookies the login sets, sent back as a Cookie header.
	SessionIDName string
	// Timeout is the session lifetime (sessionTimeoutInMinutes, default 30).
	Timeout         time.Duration
	Headers         map[string]string
	QueryParameters map[string]string
	// IsPostPayloadJSON sends the login body as JSON (else form).
	IsPostPayloadJSON bool
}

// Validate checks the required fields.
func (c SessionConfig) Validate() error {
	var errs []error
	if strings.TrimSpace(c.LoginURL) == "" {
		errs = append(errs, errors.New("auth.sessionLoginRequestUri: required for Session auth"))
	} else if u, err := url.Parse(c.LoginURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("auth.sessionLoginRequestUri: not an absolute http(s) URL: %q", c.LoginURL))
	}
	if !c.UserName.Set || c.UserName.Value == "" {
		errs = append(errs, errors.New("auth.userName: required for Session auth"))
	}
	if !c.Password.Set {
		errs = append(errs, errors.New("auth.password: required for Session auth"))
	}
	if c.Timeout < 0 {
		errs = append(errs, errors.New("auth.sessionTimeoutInMinutes: must be > 0"))
	}
	return errors.Join(errs...)
}

// Session logs in with a POST to the login URL and sends the session id it
// gets on every data request; it logs in again when the session times out
// and after a 401 (Invalidator).
type Session struct {
	c     SessionConfig
	o     Options
	cache *tokenCache
}

// NewSession validates c and returns the authenticator; it does no I/O.
func NewSession(c SessionConfig, o Options) (*Session, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Minute
	}
	a := &Session{c: c, o: o.withDefaults()}
	a.cache = newTokenCache(a.o.Now, a.fetch)
	return a, nil
}

func newSessionFrom(a resource.Auth, o Options) (Authenticator, error) {
	f := a.Fields
	r := &fieldReader{f: f}
	c := SessionConfig{
		UserName:          r.credential("userName", "username"),
		Password:          r.credential("password", "password"),
		LoginURL:          strings.TrimSpace(r.str("sessionLoginRequestUri")),
		SessionIDName:     strings.TrimSpace(r.str("sessionIdName")),
		Headers:           r.stringMap("headers"),
		QueryParameters:   r.stringMap("queryParameters"),
		IsPostPayloadJSON: r.boolean("isPostPayloadJson"),
	}
	if n, ok, err := integer(f, "sessionTimeoutInMinutes"); err != nil {
		r.add(err)
	} else if ok {
		c.Timeout = time.Duration(n) * time.Minute
		if n <= 0 {
			c.Timeout = -1
		}
	}
	if err := r.err(); err != nil {
		return nil, err
	}
	return NewSession(c, o)
}

func (a *Session) header() string {
	if a.c.SessionIDName != "" {
		return a.c.SessionIDName
	}
	return "Cookie"
}

// Apply sets the session header (or Cookie), logging in when needed.
func (a *Session) Apply(req *http.Request) error {
	t, err := a.cache.get(req.Context())
	if err != nil {
		return err
	}
	req.Header.Set(a.header(), t.AccessToken)
	return nil
}

// Invalidate implements Invalidator.
func (a *Session) Invalidate(failed *http.Request) {
	a.cache.invalidate(matchHeader(failed, a.header(), func(t Token) string { return t.AccessToken }))
}

// Secrets returns the password and the current session id.
func (a *Session) Secrets() []string {
	return withEncodings(a.c.Password.Value, a.cache.snapshot().AccessToken)
}

func (a *Session) fetch(ctx context.Context, _ Token) (Token, error) {
	u, _ := url.Parse(a.c.LoginURL)
	q := u.Query()
	for k, v := range a.c.QueryParameters {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	var body, ctype string
	if a.c.IsPostPayloadJSON {
		b, _ := json.Marshal(map[string]string{a.c.UserName.Key: a.c.UserName.Value, a.c.Password.Key: a.c.Password.Value})
		body, ctype = string(b), "application/json"
	} else {
		body = url.Values{a.c.UserName.Key: {a.c.UserName.Value}, a.c.Password.Key: {a.c.Password.Value}}.Encode()
		ctype = "application/x-www-form-urlencoded"
	}
	ctx, cancel := withTimeout(ctx, 0)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(body))
	if err != nil {
		return Token{}, fmt.Errorf("auth.sessionLoginRequestUri: %w", err)
	}
	for k, v := range a.c.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := a.o.Client.Do(req)
	if err != nil {
		return Token{}, &TokenError{Type: "Session", msg: "auth.session: login request: " + redact(err.Error(), a.c.Password.Value), err: err}
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return Token{}, tokenErr("Session", resp.StatusCode, "", "auth.session: login answered HTTP %d", resp.StatusCode)
	}
	now := a.o.Now()
	t := Token{Issued: now, Expiry: now.Add(a.c.Timeout)}
	if a.c.SessionIDName != "" {
		t.AccessToken = strings.TrimSpace(resp.Header.Get(a.c.SessionIDName))
		if t.AccessToken == "" {
			return Token{}, tokenErr("Session", resp.StatusCode, "", "auth.sessionIdName: login response has no %s header", a.c.SessionIDName)
		}
		return t, nil
	}
	var parts []string
	for _, ck := range resp.Cookies() {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	if len(parts) == 0 {
		return Token{}, tokenErr("Session", resp.StatusCode, "", "auth.sessionIdName: not set and the login response sets no cookie")
	}
	t.AccessToken = strings.Join(parts, "; ")
	return t, nil
}
