// Package timefmt renders window timestamps with CCF's request.queryTimeFormat
// (SPEC §4 "Time formats", reference/ccf-format.md §2.4 and Appendix A).
//
// Supported: "" (ISO 8601 UTC with 7 fractional digits, .NET's round-trip
// style), the constants UnixTimestamp (seconds) and UnixTimestampInMills
// (milliseconds), the .NET single-letter standard formats of the invariant
// culture, and every .NET custom date/time specifier. Times are always
// formatted in UTC. The package only formats; it does not parse.
//
// We write our own translator instead of mapping onto Go layouts because Go's
// reference-time layouts cannot express several .NET specifiers (unpadded
// 24-hour "H", "F" trimming, "%c", quoted literals, "z" without padding) and
// because unquoted letters such as "T" and "Z" must stay literal, as in .NET.
package timefmt

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Special format names.
const (
	UnixTimestamp        = "UnixTimestamp"
	UnixTimestampInMills = "UnixTimestampInMills"
)

type opKind int

const (
	opLiteral opKind = iota
	opYear
	opMonth
	opDay
	opHour12
	opHour24
	opMinute
	opSecond
	opFraction     // f: fixed digits
	opFractionTrim // F: trailing zeros trimmed
	opAMPM
	opOffset
	opK
	opEra
	opUnixSeconds
	opUnixMillis
)

type op struct {
	kind opKind
	n    int    // token length
	lit  string // literal text
}

// Format is a compiled queryTimeFormat.
type Format struct {
	src string
	ops []op
}

// String returns the format as given to Compile.
func (f *Format) String() string { return f.src }

// standard maps .NET invariant-culture standard format letters to their
// custom equivalents.
var standard = map[byte]string{
	'd': "MM/dd/yyyy",
	'D': "dddd, dd MMMM yyyy",
	'f': "dddd, dd MMMM yyyy HH:mm",
	'F': "dddd, dd MMMM yyyy HH:mm:ss",
	'g': "MM/dd/yyyy HH:mm",
	'G': "MM/dd/yyyy HH:mm:ss",
	'm': "MMMM dd",
	'M': "MMMM dd",
	'o': "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
	'O': "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
	'r': "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
	'R': "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
	's': "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
	't': "HH:mm",
	'T': "HH:mm:ss",
	'u': "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
	'U': "dddd, dd MMMM yyyy HH:mm:ss",
	'y': "yyyy MMMM",
	'Y': "yyyy MMMM",
}

// Compile parses a queryTimeFormat value.
func Compile(format string) (*Format, error) {
	switch format {
	case "":
		return &Format{src: format, ops: mustParse("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffff'Z'")}, nil
	case UnixTimestamp:
		return &Format{src: format, ops: []op{{kind: opUnixSeconds}}}, nil
	case UnixTimestampInMills:
		return &Format{src: format, ops: []op{{kind: opUnixMillis}}}, nil
	}
	src := format
	if len(format) == 1 {
		custom, ok := standard[format[0]]
		if !ok {
			return nil, fmt.Errorf("queryTimeFormat %q: unknown standard format letter (use %%%s for a single custom specifier)", format, format)
		}
		format = custom
	}
	ops, err := parse(format)
	if err != nil {
		return nil, fmt.Errorf("queryTimeFormat %q: %w", src, err)
	}
	return &Format{src: src, ops: ops}, nil
}

func mustParse(s string) []op {
	ops, err := parse(s)
	if err != nil {
		panic("timefmt: built-in format: " + err.Error()) // constant input, covered by tests
	}
	return ops
}

func repeat(s string, i int) int {
	c := s[i]
	n := 1
	for i+n < len(s) && s[i+n] == c {
		n++
	}
	return n
}

func parse(s string) ([]op, error) {
	var ops []op
	lit := func(t string) {
		if n := len(ops); n > 0 && ops[n-1].kind == opLiteral {
			ops[n-1].lit += t
			return
		}
		ops = append(ops, op{kind: opLiteral, lit: t})
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case 'y', 'M', 'd', 'h', 'H', 'm', 's', 'f', 'F', 't', 'z', 'g':
			n := repeat(s, i)
			o, err := specifier(c, n, i)
			if err != nil {
				return nil, err
			}
			ops = append(ops, o)
			i += n
		case 'K':
			ops = append(ops, op{kind: opK})
			i++
		case '\'', '"':
			j := i + 1
			var b strings.Builder
			for ; j < len(s) && s[j] != c; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("position %d: unterminated quoted literal", i)
			}
			lit(b.String())
			i = j + 1
		case '\\':
			if i+1 >= len(s) {
				return nil, fmt.Errorf("position %d: backslash at end of format", i)
			}
			lit(s[i+1 : i+2])
			i += 2
		case '%':
			if i+1 >= len(s) || s[i+1] == '%' {
				return nil, fmt.Errorf("position %d: %% must be followed by a specifier", i)
			}
			c2 := s[i+1]
			switch c2 {
			case 'y', 'M', 'd', 'h', 'H', 'm', 's', 'f', 'F', 't', 'z', 'g':
				o, err := specifier(c2, 1, i+1)
				if err != nil {
					return nil, err
				}
				ops = append(ops, o)
			case 'K':
				ops = append(ops, op{kind: opK})
			default:
				lit(s[i+1 : i+2])
			}
			i += 2
		default:
			lit(s[i : i+1])
			i++
		}
	}
	return ops, nil
}

func specifier(c byte, n, pos int) (op, error) {
	switch c {
	case 'y':
		return op{kind: opYear, n: n}, nil
	case 'M':
		return op{kind: opMonth, n: min(n, 4)}, nil
	case 'd':
		return op{kind: opDay, n: min(n, 4)}, nil
	case 'h':
		return op{kind: opHour12, n: min(n, 2)}, nil
	case 'H':
		return op{kind: opHour24, n: min(n, 2)}, nil
	case 'm':
		return op{kind: opMinute, n: min(n, 2)}, nil
	case 's':
		return op{kind: opSecond, n: min(n, 2)}, nil
	case 'f', 'F':
		if n > 7 {
			return op{}, fmt.Errorf("position %d: at most 7 %q fraction digits, got %d", pos, c, n)
		}
		if c == 'f' {
			return op{kind: opFraction, n: n}, nil
		}
		return op{kind: opFractionTrim, n: n}, nil
	case 't':
		return op{kind: opAMPM, n: min(n, 2)}, nil
	case 'z':
		return op{kind: opOffset, n: min(n, 3)}, nil
	case 'g':
		return op{kind: opEra, n: n}, nil
	}
	return op{}, errors.New("unreachable")
}

func pad(b []byte, v int64, width int) []byte {
	s := strconv.FormatInt(v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// Format renders t (converted to UTC) with the compiled format.
func (f *Format) Format(t time.Time) string {
	t = t.UTC()
	b := make([]byte, 0, 32)
	for _, o := range f.ops {
		switch o.kind {
		case opLiteral:
			b = append(b, o.lit...)
		case opUnixSeconds:
			b = strconv.AppendInt(b, t.Unix(), 10)
		case opUnixMillis:
			b = strconv.AppendInt(b, t.UnixMilli(), 10)
		case opYear:
			y := int64(t.Year())
			if o.n <= 2 {
				b = pad(b, y%100, o.n)
			} else {
				b = pad(b, y, o.n)
			}
		case opMonth:
			switch o.n {
			case 1, 2:
				b = pad(b, int64(t.Month()), o.n)
			case 3:
				b = append(b, t.Month().String()[:3]...)
			default:
				b = append(b, t.Month().String()...)
			}
		case opDay:
			switch o.n {
			case 1, 2:
				b = pad(b, int64(t.Day()), o.n)
			case 3:
				b = append(b, t.Weekday().String()[:3]...)
			default:
				b = append(b, t.Weekday().String()...)
			}
		case opHour12:
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			b = pad(b, int64(h), o.n)
		case opHour24:
			b = pad(b, int64(t.Hour()), o.n)
		case opMinute:
			b = pad(b, int64(t.Minute()), o.n)
		case opSecond:
			b = pad(b, int64(t.Second()), o.n)
		case opFraction, opFractionTrim:
			frac := int64(t.Nanosecond())
			for i := 9; i > o.n; i-- {
				frac /= 10
			}
			digits := pad(nil, frac, o.n)
			if o.kind == opFractionTrim {
				for len(digits) > 0 && digits[len(digits)-1] == '0' {
					digits = digits[:len(digits)-1]
				}
				if len(digits) == 0 && len(b) > 0 && b[len(b)-1] == '.' {
					// .NET drops the decimal point before an all-zero F.
					b = b[:len(b)-1]
				}
			}
			b = append(b, digits...)
		case opAMPM:
			s := "AM"
			if t.Hour() >= 12 {
				s = "PM"
			}
			b = append(b, s[:o.n]...)
		case opOffset:
			switch o.n {
			case 1:
				b = append(b, "+0"...)
			case 2:
				b = append(b, "+00"...)
			default:
				b = append(b, "+00:00"...)
			}
		case opK:
			b = append(b, 'Z')
		case opEra:
			b = append(b, "A.D."...)
		}
	}
	return string(b)
}
