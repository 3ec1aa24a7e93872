// Package pollbench is the poll-path benchmark fixture shared by
// `codeless bench` and internal/poll's BenchmarkPollToDuckDB: a loopback
// source of ≈400-byte JSON events with LinkHeader paging (pre-encoded pages,
// or internal/mockapi encoding every page), one RestApiPoller connection,
// one DCR transform into Bench_CL, an in-memory DuckDB, and the process
// figures the benchmarks report (CPU time, peak RSS).
//
// It measures; it does not judge. SPEC §9 (throughput) and issue 4's
// performance section say what the figures are compared with; the
// "perpage" mode (commit every page, fetch nothing ahead) is the baseline
// measured in the same run, "engine" is what `codeless serve` runs.
package pollbench

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/codeless/codeless/internal/ingest"
	"github.com/codeless/codeless/internal/mockapi"
	"github.com/codeless/codeless/internal/poll"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/schema"
	"github.com/codeless/codeless/internal/store/duckdb"
)

// Modes and sources.
const (
	ModePerPage = "perpage" // baseline: commit every page, no read-ahead
	ModeEngine  = "engine"  // what the engine runs: Prefetch, EngineCommitEvents

	SourceStatic  = "static"  // pre-encoded pages: the source costs next to nothing
	SourceMockAPI = "mockapi" // internal/mockapi: encodes every page, checks Basic auth
)

// dcrJSON routes the benchmark events through one transform into Bench_CL.
const dcrJSON = `{"name":"bench-dcr","location":"x","properties":{"immutableId":"dcr-bench",
 "streamDeclarations":{"Custom-BenchInput":{"columns":[
  {"name":"id","type":"string"},{"name":"ts","type":"datetime"},{"name":"eventType","type":"string"},{"name":"deviceMac","type":"string"},
  {"name":"clientMac","type":"string"},{"name":"srcIp","type":"string"},{"name":"destIp","type":"string"},
  {"name":"protocol","type":"string"},{"name":"priority","type":"string"},{"name":"message","type":"string"},
  {"name":"fileType","type":"string"},{"name":"fileSizeBytes","type":"int"},{"name":"disposition","type":"string"},
  {"name":"Tenant","type":"string"}]}},
 "destinations":{"logAnalytics":[{"workspaceResourceId":"/subscriptions/s/resourcegroups/r/providers/microsoft.operationalinsights/workspaces/w","name":"ws"}]},
 "dataFlows":[{"streams":["Custom-BenchInput"],"destinations":["ws"],
   "transformKql":"source | extend TimeGenerated = ts | project TimeGenerated, EventId = id, EventType = eventType, DeviceMac = deviceMac, ClientMac = clientMac, SrcIp = srcIp, DestIp = destIp, Message = message, Priority = priority, Disposition = disposition, Tenant",
   "outputStream":"Custom-Bench_CL"}]}}`

var table = &resource.Table{Meta: resource.Meta{Name: "Bench_CL"}, Columns: schema.Schema{
	{Name: "TimeGenerated", Type: schema.DateTime}, {Name: "EventId", Type: schema.String}, {Name: "EventType", Type: schema.String},
	{Name: "DeviceMac", Type: schema.String}, {Name: "ClientMac", Type: schema.String}, {Name: "SrcIp", Type: schema.String},
	{Name: "DestIp", Type: schema.String}, {Name: "Message", Type: schema.String}, {Name: "Priority", Type: schema.String},
	{Name: "Disposition", Type: schema.String}, {Name: "Tenant", Type: schema.String},
}}

// StaticPages serves pre-encoded pages of ≈400-byte events with Link
// paging (?page=N), so the source's encoding cost stays out of the
// measurement; it also returns the average event size in bytes. Every
// window gets the same pages.
func StaticPages(pages, perPage int) (http.Handler, int) {
	bodies := make([][]byte, pages)
	size := 0
	for p := range pages {
		var b strings.Builder
		b.WriteByte('[')
		for i := range perPage {
			if i > 0 {
				b.WriteByte(',')
			}
			n := p*perPage + i
			fmt.Fprintf(&b, `{"id":"evt-%08d","ts":"2024-03-06T07:5%d:%02dZ","eventType":"Alert","deviceMac":"00:1a:2b:%02x:%02x:%02x","clientMac":"02:00:00:%02x:%02x:%02x",`+
				`"srcIp":"10.%d.%d.%d","destIp":"192.168.%d.%d","protocol":"TCP","priority":"%d","disposition":"Blocked",`+
				`"message":"alert %d: suspicious traffic from a host that was seen before in the same subnet, repeated attempts","fileType":"exe","fileSizeBytes":%d}`,
				n, n%10, n%60, n>>16&255, n>>8&255, n&255, n>>16&255, n>>8&255, n&255, n>>16&255, n>>8&255, n&255, n>>8&255, n&255, n%5+1, n, 1024+n%100000)
		}
		b.WriteByte(']')
		bodies[p] = []byte(b.String())
		size += b.Len()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if p < 0 || p >= pages {
			http.NotFound(w, r)
			return
		}
		if p+1 < pages {
			w.Header().Set("Link", fmt.Sprintf(`</events?page=%d>; rel="next"`, p+1))
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(bodies[p])
	}), size / (pages * perPage)
}

// source builds the loopback source and the auth the connection uses.
func source(kind string, now time.Time, pages, perPage int) (http.Handler, resource.Auth, error) {
	switch kind {
	case SourceStatic:
		h, _ := StaticPages(pages, perPage)
		return h, resource.Auth{Type: "None"}, nil
	case SourceMockAPI:
		if pages*perPage%5 != 0 {
			return nil, resource.Auth{}, fmt.Errorf("source mockapi: pages × per-page (%d) must be a multiple of 5 (events per minute of a 5-minute window)", pages*perPage)
		}
		h := mockapi.New(mockapi.Config{Origin: now.Add(-24 * time.Hour), EventsPerMinute: pages * perPage / 5, PageSize: perPage,
			MaxRequestLog: 1, Auth: mockapi.Auth{Type: "Basic", UserName: "bench", Password: "bench"}})
		return h, resource.Auth{Type: "Basic", UserName: "bench", Password: "bench"}, nil
	}
	return nil, resource.Auth{}, fmt.Errorf("source %q: want static or mockapi", kind)
}

// sink is the engine's sink: DCR transform, then rows and checkpoint in
// one DuckDB batch.
type sink struct{ p *ingest.Pipeline }

func (s sink) Commit(ctx context.Context, events []any, cp []byte) error {
	out, err := s.p.Process(ctx, "dcr-bench", "Custom-BenchInput", events)
	if err != nil {
		return err
	}
	return s.p.Commit(ctx, out, "connection/bench", cp)
}

// Setup is one benchmark run: the source, the database and the runner.
type Setup struct {
	Runner *poll.Runner
	db     *duckdb.DB
	srv    *httptest.Server
	now    time.Time
}

// New starts the loopback source (SourceStatic or SourceMockAPI, pages of
// perPage events per 5-minute window), an in-memory DuckDB with Bench_CL
// and its DCR, and a runner in mode (ModePerPage or ModeEngine) whose
// clock stands at now. Close releases everything.
func New(ctx context.Context, sourceKind, mode string, now time.Time, pages, perPage int) (*Setup, error) {
	if mode != ModePerPage && mode != ModeEngine {
		return nil, fmt.Errorf("mode %q: want perpage or engine", mode)
	}
	h, auth, err := source(sourceKind, now, pages, perPage)
	if err != nil {
		return nil, err
	}
	s := &Setup{srv: httptest.NewServer(h), now: now}
	if s.db, err = duckdb.Open(""); err != nil {
		s.Close()
		return nil, err
	}
	p := ingest.New(s.db, ingest.Options{Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }})
	dcr, err := resource.DecodeDCR([]byte(dcrJSON))
	if err == nil {
		err = p.PutDCR(ctx, dcr, []*resource.Table{table})
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	tenant := "acme"
	conn := &resource.Connection{Meta: resource.Meta{Name: "bench"}, Properties: resource.PollerProperties{
		Auth: auth,
		Request: resource.Request{APIEndpoint: s.srv.URL + "/events", QueryWindowInMin: 5, QueryTimeFormat: "UnixTimestamp",
			StartTimeAttributeName: "t0", EndTimeAttributeName: "t1"},
		Paging:          &resource.Paging{PagingType: "LinkHeader"},
		Response:        resource.Response{EventsJSONPaths: []string{"$"}},
		AddOnAttributes: map[string]*string{"Tenant": &tenant},
	}}
	cfg := poll.Config{Conn: conn, Sink: sink{p}, Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)}
	if mode == ModeEngine {
		cfg.Prefetch, cfg.MinCommitEvents = true, poll.EngineCommitEvents
	}
	if s.Runner, err = poll.New(cfg); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Window returns the start of the i-th of n consecutive 5-minute windows
// ending at the setup's clock (as when catching up: in engine mode the
// window after each one is fetched ahead).
func (s *Setup) Window(i, n int) time.Time {
	return s.now.Add(time.Duration(i-n) * 5 * time.Minute)
}

// CheckRows fails unless Bench_CL holds exactly events rows.
func (s *Setup) CheckRows(ctx context.Context, events int) error {
	q, err := s.db.Query(ctx, `SELECT count(*) FROM Bench_CL`)
	if err != nil {
		return err
	}
	if got := fmt.Sprint(q.Rows[0][0]); got != strconv.Itoa(events) {
		return fmt.Errorf("Bench_CL has %s rows, polled %d events", got, events)
	}
	return nil
}

// Close stops the source and closes the database.
func (s *Setup) Close() {
	if s.srv != nil {
		s.srv.Close()
	}
	if s.db != nil {
		s.db.Close()
	}
}

// CPUTime is the process's user+system CPU time (the loopback source
// included: it runs in-process).
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ResetPeakRSS resets the kernel's peak-RSS mark (Linux: "5" written to
// /proc/self/clear_refs) so each run reports its own peak; false where that
// is not possible (PeakRSS is then the process's peak so far).
func ResetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// PeakRSS is VmHWM from /proc/self/status in bytes (the peak since the
// last reset), or getrusage's process peak where /proc is missing.
func PeakRSS() int64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				if f := strings.Fields(v); len(f) == 2 && f[1] == "kB" {
					if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
						return n * 1024
					}
				}
			}
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return int64(ru.Maxrss) * 1024
}
