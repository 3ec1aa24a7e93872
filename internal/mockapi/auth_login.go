package mockapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// LoginConfig configures a LoginServer: a JwtToken token endpoint or a
// Session login endpoint.
type LoginConfig struct {
	// Method is the login method (default POST).
	Method string
	// UserKey/PassKey name the credential fields (default username and
	// password); UserName/Password are the expected values.
	UserKey, PassKey   string
	UserName, Password string
	// CredentialsIn is where the credentials must be: "body" (default),
	// "json" (JSON body), "query", "header" (Basic) or "authorization"
	// (the exact Authorization value in ExpectAuthorization: user tokens).
	CredentialsIn       string
	ExpectAuthorization string
	// RequiredHeaders must be on the login request.
	RequiredHeaders map[string]string
	// TokenField is the JSON field that carries the token (default
	// "token"); TokenHeader, when set, carries it in that response header
	// instead, prefixed by TokenIdentifier.
	TokenField      string
	TokenHeader     string
	TokenIdentifier string
	// SessionHeader switches to session mode: the id is returned in that
	// header and expected back in the same header; SessionCookie returns
	// and expects a cookie of that name instead.
	SessionHeader string
	SessionCookie string
	// TTL is the token/session lifetime (default 1 h). JWTs carry it as
	// their exp claim.
	TTL time.Duration
	Now func() time.Time
	// Hold, when set, is called before a token is issued.
	Hold func()
}

// LoginServer simulates JwtToken and Session logins and, through Protect,
// a resource server that accepts what it issued.
type LoginServer struct {
	cfg LoginConfig

	mu       sync.Mutex
	n        int
	live     map[string]time.Time
	logins   int
	rejected int
}

// NewLoginServer applies defaults and returns the server.
func NewLoginServer(cfg LoginConfig) *LoginServer {
	if cfg.Method == "" {
		cfg.Method = http.MethodPost
	}
	if cfg.UserKey == "" {
		cfg.UserKey = "username"
	}
	if cfg.PassKey == "" {
		cfg.PassKey = "password"
	}
	if cfg.TokenField == "" {
		cfg.TokenField = "token"
	}
	if cfg.TTL <= 0 {
		cfg.TTL = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &LoginServer{cfg: cfg, live: map[string]time.Time{}}
}

// ServeHTTP is the login endpoint.
func (s *LoginServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.logins++
	s.mu.Unlock()
	deny := func(status int, why string) { authWriteJSON(w, status, map[string]string{"error": why}) }
	if r.Method != s.cfg.Method {
		deny(http.StatusMethodNotAllowed, "method")
		return
	}
	for k, v := range s.cfg.RequiredHeaders {
		if r.Header.Get(k) != v {
			deny(http.StatusBadRequest, "missing header "+k)
			return
		}
	}
	var user, pass string
	switch s.cfg.CredentialsIn {
	case "", "body":
		if err := r.ParseForm(); err != nil {
			deny(http.StatusBadRequest, "form")
			return
		}
		user, pass = r.PostForm.Get(s.cfg.UserKey), r.PostForm.Get(s.cfg.PassKey)
	case "json":
		var m map[string]string
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || json.NewDecoder(r.Body).Decode(&m) != nil {
			deny(http.StatusBadRequest, "json body expected")
			return
		}
		user, pass = m[s.cfg.UserKey], m[s.cfg.PassKey]
	case "query":
		user, pass = r.URL.Query().Get(s.cfg.UserKey), r.URL.Query().Get(s.cfg.PassKey)
	case "header":
		user, pass, _ = r.BasicAuth()
	case "authorization":
		if !authEq(r.Header.Get("Authorization"), s.cfg.ExpectAuthorization) {
			deny(http.StatusUnauthorized, "bad user token")
			return
		}
		user, pass = s.cfg.UserName, s.cfg.Password
	}
	if !authEq(user, s.cfg.UserName) || !authEq(pass, s.cfg.Password) {
		deny(http.StatusUnauthorized, "bad credentials")
		return
	}
	if s.cfg.Hold != nil {
		s.cfg.Hold()
	}
	now := s.cfg.Now()
	s.mu.Lock()
	s.n++
	n := s.n
	var tok string
	if s.cfg.SessionHeader != "" || s.cfg.SessionCookie != "" {
		tok = fmt.Sprintf("sess-%d", n)
	} else {
		tok = fakeJWT(n, now.Add(s.cfg.TTL))
	}
	s.live[tok] = now.Add(s.cfg.TTL)
	s.mu.Unlock()
	switch {
	case s.cfg.SessionCookie != "":
		http.SetCookie(w, &http.Cookie{Name: s.cfg.SessionCookie, Value: tok, Path: "/"})
		authWriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	case s.cfg.SessionHeader != "":
		w.Header().Set(s.cfg.SessionHeader, tok)
		authWriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	case s.cfg.TokenHeader != "":
		v := tok
		if s.cfg.TokenIdentifier != "" {
			v = s.cfg.TokenIdentifier + " " + tok
		}
		w.Header().Set(s.cfg.TokenHeader, v)
		authWriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	default:
		authWriteJSON(w, http.StatusOK, nest(s.cfg.TokenField, tok))
	}
}

// nest builds {"a":{"b":tok}} for field "a.b".
func nest(field, tok string) map[string]any {
	parts := strings.Split(field, ".")
	var v any = tok
	for i := len(parts) - 1; i >= 0; i-- {
		v = map[string]any{parts[i]: v}
	}
	return v.(map[string]any)
}

// fakeJWT returns an unsigned JWT-shaped token whose exp claim is exp.
func fakeJWT(n int, exp time.Time) string {
	enc := base64.RawURLEncoding
	h := enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	p := enc.EncodeToString([]byte(fmt.Sprintf(`{"sub":"mock","n":%d,"exp":%d}`, n, exp.Unix())))
	return h + "." + p + ".sig"
}

// Logins returns how many login requests were received.
func (s *LoginServer) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// Issued returns how many tokens or sessions were issued.
func (s *LoginServer) Issued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// Rejected returns how many data requests Protect answered with 401.
func (s *LoginServer) Rejected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejected
}

// Revoke ends every token or session issued so far.
func (s *LoginServer) Revoke() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live = map[string]time.Time{}
}

// Protect wraps next so that it requires a live token: in the session
// header or cookie in session mode, else "Authorization: <prefix> <jwt>"
// (prefix "" = raw).
func (s *LoginServer) Protect(prefix string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var tok string
		switch {
		case s.cfg.SessionCookie != "":
			if c, err := r.Cookie(s.cfg.SessionCookie); err == nil {
				tok = c.Value
			}
		case s.cfg.SessionHeader != "":
			tok = r.Header.Get(s.cfg.SessionHeader)
		default:
			tok = prefixedToken(r, prefix)
		}
		s.mu.Lock()
		ok := isLive(s.live, tok, s.cfg.Now())
		if !ok {
			s.rejected++
		}
		s.mu.Unlock()
		if !ok {
			authWriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "not logged in"})
			return
		}
		next.ServeHTTP(w, r)
	})
}
