// Package server is Codeless's HTTP plumbing: one chi router on one listener
// serving the OAuth2 client-credentials token endpoint, bearer-token and
// session-cookie authentication, the ARM-style management API (delegated to
// a Control implementation), the Logs Ingestion endpoint (ingest.Pipeline),
// the Log Analytics-shaped query API (kql/sqlgen over the store), /healthz,
// /metrics and the web UI mount.
//
// It implements SPEC §2 (one listener), §3 (resources and APIs,
// authentication) and the HTTP side of §8. Handlers return values or errors;
// one wrapper (internal/apierr) renders every error in ARM's envelope.
//
// Decisions (see docs/server.md): access tokens are HMAC-SHA256-signed
// opaque strings ("cl1.<payload>.<sig>") carrying client id and expiry, keyed
// by a random key kept in the state store (sealed with the secrets keyring
// when one is given), so tokens survive restarts and need no lookup; client
// secrets are stored as bcrypt hashes only; the web UI session cookie holds
// the same token (HttpOnly, SameSite=Lax). The query API's timespan is
// applied by shadowing every referenced table that has TimeGenerated with a
// CTE of the same name filtered to the range (see query.go).
//
// It does not implement resource semantics (Control does), ingestion
// (internal/ingest), KQL (internal/kql) or UI pages (internal/web), and does
// not terminate TLS (the caller's http.Server does).
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/codeless/codeless/internal/apierr"
	"github.com/codeless/codeless/internal/health"
	"github.com/codeless/codeless/internal/ingest"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/secrets"
	"github.com/codeless/codeless/internal/store"
)

// Control is the management plane the ARM routes call. Errors should be
// *apierr.APIError (with Target = JSON path at fault) or wrap
// store.ErrNotFound.
type Control interface {
	PutResource(ctx context.Context, kind resource.Kind, name string, body []byte, ifMatch string) (out []byte, created bool, err error)
	GetResource(ctx context.Context, kind resource.Kind, name string) ([]byte, error) // already redacted
	ListResources(ctx context.Context, kind resource.Kind) ([][]byte, error)
	DeleteResource(ctx context.Context, kind resource.Kind, name string, ifMatch string) error
	Deploy(ctx context.Context, name string, body []byte) ([]byte, error)
}

// Config configures the server.
type Config struct {
	Subscription  string // default 00000000-0000-0000-0000-000000000000
	ResourceGroup string // default "codeless"
	Workspace     string // default "codeless"
	WorkspaceID   string // workspace GUID (customerId)
	Tenant        string // "" accepts any tenant segment on the token endpoint
	TokenTTL      time.Duration
	Logger        *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// SecureCookies marks the session cookie Secure even without TLS on this
	// listener (behind a TLS-terminating proxy).
	SecureCookies bool
	// QueryTimeout bounds one query (default 3 minutes).
	QueryTimeout time.Duration
	// MaxARMBodyBytes bounds PUT bodies (default 32 MB; templates are large).
	MaxARMBodyBytes int64
}

// Deps are the server's collaborators.
type Deps struct {
	Store    store.Store
	Pipeline *ingest.Pipeline
	Control  Control
	Metrics  *health.Metrics
	Web      http.Handler // mounted at / (may be nil)
	Clients  ClientStore  // default: KVClients over Store
	Keyring  *secrets.Keyring
}

// Server is the HTTP server's handler tree.
type Server struct {
	cfg      Config
	deps     Deps
	log      *slog.Logger
	now      func() time.Time
	tokenKey []byte
	handler  http.Handler
	web      webHandler
}

// DefaultSubscription is the default subscription id.
const DefaultSubscription = "00000000-0000-0000-0000-000000000000"

// New builds the server. It reads (or creates) the token signing key in the
// state store.
func New(cfg Config, deps Deps) (*Server, error) {
	if deps.Store == nil {
		return nil, errors.New("creating server: a store is required")
	}
	if cfg.Subscription == "" {
		cfg.Subscription = DefaultSubscription
	}
	if cfg.ResourceGroup == "" {
		cfg.ResourceGroup = "codeless"
	}
	if cfg.Workspace == "" {
		cfg.Workspace = "codeless"
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.QueryTimeout <= 0 {
		cfg.QueryTimeout = 3 * time.Minute
	}
	if cfg.MaxARMBodyBytes <= 0 {
		cfg.MaxARMBodyBytes = 32 << 20
	}
	if deps.Clients == nil {
		deps.Clients = NewKVClients(deps.Store)
	}
	key, err := loadTokenKey(context.Background(), deps.Store, deps.Keyring)
	if err != nil {
		return nil, fmt.Errorf("creating server: %w", err)
	}
	s := &Server{cfg: cfg, deps: deps, log: cfg.Logger.With("component", "server"), now: cfg.Now, tokenKey: key}
	s.SetWeb(deps.Web)
	s.handler = s.routes()
	return s, nil
}

// Handler returns the root handler.
func (s *Server) Handler() http.Handler { return s.handler }

func pathParam(r *http.Request, name string) string { return chi.URLParam(r, name) }

func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(s.logRequests, s.recoverer)
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		apierr.Write(w, apierr.New(http.StatusMethodNotAllowed, "MethodNotAllowed", "", "method %s is not allowed on %s", r.Method, r.URL.Path))
	})

	// Public routes.
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
	})
	r.Post("/{tenant}/oauth2/v2.0/token", s.handleToken)
	r.Get("/{tenant}/v2.0/.well-known/openid-configuration", s.handleOpenIDConfig)
	r.HandleFunc("/login", s.handleLogin)
	r.HandleFunc("/logout", s.handleLogout)

	// Authenticated API.
	r.Group(func(r chi.Router) {
		r.Use(s.requireAuth)
		if s.deps.Metrics != nil {
			r.Handle("/metrics", s.deps.Metrics.Handler())
		}
		if s.deps.Pipeline != nil {
			r.Handle("/dataCollectionRules/*", s.deps.Pipeline.Handler())
		}
		r.HandleFunc("/subscriptions/*", s.handleARM)
		r.HandleFunc("/v1/workspaces/{workspace}/query", s.handleQuery)
	})

	// Everything else: the web UI (which protects its pages with its own
	// session check through Authenticate) or an ARM-style 404.
	notFound := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apierr.Write(w, apierr.New(http.StatusNotFound, "NotFound", "", "no route for %s %s", r.Method, r.URL.Path))
	})
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := s.currentWeb(); h != nil {
			h.ServeHTTP(w, r)
			return
		}
		notFound(w, r)
	})
	r.Handle("/*", web)
	r.Handle("/", web)
	r.NotFound(web)
	return r
}

type reqInfo struct {
	status int
	bytes  int64
	client string
}

type reqInfoKey struct{}

func reqInfoFrom(ctx context.Context) *reqInfo {
	ri, _ := ctx.Value(reqInfoKey{}).(*reqInfo)
	return ri
}

type statusWriter struct {
	http.ResponseWriter
	ri *reqInfo
}

func (w *statusWriter) WriteHeader(code int) {
	if w.ri.status == 0 {
		w.ri.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.ri.status == 0 {
		w.ri.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.ri.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests writes one structured log line per request: method, path (no
// query string: it may carry KQL or tokens), status, size, duration, client.
// Headers and bodies are never logged.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.now()
		ri := &reqInfo{}
		sw := &statusWriter{ResponseWriter: w, ri: ri}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), reqInfoKey{}, ri)))
		if ri.status == 0 {
			ri.status = http.StatusOK
		}
		level := slog.LevelInfo
		if ri.status >= 500 {
			level = slog.LevelError
		} else if r.URL.Path == "/healthz" || strings.HasPrefix(r.URL.Path, "/dataCollectionRules/") && ri.status < 400 {
			level = slog.LevelDebug
		}
		s.log.LogAttrs(r.Context(), level, "http request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", ri.status),
			slog.Int64("bytes", ri.bytes), slog.Duration("duration", s.now().Sub(start)),
			slog.String("client", ri.client), slog.String("remote", r.RemoteAddr))
	})
}

// recoverer turns a handler panic (a bug) into a 500 without leaking it.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("handler panic", "path", r.URL.Path, "panic", fmt.Sprint(v))
				apierr.Write(w, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}
