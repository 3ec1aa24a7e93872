package arm

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

type function func(c *Context, args []any) (any, error)

// functions maps lower-case names to implementations.
var functions = map[string]function{
	"parameters":             fnParameters,
	"variables":              fnVariables,
	"concat":                 fnConcat,
	"format":                 fnFormat,
	"uniquestring":           fnUniqueString,
	"guid":                   fnGUID,
	"newguid":                fnNewGUID,
	"split":                  fnSplit,
	"trim":                   fnTrim,
	"length":                 fnLength,
	"copyindex":              fnCopyIndex,
	"contains":               fnContains,
	"int":                    fnInt,
	"string":                 fnString,
	"bool":                   fnBool,
	"json":                   fnJSON,
	"if":                     fnIf,
	"equals":                 fnEquals,
	"not":                    fnNot,
	"and":                    fnAnd,
	"or":                     fnOr,
	"empty":                  fnEmpty,
	"tolower":                fnToLower,
	"toupper":                fnToUpper,
	"replace":                fnReplace,
	"substring":              fnSubstring,
	"take":                   fnTake,
	"skip":                   fnSkip,
	"first":                  fnFirst,
	"last":                   fnLast,
	"startswith":             fnStartsWith,
	"endswith":               fnEndsWith,
	"createarray":            fnCreateArray,
	"createobject":           fnCreateObject,
	"union":                  fnUnion,
	"coalesce":               fnCoalesce,
	"base64":                 fnBase64,
	"base64tostring":         fnBase64ToString,
	"resourceid":             fnResourceID,
	"extensionresourceid":    fnExtensionResourceID,
	"subscriptionresourceid": fnSubscriptionResourceID,
	"tenantresourceid":       fnTenantResourceID,
	"subscription":           fnSubscription,
	"resourcegroup":          fnResourceGroup,
	"deployment":             fnDeployment,
	"utcnow":                 fnUtcNow,
	"indexof":                fnIndexOf,
	"lastindexof":            fnLastIndexOf,
	"padleft":                fnPadLeft,
	"add":                    arith("add"),
	"sub":                    arith("sub"),
	"mul":                    arith("mul"),
	"div":                    arith("div"),
	"mod":                    arith("mod"),
	"less":                   compare("less"),
	"lessorequals":           compare("lessOrEquals"),
	"greater":                compare("greater"),
	"greaterorequals":        compare("greaterOrEquals"),
	"min":                    minmax(true),
	"max":                    minmax(false),
	"range":                  fnRange,
	"array":                  fnArray,
	"items":                  fnItems,
	"true":                   func(_ *Context, a []any) (any, error) { return constant(a, true) },
	"false":                  func(_ *Context, a []any) (any, error) { return constant(a, false) },
	"null":                   func(_ *Context, a []any) (any, error) { return constant(a, nil) },
	"reference":              fnReference,
}

// Functions returns the sorted lower-case names of the supported functions.
func Functions() []string {
	out := make([]string, 0, len(functions))
	for k := range functions {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func constant(a []any, v any) (any, error) {
	if err := nargs(a, 0, 0); err != nil {
		return nil, err
	}
	return v, nil
}

func nargs(a []any, lo, hi int) error {
	if len(a) < lo || (hi >= 0 && len(a) > hi) {
		switch {
		case lo == hi:
			return fmt.Errorf("expects %d argument(s), got %d", lo, len(a))
		case hi < 0:
			return fmt.Errorf("expects at least %d argument(s), got %d", lo, len(a))
		default:
			return fmt.Errorf("expects %d to %d arguments, got %d", lo, hi, len(a))
		}
	}
	return nil
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case int64, int:
		return "int"
	case float64:
		return "float"
	case bool:
		return "bool"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<62 {
			return int64(n), true
		}
	}
	return 0, false
}

func argString(a []any, i int, fn string) (string, error) {
	s, ok := a[i].(string)
	if !ok {
		return "", fmt.Errorf("argument %d must be a string, got %s", i+1, typeName(a[i]))
	}
	return s, nil
}

func argInt(a []any, i int) (int64, error) {
	n, ok := toInt(a[i])
	if !ok {
		return 0, fmt.Errorf("argument %d must be an integer, got %s", i+1, typeName(a[i]))
	}
	return n, nil
}

// ToString converts a value the way ARM's string() does.
func ToString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return "True"
		}
		return "False"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func fnParameters(c *Context, a []any) (any, error) {
	if err := nargs(a, 1, 1); err != nil {
		return nil, err
	}
	name, err := argString(a, 0, "parameters")
	if err != nil {
		return nil, err
	}
	if c.lookupParam != nil {
		v, ok, err := c.lookupParam(name)
		if err != nil {
			return nil, err
		}
		if ok {
			return v, nil
		}
	} else if v, ok := lookupCI(c.Parameters, name); ok {
		return v, nil
	}
	return nil, &MissingError{Kind: "parameter", Name: name}
}

func fnVariables(c *Context, a []any) (any, error) {
	if err := nargs(a, 1, 1); err != nil {
		return nil, err
	}
	name, err := argString(a, 0, "variables")
	if err != nil {
		return nil, err
	}
	if c.lookupVar != nil {
		v, ok, err := c.lookupVar(name)
		if err != nil {
			return nil, err
		}
		if ok {
			return v, nil
		}
	} else if v, ok := lookupCI(c.Variables, name); ok {
		return v, nil
	}
	return nil, &MissingError{Kind: "variable", Name: name}
}

func fnConcat(_ *Context, a []any) (any, error) {
	if len(a) == 0 {
		return "", nil
	}
	if _, ok := a[0].([]any); ok {
		out := []any{}
		for i, x := range a {
			switch arr := x.(type) {
			case []any:
				out = append(out, arr...)
			case nil:
			default:
				return nil, fmt.Errorf("argument %d must be an array like the first, got %s", i+1, typeName(x))
			}
		}
		return out, nil
	}
	var b strings.Builder
	for i, x := range a {
		switch x.(type) {
		case []any, map[string]any:
			return nil, fmt.Errorf("argument %d must be a string like the first, got %s", i+1, typeName(x))
		}
		b.WriteString(ToString(x))
	}
	return b.String(), nil
}

// fnFormat implements .NET composite formatting: {index[,alignment][:format]}
// with {{ and }} escapes.
func fnFormat(_ *Context, a []any) (any, error) {
	if err := nargs(a, 1, -1); err != nil {
		return nil, err
	}
	f, err := argString(a, 0, "format")
	if err != nil {
		return nil, err
	}
	vals := a[1:]
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		ch := f[i]
		if ch == '}' {
			if i+1 < len(f) && f[i+1] == '}' {
				b.WriteByte('}')
				i++
				continue
			}
			return nil, fmt.Errorf("format string: unmatched \"}\" at offset %d", i)
		}
		if ch != '{' {
			b.WriteByte(ch)
			continue
		}
		if i+1 < len(f) && f[i+1] == '{' {
			b.WriteByte('{')
			i++
			continue
		}
		end := strings.IndexByte(f[i:], '}')
		if end < 0 {
			return nil, fmt.Errorf("format string: unterminated \"{\" at offset %d", i)
		}
		item := f[i+1 : i+end]
		i += end
		spec := ""
		if k := strings.IndexByte(item, ':'); k >= 0 {
			item, spec = item[:k], item[k+1:]
		}
		align := 0
		if k := strings.IndexByte(item, ','); k >= 0 {
			n, err := strconv.Atoi(strings.TrimSpace(item[k+1:]))
			if err != nil {
				return nil, fmt.Errorf("format string: invalid alignment %q", item[k+1:])
			}
			align, item = n, item[:k]
		}
		idx, err := strconv.Atoi(strings.TrimSpace(item))
		if err != nil || idx < 0 {
			return nil, fmt.Errorf("format string: invalid index %q", item)
		}
		if idx >= len(vals) {
			return nil, fmt.Errorf("format string: index %d but only %d value(s) given", idx, len(vals))
		}
		s, err := formatValue(vals[idx], spec)
		if err != nil {
			return nil, err
		}
		if pad := abs(align) - utf8.RuneCountInString(s); pad > 0 {
			if align > 0 {
				s = strings.Repeat(" ", pad) + s
			} else {
				s += strings.Repeat(" ", pad)
			}
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func formatValue(v any, spec string) (string, error) {
	if spec == "" {
		return ToString(v), nil
	}
	var f float64
	isNum := true
	switch n := v.(type) {
	case int64:
		f = float64(n)
	case float64:
		f = n
	default:
		isNum = false
	}
	if !isNum {
		return "", fmt.Errorf("format specifier %q needs a number, got %s", spec, typeName(v))
	}
	letter, rest := spec[0], spec[1:]
	prec := -1
	if rest != "" {
		p, err := strconv.Atoi(rest)
		if err != nil {
			return "", fmt.Errorf("unsupported format specifier %q", spec)
		}
		prec = p
	}
	switch letter {
	case 'D', 'd':
		n, ok := toInt(v)
		if !ok {
			return "", fmt.Errorf("format specifier %q needs an integer", spec)
		}
		s := strconv.FormatInt(absInt(n), 10)
		if prec > len(s) {
			s = strings.Repeat("0", prec-len(s)) + s
		}
		if n < 0 {
			s = "-" + s
		}
		return s, nil
	case 'X', 'x':
		n, ok := toInt(v)
		if !ok {
			return "", fmt.Errorf("format specifier %q needs an integer", spec)
		}
		s := strconv.FormatUint(uint64(n), 16)
		if letter == 'X' {
			s = strings.ToUpper(s)
		}
		if prec > len(s) {
			s = strings.Repeat("0", prec-len(s)) + s
		}
		return s, nil
	case 'F', 'f':
		if prec < 0 {
			prec = 2
		}
		return strconv.FormatFloat(f, 'f', prec, 64), nil
	case 'N', 'n':
		if prec < 0 {
			prec = 2
		}
		s := strconv.FormatFloat(math.Abs(f), 'f', prec, 64)
		intPart, frac := s, ""
		if k := strings.IndexByte(s, '.'); k >= 0 {
			intPart, frac = s[:k], s[k:]
		}
		var b strings.Builder
		for i, r := range intPart {
			if i > 0 && (len(intPart)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(r)
		}
		out := b.String() + frac
		if f < 0 {
			out = "-" + out
		}
		return out, nil
	}
	return "", fmt.Errorf("unsupported format specifier %q", spec)
}

func absInt(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func joinStrings(a []any, fn string) (string, error) {
	if err := nargs(a, 1, -1); err != nil {
		return "", err
	}
	parts := make([]string, len(a))
	for i := range a {
		s, err := argString(a, i, fn)
		if err != nil {
			return "", err
		}
		parts[i] = s
	}
	return strings.Join(parts, "-"), nil
}

func fnUniqueString(_ *Context, a []any) (any, error) {
	s, err := joinStrings(a, "uniqueString")
	if err != nil {
		return nil, err
	}
	return UniqueString(s), nil
}

// UniqueString is ARM's uniqueString() over one already '-'-joined string:
// Microsoft's 64-bit MurmurHash variant (two 32-bit lanes, seed 0) of the
// UTF-8 bytes, rendered as 13 base32 characters (a-z2-7), 5 bits at a time
// from the most significant end.
func UniqueString(s string) string {
	h := murmurHash64([]byte(s))
	const charset = "abcdefghijklmnopqrstuvwxyz234567"
	var out [13]byte
	for i := range out {
		out[i] = charset[h>>59]
		h <<= 5
	}
	return string(out[:])
}

func murmurHash64(data []byte) uint64 {
	const (
		c1 uint32 = 0x239b961b // 597399067
		c2 uint32 = 0xab0e9789 // 2869860233
	)
	le32 := func(b []byte) uint32 {
		var v uint32
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | uint32(b[i])
		}
		return v
	}
	n := len(data)
	var h1, h2 uint32
	i := 0
	for ; i+7 < n; i += 8 {
		k1 := le32(data[i : i+4])
		k2 := le32(data[i+4 : i+8])
		k1 = bits.RotateLeft32(k1*c1, 15) * c2
		h1 = (bits.RotateLeft32(h1^k1, 19)+h2)*5 + 0x561ccd1b // 1444728091
		k2 = bits.RotateLeft32(k2*c2, 17) * c1
		h2 = (bits.RotateLeft32(h2^k2, 13)+h1)*5 + 0x0bcaa747 // 197830471
	}
	if rem := n - i; rem > 0 {
		lo := rem
		if lo > 4 {
			lo = 4
		}
		k1 := le32(data[i : i+lo])
		h1 ^= bits.RotateLeft32(k1*c1, 15) * c2
		if rem > 4 {
			k2 := le32(data[i+4 : n])
			h2 ^= bits.RotateLeft32(k2*c2, 17) * c1
		}
	}
	h1 ^= uint32(n)
	h2 ^= uint32(n)
	h1 += h2
	h2 += h1
	fmix := func(h uint32) uint32 {
		h = (h ^ h>>16) * 0x85ebca6b
		h = (h ^ h>>13) * 0xc2b2ae35
		return h ^ h>>16
	}
	h1 = fmix(h1)
	h2 = fmix(h2)
	h1 += h2
	h2 += h1
	return uint64(h2)<<32 | uint64(h1)
}

// armNamespace is the UUID namespace of ARM's guid() function.
var armNamespace = uuid.MustParse("11fb06fb-712d-4ddd-98c7-e71bbd588830")

// GUID is ARM's guid(): a name-based (v5, SHA-1) UUID of the '-'-joined
// arguments in ARM's namespace, lower case.
func GUID(parts ...string) string {
	return uuid.NewSHA1(armNamespace, []byte(strings.Join(parts, "-"))).String()
}

func fnGUID(_ *Context, a []any) (any, error) {
	s, err := joinStrings(a, "guid")
	if err != nil {
		return nil, err
	}
	return uuid.NewSHA1(armNamespace, []byte(s)).String(), nil
}

func fnNewGUID(c *Context, a []any) (any, error) {
	if err := nargs(a, 0, 0); err != nil {
		return nil, err
	}
	if c.NewGUID != nil {
		return c.NewGUID(), nil
	}
	return uuid.NewString(), nil
}

func fnSplit(_ *Context, a []any) (any, error) {
	if err := nargs(a, 2, 2); err != nil {
		return nil, err
	}
	s, err := argString(a, 0, "split")
	if err != nil {
		return nil, err
	}
	var seps []string
	switch d := a[1].(type) {
	case string:
		seps = []string{d}
	case []any:
		for i, x := range d {
			xs, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("delimiter %d must be a string, got %s", i, typeName(x))
			}
			seps = append(seps, xs)
		}
	default:
		return nil, fmt.Errorf("argument 2 must be a string or an array of strings, got %s", typeName(a[1]))
	}
	out := []any{}
	start := 0
	for i := 0; i < len(s); {
		matched := 0
		for _, sep := range seps {
			if sep != "" && strings.HasPrefix(s[i:], sep) {
				matched = len(sep)
				break
			}
		}
		if matched > 0 {
			out = append(out, s[start:i])
			i += matched
			start = i
			continue
		}
		i++
	}
	out = append(out, s[start:])
	return out, nil
}

func fnTrim(_ *Context, a []any) (any, error) {
	if err := nargs(a, 1, 1); err != nil {
		return nil, err
	}
	s, err := argString(a, 0, "trim")
	if err != nil {
		return nil, err
	}
	return strings.TrimSpace(s), nil
}

func fnLength(_ *Context, a []any) (any, error) {
	if err := nargs(a, 1, 1); err != nil {
		return nil, err
	}
	switch x := a[0].(type) {
	case string:
		return int64(utf8.RuneCountInString(x)), nil
	case []any:
		return int64(len(x)), nil
	case map[string]any:
		return int64(len(x)), nil
	case nil:
		return int64(0), nil
	}
	return nil, fmt.Errorf("argument must be a string, array or object, got %s", typeName(a[0]))
}

func fnCopyIndex(c *Context, a []any) (any, error) {
	if err := nargs(a, 0, 2); err != nil {
		return nil, err
	}
	loop, offset := "", int64(0)
	switch len(a) {
	case 1:
		if s, ok := a[0].(string); ok {
			loop = s
		} else if n, ok := toInt(a[0]); ok {
			offset = n
		} else {
			return nil, fmt.Errorf("argument must be a loop name or an offset, got %s", typeName(a[0]))
		}
	case 2:
		s, err := argString(a, 0, "copyIndex")
		if err != nil {
			return nil, err
		}
		n, err := argInt(a, 1)
		if err != nil {
			return nil, err
		}
		loop, offset = s, n
	}
	if c.CopyIndex != nil {
		if i, ok := c.CopyIndex[loop]; ok {
			return int64(i) + offset, nil
		}
		for k, i := range c.CopyIndex {
			if strings.EqualFold(k, loop) {
				return int64(i) + offset, nil
			}
		}
	}
	if loop == "" {
		return nil, errors.New("copyIndex() used outside a copy loop")
	}
	return nil, fmt.Errorf("copyIndex(%q): no copy loop with that name is being evaluated", loop)
}

func fnContains(_ *Context, a []any) (any, error) {
	if err := nargs(a, 2, 2); err != nil {
		return nil, err
	}
	switch x := a[0].(type) {
	case map[string]any:
		k, ok := a[1].(string)
		if !ok {
			return nil, fmt.Errorf("argument 2 must be a string for an object, got %s", typeName(a[1]))
		}
		_, found := lookupCI(x, k)
		return found, nil
	case []any:
		for _, e := range x {
			if deepEqual(e, a[1]) {
				return true, nil
			}
		}
		return false, nil
	case string:
		if _, ok := a[1].(string); !ok {
			if _, ok := toInt(a[1]); !ok {
				return nil, fmt.Errorf("argument 2 must be a string, got %s", typeName(a[1]))
			}
		}
		return strings.Contains(strings.ToLower(x), strings.ToLower(ToString(a[1]))), nil
	case nil:
		return false, nil
	}
	return nil, fmt.Errorf("argument 1 must be a string, array or object, got %s", typeName(a[0]))
}

func fnInt(_ *Context, a []any) (any, error) {
	if err := nargs(a, 1, 1); err != nil {
		return nil, err
	}
	switch x := a[0].(type) {
	case int64:
		return x, nil
	case float64:
		return int64(x), nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("cannot convert %q to an integer", x)
		}
		return n, nil
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	}
	return nil, fmt.Errorf("cannot convert a %s to an integer", typeName(a[0]))
}

func fnString(_ *Context, a []any) (any, error) {
	if err := nargs(a, 1, 1); err != nil {
		return nil, err
	}
	return ToString(a[0]), nil
}

func fnBool(_ *Context, a []any) (any, error) {
	if err := nargs(a, 1, 1); err != nil {
		return nil, err
	}
	switch x := a[0].(type) {
	case bool:
		return x, nil
	case int64:
		return x != 0, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, fmt.Errorf("cannot convert %q to a bool", x)
	}
	return nil, fmt.Errorf("cannot convert a %s to a bool", typeName(a[0]))
}

func fnJSON(_ *Context, a []any) (any, error) {
	if err := nargs(a, 1, 1); err != nil {
		return nil, err
	}
	s, err := argString(a, 0, "json")
	if err != nil {
		return nil, err
	}
	v, err := DecodeJSON([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("parsing JSON: %w", err)
	}
	return v, nil
}

// fnIf is only reached when if() is called with already evaluated
// arguments (the evaluator normally short-circuits it, see evalIf).
func fnIf(_ *Context, a []any) (any, error) {
	if err := nargs(a, 3, 3); err != nil {
		return nil, err
	}
	b, ok := a[0].(bool)
	if !ok {
		return nil, fmt.Errorf("the condition must be a bool, got %s", typeName(a[0]))
	}
	if b {
		return a[1], nil
	}
	return a[2], nil
}

func deepEqual(x, y any) bool {
	if xi, ok := toNum(x); ok {
		if yi, ok := toNum(y); ok {
			return xi == yi
		}
		return false
	}
	switch a := x.(type) {
	case nil:
		return y == nil
	case string:
		b, ok := y.(string)
		return ok && a == b
	case bool:
		b, ok := y.(bool)
		return ok && a == b
	case []any:
		b, ok := y.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !deepEqual(a[i], b[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		b, ok := y.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, v := range a {
			w, ok := b[k]
			if !ok || !deepEqual(v, w) {
				return false
			}
		}
		return true
	}
	return false
}

func toNum(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func fnEquals(_ *Context, a []any) (any, error) {
	if err := nargs(a, 2, 2); err != nil {
		return nil, err
	}
	return deepEqual(a[0], a[1]), nil
}

func boolArgs(a []any) ([]bool, error) {
	out := make([]bool, len(a))
	for i, x := range a {
		b, ok := x.(bool)
		if !ok {
			return nil, fmt.Errorf("argument %d must be a bool, got %s", i+1, typeName(x))
		}
		out[i] = b
	}
	return out, nil
}

func fnNot(_ *Context, a []any) (any, error) {
	if err := nargs(a, 1, 1); err != nil {
		return nil, err
	}
	b, err := boolArgs(a)
	if err != nil {
		return nil, err
	}
	return !b[0], nil
}

func fnAnd(_ *Context, a []any) (any, error) {
	if err := nargs(a, 2, -1); err != nil {
		return nil, err
	}
	b, err := boolArgs(a)
	if err != nil {
		return nil, err
	}
	for _, x := range b {
		if !x {
			return false, nil
		}
	}
	return true, nil
}

func fnOr(_ *Context, a []any) (any, error) {
	if err := nargs(a, 2, -1); err != nil {
		return nil, err
	}
	b, err := boolArgs(a)
	if err != nil {
		return nil, err
	}
	for _, x := range b {
		if x {
			return true, nil
		}
	}
	return false, nil
}

func fnEmpty(_ *Context, a []any) (any, error) {
	if err := nargs(a, 1, 1); err != nil {
		return nil, err
	}
	switch x := a[0].(type) {
	case nil:
		return true, nil
	case string:
		return x == "", nil
	case []any:
		return len(x) == 0, nil
	case map[string]any:
		return len(x) == 0, nil
	}
	return nil, fmt.Errorf("argument must be a string, array, object or null, got %s", typeName(a[0]))
}

func strFn(name string, f func(string) string) function {
	return func(_ *Context, a []any) (any, error) {
		if err := nargs(a, 1, 1); err != nil {
			return nil, err
		}
		s, err := argString(a, 0, name)
		if err != nil {
			return nil, err
		}
		return f(s), nil
	}
}

var (
	fnToLower = strFn("toLower", strings.ToLower)
	fnToUpper = strFn("toUpper", strings.ToUpper)
)

func fnReplace(_ *Context, a []any) (any, error) {
	if err := nargs(a, 3, 3); err != nil {
		return nil, err
	}
	var s [3]string
	for i := range s {
		v, err := argString(a, i, "replace")
		if err != nil {
			return nil, err
		}
		s[i] = v
	}
	if s[1] == "" {
		return nil, errors.New("the string to replace must not be empty")
	}
	return strings.ReplaceAll(s[0], s[1], s[2]), nil
}

func fnSubstring(_ *Context, a []any) (any, error) {
	if err := nargs(a, 2, 3); err != nil {
		return nil, err
	}
	s, err := argString(a, 0, "substring")
	if err != nil {
		return nil, err
	}
	r := []rune(s)
	start, err := argInt(a, 1)
	if err != nil {
		return nil, err
	}
	if start < 0 || start > int64(len(r)) {
		return nil, fmt.Errorf("start index %d is out of range (length %d)", start, len(r))
	}
	if len(a) == 2 {
		return string(r[start:]), nil
	}
	n, err := argInt(a, 2)
	if err != nil {
		return nil, err
	}
	if n < 0 || start+n > int64(len(r)) {
		return nil, fmt.Errorf("length %d from index %d is out of range (length %d)", n, start, len(r))
	}
	return string(r[start : start+n]), nil
}

func clamp(n int64, l int) int {
	if n < 0 {
		return 0
	}
	if n > int64(l) {
		return l
	}
	return int(n)
}

func fnTake(_ *Context, a []any) (any, error) { return takeSkip(a, true) }
func fnSkip(_ *Context, a []any) (any, error) { return takeSkip(a, false) }

func takeSkip(a []any, take bool) (any, error) {
	if err := nargs(a, 2, 2); err != nil {
		return nil, err
	}
	n, err := argInt(a, 1)
	if err != nil {
		return nil, err
	}
	switch x := a[0].(type) {
	case nil:
		return nil, nil
	case string:
		r := []rune(x)
		k := clamp(n, len(r))
		if take {
			return string(r[:k]), nil
		}
		return string(r[k:]), nil
	case []any:
		k := clamp(n, len(x))
		if take {
			return append([]any{}, x[:k]...), nil
		}
		return append([]any{}, x[k:]...), nil
	}
	return nil, fmt.Errorf("argument 1 must be a string or an array, got %s", typeName(a[0]))
}

func fnFirst(_ *Context, a []any) (any, error) { return firstLast(a, true) }
func fnLast(_ *Context, a []any) (any, error)  { return firstLast(a, false) }

func firstLast(a []any, first bool) (any, error) {
	if err := nargs(a, 1, 1); err != nil {
		return nil, err
	}
	switch x := a[0].(type) {
	case nil:
		return nil, nil
	case string:
		r := []rune(x)
		if len(r) == 0 {
			return "", nil
		}
		if first {
			return string(r[0]), nil
		}
		return string(r[len(r)-1]), nil
	case []any:
		if len(x) == 0 {
			return nil, nil
		}
		if first {
			return x[0], nil
		}
		return x[len(x)-1], nil
	}
	return nil, fmt.Errorf("argument must be a string or an array, got %s", typeName(a[0]))
}

func twoStrings(a []any, name string) (string, string, error) {
	if err := nargs(a, 2, 2); err != nil {
		return "", "", err
	}
	x, err := argString(a, 0, name)
	if err != nil {
		return "", "", err
	}
	y, err := argString(a, 1, name)
	if err != nil {
		return "", "", err
	}
	return x, y, nil
}

// startsWith, endsWith, indexOf and lastIndexOf are case-insensitive in ARM.
func fnStartsWith(_ *Context, a []any) (any, error) {
	x, y, err := twoStrings(a, "startsWith")
	if err != nil {
		return nil, err
	}
	return strings.HasPrefix(strings.ToLower(x), strings.ToLower(y)), nil
}

func fnEndsWith(_ *Context, a []any) (any, error) {
	x, y, err := twoStrings(a, "endsWith")
	if err != nil {
		return nil, err
	}
	return strings.HasSuffix(strings.ToLower(x), strings.ToLower(y)), nil
}

func fnIndexOf(_ *Context, a []any) (any, error) {
	x, y, err := twoStrings(a, "indexOf")
	if err != nil {
		return nil, err
	}
	i := strings.Index(strings.ToLower(x), strings.ToLower(y))
	if i < 0 {
		return int64(-1), nil
	}
	return int64(utf8.RuneCountInString(strings.ToLower(x)[:i])), nil
}

func fnLastIndexOf(_ *Context, a []any) (any, error) {
	x, y, err := twoStrings(a, "lastIndexOf")
	if err != nil {
		return nil, err
	}
	i := strings.LastIndex(strings.ToLower(x), strings.ToLower(y))
	if i < 0 {
		return int64(-1), nil
	}
	return int64(utf8.RuneCountInString(strings.ToLower(x)[:i])), nil
}

func fnPadLeft(_ *Context, a []any) (any, error) {
	if err := nargs(a, 2, 3); err != nil {
		return nil, err
	}
	var s string
	switch x := a[0].(type) {
	case string:
		s = x
	case int64:
		s = strconv.FormatInt(x, 10)
	default:
		return nil, fmt.Errorf("argument 1 must be a string or an integer, got %s", typeName(a[0]))
	}
	n, err := argInt(a, 1)
	if err != nil {
		return nil, err
	}
	if n > 16384 {
		return nil, fmt.Errorf("total length %d exceeds the limit of 16384", n)
	}
	pad := " "
	if len(a) == 3 {
		p, err := argString(a, 2, "padLeft")
		if err != nil {
			return nil, err
		}
		if utf8.RuneCountInString(p) != 1 {
			return nil, fmt.Errorf("the padding character must be one character, got %q", p)
		}
		pad = p
	}
	if k := int(n) - utf8.RuneCountInString(s); k > 0 {
		s = strings.Repeat(pad, k) + s
	}
	return s, nil
}

func fnCreateArray(_ *Context, a []any) (any, error) {
	return append([]any{}, a...), nil
}

func fnCreateObject(_ *Context, a []any) (any, error) {
	if len(a)%2 != 0 {
		return nil, fmt.Errorf("expects an even number of arguments (key, value pairs), got %d", len(a))
	}
	out := make(map[string]any, len(a)/2)
	for i := 0; i < len(a); i += 2 {
		k, err := argString(a, i, "createObject")
		if err != nil {
			return nil, err
		}
		out[k] = a[i+1]
	}
	return out, nil
}

func fnUnion(_ *Context, a []any) (any, error) {
	if err := nargs(a, 1, -1); err != nil {
		return nil, err
	}
	switch a[0].(type) {
	case []any:
		out := []any{}
		for i, x := range a {
			arr, ok := x.([]any)
			if !ok {
				return nil, fmt.Errorf("argument %d must be an array like the first, got %s", i+1, typeName(x))
			}
			for _, e := range arr {
				dup := false
				for _, o := range out {
					if deepEqual(o, e) {
						dup = true
						break
					}
				}
				if !dup {
					out = append(out, e)
				}
			}
		}
		return out, nil
	case map[string]any:
		out := map[string]any{}
		for i, x := range a {
			obj, ok := x.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("argument %d must be an object like the first, got %s", i+1, typeName(x))
			}
			mergeInto(out, obj)
		}
		return out, nil
	}
	return nil, fmt.Errorf("arguments must be arrays or objects, got %s", typeName(a[0]))
}

func mergeInto(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				m := map[string]any{}
				mergeInto(m, dm)
				mergeInto(m, sm)
				dst[k] = m
				continue
			}
		}
		dst[k] = v
	}
}

func fnCoalesce(_ *Context, a []any) (any, error) {
	for _, x := range a {
		if x != nil {
			return x, nil
		}
	}
	return nil, nil
}

func fnBase64(_ *Context, a []any) (any, error) {
	if err := nargs(a, 1, 1); err != nil {
		return nil, err
	}
	s, err := argString(a, 0, "base64")
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func fnBase64ToString(_ *Context, a []any) (any, error) {
	if err := nargs(a, 1, 1); err != nil {
		return nil, err
	}
	s, err := argString(a, 0, "base64ToString")
	if err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("decoding base64: %w", err)
	}
	return string(b), nil
}

// typedSegments interleaves a resource type ("Ns/t1/t2") with names
// ([n1, n2]) into "Ns/t1/n1/t2/n2".
func typedSegments(typ string, names []string) (string, error) {
	ts := strings.Split(strings.Trim(typ, "/"), "/")
	if len(ts) < 2 {
		return "", fmt.Errorf("invalid resource type %q: expected <namespace>/<type>", typ)
	}
	var flat []string
	for _, n := range names {
		flat = append(flat, strings.Split(n, "/")...)
	}
	if len(flat) != len(ts)-1 {
		return "", fmt.Errorf("resource type %q needs %d name segment(s), got %d", typ, len(ts)-1, len(flat))
	}
	parts := []string{ts[0]}
	for i, t := range ts[1:] {
		parts = append(parts, t, flat[i])
	}
	return strings.Join(parts, "/"), nil
}

func stringArgs(a []any, fn string) ([]string, error) {
	out := make([]string, len(a))
	for i := range a {
		s, err := argString(a, i, fn)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

func fnResourceID(c *Context, a []any) (any, error) {
	s, err := stringArgs(a, "resourceId")
	if err != nil {
		return nil, err
	}
	ti := -1
	for i, x := range s {
		if strings.Contains(x, "/") && strings.Contains(strings.SplitN(x, "/", 2)[0], ".") {
			ti = i
			break
		}
	}
	if ti < 0 || ti > 2 || len(s) < ti+2 {
		return nil, errors.New("expects ([subscriptionId], [resourceGroupName], resourceType, resourceName1, ...)")
	}
	sub, rg := c.Subscription, c.ResourceGroup
	switch ti {
	case 1:
		rg = s[0]
	case 2:
		sub, rg = s[0], s[1]
	}
	seg, err := typedSegments(s[ti], s[ti+1:])
	if err != nil {
		return nil, err
	}
	return "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/" + seg, nil
}

func fnSubscriptionResourceID(c *Context, a []any) (any, error) {
	s, err := stringArgs(a, "subscriptionResourceId")
	if err != nil {
		return nil, err
	}
	if len(s) < 2 {
		return nil, errors.New("expects ([subscriptionId], resourceType, resourceName1, ...)")
	}
	sub := c.Subscription
	if !strings.Contains(s[0], "/") {
		sub, s = s[0], s[1:]
	}
	seg, err := typedSegments(s[0], s[1:])
	if err != nil {
		return nil, err
	}
	return "/subscriptions/" + sub + "/providers/" + seg, nil
}

func fnTenantResourceID(_ *Context, a []any) (any, error) {
	s, err := stringArgs(a, "tenantResourceId")
	if err != nil {
		return nil, err
	}
	if len(s) < 2 {
		return nil, errors.New("expects (resourceType, resourceName1, ...)")
	}
	seg, err := typedSegments(s[0], s[1:])
	if err != nil {
		return nil, err
	}
	return "/providers/" + seg, nil
}

func fnExtensionResourceID(_ *Context, a []any) (any, error) {
	s, err := stringArgs(a, "extensionResourceId")
	if err != nil {
		return nil, err
	}
	if len(s) < 3 {
		return nil, errors.New("expects (resourceId, resourceType, resourceName1, ...)")
	}
	seg, err := typedSegments(s[1], s[2:])
	if err != nil {
		return nil, err
	}
	return strings.TrimRight(s[0], "/") + "/providers/" + seg, nil
}

func fnSubscription(c *Context, a []any) (any, error) {
	if err := nargs(a, 0, 0); err != nil {
		return nil, err
	}
	return map[string]any{
		"id":             "/subscriptions/" + c.Subscription,
		"subscriptionId": c.Subscription,
		"tenantId":       c.TenantID,
		"displayName":    c.Subscription,
	}, nil
}

func fnResourceGroup(c *Context, a []any) (any, error) {
	if err := nargs(a, 0, 0); err != nil {
		return nil, err
	}
	return map[string]any{
		"id":         "/subscriptions/" + c.Subscription + "/resourceGroups/" + c.ResourceGroup,
		"name":       c.ResourceGroup,
		"type":       "Microsoft.Resources/resourceGroups",
		"location":   c.Location,
		"tags":       map[string]any{},
		"properties": map[string]any{"provisioningState": "Succeeded"},
	}, nil
}

func fnDeployment(c *Context, a []any) (any, error) {
	if err := nargs(a, 0, 0); err != nil {
		return nil, err
	}
	return map[string]any{
		"name": c.DeploymentName,
		"properties": map[string]any{
			"template": map[string]any{"contentVersion": c.contentVersion},
		},
	}, nil
}

func fnUtcNow(c *Context, a []any) (any, error) {
	if err := nargs(a, 0, 1); err != nil {
		return nil, err
	}
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	now = now.UTC()
	f := "yyyyMMddTHHmmssZ"
	if len(a) == 1 {
		s, err := argString(a, 0, "utcNow")
		if err != nil {
			return nil, err
		}
		f = s
	}
	return formatTime(now, f)
}

// formatTime renders t with a .NET standard ("u", "s", "o", "d", "D") or
// custom date format (y, M, d, H, h, m, s, f, t, K/z/Z literal handling,
// quoted literals).
func formatTime(t time.Time, f string) (string, error) {
	switch f {
	case "u":
		return t.Format("2006-01-02 15:04:05Z"), nil
	case "s":
		return t.Format("2006-01-02T15:04:05"), nil
	case "o", "O":
		return t.Format("2006-01-02T15:04:05.0000000Z"), nil
	case "d":
		return t.Format("1/2/2006"), nil
	case "D":
		return t.Format("Monday, January 2, 2006"), nil
	}
	if len(f) == 1 {
		return "", fmt.Errorf("unsupported standard date format %q", f)
	}
	var b strings.Builder
	for i := 0; i < len(f); {
		c := f[i]
		j := i
		for j < len(f) && f[j] == c {
			j++
		}
		n := j - i
		switch c {
		case 'y':
			if n <= 2 {
				fmt.Fprintf(&b, "%02d", t.Year()%100)
			} else {
				fmt.Fprintf(&b, "%0*d", n, t.Year())
			}
		case 'M':
			switch {
			case n >= 4:
				b.WriteString(t.Month().String())
			case n == 3:
				b.WriteString(t.Month().String()[:3])
			case n == 2:
				fmt.Fprintf(&b, "%02d", int(t.Month()))
			default:
				fmt.Fprintf(&b, "%d", int(t.Month()))
			}
		case 'd':
			switch {
			case n >= 4:
				b.WriteString(t.Weekday().String())
			case n == 3:
				b.WriteString(t.Weekday().String()[:3])
			case n == 2:
				fmt.Fprintf(&b, "%02d", t.Day())
			default:
				fmt.Fprintf(&b, "%d", t.Day())
			}
		case 'H', 'h', 'm', 's':
			v := map[byte]int{'H': t.Hour(), 'h': (t.Hour()+11)%12 + 1, 'm': t.Minute(), 's': t.Second()}[c]
			if n >= 2 {
				fmt.Fprintf(&b, "%02d", v)
			} else {
				fmt.Fprintf(&b, "%d", v)
			}
		case 'f', 'F':
			if n > 7 {
				return "", fmt.Errorf("date format %q: too many %q", f, c)
			}
			frac := fmt.Sprintf("%09d", t.Nanosecond())[:n]
			if c == 'F' {
				frac = strings.TrimRight(frac, "0")
			}
			b.WriteString(frac)
		case 't':
			ampm := "AM"
			if t.Hour() >= 12 {
				ampm = "PM"
			}
			b.WriteString(ampm[:min(n, 2)])
		case 'K':
			b.WriteString("Z")
		case 'z':
			b.WriteString(map[bool]string{true: "+00:00", false: "+00"}[n >= 3])
		case '\'', '"':
			end := strings.IndexByte(f[i+1:], c)
			if end < 0 {
				return "", fmt.Errorf("date format %q: unterminated quoted literal", f)
			}
			b.WriteString(f[i+1 : i+1+end])
			j = i + 2 + end
		case '\\':
			if i+1 < len(f) {
				b.WriteByte(f[i+1])
				j = i + 2
			} else {
				j = i + 1
			}
		default:
			b.WriteString(f[i:j])
		}
		i = j
	}
	return b.String(), nil
}

func arith(name string) function {
	return func(_ *Context, a []any) (any, error) {
		if err := nargs(a, 2, 2); err != nil {
			return nil, err
		}
		x, err := argInt(a, 0)
		if err != nil {
			return nil, err
		}
		y, err := argInt(a, 1)
		if err != nil {
			return nil, err
		}
		switch name {
		case "add":
			return x + y, nil
		case "sub":
			return x - y, nil
		case "mul":
			return x * y, nil
		case "div":
			if y == 0 {
				return nil, errors.New("division by zero")
			}
			return x / y, nil
		default:
			if y == 0 {
				return nil, errors.New("division by zero")
			}
			return x % y, nil
		}
	}
}

func compare(name string) function {
	return func(_ *Context, a []any) (any, error) {
		if err := nargs(a, 2, 2); err != nil {
			return nil, err
		}
		var cmp int
		if x, ok := toNum(a[0]); ok {
			y, ok := toNum(a[1])
			if !ok {
				return nil, fmt.Errorf("cannot compare a number with a %s", typeName(a[1]))
			}
			switch {
			case x < y:
				cmp = -1
			case x > y:
				cmp = 1
			}
		} else if x, ok := a[0].(string); ok {
			y, ok := a[1].(string)
			if !ok {
				return nil, fmt.Errorf("cannot compare a string with a %s", typeName(a[1]))
			}
			cmp = strings.Compare(x, y)
		} else {
			return nil, fmt.Errorf("arguments must be numbers or strings, got %s", typeName(a[0]))
		}
		switch name {
		case "less":
			return cmp < 0, nil
		case "lessOrEquals":
			return cmp <= 0, nil
		case "greater":
			return cmp > 0, nil
		}
		return cmp >= 0, nil
	}
}

func minmax(isMin bool) function {
	return func(_ *Context, a []any) (any, error) {
		vals := a
		if len(a) == 1 {
			if arr, ok := a[0].([]any); ok {
				vals = arr
			}
		}
		if len(vals) == 0 {
			return nil, errors.New("expects at least one integer")
		}
		var best int64
		for i, v := range vals {
			n, ok := toInt(v)
			if !ok {
				return nil, fmt.Errorf("value %d must be an integer, got %s", i+1, typeName(v))
			}
			if i == 0 || (isMin && n < best) || (!isMin && n > best) {
				best = n
			}
		}
		return best, nil
	}
}

func fnRange(_ *Context, a []any) (any, error) {
	if err := nargs(a, 2, 2); err != nil {
		return nil, err
	}
	start, err := argInt(a, 0)
	if err != nil {
		return nil, err
	}
	n, err := argInt(a, 1)
	if err != nil {
		return nil, err
	}
	if n < 0 || n > 10000 {
		return nil, fmt.Errorf("count %d must be between 0 and 10000", n)
	}
	out := make([]any, n)
	for i := range out {
		out[i] = start + int64(i)
	}
	return out, nil
}

func fnArray(_ *Context, a []any) (any, error) {
	if err := nargs(a, 1, 1); err != nil {
		return nil, err
	}
	if arr, ok := a[0].([]any); ok {
		return arr, nil
	}
	return []any{a[0]}, nil
}

func fnItems(_ *Context, a []any) (any, error) {
	if err := nargs(a, 1, 1); err != nil {
		return nil, err
	}
	obj, ok := a[0].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("argument must be an object, got %s", typeName(a[0]))
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = map[string]any{"key": k, "value": obj[k]}
	}
	return out, nil
}

func fnReference(c *Context, a []any) (any, error) {
	if err := nargs(a, 1, 3); err != nil {
		return nil, err
	}
	id, err := argString(a, 0, "reference")
	if err != nil {
		return nil, err
	}
	api := ""
	if len(a) >= 2 {
		if s, ok := a[1].(string); ok {
			api = s
		}
	}
	if c.Reference == nil {
		return nil, fmt.Errorf("reference(%q) is not supported here: Codeless does not read back deployed resource state", id)
	}
	return c.Reference(id, api)
}
