package poll

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
	"testing"
	"time"

	"github.com/codeless/codeless/internal/ingest"
	"github.com/codeless/codeless/internal/mockapi"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/schema"
	"github.com/codeless/codeless/internal/store/duckdb"
)

// benchDCR routes the mock's events through one transform into Bench_CL.
const benchDCR = `{"name":"bench-dcr","location":"x","properties":{"immutableId":"dcr-bench",
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

var benchTable = &resource.Table{Meta: resource.Meta{Name: "Bench_CL"}, Columns: schema.Schema{
	{Name: "TimeGenerated", Type: schema.DateTime}, {Name: "EventId", Type: schema.String}, {Name: "EventType", Type: schema.String},
	{Name: "DeviceMac", Type: schema.String}, {Name: "ClientMac", Type: schema.String}, {Name: "SrcIp", Type: schema.String},
	{Name: "DestIp", Type: schema.String}, {Name: "Message", Type: schema.String}, {Name: "Priority", Type: schema.String},
	{Name: "Disposition", Type: schema.String}, {Name: "Tenant", Type: schema.String},
}}

// pipeSink is the engine's sink: DCR transform, then rows and checkpoint
// in one DuckDB batch.
type pipeSink struct {
	p *ingest.Pipeline
}

func (s pipeSink) Commit(ctx context.Context, events []any, cp []byte) error {
	out, err := s.p.Process(ctx, "dcr-bench", "Custom-BenchInput", events)
	if err != nil {
		return err
	}
	return s.p.Commit(ctx, out, "connection/bench", cp)
}

// staticPages serves pre-encoded pages of ≈400-byte events with Link
// paging, so that the benchmark measures the poller and not the mock's
// JSON encoding (which runs on the same cores).
func staticPages(pages, perPage int) http.Handler {
	bodies := make([][]byte, pages)
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
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if p+1 < pages {
			w.Header().Set("Link", fmt.Sprintf(`</events?page=%d>; rel="next"`, p+1))
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(bodies[p])
	})
}

// BenchmarkPollToDuckDB measures the whole poll path: loopback HTTP,
// LinkHeader paging (1,000 events per page), decoding, addOnAttributes, the
// DCR transform and the DuckDB commit of rows plus checkpoint.
// Sources: "mockapi" serves internal/mockapi's events, encoding every page
// on the same cores (the honest mock); "static" serves pre-encoded
// ≈400-byte events (the same pages for every window), so the source's cost
// stays out of the figure. Modes: "perpage" commits every page and
// fetches nothing ahead (the baseline); "engine" is what the engine runs
// (Prefetch, EngineCommitEvents). peak-RSS-MB is the sub-benchmark's own
// peak (Linux), DuckDB's in-memory table included; x-perpage is the
// mode's events/s over the perpage baseline of the same source and run.
//
//	go test -run '^$' -bench BenchmarkPollToDuckDB -benchtime 5x ./internal/poll/
func BenchmarkPollToDuckDB(b *testing.B) {
	type mode struct {
		name         string
		prefetch     bool
		commitEvents int
	}
	baseline := map[string]float64{} // perpage events/s per source, for the x-perpage ratio
	for _, src := range []string{"mockapi", "static"} {
		for _, md := range []mode{{"perpage", false, 0}, {"engine", true, EngineCommitEvents}} {
			b.Run(src+"/"+md.name, func(b *testing.B) {
				var h http.Handler
				switch src {
				case "mockapi":
					h = mockapi.New(mockapi.Config{Origin: T0.Add(-24 * time.Hour), EventsPerMinute: 6000, PageSize: 1000, MaxRequestLog: 1,
						Auth: mockapi.Auth{Type: "Basic", UserName: "user", Password: "s3cret"}})
				default:
					h = staticPages(30, 1000)
				}
				srv := httptest.NewServer(h)
				defer srv.Close()
				db, err := duckdb.Open("")
				if err != nil {
					b.Fatal(err)
				}
				defer db.Close()
				p := ingest.New(db, ingest.Options{Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return T0 }})
				dcr, err := resource.DecodeDCR([]byte(benchDCR))
				if err != nil {
					b.Fatal(err)
				}
				if err := p.PutDCR(context.Background(), dcr, []*resource.Table{benchTable}); err != nil {
					b.Fatal(err)
				}
				r, err := New(Config{Conn: demoConn(srv.URL), Sink: pipeSink{p}, Now: func() time.Time { return T0 }, MinCommitEvents: md.commitEvents, Prefetch: md.prefetch})
				if err != nil {
					b.Fatal(err)
				}
				events := 0
				perMode := resetPeakRSS()
				cpu0 := cpuTime()
				b.ResetTimer()
				// Consecutive windows, as when catching up (the window after
				// each one is fetched ahead in engine mode); the static
				// source serves the same pages for every window.
				ws := T0.Add(-24 * time.Hour)
				for b.Loop() {
					res, err := r.PollWindow(context.Background(), ws, ws.Add(5*time.Minute))
					ws = ws.Add(5 * time.Minute)
					if err != nil {
						b.Fatal(err)
					}
					events += res.Events
				}
				rate := float64(events) / b.Elapsed().Seconds()
				b.ReportMetric(rate, "events/s")
				if md.name == "perpage" {
					baseline[src] = rate
				} else if base := baseline[src]; base > 0 {
					b.ReportMetric(rate/base, "x-perpage")
				}
				b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(events)*1e6, "cpu-s/Mevents")
				if perMode {
					b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MB")
				}
				res, err := db.Query(context.Background(), `SELECT count(*) FROM Bench_CL`)
				if err != nil {
					b.Fatal(err)
				}
				if fmt.Sprint(res.Rows[0][0]) != strconv.Itoa(events) {
					b.Fatalf("table has %v rows, polled %d events", res.Rows[0][0], events)
				}
			})
		}
	}
}

// resetPeakRSS resets the kernel's peak-RSS mark (Linux); false where
// that is not possible.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSS is VmHWM (peak RSS since the last reset) in bytes, 0 if unknown.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			if f := strings.Fields(v); len(f) == 2 && f[1] == "kB" {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n * 1024
			}
		}
	}
	return 0
}

// cpuTime is the process's user+system CPU time (server included: it is
// in-process).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
