package value

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FormatElem is one element of a format_datetime/format_timespan format:
// a specifier letter repeated N times (d, f, F, h, H, m, M, s, y, t), or a
// literal delimiter (Spec 0, Lit).
type FormatElem struct {
	Spec byte
	N    int
	Lit  string
}

// formatDelims are the delimiters Kusto documents for format_datetime and
// format_timespan.
const formatDelims = " /-:,._[]"

// FormatError is a malformed format: Offset is the byte offset of the
// offending element in the format string.
type FormatError struct {
	Offset int
	Msg    string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("at offset %d of the format: %s", e.Offset, e.Msg)
}

// maxRun gives, per specifier, the repetition counts format_datetime
// accepts (Kusto's documented elements).
var datetimeRuns = map[byte]func(n int) bool{
	'd': func(n int) bool { return n <= 2 },
	'f': func(n int) bool { return n <= 7 },
	'F': func(n int) bool { return n <= 7 },
	'h': func(n int) bool { return n <= 2 },
	'H': func(n int) bool { return n <= 2 },
	'm': func(n int) bool { return n <= 2 },
	'M': func(n int) bool { return n <= 2 },
	's': func(n int) bool { return n <= 2 },
	'y': func(n int) bool { return n == 1 || n == 2 || n == 4 },
	't': func(n int) bool { return n == 2 },
}

var timespanRuns = map[byte]func(n int) bool{
	'd': func(n int) bool { return n <= 8 },
	'f': func(n int) bool { return n <= 7 },
	'F': func(n int) bool { return n <= 7 },
	'h': func(n int) bool { return n <= 2 },
	'H': func(n int) bool { return n <= 2 },
	'm': func(n int) bool { return n <= 2 },
	's': func(n int) bool { return n <= 2 },
}

// ParseDateTimeFormat parses a format_datetime format: d, dd, f…fffffff,
// F…FFFFFFF, h, hh, H, HH, m, mm, M, MM, s, ss, y, yy, yyyy, tt and the
// delimiters space / - : , . _ [ ]. Anything else is an error.
func ParseDateTimeFormat(f string) ([]FormatElem, error) {
	return parseFormat(f, datetimeRuns)
}

// ParseTimespanFormat parses a format_timespan format: d…dddddddd,
// f…fffffff, F…FFFFFFF, h, hh, H, HH, m, mm, s, ss and the delimiters.
func ParseTimespanFormat(f string) ([]FormatElem, error) {
	return parseFormat(f, timespanRuns)
}

func parseFormat(f string, runs map[byte]func(int) bool) ([]FormatElem, error) {
	if f == "" {
		return nil, &FormatError{0, "the format is empty"}
	}
	var out []FormatElem
	for i := 0; i < len(f); {
		c := f[i]
		if strings.IndexByte(formatDelims, c) >= 0 {
			out = append(out, FormatElem{Lit: string(c)})
			i++
			continue
		}
		ok, known := runs[c]
		if !known {
			return nil, &FormatError{i, fmt.Sprintf("%q is not a supported format element or delimiter", string(rune(c)))}
		}
		n := 1
		for i+n < len(f) && f[i+n] == c {
			n++
		}
		if !ok(n) {
			return nil, &FormatError{i, fmt.Sprintf("%q is not a supported format element", f[i:i+n])}
		}
		out = append(out, FormatElem{Spec: c, N: n})
		i += n
	}
	return out, nil
}

// fraction renders the first n of the 7 tick digits of frac (0..9999999);
// trim drops trailing zeros (the F specifiers).
func fraction(frac int64, n int, trim bool) string {
	s := fmt.Sprintf("%07d", frac)[:n]
	if trim {
		s = strings.TrimRight(s, "0")
	}
	return s
}

func padInt(v int64, n int) string {
	s := strconv.FormatInt(v, 10)
	for len(s) < n {
		s = "0" + s
	}
	return s
}

// FormatDateTimeWith renders t (UTC) with a parsed format_datetime format.
func FormatDateTimeWith(t time.Time, elems []FormatElem) string {
	t = t.UTC()
	var b strings.Builder
	frac := int64(t.Nanosecond()) / 100
	for _, e := range elems {
		switch e.Spec {
		case 0:
			b.WriteString(e.Lit)
		case 'd':
			b.WriteString(padInt(int64(t.Day()), e.N))
		case 'f', 'F':
			b.WriteString(fraction(frac, e.N, e.Spec == 'F'))
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			b.WriteString(padInt(int64(h), e.N))
		case 'H':
			b.WriteString(padInt(int64(t.Hour()), e.N))
		case 'm':
			b.WriteString(padInt(int64(t.Minute()), e.N))
		case 'M':
			b.WriteString(padInt(int64(t.Month()), e.N))
		case 's':
			b.WriteString(padInt(int64(t.Second()), e.N))
		case 'y':
			if e.N == 4 {
				b.WriteString(padInt(int64(t.Year()), 4))
			} else {
				b.WriteString(padInt(int64(t.Year()%100), e.N))
			}
		case 't':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		}
	}
	return b.String()
}

// FormatTimespanWith renders d with a parsed format_timespan format. Days
// are whole days, hours/minutes/seconds the components within the day; a
// negative timespan is rendered as its absolute value preceded by "-".
func FormatTimespanWith(d time.Duration, elems []FormatElem) string {
	var b strings.Builder
	ticks := int64(d / Tick)
	if ticks < 0 {
		b.WriteByte('-')
		ticks = -ticks
	}
	const perSec = int64(time.Second / Tick)
	frac := ticks % perSec
	secs := ticks / perSec
	for _, e := range elems {
		switch e.Spec {
		case 0:
			b.WriteString(e.Lit)
		case 'd':
			b.WriteString(padInt(secs/86400, e.N))
		case 'f', 'F':
			b.WriteString(fraction(frac, e.N, e.Spec == 'F'))
		case 'h', 'H':
			b.WriteString(padInt(secs/3600%24, e.N))
		case 'm':
			b.WriteString(padInt(secs/60%60, e.N))
		case 's':
			b.WriteString(padInt(secs%60, e.N))
		}
	}
	return b.String()
}
