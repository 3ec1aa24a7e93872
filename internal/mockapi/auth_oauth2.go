package mockapi

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// OAuth2Config configures an OAuth2Server.
type OAuth2Config struct {
	ClientID, ClientSecret string
	// ClientAuth is where the client credentials must be: "body", "header"
	// (Basic) or "" (either).
	ClientAuth string
	// UserName and Password enable the password grant.
	UserName, Password string
	// Codes are valid authorization codes; each can be exchanged once.
	Codes []string
	// RedirectURI, when set, must accompany a code exchange.
	RedirectURI string
	// Scope, when set, must be sent with every grant.
	Scope string
	// RequiredParams must be in the token request body (e.g. audience).
	RequiredParams map[string]string
	// RequiredHeaders must be on the token request.
	RequiredHeaders map[string]string
	// ExpiresIn is the access-token lifetime (default 1 h); 0 after
	// defaults are applied is never used.
	ExpiresIn time.Duration
	// RefreshTokens makes client_credentials issue refresh tokens too
	// (password and authorization_code always do).
	RefreshTokens bool
	// RotateRefresh issues a new refresh token on every refresh and
	// revokes the old one.
	RotateRefresh bool
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Hold, when set, is called before a token is issued (tests use it to
	// make concurrent callers overlap).
	Hold func()
}

// TokenRequest is one request the token endpoint received.
type TokenRequest struct {
	Grant  string
	Form   url.Values
	Basic  string // Basic user name, if any
	Header http.Header
	Status int
}

// OAuth2Server simulates an OAuth2 token endpoint (grants
// client_credentials, password, authorization_code, refresh_token) and,
// through Protect, a resource server that accepts its bearer tokens.
type OAuth2Server struct {
	cfg OAuth2Config

	mu       sync.Mutex
	n        int
	access   map[string]time.Time // token → expiry
	refresh  map[string]bool
	codes    map[string]bool
	requests []TokenRequest
	rejected int
}

// NewOAuth2Server applies defaults and returns the server.
func NewOAuth2Server(cfg OAuth2Config) *OAuth2Server {
	if cfg.ExpiresIn <= 0 {
		cfg.ExpiresIn = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &OAuth2Server{cfg: cfg, access: map[string]time.Time{}, refresh: map[string]bool{}, codes: map[string]bool{}}
	for _, c := range cfg.Codes {
		s.codes[c] = true
	}
	return s
}

// ServeHTTP is the token endpoint.
func (s *OAuth2Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tr := TokenRequest{Header: r.Header.Clone()}
	status := http.StatusOK
	defer func() {
		tr.Status = status
		s.mu.Lock()
		s.requests = append(s.requests, tr)
		s.mu.Unlock()
	}()
	fail := func(st int, code string) {
		status = st
		authWriteJSON(w, st, map[string]string{"error": code, "error_description": "mock: " + code})
	}
	if r.Method != http.MethodPost {
		fail(http.StatusMethodNotAllowed, "invalid_request")
		return
	}
	var form url.Values
	if strings.Contains(r.Header.Get("Content-Type"), "json") {
		var m map[string]string
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			fail(http.StatusBadRequest, "invalid_request")
			return
		}
		form = url.Values{}
		for k, v := range m {
			form.Set(k, v)
		}
	} else {
		if err := r.ParseForm(); err != nil {
			fail(http.StatusBadRequest, "invalid_request")
			return
		}
		form = r.PostForm
	}
	tr.Form, tr.Grant = form, form.Get("grant_type")
	for k, v := range s.cfg.RequiredHeaders {
		if r.Header.Get(k) != v {
			fail(http.StatusBadRequest, "invalid_request")
			return
		}
	}
	for k, v := range s.cfg.RequiredParams {
		if form.Get(k) != v {
			fail(http.StatusBadRequest, "invalid_request")
			return
		}
	}
	user, pass, basic := r.BasicAuth()
	if basic {
		tr.Basic = user
	}
	bodyCreds := form.Has("client_id")
	switch {
	case s.cfg.ClientAuth == "header" && (!basic || bodyCreds),
		s.cfg.ClientAuth == "body" && (basic || !bodyCreds),
		basic && bodyCreds:
		fail(http.StatusUnauthorized, "invalid_client")
		return
	}
	if !basic {
		user, pass = form.Get("client_id"), form.Get("client_secret")
	}
	if !authEq(user, s.cfg.ClientID) || !authEq(pass, s.cfg.ClientSecret) {
		fail(http.StatusUnauthorized, "invalid_client")
		return
	}
	if s.cfg.Scope != "" && form.Get("scope") != s.cfg.Scope {
		fail(http.StatusBadRequest, "invalid_scope")
		return
	}
	issueRefresh := s.cfg.RefreshTokens
	s.mu.Lock()
	switch tr.Grant {
	case "client_credentials":
	case "password":
		if s.cfg.UserName == "" || !authEq(form.Get("username"), s.cfg.UserName) || !authEq(form.Get("password"), s.cfg.Password) {
			s.mu.Unlock()
			fail(http.StatusBadRequest, "invalid_grant")
			return
		}
		issueRefresh = true
	case "authorization_code":
		c := form.Get("code")
		if !s.codes[c] || (s.cfg.RedirectURI != "" && form.Get("redirect_uri") != s.cfg.RedirectURI) {
			s.mu.Unlock()
			fail(http.StatusBadRequest, "invalid_grant")
			return
		}
		delete(s.codes, c)
		issueRefresh = true
	case "refresh_token":
		rt := form.Get("refresh_token")
		if !s.refresh[rt] {
			s.mu.Unlock()
			fail(http.StatusBadRequest, "invalid_grant")
			return
		}
		issueRefresh = s.cfg.RotateRefresh
		if s.cfg.RotateRefresh {
			delete(s.refresh, rt)
		}
	default:
		s.mu.Unlock()
		fail(http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	s.mu.Unlock()
	if s.cfg.Hold != nil {
		s.cfg.Hold()
	}
	s.mu.Lock()
	s.n++
	at := fmt.Sprintf("at-%d", s.n)
	s.access[at] = s.cfg.Now().Add(s.cfg.ExpiresIn)
	resp := map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": int(s.cfg.ExpiresIn / time.Second)}
	if issueRefresh {
		rt := fmt.Sprintf("rt-%d", s.n)
		s.refresh[rt] = true
		resp["refresh_token"] = rt
	}
	s.mu.Unlock()
	authWriteJSON(w, http.StatusOK, resp)
}

// Issued returns how many access tokens were issued.
func (s *OAuth2Server) Issued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// TokenRequests returns every token request received.
func (s *OAuth2Server) TokenRequests() []TokenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]TokenRequest(nil), s.requests...)
}

// RevokeAccess makes every access token issued so far invalid (the next
// data request gets 401); refresh tokens stay valid.
func (s *OAuth2Server) RevokeAccess() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access = map[string]time.Time{}
}

// RevokeRefresh makes every refresh token issued so far invalid.
func (s *OAuth2Server) RevokeRefresh() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh = map[string]bool{}
}

// Rejected returns how many data requests Protect answered with 401.
func (s *OAuth2Server) Rejected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejected
}

// Protect wraps next so that it requires "Authorization: <prefix> <token>"
// with a live token issued here (prefix "" = the raw token).
func (s *OAuth2Server) Protect(prefix string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := prefixedToken(r, prefix)
		s.mu.Lock()
		ok := isLive(s.access, tok, s.cfg.Now())
		if !ok {
			s.rejected++
		}
		s.mu.Unlock()
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			authWriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// prefixedToken is the token of "Authorization: <prefix> <token>" (the
// whole header when prefix is ""), or "" when the prefix does not match.
func prefixedToken(r *http.Request, prefix string) string {
	tok := r.Header.Get("Authorization")
	if prefix == "" {
		return tok
	}
	rest, ok := strings.CutPrefix(tok, prefix+" ")
	if !ok {
		return ""
	}
	return rest
}

// isLive reports whether tok was issued (it is in live) and has not
// expired at now.
func isLive(live map[string]time.Time, tok string, now time.Time) bool {
	exp, ok := live[tok]
	return ok && now.Before(exp)
}

func authEq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func authWriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
