package storetest

import (
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/schema"
	"github.com/codeless/codeless/internal/store"
)

// RunReopen runs the cases that close a store and open it again. open must
// return the store kept under dir, a directory the test owns (empty on the
// first call); the suite calls it again with the same dir after closing the
// previous store, and closes the last one itself.
func RunReopen(t *testing.T, open func(t *testing.T, dir string) store.Store) {
	t.Helper()
	t.Run("Reopen/CaseDistinctColumns", func(t *testing.T) {
		dir := t.TempDir()
		s := open(t, dir)
		caseColsCreate(t, s)
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		s = open(t, dir)
		caseColsCheck(t, s, caseColsRows, caseCols)
		caseColsExtend(t, s)
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		s = open(t, dir)
		t.Cleanup(func() { _ = s.Close() })
		caseColsCheck(t, s, caseColsRowsExtended(), caseColsExtended)
		// Still writable after the second reopen.
		commit(t, s, "CaseCols_CL", [][]any{{caseT0, "five", int64(5), nil, true}}, nil)
		want := append(caseColsRowsExtended(), []any{caseT0, "five", int64(5), nil, true})
		caseColsCheck(t, s, want, caseColsExtended)
	})
}

// Azure tables hold columns whose names differ only by case (AtlassianJira
// eventSource/EventSource, Cisco Secure Endpoint id/Id); KQL tells them
// apart, so every backend must.
var caseCols = schema.Schema{
	{Name: "TimeGenerated", Type: schema.DateTime},
	{Name: "id", Type: schema.String},
	{Name: "Id", Type: schema.Long},
	{Name: "ID", Type: schema.Dynamic},
}

// caseColsExtended is caseCols after EnsureTable adds "iD" (and repeats
// "Id").
var caseColsExtended = append(append(schema.Schema(nil), caseCols...), schema.Column{Name: "iD", Type: schema.Bool})

var caseT0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

var caseColsRows = [][]any{
	{caseT0, "one", int64(1), map[string]any{"k": "v"}},
	{caseT0.Add(time.Second), "two", int64(2), []any{int64(2)}},
	{caseT0.Add(2 * time.Second), "", int64(3), nil},
}

func caseColsRowsExtended() [][]any {
	var out [][]any
	for _, r := range caseColsRows {
		out = append(out, append(append([]any(nil), r...), nil))
	}
	return append(out, []any{caseT0.Add(3 * time.Second), "four", int64(4), "dyn", false})
}

// testCaseColumns: a table with id, Id and ID keeps three columns with
// their own types and values, and can be extended by another case variant.
func testCaseColumns(t *testing.T, s store.Store) {
	caseColsCreate(t, s)
	caseColsCheck(t, s, caseColsRows, caseCols)
	caseColsExtend(t, s)
	caseColsCheck(t, s, caseColsRowsExtended(), caseColsExtended)
}

func caseColsCreate(t *testing.T, s store.Store) {
	t.Helper()
	got, err := s.EnsureTable(ctx(t), "CaseCols_CL", caseCols)
	if err != nil {
		t.Fatalf("EnsureTable with columns id, Id, ID: %v", err)
	}
	if !reflect.DeepEqual(got, caseCols) {
		t.Fatalf("EnsureTable = %v, want %v", got, caseCols)
	}
	commit(t, s, "CaseCols_CL", caseColsRows, nil)
}

func caseColsExtend(t *testing.T, s store.Store) {
	t.Helper()
	got, err := s.EnsureTable(ctx(t), "CaseCols_CL", schema.Schema{{Name: "iD", Type: schema.Bool}, {Name: "Id", Type: schema.Long}})
	if err != nil {
		t.Fatalf("EnsureTable adding iD: %v", err)
	}
	if !reflect.DeepEqual(got, caseColsExtended) {
		t.Fatalf("EnsureTable adding iD = %v, want %v", got, caseColsExtended)
	}
	// A case variant with another type is a new column, not a retype of
	// "Id"; asking "id" as long is a retype of the string column "id".
	if _, err := s.EnsureTable(ctx(t), "CaseCols_CL", schema.Schema{{Name: "id", Type: schema.Long}}); err == nil {
		t.Fatal(`EnsureTable retyping "id" (string) to long: want error`)
	}
	commit(t, s, "CaseCols_CL", [][]any{{caseT0.Add(3 * time.Second), "four", int64(4), "dyn", false}}, nil)
}

// caseColsCheck reads the table back with SELECT * (SQL names of such
// columns are the backend's business, so values are compared by position)
// and checks the schema.
func caseColsCheck(t *testing.T, s store.Store, want [][]any, cols schema.Schema) {
	t.Helper()
	got, err := s.TableSchema(ctx(t), "CaseCols_CL")
	if err != nil {
		t.Fatalf("TableSchema: %v", err)
	}
	if !reflect.DeepEqual(got, cols) {
		t.Fatalf("TableSchema = %v, want %v", got, cols)
	}
	res := query(t, s, `SELECT * FROM "CaseCols_CL"`)
	if len(res.Columns) != len(cols) {
		t.Fatalf("SELECT * has columns %v, want %d", res.Columns, len(cols))
	}
	if len(res.Rows) != len(want) {
		t.Fatalf("got %d rows, want %d: %v", len(res.Rows), len(want), res.Rows)
	}
	rows := append([][]any(nil), res.Rows...)
	sort.SliceStable(rows, func(i, j int) bool {
		a, _ := rows[i][2].(int64)
		b, _ := rows[j][2].(int64)
		return a < b
	})
	for r, row := range rows {
		for c := range cols {
			if err := same(cols[c].Type, res.Columns[c].Type, row[c], expected(cols[c].Type, want[r][c])); err != nil {
				t.Errorf("row %d column %q (%s): %v", r, cols[c].Name, cols[c].Type, err)
			}
		}
	}
}
