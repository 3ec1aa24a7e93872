package secrets

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// secretKeys are the lower-case property names whose string values are
// secrets inside an auth object (reference/ccf-format.md §2.3 plus the
// vendor-specific auth types seen in the corpus: AliCloudSlsV1, CiscoDuo,
// Oracle).
var secretKeys = map[string]bool{
	"password":          true,
	"apikey":            true,
	"clientsecret":      true,
	"client_secret":     true,
	"secret":            true,
	"token":             true,
	"usertoken":         true,
	"accesstoken":       true,
	"access_token":      true,
	"refreshtoken":      true,
	"refresh_token":     true,
	"accesskeysecret":   true,
	"secretaccesskey":   true,
	"authorizationcode": true,
	"privatekey":        true,
	"pemfile":           true,
	"passphrase":        true,
	"sharedkey":         true,
	"connectionstring":  true,
	"authorization":     true, // header value, e.g. inside tokenEndpointHeaders
	"x-api-key":         true,
	"sessionid":         true,
}

// IsSecretKey reports whether a property (or header, or log attribute) named
// k holds a secret. Matching is exact and case-insensitive: apiKeyName and
// clientId are not secrets.
func IsSecretKey(k string) bool {
	return secretKeys[strings.ToLower(strings.TrimSpace(k))]
}

// IsReference reports whether s is an ARM expression or a packaging
// placeholder (a reference to a secret, not the secret itself).
func IsReference(s string) bool {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
		return true
	}
	return strings.HasPrefix(t, "{{") && strings.HasSuffix(t, "}}") && strings.Count(t, "{{") == 1
}

// Redaction is what RedactJSON puts in place of a secret.
const Redaction = "***"

// transform is applied to each secret string; it returns the replacement.
type transform func(path, s string) (any, error)

// walk copies v, applying f to secret strings. inAuth is true under an auth
// object; secretObj is true under a secret key whose value is an object
// ({key, value} credentials of JwtToken/Session).
func walk(v any, path string, inAuth, secretObj bool, f transform) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		secureString := false
		if t, ok := x["type"].(string); ok && strings.EqualFold(t, "securestring") {
			secureString = true
		}
		for k, val := range x {
			p := path + "." + k
			lk := strings.ToLower(k)
			var err error
			switch {
			case secureString && (lk == "value" || lk == "defaultvalue"):
				out[k], err = leaf(val, p, f)
			case secretObj && lk != "key":
				out[k], err = leaf(val, p, f)
			case inAuth && IsSecretKey(k):
				if _, isObj := val.(map[string]any); isObj {
					out[k], err = walk(val, p, true, true, f)
				} else {
					out[k], err = leaf(val, p, f)
				}
			default:
				out[k], err = walk(val, p, inAuth || lk == "auth", false, f)
			}
			if err != nil {
				return nil, err
			}
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			var err error
			if out[i], err = walk(e, fmt.Sprintf("%s[%d]", path, i), inAuth, secretObj, f); err != nil {
				return nil, err
			}
		}
		return out, nil
	case string:
		if IsSealed(x) { // a sealed value anywhere is handled as a secret
			return f(path, x)
		}
		return x, nil
	default:
		return v, nil
	}
}

// leaf applies f to a secret value: strings (not references, not empty) and
// recursively to objects/arrays of strings.
func leaf(v any, path string, f transform) (any, error) {
	switch x := v.(type) {
	case string:
		if x == "" || IsReference(x) {
			return x, nil
		}
		return f(path, x)
	case map[string]any, []any:
		return walk(v, path, true, true, f)
	default:
		return v, nil
	}
}

// SealJSON returns a copy of v with every secret string sealed (already sealed
// values are kept as they are).
func SealJSON(v any, k *Keyring) (any, error) {
	return walk(v, "$", false, false, func(path, s string) (any, error) {
		if IsSealed(s) {
			return s, nil
		}
		out, err := k.Seal([]byte(s))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return out, nil
	})
}

// OpenJSON returns a copy of v with every sealed string opened. A sealed
// value that does not open is an error naming its JSON path.
func OpenJSON(v any, k *Keyring) (any, error) {
	return walk(v, "$", false, false, func(path, s string) (any, error) {
		if !IsSealed(s) {
			return s, nil
		}
		pt, err := k.Open(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return string(pt), nil
	})
}

// RedactJSON returns a copy of v with every secret value (sealed or not)
// replaced by "***".
func RedactJSON(v any) any {
	out, _ := walk(v, "$", false, false, func(string, string) (any, error) { return Redaction, nil })
	return out
}

// ReplaceAttr is a slog.HandlerOptions.ReplaceAttr that hides attributes
// named like secrets and redacts secret values inside JSON-shaped attribute
// values (maps, slices).
func ReplaceAttr(_ []string, a slog.Attr) slog.Attr {
	if IsSecretKey(a.Key) {
		return slog.String(a.Key, Redaction)
	}
	if a.Value.Kind() == slog.KindString && IsSealed(a.Value.String()) {
		return slog.String(a.Key, Redaction)
	}
	if a.Value.Kind() == slog.KindAny {
		switch v := a.Value.Any().(type) {
		case map[string]any:
			return slog.Any(a.Key, redactAll(v))
		case []any:
			return slog.Any(a.Key, redactAll(v))
		}
	}
	return a
}

// redactAll treats the value as an auth object (log attributes rarely carry
// the "auth" key above them).
func redactAll(v any) any {
	out, _ := walk(v, "$", true, false, func(string, string) (any, error) { return Redaction, nil })
	return out
}

// Redacted wraps a JSON-shaped value so that slog prints it redacted.
func Redacted(v any) slog.LogValuer { return redacted{v} }

type redacted struct{ v any }

func (r redacted) LogValue() slog.Value { return slog.AnyValue(RedactJSON(r.v)) }

// NewHandler wraps h so that every record goes through ReplaceAttr, for
// handlers built elsewhere.
func NewHandler(h slog.Handler) slog.Handler { return &handler{h} }

type handler struct{ next slog.Handler }

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }
func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	nr := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool { nr.AddAttrs(replaceDeep(a)); return true })
	return h.next.Handle(ctx, nr)
}
func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = replaceDeep(a)
	}
	return &handler{h.next.WithAttrs(out)}
}
func (h *handler) WithGroup(name string) slog.Handler { return &handler{h.next.WithGroup(name)} }

func replaceDeep(a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindGroup {
		g := a.Value.Group()
		out := make([]any, len(g))
		for i, x := range g {
			out[i] = replaceDeep(x)
		}
		return slog.Group(a.Key, out...)
	}
	if a.Value.Kind() == slog.KindLogValuer {
		a.Value = a.Value.Resolve()
		return replaceDeep(a)
	}
	return ReplaceAttr(nil, a)
}
