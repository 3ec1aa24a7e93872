package duckdb

import (
	"database/sql"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/schema"
	"github.com/codeless/codeless/internal/store"
	"github.com/codeless/codeless/internal/store/storetest"
)

func TestConformanceReopen(t *testing.T) {
	storetest.RunReopen(t, func(t *testing.T, dir string) store.Store {
		db, err := Open(filepath.Join(dir, "codeless.duckdb"))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return db
	})
}

// sqlColumns lists a log table's DuckDB column names in order.
func sqlColumns(t *testing.T, db *DB, table string) []string {
	t.Helper()
	res, err := db.Query(t.Context(), `SELECT column_name FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = '`+strings.ReplaceAll(table, "'", "''")+`' ORDER BY column_index`)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range res.Rows {
		out = append(out, r[0].(string))
	}
	return out
}

// TestSQLColumnNamesInDuckDB: the DuckDB columns of a table are the names
// store.SQLColumnNames derives; the KQL schema keeps the KQL names, and
// extending the table renames nothing.
func TestSQLColumnNamesInDuckDB(t *testing.T) {
	db := openMem(t)
	ctx := t.Context()
	jira := schema.Schema{
		{Name: "TimeGenerated", Type: schema.DateTime},
		{Name: "eventSource", Type: schema.String},
		{Name: "EventSource", Type: schema.Dynamic},
	}
	got, err := db.EnsureTable(ctx, "Jira_Audit_v2_CL", jira)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, jira) {
		t.Fatalf("EnsureTable = %v", got)
	}
	if got := sqlColumns(t, db, "Jira_Audit_v2_CL"); !reflect.DeepEqual(got, []string{"TimeGenerated", "eventSource", "EventSource__2"}) {
		t.Fatalf("DuckDB columns = %q", got)
	}
	commitRows(t, db, "Jira_Audit_v2_CL", [][]any{{nil, "jira", map[string]any{"a": int64(1)}}}, nil)
	// Extension: a literal "EventSource__2" and another case variant.
	got, err = db.EnsureTable(ctx, "Jira_Audit_v2_CL", schema.Schema{{Name: "EventSource__2", Type: schema.Long}, {Name: "EVENTSOURCE", Type: schema.Bool}})
	if err != nil {
		t.Fatal(err)
	}
	wantKQL := append(append(schema.Schema(nil), jira...), schema.Column{Name: "EventSource__2", Type: schema.Long}, schema.Column{Name: "EVENTSOURCE", Type: schema.Bool})
	if !reflect.DeepEqual(got, wantKQL) {
		t.Fatalf("extended = %v", got)
	}
	wantSQL := []string{"TimeGenerated", "eventSource", "EventSource__2", "EventSource__2__2", "EVENTSOURCE__3"}
	if got := sqlColumns(t, db, "Jira_Audit_v2_CL"); !reflect.DeepEqual(got, wantSQL) {
		t.Fatalf("DuckDB columns after extend = %q, want %q", got, wantSQL)
	}
	if got := store.SQLColumnNames(wantKQL); !reflect.DeepEqual(got, wantSQL) {
		t.Fatalf("SQLColumnNames = %q, want %q", got, wantSQL)
	}
	commitRows(t, db, "Jira_Audit_v2_CL", [][]any{{nil, "two", "dyn", int64(7), true}}, nil)
	res, err := db.Query(ctx, `SELECT "eventSource", "EventSource__2", "EventSource__2__2", "EVENTSOURCE__3" FROM "Jira_Audit_v2_CL" ORDER BY "eventSource"`)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]any{{"jira", map[string]any{"a": int64(1)}, nil, nil}, {"two", "dyn", int64(7), true}}
	if !reflect.DeepEqual(res.Rows, want) {
		t.Fatalf("rows = %v, want %v", res.Rows, want)
	}
}

// TestOpenRefusesForeignColumnNames: a file whose table columns are not
// the derived SQL names (renamed by hand, or written under another rule) is
// refused at Open with the table, column and both names.
func TestOpenRefusesForeignColumnNames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.duckdb")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnsureTable(t.Context(), "T", schema.Schema{{Name: "id", Type: schema.Long}, {Name: "Id", Type: schema.Long}}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ alter, want string }{
		{`ALTER TABLE "T" RENAME COLUMN "Id__2" TO "Other"`, `table "T" column 1 ("Id"): named "Other" in DuckDB, expected "Id__2"`},
		{`ALTER TABLE "T" DROP COLUMN "Other"`, `table "T": has 1 columns in DuckDB, 2 in codeless.columns`},
	} {
		raw, err := sql.Open("duckdb", path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(tc.alter); err != nil {
			t.Fatal(err)
		}
		if err := raw.Close(); err != nil {
			t.Fatal(err)
		}
		db, err := Open(path)
		if err == nil {
			_ = db.Close()
			t.Fatalf("after %s: Open succeeded", tc.alter)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("after %s: Open error %q, want %q", tc.alter, err, tc.want)
		}
	}
}

// TestNonASCIICaseColumns: DuckDB folds only ASCII letters, which is what
// store.SQLColumnNames assumes: names that differ by non-ASCII case or by
// Unicode normalization keep their own SQL names and DuckDB accepts them
// side by side. A DuckDB upgrade that folds more fails here.
func TestNonASCIICaseColumns(t *testing.T) {
	for _, pair := range [][2]string{
		{"k", "\u212a"},            // KELVIN SIGN (NFKC/lower-case: k)
		{"K", "\u212a"},            // KELVIN SIGN (NFC: K)
		{"\u00e9", "e\u0301"},      // é precomposed / decomposed
		{"\u00c9", "\u00e9"},       // É / é
		{"\u03a9", "\u2126"},       // GREEK OMEGA / OHM SIGN
		{"stra\u00dfe", "STRASSE"}, // ß / SS
	} {
		t.Run(pair[0]+"/"+pair[1], func(t *testing.T) {
			db := openMem(t)
			ctx := t.Context()
			cols := schema.Schema{{Name: pair[0], Type: schema.Long}, {Name: pair[1], Type: schema.Long}}
			if got := store.SQLColumnNames(cols); !reflect.DeepEqual(got, []string{pair[0], pair[1]}) {
				t.Fatalf("SQLColumnNames = %q, want the KQL names", got)
			}
			if _, err := db.EnsureTable(ctx, "U", cols); err != nil {
				t.Fatal(err)
			}
			commitRows(t, db, "U", [][]any{{int64(1), int64(2)}}, nil)
			res, err := db.Query(ctx, `SELECT "`+pair[1]+`", "`+pair[0]+`" FROM "U"`)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res.Rows, [][]any{{int64(2), int64(1)}}) {
				t.Fatalf("rows = %v", res.Rows)
			}
		})
	}
}
