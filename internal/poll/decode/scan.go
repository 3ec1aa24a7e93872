package decode

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// scan.go is the first JSON parser a page meets: one pass from bytes to
// the Go value conventions, written for the poll path's per-event cost
// (docs/poller.md, Throughput). Compared with fastjson followed by a walk
// of its tree (fast.go) it
//   - copies the body once into a string and returns strings without
//     escapes or non-ASCII bytes, and object keys, as substrings of it
//     (no allocation per string; a value keeps its page's text alive);
//   - boxes strings, integers and floats from slabs (one allocation per
//     256 values instead of one per value, see box*);
//   - sizes each map and slice exactly from a reused member stack.
//
// It accepts a strict subset of JSON: anything unusual (control
// characters, invalid escapes, lone surrogates, non-canonical numbers,
// nesting deeper than maxScanDepth) makes it give up, and the caller falls
// back to fastjson, then encoding/json, which decide as before. For the
// documents it accepts, FuzzScanMatchesFast checks it returns what the
// fastjson path returns.

// maxScanDepth bounds nesting (recursion) before giving up.
const maxScanDepth = 512

// slab is how many boxed values are allocated at once.
const slab = 256

type scanner struct {
	src    string
	i      int
	depth  int
	strs   []string
	ints   []int64
	floats []float64
	vals   []any // elements of open arrays
	kvs    []kv  // members of open objects
	arena  []byte
}

type kv struct {
	k string
	v any
}

// parseScan parses body; ok is false when the scanner gave up (the
// document may still be valid JSON).
func parseScan(body []byte) (v any, ok bool) {
	s := scanner{src: string(body)}
	v, ok = s.value()
	if !ok {
		return nil, false
	}
	s.ws()
	if s.i != len(s.src) {
		return nil, false
	}
	return v, true
}

func (s *scanner) ws() {
	for s.i < len(s.src) {
		switch s.src[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) value() (any, bool) {
	s.ws()
	if s.i >= len(s.src) {
		return nil, false
	}
	switch c := s.src[s.i]; c {
	case '{':
		return s.object()
	case '[':
		return s.array()
	case '"':
		str, ok := s.str()
		if !ok {
			return nil, false
		}
		return s.boxString(str), true
	case 't':
		return true, s.lit("true")
	case 'f':
		return false, s.lit("false")
	case 'n':
		return nil, s.lit("null")
	default:
		if c == '-' || c >= '0' && c <= '9' {
			return s.number()
		}
	}
	return nil, false
}

func (s *scanner) lit(w string) bool {
	if len(s.src)-s.i >= len(w) && s.src[s.i:s.i+len(w)] == w {
		s.i += len(w)
		return true
	}
	return false
}

func (s *scanner) object() (any, bool) {
	if s.depth++; s.depth > maxScanDepth {
		return nil, false
	}
	s.i++ // {
	base := len(s.kvs)
	s.ws()
	if s.i < len(s.src) && s.src[s.i] == '}' {
		s.i++
		s.depth--
		return map[string]any{}, true
	}
	for {
		s.ws()
		if s.i >= len(s.src) || s.src[s.i] != '"' {
			return nil, false
		}
		k, ok := s.str()
		if !ok {
			return nil, false
		}
		s.ws()
		if s.i >= len(s.src) || s.src[s.i] != ':' {
			return nil, false
		}
		s.i++
		v, ok := s.value()
		if !ok {
			return nil, false
		}
		s.kvs = append(s.kvs, kv{k, v})
		s.ws()
		if s.i >= len(s.src) {
			return nil, false
		}
		if c := s.src[s.i]; c == ',' {
			s.i++
			continue
		} else if c != '}' {
			return nil, false
		}
		s.i++
		break
	}
	members := s.kvs[base:]
	m := make(map[string]any, len(members))
	for _, e := range members {
		m[e.k] = e.v // a repeated key: the last wins
	}
	clear(members) // drop references held by the reused stack
	s.kvs = s.kvs[:base]
	s.depth--
	return m, true
}

func (s *scanner) array() (any, bool) {
	if s.depth++; s.depth > maxScanDepth {
		return nil, false
	}
	s.i++ // [
	base := len(s.vals)
	s.ws()
	if s.i < len(s.src) && s.src[s.i] == ']' {
		s.i++
		s.depth--
		return []any{}, true
	}
	for {
		v, ok := s.value()
		if !ok {
			return nil, false
		}
		s.vals = append(s.vals, v)
		s.ws()
		if s.i >= len(s.src) {
			return nil, false
		}
		if c := s.src[s.i]; c == ',' {
			s.i++
			continue
		} else if c != ']' {
			return nil, false
		}
		s.i++
		break
	}
	elems := s.vals[base:]
	out := make([]any, len(elems))
	copy(out, elems)
	clear(elems)
	s.vals = s.vals[:base]
	s.depth--
	return out, true
}

// str parses a string at s.i (the opening quote).
func (s *scanner) str() (string, bool) {
	start := s.i + 1
	i := start
	// Eight bytes at a time while none is a quote, a backslash, a control
	// character or non-ASCII.
	for i+8 <= len(s.src) && plain8(s.src[i:i+8]) {
		i += 8
	}
	for i < len(s.src) {
		c := s.src[i]
		if c == '"' {
			s.i = i + 1
			return s.src[start:i], true
		}
		if c == '\\' || c < 0x20 || c >= 0x80 {
			return s.strSlow(start)
		}
		i++
	}
	return "", false
}

// strSlow decodes a string with escapes or non-ASCII bytes into the arena;
// invalid UTF-8 bytes become U+FFFD (as the fastjson path does).
func (s *scanner) strSlow(start int) (string, bool) {
	if cap(s.arena)-len(s.arena) < 4096 {
		s.arena = make([]byte, 0, 64<<10)
	}
	a0 := len(s.arena)
	b := s.arena
	i := start
	for {
		if i >= len(s.src) {
			return "", false
		}
		c := s.src[i]
		switch {
		case c == '"':
			s.i = i + 1
			s.arena = b
			if len(b) == a0 {
				return "", true
			}
			return unsafe.String(&b[a0], len(b)-a0), true
		case c < 0x20:
			return "", false
		case c < 0x80 && c != '\\':
			b = append(b, c)
			i++
		case c >= 0x80:
			r, n := utf8.DecodeRuneInString(s.src[i:])
			b = utf8.AppendRune(b, r) // RuneError for an invalid byte (n == 1)
			i += n
		default: // escape
			if i+1 >= len(s.src) {
				return "", false
			}
			e := s.src[i+1]
			i += 2
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, ok := hex4(s.src, i)
				if !ok {
					return "", false
				}
				i += 4
				if utf16.IsSurrogate(r) {
					// Only a valid pair is decoded here; the fastjson
					// path has its own rules for the rest.
					if i+6 > len(s.src) || s.src[i] != '\\' || s.src[i+1] != 'u' {
						return "", false
					}
					r2, ok := hex4(s.src, i+2)
					if !ok {
						return "", false
					}
					r = utf16.DecodeRune(r, r2)
					if r == utf8.RuneError {
						return "", false
					}
					i += 6
				}
				b = utf8.AppendRune(b, r)
			default:
				return "", false
			}
		}
	}
}

// plain8 reports whether none of the 8 bytes of b needs attention in a
// string: '"', '\\', < 0x20 or >= 0x80 (SWAR: the high bit of each byte
// lane flags a match).
func plain8(b string) bool {
	x := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote := x ^ (ones * '"')
	bslash := x ^ (ones * '\\')
	special := (quote - ones) &^ quote // a zero lane: '"'
	special |= (bslash - ones) &^ bslash
	special |= x - ones*0x20 // borrow: a lane < 0x20
	special |= x             // non-ASCII
	return special&highs == 0
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number parses a JSON number (strict grammar): int64 when it parses as
// one, else float64, else (out of float64 range) its text.
func (s *scanner) number() (any, bool) {
	start := s.i
	i := s.i
	if s.src[i] == '-' {
		i++
	}
	if i >= len(s.src) {
		return nil, false
	}
	switch c := s.src[i]; {
	case c == '0':
		i++
	case c >= '1' && c <= '9':
		for i < len(s.src) && s.src[i] >= '0' && s.src[i] <= '9' {
			i++
		}
	default:
		return nil, false
	}
	integral := true
	if i < len(s.src) && s.src[i] == '.' {
		integral = false
		i++
		d := i
		for i < len(s.src) && s.src[i] >= '0' && s.src[i] <= '9' {
			i++
		}
		if i == d {
			return nil, false
		}
	}
	if i < len(s.src) && (s.src[i] == 'e' || s.src[i] == 'E') {
		integral = false
		i++
		if i < len(s.src) && (s.src[i] == '+' || s.src[i] == '-') {
			i++
		}
		d := i
		for i < len(s.src) && s.src[i] >= '0' && s.src[i] <= '9' {
			i++
		}
		if i == d {
			return nil, false
		}
	}
	s.i = i
	raw := s.src[start:i]
	if integral {
		if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
			return s.boxInt(n), true
		}
	}
	if f, err := strconv.ParseFloat(raw, 64); err == nil {
		return s.boxFloat(f), true
	}
	return s.boxString(raw), true // out of float64 range: keep the digits
}

// Boxing from slabs: an interface holding a string, int64 or float64
// points at its value; here the value lives in a slab shared by 256
// values instead of in an allocation of its own. The slab is never written
// again at that index, so the interface stays valid (and keeps the slab
// alive) like a normally boxed value.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

func typeOf(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

var (
	stringType  = typeOf("")
	int64Type   = typeOf(int64(0))
	float64Type = typeOf(float64(0))
)

func box(typ, data unsafe.Pointer) any {
	var v any
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = typ, data
	return v
}

func (s *scanner) boxString(x string) any {
	if x == "" {
		return ""
	}
	if len(s.strs) == cap(s.strs) {
		s.strs = make([]string, 0, slab)
	}
	s.strs = append(s.strs, x)
	return box(stringType, unsafe.Pointer(&s.strs[len(s.strs)-1]))
}

func (s *scanner) boxInt(n int64) any {
	if n >= 0 && n < 256 {
		return n // the runtime boxes small integers without allocating
	}
	if len(s.ints) == cap(s.ints) {
		s.ints = make([]int64, 0, slab)
	}
	s.ints = append(s.ints, n)
	return box(int64Type, unsafe.Pointer(&s.ints[len(s.ints)-1]))
}

func (s *scanner) boxFloat(f float64) any {
	if len(s.floats) == cap(s.floats) {
		s.floats = make([]float64, 0, slab)
	}
	s.floats = append(s.floats, f)
	return box(float64Type, unsafe.Pointer(&s.floats[len(s.floats)-1]))
}
