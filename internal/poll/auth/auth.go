// Package auth turns a connection's properties.auth into an Authenticator
// that decorates outbound requests (SPEC §4 "Auth", reference/ccf-format.md
// §2.3).
//
// One file per auth type; each type has a config struct with Validate() and a
// constructor, and the registry map below is the only place that lists them
// (no init()). Implemented: Basic, APIKey, None, OAuth2 (client_credentials,
// authorization_code, password, refresh_token), JwtToken, Session and the
// vendor request signers CiscoDuo (Duo Admin API HMAC) and AliCloudSlsV1
// (Alibaba Cloud SLS signature v1). GitHub, AWS, GCP, ServiceBus, Oracle and
// ServicePrincipal belong to other connector kinds and are rejected with a
// named "unsupported for RestApiPoller polling" error. Types are matched
// case-insensitively, and so are the keys inside auth (the corpus spells
// them every way).
//
// Token types (OAuth2, JwtToken, Session) fetch lazily on the first Apply,
// never in the constructor, so New does no I/O and can run at lint time.
// They refresh before expiry, let one goroutine fetch at a time, and
// implement Invalidator so that the runner can re-mint once after a 401.
// OAuth2 persists its tokens (rotated refresh tokens included) through the
// TokenStore in Options (KVTokenStore in the runtime). Decisions are in
// docs/auth.md.
//
// We write the OAuth2 client ourselves instead of using golang.org/x/oauth2
// because CCF needs things that package does not model: extra token-endpoint
// headers and parameters, per-connection credential placement, a single
// persisted state that survives restarts, conditional invalidation after a
// 401, and an injected clock. The vendor signers follow the vendors'
// published descriptions and are tested against their published examples.
//
// Secrets (configured ones and the tokens obtained) are exposed through
// Secrets() so that callers can redact them; this package never logs them
// and never puts them in errors.
package auth

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/codeless/codeless/internal/resource"
)

// Authenticator decorates a request with credentials. Implementations that
// fetch tokens use req.Context() for cancellation.
type Authenticator interface {
	Apply(req *http.Request) error
	// Secrets lists the credential values to redact from logs and traces.
	Secrets() []string
}

// Invalidator is implemented by token-based authenticators (OAuth2,
// JwtToken, Session). After a 401 the runner calls Invalidate with the
// request that was rejected and retries once with a freshly applied
// request. Invalidate drops the cached token only when failed carries the
// current token, so that many parallel requests failing with the same
// stale token cause one re-mint, not one each. A nil failed drops the
// token unconditionally.
type Invalidator interface {
	Invalidate(failed *http.Request)
}

// TemplateVarser is implemented by authenticators that contribute request
// template variables (APIKey in the POST payload: _APIKeyName, _APIKey).
type TemplateVarser interface {
	TemplateVars() map[string]string
}

// TemplateVars returns a's template variables (nil when it has none).
func TemplateVars(a Authenticator) map[string]string {
	if tv, ok := a.(TemplateVarser); ok {
		return tv.TemplateVars()
	}
	return nil
}

// Options carries what token-fetching and signing types need from the
// runtime. The zero value works: http.DefaultClient, time.Now, an
// in-memory token store.
type Options struct {
	// Client is the HTTP client used for token and login requests.
	Client *http.Client
	// Now is the clock (token expiry, signature dates).
	Now func() time.Time
	// Store persists OAuth2 token state across restarts; the runtime backs
	// it with the store's KV. Nil = in memory only.
	Store TokenStore
	// StoreKey names this connection's entry in Store (e.g. the
	// connection's resource id). Required when Store is set and several
	// connections share it.
	StoreKey string
}

func (o Options) withDefaults() Options {
	if o.Client == nil {
		o.Client = http.DefaultClient
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Store == nil {
		o.Store = NewMemoryTokenStore()
	}
	return o
}

// constructor builds an Authenticator from the generic auth model.
type constructor func(a resource.Auth, o Options) (Authenticator, error)

// registry maps lower-cased auth.type values to constructors.
var registry = map[string]constructor{
	"basic":         newBasicFrom,
	"apikey":        newAPIKeyFrom,
	"none":          newNoneFrom,
	"oauth2":        newOAuth2From,
	"jwttoken":      newJwtTokenFrom,
	"session":       newSessionFrom,
	"ciscoduo":      newCiscoDuoFrom,
	"alicloudslsv1": newAliCloudSlsV1From,
}

// Types lists the supported auth types (lower case, sorted).
func Types() []string {
	out := make([]string, 0, len(registry))
	for k := range registry {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// New builds the Authenticator for a with default Options and the given
// HTTP client. Errors name the JSON path below properties
// ("auth.userName: required").
func New(a resource.Auth, client *http.Client) (Authenticator, error) {
	return NewWithOptions(a, Options{Client: client})
}

// NewWithOptions builds the Authenticator for a. It does no I/O.
func NewWithOptions(a resource.Auth, o Options) (Authenticator, error) {
	o = o.withDefaults()
	t := strings.TrimSpace(a.Type)
	if t == "" {
		// One corpus step spells it {"AuthType": "None"}.
		if s, ok := lookup(a.Fields, "authType").(string); ok {
			t = strings.TrimSpace(s)
		}
	}
	if t == "" {
		return nil, fmt.Errorf("auth.type: required")
	}
	c, ok := registry[strings.ToLower(t)]
	if !ok {
		if why, ok := unsupported[strings.ToLower(t)]; ok {
			return nil, fmt.Errorf("auth.type: unsupported auth type %q for RestApiPoller polling (%s)", a.Type, why)
		}
		return nil, fmt.Errorf("auth.type: unsupported auth type %q", t)
	}
	return c(a, o)
}

// tokenTimeout bounds a token or login request when the config gives none.
const tokenTimeout = 100 * time.Second

func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		d = tokenTimeout
	}
	return context.WithTimeout(ctx, d)
}
