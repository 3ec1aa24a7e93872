// Package auth turns a connection's properties.auth into an Authenticator
// that decorates outbound requests (SPEC §4 "APIKey", reference/ccf-format.md
// §2.3).
//
// One file per auth type; each type has a config struct with Validate() and a
// constructor, and the registry map below is the only place that lists them
// (no init()). Implemented: Basic, APIKey, None. OAuth2, JwtToken, Session
// and vendor types (CiscoDuo, AliCloudSlsV1) are not yet implemented and are
// rejected as unsupported. Types are matched case-insensitively. Secrets are
// exposed through Secrets() so that callers can redact them; they are never
// logged here.
package auth

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/codeless/codeless/internal/resource"
)

// Authenticator decorates a request with credentials. Implementations that
// fetch tokens use req.Context() for cancellation.
type Authenticator interface {
	Apply(req *http.Request) error
	// Secrets lists the credential values to redact from logs and traces.
	Secrets() []string
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

// constructor builds an Authenticator from the generic auth model. client is
// the HTTP client token-fetching types use.
type constructor func(a resource.Auth, client *http.Client) (Authenticator, error)

// registry maps lower-cased auth.type values to constructors.
var registry = map[string]constructor{
	"basic":  newBasicFrom,
	"apikey": newAPIKeyFrom,
	"none":   newNoneFrom,
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

// New builds the Authenticator for a. Errors name the JSON path below
// properties ("auth.userName: required").
func New(a resource.Auth, client *http.Client) (Authenticator, error) {
	if client == nil {
		client = http.DefaultClient
	}
	t := strings.TrimSpace(a.Type)
	if t == "" {
		return nil, fmt.Errorf("auth.type: required")
	}
	c, ok := registry[strings.ToLower(t)]
	if !ok {
		return nil, fmt.Errorf("auth.type: unsupported auth type %q", a.Type)
	}
	return c(a, client)
}
