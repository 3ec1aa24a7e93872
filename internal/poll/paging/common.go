package paging

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/codeless/codeless/internal/jsonpath"
)

// field returns the value of a paging key matched case-insensitively (keys
// trimmed), for the rarer keys resource.Paging has no field for.
func field(fields map[string]any, name string) (any, bool) {
	for k, v := range fields {
		if strings.EqualFold(strings.TrimSpace(k), name) {
			return v, true
		}
	}
	return nil, false
}

// fieldString returns a string key ("" when absent or null); other JSON
// types are an error naming the key.
func fieldString(fields map[string]any, name string) (string, error) {
	v, ok := field(fields, name)
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("paging.%s: want a string, got %T", name, v)
	}
	return s, nil
}

// fieldBool accepts JSON booleans and the strings "true"/"false".
func fieldBool(fields map[string]any, name string) (bool, error) {
	v, ok := field(fields, name)
	if !ok || v == nil {
		return false, nil
	}
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(x))
		if err != nil {
			return false, fmt.Errorf("paging.%s: want a boolean, got %q", name, x)
		}
		return b, nil
	}
	return false, fmt.Errorf("paging.%s: want a boolean, got %T", name, v)
}

// fieldInt accepts JSON numbers (integral) and numeric strings.
func fieldInt(fields map[string]any, name string) (int, error) {
	v, ok := field(fields, name)
	if !ok || v == nil {
		return 0, nil
	}
	switch x := v.(type) {
	case int:
		return x, nil
	case int64:
		return int(x), nil
	case float64:
		if x == float64(int(x)) {
			return int(x), nil
		}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i), nil
		}
	case string:
		if i, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
			return i, nil
		}
	}
	return 0, fmt.Errorf("paging.%s: want an integer, got %v", name, v)
}

// compileOpt compiles an optional JSONPath ("" or JSON null text = none).
func compileOpt(key, p string) (*jsonpath.Path, error) {
	p = strings.TrimSpace(p)
	if p == "" || p == "null" {
		return nil, nil
	}
	c, err := jsonpath.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("paging.%s: %w", key, err)
	}
	return c, nil
}

// bodyPathRe matches the request-body paths CCF connectors use as parameter
// names: "$.variables.after", "$.request_data.search_from".
var bodyPathRe = regexp.MustCompile(`^\$(\.[A-Za-z_][A-Za-z0-9_\-]*)+$`)

// isBodyPath reports whether a parameter name is a JSONPath into the request
// body ("$.a.b") rather than a plain name. OData names such as "$skip" or
// "$top" are plain names.
func isBodyPath(name string) bool {
	return strings.HasPrefix(name, "$.") || strings.HasPrefix(name, "$[")
}

// checkParam validates a parameter name; key names the config field.
func checkParam(key, name string) error {
	if isBodyPath(name) && !bodyPathRe.MatchString(name) {
		return fmt.Errorf("paging.%s: %q: a request-body path must be $.name(.name)*", key, name)
	}
	return nil
}

// setParam places one paging parameter: a "$.a.b" name sets a nested member
// of the JSON request body; otherwise the body (inBody) or the query string.
func (r *Request) setParam(name string, v any, inBody bool) {
	if name == "" {
		return
	}
	if isBodyPath(name) {
		parts := strings.Split(strings.TrimPrefix(name, "$."), ".")
		if r.Body == nil {
			r.Body = map[string]any{}
		}
		m := r.Body
		for _, p := range parts[:len(parts)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
		m[parts[len(parts)-1]] = v
		return
	}
	if inBody {
		if r.Body == nil {
			r.Body = map[string]any{}
		}
		r.Body[name] = v
		return
	}
	if r.Query == nil {
		r.Query = map[string]string{}
	}
	r.Query[name] = scalarString(v)
}

func (r *Request) setHeader(name, v string) {
	if name == "" {
		return
	}
	if r.Headers == nil {
		r.Headers = map[string]string{}
	}
	r.Headers[name] = v
}

func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// MergeBody merges src into dst: objects merge member by member (so that a
// paging parameter "$.variables.after" keeps the other "variables"), any
// other value replaces. The Runner uses it to apply Request.Body to the
// request body built from queryParametersTemplate or queryParameters.
func MergeBody(dst, src map[string]any) {
	for k, v := range src {
		sm, ok := v.(map[string]any)
		if dm, ok2 := dst[k].(map[string]any); ok && ok2 {
			MergeBody(dm, sm)
			continue
		}
		if ok {
			cp := map[string]any{}
			MergeBody(cp, sm)
			dst[k] = cp
			continue
		}
		dst[k] = v
	}
}

// tokenString renders a selected token: strings as is (trimmed), numbers
// without exponent, null/absent/objects/arrays as "" (no token).
func tokenString(v any, ok bool) string {
	if !ok || v == nil {
		return ""
	}
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case bool:
		return strconv.FormatBool(x)
	case map[string]any, []any:
		return ""
	}
	return scalarString(v)
}

// truthy is the has-next test: absent, null, false, "false", "", 0 and empty
// arrays/objects are false; anything else is true (OneLogin points
// hasNextFlagJsonPath at a next-link string).
func truthy(v any, ok bool) bool {
	if !ok || v == nil {
		return false
	}
	switch x := v.(type) {
	case bool:
		return x
	case string:
		s := strings.TrimSpace(x)
		return s != "" && !strings.EqualFold(s, "false") && s != "0"
	case int64:
		return x != 0
	case int:
		return x != 0
	case float64:
		return x != 0
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

// numberOf reads a number (or numeric string) selected by a path.
func numberOf(p interface{ First(any) (any, bool) }, body any) (int64, bool) {
	v, ok := p.First(body)
	if !ok {
		return 0, false
	}
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case float64:
		return int64(x), true
	case json.Number:
		i, err := x.Int64()
		return i, err == nil
	case string:
		i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return i, err == nil
	}
	return 0, false
}

// withQuery returns u with the parameters q set (sorted, replacing).
func withQuery(u string, q map[string]string) (string, error) {
	if len(q) == 0 {
		return u, nil
	}
	pu, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	vals := pu.Query()
	for k, v := range q {
		vals.Set(k, v)
	}
	pu.RawQuery = vals.Encode()
	return pu.String(), nil
}

// decodeCursor unmarshals a saved cursor; typ names the paging type.
func decodeCursor(typ string, b []byte, v any) error {
	if len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("reading %s cursor: %w", typ, err)
	}
	return nil
}

func encodeCursor(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

var errNoParam = errors.New("nowhere to send the token: set nextPageParaName or nextPageRequestHeader")

// fingerprint hashes a parsed document (object members combined order-
// independently, so no key sort is needed). Offset and CountBasedPaging use
// it to notice a source that ignores the page parameter and returns the
// same page again (SPEC §4 "an identical page stops the window").
func fingerprint(v any) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	mix := func(x uint64) { h = (h ^ x) * prime }
	str := func(s string) uint64 {
		x := uint64(14695981039346656037)
		for i := 0; i < len(s); i++ {
			x = (x ^ uint64(s[i])) * prime
		}
		return x
	}
	switch x := v.(type) {
	case nil:
		mix(1)
	case bool:
		if x {
			mix(2)
		} else {
			mix(3)
		}
	case string:
		mix(4)
		mix(str(x))
	case map[string]any:
		mix(5)
		var sum uint64
		for k, e := range x {
			sum += (str(k) ^ 0x9e3779b97f4a7c15) * (fingerprint(e) | 1)
		}
		mix(sum)
		mix(uint64(len(x)))
	case []any:
		mix(6)
		for _, e := range x {
			mix(fingerprint(e))
		}
		mix(uint64(len(x)))
	default:
		mix(7)
		mix(str(scalarString(x)))
	}
	return h
}
