package sqlgen

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/kql/eval"
	"github.com/codeless/codeless/internal/kql/value"
	"github.com/codeless/codeless/internal/schema"
)

// goRows are the rows of MyTable_CL (openDB) as Go values.
func goRows() [][]any {
	ts := func(s string) time.Time { t, _ := time.Parse("2006-01-02 15:04:05", s); return t }
	return [][]any{
		{ts("2024-05-06 10:15:00"), "North America", int64(-10), int64(1), 1.5, true, value.ParseJSON(`{"a":{"b":[1,"x"]},"s":"str"}`), time.Duration(36000000000) * value.Tick},
		{ts("2024-05-06 10:45:00"), "south pole", int64(20), int64(2), 2.5, false, value.ParseJSON(`{"a":{"b":[2]},"s":"t"}`), time.Duration(0)},
		{ts("2024-05-06 11:05:00"), "Europe", int64(30), nil, nil, nil, nil, nil},
		{ts("2024-05-06 11:59:59"), "", int64(5), int64(4), -0.5, true, value.ParseJSON(`[1,2,3]`), time.Duration(10) * value.Tick},
	}
}

// norm renders a result value comparably across the two backends.
func norm(v any, t schema.Type) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case int32:
		return fmt.Sprint(int64(x))
	case time.Duration:
		return fmt.Sprint(int64(x / value.Tick))
	case float64:
		if math.IsNaN(x) {
			return "NaN"
		}
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return fmt.Sprint(int64(x))
		}
		return fmt.Sprintf("%.9g", x)
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.000000")
	case map[string]any, []any:
		return value.JSON(value.ParseJSON(value.JSON(x)))
	case string:
		if t == schema.Dynamic {
			return value.JSON(x)
		}
		return x
	}
	return fmt.Sprint(v)
}

// TestDifferentialEvalSQL runs random row-wise expressions through both the
// per-record evaluator and the SQL translation and compares the results.
func TestDifferentialEvalSQL(t *testing.T) {
	db := openDB(t)
	cat := catalog{"MyTable_CL": tbl}
	g := &exprGen{r: rand.New(rand.NewSource(3))}
	rows := goRows()
	compared, diffs := 0, 0
	for i := 0; i < 4000 && diffs < 12; i++ {
		e := g.expr(2)
		if skipDifferential(e) {
			continue
		}
		p, err := eval.CompileTransform("source | project x = "+e, tbl)
		if err != nil {
			continue
		}
		q, err := ToSQL("MyTable_CL | project x = "+e+", N | sort by N asc", cat, Options{Now: now})
		if err != nil {
			continue
		}
		sqlRows, err := db.Query(q.SQL, q.Args...)
		if err != nil {
			t.Errorf("%s: %v", e, err)
			continue
		}
		var got []string
		for sqlRows.Next() {
			var x, n any
			if err := sqlRows.Scan(&x, &n); err != nil {
				t.Fatal(err)
			}
			got = append(got, norm(x, p.Output()[0].Type))
		}
		sqlRows.Close()
		// eval, in the same N order
		var want []string
		for _, idx := range []int{0, 3, 1, 2} { // N = -10, 5, 20, 30
			var out any
			if err := p.Run(rows[idx], now, func(r []any) error { out = r[0]; return nil }); err != nil {
				t.Fatal(err)
			}
			want = append(want, norm(out, p.Output()[0].Type))
		}
		compared++
		if strings.Join(got, "|") != strings.Join(want, "|") {
			diffs++
			t.Errorf("DIFF %s (%s)\n  sql:  %q\n  eval: %q", e, p.Output()[0].Type, got, want)
		}
	}
	t.Logf("compared %d expressions, %d differ", compared, diffs)
	if diffs > 0 {
		t.Errorf("%d expressions evaluate differently in eval and SQL", diffs)
	}
	if compared < 300 {
		t.Errorf("only %d expressions compared", compared)
	}
}

// skipDifferential excludes documented differences between the backends:
// JSON object key order (eval sorts keys, DuckDB keeps insertion order),
// datetime precision (DuckDB keeps microseconds, endof* is 1 µs before the
// next period instead of 100 ns), and dynamic mixes in max_of/min_of/case/iff
// whose dynamic conversions differ (DuckDB casts '2' to bool as null).
func skipDifferential(e string) bool {
	for _, s := range []string{"pack(", "pack_array(", "endof", "max_of", "min_of", "case(", "iff(", "not(", "tobool("} {
		if strings.Contains(e, s) {
			return true
		}
	}
	return false
}
