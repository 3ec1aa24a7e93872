package eval

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/codeless/codeless/internal/kql/check"
	"github.com/codeless/codeless/internal/kql/value"
	"github.com/codeless/codeless/internal/schema"
)

// compileExpr turns a checked expression into a closure.
func compileExpr(e check.Expr) (fn, error) {
	switch x := e.(type) {
	case *check.Column:
		i := x.Index
		return func(row []any, _ *rt) any { return row[i] }, nil
	case *check.Const:
		v := x.Value
		if v == nil && x.T == schema.String {
			v = ""
		}
		return func([]any, *rt) any { return v }, nil
	case *check.Call:
		return compileCall(x)
	}
	return nil, fmt.Errorf("unsupported expression %T", e)
}

func compileArgs(args []check.Expr) ([]fn, error) {
	out := make([]fn, len(args))
	for i, a := range args {
		f, err := compileExpr(a)
		if err != nil {
			return nil, err
		}
		out[i] = f
	}
	return out, nil
}

// constString returns the constant string value of e, if it is one.
func constString(e check.Expr) (string, bool) {
	if k, ok := e.(*check.Const); ok {
		s, ok := k.Value.(string)
		return s, ok
	}
	return "", false
}

// convertTo coerces v to type t (used where static and runtime types may differ).
func convertTo(v any, t schema.Type) any {
	if t == schema.Dynamic {
		return value.ToDynamic(v)
	}
	out, _ := value.Convert(v, t)
	return out
}

// castFn wraps f so its result has type to when the argument's static type differs.
func castFn(f fn, from, to schema.Type) fn {
	if from == to || to == schema.Dynamic && from == schema.Dynamic {
		return f
	}
	return func(row []any, r *rt) any { return convertTo(f(row, r), to) }
}

func compileCall(c *check.Call) (fn, error) {
	args, err := compileArgs(c.Args)
	if err != nil {
		return nil, err
	}
	switch c.Fn {
	case "and":
		a, b := args[0], args[1]
		return func(row []any, r *rt) any {
			x := a(row, r)
			if x == false {
				return false
			}
			y := b(row, r)
			if y == false {
				return false
			}
			if x == nil || y == nil {
				return nil
			}
			return truthy(x) && truthy(y)
		}, nil
	case "or":
		a, b := args[0], args[1]
		return func(row []any, r *rt) any {
			x := a(row, r)
			if x == true {
				return true
			}
			y := b(row, r)
			if y == true {
				return true
			}
			if x == nil || y == nil {
				return nil
			}
			return false
		}, nil
	case "not":
		a := args[0]
		return func(row []any, r *rt) any {
			switch v := a(row, r).(type) {
			case bool:
				return !v
			}
			return nil
		}, nil
	case "==", "!=":
		neg := c.Fn == "!="
		// Fast path: string column against a string constant.
		if c.Args[0].Type() == schema.String && c.Args[1].Type() == schema.String {
			if k, ok := constString(c.Args[1]); ok {
				a := args[0]
				return func(row []any, r *rt) any {
					s, _ := a(row, r).(string)
					return (s == k) != neg
				}, nil
			}
			a, b := args[0], args[1]
			return func(row []any, r *rt) any {
				x, _ := a(row, r).(string)
				y, _ := b(row, r).(string)
				return (x == y) != neg
			}, nil
		}
		a, b := args[0], args[1]
		return func(row []any, r *rt) any {
			eq, null := equal(a(row, r), b(row, r))
			if null {
				return nil
			}
			if neg {
				// one side null: != is true (equal returned false)
				return !eq
			}
			return eq
		}, nil
	case "<", "<=", ">", ">=":
		op := c.Fn
		a, b := args[0], args[1]
		return func(row []any, r *rt) any {
			x, y := a(row, r), b(row, r)
			cmp, ok := compare(x, y)
			if !ok {
				// datetime vs string literal, numbers in strings etc: try the other order
				if cmp2, ok2 := compare(y, x); ok2 {
					cmp, ok = -cmp2, true
				}
			}
			if !ok {
				return nil
			}
			switch op {
			case "<":
				return cmp < 0
			case "<=":
				return cmp <= 0
			case ">":
				return cmp > 0
			}
			return cmp >= 0
		}, nil
	case "+", "-", "*", "/", "%":
		op := c.Fn[0]
		a, b := args[0], args[1]
		t := c.T
		return func(row []any, r *rt) any {
			v := arith(op, a(row, r), b(row, r))
			if t == schema.Int {
				if n, ok := v.(int64); ok {
					return int64(int32(n))
				}
			}
			return v
		}, nil
	case "neg":
		a := args[0]
		return func(row []any, r *rt) any {
			switch v := a(row, r).(type) {
			case int64:
				return -v
			case float64:
				return -v
			case time.Duration:
				return -v
			}
			return nil
		}, nil
	case "matches regex":
		return compileRegexPred(c, args)
	case "in", "!in", "in~", "!in~", "has_any", "has_all":
		return compileIn(c, args)
	case "between", "!between":
		neg := c.Fn == "!between"
		x, lo, hi := args[0], args[1], args[2]
		return func(row []any, r *rt) any {
			// (x >= lo) and (x <= hi) with three-valued logic.
			v := x(row, r)
			c1, ok1 := compare(v, lo(row, r))
			c2, ok2 := compare(v, hi(row, r))
			if (ok1 && c1 < 0) || (ok2 && c2 > 0) {
				return neg
			}
			if !ok1 || !ok2 {
				return nil
			}
			return !neg
		}, nil
	case "getprop":
		return compileGetProp(c, args)
	case "index":
		a, b := args[0], args[1]
		return func(row []any, r *rt) any { return index(a(row, r), b(row, r)) }, nil
	case "convert":
		a, t := args[0], c.T
		return func(row []any, r *rt) any { return convertTo(a(row, r), t) }, nil
	case "iff":
		cond := args[0]
		a := castFn(args[1], c.Args[1].Type(), c.T)
		b := castFn(args[2], c.Args[2].Type(), c.T)
		return func(row []any, r *rt) any {
			if truthy(cond(row, r)) {
				return a(row, r)
			}
			return b(row, r)
		}, nil
	case "case":
		n := len(args)
		vals := make([]fn, n)
		for i := 1; i < n; i += 2 {
			vals[i] = castFn(args[i], c.Args[i].Type(), c.T)
		}
		vals[n-1] = castFn(args[n-1], c.Args[n-1].Type(), c.T)
		return func(row []any, r *rt) any {
			for i := 0; i+1 < n; i += 2 {
				if truthy(args[i](row, r)) {
					return vals[i+1](row, r)
				}
			}
			return vals[n-1](row, r)
		}, nil
	case "coalesce":
		vals := make([]fn, len(args))
		for i := range args {
			vals[i] = castFn(args[i], c.Args[i].Type(), c.T)
		}
		return func(row []any, r *rt) any {
			var last any
			for _, f := range vals {
				v := f(row, r)
				if v != nil && v != "" {
					return v
				}
				last = v
			}
			return last
		}, nil
	case "max_of", "min_of":
		wantMax := c.Fn == "max_of"
		vals := make([]fn, len(args))
		for i := range args {
			vals[i] = castFn(args[i], c.Args[i].Type(), c.T)
		}
		return func(row []any, r *rt) any {
			var best any
			for _, f := range vals {
				v := f(row, r)
				if v == nil {
					continue
				}
				if best == nil {
					best = v
					continue
				}
				if cmp, ok := compare(v, best); ok && (cmp > 0) == wantMax && cmp != 0 {
					best = v
				}
			}
			return best
		}, nil
	case "now":
		if len(args) == 1 {
			off := args[0]
			return func(row []any, r *rt) any { return arith('+', r.now, off(row, r)) }, nil
		}
		return func(_ []any, r *rt) any { return r.now }, nil
	case "ago":
		a := args[0]
		return func(row []any, r *rt) any { return arith('-', r.now, a(row, r)) }, nil
	case "parse_pattern":
		re, ok := constString(c.Args[1])
		if !ok {
			return nil, fmt.Errorf("parse pattern must be constant")
		}
		rx, err := regexp.Compile(re)
		if err != nil {
			return nil, err
		}
		a := args[0]
		return func(row []any, r *rt) any {
			s, ok := str(a(row, r))
			if !ok {
				return nil
			}
			m := rx.FindStringSubmatch(s)
			if m == nil {
				return nil
			}
			out := make([]any, len(m)-1)
			for i, g := range m[1:] {
				out[i] = g
			}
			return out
		}, nil
	}
	if strings.HasPrefix(c.Fn, "!") || stringOps[c.Fn] {
		return compileStringPred(c, args)
	}
	if c.Fn == "gettype" && c.Args[0].Type() == schema.Int {
		// int and long share int64 at run time; the static type decides.
		a := args[0]
		return func(row []any, r *rt) any {
			if a(row, r) == nil {
				return "null"
			}
			return "int"
		}, nil
	}
	if b, ok := builtins[c.Fn]; ok {
		return b(c, args)
	}
	return nil, fmt.Errorf("function %q is not implemented", c.Fn)
}

var stringOps = map[string]bool{"=~": true, "!~": true}

func init() {
	for _, base := range []string{"contains", "has", "hasprefix", "hassuffix", "startswith", "endswith"} {
		stringOps[base] = true
		stringOps[base+"_cs"] = true
	}
}

func compileStringPred(c *check.Call, args []fn) (fn, error) {
	op := c.Fn
	neg := false
	if op == "!~" {
		op, neg = "=~", true
	} else if strings.HasPrefix(op, "!") {
		op, neg = op[1:], true
	}
	if !stringOps[op] {
		return nil, fmt.Errorf("unknown operator %q", c.Fn)
	}
	a, b := args[0], args[1]
	if k, ok := constString(c.Args[1]); ok && c.Args[0].Type() == schema.String {
		return func(row []any, r *rt) any {
			s, _ := a(row, r).(string)
			return stringPred(op, s, k) != neg
		}, nil
	}
	return func(row []any, r *rt) any {
		x, okx := str(a(row, r))
		y, oky := str(b(row, r))
		if !okx && !oky {
			return nil
		}
		if !okx || !oky {
			return neg
		}
		return stringPred(op, x, y) != neg
	}, nil
}

func compileRegexPred(c *check.Call, args []fn) (fn, error) {
	a, b := args[0], args[1]
	if k, ok := constString(c.Args[1]); ok {
		rx, err := regexp.Compile(k)
		if err != nil {
			return nil, err
		}
		return func(row []any, r *rt) any {
			s, ok := str(a(row, r))
			if !ok {
				return false
			}
			return rx.MatchString(s)
		}, nil
	}
	cache := &regexCache{}
	return func(row []any, r *rt) any {
		s, ok1 := str(a(row, r))
		p, ok2 := str(b(row, r))
		if !ok1 || !ok2 {
			if !ok1 && !ok2 {
				return nil
			}
			return false
		}
		rx := cache.get(p)
		if rx == nil {
			return nil
		}
		return rx.MatchString(s)
	}, nil
}

// regexCache compiles non-constant patterns once (bounded, concurrency-safe).
type regexCache struct {
	mu sync.Mutex
	m  map[string]*regexp.Regexp
}

func (c *regexCache) get(p string) *regexp.Regexp {
	c.mu.Lock()
	defer c.mu.Unlock()
	if rx, ok := c.m[p]; ok {
		return rx
	}
	rx, err := regexp.Compile(p)
	if err != nil {
		rx = nil
	}
	if c.m == nil || len(c.m) > 256 {
		c.m = map[string]*regexp.Regexp{}
	}
	c.m[p] = rx
	return rx
}

// flattenList evaluates an in-list, expanding dynamic arrays into elements.
func flattenList(list []fn, row []any, r *rt) []any {
	out := make([]any, 0, len(list))
	for _, f := range list {
		v := f(row, r)
		if arr, ok := v.([]any); ok {
			out = append(out, arr...)
		} else {
			out = append(out, v)
		}
	}
	return out
}

func compileIn(c *check.Call, args []fn) (fn, error) {
	op := c.Fn
	neg := strings.HasPrefix(op, "!")
	base := strings.TrimPrefix(op, "!")
	x := args[0]
	list := args[1:]
	// Constant string lists: precompute a set.
	allConst := true
	var consts []any
	for _, e := range c.Args[1:] {
		k, ok := e.(*check.Const)
		if !ok {
			allConst = false
			break
		}
		if arr, ok := k.Value.([]any); ok {
			consts = append(consts, arr...)
		} else {
			consts = append(consts, k.Value)
		}
	}
	if allConst && (base == "in" || base == "in~") {
		set := map[string]bool{}
		onlyStrings := true
		for _, v := range consts {
			s, ok := v.(string)
			if !ok {
				onlyStrings = false
				break
			}
			if base == "in~" {
				s = strings.ToLower(s)
			}
			set[s] = true
		}
		if onlyStrings {
			fold := base == "in~"
			return func(row []any, r *rt) any {
				v := x(row, r)
				if v == nil {
					return neg
				}
				s, ok := str(v)
				if !ok {
					return neg
				}
				if fold {
					s = strings.ToLower(s)
				}
				return set[s] != neg
			}, nil
		}
	}
	return func(row []any, r *rt) any {
		v := x(row, r)
		items := flattenList(list, row, r)
		if v == nil {
			return neg
		}
		hit := false
		switch base {
		case "in":
			for _, it := range items {
				if eq, _ := equal(v, it); eq {
					hit = true
					break
				}
			}
		case "in~":
			s, _ := str(v)
			for _, it := range items {
				if t, ok := str(it); ok && strings.EqualFold(s, t) {
					hit = true
					break
				}
			}
		case "has_any", "has_all":
			s, _ := str(v)
			hit = base == "has_all"
			for _, it := range items {
				t, ok := str(it)
				m := ok && hasTerm(s, t, false, true, true)
				if base == "has_any" && m {
					hit = true
					break
				}
				if base == "has_all" && !m {
					hit = false
					break
				}
			}
		}
		return hit != neg
	}, nil
}

func compileGetProp(c *check.Call, args []fn) (fn, error) {
	a := args[0]
	if k, ok := constString(c.Args[1]); ok {
		return func(row []any, r *rt) any {
			if m, ok := a(row, r).(map[string]any); ok {
				return m[k]
			}
			return nil
		}, nil
	}
	b := args[1]
	return func(row []any, r *rt) any { return index(a(row, r), b(row, r)) }, nil
}

// index reads d[i]: a property for a string key, an element for an integer
// (negative counts from the end); anything missing is null.
func index(d, i any) any {
	switch k := i.(type) {
	case string:
		if m, ok := d.(map[string]any); ok {
			return m[k]
		}
	case int64:
		if arr, ok := d.([]any); ok {
			if k < 0 {
				k += int64(len(arr))
			}
			if k >= 0 && k < int64(len(arr)) {
				return arr[k]
			}
		}
	case float64:
		if k == math.Trunc(k) {
			return index(d, int64(k))
		}
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// builder compiles one function call.
type builder func(c *check.Call, args []fn) (fn, error)

func unary(f func(a any) any) builder {
	return func(_ *check.Call, args []fn) (fn, error) {
		a := args[0]
		return func(row []any, r *rt) any { return f(a(row, r)) }, nil
	}
}

func binary(f func(a, b any) any) builder {
	return func(_ *check.Call, args []fn) (fn, error) {
		a, b := args[0], args[1]
		return func(row []any, r *rt) any { return f(a(row, r), b(row, r)) }, nil
	}
}

func nary(f func(vs []any) any) builder {
	return func(_ *check.Call, args []fn) (fn, error) {
		return func(row []any, r *rt) any {
			vs := make([]any, len(args))
			for i, a := range args {
				vs[i] = a(row, r)
			}
			return f(vs)
		}, nil
	}
}

// convertBuilder compiles to<type>(x).
func convertBuilder(t schema.Type) builder {
	return func(c *check.Call, args []fn) (fn, error) {
		a := args[0]
		from := c.Args[0].Type()
		if t == schema.String {
			if from == schema.String {
				return func(row []any, r *rt) any {
					s, _ := a(row, r).(string)
					return s
				}, nil
			}
			dyn := from == schema.Dynamic
			return func(row []any, r *rt) any {
				v := a(row, r)
				if dyn {
					return value.DynamicToString(v)
				}
				return value.ToString(v)
			}, nil
		}
		return func(row []any, r *rt) any {
			v, _ := value.Convert(a(row, r), t)
			return v
		}, nil
	}
}

func parseJSON(v any) any {
	switch x := v.(type) {
	case string:
		return value.ParseJSON(x)
	case nil:
		return nil
	}
	return value.ToDynamic(v)
}

func strArg(v any) string {
	s, _ := str(v)
	return s
}

func intArg(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, false
		}
		return int64(x), true
	}
	n, ok := value.Convert(v, schema.Long)
	if !ok || n == nil {
		return 0, false
	}
	return n.(int64), true
}

func floatArg(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	}
	f, ok := value.Convert(v, schema.Real)
	if !ok || f == nil {
		return 0, false
	}
	return f.(float64), true
}

func mathFn(f func(float64) float64) builder {
	return unary(func(a any) any {
		x, ok := floatArg(a)
		if !ok || a == nil {
			return nil
		}
		return f(x)
	})
}

// kqlRewrite converts \1-style group references to Go's ${1}.
func kqlRewrite(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
			b.WriteString("${")
			b.WriteByte(s[i+1])
			b.WriteString("}")
			i++
			continue
		}
		if s[i] == '$' {
			b.WriteString("$$")
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// regexBuilder compiles a function whose regex argument (index reIdx) is
// usually constant; f gets the compiled regex and the evaluated args.
func regexBuilder(reIdx int, f func(rx *regexp.Regexp, vs []any) any) builder {
	return func(c *check.Call, args []fn) (fn, error) {
		var fixed *regexp.Regexp
		if k, ok := constString(c.Args[reIdx]); ok {
			rx, err := regexp.Compile(k)
			if err != nil {
				return nil, err
			}
			fixed = rx
		}
		cache := &regexCache{}
		return func(row []any, r *rt) any {
			vs := make([]any, len(args))
			for i, a := range args {
				vs[i] = a(row, r)
			}
			rx := fixed
			if rx == nil {
				p, ok := str(vs[reIdx])
				if !ok {
					return nil
				}
				if rx = cache.get(p); rx == nil {
					return nil
				}
			}
			return f(rx, vs)
		}, nil
	}
}

var builtins map[string]builder

// formatBuilder compiles format_datetime/format_timespan (the checker
// guarantees a constant, valid format); a null value formats as "".
func formatBuilder(span bool) builder {
	return func(c *check.Call, args []fn) (fn, error) {
		f, ok := constString(c.Args[1])
		if !ok {
			return nil, fmt.Errorf("%s needs a constant format", c.Fn)
		}
		parse := value.ParseDateTimeFormat
		if span {
			parse = value.ParseTimespanFormat
		}
		elems, err := parse(f)
		if err != nil {
			return nil, err
		}
		a := args[0]
		return func(row []any, r *rt) any {
			switch x := a(row, r).(type) {
			case time.Time:
				if !span {
					return value.FormatDateTimeWith(x, elems)
				}
			case time.Duration:
				if span {
					return value.FormatTimespanWith(x, elems)
				}
			}
			return ""
		}, nil
	}
}

func init() {
	builtins = map[string]builder{
		"tostring":   convertBuilder(schema.String),
		"toint":      convertBuilder(schema.Int),
		"tolong":     convertBuilder(schema.Long),
		"todouble":   convertBuilder(schema.Real),
		"tobool":     convertBuilder(schema.Bool),
		"todatetime": convertBuilder(schema.DateTime),
		"totimespan": convertBuilder(schema.TimeSpan),
		"toguid":     convertBuilder(schema.GUID),
		"parse_json": parseJSONBuilder,
		"parse_xml":  unary(func(a any) any { return parseXML(strArg(a)) }),
		"isnull":     unary(func(a any) any { return a == nil }),
		"isnotnull":  unary(func(a any) any { return a != nil }),
		"isempty":    unary(func(a any) any { return a == nil || a == "" }),
		"isnotempty": unary(func(a any) any { return a != nil && a != "" }),
		"strlen": unary(func(a any) any {
			s, ok := str(a)
			if !ok {
				return nil
			}
			return int64(utf8.RuneCountInString(s))
		}),
		"tolower": unary(func(a any) any { return strings.ToLower(strArg(a)) }),
		"toupper": unary(func(a any) any { return strings.ToUpper(strArg(a)) }),
		"reverse": unary(func(a any) any {
			rs := []rune(strArg(a))
			for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
				rs[i], rs[j] = rs[j], rs[i]
			}
			return string(rs)
		}),
		"strcat": strcatBuilder,
		"strcat_delim": nary(func(vs []any) any {
			parts := make([]string, len(vs)-1)
			for i, v := range vs[1:] {
				parts[i] = strArg(v)
			}
			return strings.Join(parts, strArg(vs[0]))
		}),
		"substring":      nary(substring),
		"split":          nary(split),
		"replace_string": nary(func(vs []any) any { return strings.ReplaceAll(strArg(vs[0]), strArg(vs[1]), strArg(vs[2])) }),
		"replace": regexBuilder(0, func(rx *regexp.Regexp, vs []any) any {
			return rx.ReplaceAllString(strArg(vs[2]), kqlRewrite(strArg(vs[1])))
		}),
		"replace_regex": regexBuilder(1, func(rx *regexp.Regexp, vs []any) any {
			return rx.ReplaceAllString(strArg(vs[0]), kqlRewrite(strArg(vs[2])))
		}),
		"trim": regexBuilder(0, func(rx *regexp.Regexp, vs []any) any {
			return trimRegex(rx, strArg(vs[1]), true, true)
		}),
		"trim_start": regexBuilder(0, func(rx *regexp.Regexp, vs []any) any {
			return trimRegex(rx, strArg(vs[1]), true, false)
		}),
		"trim_end": regexBuilder(0, func(rx *regexp.Regexp, vs []any) any {
			return trimRegex(rx, strArg(vs[1]), false, true)
		}),
		"extract": regexBuilder(0, func(rx *regexp.Regexp, vs []any) any {
			g, ok := intArg(vs[1])
			s, ok2 := str(vs[2])
			if !ok || !ok2 || g < 0 || int(g) > rx.NumSubexp() {
				return ""
			}
			m := rx.FindStringSubmatch(s)
			if m == nil {
				return ""
			}
			return m[g]
		}),
		"extract_all": regexBuilder(0, func(rx *regexp.Regexp, vs []any) any {
			s, ok := str(vs[len(vs)-1])
			if !ok {
				return nil
			}
			ms := rx.FindAllStringSubmatch(s, -1)
			if ms == nil {
				return nil
			}
			out := make([]any, 0, len(ms))
			for _, m := range ms {
				switch {
				case len(m) == 1:
					out = append(out, m[0])
				case len(m) == 2:
					out = append(out, m[1])
				default:
					gs := make([]any, len(m)-1)
					for i, g := range m[1:] {
						gs[i] = g
					}
					out = append(out, gs)
				}
			}
			return out
		}),
		"countof": nary(func(vs []any) any {
			s, sub := strArg(vs[0]), strArg(vs[1])
			if len(vs) > 2 && strArg(vs[2]) == "regex" {
				rx, err := regexp.Compile(sub)
				if err != nil {
					return nil
				}
				return int64(len(rx.FindAllStringIndex(s, -1)))
			}
			if sub == "" {
				return int64(0)
			}
			// Plain matches may overlap: countof("aaaa", "aa") is 3 (Kusto docs).
			n := int64(0)
			for i := 0; i <= len(s)-len(sub); i++ {
				if strings.HasPrefix(s[i:], sub) {
					n++
				}
			}
			return n
		}),
		"indexof": nary(indexOf),
		"base64_encodestring": unary(func(a any) any {
			return base64.StdEncoding.EncodeToString([]byte(strArg(a)))
		}),
		"base64_decodestring": unary(func(a any) any {
			s := strArg(a)
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				if b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "=")); err != nil {
					return ""
				}
			}
			if !utf8.Valid(b) {
				return ""
			}
			return string(b)
		}),
		"hash_sha256": hashBuilder,
		"gettype":     unary(gettype),
		"array_length": unary(func(a any) any {
			if arr, ok := a.([]any); ok {
				return int64(len(arr))
			}
			return nil
		}),
		"pack_array": nary(func(vs []any) any {
			out := make([]any, len(vs))
			for i, v := range vs {
				out[i] = value.ToDynamic(v)
			}
			return out
		}),
		"pack": nary(func(vs []any) any {
			m := make(map[string]any, len(vs)/2)
			for i := 0; i+1 < len(vs); i += 2 {
				m[strArg(vs[i])] = value.ToDynamic(vs[i+1])
			}
			return m
		}),
		"array_concat": nary(func(vs []any) any {
			out := []any{}
			for _, v := range vs {
				arr, ok := v.([]any)
				if !ok {
					return nil
				}
				out = append(out, arr...)
			}
			return out
		}),
		"zip": nary(func(vs []any) any {
			n := 0
			for _, v := range vs {
				arr, ok := v.([]any)
				if !ok {
					return nil
				}
				if len(arr) > n {
					n = len(arr)
				}
			}
			out := make([]any, n)
			for i := range out {
				t := make([]any, len(vs))
				for j, v := range vs {
					if arr := v.([]any); i < len(arr) {
						t[j] = arr[i]
					}
				}
				out[i] = t
			}
			return out
		}),
		"format_datetime": formatBuilder(false),
		"format_timespan": formatBuilder(true),
		"parse_cef_dictionary": unary(func(a any) any {
			s, ok := str(a)
			if !ok {
				return nil
			}
			return parseCEFExtension(s)
		}),
		"abs": unary(func(a any) any {
			switch x := a.(type) {
			case int64:
				if x < 0 {
					return -x
				}
				return x
			case float64:
				return math.Abs(x)
			}
			return nil
		}),
		"sign": unary(func(a any) any {
			switch x := a.(type) {
			case int64:
				return int64(cmp3(x, 0))
			case float64:
				switch {
				case x > 0:
					return 1.0
				case x < 0:
					return -1.0
				}
				return 0.0
			}
			return nil
		}),
		"ceiling": unary(func(a any) any {
			switch x := a.(type) {
			case int64:
				return x
			case float64:
				return math.Ceil(x)
			}
			return nil
		}),
		"exp":   mathFn(math.Exp),
		"exp2":  mathFn(math.Exp2),
		"exp10": mathFn(func(x float64) float64 { return math.Pow(10, x) }),
		"log":   mathFn(math.Log),
		"log2":  mathFn(math.Log2),
		"log10": mathFn(math.Log10),
		"sqrt":  mathFn(math.Sqrt),
		"pow": binary(func(a, b any) any {
			x, ok1 := floatArg(a)
			y, ok2 := floatArg(b)
			if !ok1 || !ok2 || a == nil || b == nil {
				return nil
			}
			return math.Pow(x, y)
		}),
		"isnan": unary(func(a any) any {
			f, ok := a.(float64)
			return ok && math.IsNaN(f)
		}),
		"isinf": unary(func(a any) any {
			f, ok := a.(float64)
			return ok && math.IsInf(f, 0)
		}),
		"isfinite": unary(func(a any) any {
			switch x := a.(type) {
			case float64:
				return !math.IsInf(x, 0) && !math.IsNaN(x)
			case int64:
				return true
			}
			return false
		}),
		"round": nary(func(vs []any) any {
			p := int64(0)
			if len(vs) > 1 {
				var ok bool
				if p, ok = intArg(vs[1]); !ok {
					return nil
				}
			}
			switch x := vs[0].(type) {
			case int64:
				if p >= 0 {
					return x
				}
				f := math.Pow(10, float64(-p))
				return int64(math.Round(float64(x)/f) * f)
			case float64:
				f := math.Pow(10, float64(p))
				return math.Round(x*f) / f
			}
			return nil
		}),
		"bin":                binBuilder,
		"binary_and":         bitwise(func(a, b int64) int64 { return a & b }),
		"binary_or":          bitwise(func(a, b int64) int64 { return a | b }),
		"binary_xor":         bitwise(func(a, b int64) int64 { return a ^ b }),
		"binary_shift_left":  bitwise(func(a, b int64) int64 { return a << uint64(b&63) }),
		"binary_shift_right": bitwise(func(a, b int64) int64 { return a >> uint64(b&63) }),
		"binary_not": unary(func(a any) any {
			n, ok := intArg(a)
			if !ok || a == nil {
				return nil
			}
			return ^n
		}),
	}
	for name, b := range datetimeBuiltins {
		builtins[name] = b
	}
}

func bitwise(f func(a, b int64) int64) builder {
	return binary(func(a, b any) any {
		x, ok1 := intArg(a)
		y, ok2 := intArg(b)
		if !ok1 || !ok2 || a == nil || b == nil {
			return nil
		}
		return f(x, y)
	})
}

func substring(vs []any) any {
	s, ok := str(vs[0])
	if !ok {
		return ""
	}
	start, ok := intArg(vs[1])
	if !ok {
		return ""
	}
	rs := []rune(s)
	n := int64(len(rs))
	if start < 0 {
		start = 0
	}
	if start > n {
		return ""
	}
	end := n
	if len(vs) > 2 && vs[2] != nil {
		// A length that is not a number means "to the end", like null.
		if l, ok := intArg(vs[2]); ok {
			if l < 0 {
				return ""
			}
			if start+l < end {
				end = start + l
			}
		}
	}
	return string(rs[start:end])
}

func split(vs []any) any {
	s, ok := str(vs[0])
	if !ok {
		return nil
	}
	d := strArg(vs[1])
	var parts []string
	if d == "" {
		parts = []string{s}
	} else {
		parts = strings.Split(s, d)
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	if len(vs) > 2 {
		i, ok := intArg(vs[2])
		if !ok || i < 0 || i >= int64(len(out)) {
			return []any{}
		}
		return []any{out[i]}
	}
	return out
}

func indexOf(vs []any) any {
	s, ok1 := str(vs[0])
	sub, ok2 := str(vs[1])
	if !ok1 || !ok2 {
		return nil
	}
	rs := []rune(s)
	start := int64(0)
	if len(vs) > 2 {
		var ok bool
		if start, ok = intArg(vs[2]); !ok {
			return nil
		}
		if start < 0 {
			start += int64(len(rs))
			if start < 0 {
				start = 0
			}
		}
	}
	if start > int64(len(rs)) {
		return int64(-1)
	}
	end := int64(len(rs))
	if len(vs) > 3 {
		l, ok := intArg(vs[3])
		if !ok || l < -1 {
			return nil
		}
		if l >= 0 && start+l < end {
			end = start + l
		}
	}
	occ := int64(1)
	if len(vs) > 4 {
		var ok bool
		if occ, ok = intArg(vs[4]); !ok || occ < 1 {
			return nil
		}
	}
	hay := string(rs[start:end])
	off := 0
	for {
		i := strings.Index(hay[off:], sub)
		if i < 0 {
			return int64(-1)
		}
		occ--
		if occ == 0 {
			return start + int64(utf8.RuneCountInString(hay[:off+i]))
		}
		_, n := utf8.DecodeRuneInString(hay[off+i:])
		if n == 0 {
			n = 1
		}
		off += i + n
		if off > len(hay) {
			return int64(-1)
		}
	}
}

func trimRegex(rx *regexp.Regexp, s string, start, end bool) string {
	for start && s != "" {
		loc := rx.FindStringIndex(s)
		if loc == nil || loc[0] != 0 || loc[1] == 0 {
			break
		}
		s = s[loc[1]:]
	}
	for end && s != "" {
		trimmed := false
		for i := 0; i < len(s); i++ {
			if !utf8.RuneStart(s[i]) {
				continue
			}
			loc := rx.FindStringIndex(s[i:])
			if loc != nil && loc[0] == 0 && i+loc[1] == len(s) && loc[1] > 0 {
				s = s[:i]
				trimmed = true
				break
			}
		}
		if !trimmed {
			break
		}
	}
	return s
}

func gettype(a any) any {
	switch a.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case int64:
		return "long"
	case float64:
		return "real"
	case bool:
		return "bool"
	case time.Time:
		return "datetime"
	case time.Duration:
		return "timespan"
	case []any:
		return "array"
	case map[string]any:
		return "dictionary"
	}
	return "object"
}

var cefKey = regexp.MustCompile(`(?:^|\s)([A-Za-z0-9_.\-\[\]]+)=`)

// parseCEFExtension parses the CEF extension part "k1=v1 k2=v with spaces"
// into a bag: a value runs until the next " key=" token; \= and \\ unescape.
// ParseCEFDictionary is parse_cef_dictionary(s): the key=value pairs of a
// CEF extension as a property bag. sqlgen's kql_parse_cef UDF calls it.
func ParseCEFDictionary(s string) any { return parseCEFExtension(s) }

func parseCEFExtension(s string) any {
	out := map[string]any{}
	locs := cefKey.FindAllStringSubmatchIndex(s, -1)
	// Skip matches whose '=' is escaped.
	var keep [][]int
	for _, l := range locs {
		if l[3] > 0 && s[l[3]-1] == '\\' {
			continue
		}
		keep = append(keep, l)
	}
	for i, l := range keep {
		key := s[l[2]:l[3]]
		end := len(s)
		if i+1 < len(keep) {
			end = keep[i+1][0]
		}
		v := strings.TrimSpace(s[l[1]:end])
		v = strings.NewReplacer(`\=`, "=", `\\`, `\`, `\n`, "\n", `\r`, "\r").Replace(v)
		out[key] = v
	}
	return out
}

// strcatBuilder concatenates the tostring() of each argument (typed bools
// render True/False, dynamic ones true/false).
func strcatBuilder(c *check.Call, args []fn) (fn, error) {
	parts := make([]fn, len(args))
	for i, a := range args {
		f, err := convertBuilder(schema.String)(&check.Call{Args: c.Args[i : i+1]}, []fn{a})
		if err != nil {
			return nil, err
		}
		parts[i] = f
	}
	return func(row []any, r *rt) any {
		var b strings.Builder
		for _, p := range parts {
			s, _ := p(row, r).(string)
			b.WriteString(s)
		}
		return b.String()
	}, nil
}

// hashBuilder hashes the tostring() of its argument (typed bools render
// True/False, as in strcat).
func hashBuilder(c *check.Call, args []fn) (fn, error) {
	conv, err := convertBuilder(schema.String)(c, args)
	if err != nil {
		return nil, err
	}
	return func(row []any, r *rt) any {
		s, _ := conv(row, r).(string)
		sum := sha256.Sum256([]byte(s))
		return hex.EncodeToString(sum[:])
	}, nil
}

// parseJSONBuilder: a dynamic argument is used as it is; anything else is
// rendered with tostring semantics for strings and parsed.
func parseJSONBuilder(c *check.Call, args []fn) (fn, error) {
	a := args[0]
	if c.Args[0].Type() == schema.Dynamic {
		return a, nil
	}
	return func(row []any, r *rt) any { return parseJSON(a(row, r)) }, nil
}
