package timefmt

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

var ref = time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC)

func TestCorpusFormats(t *testing.T) {
	// Every distinct queryTimeFormat in the corpus (corpus-stats §3a) plus
	// the defaults.
	tests := []struct{ format, want string }{
		{"", "2024-01-02T03:04:05.1234567Z"},
		{"UnixTimestamp", "1704164645"},
		{"UnixTimestampInMills", "1704164645123"},
		{"yyyy-MM-ddTHH:mm:ssZ", "2024-01-02T03:04:05Z"},
		{"yyyy-MM-ddTHH:mm:ss.000000+00:00", "2024-01-02T03:04:05.000000+00:00"},
		{"yyyy-MM-dd", "2024-01-02"},
		{"yyyy-MM-ddTHH:mm:ss'Z'", "2024-01-02T03:04:05Z"},
		{"yyyy-MM-dd'T'HH:mm:ss'.00Z'", "2024-01-02T03:04:05.00Z"},
		{"yyyy-MM-ddTHH:mm:ss.fffZ", "2024-01-02T03:04:05.123Z"},
		{"yyyy-MM-ddTHH:mm:ss", "2024-01-02T03:04:05"},
		{"yyyy-MM-ddTHH:mm:ss.000000Z", "2024-01-02T03:04:05.000000Z"},
		{"yyyy-MM-ddTHH", "2024-01-02T03"},
		{"yyyy-MM-ddTHH:mm:ss.fff", "2024-01-02T03:04:05.123"},
		{"yyyy-MM-dd'T'HH:mm:ss'Z'", "2024-01-02T03:04:05Z"},
		{"MM/dd/yyyy HH:mm:ss", "01/02/2024 03:04:05"},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			f, err := Compile(tc.format)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Format(ref); got != tc.want {
				t.Errorf("Format = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSpecifiers(t *testing.T) {
	pm := time.Date(2009, 6, 15, 13, 45, 30, 50000000, time.UTC) // fraction .05
	midnight := time.Date(5, 12, 31, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		format string
		at     time.Time
		want   string
	}{
		{"y yy yyy yyyy yyyyy", pm, "9 09 2009 2009 02009"},
		{"y yy yyy yyyy", midnight, "5 05 005 0005"},
		{"M MM MMM MMMM MMMMM", pm, "6 06 Jun June June"},
		{"d dd ddd dddd", pm, "15 15 Mon Monday"},
		{"h hh H HH", pm, "1 01 13 13"},
		{"h hh H HH", midnight, "12 12 0 00"},
		{"m mm s ss", pm, "45 45 30 30"},
		{"f ff fff ffff fffffff", pm, "0 05 050 0500 0500000"},
		{"F FF FFF FFFFFFF", pm, " 05 05 05"},
		{"ss.FFF", midnight, "00"},
		{"ss.fff", midnight, "00.000"},
		{"t tt", pm, "P PM"},
		{"t tt", midnight, "A AM"},
		{"z zz zzz zzzz", pm, "+0 +00 +00:00 +00:00"},
		{"HH K", pm, "13 Z"},
		{"g gg", pm, "A.D. A.D."},
		{`'yyyy' "MM" \d \\`, pm, `yyyy MM d \`},
		{"%d", pm, "15"},
		{"%H", pm, "13"},
		{"%K", pm, "Z"},
		{"T-Z:/.,+#", pm, "T-Z:/.,+#"},
		{"'it''s'", pm, "its"},
		{"s", pm, "2009-06-15T13:45:30"},
		{"o", pm, "2009-06-15T13:45:30.0500000Z"},
		{"u", pm, "2009-06-15 13:45:30Z"},
		{"R", pm, "Mon, 15 Jun 2009 13:45:30 GMT"},
		{"d", pm, "06/15/2009"},
		{"yyyy-MM-ddTHH:mm:ssK", pm.In(time.FixedZone("X", 3600)), "2009-06-15T13:45:30Z"},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			f, err := Compile(tc.format)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Format(tc.at); got != tc.want {
				t.Errorf("Format = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct{ format, wantSub string }{
		{"yyyy 'abc", "position 5: unterminated quoted literal"},
		{`yyyy\`, "position 4: backslash at end"},
		{"HH%", "position 2: % must be followed"},
		{"HH %%", "position 3"},
		{"ss.ffffffff", "at most 7"},
		{"Q", "unknown standard format letter"},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			_, err := Compile(tc.format)
			if err == nil || !strings.Contains(err.Error(), tc.wantSub) {
				t.Fatalf("err = %v, want containing %q", err, tc.wantSub)
			}
		})
	}
}

// TestRoundTrip formats random instants with .NET formats that have an exact
// Go layout and parses the result back with Go; the instant must survive to
// the format's precision.
func TestRoundTrip(t *testing.T) {
	tests := []struct {
		format, layout string
		prec           time.Duration
	}{
		{"", "2006-01-02T15:04:05.0000000Z", 100 * time.Nanosecond},
		{"yyyy-MM-ddTHH:mm:ssZ", "2006-01-02T15:04:05Z", time.Second},
		{"yyyy-MM-ddTHH:mm:ss.fffZ", "2006-01-02T15:04:05.000Z", time.Millisecond},
		{"dddd, dd MMMM yyyy hh:mm:ss tt zzz", "Monday, 02 January 2006 03:04:05 PM -07:00", time.Second},
		{"o", time.RFC3339Nano, 100 * time.Nanosecond},
		{"R", time.RFC1123, time.Second},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range tests {
		f, err := Compile(tc.format)
		if err != nil {
			t.Fatal(err)
		}
		for range 500 {
			at := time.Unix(r.Int64N(4102444800), r.Int64N(1e9)).UTC()
			s := f.Format(at)
			back, err := time.Parse(tc.layout, s)
			if err != nil {
				t.Fatalf("%q: parsing %q: %v", tc.format, s, err)
			}
			if !back.Equal(at.Truncate(tc.prec)) {
				t.Fatalf("%q: %v formatted %q parsed back as %v", tc.format, at, s, back)
			}
		}
	}
	for _, name := range []string{UnixTimestamp, UnixTimestampInMills} {
		f, _ := Compile(name)
		for range 100 {
			at := time.Unix(r.Int64N(4102444800), r.Int64N(1e9)).UTC()
			s := f.Format(at)
			if name == UnixTimestamp && s != itoa(at.Unix()) {
				t.Fatalf("%s: %q", name, s)
			}
			if name == UnixTimestampInMills && s != itoa(at.UnixMilli()) {
				t.Fatalf("%s: %q", name, s)
			}
		}
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func FuzzCompile(f *testing.F) {
	for _, s := range []string{"", "yyyy-MM-ddTHH:mm:ssZ", "yyyy-MM-dd'T'HH:mm:ss'.00Z'", `\`, "%", "'", "F", "fffffff", "%%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fm, err := Compile(s)
		if err != nil {
			return
		}
		_ = fm.Format(ref)
	})
}
