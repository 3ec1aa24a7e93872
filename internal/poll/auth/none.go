package auth

import (
	"net/http"

	"github.com/codeless/codeless/internal/resource"
)

// NoneConfig is auth type None (no fields).
type NoneConfig struct{}

// Validate always succeeds.
func (NoneConfig) Validate() error { return nil }

// None sends no credentials.
type None struct{}

// NewNone returns the no-op authenticator.
func NewNone(NoneConfig) (*None, error) { return &None{}, nil }

func newNoneFrom(resource.Auth, Options) (Authenticator, error) { return NewNone(NoneConfig{}) }

// Apply does nothing.
func (*None) Apply(*http.Request) error { return nil }

// Secrets returns nothing.
func (*None) Secrets() []string { return nil }
