package ingest

import (
	"runtime"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/kql/value"
)

func TestISOUTC(t *testing.T) {
	accept := []string{"2024-03-06T07:50:09Z", "2024-02-29T23:59:59Z", "0001-01-01T00:00:00Z", "2024-03-06T07:50:09.1Z",
		"2024-03-06T07:50:09.1234567Z", "9999-12-31T23:59:59.9999999Z", "2023-12-31T00:00:00.000Z"}
	for _, s := range accept {
		got, ok := isoUTC(s)
		want, wok := value.ParseDateTime(s)
		if !ok || !wok || !got.Equal(want) || got.Location() != want.Location() {
			t.Errorf("%s: isoUTC %v %v, ParseDateTime %v %v", s, got, ok, want, wok)
		}
	}
	reject := []string{"", "2024-03-06", "2024-03-06T07:50:09", "2024-03-06 07:50:09Z", "2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z",
		"2024-03-06T24:00:00Z", "2024-03-06T07:60:00Z", "2024-03-06T07:50:60Z", "2024-03-06T07:50:09.Z", "2024-03-06T07:50:09.12345678Z",
		"2024-03-06T07:50:09+01:00", "0000-01-01T00:00:00Z", "2024-03-0xT07:50:09Z", "2024-03-06T07:50:09,5Z"}
	for _, s := range reject {
		if got, ok := isoUTC(s); ok {
			t.Errorf("%q accepted as %v", s, got)
		}
	}
}

// FuzzISOUTC: where the fast path accepts, value.ParseDateTime agrees.
func FuzzISOUTC(f *testing.F) {
	for _, s := range []string{"2024-03-06T07:50:09Z", "2024-02-29T23:59:59.123Z", "2023-02-29T00:00:00Z", "1999-12-31T23:59:59.9999999Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := isoUTC(s)
		if !ok {
			return
		}
		want, wok := value.ParseDateTime(s)
		if !wok || !got.Equal(want) {
			t.Fatalf("%q: isoUTC %v, ParseDateTime %v %v", s, got, want, wok)
		}
	})
}

func TestBoxTime(t *testing.T) {
	var r run
	base := time.Date(2024, 3, 6, 0, 0, 0, 0, time.UTC)
	vals := make([]any, 1000)
	for i := range vals {
		vals[i] = r.boxTime(base.Add(time.Duration(i) * time.Second))
	}
	runtime.GC()
	for i, v := range vals {
		if tm, ok := v.(time.Time); !ok || !tm.Equal(base.Add(time.Duration(i)*time.Second)) || v != any(base.Add(time.Duration(i)*time.Second)) {
			t.Fatalf("value %d = %#v", i, v)
		}
	}
}
