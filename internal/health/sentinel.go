package health

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/codeless/codeless/internal/schema"
	"github.com/codeless/codeless/internal/store"
)

// TableName is the health table's name.
const TableName = "SentinelHealth"

// Operation names and statuses (reference/ccf-format.md §8.3).
const (
	OpStatusChange   = "Data fetch status change"
	OpFailureSummary = "Data fetch failure summary"

	StatusSuccess       = "Success"
	StatusFailure       = "Failure"
	StatusInformational = "Informational"

	ResourceType = "Data connector"
	ResourceKind = "RestApiPoller"
	NamePrefix   = "ApiPolling-"
)

var sentinelSchema = schema.Schema{
	{Name: "TimeGenerated", Type: schema.DateTime},
	{Name: "TenantId", Type: schema.String},
	{Name: "OperationName", Type: schema.String},
	{Name: "Status", Type: schema.String},
	{Name: "Reason", Type: schema.String},
	{Name: "Description", Type: schema.String},
	{Name: "SentinelResourceType", Type: schema.String},
	{Name: "SentinelResourceKind", Type: schema.String},
	{Name: "SentinelResourceName", Type: schema.String},
	{Name: "SentinelResourceId", Type: schema.String},
	{Name: "WorkspaceId", Type: schema.String},
	{Name: "RecordId", Type: schema.String},
	{Name: "ExtendedProperties", Type: schema.Dynamic},
}

// Schema returns the SentinelHealth table schema (a copy).
func Schema() schema.Schema { return append(schema.Schema(nil), sentinelSchema...) }

// EnsureTable creates the SentinelHealth table when missing.
func EnsureTable(ctx context.Context, t store.Tables) error {
	if _, err := t.EnsureTable(ctx, TableName, Schema()); err != nil {
		return fmt.Errorf("creating %s table: %w", TableName, err)
	}
	return nil
}

// Failure is one distinct failure of a window or hour.
type Failure struct {
	HealthResultType string // error class, e.g. "AuthenticationFailure", "throttled"
	StatusCode       string // HTTP status or "" when none
	StatusMessage    string
	Count            int64
}

// Event describes the outcome of one polling window of a connection.
type Event struct {
	Time             time.Time
	Connection       string // connection resource name
	ResourceID       string // ARM id of the connection
	WorkspaceID      string
	TenantID         string
	DestinationTable string
	Status           string // StatusSuccess or StatusFailure
	Reason           string // failure code (e.g. "AuthenticationFailure"); "" on success
	Description      string
	Transient        bool // throttling, 5xx, network: flips to Failure only after 60 minutes
	StartTime        time.Time
	EndTime          time.Time
	TotalRecordCount int64
	Failures         []Failure
}

// newRecordID is replaceable in tests.
var newRecordID = func() string { return uuid.NewString() }

func rfc(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func failureList(fs []Failure) []any {
	out := make([]any, 0, len(fs))
	for _, f := range fs {
		out = append(out, map[string]any{
			"HealthResultType": f.HealthResultType,
			"StatusCode":       f.StatusCode,
			"StatusMessage":    f.StatusMessage,
			"Count":            f.Count,
		})
	}
	return out
}

func row(e Event, op, status string, ext map[string]any) []any {
	return []any{
		e.Time.UTC(), e.TenantID, op, status, e.Reason, e.Description,
		ResourceType, ResourceKind, NamePrefix + e.Connection, e.ResourceID, e.WorkspaceID,
		newRecordID(), ext,
	}
}

// StatusChange builds a "Data fetch status change" row aligned with Schema.
func StatusChange(e Event) []any {
	ext := map[string]any{
		"ConnectorDataType": ResourceKind,
		"DestinationTable":  e.DestinationTable,
		"StartTime":         rfc(e.StartTime),
		"EndTime":           rfc(e.EndTime),
		"TotalRecordCount":  e.TotalRecordCount,
		"FailureSummary":    failureList(e.Failures),
	}
	return row(e, OpStatusChange, e.Status, ext)
}

// FailureSummary builds a "Data fetch failure summary" row (Status
// Informational) for the failures of a period [e.StartTime, e.EndTime).
func FailureSummary(e Event) []any {
	ext := map[string]any{
		"ConnectorDataType": ResourceKind,
		"DestinationTable":  e.DestinationTable,
		"StartTime":         rfc(e.StartTime),
		"EndTime":           rfc(e.EndTime),
		"TotalRecordCount":  e.TotalRecordCount,
		"FailureSummary":    failureList(e.Failures),
	}
	r := row(e, OpFailureSummary, StatusInformational, ext)
	return r
}

// Recorder turns a stream of window outcomes into SentinelHealth rows: a
// status-change row when the status flips (success↔failure) or the failure
// reason changes, a repeat of the current status once per hour, and failure
// summaries on Flush. Transient failures only count as Failure after
// persisting for TransientGrace. It is safe for concurrent use.
type Recorder struct {
	mu             sync.Mutex
	conns          map[string]*connState
	heartbeat      time.Duration
	transientGrace time.Duration
}

type connState struct {
	status         string // last written status ("" = none yet)
	reason         string
	written        time.Time
	transientSince time.Time
	last           Event
	periodStart    time.Time
	failures       map[string]*Failure
	records        int64
}

// NewRecorder returns a Recorder with Azure's cadence (hourly heartbeat,
// 60-minute grace for transient failures).
func NewRecorder() *Recorder {
	return &Recorder{conns: map[string]*connState{}, heartbeat: time.Hour, transientGrace: time.Hour}
}

// Observe records the outcome of one window and, when a status-change row is
// due, appends it to b (the batch that also commits the window). It reports
// whether a row was written.
func (r *Recorder) Observe(b store.Batch, e Event) (bool, error) {
	r.mu.Lock()
	st := r.conns[e.Connection]
	if st == nil {
		st = &connState{failures: map[string]*Failure{}, periodStart: e.Time}
		r.conns[e.Connection] = st
	}
	st.last = e
	st.records += e.TotalRecordCount
	for _, f := range e.Failures {
		k := f.HealthResultType + "\x00" + f.StatusCode + "\x00" + f.StatusMessage
		if cur := st.failures[k]; cur != nil {
			cur.Count += max(f.Count, 1)
		} else {
			c := f
			c.Count = max(f.Count, 1)
			st.failures[k] = &c
		}
	}
	effective := e.Status
	hold := false // a transient failure inside its grace period
	if e.Status == StatusFailure && e.Transient {
		if st.transientSince.IsZero() {
			st.transientSince = e.Time
		}
		if e.Time.Sub(st.transientSince) < r.transientGrace {
			// Keep the previous status during the grace period; with none
			// yet, write nothing.
			if st.status == "" {
				r.mu.Unlock()
				return false, nil
			}
			effective, hold = st.status, true
		}
	} else {
		st.transientSince = time.Time{}
	}
	due := effective != st.status ||
		(effective == StatusFailure && e.Reason != st.reason && !hold) ||
		e.Time.Sub(st.written) >= r.heartbeat
	if !due {
		r.mu.Unlock()
		return false, nil
	}
	ev := e
	ev.Status = effective
	if hold && effective == StatusFailure {
		// Repeat the standing failure; the transient one is not yet news.
		ev.Reason = st.reason
	}
	if effective == StatusSuccess {
		ev.Reason, ev.Description, ev.Failures = "", "", nil
	}
	st.status, st.reason, st.written = effective, ev.Reason, e.Time
	r.mu.Unlock()
	if err := b.Append(TableName, [][]any{StatusChange(ev)}); err != nil {
		return false, fmt.Errorf("appending health row: %w", err)
	}
	return true, nil
}

// Flush appends one failure-summary row per connection that had failures
// since the previous Flush and resets the counters. now ends the period.
func (r *Recorder) Flush(b store.Batch, now time.Time) (int, error) {
	r.mu.Lock()
	var rows [][]any
	names := make([]string, 0, len(r.conns))
	for n := range r.conns {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		st := r.conns[n]
		if len(st.failures) > 0 {
			fs := make([]Failure, 0, len(st.failures))
			for _, f := range st.failures {
				fs = append(fs, *f)
			}
			sort.Slice(fs, func(i, j int) bool {
				a, b := fs[i], fs[j]
				if a.HealthResultType != b.HealthResultType {
					return a.HealthResultType < b.HealthResultType
				}
				if a.StatusCode != b.StatusCode {
					return a.StatusCode < b.StatusCode
				}
				return a.StatusMessage < b.StatusMessage
			})
			e := st.last
			e.Time, e.StartTime, e.EndTime = now, st.periodStart, now
			e.TotalRecordCount = st.records
			e.Failures = fs
			e.Description = strconv.Itoa(len(fs)) + " distinct failure(s) in the period"
			rows = append(rows, FailureSummary(e))
		}
		st.failures = map[string]*Failure{}
		st.records = 0
		st.periodStart = now
	}
	r.mu.Unlock()
	if len(rows) == 0 {
		return 0, nil
	}
	if err := b.Append(TableName, rows); err != nil {
		return 0, fmt.Errorf("appending failure summaries: %w", err)
	}
	return len(rows), nil
}

// Forget drops a deleted connection's state.
func (r *Recorder) Forget(conn string) {
	r.mu.Lock()
	delete(r.conns, conn)
	r.mu.Unlock()
}
