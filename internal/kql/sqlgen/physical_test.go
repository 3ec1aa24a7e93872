package sqlgen

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/schema"
	"github.com/codeless/codeless/internal/store"
	"github.com/codeless/codeless/internal/store/duckdb"
)

// storeCatalog reads schemas from a store, like the server's catalog.
type storeCatalog struct {
	ctx context.Context
	st  store.Tables
}

func (c storeCatalog) TableSchema(name string) (schema.Schema, bool) {
	s, err := c.st.TableSchema(c.ctx, name)
	return s, err == nil
}

// TestCaseDistinctColumns runs KQL over a table of the DuckDB store whose
// columns differ only by case (stored as "id", "Id__2", "ID__3"): every
// operator sees the KQL names with their own types and values.
func TestCaseDistinctColumns(t *testing.T) {
	db, err := duckdb.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ctx := t.Context()
	t0 := time.Date(2024, 5, 6, 10, 0, 0, 0, time.UTC)
	cols := schema.Schema{
		{Name: "TimeGenerated", Type: schema.DateTime},
		{Name: "id", Type: schema.String},
		{Name: "Id", Type: schema.Long},
		{Name: "ID", Type: schema.Dynamic},
	}
	if _, err := db.EnsureTable(ctx, "Cisco_CL", cols); err != nil {
		t.Fatal(err)
	}
	b, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append("Cisco_CL", [][]any{
		{t0, "a", int64(1), map[string]any{"x": int64(1)}},
		{t0.Add(time.Minute), "b", int64(2), []any{int64(1)}},
		{t0.Add(2 * time.Minute), "a", int64(3), nil},
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	s, l, d := schema.String, schema.Long, schema.Dynamic
	c := func(n string, t schema.Type) schema.Column { return schema.Column{Name: n, Type: t} }
	cases := []struct {
		kql  string
		cols schema.Schema
		rows [][]any
	}{
		{`Cisco_CL | project id, Id | order by Id asc`, schema.Schema{c("id", s), c("Id", l)},
			[][]any{{"a", int64(1)}, {"b", int64(2)}, {"a", int64(3)}}},
		{`Cisco_CL | where Id == 2 | project id, ID, Id`, schema.Schema{c("id", s), c("ID", d), c("Id", l)},
			[][]any{{"b", []any{int64(1)}, int64(2)}}},
		{`Cisco_CL | where id == "a" | summarize sum(Id)`, schema.Schema{c("sum_Id", l)}, [][]any{{int64(4)}}},
		{`Cisco_CL | summarize n = count() by id | order by id asc`, schema.Schema{c("id", s), c("n", l)},
			[][]any{{"a", int64(2)}, {"b", int64(1)}}},
		{`Cisco_CL | summarize n = count() by Id | order by Id desc | take 1`, schema.Schema{c("Id", l), c("n", l)},
			[][]any{{int64(3), int64(1)}}},
		{`Cisco_CL | getschema | project ColumnName, ColumnType`, schema.Schema{c("ColumnName", s), c("ColumnType", s)},
			[][]any{{"TimeGenerated", "datetime"}, {"id", "string"}, {"Id", "long"}, {"ID", "dynamic"}}},
		{`Cisco_CL | where Id == 1`, cols,
			[][]any{{t0, "a", int64(1), map[string]any{"x": int64(1)}}}},
		{`Cisco_CL | project-away id, ID | order by Id asc | take 1`, schema.Schema{c("TimeGenerated", schema.DateTime), c("Id", l)},
			[][]any{{t0, int64(1)}}},
		{`union Cisco_CL, (Cisco_CL | where Id > 2) | summarize total = sum(Id), ids = dcount(id)`, schema.Schema{c("total", l), c("ids", l)},
			[][]any{{int64(9), int64(2)}}},
		{`Cisco_CL | join kind=inner (Cisco_CL | project Id, other = id) on Id | project id, Id, other | order by Id asc`,
			schema.Schema{c("id", s), c("Id", l), c("other", s)},
			[][]any{{"a", int64(1), "a"}, {"b", int64(2), "b"}, {"a", int64(3), "a"}}},
		{`Cisco_CL | extend k = strcat(id, "/", tostring(Id)) | where isnotnull(ID) | project k`, schema.Schema{c("k", s)},
			[][]any{{"a/1"}, {"b/2"}}},
	}
	for _, tc := range cases {
		t.Run(tc.kql, func(t *testing.T) {
			q, err := ToSQL(tc.kql, storeCatalog{ctx: ctx, st: db}, Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(q.Columns, tc.cols) {
				t.Fatalf("columns = %v, want %v", q.Columns, tc.cols)
			}
			res, err := db.Query(ctx, q.SQL, q.Args...)
			if err != nil {
				t.Fatalf("%v\n%s", err, q.SQL)
			}
			if len(res.Columns) != len(tc.cols) {
				t.Fatalf("result columns = %v", res.Columns)
			}
			for i := range res.Columns {
				if res.Columns[i].Name != tc.cols[i].Name {
					t.Fatalf("result column %d = %q, want %q", i, res.Columns[i].Name, tc.cols[i].Name)
				}
			}
			if !reflect.DeepEqual(res.Rows, tc.rows) {
				t.Fatalf("rows = %v, want %v\n%s", res.Rows, tc.rows, q.SQL)
			}
		})
	}
}
