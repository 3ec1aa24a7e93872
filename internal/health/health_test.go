package health

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/schema"
)

type fakeBatch struct {
	rows map[string][][]any
}

func (b *fakeBatch) Append(table string, rows [][]any) error {
	if b.rows == nil {
		b.rows = map[string][][]any{}
	}
	b.rows[table] = append(b.rows[table], rows...)
	return nil
}
func (b *fakeBatch) PutCheckpoint(string, []byte) error { return nil }
func (b *fakeBatch) Commit() error                      { return nil }
func (b *fakeBatch) Rollback() error                    { return nil }

func col(t *testing.T, r []any, name string) any {
	t.Helper()
	i := Schema().Index(name)
	if i < 0 {
		t.Fatalf("no column %s", name)
	}
	return r[i]
}

func TestStatusChangeRow(t *testing.T) {
	newRecordID = func() string { return "00000000-0000-0000-0000-000000000001" }
	defer func() { newRecordID = func() string { return "x" } }()
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	r := StatusChange(Event{
		Time: t0, Connection: "ExampleConnection", ResourceID: "/subscriptions/s/x", WorkspaceID: "ws",
		DestinationTable: "ExampleConnectorAlerts_CL", Status: StatusFailure, Reason: "AuthenticationFailure",
		Description: "Token endpoint returned 401", StartTime: t0.Add(-5 * time.Minute), EndTime: t0,
		Failures: []Failure{{HealthResultType: "AuthenticationFailure", StatusCode: "401", StatusMessage: "Unauthorized"}},
	})
	if len(r) != len(Schema()) {
		t.Fatalf("row has %d values, schema %d", len(r), len(Schema()))
	}
	want := map[string]any{
		"TimeGenerated": t0, "OperationName": OpStatusChange, "Status": "Failure", "Reason": "AuthenticationFailure",
		"SentinelResourceType": "Data connector", "SentinelResourceKind": "RestApiPoller",
		"SentinelResourceName": "ApiPolling-ExampleConnection", "SentinelResourceId": "/subscriptions/s/x",
		"WorkspaceId": "ws", "RecordId": "00000000-0000-0000-0000-000000000001",
	}
	for k, v := range want {
		if got := col(t, r, k); got != v {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
	ext := col(t, r, "ExtendedProperties").(map[string]any)
	if ext["DestinationTable"] != "ExampleConnectorAlerts_CL" || ext["StartTime"] != "2026-01-01T09:55:00Z" || ext["TotalRecordCount"] != int64(0) {
		t.Fatalf("ext = %v", ext)
	}
	fs := ext["FailureSummary"].([]any)
	if len(fs) != 1 || fs[0].(map[string]any)["StatusCode"] != "401" {
		t.Fatalf("FailureSummary = %v", fs)
	}
	// Types follow the schema conventions.
	for i, c := range Schema() {
		switch c.Type {
		case schema.String:
			if _, ok := r[i].(string); !ok {
				t.Errorf("%s is %T", c.Name, r[i])
			}
		case schema.DateTime:
			if _, ok := r[i].(time.Time); !ok {
				t.Errorf("%s is %T", c.Name, r[i])
			}
		}
	}
}

func TestRecorder(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ok := func(min int) Event {
		return Event{Time: t0.Add(time.Duration(min) * time.Minute), Connection: "c", Status: StatusSuccess, TotalRecordCount: 10}
	}
	fail := func(min int, reason string, transient bool) Event {
		return Event{Time: t0.Add(time.Duration(min) * time.Minute), Connection: "c", Status: StatusFailure, Reason: reason,
			Transient: transient, Failures: []Failure{{HealthResultType: reason, StatusCode: "500"}}}
	}
	steps := []struct {
		e          Event
		wantRow    bool
		wantStatus string
	}{
		{ok(0), true, StatusSuccess},                       // first observation
		{ok(5), false, ""},                                 // stable
		{fail(10, "Auth", false), true, StatusFailure},     // flip, non-transient: immediately
		{fail(15, "Auth", false), false, ""},               // stable failure
		{fail(20, "Paging", false), true, StatusFailure},   // reason changed
		{ok(25), true, StatusSuccess},                      // flip back
		{fail(30, "Throttled", true), false, ""},           // transient: grace
		{fail(60, "Throttled", true), false, ""},           // still in grace
		{fail(91, "Throttled", true), true, StatusFailure}, // persisted > 60 min
		{fail(100, "Throttled", true), false, ""},
		{ok(110), true, StatusSuccess},
		{ok(171), true, StatusSuccess}, // hourly heartbeat
	}
	rec := NewRecorder()
	b := &fakeBatch{}
	for i, s := range steps {
		before := len(b.rows[TableName])
		wrote, err := rec.Observe(b, s.e)
		if err != nil {
			t.Fatal(err)
		}
		if wrote != s.wantRow || (len(b.rows[TableName]) > before) != s.wantRow {
			t.Fatalf("step %d: wrote=%v want %v", i, wrote, s.wantRow)
		}
		if wrote {
			last := b.rows[TableName][len(b.rows[TableName])-1]
			if got := col(t, last, "Status"); got != s.wantStatus {
				t.Fatalf("step %d: status %v want %v", i, got, s.wantStatus)
			}
		}
	}
	// First-ever transient failure writes nothing.
	r2 := NewRecorder()
	if w, _ := r2.Observe(b, fail(0, "Throttled", true)); w {
		t.Fatal("transient failure written during grace with no previous status")
	}

	b2 := &fakeBatch{}
	n, err := rec.Flush(b2, t0.Add(3*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("flush: %d %v", n, err)
	}
	sum := b2.rows[TableName][0]
	if col(t, sum, "OperationName") != OpFailureSummary || col(t, sum, "Status") != StatusInformational {
		t.Fatalf("summary row %v", sum)
	}
	fs := col(t, sum, "ExtendedProperties").(map[string]any)["FailureSummary"].([]any)
	got := []string{}
	for _, f := range fs {
		m := f.(map[string]any)
		got = append(got, fmt.Sprintf("%s=%d", m["HealthResultType"], m["Count"]))
	}
	if strings.Join(got, ",") != "Auth=2,Paging=1,Throttled=4" {
		t.Fatalf("failure summary %v", got)
	}
	if n, _ := rec.Flush(b2, t0.Add(4*time.Hour)); n != 0 {
		t.Fatalf("second flush wrote %d rows", n)
	}
}

func TestMetrics(t *testing.T) {
	m := NewMetrics()
	m.Request("conn1", 200)
	m.Request("conn1", 429)
	m.Request("conn1", 0)
	m.Page("conn1", 50, 1000)
	m.Rows("conn1", "T_CL", 50)
	m.Error("conn1", ErrThrottled)
	m.Retry("conn1")
	m.ThrottleWait("conn1", 2*time.Second)
	m.WindowLag("conn1", 90*time.Second)
	m.Commit("conn1", 3*time.Millisecond)
	m.Ingest("dcr-1", "Custom-S", 204, 2048, 10, 1)
	m.IngestRows("dcr-1", "T_CL", 10)
	body := scrape(t, m)
	for _, want := range []string{
		`codeless_poll_requests_total{code="2xx",connection="conn1"} 1`,
		`codeless_poll_requests_total{code="4xx",connection="conn1"} 1`,
		`codeless_poll_requests_total{code="error",connection="conn1"} 1`,
		`codeless_poll_events_total{connection="conn1"} 50`,
		`codeless_poll_rows_total{connection="conn1",table="T_CL"} 50`,
		`codeless_poll_errors_total{class="throttled",connection="conn1"} 1`,
		`codeless_poll_throttle_wait_seconds_total{connection="conn1"} 2`,
		`codeless_poll_window_lag_seconds{connection="conn1"} 90`,
		`codeless_commit_seconds_count{connection="conn1"} 1`,
		`codeless_ingest_bytes_total{dcr="dcr-1"} 2048`,
		`codeless_ingest_invalid_values_total{dcr="dcr-1",stream="Custom-S"} 1`,
		`codeless_ingest_rows_total{dcr="dcr-1",table="T_CL"} 10`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	m.ForgetConnection("conn1")
	if body := scrape(t, m); strings.Contains(body, `connection="conn1"`) {
		t.Fatal("ForgetConnection left series")
	}
	if NewMetrics() == nil { // a second instance must not collide on registration
		t.Fatal("nil")
	}
}

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
