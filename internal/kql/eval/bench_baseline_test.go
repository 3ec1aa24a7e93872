package eval

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkTransformHandWritten is BenchmarkTransform's baseline: the same
// transform written by hand in Go over the same row (no interpretation, the
// same output row allocation), so the interpreter's cost is a ratio.
//
//	go test -run '^$' -bench 'Transform' -cpu 1 ./internal/kql/eval/
func BenchmarkTransformHandWritten(b *testing.B) {
	row := demoRow("Alert")
	n := 0
	emit := func(out []any) error { n++; benchKeep = out; return nil } // the caller keeps rows, as the ingest pipeline does
	run := func(r []any) error {
		et, _ := r[1].(string)
		size, _ := r[10].(int64)
		if et != "Alert" || !(size > 0) {
			return nil
		}
		prio, _ := r[7].(string)
		sev := "Low"
		if prio == "1" {
			sev = "High"
		}
		mac, _ := r[3].(string)
		var p any
		if v, err := strconv.ParseInt(prio, 10, 32); err == nil {
			p = v
		}
		return emit([]any{r[0], r[4], r[5], r[8], p, sev, strings.ToUpper(mac)})
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := run(row); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
	if n != b.N {
		b.Fatalf("emitted %d rows for %d records", n, b.N)
	}
}

// benchKeep makes the hand-written output row escape like a real one.
var benchKeep []any
