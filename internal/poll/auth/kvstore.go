package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/codeless/codeless/internal/secrets"
	"github.com/codeless/codeless/internal/store"
)

// KV is the part of store.State a KVTokenStore uses.
type KV interface {
	GetKV(ctx context.Context, key string) ([]byte, error)
	PutKV(ctx context.Context, key string, value []byte) error
}

// KVTokenStore is the TokenStore the runtime uses: one KV entry per
// connection ("oauth2token/<key>"), the Token as JSON sealed with the data
// directory's keyring (tokens are secrets at rest like connection
// secrets). One PutKV replaces the whole record, so the access and the
// rotated refresh token are written together.
type KVTokenStore struct {
	KV KV
	// Keyring seals the record; nil stores it in clear (tests only).
	Keyring *secrets.Keyring
}

func kvKey(key string) string { return "oauth2token/" + key }

// Load implements TokenStore.
func (s KVTokenStore) Load(ctx context.Context, key string) (Token, bool, error) {
	b, err := s.KV.GetKV(ctx, kvKey(key))
	if errors.Is(err, store.ErrNotFound) {
		return Token{}, false, nil
	}
	if err != nil {
		return Token{}, false, err
	}
	if s.Keyring != nil {
		if b, err = s.Keyring.Open(string(b)); err != nil {
			return Token{}, false, fmt.Errorf("opening the sealed token: %w", err)
		}
	}
	var t Token
	if err := json.Unmarshal(b, &t); err != nil {
		return Token{}, false, fmt.Errorf("decoding the saved token: %w", err)
	}
	return t, true, nil
}

// Save implements TokenStore.
func (s KVTokenStore) Save(ctx context.Context, key string, t Token) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	if s.Keyring != nil {
		sealed, err := s.Keyring.Seal(b)
		if err != nil {
			return fmt.Errorf("sealing the token: %w", err)
		}
		b = []byte(sealed)
	}
	return s.KV.PutKV(ctx, kvKey(key), b)
}
