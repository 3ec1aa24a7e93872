package server

import (
	"context"
	"net/http"
	"sync/atomic"

	"github.com/codeless/codeless/internal/store"
)

// NewClientStore is the default ClientStore: bcrypt hashes in the state
// store's key/values (same as NewKVClients).
func NewClientStore(st store.State) *KVClients { return NewKVClients(st) }

// AdminClientID returns the admin client id BootstrapAdmin uses for the given
// CODELESS_ADMIN_CLIENT_ID value ("" = DefaultAdminClientID).
func AdminClientID(id string) string {
	if id == "" {
		return DefaultAdminClientID
	}
	return id
}

// Sessions is the browser-session helper for the web UI: it checks a session
// cookie or bearer token, and logs users in and out with client credentials.
type Sessions struct{ s *Server }

// Sessions returns the session helper (for internal/web).
func (s *Server) Sessions() *Sessions { return &Sessions{s: s} }

// Authenticated reports whether r carries a valid session cookie or bearer
// token.
func (ss *Sessions) Authenticated(r *http.Request) bool { return ss.s.Authenticate(r) }

// Login verifies client credentials and, when they are valid, sets the
// HttpOnly SameSite=Lax session cookie. It reports success.
func (ss *Sessions) Login(w http.ResponseWriter, r *http.Request, clientID, clientSecret string) bool {
	return ss.s.login(r.Context(), w, r, clientID, clientSecret)
}

// Logout clears the session cookie.
func (ss *Sessions) Logout(w http.ResponseWriter, _ *http.Request) { clearSession(w) }

func (s *Server) login(ctx context.Context, w http.ResponseWriter, r *http.Request, id, secret string) bool {
	ok, err := s.deps.Clients.Verify(ctx, id, secret)
	if err != nil {
		s.log.Error("verifying client", "client", id, "err", err)
		return false
	}
	if !ok {
		return false
	}
	tok, exp := s.issueToken(id, s.now())
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookieName, Value: tok, Path: "/", Expires: exp, HttpOnly: true,
		Secure: r.TLS != nil || s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
	if ri := reqInfoFrom(ctx); ri != nil {
		ri.client = id
	}
	return true
}

func clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// webHandler holds the UI handler; it may be set after New (the UI needs
// Sessions from the server).
type webHandler struct{ h atomic.Pointer[http.Handler] }

// SetWeb mounts the web UI at / (replacing Deps.Web). When a UI is mounted
// it also serves /login and /logout (through Sessions); without one the
// server answers POST /login and POST /logout itself.
func (s *Server) SetWeb(h http.Handler) {
	if h == nil {
		s.web.h.Store(nil)
		return
	}
	s.web.h.Store(&h)
}

func (s *Server) currentWeb() http.Handler {
	if p := s.web.h.Load(); p != nil {
		return *p
	}
	return nil
}
