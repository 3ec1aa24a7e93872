package eval

import (
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/codeless/codeless/internal/kql/value"
)

// truthy reports whether v is the bool true (a null or non-bool is false).
func truthy(v any) bool {
	b, ok := v.(bool)
	return ok && b
}

// num converts a numeric value to (int64, float64, isFloat, ok).
func num(v any) (int64, float64, bool, bool) {
	switch x := v.(type) {
	case int64:
		return x, float64(x), false, true
	case float64:
		return 0, x, true, true
	}
	return 0, 0, false, false
}

// compare orders a and b: -1, 0, 1; ok=false when either is null or the
// kinds are not comparable.
func compare(a, b any) (int, bool) {
	if a == nil || b == nil {
		return 0, false
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), true
		}
		return 0, false
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y), true
		}
		if s, ok := b.(string); ok {
			if y, ok := value.ParseDateTime(s); ok {
				return x.Compare(y), true
			}
		}
		return 0, false
	case time.Duration:
		if y, ok := b.(time.Duration); ok {
			return cmp3(int64(x), int64(y)), true
		}
		return 0, false
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0, true
			case !x:
				return -1, true
			}
			return 1, true
		}
		return 0, false
	}
	ai, af, aFloat, ok1 := num(a)
	bi, bf, bFloat, ok2 := num(b)
	if !ok1 || !ok2 {
		if s, ok := b.(string); ok && !ok1 {
			_ = s
		}
		return 0, false
	}
	if !aFloat && !bFloat {
		return cmp3(ai, bi), true
	}
	switch {
	case af < bf:
		return -1, true
	case af > bf:
		return 1, true
	case af == bf:
		return 0, true
	}
	return 0, false // NaN
}

func cmp3(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// equal implements ==: (result, isNull).
func equal(a, b any) (bool, bool) {
	if a == nil || b == nil {
		if a == nil && b == nil {
			return false, true
		}
		return false, false
	}
	if c, ok := compare(a, b); ok {
		return c == 0, false
	}
	// Containers and mismatched kinds compare by rendering.
	switch a.(type) {
	case []any, map[string]any:
		return value.ToString(a) == value.ToString(b), false
	}
	return false, false
}

func arith(op byte, a, b any) any {
	if a == nil || b == nil {
		return nil
	}
	switch x := a.(type) {
	case time.Time:
		switch y := b.(type) {
		case time.Duration:
			switch op {
			case '+':
				return x.Add(y)
			case '-':
				return x.Add(-y)
			}
		case time.Time:
			if op == '-' {
				return x.Sub(y)
			}
		}
		return nil
	case time.Duration:
		switch y := b.(type) {
		case time.Duration:
			switch op {
			case '+':
				return x + y
			case '-':
				return x - y
			case '/':
				if y == 0 {
					return nil
				}
				return float64(x) / float64(y)
			case '%':
				if y == 0 {
					return nil
				}
				return time.Duration(mod(int64(x), int64(y)))
			}
		case time.Time:
			if op == '+' {
				return y.Add(x)
			}
		default:
			_, f, _, ok := num(b)
			if !ok {
				return nil
			}
			switch op {
			case '*':
				return time.Duration(float64(x) * f)
			case '/':
				if f == 0 {
					return nil
				}
				return time.Duration(float64(x) / f)
			}
		}
		return nil
	}
	if d, ok := b.(time.Duration); ok && op == '*' {
		_, f, _, ok := num(a)
		if !ok {
			return nil
		}
		return time.Duration(f * float64(d))
	}
	ai, af, aFloat, ok1 := num(a)
	bi, bf, bFloat, ok2 := num(b)
	if !ok1 || !ok2 {
		return nil
	}
	if !aFloat && !bFloat {
		switch op {
		case '+':
			return ai + bi
		case '-':
			return ai - bi
		case '*':
			return ai * bi
		case '/':
			if bi == 0 || (ai == math.MinInt64 && bi == -1) {
				return nil
			}
			return ai / bi
		case '%':
			if bi == 0 || bi == -1 {
				if bi == -1 {
					return int64(0)
				}
				return nil
			}
			return mod(ai, bi)
		}
		return nil
	}
	switch op {
	case '+':
		return af + bf
	case '-':
		return af - bf
	case '*':
		return af * bf
	case '/':
		return af / bf
	case '%':
		if bf == 0 {
			return math.NaN()
		}
		r := math.Mod(af, bf)
		if r != 0 && (r < 0) != (bf < 0) {
			r += bf
		}
		return r
	}
	return nil
}

// mod is mathematical modulo (sign of the divisor): -10 % 4 = 2.
func mod(a, b int64) int64 {
	r := a % b
	if r != 0 && (r < 0) != (b < 0) {
		r += b
	}
	return r
}

// str renders a value for string operators (tostring semantics); ok=false for null.
func str(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		return x, true
	case bool:
		return value.DynamicToString(x), true
	}
	return value.ToString(v), true
}

func isAlnum(r rune) bool {
	return r < utf8.RuneSelf && (r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') || r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// hasTerm implements has/hasprefix/hassuffix: needle must occur in hay with
// term boundaries (non-alphanumeric or string edge) before (prefix) and
// after (suffix) it, where the needle itself starts/ends alphanumeric.
func hasTerm(hay, needle string, cs, before, after bool) bool {
	if needle == "" {
		return true
	}
	if !cs {
		hay, needle = strings.ToLower(hay), strings.ToLower(needle)
	}
	first, _ := utf8.DecodeRuneInString(needle)
	last, _ := utf8.DecodeLastRuneInString(needle)
	checkBefore := before && isAlnum(first)
	checkAfter := after && isAlnum(last)
	off := 0
	for {
		i := strings.Index(hay[off:], needle)
		if i < 0 {
			return false
		}
		i += off
		ok := true
		if checkBefore && i > 0 {
			r, _ := utf8.DecodeLastRuneInString(hay[:i])
			ok = !isAlnum(r)
		}
		if ok && checkAfter && i+len(needle) < len(hay) {
			r, _ := utf8.DecodeRuneInString(hay[i+len(needle):])
			ok = !isAlnum(r)
		}
		if ok {
			return true
		}
		_, n := utf8.DecodeRuneInString(hay[i:])
		off = i + n
	}
}

func containsFold(hay, needle string) bool {
	if needle == "" {
		return true
	}
	if isASCII(hay) && isASCII(needle) {
		n := len(needle)
		for i := 0; i+n <= len(hay); i++ {
			if strings.EqualFold(hay[i:i+n], needle) {
				return true
			}
		}
		return false
	}
	return strings.Contains(strings.ToLower(hay), strings.ToLower(needle))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func hasPrefixFold(s, p string) bool {
	return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) || !isASCII(p) && strings.HasPrefix(strings.ToLower(s), strings.ToLower(p))
}

func hasSuffixFold(s, p string) bool {
	return len(s) >= len(p) && strings.EqualFold(s[len(s)-len(p):], p) || !isASCII(p) && strings.HasSuffix(strings.ToLower(s), strings.ToLower(p))
}

// stringPred evaluates a (non-negated) string predicate.
func stringPred(op string, a, b string) bool {
	switch op {
	case "=~":
		return strings.EqualFold(a, b)
	case "contains":
		return containsFold(a, b)
	case "contains_cs":
		return strings.Contains(a, b)
	case "has":
		return hasTerm(a, b, false, true, true)
	case "has_cs":
		return hasTerm(a, b, true, true, true)
	case "hasprefix":
		return hasTerm(a, b, false, true, false)
	case "hasprefix_cs":
		return hasTerm(a, b, true, true, false)
	case "hassuffix":
		return hasTerm(a, b, false, false, true)
	case "hassuffix_cs":
		return hasTerm(a, b, true, false, true)
	case "startswith":
		return hasPrefixFold(a, b)
	case "startswith_cs":
		return strings.HasPrefix(a, b)
	case "endswith":
		return hasSuffixFold(a, b)
	case "endswith_cs":
		return strings.HasSuffix(a, b)
	}
	return false
}
