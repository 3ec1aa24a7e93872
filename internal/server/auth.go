package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/codeless/codeless/internal/apierr"
	"github.com/codeless/codeless/internal/secrets"
	"github.com/codeless/codeless/internal/store"
)

// ClientStore verifies OAuth2 client credentials.
type ClientStore interface {
	Verify(ctx context.Context, id, secret string) (bool, error)
}

// DefaultAdminClientID is the id of the generated bootstrap admin client.
const DefaultAdminClientID = "codeless-admin"

const (
	clientKeyPrefix = "clients/"
	adminMarkerKey  = "clients.admin"
	tokenKeyKV      = "server/token-key"
	// SessionCookieName is the web UI session cookie set by POST /login.
	SessionCookieName = "codeless_session"
)

// KVClients is a ClientStore over store.State key/values holding only bcrypt
// hashes of client secrets (key "clients/<id>").
type KVClients struct {
	st   store.State
	cost int

	dummyOnce sync.Once
	dummy     []byte
}

// NewKVClients returns a client store over st.
func NewKVClients(st store.State) *KVClients { return &KVClients{st: st, cost: hashCost} }

// hashCost is the bcrypt cost (lowered by tests only).
var hashCost = bcrypt.DefaultCost

// Put stores (or replaces) a client's secret hash.
func (c *KVClients) Put(ctx context.Context, id, secret string) error {
	if id == "" || secret == "" {
		return errors.New("storing client: id and secret are required")
	}
	if len(secret) > 72 {
		return errors.New("storing client: secret longer than 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(secret), c.cost)
	if err != nil {
		return fmt.Errorf("hashing client secret: %w", err)
	}
	if err := c.st.PutKV(ctx, clientKeyPrefix+id, h); err != nil {
		return fmt.Errorf("storing client %s: %w", id, err)
	}
	return nil
}

// Verify checks a client's secret against its stored hash.
func (c *KVClients) Verify(ctx context.Context, id, secret string) (bool, error) {
	if id == "" || secret == "" || len(secret) > 72 {
		return false, nil
	}
	h, err := c.st.GetKV(ctx, clientKeyPrefix+id)
	if errors.Is(err, store.ErrNotFound) {
		// Spend comparable time so that unknown ids are not distinguishable.
		c.dummyOnce.Do(func() {
			c.dummy, _ = bcrypt.GenerateFromPassword([]byte("codeless-dummy-secret"), c.cost)
		})
		_ = bcrypt.CompareHashAndPassword(c.dummy, []byte(secret))
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading client %s: %w", id, err)
	}
	return bcrypt.CompareHashAndPassword(h, []byte(secret)) == nil, nil
}

// BootstrapAdmin makes sure an admin client exists. With id and secret given
// (CODELESS_ADMIN_CLIENT_ID/_SECRET) their hash is stored (replacing any
// previous one) and "" is returned. Otherwise, when no admin exists yet, a
// secret is generated for id (default DefaultAdminClientID), only its hash is
// stored, and the secret is returned so that `serve` prints it once.
func BootstrapAdmin(ctx context.Context, st store.State, id, secret string) (generatedSecret string, err error) {
	c := NewKVClients(st)
	if id == "" {
		id = DefaultAdminClientID
	}
	if secret != "" {
		if err := c.Put(ctx, id, secret); err != nil {
			return "", err
		}
		if err := st.PutKV(ctx, adminMarkerKey, []byte(id)); err != nil {
			return "", fmt.Errorf("marking admin client: %w", err)
		}
		return "", nil
	}
	if _, err := st.GetKV(ctx, adminMarkerKey); err == nil {
		return "", nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("reading admin client: %w", err)
	}
	gen := randomString(32)
	if err := c.Put(ctx, id, gen); err != nil {
		return "", err
	}
	if err := st.PutKV(ctx, adminMarkerKey, []byte(id)); err != nil {
		return "", fmt.Errorf("marking admin client: %w", err)
	}
	return gen, nil
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand never fails on supported platforms (Go 1.24+ panics
		// internally instead); keep a defensive error-free path anyway.
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// tokenKey loads or creates the HMAC key for access tokens (sealed with the
// keyring when one is given).
func loadTokenKey(ctx context.Context, st store.State, kr *secrets.Keyring) ([]byte, error) {
	raw, err := st.GetKV(ctx, tokenKeyKV)
	switch {
	case err == nil:
		s := string(raw)
		if secrets.IsSealed(s) {
			if kr == nil {
				return nil, errors.New("token key is sealed but no keyring was given")
			}
			return kr.Open(s)
		}
		return raw, nil
	case !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("reading token key: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generating token key: %w", err)
	}
	stored := key
	if kr != nil {
		s, err := kr.Seal(key)
		if err != nil {
			return nil, err
		}
		stored = []byte(s)
	}
	if err := st.PutKV(ctx, tokenKeyKV, stored); err != nil {
		return nil, fmt.Errorf("storing token key: %w", err)
	}
	return key, nil
}

// Tokens are "cl1.<base64url(clientID|expiryUnix|nonce)>.<base64url(hmac)>".
const tokenPrefix = "cl1."

func (s *Server) issueToken(clientID string, now time.Time) (string, time.Time) {
	exp := now.Add(s.cfg.TokenTTL)
	payload := clientID + "|" + strconv.FormatInt(exp.Unix(), 10) + "|" + randomString(9)
	p := base64.RawURLEncoding.EncodeToString([]byte(payload))
	return tokenPrefix + p + "." + s.sign(p), exp
}

func (s *Server) sign(p string) string {
	m := hmac.New(sha256.New, s.tokenKey)
	m.Write([]byte(tokenPrefix))
	m.Write([]byte(p))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// verifyToken returns the client id of a valid, unexpired token.
func (s *Server) verifyToken(tok string) (string, error) {
	if !strings.HasPrefix(tok, tokenPrefix) {
		return "", errors.New("malformed token")
	}
	p, sig, ok := strings.Cut(tok[len(tokenPrefix):], ".")
	if !ok {
		return "", errors.New("malformed token")
	}
	if subtle.ConstantTimeCompare([]byte(sig), []byte(s.sign(p))) != 1 {
		return "", errors.New("invalid token signature")
	}
	raw, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return "", errors.New("malformed token")
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 3 {
		return "", errors.New("malformed token")
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return "", errors.New("malformed token")
	}
	if !s.now().Before(time.Unix(exp, 0)) {
		return "", errors.New("the token has expired")
	}
	return parts[0], nil
}

type ctxKey int

const clientKey ctxKey = 0

// ClientID returns the authenticated client id of a request ("" if none).
func ClientID(ctx context.Context) string {
	s, _ := ctx.Value(clientKey).(string)
	return s
}

// authenticate checks the bearer token or the session cookie.
func (s *Server) authenticate(r *http.Request) (string, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return "", errors.New("the Authorization header must be 'Bearer <token>'")
		}
		return s.verifyToken(strings.TrimSpace(tok))
	}
	if c, err := r.Cookie(SessionCookieName); err == nil {
		return s.verifyToken(c.Value)
	}
	return "", errNoCredentials
}

var errNoCredentials = errors.New("no credentials")

// Authenticate reports whether the request carries a valid bearer token or
// session cookie (for the web UI's own pages).
func (s *Server) Authenticate(r *http.Request) bool {
	_, err := s.authenticate(r)
	return err == nil
}

func (s *Server) requireAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := s.authenticate(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="/`+s.tenantSegment()+`/oauth2/v2.0/token", error="invalid_token"`)
			if errors.Is(err, errNoCredentials) {
				w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="/`+s.tenantSegment()+`/oauth2/v2.0/token"`)
				apierr.Write(w, apierr.New(http.StatusUnauthorized, "AuthenticationFailed", "", "authentication failed: the request has no bearer token"))
				return
			}
			apierr.Write(w, apierr.New(http.StatusUnauthorized, "InvalidAuthenticationToken", "", "the access token is invalid: %v", err))
			return
		}
		if ri := reqInfoFrom(r.Context()); ri != nil {
			ri.client = id
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientKey, id)))
	})
}

func (s *Server) tenantSegment() string {
	if s.cfg.Tenant != "" {
		return s.cfg.Tenant
	}
	return "common"
}

// entraError writes Entra ID's OAuth2 error shape.
func (s *Server) entraError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"error":             code,
		"error_description": desc,
		"error_codes":       []int{},
		"timestamp":         s.now().UTC().Format("2006-01-02 15:04:05Z"),
	})
}

// clientCredentials reads client_id/client_secret from the form or from a
// Basic Authorization header (RFC 6749 §2.3.1).
func clientCredentials(r *http.Request) (string, string) {
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok && secret == "" {
		uid, err1 := url.QueryUnescape(u)
		pw, err2 := url.QueryUnescape(p)
		if err1 == nil && err2 == nil {
			return uid, pw
		}
	}
	return id, secret
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	tenant := pathParam(r, "tenant")
	if s.cfg.Tenant != "" && !strings.EqualFold(tenant, s.cfg.Tenant) {
		s.entraError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("Tenant '%s' not found.", tenant))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.entraError(w, http.StatusBadRequest, "invalid_request", "The request body must be application/x-www-form-urlencoded.")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		s.entraError(w, http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("The grant type %q is not supported; use client_credentials.", gt))
		return
	}
	id, secret := clientCredentials(r)
	if id == "" {
		s.entraError(w, http.StatusBadRequest, "invalid_request", "The request body must contain the parameter 'client_id'.")
		return
	}
	if secret == "" {
		s.entraError(w, http.StatusUnauthorized, "invalid_client", "The request body must contain the parameter 'client_secret'.")
		return
	}
	ok, err := s.deps.Clients.Verify(r.Context(), id, secret)
	if err != nil {
		s.log.Error("verifying client", "client", id, "err", err)
		s.entraError(w, http.StatusInternalServerError, "server_error", "The credentials could not be checked.")
		return
	}
	if !ok {
		s.entraError(w, http.StatusUnauthorized, "invalid_client", "Invalid client secret provided, or unknown client.")
		return
	}
	tok, exp := s.issueToken(id, s.now())
	if ri := reqInfoFrom(r.Context()); ri != nil {
		ri.client = id
	}
	secs := int64(exp.Sub(s.now()).Seconds())
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"token_type":     "Bearer",
		"expires_in":     secs,
		"ext_expires_in": secs,
		"access_token":   tok,
	})
}

// handleOpenIDConfig answers MSAL's tenant discovery so that Azure SDK
// clients can use this server as their authority host.
func (s *Server) handleOpenIDConfig(w http.ResponseWriter, r *http.Request) {
	tenant := pathParam(r, "tenant")
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	base := scheme + "://" + r.Host + "/" + tenant
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"issuer":                                base + "/v2.0",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "client_secret_basic"},
		"response_types_supported":              []string{"token"},
		"grant_types_supported":                 []string{"client_credentials"},
	})
}

// handleLogin serves /login: with a web UI mounted, the UI handles it (its
// page and form, through Sessions); otherwise POST /login takes form fields
// client_id, client_secret and optional next (a local path), sets the
// session cookie and redirects (303) to next or "/", or to
// /login?error=invalid on failure.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if h := s.currentWeb(); h != nil {
		h.ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		apierr.Write(w, apierr.New(http.StatusMethodNotAllowed, "MethodNotAllowed", "", "POST client_id and client_secret to /login"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil || !s.login(r.Context(), w, r, r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")) {
		http.Redirect(w, r, "/login?error=invalid", http.StatusSeeOther)
		return
	}
	next := r.PostForm.Get("next")
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// handleLogout clears the session cookie.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if h := s.currentWeb(); h != nil {
		h.ServeHTTP(w, r)
		return
	}
	clearSession(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
