package sqlgen

import (
	"database/sql"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/schema"
)

// BenchmarkSummarizeBin10M measures issue 3's query target:
// `T | summarize count() by bin(TimeGenerated, 1h)` over 10 M rows in
// DuckDB (table built with range(): one row per 100 ms, ≈11.6 days).
//
//	go test -run '^$' -bench SummarizeBin10M -benchtime 5x ./internal/kql/sqlgen/
func BenchmarkSummarizeBin10M(b *testing.B) {
	db, rows := tenMillionRows(b)
	cat := catalog{"T": schema.Schema{{Name: "TimeGenerated", Type: schema.DateTime}, {Name: "Computer", Type: schema.String}, {Name: "N", Type: schema.Long}}}
	q, err := ToSQL("T | summarize count() by bin(TimeGenerated, 1h)", cat, Options{Now: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("SQL:\n%s", q.SQL)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := db.Query(q.SQL, q.Args...)
		if err != nil {
			b.Fatal(err)
		}
		var groups, total int64
		for r.Next() {
			var ts time.Time
			var n int64
			if err := r.Scan(&ts, &n); err != nil {
				b.Fatal(err)
			}
			groups++
			total += n
		}
		r.Close()
		if total != rows || groups != rows/36000+1 {
			b.Fatalf("got %d rows in %d groups", total, groups)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mrows/s")
}

// tenMillionRows opens an in-memory DuckDB with table T of 10 M rows, one
// per 100 ms from 2024-01-01 (≈11.6 days), closed when b ends.
func tenMillionRows(b *testing.B) (*sql.DB, int64) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE "T" AS SELECT TIMESTAMP '2024-01-01 00:00:00' + to_microseconds(i * 100000) AS "TimeGenerated",
		'host' || (i % 100)::VARCHAR AS "Computer", i AS "N" FROM range(10000000) t(i)`); err != nil {
		b.Fatal(err)
	}
	return db, 10_000_000
}
