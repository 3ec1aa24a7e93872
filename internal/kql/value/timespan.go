package value

import (
	"math"
	"strconv"
	"strings"
	"time"
)

var timespanUnits = map[string]time.Duration{
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"m": time.Minute, "min": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"s": time.Second, "sec": time.Second, "second": time.Second, "seconds": time.Second,
	"ms": time.Millisecond, "milli": time.Millisecond, "millis": time.Millisecond,
	"millisecond": time.Millisecond, "milliseconds": time.Millisecond,
	"microsecond": time.Microsecond, "microseconds": time.Microsecond,
	"tick": Tick, "ticks": Tick,
}

// TimespanUnit returns the duration of one KQL timespan literal unit
// ("d", "h", "m", "s", "ms", "microsecond", "tick" and long spellings).
func TimespanUnit(unit string) (time.Duration, bool) {
	d, ok := timespanUnits[strings.ToLower(unit)]
	return d, ok
}

// ParseTimespan parses a timespan as totimespan/time(...) do: a number with
// a unit ("1h", "1.5h", "30s", "100ms", "15 seconds", "1tick"), the .NET form
// [-][d.]hh:mm[:ss[.fffffff]], or a bare number of days ("2").
func ParseTimespan(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return 0, false
	}
	neg := false
	body := s
	if body[0] == '-' || body[0] == '+' {
		neg = body[0] == '-'
		body = strings.TrimSpace(body[1:])
	}
	if body == "" {
		return 0, false
	}
	var d time.Duration
	var ok bool
	if strings.Contains(body, ":") {
		d, ok = parseClockSpan(body)
	} else {
		i := 0
		for i < len(body) && (body[i] >= '0' && body[i] <= '9' || body[i] == '.') {
			i++
		}
		num, unit := body[:i], strings.TrimSpace(body[i:])
		if num == "" {
			return 0, false
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, false
		}
		mult := 24 * time.Hour
		if unit != "" {
			if mult, ok = TimespanUnit(unit); !ok {
				return 0, false
			}
		}
		ticks := f * float64(mult/Tick)
		if math.IsNaN(ticks) || ticks > math.MaxInt64/100 {
			return 0, false
		}
		d, ok = time.Duration(math.Round(ticks))*Tick, true
	}
	if !ok {
		return 0, false
	}
	if neg {
		d = -d
	}
	return d, true
}

// parseClockSpan parses [d.]hh:mm[:ss[.fffffff]].
func parseClockSpan(s string) (time.Duration, bool) {
	p := &scanner{s: s}
	first, _, ok := p.digits(1, 8)
	if !ok {
		return 0, false
	}
	days, hh := 0, first
	if p.accept('.') {
		days = first
		if hh, _, ok = p.digits(1, 2); !ok {
			return 0, false
		}
	}
	if !p.accept(':') {
		return 0, false
	}
	mm, _, ok := p.digits(1, 2)
	if !ok {
		return 0, false
	}
	ss, frac := 0, 0
	if p.accept(':') {
		if ss, _, ok = p.digits(1, 2); !ok {
			return 0, false
		}
		if p.accept('.') {
			var cnt int
			if frac, cnt, ok = p.digits(1, 7); !ok {
				return 0, false
			}
			for ; cnt < 7; cnt++ {
				frac *= 10
			}
		}
	}
	if !p.eof() || hh > 23 || mm > 59 || ss > 59 {
		return 0, false
	}
	return time.Duration(days)*24*time.Hour + time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute +
		time.Duration(ss)*time.Second + time.Duration(frac)*Tick, true
}
