package value

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/schema"
)

func utc(y int, m time.Month, d, hh, mm, ss, ns int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, ns, time.UTC)
}

func TestParseDateTime(t *testing.T) {
	cases := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2022-12-02", utc(2022, 12, 2, 0, 0, 0, 0), true},
		{"2022-12-02T13:45:56Z", utc(2022, 12, 2, 13, 45, 56, 0), true},
		{"2022-12-02T13:45:56.1234567Z", utc(2022, 12, 2, 13, 45, 56, 123456700), true},
		{"2022-12-02T13:45:56.123456789Z", utc(2022, 12, 2, 13, 45, 56, 123456700), true},
		{"2022-12-02 13:45:56", utc(2022, 12, 2, 13, 45, 56, 0), true},
		{"2022-12-02T13:45", utc(2022, 12, 2, 13, 45, 0, 0), true},
		{"2022-12-02T13:45:56+02:00", utc(2022, 12, 2, 11, 45, 56, 0), true},
		{"2022-12-02T13:45:56-0130", utc(2022, 12, 2, 15, 15, 56, 0), true},
		{"2014-11-08 15:05:25 GMT", utc(2014, 11, 8, 15, 5, 25, 0), true},
		{"2022/12/02", utc(2022, 12, 2, 0, 0, 0, 0), true},
		{"12-02-2022", utc(2022, 12, 2, 0, 0, 0, 0), true},
		{"12/02/2022", utc(2022, 12, 2, 0, 0, 0, 0), true},
		{"12.02.2022", utc(2022, 12, 2, 0, 0, 0, 0), true},
		{"2/3/2022", utc(2022, 2, 3, 0, 0, 0, 0), true},
		{"12-02-2022 13:45:56", utc(2022, 12, 2, 13, 45, 56, 0), true},
		{"3/6/2023 8:15:15 AM", utc(2023, 3, 6, 8, 15, 15, 0), true},
		{"3/6/2023 8:15:15 PM", utc(2023, 3, 6, 20, 15, 15, 0), true},
		{"3/6/2023 12:00:00 AM", utc(2023, 3, 6, 0, 0, 0, 0), true},
		{"2 Dec 2022", utc(2022, 12, 2, 0, 0, 0, 0), true},
		{"Dec 2, 2022", utc(2022, 12, 2, 0, 0, 0, 0), true},
		{"Fri, 02 Dec 2022 13:45:56 GMT", utc(2022, 12, 2, 13, 45, 56, 0), true},
		{"Sat, 8 Nov 14 15:05:02 GMT", utc(2014, 11, 8, 15, 5, 2, 0), true},
		{"8 Nov 14 15:05", utc(2014, 11, 8, 15, 5, 0, 0), true},
		{"Saturday, 08-Nov-14 15:05:02 GMT", utc(2014, 11, 8, 15, 5, 2, 0), true},
		{"20221202", utc(2022, 12, 2, 0, 0, 0, 0), true},
		{"20221202134556", utc(2022, 12, 2, 13, 45, 56, 0), true},
		{"", time.Time{}, false},
		{"not a date", time.Time{}, false},
		{"x12-02-2022", time.Time{}, false},
		{"13-01-2022", time.Time{}, false},
		{"2022-02-30", time.Time{}, false},
		{"2022-12-02T25:00", time.Time{}, false},
		{"2022-12-02T10:00:00+99:00", time.Time{}, false},
		{"12345", time.Time{}, false},
		{"2022-12-02Tjunk", time.Time{}, false},
	}
	for _, c := range cases {
		got, ok := ParseDateTime(c.in)
		if ok != c.ok || !got.Equal(c.want) || (ok && got.Location() != time.UTC) {
			t.Errorf("ParseDateTime(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestParseTimespan(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"1h", time.Hour, true},
		{"30s", 30 * time.Second, true},
		{"1.5h", 90 * time.Minute, true},
		{"100ms", 100 * time.Millisecond, true},
		{"10microsecond", 10 * time.Microsecond, true},
		{"1tick", 100, true},
		{"15 seconds", 15 * time.Second, true},
		{"2d", 48 * time.Hour, true},
		{"2", 48 * time.Hour, true},
		{"1.02:03:04", 26*time.Hour + 3*time.Minute + 4*time.Second, true},
		{"00:00:02.5", 2500 * time.Millisecond, true},
		{"0.12:34:56.7", 12*time.Hour + 34*time.Minute + 56*time.Second + 700*time.Millisecond, true},
		{"-01:00:00", -time.Hour, true},
		{"", 0, false},
		{"abc", 0, false},
		{"1x", 0, false},
		{"25:00:00", 0, false},
	}
	for _, c := range cases {
		got, ok := ParseTimespan(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("ParseTimespan(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestToString(t *testing.T) {
	cases := []struct {
		in   any
		want string
	}{
		{nil, ""},
		{"abc", "abc"},
		{int64(-5), "-5"},
		{1.5, "1.5"},
		{1.0, "1"},
		{1e15, "1E+15"},
		{math.NaN(), "NaN"},
		{true, "True"},
		{false, "False"},
		{utc(2020, 1, 1, 0, 0, 0, 0), "2020-01-01T00:00:00.0000000Z"},
		{utc(2020, 1, 1, 1, 2, 3, 4500), "2020-01-01T01:02:03.0000045Z"},
		{2 * time.Second, "00:00:02"},
		{26*time.Hour + 1500*time.Millisecond, "1.02:00:01.5000000"},
		{-time.Minute, "-00:01:00"},
		{[]any{int64(1), "a", map[string]any{"b": "<x>"}}, `[1,"a",{"b":"<x>"}]`},
		{map[string]any{"b": int64(1), "a": nil}, `{"a":null,"b":1}`},
		{json.Number("12"), "12"},
		{int(7), "7"},
	}
	for _, c := range cases {
		if got := ToString(c.in); got != c.want {
			t.Errorf("ToString(%#v) = %q; want %q", c.in, got, c.want)
		}
	}
	if DynamicToString(true) != "true" {
		t.Errorf("DynamicToString(true) should be JSON true")
	}
}

func TestConvert(t *testing.T) {
	ts := utc(2022, 12, 2, 11, 45, 56, 0)
	cases := []struct {
		in   any
		to   schema.Type
		want any
		ok   bool
	}{
		{"12", schema.Int, int64(12), true},
		{" 12 ", schema.Long, int64(12), true},
		{"2.7", schema.Long, int64(2), true},
		{2.7, schema.Int, int64(2), true},
		{"abc", schema.Int, nil, false},
		{"9999999999", schema.Int, nil, false},
		{"9999999999", schema.Long, int64(9999999999), true},
		{json.Number("42"), schema.Long, int64(42), true},
		{json.Number("4.5"), schema.Real, 4.5, true},
		{"4.5", schema.Real, 4.5, true},
		{int64(3), schema.Real, 3.0, true},
		{"nope", schema.Real, nil, false},
		{"TRUE", schema.Bool, true, true},
		{"false", schema.Bool, false, true},
		{int64(0), schema.Bool, false, true},
		{"yes", schema.Bool, nil, false},
		{"2022-12-02T13:45:56+02:00", schema.DateTime, ts, true},
		{"garbage", schema.DateTime, nil, false},
		{int64(5), schema.DateTime, nil, false},
		{"1h", schema.TimeSpan, time.Hour, true},
		{int64(10), schema.TimeSpan, time.Microsecond, true},
		{"{6A2F41A3-C54C-FCE8-32D3-D34E8D2D0B5E}", schema.GUID, "6a2f41a3-c54c-fce8-32d3-d34e8d2d0b5e", true},
		{"6a2f41a3c54cfce832d3d34e8d2d0b5e", schema.GUID, "6a2f41a3-c54c-fce8-32d3-d34e8d2d0b5e", true},
		{"not-a-guid", schema.GUID, nil, false},
		{nil, schema.Long, nil, true},
		{nil, schema.String, "", true},
		{true, schema.String, "True", true},
		{map[string]any{"a": json.Number("1")}, schema.Dynamic, map[string]any{"a": int64(1)}, true},
		{ts, schema.Dynamic, "2022-12-02T11:45:56.0000000Z", true},
		{int(3), schema.Dynamic, int64(3), true},
	}
	for _, c := range cases {
		got, ok := Convert(c.in, c.to)
		if ok != c.ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Convert(%#v, %s) = %#v, %v; want %#v, %v", c.in, c.to, got, ok, c.want, c.ok)
		}
	}
}

func TestParseJSON(t *testing.T) {
	got := ParseJSON(`{"a":[1,2.5,"x",true,null],"b":{"c":9007199254740993}}`)
	want := map[string]any{"a": []any{int64(1), 2.5, "x", true, nil}, "b": map[string]any{"c": int64(9007199254740993)}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseJSON = %#v", got)
	}
	for _, bad := range []string{"", "{", "[1,]", "1 2", "nope"} {
		if v := ParseJSON(bad); v != nil {
			t.Errorf("ParseJSON(%q) = %#v; want nil", bad, v)
		}
	}
}

func FuzzParseDateTime(f *testing.F) {
	for _, s := range []string{"2022-12-02T13:45:56.1234567+02:00", "3/6/2023 8:15:15 AM", "Fri, 02 Dec 2022 13:45:56 GMT", "20221202"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if tm, ok := ParseDateTime(s); ok && (tm.Before(MinTime) || tm.After(MaxTime)) {
			t.Fatalf("out of range %v", tm)
		}
		ParseTimespan(s)
		ParseGUID(s)
	})
}
