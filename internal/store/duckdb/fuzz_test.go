package duckdb

import (
	"reflect"
	"testing"

	"github.com/codeless/codeless/internal/schema"
)

// FuzzQuery: whatever SQL Query is given, it returns an answer or an error,
// never panics, and never changes stored data, tables or state.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{
		`SELECT * FROM "T"`,
		`SELECT 1; DELETE FROM "T"`,
		`DELETE FROM "T"`,
		`COMMIT; DELETE FROM "T"`,
		`WITH x AS (DELETE FROM "T" RETURNING *) SELECT * FROM x`,
		`SELECT * FROM "T" WHERE "k" = 'a''; DROP TABLE "T"; --'`,
		`/* ; */ SELECT 1 -- ; DROP TABLE "T"`,
		`SELECT $$; DROP TABLE "T"; $$`,
		`INSERT INTO codeless.kv VALUES ('x', 'y')`,
		`UPDATE codeless.columns SET type = 'string'`,
		`PRAGMA database_list`,
		`EXPLAIN ANALYZE DELETE FROM "T"`,
		`SELECT nextval('x')`,
		`CHECKPOINT`,
		`VACUUM`,
		`DETACH memory`,
		`USE system`,
		`SET search_path = 'codeless'`,
	} {
		f.Add(s)
	}
	db, err := Open("")
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	ctx := f.Context()
	cols := schema.Schema{{Name: "k", Type: schema.String}, {Name: "v", Type: schema.Long}}
	if _, err := db.EnsureTable(ctx, "T", cols); err != nil {
		f.Fatal(err)
	}
	b, _ := db.Begin(ctx)
	if err := b.Append("T", [][]any{{"a", int64(1)}, {"b", int64(2)}, {"c", int64(3)}}); err != nil {
		f.Fatal(err)
	}
	if err := b.PutCheckpoint("cp", []byte("1")); err != nil {
		f.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		f.Fatal(err)
	}
	want := [][]any{{"a", int64(1)}, {"b", int64(2)}, {"c", int64(3)}}
	f.Fuzz(func(t *testing.T, q string) {
		_, _ = db.Query(ctx, q)
		res, err := db.Query(ctx, `SELECT "k", "v" FROM memory.main."T" ORDER BY "k"`)
		if err != nil {
			t.Fatalf("after %q: canary query: %v", q, err)
		}
		if !reflect.DeepEqual(res.Rows, want) {
			t.Fatalf("after %q: table T = %v", q, res.Rows)
		}
		if cp, err := db.GetCheckpoint(ctx, "cp"); err != nil || string(cp) != "1" {
			t.Fatalf("after %q: checkpoint = %q, %v", q, cp, err)
		}
		if s, err := db.TableSchema(ctx, "T"); err != nil || !reflect.DeepEqual(s, cols) {
			t.Fatalf("after %q: schema = %v, %v", q, s, err)
		}
	})
}
