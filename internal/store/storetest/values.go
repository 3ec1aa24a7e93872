package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/schema"
	"github.com/codeless/codeless/internal/store"
)

// resultTypeOK lists the KQL types Query may report for a stored column of
// each type (first = exact).
var resultTypeOK = map[schema.Type][]schema.Type{
	schema.String:   {schema.String},
	schema.Int:      {schema.Int, schema.Long},
	schema.Long:     {schema.Long},
	schema.Real:     {schema.Real},
	schema.Bool:     {schema.Bool},
	schema.DateTime: {schema.DateTime},
	schema.TimeSpan: {schema.TimeSpan, schema.Long},
	schema.GUID:     {schema.GUID, schema.String},
	schema.Dynamic:  {schema.Dynamic},
	schema.Decimal:  {schema.Decimal, schema.Real},
}

func testRoundTrip(t *testing.T, s store.Store) {
	cols := append(schema.Schema{{Name: "k", Type: schema.Long}}, allTypes...)
	mustEnsure(t, s, "V", cols)
	nanoTime := time.Date(2024, 2, 29, 23, 59, 59, 123456789, time.UTC)
	paris := time.FixedZone("CET", 3600)
	nested := map[string]any{
		"a":       []any{int64(1), 2.5, "x", true, nil, map[string]any{"b": map[string]any{}}},
		"unicode": "日本語 🙂 \"quoted\" <tag> & \\ \u0000",
		"big":     int64(1) << 60,
		"min":     int64(math.MinInt64),
		"float":   1.0,
		"neg":     int64(-7),
		"empty":   []any{},
	}
	in := [][]any{
		{int64(0), "plain", int64(42), int64(1) << 40, 3.25, true, nanoTime, 90 * time.Minute, "0F8FAD5B-D9CB-469F-A165-70867728950E", nested, 12.5},
		{int64(1), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
		{int64(2), "Grüße, 世界 — 🙂\ttab\nnewline 'single' \"double\"", int64(math.MinInt32), int64(math.MinInt64), -1e-300, false, time.Date(1970, 1, 1, 0, 0, 0, 1000, paris), -1500 * time.Millisecond, "00000000-0000-0000-0000-000000000000", []any{"top", int64(-1)}, -0.5},
		{int64(3), "", int64(math.MaxInt32), int64(math.MaxInt64), 1e308, true, time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), 0 * time.Second, "ffffffff-ffff-ffff-ffff-ffffffffffff", "just a string", 0.0},
		{int64(4), "dyn scalars", int64(0), int64(0), 0.0, false, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), 36500 * 24 * time.Hour, nil, int64(7), nil},
		{int64(5), "dyn bool", int64(-1), int64(-1), math.SmallestNonzeroFloat64, true, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Duration(100), nil, false, nil},
	}
	commit(t, s, "V", in, nil)
	res := query(t, s, `SELECT * FROM "V" ORDER BY "k"`)
	if len(res.Columns) != len(cols) {
		t.Fatalf("Query columns = %v, want %d columns", res.Columns, len(cols))
	}
	for i, c := range res.Columns {
		if c.Name != cols[i].Name {
			t.Fatalf("column %d named %q, want %q", i, c.Name, cols[i].Name)
		}
		ok := false
		for _, typ := range resultTypeOK[cols[i].Type] {
			ok = ok || c.Type == typ
		}
		if !ok {
			t.Errorf("column %q (%s) reported as %s, want one of %v", c.Name, cols[i].Type, c.Type, resultTypeOK[cols[i].Type])
		}
	}
	if len(res.Rows) != len(in) {
		t.Fatalf("got %d rows, want %d", len(res.Rows), len(in))
	}
	for r, row := range res.Rows {
		for c, got := range row {
			want := expected(cols[c].Type, in[r][c])
			if err := same(cols[c].Type, res.Columns[c].Type, got, want); err != nil {
				t.Errorf("row %d column %q (%s): %v", r, cols[c].Name, cols[c].Type, err)
			}
		}
	}
}

// expected is what a value should read back as, before backend latitude.
func expected(t schema.Type, v any) any {
	switch t {
	case schema.String:
		if v == nil {
			return "" // KQL strings are never null
		}
	case schema.GUID:
		if s, ok := v.(string); ok {
			return lower(s)
		}
	case schema.DateTime:
		if tm, ok := v.(time.Time); ok {
			return tm.UTC()
		}
	}
	return v
}

func lower(s string) string { return string(bytes.ToLower([]byte(s))) }

// same compares a Query answer with the expected value, allowing datetimes
// truncated to the microsecond and timespans as 100 ns ticks.
func same(stored, reported schema.Type, got, want any) error {
	if want == nil {
		if got != nil {
			return fmt.Errorf("got %T %v, want null", got, got)
		}
		return nil
	}
	switch stored {
	case schema.DateTime:
		g, ok := got.(time.Time)
		w := want.(time.Time)
		if !ok {
			return fmt.Errorf("got %T, want time.Time", got)
		}
		if g.Location() != time.UTC {
			return fmt.Errorf("got location %v, want UTC", g.Location())
		}
		if !g.Equal(w) && !g.Equal(w.Truncate(time.Microsecond)) && !g.Equal(w.Truncate(100)) {
			return fmt.Errorf("got %v, want %v (or truncated to 1µs/100ns)", g, w)
		}
		return nil
	case schema.TimeSpan:
		w := want.(time.Duration)
		if reported == schema.Long {
			if got != int64(w/100) {
				return fmt.Errorf("got %T %v, want %d ticks", got, got, int64(w/100))
			}
			return nil
		}
		if got != w {
			return fmt.Errorf("got %T %v, want %v", got, got, w)
		}
		return nil
	case schema.Int:
		if got != want {
			return fmt.Errorf("got %T %v, want int64 %v", got, got, want)
		}
		return nil
	case schema.Decimal, schema.Real:
		g, ok := got.(float64)
		if !ok || g != want.(float64) {
			return fmt.Errorf("got %T %v, want float64 %v", got, got, want)
		}
		return nil
	}
	if !reflect.DeepEqual(got, want) {
		return fmt.Errorf("got %T %#v, want %T %#v", got, got, want, want)
	}
	return nil
}

func testLenient(t *testing.T, s store.Store) {
	cols := schema.Schema{{Name: "k", Type: schema.Long}, {Name: "i", Type: schema.Int}, {Name: "l", Type: schema.Long}, {Name: "r", Type: schema.Real}, {Name: "g", Type: schema.GUID}, {Name: "dt", Type: schema.DateTime}}
	mustEnsure(t, s, "L", cols)
	in := [][]any{
		{0, int32(5), 7, int64(3), "0F8FAD5B-D9CB-469F-A165-70867728950E", time.Date(2024, 1, 1, 1, 0, 0, 0, time.FixedZone("X", 3600))},
		{int64(1), 6.0, uint32(8), float32(0.5), "", nil},
		{int64(2), int8(-1), 9.0, 1, nil, nil},
	}
	commit(t, s, "L", in, nil)
	res := query(t, s, `SELECT "k", "i", "l", "r", "g", "dt" FROM "L" ORDER BY "k"`)
	want := [][]any{
		{int64(0), int64(5), int64(7), 3.0, "0f8fad5b-d9cb-469f-a165-70867728950e", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
		{int64(1), int64(6), int64(8), 0.5, nil, nil},
		{int64(2), int64(-1), int64(9), 1.0, nil, nil},
	}
	if !reflect.DeepEqual(res.Rows, want) {
		t.Fatalf("lenient conversions: got %#v, want %#v", res.Rows, want)
	}
}

func testQueryReadOnly(t *testing.T, s store.Store) {
	mustEnsure(t, s, "T", schema.Schema{{Name: "k", Type: schema.Long}})
	commit(t, s, "T", [][]any{{int64(1)}, {int64(2)}}, nil)
	for _, q := range []string{
		`DELETE FROM "T"`,
		`INSERT INTO "T" VALUES (3)`,
		`UPDATE "T" SET "k" = 5`,
		`DROP TABLE "T"`,
		`CREATE TABLE "X" ("a" BIGINT)`,
		`ALTER TABLE "T" ADD COLUMN "z" BIGINT`,
		`SELECT 1; DELETE FROM "T"`,
		`SELECT 1; DROP TABLE "T"; SELECT 2`,
	} {
		if _, err := s.Query(ctx(t), q); err == nil {
			t.Errorf("Query(%s) succeeded, want a read-only error", q)
		}
	}
	if n := count(t, s, "T"); n != 2 {
		t.Fatalf("after refused writes: %d rows, want 2", n)
	}
	if names, _ := s.ListTables(ctx(t)); !reflect.DeepEqual(names, []string{"T"}) {
		t.Fatalf("tables after refused writes: %v", names)
	}
	if sc, _ := s.TableSchema(ctx(t), "T"); len(sc) != 1 {
		t.Fatalf("schema after refused writes: %v", sc)
	}
}

func testQueryErrors(t *testing.T, s store.Store) {
	for _, q := range []string{``, `SELEC 1`, `SELECT * FROM "Missing"`, `SELECT "nope" FROM (SELECT 1 AS "a") AS "x"`, `SELECT 'unterminated`} {
		if _, err := s.Query(ctx(t), q); err == nil {
			t.Errorf("Query(%q) succeeded, want error", q)
		}
	}
	res := query(t, s, `SELECT 1 AS "one", 'x' AS "s"`)
	if len(res.Rows) != 1 || res.Rows[0][0] != int64(1) || res.Rows[0][1] != "x" || res.Columns[1].Type != schema.String {
		t.Fatalf("SELECT 1, 'x' = %v %v", res.Columns, res.Rows)
	}
	if res := query(t, s, `SELECT 1 AS "one" WHERE 1 = 0`); res.Rows == nil || len(res.Rows) != 0 || len(res.Columns) != 1 {
		t.Fatalf("empty result = %#v, want non-nil empty rows and one column", res)
	}
}

func testResources(t *testing.T, s store.Store) {
	if _, err := s.GetResource(ctx(t), "dcr", "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetResource(missing) err = %v, want ErrNotFound", err)
	}
	if err := s.PutResource(ctx(t), store.Record{Kind: "", Name: "a", Body: []byte("{}")}); err == nil {
		t.Error("PutResource with empty kind: want error")
	}
	if err := s.PutResource(ctx(t), store.Record{Kind: "dcr", Name: "", Body: []byte("{}")}); err == nil {
		t.Error("PutResource with empty name: want error")
	}
	body := []byte(`{"properties":{"x":"ü"}}`)
	if err := s.PutResource(ctx(t), store.Record{Kind: "dcr", Name: "b", Body: body}); err != nil {
		t.Fatal(err)
	}
	r1, err := s.GetResource(ctx(t), "dcr", "b")
	if err != nil {
		t.Fatal(err)
	}
	if r1.Kind != "dcr" || r1.Name != "b" || !bytes.Equal(r1.Body, body) || r1.Etag == "" || r1.Modified.IsZero() {
		t.Fatalf("GetResource = %+v", r1)
	}
	if _, err := s.GetResource(ctx(t), "dcr", "B"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("names are exact: GetResource(B) err = %v", err)
	}
	// Overwrite without an etag: a new etag.
	if err := s.PutResource(ctx(t), store.Record{Kind: "dcr", Name: "b", Body: []byte(`{"v":2}`)}); err != nil {
		t.Fatal(err)
	}
	r2, _ := s.GetResource(ctx(t), "dcr", "b")
	if string(r2.Body) != `{"v":2}` || r2.Etag == r1.Etag {
		t.Fatalf("after overwrite: body %s etag %q (old %q)", r2.Body, r2.Etag, r1.Etag)
	}
	// Caller-supplied etag and modified time are kept.
	mod := time.Date(2025, 3, 4, 5, 6, 7, 8000, time.UTC)
	if err := s.PutResource(ctx(t), store.Record{Kind: "dcr", Name: "a", Body: []byte(`{}`), Etag: `"e1"`, Modified: mod}); err != nil {
		t.Fatal(err)
	}
	ra, _ := s.GetResource(ctx(t), "dcr", "a")
	if ra.Etag != `"e1"` || !ra.Modified.Equal(mod) || ra.Modified.Location() != time.UTC {
		t.Fatalf("caller etag/modified: got %q %v, want %q %v", ra.Etag, ra.Modified, `"e1"`, mod)
	}
	if err := s.PutResource(ctx(t), store.Record{Kind: "table", Name: "a", Body: []byte(`{"t":1}`)}); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListResources(ctx(t), "dcr")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "a" || list[1].Name != "b" || string(list[1].Body) != `{"v":2}` || list[1].Etag != r2.Etag {
		t.Fatalf("ListResources(dcr) = %+v", list)
	}
	if list, _ := s.ListResources(ctx(t), "none"); len(list) != 0 {
		t.Fatalf("ListResources(none) = %+v", list)
	}
	if err := s.DeleteResource(ctx(t), "dcr", "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetResource(ctx(t), "dcr", "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete err = %v", err)
	}
	if err := s.DeleteResource(ctx(t), "dcr", "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete err = %v, want ErrNotFound", err)
	}
	if r, err := s.GetResource(ctx(t), "table", "a"); err != nil || string(r.Body) != `{"t":1}` {
		t.Fatalf("other kind with the same name: %+v %v", r, err)
	}
}

func testCheckpoints(t *testing.T, s store.Store) {
	if _, err := s.GetCheckpoint(ctx(t), "c"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing checkpoint err = %v", err)
	}
	for _, v := range [][]byte{[]byte(`{"next":"abc"}`), {0, 1, 2, 255}, {}} {
		if err := s.PutCheckpoint(ctx(t), "c", v); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetCheckpoint(ctx(t), "c")
		if err != nil || !bytes.Equal(got, v) || got == nil {
			t.Fatalf("checkpoint = %v, %v; want %v", got, err, v)
		}
	}
	// Batch and direct writes share one namespace.
	commit(t, s, "", nil, map[string]string{"c": "from batch"})
	if got, _ := s.GetCheckpoint(ctx(t), "c"); string(got) != "from batch" {
		t.Fatalf("checkpoint after batch = %q", got)
	}
	if err := s.DeleteCheckpoint(ctx(t), "c"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetCheckpoint(ctx(t), "c"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted checkpoint err = %v", err)
	}
	if err := s.DeleteCheckpoint(ctx(t), "c"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete missing checkpoint err = %v, want ErrNotFound", err)
	}
}

func testKV(t *testing.T, s store.Store) {
	if _, err := s.GetKV(ctx(t), "k"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing kv err = %v", err)
	}
	for _, v := range [][]byte{[]byte("v1"), {0, 0, 0}, []byte("日本")} {
		if err := s.PutKV(ctx(t), "k", v); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetKV(ctx(t), "k"); err != nil || !bytes.Equal(got, v) {
			t.Fatalf("kv = %v, %v; want %v", got, err, v)
		}
	}
	if err := s.PutKV(ctx(t), "other", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetKV(ctx(t), "k"); string(got) != "日本" {
		t.Fatalf("kv k after writing other = %q", got)
	}
	if _, err := s.GetCheckpoint(ctx(t), "k"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("kv and checkpoints must not share keys: %v", err)
	}
}
