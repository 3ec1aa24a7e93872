package duckdb

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/schema"
)

// BenchmarkAppend measures rows/s into a 12-column table with 1,000 rows
// per committed batch (and 10,000 for comparison), on a database file.
func BenchmarkAppend(b *testing.B) {
	for _, n := range []int{1, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) { benchAppend(b, n) })
	}
}

func benchAppend(b *testing.B, batch int) {
	db, err := Open(b.TempDir() + "/bench.duckdb")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	cols := schema.Schema{
		{Name: "TimeGenerated", Type: schema.DateTime},
		{Name: "Computer", Type: schema.String},
		{Name: "EventID", Type: schema.Int},
		{Name: "Bytes", Type: schema.Long},
		{Name: "Score", Type: schema.Real},
		{Name: "Success", Type: schema.Bool},
		{Name: "Duration", Type: schema.TimeSpan},
		{Name: "CorrelationId", Type: schema.GUID},
		{Name: "Properties", Type: schema.Dynamic},
		{Name: "Message", Type: schema.String},
		{Name: "SourceIP", Type: schema.String},
		{Name: "Count", Type: schema.Long},
	}
	if _, err := db.EnsureTable(b.Context(), "Bench_CL", cols); err != nil {
		b.Fatal(err)
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	rows := make([][]any, batch)
	for i := range rows {
		rows[i] = []any{
			base.Add(time.Duration(i) * time.Second), fmt.Sprintf("host-%03d", i%50), int64(4624), int64(i * 100), float64(i) / 7,
			i%2 == 0, time.Duration(i) * time.Millisecond, "0f8fad5b-d9cb-469f-a165-70867728950e",
			map[string]any{"user": "alice", "tags": []any{"a", "b"}, "n": int64(i)},
			"An account was successfully logged on.", "10.0.0.1", int64(1),
		}
	}
	b.ReportAllocs()
	cpu0 := processCPU()
	b.ResetTimer()
	for b.Loop() {
		bt, err := db.Begin(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		if err := bt.Append("Bench_CL", rows); err != nil {
			b.Fatal(err)
		}
		if err := bt.PutCheckpoint("bench", []byte("cp")); err != nil {
			b.Fatal(err)
		}
		if err := bt.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "rows/s")
	if cpu := processCPU() - cpu0; cpu > 0 {
		// Rows per CPU-second of the whole process (DuckDB threads
		// included): stable when the machine is shared.
		b.ReportMetric(float64(b.N*batch)/cpu.Seconds(), "rows/cpu-s")
	}
}

// BenchmarkAppendParallel: 8 goroutines each committing batches of 100
// rows (small pages from many connections); group commit shares the fixed
// cost of a DuckDB commit between them.
func BenchmarkAppendParallel(b *testing.B) {
	db, err := Open(b.TempDir() + "/bench.duckdb")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	cols := schema.Schema{{Name: "TimeGenerated", Type: schema.DateTime}, {Name: "Computer", Type: schema.String}, {Name: "Bytes", Type: schema.Long}, {Name: "Properties", Type: schema.Dynamic}}
	if _, err := db.EnsureTable(b.Context(), "P_CL", cols); err != nil {
		b.Fatal(err)
	}
	const batch = 100
	rows := make([][]any, batch)
	for i := range rows {
		rows[i] = []any{time.Unix(int64(i), 0).UTC(), "host", int64(i), map[string]any{"i": int64(i)}}
	}
	b.SetParallelism(4) // 4 × GOMAXPROCS goroutines
	cpu0 := processCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			bt, err := db.Begin(context.Background())
			if err != nil {
				b.Error(err)
				return
			}
			if err := bt.Append("P_CL", rows); err != nil {
				b.Error(err)
				return
			}
			if err := bt.PutCheckpoint("p", []byte("x")); err != nil {
				b.Error(err)
				return
			}
			if err := bt.Commit(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "rows/s")
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N*batch)/cpu.Seconds(), "rows/cpu-s")
	}
}
