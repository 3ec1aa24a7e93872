package duckdb

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/schema"
)

const crashEnv = "CODELESS_DUCKDB_CRASH_CHILD"

const crashRowsPerBatch = 200

// TestCrashChild is the child process of TestCrashDurability: it commits
// batches in a loop and prints each batch number after its Commit returns,
// until it is killed.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("helper process for TestCrashDurability; runs only when " + crashEnv + " is set")
	}
	db, err := Open(path)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	ctx := context.Background()
	cols := schema.Schema{{Name: "batch", Type: schema.Long}, {Name: "i", Type: schema.Long}, {Name: "payload", Type: schema.String}, {Name: "d", Type: schema.Dynamic}}
	for _, tbl := range []string{"A_CL", "B_CL"} {
		if _, err := db.EnsureTable(ctx, tbl, cols); err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
	}
	out := bufio.NewWriter(os.Stdout)
	for n := int64(0); ; n++ {
		b, err := db.Begin(ctx)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		rows := make([][]any, crashRowsPerBatch)
		for i := range rows {
			rows[i] = []any{n, int64(i), strings.Repeat("x", 100), map[string]any{"n": n}}
		}
		if err := b.Append("A_CL", rows); err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		if err := b.Append("B_CL", rows[:n%7+1]); err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		if err := b.PutCheckpoint("conn", []byte(strconv.FormatInt(n, 10))); err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		if err := b.Commit(); err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		fmt.Fprintln(out, "committed", n)
		_ = out.Flush()
	}
}

// TestCrashDurability re-executes the test binary as TestCrashChild, kills
// it with SIGKILL in the middle of its commit loop, reopens the file and
// checks that every batch is entirely present or entirely absent, that the
// present batches are exactly 0..k with k at least the last one the child
// reported, and that the checkpoint is k.
func TestCrashDurability(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip("inside the child")
	}
	for round := range 3 {
		t.Run(fmt.Sprint("round", round), func(t *testing.T) {
			path := t.TempDir() + "/crash.duckdb"
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), crashEnv+"="+path)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(stdout)
			last := int64(-1)
			// Kill after a varying number of commits, while the loop runs.
			target := int64(20 + 15*round)
			for sc.Scan() {
				line := sc.Text()
				if strings.HasPrefix(line, "error") {
					_ = cmd.Process.Kill()
					_ = cmd.Wait()
					t.Fatalf("child: %s", line)
				}
				if n, ok := strings.CutPrefix(line, "committed "); ok {
					last, _ = strconv.ParseInt(n, 10, 64)
					if last >= target {
						break
					}
				}
			}
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			if last < target {
				t.Fatalf("child stopped after batch %d before reaching %d", last, target)
			}

			db, err := Open(path)
			if err != nil {
				t.Fatalf("reopen after kill: %v", err)
			}
			defer db.Close()
			ctx := t.Context()
			res, err := db.Query(ctx, `SELECT a."batch", a."n", COALESCE(b."n", 0) FROM (SELECT "batch", COUNT(*) AS "n" FROM "A_CL" GROUP BY "batch") a LEFT JOIN (SELECT "batch", COUNT(*) AS "n" FROM "B_CL" GROUP BY "batch") b ON a."batch" = b."batch" ORDER BY a."batch"`)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range res.Rows {
				n := int64(i)
				if r[0] != n || r[1] != int64(crashRowsPerBatch) || r[2] != n%7+1 {
					t.Fatalf("batch %d after crash: %v (want [%d %d %d])", i, r, n, crashRowsPerBatch, n%7+1)
				}
			}
			k := int64(len(res.Rows)) - 1
			if k < last {
				t.Fatalf("batch %d was reported committed but only 0..%d survived", last, k)
			}
			orphans, err := db.Query(ctx, `SELECT COUNT(*) FROM "B_CL" WHERE "batch" > `+strconv.FormatInt(k, 10))
			if err != nil {
				t.Fatal(err)
			}
			if orphans.Rows[0][0] != int64(0) {
				t.Fatalf("B_CL has %v rows of batches missing from A_CL", orphans.Rows[0][0])
			}
			cp, err := db.GetCheckpoint(ctx, "conn")
			if err != nil || string(cp) != strconv.FormatInt(k, 10) {
				t.Fatalf("checkpoint = %q, %v; want %d", cp, err, k)
			}
			t.Logf("killed after reported batch %d; %d batches survived intact", last, k+1)
		})
	}
}
