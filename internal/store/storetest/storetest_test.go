package storetest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/schema"
	"github.com/codeless/codeless/internal/store"
	"github.com/codeless/codeless/internal/store/duckdb"
	"github.com/codeless/codeless/internal/store/storetest"
)

// The suite must catch broken backends: each mutant wraps the DuckDB store
// and breaks one promise; the suite, run in a child process, must fail in
// the named subtest.

type lostCheckpoint struct{ *duckdb.DB }
type lostCheckpointBatch struct{ store.Batch }

func (m lostCheckpoint) Begin(ctx context.Context) (store.Batch, error) {
	b, err := m.DB.Begin(ctx)
	return lostCheckpointBatch{b}, err
}
func (lostCheckpointBatch) PutCheckpoint(string, []byte) error { return nil }

type rollbackCommits struct{ *duckdb.DB }
type rollbackCommitsBatch struct{ store.Batch }

func (m rollbackCommits) Begin(ctx context.Context) (store.Batch, error) {
	b, err := m.DB.Begin(ctx)
	return rollbackCommitsBatch{b}, err
}
func (b rollbackCommitsBatch) Rollback() error { return b.Commit() }

type localTimes struct{ *duckdb.DB }

func (m localTimes) Query(ctx context.Context, sql string, args ...any) (*store.Result, error) {
	res, err := m.DB.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	loc := time.FixedZone("X", 3600)
	for _, r := range res.Rows {
		for i, v := range r {
			if tm, ok := v.(time.Time); ok {
				r[i] = tm.In(loc)
			}
		}
	}
	return res, nil
}

type plainNotFound struct{ *duckdb.DB }

func (m plainNotFound) GetKV(ctx context.Context, key string) ([]byte, error) {
	v, err := m.DB.GetKV(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errors.New("no such key")
	}
	return v, err
}

type unsortedTables struct{ *duckdb.DB }

func (m unsortedTables) ListTables(ctx context.Context) ([]string, error) {
	n, err := m.DB.ListTables(ctx)
	for i, j := 0, len(n)-1; i < j; i, j = i+1, j-1 {
		n[i], n[j] = n[j], n[i]
	}
	return n, err
}

// refuseCaseColumns refuses columns whose names differ only by case (what
// the DuckDB backend did before it had SQL column names).
type refuseCaseColumns struct{ *duckdb.DB }

func (m refuseCaseColumns) EnsureTable(ctx context.Context, name string, cols schema.Schema) (schema.Schema, error) {
	have, _ := m.DB.TableSchema(ctx, name)
	all := append(append(schema.Schema(nil), have...), cols...)
	for i, a := range all {
		for _, b := range all[:i] {
			if a.Name != b.Name && strings.EqualFold(a.Name, b.Name) {
				return nil, fmt.Errorf("columns %q and %q differ only by case", b.Name, a.Name)
			}
		}
	}
	return m.DB.EnsureTable(ctx, name, cols)
}

var mutants = map[string]struct {
	wrap    func(*duckdb.DB) store.Store
	failing string
}{
	"lostCheckpoint":    {func(d *duckdb.DB) store.Store { return lostCheckpoint{d} }, "Batch/AtomicWithCheckpoint"},
	"rollbackCommits":   {func(d *duckdb.DB) store.Store { return rollbackCommits{d} }, "Batch/Rollback"},
	"localTimes":        {func(d *duckdb.DB) store.Store { return localTimes{d} }, "Values/RoundTrip"},
	"plainNotFound":     {func(d *duckdb.DB) store.Store { return plainNotFound{d} }, "State/KV"},
	"unsortedTables":    {func(d *duckdb.DB) store.Store { return unsortedTables{d} }, "Tables/CreateEveryType"},
	"refuseCaseColumns": {func(d *duckdb.DB) store.Store { return refuseCaseColumns{d} }, "Tables/CaseDistinctColumns"},
}

const mutantEnv = "CODELESS_STORETEST_MUTANT"

func TestMutantChild(t *testing.T) {
	name := os.Getenv(mutantEnv)
	if name == "" {
		t.Skip("helper process for TestSuiteCatchesMutants; runs only when " + mutantEnv + " is set")
	}
	m := mutants[name]
	storetest.Run(t, func(t *testing.T) store.Store {
		d, err := duckdb.Open("")
		if err != nil {
			t.Fatal(err)
		}
		return m.wrap(d)
	})
}

func TestSuiteCatchesMutants(t *testing.T) {
	if os.Getenv(mutantEnv) != "" {
		t.Skip("inside the child")
	}
	for name, m := range mutants {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestMutantChild$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), mutantEnv+"="+name)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a backend that breaks %s:\n%s", m.failing, out)
			}
			if want := "--- FAIL: TestMutantChild/" + m.failing + " "; !strings.Contains(string(out), want) {
				t.Fatalf("want %q in the output:\n%s", want, out)
			}
		})
	}
}

// TestSuiteOnDuckDB keeps the suite itself exercised from its own package.
func TestSuiteOnDuckDB(t *testing.T) {
	if os.Getenv(mutantEnv) != "" {
		t.Skip("inside the child")
	}
	storetest.Run(t, func(t *testing.T) store.Store {
		d, err := duckdb.Open("")
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}

// TestReopenOnDuckDB runs the reopen cases on a DuckDB file.
func TestReopenOnDuckDB(t *testing.T) {
	if os.Getenv(mutantEnv) != "" {
		t.Skip("inside the child")
	}
	storetest.RunReopen(t, func(t *testing.T, dir string) store.Store {
		d, err := duckdb.Open(dir + "/store.duckdb")
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}
