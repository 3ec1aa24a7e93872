package sqlgen

import "testing"

// BenchmarkSummarizeBin10MHandSQL is BenchmarkSummarizeBin10M's baseline:
// the same hourly count written by hand in DuckDB SQL (date_trunc) over the
// same 10 M-row table, so the generated SQL's cost is a ratio.
//
//	go test -run '^$' -bench SummarizeBin10M -benchtime 5x ./internal/kql/sqlgen/
func BenchmarkSummarizeBin10MHandSQL(b *testing.B) {
	db, rows := tenMillionRows(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var groups, total int64
		if err := db.QueryRow(`SELECT count(*), sum(c) FROM (SELECT date_trunc('hour', "TimeGenerated") AS h, count(*) AS c FROM "T" GROUP BY 1)`).Scan(&groups, &total); err != nil {
			b.Fatal(err)
		}
		if total != rows || groups != rows/36000+1 {
			b.Fatalf("got %d rows in %d groups", total, groups)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mrows/s")
}
