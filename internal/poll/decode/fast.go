package decode

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// parserPool reuses fastjson parsers (their arenas) across pages.
var parserPool fastjson.ParserPool

// keyCache interns object keys within one document: event keys repeat on
// every event, and interning saves an allocation per key per event.
type keyCache map[string]string

func (c keyCache) get(b []byte) string {
	if s, ok := c[string(b)]; ok {
		return s
	}
	s := validString(b)
	if len(c) < 4096 {
		c[s] = s
	}
	return s
}

// parseFast parses with the scanner (scan.go) or, when it gives up, with
// fastjson (several times faster than encoding/json), and converts to the
// Go value conventions. ok is false when the input is not valid JSON; the
// caller then asks encoding/json for a positioned error.
func parseFast(body []byte) (v any, ok bool) {
	if v, ok := parseScan(body); ok {
		return v, true
	}
	return parseFastjson(body)
}

// parseFastjson is the fastjson path alone.
func parseFastjson(body []byte) (v any, ok bool) { return parseFastKeys(body, keyCache{}) }

// maxPooled: parsers that parsed more than this are not returned to the pool,
// so one huge page does not pin its buffers for the life of the process.
const maxPooled = 8 << 20

func parseFastKeys(body []byte, keys keyCache) (v any, ok bool) {
	p := parserPool.Get()
	fv, err := p.ParseBytes(body)
	if err != nil {
		parserPool.Put(p)
		return nil, false
	}
	v = convert(fv, keys)
	if len(body) <= maxPooled {
		parserPool.Put(p)
	}
	return v, true
}

func convert(v *fastjson.Value, keys keyCache) any {
	switch v.Type() {
	case fastjson.TypeNull:
		return nil
	case fastjson.TypeTrue:
		return true
	case fastjson.TypeFalse:
		return false
	case fastjson.TypeString:
		return validString(v.GetStringBytes())
	case fastjson.TypeNumber:
		raw := v.String()
		if i, err := strconv.ParseInt(raw, 10, 64); err == nil {
			return i
		}
		if f, err := strconv.ParseFloat(raw, 64); err == nil {
			return f
		}
		return raw // out of float64 range: keep the digits
	case fastjson.TypeArray:
		a, _ := v.Array()
		out := make([]any, len(a))
		for i, e := range a {
			out[i] = convert(e, keys)
		}
		return out
	case fastjson.TypeObject:
		o, _ := v.Object()
		out := make(map[string]any, o.Len())
		o.Visit(func(k []byte, e *fastjson.Value) {
			out[keys.get(k)] = convert(e, keys)
		})
		return out
	}
	return nil
}

// validString converts b to a string, replacing each invalid UTF-8 byte with
// U+FFFD as encoding/json does.
func validString(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		sb.WriteRune(r) // RuneError for an invalid byte (n == 1)
		b = b[n:]
	}
	return sb.String()
}
