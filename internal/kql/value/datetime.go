package value

import (
	"strings"
	"time"
)

// MinTime and MaxTime bound KQL datetimes (0001-01-01 .. 9999-12-31).
var (
	MinTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxTime = time.Date(9999, 12, 31, 23, 59, 59, 999999900, time.UTC)
)

// ParseDateTime parses s the way Kusto's todatetime does (reference/kql.md
// §2.4): ISO 8601 with 'T' or a space, optional fraction (up to 7 digits
// significant) and zone (Z, GMT, UTC, ±hh:mm, ±hhmm, ±hh), converted to UTC;
// yyyy/mm/dd; US month-first m/d/yyyy, m-d-yyyy, m.d.yyyy with optional time
// and AM/PM; RFC 822 and RFC 850 with or without weekday, seconds and zone;
// "2 Dec 2022", "Dec 2, 2022"; yyyymmdd and yyyymmddhhmmss. Empty or
// unparsable input gives ok=false.
func ParseDateTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return time.Time{}, false
	}
	if t, ok := parseNumericDate(s); ok {
		return t, true
	}
	return parseTextDate(s)
}

// scanner is a tiny cursor over an ASCII date string.
type scanner struct {
	s string
	i int
}

func (p *scanner) eof() bool { return p.i >= len(p.s) }

func (p *scanner) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// digits reads between min and max decimal digits.
func (p *scanner) digits(min, max int) (int, int, bool) {
	start := p.i
	n := 0
	for p.i < len(p.s) && p.i-start < max && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		n = n*10 + int(p.s[p.i]-'0')
		p.i++
	}
	cnt := p.i - start
	if cnt < min {
		p.i = start
		return 0, 0, false
	}
	return n, cnt, true
}

func (p *scanner) accept(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

func (p *scanner) skipSpaces() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func validDate(y, m, d int) bool {
	if y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= daysIn(y, time.Month(m))
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// parseNumericDate handles all-digit dates: ISO, y/m/d, US month-first, compact.
func parseNumericDate(s string) (time.Time, bool) {
	p := &scanner{s: s}
	first, n, ok := p.digits(1, 14)
	if !ok {
		return time.Time{}, false
	}
	var y, m, d int
	switch {
	case n == 8 && p.eof():
		y, m, d = first/10000, first/100%100, first%100
		if !validDate(y, m, d) {
			return time.Time{}, false
		}
		return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), true
	case n == 14 && p.eof():
		y, m, d = first/10000000000, first/100000000%100, first/1000000%100
		hh, mm, ss := first/10000%100, first/100%100, first%100
		if !validDate(y, m, d) || hh > 23 || mm > 59 || ss > 59 {
			return time.Time{}, false
		}
		return time.Date(y, time.Month(m), d, hh, mm, ss, 0, time.UTC), true
	case n == 4:
		sep := p.peek()
		if sep != '-' && sep != '/' && sep != '.' {
			return time.Time{}, false
		}
		p.i++
		y = first
		if m, _, ok = p.digits(1, 2); !ok || !p.accept(sep) {
			return time.Time{}, false
		}
		if d, _, ok = p.digits(1, 2); !ok {
			return time.Time{}, false
		}
	case n <= 2:
		sep := p.peek()
		if sep != '-' && sep != '/' && sep != '.' {
			return time.Time{}, false
		}
		p.i++
		m = first
		if d, _, ok = p.digits(1, 2); !ok || !p.accept(sep) {
			return time.Time{}, false
		}
		var yn int
		if y, yn, ok = p.digits(2, 4); !ok || yn == 3 {
			return time.Time{}, false
		}
		if yn == 2 {
			y += 2000
			if y > 2049 {
				y -= 100
			}
		}
	default:
		return time.Time{}, false
	}
	if !validDate(y, m, d) {
		return time.Time{}, false
	}
	base := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if p.eof() {
		return base, true
	}
	if !p.accept('T') && !p.accept('t') {
		if !p.accept(' ') {
			return time.Time{}, false
		}
		p.skipSpaces()
	}
	return parseClockAndZone(p, base)
}

// parseClockAndZone parses "hh:mm[:ss[.fffffff]] [AM|PM] [zone]" to the end of input.
func parseClockAndZone(p *scanner, base time.Time) (time.Time, bool) {
	hh, _, ok := p.digits(1, 2)
	if !ok || !p.accept(':') {
		return time.Time{}, false
	}
	mm, _, ok := p.digits(2, 2)
	if !ok {
		return time.Time{}, false
	}
	ss, nanos := 0, 0
	if p.accept(':') {
		if ss, _, ok = p.digits(2, 2); !ok {
			return time.Time{}, false
		}
		if p.accept('.') || p.accept(',') {
			start := p.i
			frac, cnt, ok := p.digits(1, 9)
			if !ok {
				return time.Time{}, false
			}
			// Extra digits beyond 9 are ignored (Kusto keeps 7).
			for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
				p.i++
			}
			_ = start
			for ; cnt < 9; cnt++ {
				frac *= 10
			}
			nanos = frac / 100 * 100 // 100 ns ticks
		}
	}
	p.skipSpaces()
	rest := strings.ToUpper(p.s[p.i:])
	switch {
	case strings.HasPrefix(rest, "AM"), strings.HasPrefix(rest, "PM"):
		if hh < 1 || hh > 12 {
			return time.Time{}, false
		}
		if rest[0] == 'P' && hh != 12 {
			hh += 12
		} else if rest[0] == 'A' && hh == 12 {
			hh = 0
		}
		p.i += 2
		p.skipSpaces()
	}
	if hh > 23 || mm > 59 || ss > 59 {
		return time.Time{}, false
	}
	t := base.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute + time.Duration(ss)*time.Second + time.Duration(nanos))
	off, ok := parseZone(p.s[p.i:])
	if !ok {
		return time.Time{}, false
	}
	t = t.Add(-off)
	if t.Before(MinTime) || t.After(MaxTime) {
		return time.Time{}, false
	}
	return t, true
}

// parseZone parses an optional trailing zone designator and returns its offset.
func parseZone(z string) (time.Duration, bool) {
	z = strings.TrimSpace(z)
	switch strings.ToUpper(z) {
	case "", "Z", "GMT", "UTC", "UT":
		return 0, true
	}
	if z[0] != '+' && z[0] != '-' {
		return 0, false
	}
	sign := time.Duration(1)
	if z[0] == '-' {
		sign = -1
	}
	p := &scanner{s: z[1:]}
	h, _, ok := p.digits(2, 2)
	if !ok {
		return 0, false
	}
	m := 0
	if !p.eof() {
		p.accept(':')
		if m, _, ok = p.digits(2, 2); !ok || !p.eof() {
			return 0, false
		}
	}
	if h > 14 || m > 59 {
		return 0, false
	}
	return sign * (time.Duration(h)*time.Hour + time.Duration(m)*time.Minute), true
}

var monthNames = map[string]int{
	"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3,
	"apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7,
	"aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10,
	"nov": 11, "november": 11, "dec": 12, "december": 12,
}

var weekdayNames = map[string]bool{
	"mon": true, "monday": true, "tue": true, "tues": true, "tuesday": true, "wed": true, "wednesday": true,
	"thu": true, "thur": true, "thurs": true, "thursday": true, "fri": true, "friday": true,
	"sat": true, "saturday": true, "sun": true, "sunday": true,
}

// parseTextDate handles forms with month names: RFC 822 ("[Sat, ]8 Nov 14
// 15:05[:02] [GMT]"), RFC 850 ("Saturday, 08-Nov-14 15:05:02 GMT"),
// "2 Dec 2022", "Dec 2, 2022 [time]".
func parseTextDate(s string) (time.Time, bool) {
	// Optional leading weekday.
	if i := strings.IndexByte(s, ','); i > 0 {
		if weekdayNames[strings.ToLower(strings.TrimSpace(s[:i]))] {
			s = strings.TrimSpace(s[i+1:])
		}
	}
	p := &scanner{s: s}
	var y, m, d int
	if c := p.peek(); c >= '0' && c <= '9' {
		// d Mon yy[yy] or dd-Mon-yy
		var ok bool
		if d, _, ok = p.digits(1, 2); !ok {
			return time.Time{}, false
		}
		sep := p.peek()
		if sep != ' ' && sep != '-' {
			return time.Time{}, false
		}
		p.i++
		if m = readMonth(p); m == 0 || !p.accept(sep) {
			return time.Time{}, false
		}
		var yn int
		if y, yn, ok = p.digits(2, 4); !ok || yn == 3 {
			return time.Time{}, false
		}
		if yn == 2 {
			y += 2000
			if y > 2049 {
				y -= 100
			}
		}
	} else {
		// Mon d, yyyy
		if m = readMonth(p); m == 0 || !p.accept(' ') {
			return time.Time{}, false
		}
		var ok bool
		if d, _, ok = p.digits(1, 2); !ok {
			return time.Time{}, false
		}
		p.accept(',')
		if !p.accept(' ') {
			return time.Time{}, false
		}
		if y, _, ok = p.digits(4, 4); !ok {
			return time.Time{}, false
		}
	}
	if !validDate(y, m, d) {
		return time.Time{}, false
	}
	base := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if p.eof() {
		return base, true
	}
	if !p.accept(' ') {
		return time.Time{}, false
	}
	p.skipSpaces()
	return parseClockAndZone(p, base)
}

func readMonth(p *scanner) int {
	start := p.i
	for p.i < len(p.s) && (p.s[p.i]|0x20) >= 'a' && (p.s[p.i]|0x20) <= 'z' {
		p.i++
	}
	return monthNames[strings.ToLower(p.s[start:p.i])]
}
