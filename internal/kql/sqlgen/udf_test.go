package sqlgen

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/schema"
)

// TestToDatetimeUDF checks todatetime(string) with and without the
// registered kql_todatetime, and that one registration serves another
// connection of the same database.
func TestToDatetimeUDF(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	c1, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	if err := RegisterFunctions(ctx, c1); err != nil {
		t.Fatal(err)
	}
	c2, err := db.Conn(ctx) // a second, distinct connection (c1 is held)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, err := c2.ExecContext(ctx, `CREATE TABLE "S" ("s" VARCHAR)`); err != nil {
		t.Fatal(err)
	}
	cat := catalog{"S": schema.Schema{{Name: "s", Type: schema.String}}}
	day := time.Date(2022, 12, 2, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		in            string
		withUDF, pure any // nil means null
	}{
		{"2022-12-02", day, day},
		{"2022-12-02T13:45:56+02:00", day.Add(11*time.Hour + 45*time.Minute + 56*time.Second), day.Add(11*time.Hour + 45*time.Minute + 56*time.Second)},
		{"2022-12-02 10:00:00-01:30", day.Add(11*time.Hour + 30*time.Minute), day.Add(11*time.Hour + 30*time.Minute)},
		{"12-02-2022", day, nil},
		{"Fri, 02 Dec 2022 13:45:56 GMT", day.Add(13*time.Hour + 45*time.Minute + 56*time.Second), nil},
		{"13-01-2022", nil, nil},
		{"not a date", nil, nil},
		{"", nil, nil},
	}
	for _, udfs := range []bool{true, false} {
		q, err := ToSQL(`S | project t = todatetime(s)`, cat, Options{Now: now, UDFs: udfs})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			if _, err := c2.ExecContext(ctx, `DELETE FROM "S"`); err != nil {
				t.Fatal(err)
			}
			if _, err := c2.ExecContext(ctx, `INSERT INTO "S" VALUES (?)`, c.in); err != nil {
				t.Fatal(err)
			}
			var got any
			if err := c2.QueryRowContext(ctx, q.SQL, q.Args...).Scan(&got); err != nil {
				t.Fatalf("udfs=%v %q: %v\n%s", udfs, c.in, err, q.SQL)
			}
			want := c.pure
			if udfs {
				want = c.withUDF
			}
			if g, ok := got.(time.Time); ok {
				got = g.UTC()
			}
			if got != want {
				t.Errorf("udfs=%v todatetime(%q) = %v, want %v", udfs, c.in, got, want)
			}
		}
	}
}
