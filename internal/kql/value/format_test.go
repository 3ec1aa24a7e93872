package value

import (
	"strings"
	"testing"
	"time"
)

func TestFormatDateTimeWith(t *testing.T) {
	dt := time.Date(2009, 6, 15, 13, 45, 30, 617542500, time.UTC)
	cases := []struct{ format, want string }{
		{"yyyy-MM-dd HH:mm:ss", "2009-06-15 13:45:30"},
		{"d/M/y", "15/6/9"},
		{"h:mm tt", "1:45 PM"},
		{"fffffff", "6175425"},
		{"ss.FFFFFFF", "30.6175425"},
		{"fff", "617"},
		{"[yy]", "[09]"},
	}
	for _, c := range cases {
		elems, err := ParseDateTimeFormat(c.format)
		if err != nil {
			t.Fatalf("%q: %v", c.format, err)
		}
		if got := FormatDateTimeWith(dt, elems); got != c.want {
			t.Errorf("%q: got %q, want %q", c.format, got, c.want)
		}
	}
}

func TestFormatTimespanWith(t *testing.T) {
	d := 29*24*time.Hour + 9*time.Hour + 5*time.Second + 123450*time.Microsecond
	cases := []struct {
		d            time.Duration
		format, want string
	}{
		{d, "dd.hh:mm:ss:FF", "29.09:00:05:12"},
		{d, "ddd.h:mm:ss [fffffff]", "029.9:00:05 [1234500]"},
		{-90 * time.Minute, "H:mm", "-1:30"},
		{0, "s.F", "0."},
	}
	for _, c := range cases {
		elems, err := ParseTimespanFormat(c.format)
		if err != nil {
			t.Fatalf("%q: %v", c.format, err)
		}
		if got := FormatTimespanWith(c.d, elems); got != c.want {
			t.Errorf("%q: got %q, want %q", c.format, got, c.want)
		}
	}
}

func TestParseFormatErrors(t *testing.T) {
	cases := []struct {
		format string
		span   bool
		offset int
		msg    string
	}{
		{"", false, 0, "empty"},
		{"yyyy-MM-ddTHH", false, 10, `"T"`},
		{"yyy", false, 0, `"yyy"`},
		{"ddd", false, 0, `"ddd"`},
		{"hh:MM", true, 3, `"M"`},
		{"ddddddddd", true, 0, `"ddddddddd"`},
		{"ffffffff", false, 0, `"ffffffff"`},
	}
	for _, c := range cases {
		var err error
		if c.span {
			_, err = ParseTimespanFormat(c.format)
		} else {
			_, err = ParseDateTimeFormat(c.format)
		}
		fe, ok := err.(*FormatError)
		if !ok || fe.Offset != c.offset || !strings.Contains(fe.Msg, c.msg) {
			t.Errorf("%q: got %v, want offset %d and %s", c.format, err, c.offset, c.msg)
		}
	}
}
