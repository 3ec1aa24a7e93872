package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/codeless/codeless/internal/ingest"
	"github.com/codeless/codeless/internal/mockapi"
	"github.com/codeless/codeless/internal/poll"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/schema"
	"github.com/codeless/codeless/internal/store/duckdb"
)

// benchDCR routes the benchmark events through one transform into Bench_CL.
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

// benchPages pre-encodes pages of ≈400-byte events served with Link
// paging (the source's encoding cost stays out of the measurement).
func benchPages(pages, perPage int) (http.Handler, int) {
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

type benchSink struct{ p *ingest.Pipeline }

func (s benchSink) Commit(ctx context.Context, events []any, cp []byte) error {
	out, err := s.p.Process(ctx, "dcr-bench", "Custom-BenchInput", events)
	if err != nil {
		return err
	}
	return s.p.Commit(ctx, out, "connection/bench", cp)
}

// benchRusage returns the process's CPU time and peak RSS.
func benchRusage() (cpu time.Duration, maxRSS int64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), int64(ru.Maxrss) * 1024
}

// resetPeakRSS resets the kernel's peak-RSS mark (Linux: "5" written to
// /proc/self/clear_refs) so that each mode reports its own peak; false
// where that is not possible (the peak is then the process's so far).
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSS is VmHWM from /proc/self/status (the peak since the last
// reset), or getrusage's process peak where /proc is missing.
func peakRSS() int64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				f := strings.Fields(v)
				if n, err := strconv.ParseInt(f[0], 10, 64); err == nil && len(f) == 2 && f[1] == "kB" {
					return n * 1024
				}
			}
		}
	}
	_, rss := benchRusage()
	return rss
}

type benchResult struct {
	mode    string
	events  int
	elapsed time.Duration
	cpu     time.Duration
	rss     int64
	rssOwn  bool // rss is this mode's peak, not the process's
}

// benchSource builds the loopback source: "static" pre-encoded pages, or
// "mockapi" (internal/mockapi, which encodes every page it serves on the
// same cores, checks Basic auth and keeps its ledger).
func benchSource(source string, now time.Time, pages, perPage int) (http.Handler, resource.Auth, error) {
	switch source {
	case "static":
		h, _ := benchPages(pages, perPage)
		return h, resource.Auth{Type: "None"}, nil
	case "mockapi":
		if pages*perPage%5 != 0 {
			return nil, resource.Auth{}, fmt.Errorf("--source mockapi: pages × per-page (%d) must be a multiple of 5 (events per minute of a 5-minute window)", pages*perPage)
		}
		h := mockapi.New(mockapi.Config{Origin: now.Add(-24 * time.Hour), EventsPerMinute: pages * perPage / 5, PageSize: perPage,
			MaxRequestLog: 1, Auth: mockapi.Auth{Type: "Basic", UserName: "bench", Password: "bench"}})
		return h, resource.Auth{Type: "Basic", UserName: "bench", Password: "bench"}, nil
	}
	return nil, resource.Auth{}, fmt.Errorf("--source %q: want static or mockapi", source)
}

func runPollBench(ctx context.Context, source, mode string, windows, pages, perPage int) (benchResult, error) {
	now := time.Date(2024, 3, 6, 8, 0, 0, 0, time.UTC)
	h, auth, err := benchSource(source, now, pages, perPage)
	if err != nil {
		return benchResult{}, err
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	db, err := duckdb.Open("")
	if err != nil {
		return benchResult{}, err
	}
	defer db.Close()
	p := ingest.New(db, ingest.Options{Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }})
	dcr, err := resource.DecodeDCR([]byte(benchDCR))
	if err != nil {
		return benchResult{}, err
	}
	if err := p.PutDCR(ctx, dcr, []*resource.Table{benchTable}); err != nil {
		return benchResult{}, err
	}
	tenant := "acme"
	conn := &resource.Connection{Meta: resource.Meta{Name: "bench"}, Properties: resource.PollerProperties{
		Auth: auth,
		Request: resource.Request{APIEndpoint: srv.URL + "/events", QueryWindowInMin: 5, QueryTimeFormat: "UnixTimestamp",
			StartTimeAttributeName: "t0", EndTimeAttributeName: "t1"},
		Paging:          &resource.Paging{PagingType: "LinkHeader"},
		Response:        resource.Response{EventsJSONPaths: []string{"$"}},
		AddOnAttributes: map[string]*string{"Tenant": &tenant},
	}}
	cfg := poll.Config{Conn: conn, Sink: benchSink{p}, Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)}
	if mode == "engine" {
		cfg.Prefetch, cfg.MinCommitEvents = true, poll.EngineCommitEvents
	}
	r, err := poll.New(cfg)
	if err != nil {
		return benchResult{}, err
	}
	res := benchResult{mode: mode}
	perMode := resetPeakRSS()
	cpu0, _ := benchRusage()
	start := time.Now()
	for w := range windows {
		ws := now.Add(time.Duration(w-windows) * 5 * time.Minute)
		out, err := r.PollWindow(ctx, ws, ws.Add(5*time.Minute))
		if err != nil {
			return res, err
		}
		res.events += out.Events
	}
	res.elapsed = time.Since(start)
	cpu1, _ := benchRusage()
	res.cpu, res.rss, res.rssOwn = cpu1-cpu0, peakRSS(), perMode
	q, err := db.Query(ctx, `SELECT count(*) FROM Bench_CL`)
	if err != nil {
		return res, err
	}
	if got := fmt.Sprint(q.Rows[0][0]); got != strconv.Itoa(res.events) {
		return res, fmt.Errorf("Bench_CL has %s rows, polled %d events", got, res.events)
	}
	return res, nil
}

func newBench() *cobra.Command {
	var windows, pages, perPage, gogc int
	var modes []string
	var source string
	c := &cobra.Command{
		Use:   "bench",
		Short: "Measure the poll path: loopback source, LinkHeader paging, DCR transform, DuckDB (in memory)",
		Long: `Poll a loopback source of ≈400-byte JSON events (LinkHeader paging) through
the poller, one DCR transform and an in-memory DuckDB, and print events/s,
CPU-seconds per million events and peak RSS for each mode: "perpage" commits
every page and fetches nothing ahead (the baseline, measured in the same run),
"engine" is what codeless serve runs (fetch ahead, batched commits, parallel
transform). VS PERPAGE is a mode's events/s over the baseline's.

--source static serves pre-encoded pages (the source costs next to nothing);
--source mockapi serves internal/mockapi, which encodes every page on the same
cores. --gogc sets the collector's GOGC for the run (the GOGC environment
variable does the same for codeless serve).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, m := range modes {
				if m != "perpage" && m != "engine" {
					return &exitError{code: 2, err: fmt.Errorf("--mode %q: want perpage or engine", m)}
				}
			}
			if source != "static" && source != "mockapi" {
				return &exitError{code: 2, err: fmt.Errorf("--source %q: want static or mockapi", source)}
			}
			if gogc != 0 {
				defer debug.SetGCPercent(debug.SetGCPercent(gogc))
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			_, size := benchPages(1, 10)
			fmt.Fprintf(tw, "MODE\tEVENTS\tSECONDS\tEVENTS/S\tVS PERPAGE\tCPU-S/MEVENTS\tPEAK RSS MB\t(source %s, event ≈ %d bytes, %d per page, GOGC %d)\n",
				source, size, perPage, currentGOGC())
			var base float64
			for _, m := range modes {
				r, err := runPollBench(cmd.Context(), source, m, windows, pages, perPage)
				if err != nil {
					return fmt.Errorf("bench %s: %w", m, err)
				}
				rate := float64(r.events) / r.elapsed.Seconds()
				if m == "perpage" {
					base = rate
				}
				vs := "-"
				if base > 0 {
					vs = fmt.Sprintf("%.2f×", rate/base)
				}
				rss := fmt.Sprintf("%.0f", float64(r.rss)/(1<<20))
				if !r.rssOwn {
					rss += " (process)"
				}
				fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.0f\t%s\t%.2f\t%s\t\n", r.mode, r.events, r.elapsed.Seconds(),
					rate, vs, r.cpu.Seconds()/float64(r.events)*1e6, rss)
			}
			return tw.Flush()
		},
	}
	fl := c.Flags()
	fl.IntVar(&windows, "windows", 10, "windows to poll per mode")
	fl.IntVar(&pages, "pages", 30, "pages per window")
	fl.IntVar(&perPage, "per-page", 1000, "events per page")
	fl.StringSliceVar(&modes, "mode", []string{"perpage", "engine"}, "modes to run: perpage (baseline), engine")
	fl.StringVar(&source, "source", "static", "loopback source: static (pre-encoded pages) or mockapi")
	fl.IntVar(&gogc, "gogc", 0, "GOGC for the run (0: the runtime's setting)")
	return c
}

// currentGOGC reads the collector's GOGC without changing it.
func currentGOGC() int {
	v := debug.SetGCPercent(100)
	debug.SetGCPercent(v)
	return v
}
