// Package secrets keeps connector credentials encrypted at rest and out of
// responses and logs.
//
// It implements SPEC §3 ("no secret in GET responses"), §8 ("structured logs
// with secrets redacted") and the auth shapes of reference/ccf-format.md §2.3:
//
//   - Keyring: one 32-byte AES-256-GCM key in <data>/secret.key (mode 0600);
//     Seal/Open turn a plaintext into "enc:v1:<base64(nonce|ciphertext)>" and
//     back, detecting tampering.
//   - IsSecretKey / SealJSON / OpenJSON / RedactJSON: walk decoded JSON
//     (map[string]any / []any) and act on secret-valued strings inside any
//     "auth" object (at any depth, so stepCollectorConfigs.*.auth too) and on
//     the value/defaultValue of objects typed "securestring".
//   - ReplaceAttr / Redacted: slog helpers that never print secret values.
//
// Values that are ARM expressions ("[parameters('x')]", "[[...]") or
// packaging placeholders ("{{x}}") are references, not secrets, and are left
// as they are so that they can be resolved later and shown to authors.
//
// It does not manage key rotation (the "v1" prefix leaves room for it) and
// does not decide which resources are stored; the control plane calls it. We
// use the standard library's crypto/aes + crypto/cipher rather than a library
// because GCM with a random nonce is all that is needed.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Prefix marks a sealed value.
const Prefix = "enc:v1:"

// KeyFile is the key's file name inside the data directory.
const KeyFile = "secret.key"

// Keyring seals and opens secret values. It is safe for concurrent use.
type Keyring struct {
	aead cipher.AEAD
}

// NewKeyring builds a keyring from a 32-byte key.
func NewKeyring(key []byte) (*Keyring, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("creating keyring: key is %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("creating keyring: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("creating keyring: %w", err)
	}
	return &Keyring{aead: aead}, nil
}

// LoadOrCreateKey reads <dataDir>/secret.key, creating it (32 random bytes,
// mode 0600, directory created 0700) when absent. A key file of the wrong
// size or readable by others is an error rather than silently replaced.
func LoadOrCreateKey(dataDir string) (*Keyring, error) {
	path := filepath.Join(dataDir, KeyFile)
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("creating data directory: %w", err)
		}
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("generating secret key: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			if errors.Is(err, fs.ErrExist) { // lost a race with another process: use its key
				return LoadOrCreateKey(dataDir)
			}
			return nil, fmt.Errorf("writing secret key: %w", err)
		}
		_, wErr := f.Write(key)
		cErr := f.Close()
		if wErr != nil || cErr != nil {
			return nil, fmt.Errorf("writing secret key %s: %w", path, errors.Join(wErr, cErr))
		}
		return NewKeyring(key)
	}
	if err != nil {
		return nil, fmt.Errorf("reading secret key: %w", err)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secret key %s has mode %v; want 0600", path, st.Mode().Perm())
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("secret key %s is %d bytes, want 32", path, len(key))
	}
	return NewKeyring(key)
}

// Seal encrypts plaintext and returns Prefix + base64(nonce|ciphertext).
func (k *Keyring) Seal(plaintext []byte) (string, error) {
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("sealing: %w", err)
	}
	out := k.aead.Seal(nonce, nonce, plaintext, []byte(Prefix))
	return Prefix + base64.RawStdEncoding.EncodeToString(out), nil
}

// IsSealed reports whether s looks like a Seal output.
func IsSealed(s string) bool { return strings.HasPrefix(s, Prefix) }

// Open decrypts a Seal output; a value not produced by this key, or altered,
// is an error.
func (k *Keyring) Open(sealed string) ([]byte, error) {
	if !IsSealed(sealed) {
		return nil, errors.New("opening secret: not a sealed value (missing enc:v1: prefix)")
	}
	raw, err := base64.RawStdEncoding.DecodeString(sealed[len(Prefix):])
	if err != nil {
		return nil, fmt.Errorf("opening secret: bad encoding: %w", err)
	}
	ns := k.aead.NonceSize()
	if len(raw) < ns+k.aead.Overhead() {
		return nil, errors.New("opening secret: value too short")
	}
	pt, err := k.aead.Open(nil, raw[:ns], raw[ns:], []byte(Prefix))
	if err != nil {
		return nil, errors.New("opening secret: authentication failed (wrong key or tampered value)")
	}
	return pt, nil
}
