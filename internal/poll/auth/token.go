package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Token is the state of a token-based authenticator. OAuth2 persists it
// through a TokenStore after every grant, so that a rotated refresh token
// survives a restart.
type Token struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken,omitempty"`
	// Issued and Expiry bound the access token's life; a zero Expiry means
	// unknown (the token is used until a 401).
	Issued time.Time `json:"issued,omitzero"`
	Expiry time.Time `json:"expiry,omitzero"`
	// CodeHash is the SHA-256 (hex) of the authorization code this state
	// was obtained with; a different code supplied at connect time starts
	// over with a new exchange.
	CodeHash string `json:"codeHash,omitempty"`
}

// TokenStore persists token state. Save must replace the whole record
// atomically (one KV put): the refresh token and the access token are
// written together or not at all. Tokens are secrets; the runtime's store
// keeps them encrypted like other connection secrets.
type TokenStore interface {
	// Load returns the saved state for key; ok is false when there is none.
	Load(ctx context.Context, key string) (t Token, ok bool, err error)
	// Save replaces the state for key.
	Save(ctx context.Context, key string, t Token) error
}

// MemoryTokenStore is an in-process TokenStore (tests, codeless test).
type MemoryTokenStore struct {
	mu    sync.Mutex
	m     map[string]Token
	saves int
}

// NewMemoryTokenStore returns an empty store.
func NewMemoryTokenStore() *MemoryTokenStore { return &MemoryTokenStore{m: map[string]Token{}} }

// Load implements TokenStore.
func (s *MemoryTokenStore) Load(_ context.Context, key string) (Token, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.m[key]
	return t, ok, nil
}

// Save implements TokenStore.
func (s *MemoryTokenStore) Save(_ context.Context, key string, t Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = t
	s.saves++
	return nil
}

// Saves returns how many times Save was called.
func (s *MemoryTokenStore) Saves() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saves
}

// TokenError is a failed token, login or refresh request. Status is the
// HTTP status (0 for network errors); Code is the OAuth2 "error" value when
// the endpoint gave one. The message never contains secrets.
type TokenError struct {
	Type   string // auth type, e.g. "OAuth2"
	Status int
	Code   string
	msg    string
	err    error
}

func (e *TokenError) Error() string { return e.msg }
func (e *TokenError) Unwrap() error { return e.err }

// Temporary reports whether retrying later may help (network errors, 5xx,
// 429); otherwise the credentials or the configuration are wrong.
func (e *TokenError) Temporary() bool {
	return e.Status == 0 || e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// maxRefreshMargin is how long before expiry a token is renewed; tokens
// that live shorter are renewed after three quarters of their life.
const maxRefreshMargin = time.Minute

// tokenCache holds one access token, lets one goroutine fetch at a time and
// renews before expiry. fetch gets the current state (possibly stale or
// empty) and returns the new one.
type tokenCache struct {
	now   func() time.Time
	fetch func(ctx context.Context, cur Token) (Token, error)
	sem   chan struct{}

	mu    sync.Mutex
	tok   Token
	valid bool
	// gen counts finished fetches; lastErr is the error of the last one
	// (nil after a success), shared with the callers that waited for it.
	gen     uint64
	lastErr error
}

func newTokenCache(now func() time.Time, fetch func(ctx context.Context, cur Token) (Token, error)) *tokenCache {
	return &tokenCache{now: now, fetch: fetch, sem: make(chan struct{}, 1)}
}

// fresh reports whether t can be used at now.
func fresh(t Token, now time.Time) bool {
	if t.AccessToken == "" {
		return false
	}
	if t.Expiry.IsZero() {
		return true
	}
	margin := maxRefreshMargin
	if !t.Issued.IsZero() {
		if life := t.Expiry.Sub(t.Issued); life/4 < margin {
			margin = life / 4
		}
	}
	return now.Before(t.Expiry.Add(-margin))
}

func (c *tokenCache) current() (Token, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tok, c.valid && fresh(c.tok, c.now())
}

// get returns a usable token, fetching one when needed. Concurrent callers
// wait for the one fetch in progress instead of starting their own.
func (c *tokenCache) get(ctx context.Context) (Token, error) {
	if t, ok := c.current(); ok {
		return t, nil
	}
	c.mu.Lock()
	gen := c.gen
	c.mu.Unlock()
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return Token{}, ctx.Err()
	}
	defer func() { <-c.sem }()
	if t, ok := c.current(); ok {
		return t, nil
	}
	c.mu.Lock()
	cur := c.tok
	if c.gen != gen && c.lastErr != nil {
		// The fetch we waited for failed: report its error instead of
		// hammering the token endpoint once per waiting caller.
		err := c.lastErr
		c.mu.Unlock()
		return Token{}, err
	}
	c.mu.Unlock()
	nt, err := c.fetch(ctx, cur)
	if err == nil && nt.AccessToken == "" {
		err = errors.New("auth: token endpoint returned an empty token")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ctx.Err() == nil { // a caller's cancellation is not the source's fault
		c.gen++
		c.lastErr = err
	}
	if err != nil {
		return Token{}, err
	}
	c.tok, c.valid = nt, true
	return nt, nil
}

// invalidate marks the token unusable when match(current) is true. The
// state (refresh token) is kept for the next fetch.
func (c *tokenCache) invalidate(match func(Token) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.valid && (match == nil || match(c.tok)) {
		c.valid = false
	}
}

// snapshot returns the current state, valid or not.
func (c *tokenCache) snapshot() Token {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tok
}

// prependToken renders "<prefix> <token>" ("" prefix = the raw token).
func prependToken(prefix, token string) string {
	prefix = strings.TrimSpace(prefix)
	if prefix == "" {
		return token
	}
	return prefix + " " + token
}

// redact replaces every secret in s with "***".
func redact(s string, secrets ...string) string {
	for _, x := range secrets {
		if len(x) >= 4 {
			s = strings.ReplaceAll(s, x, "***")
		}
	}
	return s
}

// clip shortens s for an error message.
func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func tokenErr(typ string, status int, code, format string, args ...any) *TokenError {
	return &TokenError{Type: typ, Status: status, Code: code, msg: fmt.Sprintf(format, args...)}
}
