package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Helpers that read auth keys from resource.Auth.Fields, which keeps the
// auth object as decoded. CCF matches keys case-insensitively and the
// corpus uses every spelling (ClientId, clientId, clientID), so lookups
// ignore case.

// lookup returns the value of key in m, ignoring case (nil when absent).
func lookup(m map[string]any, key string) any {
	if m == nil {
		return nil
	}
	if v, ok := m[key]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(strings.TrimSpace(k), key) {
			return v
		}
	}
	return nil
}

// name returns key as spelled in m (for error paths), else key.
func name(m map[string]any, key string) string {
	for k := range m {
		if strings.EqualFold(strings.TrimSpace(k), key) {
			return k
		}
	}
	return key
}

// has reports whether key is present in m (ignoring case).
func has(m map[string]any, key string) bool {
	if m == nil {
		return false
	}
	for k := range m {
		if strings.EqualFold(strings.TrimSpace(k), key) {
			return true
		}
	}
	return false
}

// str returns key as a string: numbers and booleans are rendered, other
// types give an error naming the path.
func str(m map[string]any, key string) (string, error) {
	switch v := lookup(m, key).(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case json.Number:
		return v.String(), nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	default:
		return "", fmt.Errorf("auth.%s: must be a string, got %s", name(m, key), kind(v))
	}
}

// boolean reads key as a JSON boolean or the strings "true"/"false" (the
// corpus has "IsClientSecretInHeader": "true").
func boolean(m map[string]any, key string) (bool, error) {
	switch v := lookup(m, key).(type) {
	case nil:
		return false, nil
	case bool:
		return v, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
			return true, nil
		case "false", "":
			return false, nil
		}
		return false, fmt.Errorf("auth.%s: must be true or false, got %q", name(m, key), v)
	default:
		return false, fmt.Errorf("auth.%s: must be a boolean, got %s", name(m, key), kind(v))
	}
}

// integer reads key as a JSON number or a numeric string.
func integer(m map[string]any, key string) (int, bool, error) {
	v := lookup(m, key)
	var f float64
	switch x := v.(type) {
	case nil:
		return 0, false, nil
	case float64:
		f = x
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case json.Number:
		var err error
		if f, err = x.Float64(); err != nil {
			return 0, false, fmt.Errorf("auth.%s: not a number: %q", name(m, key), x.String())
		}
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(x))
		if err != nil {
			return 0, false, fmt.Errorf("auth.%s: not a whole number: %q", name(m, key), x)
		}
		return n, true, nil
	default:
		return 0, false, fmt.Errorf("auth.%s: must be a number, got %s", name(m, key), kind(v))
	}
	if f != float64(int(f)) {
		return 0, false, fmt.Errorf("auth.%s: must be a whole number, got %v", name(m, key), f)
	}
	return int(f), true, nil
}

// stringMap reads key as an object of scalar values (headers, parameters).
func stringMap(m map[string]any, key string) (map[string]string, error) {
	v := lookup(m, key)
	if v == nil {
		return nil, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("auth.%s: must be an object, got %s", name(m, key), kind(v))
	}
	out := make(map[string]string, len(obj))
	for k, e := range obj {
		s, err := str(obj, k)
		if err != nil || e == nil {
			if e == nil {
				continue
			}
			return nil, fmt.Errorf("auth.%s.%s: must be a string, number or boolean, got %s", name(m, key), k, kind(e))
		}
		out[k] = s
	}
	return out, nil
}

// credential is a userName/password entry: the value and the form or JSON
// field name it is sent under.
type credential struct {
	Key   string
	Value string
	Set   bool
}

// readCredential reads userName/password in any of the corpus forms: a
// plain string (sent under defaultKey), an object {"key": k, "value": v}
// (JwtToken, PROD), or a one-entry map {k: v} (Session's string map).
func readCredential(m map[string]any, key, defaultKey string) (credential, error) {
	switch v := lookup(m, key).(type) {
	case nil:
		return credential{}, nil
	case string:
		return credential{Key: defaultKey, Value: v, Set: true}, nil
	case map[string]any:
		k, hasK := lookup(v, "key").(string)
		val, hasV := lookup(v, "value").(string)
		if hasV && (hasK || len(v) == 1) {
			if !hasK || k == "" {
				k = defaultKey
			}
			return credential{Key: k, Value: val, Set: true}, nil
		}
		if len(v) == 1 {
			for k, e := range v {
				if s, ok := e.(string); ok {
					return credential{Key: k, Value: s, Set: true}, nil
				}
			}
		}
		return credential{}, fmt.Errorf(`auth.%s: must be a string or {"key": ..., "value": ...}`, key)
	default:
		return credential{}, fmt.Errorf(`auth.%s: must be a string or {"key": ..., "value": ...}, got %s`, key, kind(v))
	}
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64, int, int64, json.Number:
		return "number"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}

// unresolved reports whether s still holds a connect-time expression
// ([[parameters('x')], [concat(...)] or {{x}}).
func unresolved(s string) bool {
	t := strings.TrimSpace(s)
	return (strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]")) || (strings.Contains(t, "{{") && strings.Contains(t, "}}"))
}

// fieldReader reads typed fields of one auth object and collects every
// error, so a constructor reports all bad fields at once.
type fieldReader struct {
	f    map[string]any
	errs []error
}

func (r *fieldReader) add(err error) {
	if err != nil {
		r.errs = append(r.errs, err)
	}
}

func (r *fieldReader) str(key string) string {
	v, err := str(r.f, key)
	r.add(err)
	return v
}

func (r *fieldReader) boolean(key string) bool {
	v, err := boolean(r.f, key)
	r.add(err)
	return v
}

func (r *fieldReader) stringMap(key string) map[string]string {
	v, err := stringMap(r.f, key)
	r.add(err)
	return v
}

func (r *fieldReader) credential(key, what string) credential {
	v, err := readCredential(r.f, key, what)
	r.add(err)
	return v
}

// err is every collected error joined, or nil.
func (r *fieldReader) err() error { return errors.Join(r.errs...) }
