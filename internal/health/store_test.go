package health

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/store/duckdb"
)

// TestRecorderIntoDuckDB writes health rows through a real batch and reads
// them back, ExtendedProperties included.
func TestRecorderIntoDuckDB(t *testing.T) {
	db, err := duckdb.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := EnsureTable(ctx, db); err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder()
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	events := []Event{
		{Time: t0, Connection: "c1", ResourceID: "/x/c1", WorkspaceID: "ws", DestinationTable: "T_CL", Status: StatusSuccess, TotalRecordCount: 5,
			StartTime: t0.Add(-5 * time.Minute), EndTime: t0},
		{Time: t0.Add(5 * time.Minute), Connection: "c1", Status: StatusFailure, Reason: "AuthenticationFailure", Description: "401 from token endpoint",
			Failures: []Failure{{HealthResultType: "AuthenticationFailure", StatusCode: "401", StatusMessage: "Unauthorized"}}},
	}
	for _, e := range events {
		b, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rec.Observe(b, e); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := db.Begin(ctx)
	if _, err := rec.Flush(b, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	res, err := db.Query(ctx, `SELECT "OperationName", "Status", "SentinelResourceName", "ExtendedProperties" FROM "SentinelHealth" ORDER BY "TimeGenerated"`)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 3 {
		t.Fatalf("rows %v", res.Rows)
	}
	got := fmt.Sprint(res.Rows[0][:3], res.Rows[1][:3], res.Rows[2][:3])
	want := "[Data fetch status change Success ApiPolling-c1] [Data fetch status change Failure ApiPolling-c1] [Data fetch failure summary Informational ApiPolling-c1]"
	if got != want {
		t.Fatalf("\n got %s\nwant %s", got, want)
	}
	ext, ok := res.Rows[1][3].(map[string]any)
	if !ok {
		t.Fatalf("ExtendedProperties is %T", res.Rows[1][3])
	}
	fs, _ := ext["FailureSummary"].([]any)
	if len(fs) != 1 || fs[0].(map[string]any)["StatusCode"] != "401" {
		t.Fatalf("ExtendedProperties %v", ext)
	}
}
