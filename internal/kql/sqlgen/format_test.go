package sqlgen

import (
	"database/sql"
	"math/rand"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/kql/value"
)

// TestFormatSQLMatchesGo runs format_datetime/format_timespan's SQL
// translation on DuckDB for random values (µs precision, DuckDB's) and
// every format element, and compares with value.FormatDateTimeWith /
// FormatTimespanWith (what eval uses).
func TestFormatSQLMatchesGo(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dtFormats := []string{"yyyy-MM-dd HH:mm:ss.fffffff", "y/yy M d h tt", "hh:m:s.F FF FFF FFFF FFFFF FFFFFF FFFFFFF", "dd.MM_yy,[H]", "f ff fff ffff fffff ffffff"}
	tsFormats := []string{"dddddddd.hh:mm:ss.fffffff", "d H:m:s [FFFFFFF]", "ddd h F FF FFF", "dd.HH:mm:ss.ffff"}
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 60; i++ {
		// Years 1..9999, µs precision.
		tm := time.UnixMicro(rng.Int63n(315000000000000000) - 62135596800000000).UTC()
		if i%5 == 0 {
			tm = tm.Truncate(time.Second) // zero fractions
		}
		span := time.Duration(rng.Int63n(2e17)-1e17) * time.Nanosecond / time.Microsecond * time.Microsecond
		for _, f := range dtFormats {
			elems, err := value.ParseDateTimeFormat(f)
			if err != nil {
				t.Fatal(err)
			}
			x, err := formatSQL(f, false, "CAST($1 AS TIMESTAMP)")
			if err != nil {
				t.Fatal(err)
			}
			var got string
			if err := db.QueryRow("SELECT "+x, tm).Scan(&got); err != nil {
				t.Fatalf("%s: %v", x, err)
			}
			if want := value.FormatDateTimeWith(tm, elems); got != want {
				t.Errorf("format_datetime(%v, %q): sql %q, go %q", tm, f, got, want)
			}
		}
		for _, f := range tsFormats {
			elems, err := value.ParseTimespanFormat(f)
			if err != nil {
				t.Fatal(err)
			}
			x, err := formatSQL(f, true, "CAST($1 AS BIGINT)")
			if err != nil {
				t.Fatal(err)
			}
			var got string
			if err := db.QueryRow("SELECT "+x, int64(span/value.Tick)).Scan(&got); err != nil {
				t.Fatalf("%s: %v", x, err)
			}
			if want := value.FormatTimespanWith(span, elems); got != want {
				t.Errorf("format_timespan(%v, %q): sql %q, go %q", span, f, got, want)
			}
		}
	}
}
