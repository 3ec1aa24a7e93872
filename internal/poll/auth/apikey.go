package auth

import (
	"errors"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/codeless/codeless/internal/resource"
)

// APIKeyConfig is auth type APIKey (reference/ccf-format.md §2.3.3).
type APIKeyConfig struct {
	APIKey string
	// Name is the header name; nil = absent (Authorization).
	Name *string
	// Identifier is the prefix before the key; nil = absent.
	Identifier *string
	// InPostPayload sends no header; the key goes into the body through
	// the {_APIKeyName}/{_APIKey} template variables.
	InPostPayload bool
}

// Validate checks the required fields.
func (c APIKeyConfig) Validate() error {
	var errs []error
	if c.APIKey == "" {
		errs = append(errs, errors.New("auth.apiKey: required for APIKey auth"))
	}
	if c.Name != nil && strings.ContainsAny(*c.Name, " \t\r\n:") {
		errs = append(errs, errors.New("auth.apiKeyName: not a valid header name"))
	}
	return errors.Join(errs...)
}

// APIKey sends the key in a header (SPEC §4): header ApiKeyName (default
// Authorization); the default identifier "token" applies only when the header
// is Authorization and no identifier is given; an explicit empty identifier,
// or a custom header without identifier, sends the raw key. An explicit
// empty ApiKeyName means Authorization.
type APIKey struct {
	header string
	value  string
	c      APIKeyConfig
}

// NewAPIKey validates c and returns the authenticator.
func NewAPIKey(c APIKeyConfig) (*APIKey, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	header := "Authorization"
	if c.Name != nil && strings.TrimSpace(*c.Name) != "" {
		header = strings.TrimSpace(*c.Name)
	}
	isAuthz := textproto.CanonicalMIMEHeaderKey(header) == "Authorization"
	prefix := ""
	switch {
	case c.Identifier != nil:
		prefix = *c.Identifier
	case isAuthz:
		prefix = "token"
	}
	value := c.APIKey
	if prefix != "" {
		// Identifiers ending in "=" (e.g. "access_token=") are glued on.
		if strings.HasSuffix(prefix, "=") {
			value = prefix + c.APIKey
		} else {
			value = prefix + " " + c.APIKey
		}
	}
	return &APIKey{header: header, value: value, c: c}, nil
}

func newAPIKeyFrom(a resource.Auth, _ Options) (Authenticator, error) {
	return NewAPIKey(APIKeyConfig{APIKey: a.APIKey, Name: a.APIKeyName, Identifier: a.APIKeyIdentifier, InPostPayload: a.IsAPIKeyInPostPayload})
}

// Header returns the header name and value Apply sets.
func (k *APIKey) Header() (name, value string) { return k.header, k.value }

// Apply sets the header unless the key travels in the POST payload.
func (k *APIKey) Apply(req *http.Request) error {
	if k.c.InPostPayload {
		return nil
	}
	req.Header.Set(k.header, k.value)
	return nil
}

// Secrets returns the key.
func (k *APIKey) Secrets() []string { return []string{k.c.APIKey} }

// TemplateVars returns _APIKeyName and _APIKey for queryParametersTemplate.
func (k *APIKey) TemplateVars() map[string]string {
	name := ""
	if k.c.Name != nil {
		name = *k.c.Name
	}
	return map[string]string{"_APIKeyName": name, "_APIKey": k.c.APIKey}
}
