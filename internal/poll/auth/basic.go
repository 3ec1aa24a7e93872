package auth

import (
	"errors"
	"net/http"

	"github.com/codeless/codeless/internal/resource"
)

// BasicConfig is auth type Basic.
type BasicConfig struct {
	UserName string
	Password string
}

// Validate checks the required fields.
func (c BasicConfig) Validate() error {
	var errs []error
	if c.UserName == "" {
		errs = append(errs, errors.New("auth.userName: required for Basic auth"))
	}
	// An empty password is legal for Basic auth (some APIs use key-as-user).
	return errors.Join(errs...)
}

// Basic sends "Authorization: Basic base64(user:password)".
type Basic struct{ c BasicConfig }

// NewBasic validates c and returns the authenticator.
func NewBasic(c BasicConfig) (*Basic, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &Basic{c: c}, nil
}

func newBasicFrom(a resource.Auth, _ Options) (Authenticator, error) {
	return NewBasic(BasicConfig{UserName: a.UserName, Password: a.Password})
}

// Apply sets the Authorization header.
func (b *Basic) Apply(req *http.Request) error {
	req.SetBasicAuth(b.c.UserName, b.c.Password)
	return nil
}

// Secrets returns the password (and the encoded header value).
func (b *Basic) Secrets() []string {
	r, _ := http.NewRequest("GET", "http://x", nil)
	r.SetBasicAuth(b.c.UserName, b.c.Password)
	enc := r.Header.Get("Authorization")[len("Basic "):]
	if b.c.Password == "" {
		return []string{enc}
	}
	return []string{b.c.Password, enc}
}
