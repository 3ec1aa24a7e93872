package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/schema"
)

func TestRawConn(t *testing.T) {
	db, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.sql.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		if _, ok := rawConn(dc); !ok {
			return fmt.Errorf("rawConn(%T) failed: the fast append path is not in use (duckdb-go changed?)", dc)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rawConn("not a connection"); ok {
		t.Fatal("rawConn accepted a string")
	}
}

// appendTypes has one column of every kind, two of them strings.
var appendTypes = schema.Schema{
	{Name: "id", Type: schema.Long},
	{Name: "s", Type: schema.String},
	{Name: "i", Type: schema.Int},
	{Name: "r", Type: schema.Real},
	{Name: "b", Type: schema.Bool},
	{Name: "dt", Type: schema.DateTime},
	{Name: "ts", Type: schema.TimeSpan},
	{Name: "g", Type: schema.GUID},
	{Name: "d", Type: schema.Dynamic},
	{Name: "s2", Type: schema.String},
}

// appendRowsFor builds n rows: strings around the 12-byte inline limit,
// multi-byte text and nulls in every nullable column on every 7th row.
func appendRowsFor(n int) [][]any {
	base := time.Date(2024, 3, 6, 7, 8, 9, 123456000, time.UTC)
	rows := make([][]any, n)
	for i := range rows {
		s := strings.Repeat("x", i%40) + fmt.Sprint(i)
		if i%5 == 0 {
			s = fmt.Sprintf("ü%d€", i) // multi-byte, inline or not
		}
		r := []any{int64(i), s, int64(i % 1000), float64(i) / 8, i%2 == 0, base.Add(time.Duration(i) * time.Second),
			time.Duration(i) * time.Millisecond, fmt.Sprintf("0f8fad5b-d9cb-469f-a165-%012d", i),
			map[string]any{"n": int64(i), "tag": s}, strings.Repeat("long string ", 1+i%3)}
		if i%7 == 3 {
			for c := 1; c < len(r); c++ {
				r[c] = nil
			}
		}
		rows[i] = r
	}
	return rows
}

// TestAppendPaths appends the same rows (more than two data chunks, so that
// the string arena is reused) through the C-API path and duckdb-go's
// Appender, and checks that both tables read back identical and right.
func TestAppendPaths(t *testing.T) {
	db, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	const n = 5000
	rows := appendRowsFor(n)
	for _, path := range []string{"Fast", "Slow"} {
		if _, err := db.EnsureTable(ctx, path, appendTypes); err != nil {
			t.Fatal(err)
		}
		cs, err := newColumns(appendTypes)
		if err != nil {
			t.Fatal(err)
		}
		// Two parts, the first not a multiple of the chunk size.
		if err := cs.appendRows(path, appendTypes, rows[:1500]); err != nil {
			t.Fatal(err)
		}
		cs2, _ := newColumns(appendTypes)
		if err := cs2.appendRows(path, appendTypes, rows[1500:]); err != nil {
			t.Fatal(err)
		}
		err = db.runTx(ctx, func(conn *sql.Conn) error {
			return conn.Raw(func(dc any) error {
				if path == "Fast" {
					return appendColumnsFast(dc, db.catalog, path, []*columns{cs, cs2})
				}
				return appendRowsSlow(dc, db.catalog, path, []*columns{cs, cs2})
			})
		}, nil)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	read := func(table string) [][]any {
		res, err := db.Query(ctx, `SELECT id, s, i, r, b, dt, ts, CAST(g AS VARCHAR), CAST(d AS VARCHAR), s2 FROM `+table+` ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		return res.Rows
	}
	fast, slow := read("Fast"), read("Slow")
	if len(fast) != n || len(slow) != n {
		t.Fatalf("rows: fast %d, slow %d, want %d", len(fast), len(slow), n)
	}
	for i := range fast {
		if !reflect.DeepEqual(fast[i], slow[i]) {
			t.Fatalf("row %d differs:\nfast %#v\nslow %#v", i, fast[i], slow[i])
		}
	}
	// Spot checks against the input.
	for _, i := range []int{0, 3, 12, 13, 2047, 2048, 4999} {
		got := fast[i]
		if got[1] != orEmpty(rows[i][1]) || got[9] != orEmpty(rows[i][9]) {
			t.Errorf("row %d strings = %q, %q; want %q, %q", i, got[1], got[9], rows[i][1], rows[i][9])
		}
		if rows[i][5] == nil {
			if got[5] != nil || got[7] != nil || got[8] != nil {
				t.Errorf("row %d: want nulls, got %#v", i, got)
			}
			continue
		}
		if tm, ok := got[5].(time.Time); !ok || !tm.Equal(rows[i][5].(time.Time)) {
			t.Errorf("row %d dt = %v, want %v", i, got[5], rows[i][5])
		}
		if got[7] != rows[i][7] {
			t.Errorf("row %d guid = %v, want %v", i, got[7], rows[i][7])
		}
	}
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

// TestAppendPad: columns added to the table after rows were buffered are
// null ("" for strings) in those rows.
func TestAppendPad(t *testing.T) {
	db, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.EnsureTable(ctx, "P", appendTypes[:2]); err != nil {
		t.Fatal(err)
	}
	b, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append("P", [][]any{{int64(1), "a"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnsureTable(ctx, "P", schema.Schema{appendTypes[0], appendTypes[1], {Name: "x", Type: schema.String}, {Name: "y", Type: schema.Long}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	res, err := db.Query(ctx, `SELECT id, s, x, y FROM P`)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{int64(1), "a", "", nil}
	if !reflect.DeepEqual(res.Rows[0], want) {
		t.Fatalf("got %#v, want %#v", res.Rows[0], want)
	}
}
