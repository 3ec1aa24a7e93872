package eval

import (
	"math"
	"strings"
	"time"

	"github.com/codeless/codeless/internal/kql/check"
	"github.com/codeless/codeless/internal/kql/value"
	"github.com/codeless/codeless/internal/schema"
)

// tickOrigin is 0001-01-01, the origin of KQL ticks; datetime bins are
// aligned to it (as .NET ticks are).
var tickOrigin = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)

func timeArg(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case string:
		return value.ParseDateTime(x)
	}
	return time.Time{}, false
}

func inRange(t time.Time) any {
	if t.Before(value.MinTime) || t.After(value.MaxTime) {
		return nil
	}
	return t
}

// addMonths adds n months like .NET DateTime.AddMonths: the day is clamped
// to the last day of the target month (Jan 31 + 1 month = Feb 29 in a leap
// year), where Go's AddDate would overflow into the next month.
func addMonths(t time.Time, n int64) time.Time {
	if n > 12*10000 || n < -12*10000 {
		return value.MaxTime.Add(time.Hour) // out of range: null
	}
	y, m, d := t.Date()
	total := int64(y)*12 + int64(m-1) + n
	ny, nm := int(total/12), time.Month(total%12+1)
	if last := time.Date(ny, nm+1, 0, 0, 0, 0, 0, time.UTC).Day(); d > last {
		d = last
	}
	h, mi, sec := t.Clock()
	return time.Date(ny, nm, d, h, mi, sec, t.Nanosecond(), time.UTC)
}

// addPart adds n units of part to t (datetime_add).
func addPart(part string, n int64, t time.Time) any {
	switch strings.ToLower(part) {
	case "year", "years", "yy", "yyyy":
		return inRange(addMonths(t, n*12))
	case "quarter", "quarters", "q", "qq":
		return inRange(addMonths(t, n*3))
	case "month", "months", "m", "mm":
		return inRange(addMonths(t, n))
	case "week", "weeks", "wk", "ww":
		return inRange(t.AddDate(0, 0, int(n)*7))
	case "day", "days", "d", "dd":
		return inRange(t.AddDate(0, 0, int(n)))
	}
	unit := map[string]time.Duration{
		"hour": time.Hour, "hours": time.Hour, "hh": time.Hour,
		"minute": time.Minute, "minutes": time.Minute, "mi": time.Minute, "n": time.Minute,
		"second": time.Second, "seconds": time.Second, "ss": time.Second, "s": time.Second,
		"millisecond": time.Millisecond, "milliseconds": time.Millisecond, "ms": time.Millisecond,
		"microsecond": time.Microsecond, "microseconds": time.Microsecond, "mcs": time.Microsecond,
		"nanosecond": time.Nanosecond, "nanoseconds": time.Nanosecond, "ns": time.Nanosecond,
	}[strings.ToLower(part)]
	if unit == 0 {
		return nil
	}
	if n > math.MaxInt64/int64(unit) || n < math.MinInt64/int64(unit) {
		return nil
	}
	d := time.Duration(n) * unit
	out := t.Add(d)
	// time.Add saturates; detect overflow against the KQL range.
	return inRange(out)
}

func truncDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func startOfWeek(t time.Time) time.Time {
	d := truncDay(t)
	return d.AddDate(0, 0, -int(d.Weekday()))
}

func startOf(unit string, t time.Time, off int64) time.Time {
	switch unit {
	case "day":
		return truncDay(t).AddDate(0, 0, int(off))
	case "week":
		return startOfWeek(t).AddDate(0, 0, int(off)*7)
	case "month":
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, int(off), 0)
	}
	return time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC).AddDate(int(off), 0, 0)
}

func endOf(unit string, t time.Time, off int64) time.Time {
	s := startOf(unit, t, off)
	var next time.Time
	switch unit {
	case "day":
		next = s.AddDate(0, 0, 1)
	case "week":
		next = s.AddDate(0, 0, 7)
	case "month":
		next = s.AddDate(0, 1, 0)
	default:
		next = s.AddDate(1, 0, 0)
	}
	return next.Add(-value.Tick)
}

func periodBuilder(unit string, end bool) builder {
	return nary(func(vs []any) any {
		t, ok := timeArg(vs[0])
		if !ok {
			return nil
		}
		off := int64(0)
		if len(vs) > 1 {
			if off, ok = intArg(vs[1]); !ok {
				return nil
			}
		}
		if off > 100000 || off < -100000 {
			return nil
		}
		if end {
			return inRange(endOf(unit, t, off))
		}
		return inRange(startOf(unit, t, off))
	})
}

func partOf(part string, t time.Time) any {
	switch strings.ToLower(part) {
	case "year":
		return int64(t.Year())
	case "quarter":
		return int64((int(t.Month())-1)/3 + 1)
	case "month":
		return int64(t.Month())
	case "week_of_year", "weekofyear":
		_, w := t.ISOWeek()
		return int64(w)
	case "day":
		return int64(t.Day())
	case "dayofyear":
		return int64(t.YearDay())
	case "hour":
		return int64(t.Hour())
	case "minute":
		return int64(t.Minute())
	case "second":
		return int64(t.Second())
	case "millisecond":
		return int64(t.Nanosecond() / 1e6)
	case "microsecond":
		return int64(t.Nanosecond() / 1e3)
	case "nanosecond":
		return int64(t.Nanosecond())
	}
	return nil
}

// diffPart counts part boundaries between t2 and t1 (t1 - t2).
func diffPart(part string, t1, t2 time.Time) any {
	switch strings.ToLower(part) {
	case "year":
		return int64(t1.Year() - t2.Year())
	case "quarter":
		return int64((t1.Year()*4 + (int(t1.Month())-1)/3) - (t2.Year()*4 + (int(t2.Month())-1)/3))
	case "month":
		return int64((t1.Year()*12 + int(t1.Month())) - (t2.Year()*12 + int(t2.Month())))
	case "week":
		return int64(startOfWeek(t1).Sub(startOfWeek(t2)).Hours() / (24 * 7))
	case "day":
		return int64(truncDay(t1).Sub(truncDay(t2)).Hours() / 24)
	}
	unit := map[string]time.Duration{"hour": time.Hour, "minute": time.Minute, "second": time.Second,
		"millisecond": time.Millisecond, "microsecond": time.Microsecond, "nanosecond": time.Nanosecond}[strings.ToLower(part)]
	if unit == 0 {
		return nil
	}
	a := floorDiv(t1.Sub(tickOrigin), unit)
	b := floorDiv(t2.Sub(tickOrigin), unit)
	if unit == time.Hour || unit == time.Minute || unit == time.Second {
		// Use calendar fields to avoid Duration overflow for far-apart dates.
		days := int64(truncDay(t1).Sub(truncDay(t2)).Hours() / 24)
		secs1 := int64(t1.Hour()*3600 + t1.Minute()*60 + t1.Second())
		secs2 := int64(t2.Hour()*3600 + t2.Minute()*60 + t2.Second())
		per := int64(unit / time.Second)
		return days*(86400/per) + secs1/per - secs2/per
	}
	return a - b
}

func floorDiv(d, unit time.Duration) int64 {
	q := int64(d / unit)
	if d%unit < 0 {
		q--
	}
	return q
}

var datetimeBuiltins = map[string]builder{
	"datetime_add": nary(func(vs []any) any {
		part, ok := str(vs[0])
		n, ok2 := intArg(vs[1])
		t, ok3 := timeArg(vs[2])
		if !ok || !ok2 || !ok3 || vs[1] == nil {
			return nil
		}
		return addPart(part, n, t)
	}),
	"datetime_diff": nary(func(vs []any) any {
		part, ok := str(vs[0])
		t1, ok2 := timeArg(vs[1])
		t2, ok3 := timeArg(vs[2])
		if !ok || !ok2 || !ok3 {
			return nil
		}
		return diffPart(part, t1, t2)
	}),
	"datetime_part": nary(func(vs []any) any {
		part, ok := str(vs[0])
		t, ok2 := timeArg(vs[1])
		if !ok || !ok2 {
			return nil
		}
		return partOf(part, t)
	}),
	"dayofmonth": unary(func(a any) any {
		if t, ok := timeArg(a); ok {
			return int64(t.Day())
		}
		return nil
	}),
	"dayofyear": unary(func(a any) any {
		if t, ok := timeArg(a); ok {
			return int64(t.YearDay())
		}
		return nil
	}),
	"dayofweek": unary(func(a any) any {
		if t, ok := timeArg(a); ok {
			return time.Duration(t.Weekday()) * 24 * time.Hour
		}
		return nil
	}),
	"getmonth": unary(func(a any) any {
		if t, ok := timeArg(a); ok {
			return int64(t.Month())
		}
		return nil
	}),
	"getyear": unary(func(a any) any {
		if t, ok := timeArg(a); ok {
			return int64(t.Year())
		}
		return nil
	}),
	"hourofday": unary(func(a any) any {
		if t, ok := timeArg(a); ok {
			return int64(t.Hour())
		}
		return nil
	}),
	"weekofyear": unary(func(a any) any {
		if t, ok := timeArg(a); ok {
			_, w := t.ISOWeek()
			return int64(w)
		}
		return nil
	}),
	"startofday":   periodBuilder("day", false),
	"startofweek":  periodBuilder("week", false),
	"startofmonth": periodBuilder("month", false),
	"startofyear":  periodBuilder("year", false),
	"endofday":     periodBuilder("day", true),
	"endofweek":    periodBuilder("week", true),
	"endofmonth":   periodBuilder("month", true),
	"endofyear":    periodBuilder("year", true),
	"make_datetime": nary(func(vs []any) any {
		var f [7]float64
		for i, v := range vs {
			x, ok := floatArg(v)
			if !ok || v == nil {
				return nil
			}
			f[i] = x
		}
		if len(vs) < 3 {
			if len(vs) < 2 {
				f[1] = 1
			}
			f[2] = 1
		}
		y, mo, d := int(f[0]), int(f[1]), int(f[2])
		if y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || f[3] < 0 || f[3] > 23 || f[4] < 0 || f[4] > 59 || f[5] < 0 || f[5] >= 60 {
			return nil
		}
		t := time.Date(y, time.Month(mo), d, int(f[3]), int(f[4]), 0, 0, time.UTC)
		if t.Day() != d {
			return nil
		}
		return t.Add(time.Duration(math.Round(f[5]*1e7)) * value.Tick)
	}),
	"make_timespan": nary(func(vs []any) any {
		var f []float64
		for _, v := range vs {
			x, ok := floatArg(v)
			if !ok || v == nil {
				return nil
			}
			f = append(f, x)
		}
		var days, h, m, s float64
		switch len(f) {
		case 2:
			h, m = f[0], f[1]
		case 3:
			h, m, s = f[0], f[1], f[2]
		default:
			days, h, m, s = f[0], f[1], f[2], f[3]
		}
		total := ((days*24+h)*60+m)*60 + s
		if math.Abs(total) > 9e11 {
			return nil
		}
		return time.Duration(math.Round(total*1e7)) * value.Tick
	}),
	"unixtime_seconds_todatetime": unary(func(a any) any {
		f, ok := floatArg(a)
		if !ok || a == nil || math.Abs(f) > 2.5e11 {
			return nil
		}
		return inRange(time.Unix(0, 0).UTC().Add(time.Duration(math.Round(f*1e7)) * value.Tick))
	}),
	"unixtime_milliseconds_todatetime": unary(func(a any) any {
		f, ok := floatArg(a)
		if !ok || a == nil || math.Abs(f) > 2.5e14 {
			return nil
		}
		return inRange(time.Unix(0, 0).UTC().Add(time.Duration(math.Round(f*1e4)) * value.Tick))
	}),
}

// binBuilder implements bin(value, roundTo) = floor to a multiple.
func binBuilder(c *check.Call, args []fn) (fn, error) {
	a, b := args[0], args[1]
	isInt := c.T == schema.Int || c.T == schema.Long
	return func(row []any, r *rt) any {
		v, size := a(row, r), b(row, r)
		if v == nil || size == nil {
			return nil
		}
		switch x := v.(type) {
		case time.Time:
			d, ok := size.(time.Duration)
			if !ok || d <= 0 {
				return nil
			}
			step := int64(d / value.Tick)
			q := ticksSinceOrigin(x) / step * step
			const ticksPerDay = 864000000000
			return tickOrigin.AddDate(0, 0, int(q/ticksPerDay)).Add(time.Duration(q%ticksPerDay) * value.Tick)
		case time.Duration:
			d, ok := size.(time.Duration)
			if !ok || d <= 0 {
				return nil
			}
			return time.Duration(floorDiv(x, d)) * d
		}
		xf, ok1 := floatArg(v)
		sf, ok2 := floatArg(size)
		if !ok1 || !ok2 || sf <= 0 {
			return nil
		}
		if xi, ok := v.(int64); ok && isInt {
			if si, ok := size.(int64); ok {
				q := xi / si
				if xi%si < 0 {
					q--
				}
				return q * si
			}
			return int64(math.Floor(xf/sf) * sf)
		}
		return math.Floor(xf/sf) * sf
	}, nil
}

// ticksSinceOrigin returns 100 ns ticks since 0001-01-01 without Duration overflow.
func ticksSinceOrigin(t time.Time) int64 {
	days := int64(t.Sub(time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
	y := int64(t.Year() - 1)
	daysBefore := y*365 + y/4 - y/100 + y/400 + days
	inDay := t.Sub(truncDay(t))
	return daysBefore*864000000000 + int64(inDay/value.Tick)
}
