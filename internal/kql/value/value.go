package value

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/codeless/codeless/internal/schema"
)

// Tick is the KQL datetime/timespan resolution (100 ns).
const Tick = 100 * time.Nanosecond

// Convert coerces v (any Go value: the schema representations, dynamic JSON
// values, json.Number, other Go integer/float kinds) to the Go representation
// of type to, with the semantics of KQL's toint/tolong/todouble/tobool/
// todatetime/totimespan/toguid/tostring/todynamic. ok=false means the value
// could not be converted; the result is then nil (or "" for string). A nil v
// converts to nil with ok=true (and to "" for string).
func Convert(v any, to schema.Type) (any, bool) {
	v = normalizeScalar(v)
	switch to {
	case schema.String:
		return ToString(v), true
	case schema.Dynamic:
		if v == nil {
			return nil, true
		}
		return ToDynamic(v), true
	}
	if v == nil {
		return nil, true
	}
	switch to {
	case schema.Long, schema.Int:
		n, ok := toInt64(v)
		if !ok {
			return nil, false
		}
		if to == schema.Int && (n > math.MaxInt32 || n < math.MinInt32) {
			return nil, false
		}
		return n, true
	case schema.Real, schema.Decimal:
		f, ok := toFloat64(v)
		if !ok {
			return nil, false
		}
		return f, true
	case schema.Bool:
		switch x := v.(type) {
		case bool:
			return x, true
		case int64:
			return x != 0, true
		case float64:
			return x != 0, true
		case string:
			switch strings.ToLower(strings.TrimSpace(x)) {
			case "true":
				return true, true
			case "false":
				return false, true
			}
		}
		return nil, false
	case schema.DateTime:
		switch x := v.(type) {
		case time.Time:
			return x.UTC(), true
		case string:
			t, ok := ParseDateTime(x)
			if !ok {
				return nil, false
			}
			return t, true
		}
		return nil, false
	case schema.TimeSpan:
		switch x := v.(type) {
		case time.Duration:
			return x, true
		case int64:
			return time.Duration(x) * Tick, true
		case float64:
			if math.IsNaN(x) || math.Abs(x) > math.MaxInt64/100 {
				return nil, false
			}
			return time.Duration(x) * Tick, true
		case string:
			d, ok := ParseTimespan(x)
			if !ok {
				return nil, false
			}
			return d, true
		}
		return nil, false
	case schema.GUID:
		if s, ok := v.(string); ok {
			if g, ok := ParseGUID(s); ok {
				return g, true
			}
		}
		return nil, false
	}
	return nil, false
}

// normalizeScalar maps Go numeric kinds and json.Number onto the schema
// conventions (int64/float64).
func normalizeScalar(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	case uint:
		if uint64(x) > math.MaxInt64 {
			return float64(x)
		}
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		if x > math.MaxInt64 {
			return float64(x)
		}
		return int64(x)
	case uint16:
		return int64(x)
	case uint8:
		return int64(x)
	case float32:
		return float64(x)
	case json.Number:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return n
		}
		if f, err := strconv.ParseFloat(string(x), 64); err == nil {
			return f
		}
		return string(x)
	case *time.Time:
		if x == nil {
			return nil
		}
		return *x
	}
	return v
}

func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || x >= 9.223372036854775807e18 || x < -9.223372036854775808e18 {
			return 0, false
		}
		return int64(x), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case string:
		s := strings.TrimSpace(x)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, true
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "nNiI") {
			return toInt64(f)
		}
		return 0, false
	case time.Duration:
		return int64(x / Tick), true
	case time.Time:
		return 0, false
	}
	return 0, false
}

func toFloat64(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case string:
		s := strings.TrimSpace(x)
		switch strings.ToLower(s) {
		case "nan":
			return math.NaN(), true
		case "infinity", "+infinity", "inf":
			return math.Inf(1), true
		case "-infinity", "-inf":
			return math.Inf(-1), true
		}
		if strings.ContainsAny(s, "nNiIxX_") {
			return 0, false
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, false
		}
		return f, true
	case time.Duration:
		return float64(x / Tick), true
	}
	return 0, false
}

// ParseGUID parses a GUID in 8-4-4-4-12 form (optionally in braces or
// parentheses) or as 32 hex digits and returns the canonical lower-case form.
func ParseGUID(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) == 38 && (s[0] == '{' && s[37] == '}' || s[0] == '(' && s[37] == ')') {
		s = s[1:37]
	}
	var hex []byte
	switch len(s) {
	case 36:
		for i := 0; i < 36; i++ {
			c := s[i]
			if i == 8 || i == 13 || i == 18 || i == 23 {
				if c != '-' {
					return "", false
				}
				continue
			}
			hex = append(hex, c)
		}
	case 32:
		hex = []byte(s)
	default:
		return "", false
	}
	out := make([]byte, 0, 36)
	for i, c := range hex {
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			c += 'a' - 'A'
		default:
			return "", false
		}
		if i == 8 || i == 12 || i == 16 || i == 20 {
			out = append(out, '-')
		}
		out = append(out, c)
	}
	return string(out), true
}

// ToDynamic normalises v to the dynamic representation (nil, bool, int64,
// float64, string, []any, map[string]any). Datetimes, timespans and guids
// become strings, as in Kusto's JSON rendering. Nested json.Number values
// are converted. Containers are returned as they are when already normal,
// and copied otherwise (the input is never modified).
func ToDynamic(v any) any {
	if isDynamic(v) {
		return v
	}
	return toDynamicCopy(v)
}

// isDynamic reports whether v already follows the dynamic conventions.
func isDynamic(v any) bool {
	switch x := v.(type) {
	case nil, bool, int64, float64, string:
		return true
	case []any:
		for _, e := range x {
			if !isDynamic(e) {
				return false
			}
		}
		return true
	case map[string]any:
		for _, e := range x {
			if !isDynamic(e) {
				return false
			}
		}
		return true
	}
	return false
}

func toDynamicCopy(v any) any {
	v = normalizeScalar(v)
	switch x := v.(type) {
	case nil, bool, int64, float64, string:
		return x
	case time.Time:
		return FormatDateTime(x)
	case time.Duration:
		return FormatTimespan(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = toDynamicCopy(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = toDynamicCopy(e)
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	case map[string]string:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = e
		}
		return out
	}
	// Anything else: round-trip through JSON.
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return ParseJSON(string(b))
}

// ParseJSON parses s as JSON into a dynamic value (parse_json/todynamic).
// Malformed JSON gives nil. Integers that fit int64 stay int64, other
// numbers become float64.
func ParseJSON(s string) any {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	if dec.More() {
		return nil
	}
	return numbersToDynamic(v)
}

func numbersToDynamic(v any) any {
	switch x := v.(type) {
	case json.Number:
		return normalizeScalar(x)
	case []any:
		for i, e := range x {
			x[i] = numbersToDynamic(e)
		}
		return x
	case map[string]any:
		for k, e := range x {
			x[k] = numbersToDynamic(e)
		}
		return x
	}
	return v
}

// FormatDateTime renders t as Kusto does: 2020-01-01T00:00:00.0000000Z.
func FormatDateTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.0000000Z")
}

// FormatTimespan renders d as .NET TimeSpan "c": [-][d.]hh:mm:ss[.fffffff].
func FormatTimespan(d time.Duration) string {
	var b strings.Builder
	ticks := int64(d / Tick)
	if ticks < 0 {
		b.WriteByte('-')
		if ticks == math.MinInt64 {
			ticks = math.MaxInt64
		} else {
			ticks = -ticks
		}
	}
	const tps = int64(time.Second / Tick)
	days := ticks / (86400 * tps)
	rem := ticks % (86400 * tps)
	if days > 0 {
		b.WriteString(strconv.FormatInt(days, 10))
		b.WriteByte('.')
	}
	h := rem / (3600 * tps)
	rem %= 3600 * tps
	m := rem / (60 * tps)
	rem %= 60 * tps
	s := rem / tps
	frac := rem % tps
	b.WriteString(pad2(h))
	b.WriteByte(':')
	b.WriteString(pad2(m))
	b.WriteByte(':')
	b.WriteString(pad2(s))
	if frac > 0 {
		f := strconv.FormatInt(frac, 10)
		b.WriteByte('.')
		b.WriteString(strings.Repeat("0", 7-len(f)))
		b.WriteString(f)
	}
	return b.String()
}

func pad2(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// FormatReal renders a float64 as .NET's shortest round-trip form
// (1.5, 1, 1E+15, 1E-05, NaN, Infinity).
func FormatReal(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	a := math.Abs(f)
	if a != 0 && (a >= 1e15 || a < 1e-4) {
		s := strconv.FormatFloat(f, 'E', -1, 64)
		// Go: 1E+15, 1E-05 already matches .NET's two-digit minimum exponent.
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// ToString renders v as KQL tostring does (reference/kql.md §2.4): null → "",
// datetime with 7 fractional digits and Z, bool as True/False, timespan as
// [-][d.]hh:mm:ss[.fffffff], a string unquoted, arrays and objects as compact
// JSON.
func ToString(v any) string {
	switch x := normalizeScalar(v).(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return FormatReal(x)
	case bool:
		if x {
			return "True"
		}
		return "False"
	case time.Time:
		return FormatDateTime(x)
	case time.Duration:
		return FormatTimespan(x)
	case []any, map[string]any:
		return JSON(x)
	default:
		return JSON(ToDynamic(x))
	}
}

// DynamicToString renders a dynamic value for tostring(): like ToString, but
// a dynamic bool prints as JSON (true/false).
func DynamicToString(v any) string {
	if b, ok := v.(bool); ok {
		if b {
			return "true"
		}
		return "false"
	}
	return ToString(v)
}

// JSON renders a dynamic value as compact JSON without HTML escaping.
// Object keys are sorted (Go maps carry no insertion order).
func JSON(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(jsonSafe(v)); err != nil {
		return ""
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// jsonSafe replaces NaN/Inf (which encoding/json rejects) with strings.
func jsonSafe(v any) any {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return FormatReal(x)
		}
	case []any:
		for _, e := range x {
			if needsSafe(e) {
				out := make([]any, len(x))
				for i, e := range x {
					out[i] = jsonSafe(e)
				}
				return out
			}
		}
	case map[string]any:
		for _, e := range x {
			if needsSafe(e) {
				out := make(map[string]any, len(x))
				for k, e := range x {
					out[k] = jsonSafe(e)
				}
				return out
			}
		}
	case time.Time:
		return FormatDateTime(x)
	case time.Duration:
		return FormatTimespan(x)
	}
	return v
}

func needsSafe(v any) bool {
	switch x := v.(type) {
	case float64:
		return math.IsNaN(x) || math.IsInf(x, 0)
	case []any, map[string]any, time.Time, time.Duration:
		return true
	}
	return false
}
