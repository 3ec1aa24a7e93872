package drytest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/codeless/codeless/internal/httpx"
	"github.com/codeless/codeless/internal/poll"
	"github.com/codeless/codeless/internal/poll/paging"
	"github.com/codeless/codeless/internal/resource"
)

// Options says what to dry-run (the flags of `codeless test`).
type Options struct {
	PollerFile string   // the connection(s): one object, an array or an ARM template
	DCRFile    string   // --dcr; "" = events are not transformed
	TableFiles []string // --table

	// Params are the --param name=value pairs; names are matched
	// case-insensitively against {{name}} and parameters('name').
	Params map[string]string
	// Window is --window START/END; nil = the first window a new connection
	// would poll.
	Window *[2]time.Time
	// Connection is --connection NAME; "" = every connection in the file.
	Connection string
	// MaxPages caps the pages fetched per connection; 0 = the poller's own
	// cap only.
	MaxPages int

	Now  func() time.Time // nil = time.Now
	HTTP *http.Client     // nil = a default client
	// Sleep waits between retries; nil = a real, context-aware sleep.
	Sleep func(ctx context.Context, d time.Duration) error

	// Record, when set, is a directory where the run's HTTP exchanges are
	// written as a redacted cassette (cassette.json).
	Record string
	// Replay, when set, is a cassette directory the run is answered from:
	// no request leaves the process, and the clock is the recording's
	// (so the same window is polled).
	Replay string
}

// Run dry-runs the connections of opts.PollerFile for one window each:
// real HTTP against the source, every page followed, nothing stored. Events
// go through the DCR given with opts.DCRFile, and rows are checked against
// opts.TableFiles. The error is only for unusable input (a file that cannot
// be read or is not JSON); every configuration problem is in Report.Errors.
func Run(ctx context.Context, opts Options) (*Report, error) {
	rep := newReport()
	now := opts.Now
	if now == nil {
		now = time.Now
	}

	pollerData, err := os.ReadFile(opts.PollerFile)
	if err != nil {
		return nil, fmt.Errorf("reading poller file: %w", err)
	}
	var dcrData []byte
	if opts.DCRFile != "" {
		if dcrData, err = os.ReadFile(opts.DCRFile); err != nil {
			return nil, fmt.Errorf("reading DCR file: %w", err)
		}
	}
	tableData := make([][]byte, len(opts.TableFiles))
	for i, f := range opts.TableFiles {
		if tableData[i], err = os.ReadFile(f); err != nil {
			return nil, fmt.Errorf("reading table file: %w", err)
		}
	}

	red := newRedactor()
	params := make(map[string]any, len(opts.Params))
	for k, v := range opts.Params {
		params[k] = paramValue(v)
		if isSecretParam(k) {
			red.add(v)
		}
	}
	// Secrets are redacted from everything printed, also on early returns.
	defer red.apply(rep)

	ld, err := loadPoller(pollerData, opts.PollerFile, params, opts.Connection, rep)
	if err != nil {
		return nil, err
	}
	red.add(ld.secrets...)
	for _, c := range ld.conns {
		a := c.Properties.Auth
		red.add(a.Password, a.APIKey)
		red.addBasic(a.UserName, a.Password)
	}

	// Cassettes: wrap the transport once every secret is known.
	var recording *recordingTransport
	switch {
	case opts.Record != "" && opts.Replay != "":
		return nil, errBothCassetteModes
	case opts.Replay != "":
		c, err := LoadCassette(opts.Replay)
		if err != nil {
			return nil, err
		}
		recorded := c.Now
		now = func() time.Time { return recorded }
		opts.HTTP = &http.Client{Transport: newReplay(c, red)}
		if opts.Sleep == nil {
			opts.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
		}
	case opts.Record != "":
		base := http.DefaultTransport
		if opts.HTTP != nil && opts.HTTP.Transport != nil {
			base = opts.HTTP.Transport
		}
		recording = &recordingTransport{next: base, red: red}
		client := &http.Client{Transport: recording}
		if opts.HTTP != nil {
			client.Timeout, client.CheckRedirect, client.Jar = opts.HTTP.Timeout, opts.HTTP.CheckRedirect, opts.HTTP.Jar
		}
		opts.HTTP = client
		started := now()
		defer func() {
			if err := recording.save(opts.Record, started); err != nil {
				rep.errorf("%v", err)
			}
		}()
	}

	if dcrData != nil {
		dcrData = resolveLoose(dcrData, params)
	}
	for i := range tableData {
		tableData[i] = resolveLoose(tableData[i], params)
	}
	dcrs, tables, err := loadDCR(dcrData, opts.DCRFile, tableData, opts.TableFiles, rep)
	if err != nil {
		return nil, err
	}

	if opts.Window != nil && !opts.Window[0].Before(opts.Window[1]) {
		rep.errorf("--window: start %s is not before end %s", opts.Window[0].UTC().Format(time.RFC3339), opts.Window[1].UTC().Format(time.RFC3339))
		return rep, nil
	}

	transformers := map[string]*transformer{}
	prepared := map[string]bool{}
	cols := map[string][]string{}
	if opts.DCRFile == "" && len(ld.conns) > 0 {
		rep.warnf("no DCR given (--dcr); events were not transformed into rows")
	}
	for _, conn := range ld.conns {
		events := runConnection(ctx, conn, opts, now, rep)
		rep.Events = append(rep.Events, events...)
		if opts.DCRFile == "" {
			continue
		}
		stream := conn.Properties.DCRConfig.StreamName
		if !prepared[stream] {
			prepared[stream] = true
			transformers[stream] = prepareTransform(dcrs, opts.DCRFile, tables, stream, conn.Name, rep)
		}
		if t := transformers[stream]; t != nil {
			t.run(events, now(), rep, cols)
		}
	}
	rep.columns = cols
	rep.Warnings = dedupe(rep.Warnings)
	rep.Errors = dedupe(rep.Errors)
	return rep, nil
}

// dedupe drops repeated messages (several connections sharing a stream
// report the same finding), keeping the first occurrence's position.
func dedupe(list []string) []string {
	seen := make(map[string]bool, len(list))
	out := list[:0]
	for _, m := range list {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}

// loadDCR decodes the DCR file and the table files. Decode problems go to
// rep; the error is only for a file that cannot be used at all.
func loadDCR(dcrData []byte, dcrFile string, tableData [][]byte, tableFiles []string, rep *Report) ([]*resource.DCR, []*resource.Table, error) {
	var dcrs []*resource.DCR
	if dcrFile != "" {
		set, diags := resource.Decode(dcrData, dcrFile)
		for _, d := range diags {
			if d.Severity == resource.Error {
				rep.Errors = append(rep.Errors, d.String())
			}
		}
		if set != nil {
			dcrs = set.DCRs
		}
		if len(dcrs) == 0 {
			rep.errorf("%s: no data collection rule found in the file", dcrFile)
		}
	}
	var tables []*resource.Table
	for i, f := range tableFiles {
		set, diags := resource.Decode(tableData[i], f)
		for _, d := range diags {
			if d.Severity == resource.Error {
				rep.Errors = append(rep.Errors, d.String())
			}
		}
		if set == nil || len(set.Tables) == 0 {
			rep.errorf("%s: no table found in the file", f)
			continue
		}
		tables = append(tables, set.Tables...)
	}
	return dcrs, tables, nil
}

// runConnection polls one window of conn with a recording sink and returns
// the events; requests, warnings and errors go to rep.
func runConnection(ctx context.Context, conn *resource.Connection, opts Options, now func() time.Time, rep *Report) []any {
	if !conn.Properties.Active() {
		rep.warnf("connection %s: isActive is false; Codeless would not poll it (dry-running it anyway)", conn.Name)
	}
	rec := &recorder{conn: conn.Name, maxPages: opts.MaxPages}
	sleep := opts.Sleep
	if sleep == nil {
		sleep = httpx.SleepContext
	}
	cfg := poll.Config{
		Name:   conn.Name,
		Conn:   conn,
		Sink:   rec,
		Now:    now,
		Sleep:  sleep,
		HTTP:   opts.HTTP,
		Logger: slog.New(slog.DiscardHandler),
		Trace:  rec.trace,
		OnPage: rec.page,
	}
	if opts.MaxPages > 0 {
		cfg.MaxPages = opts.MaxPages
	}
	r, err := poll.New(cfg)
	if err != nil {
		if msg := err.Error(); strings.HasPrefix(msg, "connection "+conn.Name+":") {
			rep.Errors = append(rep.Errors, msg)
		} else {
			rep.errorf("connection %s: %v", conn.Name, err)
		}
		return nil
	}
	var start, end time.Time
	if opts.Window != nil {
		start, end = opts.Window[0].UTC(), opts.Window[1].UTC()
	} else {
		start, end = poll.FirstWindow(conn, now())
	}
	res, err := r.PollWindow(ctx, start, end)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rep.Requests = append(rep.Requests, rec.requests...)
	switch {
	case err != nil && opts.MaxPages > 0 && res.Pages >= opts.MaxPages && errors.Is(err, paging.ErrLoop):
		rep.warnf("connection %s: stopped after --max-pages %d pages; the source has more", conn.Name, opts.MaxPages)
	case err != nil:
		rep.errorf("connection %s: window %s/%s: %v", conn.Name,
			start.Format(time.RFC3339), end.Format(time.RFC3339), err)
	}
	return rec.events
}

// recorder is the dry run's poll.Sink: it keeps events in memory and
// writes no state (the checkpoint is discarded). It also turns the
// poller's request traces into report lines, attributing each committed
// page's events to the request that fetched it (the latest one).
type recorder struct {
	conn     string
	maxPages int

	mu       sync.Mutex
	events   []any
	requests []Request
	pages    int
}

// Commit records one page of events.
func (r *recorder) Commit(_ context.Context, events []any, _ []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, events...)
	r.pages++
	if n := len(r.requests); n > 0 {
		r.requests[n-1].Events += len(events)
	}
	return nil
}

// page records the paging decision on the request that fetched the page.
func (r *recorder) page(p poll.PageInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.requests)
	if n == 0 {
		return
	}
	switch {
	case p.Err != nil:
		r.requests[n-1].Next = "stop: " + p.Err.Error()
	case p.More:
		r.requests[n-1].Next = "next page"
	default:
		r.requests[n-1].Next = "last page"
	}
}

func (r *recorder) trace(t httpx.Trace) {
	r.mu.Lock()
	defer r.mu.Unlock()
	q := Request{
		Connection: r.conn,
		Method:     t.Method,
		URL:        t.URL,
		Status:     t.Status,
		Attempt:    t.Attempt,
		LatencyMs:  t.Latency.Milliseconds(),
	}
	if t.Err != "" {
		q.Error = t.Err
		if t.Class != "" {
			q.Error = string(t.Class) + ": " + t.Err
		}
	}
	r.requests = append(r.requests, q)
}
