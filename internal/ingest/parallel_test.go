package ingest

import (
	"context"
	"encoding/json"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// TestProcessParallel: a call large enough to be split over goroutines
// gives the sequential result (rows in record order, the same counters)
// and reports the first failing record.
func TestProcessParallel(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	p, _ := loadDemo(t)
	ctx := context.Background()
	var demo []any
	if err := json.Unmarshal([]byte(demoRecords), &demo); err != nil {
		t.Fatal(err)
	}
	const n = 4500 // 4 shares, not all equal
	recs := make([]any, n)
	for i := range recs {
		m := map[string]any{}
		for k, v := range demo[i%len(demo)].(map[string]any) {
			m[k] = v
		}
		m["message"] = "m" + strings.Repeat("x", i%7) // tells records apart
		recs[i] = m
	}
	if w := processWorkers(n); w != 4 {
		t.Fatalf("processWorkers(%d) = %d, want 4", n, w)
	}
	got, err := p.Process(ctx, "dcr-demo", "Custom-ExampleConnectorInput", recs)
	if err != nil {
		t.Fatal(err)
	}
	// Sequential reference: one share per call.
	want := &Output{}
	for lo := 0; lo < n; lo += parallelMinRecords {
		hi := min(n, lo+parallelMinRecords)
		if processWorkers(hi-lo) > 1 {
			t.Fatal("reference call would run in parallel")
		}
		o, err := p.Process(ctx, "dcr-demo", "Custom-ExampleConnectorInput", recs[lo:hi])
		if err != nil {
			t.Fatal(err)
		}
		if lo == 0 {
			want = o
			continue
		}
		want.Records += o.Records
		want.Invalid += o.Invalid
		want.Rows += o.Rows
		want.TimeAdjusted += o.TimeAdjusted
		want.Truncated += o.Truncated
		for i, tr := range o.Tables {
			want.Tables[i].Rows = append(want.Tables[i].Rows, tr.Rows...)
		}
	}
	if got.Records != n || got.Rows == 0 || got.Invalid == 0 || got.TimeAdjusted == 0 {
		t.Fatalf("counters %+v", got)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parallel output differs from sequential:\n got %+v\nwant %+v", got, want)
	}

	// Errors: the first bad record wins, with its index in the call.
	bad := append([]any(nil), recs...)
	bad[3700] = "not an object"
	bad[1200] = int64(7)
	_, err = p.Process(ctx, "dcr-demo", "Custom-ExampleConnectorInput", bad)
	if err == nil || !strings.Contains(err.Error(), "record 1200 is a number") {
		t.Fatalf("err = %v, want record 1200", err)
	}
}
