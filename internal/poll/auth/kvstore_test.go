package auth

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/secrets"
	"github.com/codeless/codeless/internal/store"
)

type mapKV map[string][]byte

func (m mapKV) GetKV(_ context.Context, k string) ([]byte, error) {
	v, ok := m[k]
	if !ok {
		return nil, fmt.Errorf("key %q: %w", k, store.ErrNotFound)
	}
	return v, nil
}

func (m mapKV) PutKV(_ context.Context, k string, v []byte) error {
	m[k] = v
	return nil
}

func TestKVTokenStore(t *testing.T) {
	kr, err := secrets.NewKeyring(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	kv := mapKV{}
	s := KVTokenStore{KV: kv, Keyring: kr}
	if _, ok, err := s.Load(ctx, "c1"); ok || err != nil {
		t.Fatalf("empty store: ok=%v err=%v", ok, err)
	}
	want := Token{AccessToken: "at-secret", RefreshToken: "rt-secret", Issued: time.Unix(100, 0).UTC(), Expiry: time.Unix(3700, 0).UTC(), CodeHash: "h"}
	if err := s.Save(ctx, "c1", want); err != nil {
		t.Fatal(err)
	}
	raw := kv["oauth2token/c1"]
	if bytes.Contains(raw, []byte("rt-secret")) || bytes.Contains(raw, []byte("at-secret")) {
		t.Fatalf("token stored in clear: %s", raw)
	}
	got, ok, err := s.Load(ctx, "c1")
	if err != nil || !ok || got != want {
		t.Fatalf("got %+v ok=%v err=%v", got, ok, err)
	}
	kv["oauth2token/c2"] = []byte("garbage")
	if _, _, err := s.Load(ctx, "c2"); err == nil {
		t.Fatal("garbage record loaded")
	}
}
