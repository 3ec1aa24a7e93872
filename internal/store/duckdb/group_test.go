package duckdb

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"testing"

	"github.com/codeless/codeless/internal/schema"
	"github.com/codeless/codeless/internal/store"
)

func newBatch(t *testing.T, db *DB, table string, rows [][]any, cpKey, cpVal string) *batch {
	t.Helper()
	bi, err := db.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	b := bi.(*batch)
	if err := b.Append(table, rows); err != nil {
		t.Fatal(err)
	}
	if err := b.PutCheckpoint(cpKey, []byte(cpVal)); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGroupCommitIsolatesFailure: a group holding one batch that cannot be
// written commits the others, each whole, and the bad one not at all.
func TestGroupCommitIsolatesFailure(t *testing.T) {
	db := openMem(t)
	ctx := t.Context()
	for _, n := range []string{"A", "B"} {
		if _, err := db.EnsureTable(ctx, n, schema.Schema{{Name: "k", Type: schema.Long}}); err != nil {
			t.Fatal(err)
		}
	}
	b1 := newBatch(t, db, "A", [][]any{{int64(1)}, {int64(2)}}, "x", "1")
	b2 := newBatch(t, db, "B", [][]any{{int64(9)}}, "y", "2")
	if err := b2.Append("A", [][]any{{int64(99)}}); err != nil {
		t.Fatal(err)
	}
	b3 := newBatch(t, db, "A", [][]any{{int64(3)}}, "x", "3")
	if _, err := db.sql.ExecContext(ctx, `DROP TABLE "B"`); err != nil {
		t.Fatal(err)
	}
	db.writeMu.Lock()
	errs := db.writeGroup([]*commitReq{{b: b1}, {b: b2}, {b: b3}})
	db.writeMu.Unlock()
	if errs[0] != nil || errs[1] == nil || errs[2] != nil {
		t.Fatalf("errors = %v, want [nil, error, nil]", errs)
	}
	res, err := db.Query(ctx, `SELECT "k" FROM "A" ORDER BY "k"`)
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]any{{int64(1)}, {int64(2)}, {int64(3)}}; !reflect.DeepEqual(res.Rows, want) {
		t.Fatalf("A = %v, want %v (b2's row 99 must not be there)", res.Rows, want)
	}
	if cp, err := db.GetCheckpoint(ctx, "x"); err != nil || string(cp) != "3" {
		t.Fatalf("checkpoint x = %q, %v; want 3", cp, err)
	}
	if _, err := db.GetCheckpoint(ctx, "y"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("checkpoint y of the failed batch: %v", err)
	}
}

// TestGroupCommitShares: batches that queue while a writer is busy are
// written together in one transaction.
func TestGroupCommitShares(t *testing.T) {
	db := openMem(t)
	ctx := t.Context()
	if _, err := db.EnsureTable(ctx, "T", schema.Schema{{Name: "g", Type: schema.Long}, {Name: "s", Type: schema.String}}); err != nil {
		t.Fatal(err)
	}
	const n = 8
	db.writeMu.Lock() // play the busy writer
	before := db.commits.Load()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for g := range n {
		b := newBatch(t, db, "T", [][]any{{int64(g), "a"}, {int64(g), "b"}}, fmt.Sprint("c", g%2), fmt.Sprint(g))
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[g] = b.Commit()
		}()
	}
	for {
		db.groupMu.Lock()
		queued := len(db.queue)
		db.groupMu.Unlock()
		if queued == n {
			break
		}
		runtime.Gosched()
	}
	db.writeMu.Unlock()
	wg.Wait()
	for g, err := range errs {
		if err != nil {
			t.Fatalf("batch %d: %v", g, err)
		}
	}
	if got := db.commits.Load() - before; got != 1 {
		t.Fatalf("%d transactions for %d queued batches, want 1", got, n)
	}
	res, err := db.Query(ctx, `SELECT "g", COUNT(*) FROM "T" GROUP BY "g" ORDER BY "g"`)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != n {
		t.Fatalf("groups = %v", res.Rows)
	}
	for g, r := range res.Rows {
		if r[0] != int64(g) || r[1] != int64(2) {
			t.Fatalf("group %d = %v", g, r)
		}
	}
	// Both checkpoint keys hold the value of some batch that wrote them.
	for k := range 2 {
		cp, err := db.GetCheckpoint(ctx, fmt.Sprint("c", k))
		if err != nil {
			t.Fatal(err)
		}
		var g int
		if _, err := fmt.Sscan(string(cp), &g); err != nil || g%2 != k {
			t.Fatalf("checkpoint c%d = %q", k, cp)
		}
	}
}
