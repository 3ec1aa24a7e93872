package ingest

import (
	"time"
	"unsafe"
)

// isoUTC parses the most common datetime text in source events,
// "2006-01-02T15:04:05Z" with an optional fraction of 1 to 7 digits,
// without going through value.ParseDateTime's general grammar. ok is
// false for anything else (including out-of-range fields), and the caller
// then uses value.Convert; FuzzISOUTC checks both agree where ok is true.
func isoUTC(s string) (time.Time, bool) {
	if len(s) < 20 || len(s) > 28 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[len(s)-1] != 'Z' {
		return time.Time{}, false
	}
	num := func(i, n int) (int, bool) {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 2)
	d, ok3 := num(8, 2)
	h, ok4 := num(11, 2)
	mi, ok5 := num(14, 2)
	sec, ok6 := num(17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || y < 1 || mo < 1 || mo > 12 || d < 1 || d > 28 && d > daysIn(y, mo) || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	ns := 0
	if len(s) > 20 {
		frac := s[19 : len(s)-1] // ".f…"
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 8 {
			return time.Time{}, false
		}
		f, ok := num(20, len(frac)-1)
		if !ok {
			return time.Time{}, false
		}
		for range 9 - (len(frac) - 1) {
			f *= 10
		}
		ns = f
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC), true
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// boxTime returns t as an interface whose value lives in a slab of the
// run (one allocation per slabRows values instead of one per value). The
// slab entry is never written again, so the interface behaves like a
// normally boxed time.Time.
func (r *run) boxTime(t time.Time) any {
	if len(r.times) == cap(r.times) {
		r.times = make([]time.Time, 0, slabRows)
	}
	r.times = append(r.times, t)
	var v any
	e := (*[2]unsafe.Pointer)(unsafe.Pointer(&v))
	e[0], e[1] = timeType, unsafe.Pointer(&r.times[len(r.times)-1])
	return v
}

var timeType = func() unsafe.Pointer {
	var v any = time.Time{}
	return (*[2]unsafe.Pointer)(unsafe.Pointer(&v))[0]
}()
