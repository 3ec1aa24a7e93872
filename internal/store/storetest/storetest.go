// Package storetest is the conformance suite every store.Store backend
// passes (SPEC §6: "one narrow interface with a conformance test suite that
// every backend passes"). A backend's test calls
//
//	storetest.Run(t, func(t *testing.T) store.Store { ... a fresh, empty store ... })
//
// It covers every interface method: table create/extend/list and schema
// round-trip for every KQL type, batch visibility, rollback, atomicity of
// rows with checkpoints (also under a concurrent reader), concurrent
// batches, value round-trip of every type through Query (nulls, unicode,
// nested dynamic, datetime precision, extremes), the read-only guard of
// Query, resources with etags, checkpoints, key/values and ErrNotFound.
//
// The SQL it sends is plain enough for every dialect (double-quoted
// identifiers, SELECT/COUNT/ORDER BY, no parameters). Where backends may
// legitimately differ it accepts a documented set of answers: a timespan
// column may come back from Query as timespan or as long 100 ns ticks, a
// decimal as real, a guid as string, and datetimes may be truncated to the
// microsecond. Column names differing only by case ("id", "Id", "ID") are
// distinct columns in every backend (Azure tables have them); their SQL
// names are the backend's business, so the suite reads them with SELECT *.
// Table names differing only by case may be kept apart or refused.
//
// RunReopen runs the cases that close and reopen a store (a table with
// case-distinct columns survives two reopens and an extension). Crash
// durability needs backend-specific means and lives in each backend's own
// tests.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/schema"
	"github.com/codeless/codeless/internal/store"
)

// Run runs the conformance suite; open must return a fresh, empty store for
// each call (the suite closes it).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Dialect", testDialect},
		{"Tables/CreateEveryType", testCreateEveryType},
		{"Tables/Extend", testExtend},
		{"Tables/Invalid", testTablesInvalid},
		{"Tables/CaseSensitiveNames", testCaseNames},
		{"Tables/CaseDistinctColumns", testCaseColumns},
		{"Tables/NotFound", testTablesNotFound},
		{"Batch/CommitVisible", testCommitVisible},
		{"Batch/Rollback", testRollback},
		{"Batch/AtomicWithCheckpoint", testAtomicCheckpoint},
		{"Batch/ConsistentReads", testConsistentReads},
		{"Batch/Concurrent", testConcurrentBatches},
		{"Batch/DoneIsFinal", testBatchDone},
		{"Batch/ShortRowsAndExtendedTable", testShortRows},
		{"Batch/BadValues", testBadValues},
		{"Values/RoundTrip", testRoundTrip},
		{"Values/Lenient", testLenient},
		{"Query/ReadOnly", testQueryReadOnly},
		{"Query/Errors", testQueryErrors},
		{"State/Resources", testResources},
		{"State/Checkpoints", testCheckpoints},
		{"State/KV", testKV},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { _ = s.Close() })
			tc.fn(t, s)
		})
	}
}

var allTypes = schema.Schema{
	{Name: "s", Type: schema.String},
	{Name: "i", Type: schema.Int},
	{Name: "l", Type: schema.Long},
	{Name: "r", Type: schema.Real},
	{Name: "b", Type: schema.Bool},
	{Name: "dt", Type: schema.DateTime},
	{Name: "ts", Type: schema.TimeSpan},
	{Name: "g", Type: schema.GUID},
	{Name: "d", Type: schema.Dynamic},
	{Name: "dec", Type: schema.Decimal},
}

func ctx(t *testing.T) context.Context { return t.Context() }

func mustEnsure(t *testing.T, s store.Store, name string, cols schema.Schema) schema.Schema {
	t.Helper()
	got, err := s.EnsureTable(ctx(t), name, cols)
	if err != nil {
		t.Fatalf("EnsureTable(%q): %v", name, err)
	}
	return got
}

func commit(t *testing.T, s store.Store, table string, rows [][]any, cp map[string]string) {
	t.Helper()
	b, err := s.Begin(ctx(t))
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	if table != "" {
		if err := b.Append(table, rows); err != nil {
			t.Fatalf("Append(%q): %v", table, err)
		}
	}
	for k, v := range cp {
		if err := b.PutCheckpoint(k, []byte(v)); err != nil {
			t.Fatalf("PutCheckpoint: %v", err)
		}
	}
	if err := b.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func query(t *testing.T, s store.Store, sql string) *store.Result {
	t.Helper()
	res, err := s.Query(ctx(t), sql)
	if err != nil {
		t.Fatalf("Query(%s): %v", sql, err)
	}
	return res
}

func count(t *testing.T, s store.Store, table string) int64 {
	t.Helper()
	res := query(t, s, `SELECT COUNT(*) AS "n" FROM "`+table+`"`)
	if len(res.Rows) != 1 || len(res.Rows[0]) != 1 {
		t.Fatalf("count(%s): got %v", table, res.Rows)
	}
	n, ok := res.Rows[0][0].(int64)
	if !ok {
		t.Fatalf("count(%s): got %T %v, want int64", table, res.Rows[0][0], res.Rows[0][0])
	}
	return n
}

func testDialect(t *testing.T, s store.Store) {
	if s.Dialect() == "" {
		t.Fatal("Dialect() is empty")
	}
}

func testCreateEveryType(t *testing.T, s store.Store) {
	got := mustEnsure(t, s, "Every_CL", allTypes)
	if !reflect.DeepEqual(got, allTypes) {
		t.Fatalf("EnsureTable returned %v, want %v", got, allTypes)
	}
	got, err := s.TableSchema(ctx(t), "Every_CL")
	if err != nil {
		t.Fatalf("TableSchema: %v", err)
	}
	if !reflect.DeepEqual(got, allTypes) {
		t.Fatalf("TableSchema = %v, want %v", got, allTypes)
	}
	// Aliases are canonicalized.
	got = mustEnsure(t, s, "Alias_CL", schema.Schema{{Name: "a", Type: "Int32"}, {Name: "b", Type: "boolean"}})
	want := schema.Schema{{Name: "a", Type: schema.Int}, {Name: "b", Type: schema.Bool}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("aliases: got %v, want %v", got, want)
	}
	mustEnsure(t, s, "A_CL", schema.Schema{{Name: "x", Type: schema.Long}})
	names, err := s.ListTables(ctx(t))
	if err != nil {
		t.Fatalf("ListTables: %v", err)
	}
	if wantNames := []string{"A_CL", "Alias_CL", "Every_CL"}; !reflect.DeepEqual(names, wantNames) {
		t.Fatalf("ListTables = %v, want %v", names, wantNames)
	}
	// Ensuring again with the same schema is a no-op.
	if got := mustEnsure(t, s, "Every_CL", allTypes); !reflect.DeepEqual(got, allTypes) {
		t.Fatalf("second EnsureTable = %v", got)
	}
}

func testExtend(t *testing.T, s store.Store) {
	mustEnsure(t, s, "T", schema.Schema{{Name: "a", Type: schema.String}, {Name: "b", Type: schema.Long}})
	commit(t, s, "T", [][]any{{"x", int64(1)}}, nil)
	got := mustEnsure(t, s, "T", schema.Schema{{Name: "c", Type: schema.Dynamic}, {Name: "a", Type: schema.String}, {Name: "d", Type: schema.DateTime}})
	want := schema.Schema{{Name: "a", Type: schema.String}, {Name: "b", Type: schema.Long}, {Name: "c", Type: schema.Dynamic}, {Name: "d", Type: schema.DateTime}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("extended schema = %v, want %v", got, want)
	}
	// A subset never drops columns.
	if got := mustEnsure(t, s, "T", schema.Schema{{Name: "b", Type: schema.Long}}); !reflect.DeepEqual(got, want) {
		t.Fatalf("subset EnsureTable = %v, want %v", got, want)
	}
	// Retyping is refused and changes nothing.
	if _, err := s.EnsureTable(ctx(t), "T", schema.Schema{{Name: "b", Type: schema.String}}); err == nil {
		t.Fatal("retyping column b from long to string: want error")
	}
	if got, _ := s.TableSchema(ctx(t), "T"); !reflect.DeepEqual(got, want) {
		t.Fatalf("schema after refused retype = %v, want %v", got, want)
	}
	// The old row reads back with nulls in new columns.
	res := query(t, s, `SELECT "a", "b", "c", "d" FROM "T"`)
	if len(res.Rows) != 1 || res.Rows[0][0] != "x" || res.Rows[0][1] != int64(1) || res.Rows[0][2] != nil || res.Rows[0][3] != nil {
		t.Fatalf("old row after extend = %v", res.Rows)
	}
}

func testTablesInvalid(t *testing.T, s store.Store) {
	cases := []struct {
		name  string
		table string
		cols  schema.Schema
	}{
		{"empty table name", "", schema.Schema{{Name: "a", Type: schema.String}}},
		{"no columns", "T", nil},
		{"empty column name", "T", schema.Schema{{Name: "", Type: schema.String}}},
		{"unknown type", "T", schema.Schema{{Name: "a", Type: "varchar2"}}},
		{"duplicate column", "T", schema.Schema{{Name: "a", Type: schema.String}, {Name: "a", Type: schema.String}}},
		{"control character", "T\n", schema.Schema{{Name: "a", Type: schema.String}}},
	}
	for _, tc := range cases {
		if _, err := s.EnsureTable(ctx(t), tc.table, tc.cols); err == nil {
			t.Errorf("%s: EnsureTable(%q, %v) = nil error", tc.name, tc.table, tc.cols)
		}
	}
	if names, _ := s.ListTables(ctx(t)); len(names) != 0 {
		t.Fatalf("invalid EnsureTable calls left tables %v", names)
	}
}

// testCaseNames: KQL names are case-sensitive. A backend either keeps two
// table names differing only by case apart, or refuses the second one; it
// never confuses them. Column names differing only by case are always kept
// apart (Azure tables have such columns).
func testCaseNames(t *testing.T, s store.Store) {
	mustEnsure(t, s, "Case_CL", schema.Schema{{Name: "v", Type: schema.Long}})
	commit(t, s, "Case_CL", [][]any{{int64(1)}}, nil)
	if _, err := s.EnsureTable(ctx(t), "case_cl", schema.Schema{{Name: "v", Type: schema.String}}); err == nil {
		commit(t, s, "case_cl", [][]any{{"two"}, {"three"}}, nil)
		if n := count(t, s, "Case_CL"); n != 1 {
			t.Fatalf("Case_CL has %d rows after writing case_cl, want 1", n)
		}
		if n := count(t, s, "case_cl"); n != 2 {
			t.Fatalf("case_cl has %d rows, want 2", n)
		}
	} else if got, _ := s.TableSchema(ctx(t), "case_cl"); got != nil {
		t.Fatalf("refused case_cl but TableSchema returns %v", got)
	}
	if _, err := s.TableSchema(ctx(t), "CASE_CL"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("TableSchema(CASE_CL) err = %v, want ErrNotFound", err)
	}
	// Columns differing by case are distinct columns (more in
	// testCaseColumns).
	got, err := s.EnsureTable(ctx(t), "Case_CL", schema.Schema{{Name: "V", Type: schema.String}})
	if err != nil {
		t.Fatalf("adding column V next to v: %v", err)
	}
	if want := (schema.Schema{{Name: "v", Type: schema.Long}, {Name: "V", Type: schema.String}}); !reflect.DeepEqual(got, want) {
		t.Fatalf("schema after adding V = %v, want %v", got, want)
	}
	commit(t, s, "Case_CL", [][]any{{int64(2), "two"}}, nil)
	res := query(t, s, `SELECT * FROM "Case_CL"`)
	if len(res.Rows) != 2 || len(res.Rows[0]) != 2 {
		t.Fatalf("Case_CL rows = %v", res.Rows)
	}
	for _, row := range res.Rows {
		// The row written before V existed may read back with V null or
		// "" (added columns are not back-filled).
		if !(row[0] == int64(1) && (row[1] == "" || row[1] == nil)) && !(row[0] == int64(2) && row[1] == "two") {
			t.Fatalf("Case_CL rows = %v, want [1 \"\"] and [2 two]", res.Rows)
		}
	}
}

func testTablesNotFound(t *testing.T, s store.Store) {
	if _, err := s.TableSchema(ctx(t), "Nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("TableSchema(Nope) err = %v, want ErrNotFound", err)
	}
	b, err := s.Begin(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Rollback() }()
	if err := b.Append("Nope", [][]any{{"x"}}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Append(Nope) err = %v, want ErrNotFound", err)
	}
}

func testCommitVisible(t *testing.T, s store.Store) {
	mustEnsure(t, s, "T", schema.Schema{{Name: "k", Type: schema.Long}, {Name: "v", Type: schema.String}})
	b, err := s.Begin(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]any
	for i := range 100 {
		rows = append(rows, []any{int64(i), fmt.Sprint("row", i)})
	}
	if err := b.Append("T", rows[:60]); err != nil {
		t.Fatal(err)
	}
	if err := b.Append("T", rows[60:]); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "T"); n != 0 {
		t.Fatalf("before Commit: %d rows visible, want 0", n)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	res := query(t, s, `SELECT "k", "v" FROM "T" ORDER BY "k"`)
	if len(res.Rows) != 100 {
		t.Fatalf("after Commit: %d rows, want 100", len(res.Rows))
	}
	for i, r := range res.Rows {
		if r[0] != int64(i) || r[1] != fmt.Sprint("row", i) {
			t.Fatalf("row %d = %v", i, r)
		}
	}
}

func testRollback(t *testing.T, s store.Store) {
	mustEnsure(t, s, "T", schema.Schema{{Name: "k", Type: schema.Long}})
	b, err := s.Begin(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append("T", [][]any{{int64(1)}, {int64(2)}}); err != nil {
		t.Fatal(err)
	}
	if err := b.PutCheckpoint("conn1", []byte("cp")); err != nil {
		t.Fatal(err)
	}
	if err := b.Rollback(); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "T"); n != 0 {
		t.Fatalf("after Rollback: %d rows, want 0", n)
	}
	if _, err := s.GetCheckpoint(ctx(t), "conn1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("checkpoint after Rollback: err = %v, want ErrNotFound", err)
	}
}

func testAtomicCheckpoint(t *testing.T, s store.Store) {
	mustEnsure(t, s, "A", schema.Schema{{Name: "k", Type: schema.Long}})
	mustEnsure(t, s, "B", schema.Schema{{Name: "k", Type: schema.Long}})
	b, err := s.Begin(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append("A", [][]any{{int64(1)}, {int64(2)}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Append("B", [][]any{{int64(3)}}); err != nil {
		t.Fatal(err)
	}
	if err := b.PutCheckpoint("c", []byte("first")); err != nil {
		t.Fatal(err)
	}
	if err := b.PutCheckpoint("c", []byte("second")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetCheckpoint(ctx(t), "c"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("checkpoint visible before Commit (err %v)", err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if a, bb := count(t, s, "A"), count(t, s, "B"); a != 2 || bb != 1 {
		t.Fatalf("after Commit: A=%d B=%d, want 2 and 1", a, bb)
	}
	cp, err := s.GetCheckpoint(ctx(t), "c")
	if err != nil || string(cp) != "second" {
		t.Fatalf("checkpoint = %q, %v; want \"second\"", cp, err)
	}
	// A later batch that only moves the checkpoint.
	commit(t, s, "A", nil, map[string]string{"c": "third"})
	if cp, _ := s.GetCheckpoint(ctx(t), "c"); string(cp) != "third" {
		t.Fatalf("checkpoint = %q, want third", cp)
	}
}

// testConsistentReads: every batch adds 10 rows to A and 10 to B; a reader
// running at the same time must never see the two counts differ.
func testConsistentReads(t *testing.T, s store.Store) {
	mustEnsure(t, s, "A", schema.Schema{{Name: "k", Type: schema.Long}})
	mustEnsure(t, s, "B", schema.Schema{{Name: "k", Type: schema.Long}})
	const batches = 30
	done := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		defer close(errc)
		for {
			select {
			case <-done:
				return
			default:
			}
			res, err := s.Query(context.Background(), `SELECT (SELECT COUNT(*) FROM "A") AS "a", (SELECT COUNT(*) FROM "B") AS "b"`)
			if err != nil {
				errc <- err
				return
			}
			if len(res.Rows) != 1 || res.Rows[0][0] != res.Rows[0][1] || res.Rows[0][0].(int64)%10 != 0 {
				errc <- fmt.Errorf("reader saw a partial batch: %v", res.Rows)
				return
			}
		}
	}()
	for i := range batches {
		b, err := s.Begin(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		rows := make([][]any, 10)
		for j := range rows {
			rows[j] = []any{int64(i*10 + j)}
		}
		if err := b.Append("A", rows); err != nil {
			t.Fatal(err)
		}
		if err := b.Append("B", rows); err != nil {
			t.Fatal(err)
		}
		if err := b.PutCheckpoint("c", []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if a := count(t, s, "A"); a != batches*10 {
		t.Fatalf("A has %d rows, want %d", a, batches*10)
	}
	if cp, _ := s.GetCheckpoint(ctx(t), "c"); string(cp) != fmt.Sprint(batches-1) {
		t.Fatalf("checkpoint = %q, want %d", cp, batches-1)
	}
}

func testConcurrentBatches(t *testing.T, s store.Store) {
	mustEnsure(t, s, "T", schema.Schema{{Name: "g", Type: schema.Long}, {Name: "i", Type: schema.Long}, {Name: "j", Type: schema.Long}})
	const workers, batches, rowsPer = 8, 10, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range batches {
				b, err := s.Begin(context.Background())
				if err != nil {
					errs <- err
					return
				}
				rows := make([][]any, rowsPer)
				for j := range rows {
					rows[j] = []any{int64(g), int64(i), int64(j)}
				}
				if err := b.Append("T", rows); err != nil {
					errs <- err
					return
				}
				if err := b.PutCheckpoint(fmt.Sprint("w", g), []byte(fmt.Sprint(i))); err != nil {
					errs <- err
					return
				}
				if err := b.Commit(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent batch: %v", err)
	}
	res := query(t, s, `SELECT "g", "i", COUNT(*) AS "n" FROM "T" GROUP BY "g", "i" ORDER BY "g", "i"`)
	if len(res.Rows) != workers*batches {
		t.Fatalf("got %d (g,i) groups, want %d", len(res.Rows), workers*batches)
	}
	for k, r := range res.Rows {
		if r[0] != int64(k/batches) || r[1] != int64(k%batches) || r[2] != int64(rowsPer) {
			t.Fatalf("group %d = %v, want [%d %d %d]", k, r, k/batches, k%batches, rowsPer)
		}
	}
	for g := range workers {
		if cp, err := s.GetCheckpoint(ctx(t), fmt.Sprint("w", g)); err != nil || string(cp) != fmt.Sprint(batches-1) {
			t.Fatalf("checkpoint w%d = %q, %v", g, cp, err)
		}
	}
}

func testBatchDone(t *testing.T, s store.Store) {
	mustEnsure(t, s, "T", schema.Schema{{Name: "k", Type: schema.Long}})
	b, err := s.Begin(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append("T", [][]any{{int64(1)}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := b.Append("T", [][]any{{int64(2)}}); err == nil {
		t.Error("Append after Commit: want error")
	}
	if err := b.PutCheckpoint("k", []byte("v")); err == nil {
		t.Error("PutCheckpoint after Commit: want error")
	}
	if err := b.Commit(); err == nil {
		t.Error("second Commit: want error")
	}
	if err := b.Rollback(); err == nil {
		t.Error("Rollback after Commit: want error")
	}
	if n := count(t, s, "T"); n != 1 {
		t.Fatalf("%d rows, want 1", n)
	}
	// An empty batch commits.
	b2, err := s.Begin(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := b2.Commit(); err != nil {
		t.Fatalf("empty Commit: %v", err)
	}
}

// testShortRows: rows may be shorter than the schema (missing = null), and a
// batch appended before EnsureTable added a column still commits.
func testShortRows(t *testing.T, s store.Store) {
	mustEnsure(t, s, "T", schema.Schema{{Name: "k", Type: schema.Long}, {Name: "s", Type: schema.String}})
	b, err := s.Begin(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append("T", [][]any{{int64(1)}, {int64(2), "two"}}); err != nil {
		t.Fatal(err)
	}
	mustEnsure(t, s, "T", schema.Schema{{Name: "x", Type: schema.Long}, {Name: "s2", Type: schema.String}})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	res := query(t, s, `SELECT "k", "s", "x", "s2" FROM "T" ORDER BY "k"`)
	want := [][]any{{int64(1), "", nil, ""}, {int64(2), "two", nil, ""}}
	if !reflect.DeepEqual(res.Rows, want) {
		t.Fatalf("rows = %#v, want %#v", res.Rows, want)
	}
	if err := func() error {
		b, err := s.Begin(ctx(t))
		if err != nil {
			return err
		}
		defer func() { _ = b.Rollback() }()
		return b.Append("T", [][]any{{int64(1), "a", int64(2), "b", "extra"}})
	}(); err == nil {
		t.Fatal("row longer than the schema: want error")
	}
}

func testBadValues(t *testing.T, s store.Store) {
	mustEnsure(t, s, "T", allTypes)
	good := []any{"s", int64(1), int64(1), 1.5, true, time.Unix(0, 0).UTC(), time.Second, "0f8fad5b-d9cb-469f-a165-70867728950e", map[string]any{"a": int64(1)}, 2.5}
	cases := []struct {
		col int
		v   any
	}{
		{1, int64(math.MaxInt32) + 1},
		{1, 1.5},
		{1, "12"},
		{2, 2.5},
		{2, uint64(math.MaxUint64)},
		{2, true},
		{3, "1.5"},
		{4, "true"},
		{4, int64(1)},
		{5, "2024-01-01"},
		{5, int64(0)},
		{6, "1h"},
		{7, "not-a-guid"},
		{7, int64(5)},
		{8, math.NaN()},
		{0, int64(5)},
	}
	for _, tc := range cases {
		row := append([]any(nil), good...)
		row[tc.col] = tc.v
		b, err := s.Begin(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		err = b.Append("T", [][]any{good, row})
		if err == nil {
			t.Errorf("column %s value %T(%v): Append accepted it", allTypes[tc.col].Name, tc.v, tc.v)
		} else if msg := err.Error(); !strings.Contains(msg, `"T"`) || !strings.Contains(msg, allTypes[tc.col].Name) || !strings.Contains(msg, "row 1") {
			t.Errorf("column %s value %T: error %q does not name table, column and row 1", allTypes[tc.col].Name, tc.v, msg)
		}
		if err := b.Commit(); err != nil {
			t.Fatalf("Commit after a refused Append: %v", err)
		}
	}
	// The refused rows never reached the table; the earlier good rows in
	// the same Append call were refused with them.
	if n := count(t, s, "T"); n != 0 {
		t.Fatalf("%d rows stored after refused appends, want 0", n)
	}
}
