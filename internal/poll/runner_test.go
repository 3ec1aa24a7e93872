package poll

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/httpx"
	"github.com/codeless/codeless/internal/mockapi"
	"github.com/codeless/codeless/internal/resource"
)

// T0 is the fake "now" at which tests start.
var T0 = time.Date(2024, 3, 6, 8, 0, 0, 0, time.UTC)

type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	stopAt time.Time
	cancel context.CancelFunc
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	stop := !c.stopAt.IsZero() && !c.now.Before(c.stopAt)
	c.mu.Unlock()
	if stop && c.cancel != nil {
		c.cancel()
	}
	return ctx.Err()
}

// memSink records commits; it can fail a given commit (simulating a crash
// before the commit became durable) and call a hook after each commit.
type memSink struct {
	mu          sync.Mutex
	events      []any
	cp          []byte
	commits     int
	failAt      int
	failErr     error
	afterCommit func(n int)
}

func (s *memSink) Commit(_ context.Context, events []any, cp []byte) error {
	s.mu.Lock()
	n := s.commits + 1
	if n == s.failAt {
		s.mu.Unlock()
		if s.failErr != nil {
			return s.failErr
		}
		return errors.New("disk on fire")
	}
	s.events = append(s.events, events...)
	s.cp = append([]byte(nil), cp...)
	s.commits = n
	hook := s.afterCommit
	s.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	return nil
}

func (s *memSink) ids(t *testing.T) []string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.events))
	for _, e := range s.events {
		m, ok := e.(map[string]any)
		if !ok {
			t.Fatalf("event %T", e)
		}
		out = append(out, m["id"].(string))
	}
	return out
}

func demoConn(url string) *resource.Connection {
	return &resource.Connection{Meta: resource.Meta{Name: "demo"}, Properties: resource.PollerProperties{
		Auth: resource.Auth{Type: "Basic", UserName: "user", Password: "s3cret"},
		Request: resource.Request{
			APIEndpoint: url + "/events", HTTPMethod: "GET", QueryWindowInMin: 5, QueryTimeFormat: "UnixTimestamp",
			StartTimeAttributeName: "t0", EndTimeAttributeName: "t1", RetryCount: 3, TimeoutInSeconds: 10,
			Headers: map[string]string{"Accept": "application/json"},
		},
		Paging:          &resource.Paging{PagingType: "LinkHeader"},
		Response:        resource.Response{EventsJSONPaths: []string{"$"}},
		AddOnAttributes: map[string]*string{"Tenant": sp("acme")},
	}}
}

func newMock(t *testing.T, cfg mockapi.Config) (*mockapi.Server, *httptest.Server) {
	cfg.Origin = T0.Add(-48 * time.Hour)
	cfg.EventsPerMinute = 6
	cfg.Auth = mockapi.Auth{Type: "Basic", UserName: "user", Password: "s3cret"}
	m := mockapi.New(cfg)
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	return m, srv
}

func assertExactlyOnce(t *testing.T, got, want []string) {
	t.Helper()
	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s committed %d times", id, n)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("committed %d events, want %d\n got: %v\nwant: %v", len(got), len(want), head(got), head(want))
	}
}

func head(s []string) []string {
	if len(s) > 8 {
		return append(s[:4:4], s[len(s)-4:]...)
	}
	return s
}

func TestRunSeveralWindowsExactlyOnce(t *testing.T) {
	m, srv := newMock(t, mockapi.Config{PageSize: 7, Faults: []mockapi.Fault{{Every: 5, Status: 500}, {Every: 7, Status: 429, RetryAfter: "3"}}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk := &fakeClock{now: T0, stopAt: T0.Add(12 * time.Minute), cancel: cancel}
	sink := &memSink{}
	var windows []WindowResult
	var traces []httpx.Trace
	r, err := New(Config{Conn: demoConn(srv.URL), Sink: sink, Now: clk.Now, Sleep: clk.Sleep,
		Backfill: T0.Add(-30 * time.Minute), OnWindow: func(w WindowResult) { windows = append(windows, w) },
		Trace: func(tr httpx.Trace) { traces = append(traces, tr) }})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	// 6 backfill windows, then the windows due at T0+5m and T0+10m.
	if len(windows) != 8 {
		t.Fatalf("windows %d: %+v", len(windows), windows)
	}
	for i, w := range windows {
		wantStart := T0.Add(-30*time.Minute + time.Duration(i)*5*time.Minute)
		if !w.Start.Equal(wantStart) || w.End.Sub(w.Start) != 5*time.Minute || w.Err != nil || !w.Completed || w.Pages != 5 || w.Events != 30 {
			t.Errorf("window %d: %+v", i, w)
		}
	}
	assertExactlyOnce(t, sink.ids(t), m.Expected(T0.Add(-30*time.Minute), T0.Add(10*time.Minute)))
	for _, e := range sink.events {
		if e.(map[string]any)["Tenant"] != "acme" {
			t.Fatalf("addOnAttributes missing: %v", e)
		}
	}
	cp, _ := ParseCheckpoint(sink.cp)
	if cp.Current != nil || cp.Done == nil || !cp.Done.Equal(T0.Add(10*time.Minute)) {
		t.Fatalf("final checkpoint %s", sink.cp)
	}

	// Requests: Basic auth, t0/t1 Unix seconds of contiguous windows, links.
	var faults500, faults429, linked int
	var prevT1 int64
	for _, rq := range m.Requests() {
		req := &http.Request{Header: rq.Header}
		if u, p, ok := req.BasicAuth(); !ok || u != "user" || p != "s3cret" {
			t.Fatalf("request without Basic auth: %+v", rq)
		}
		if rq.Header.Get("Accept") != "application/json" {
			t.Fatalf("header missing: %v", rq.Header)
		}
		switch rq.Status {
		case 500:
			faults500++
		case 429:
			faults429++
		}
		pu, _ := url.Parse(rq.URL)
		u := pu.Query()
		t0, err0 := strconv.ParseInt(u.Get("t0"), 10, 64)
		t1, err1 := strconv.ParseInt(u.Get("t1"), 10, 64)
		if err0 != nil || err1 != nil || t1-t0 != 300 {
			t.Fatalf("window params %s", rq.URL)
		}
		if u.Get("page") != "" {
			linked++
		} else if rq.Status == 200 {
			if prevT1 != 0 && t0 != prevT1 {
				t.Fatalf("windows not contiguous: t0=%d after t1=%d", t0, prevT1)
			}
			prevT1 = t1
		}
	}
	if faults500 == 0 || faults429 == 0 || linked == 0 {
		t.Fatalf("faults500=%d faults429=%d linked=%d", faults500, faults429, linked)
	}
	// Retry-After: 3 was honoured through the injected sleep.
	found := false
	for _, d := range clk.sleeps {
		found = found || d == 3*time.Second
	}
	if !found {
		t.Fatalf("no 3s Retry-After wait in %v", clk.sleeps)
	}
	for _, tr := range traces {
		if strings.Contains(tr.URL, "s3cret") {
			t.Fatal("secret in trace")
		}
	}
	for id, n := range m.Ledger() {
		if n != 1 {
			t.Fatalf("mock served %s %d times", id, n)
		}
	}
}

func TestRestartMidWindowLosesAndDuplicatesNothing(t *testing.T) {
	for _, k := range []int{1, 3, 7} {
		t.Run(fmt.Sprintf("crash after page %d", k), func(t *testing.T) {
			m, srv := newMock(t, mockapi.Config{PageSize: 4}) // 30 events per window: 8 pages
			ctx, cancel := context.WithCancel(context.Background())
			clk := &fakeClock{now: T0}
			sink := &memSink{afterCommit: func(n int) {
				if n == k {
					cancel() // the process dies right after commit k
				}
			}}
			var first []WindowResult
			r, err := New(Config{Conn: demoConn(srv.URL), Sink: sink, Now: clk.Now, Sleep: clk.Sleep, Backfill: T0.Add(-10 * time.Minute),
				OnWindow: func(w WindowResult) { first = append(first, w) }})
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Run(ctx); err != nil {
				t.Fatal(err)
			}
			cancel()
			if len(first) != 1 || first[0].Class != "" || !errors.Is(first[0].Err, context.Canceled) || first[0].Pages != k {
				t.Fatalf("interrupted window reported as %+v", first)
			}
			if sink.commits != k {
				t.Fatalf("commits %d", sink.commits)
			}
			cp, _ := ParseCheckpoint(sink.cp)
			if cp.Current == nil || cp.Current.Pages != k || cp.Current.Events != 4*k || len(cp.Current.Cursor) == 0 {
				t.Fatalf("checkpoint after crash: %s", sink.cp)
			}

			// Restart from the last committed checkpoint.
			ctx2, cancel2 := context.WithCancel(context.Background())
			defer cancel2()
			clk.mu.Lock()
			clk.stopAt, clk.cancel = clk.now.Add(time.Second), cancel2
			clk.mu.Unlock()
			var windows []WindowResult
			r2, err := New(Config{Conn: demoConn(srv.URL), Sink: sink, Checkpoint: sink.cp, Now: clk.Now, Sleep: clk.Sleep,
				OnWindow: func(w WindowResult) { windows = append(windows, w) }})
			if err != nil {
				t.Fatal(err)
			}
			if err := r2.Run(ctx2); err != nil {
				t.Fatal(err)
			}
			if len(windows) != 2 || !windows[0].Resumed || windows[0].Pages != 8-k || windows[1].Resumed || windows[1].Pages != 8 {
				t.Fatalf("windows after restart %+v", windows)
			}
			assertExactlyOnce(t, sink.ids(t), m.Expected(T0.Add(-10*time.Minute), T0))
			for id, n := range m.Ledger() {
				if n != 1 {
					t.Fatalf("page re-fetched: %s served %d times", id, n)
				}
			}
		})
	}
}

func TestCrashDuringCommitRefetchesOnlyThatPage(t *testing.T) {
	m, srv := newMock(t, mockapi.Config{PageSize: 4})
	clk := &fakeClock{now: T0}
	sink := &memSink{failAt: 3}
	start, end := T0.Add(-5*time.Minute), T0
	r, _ := New(Config{Conn: demoConn(srv.URL), Sink: sink, Now: clk.Now, Sleep: clk.Sleep})
	res, err := r.PollWindow(context.Background(), start, end)
	if err == nil || res.Class != ClassDestination || res.Completed || res.Pages != 2 || !strings.Contains(err.Error(), "committing page 3: disk on fire") {
		t.Fatalf("res %+v err %v", res, err)
	}
	sink.failAt = 0
	r2, _ := New(Config{Conn: demoConn(srv.URL), Sink: sink, Checkpoint: sink.cp, Now: clk.Now, Sleep: clk.Sleep})
	res, err = r2.PollWindow(context.Background(), start, end)
	if err != nil || !res.Resumed || !res.Completed || res.Pages != 6 {
		t.Fatalf("res %+v err %v", res, err)
	}
	assertExactlyOnce(t, sink.ids(t), m.Expected(start, end))
	served := m.Ledger()
	for i, id := range m.Expected(start, end) {
		want := 1
		if i >= 8 && i < 12 { // page 3 was fetched twice, stored once
			want = 2
		}
		if served[id] != want {
			t.Fatalf("%s served %d times, want %d", id, served[id], want)
		}
	}
}

type classedErr struct{}

func (classedErr) Error() string      { return "column Priority: not an int" }
func (classedErr) ErrorClass() string { return ClassTransform }

func TestWindowErrorClasses(t *testing.T) {
	start, end := T0.Add(-5*time.Minute), T0
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		sink      *memSink
		mod       func(*resource.Connection)
		class     string
		completed bool
		errSub    string
	}{
		{"auth", nil, &memSink{}, func(c *resource.Connection) { c.Properties.Auth.Password = "wrong" }, ClassAuth, false, "HTTP 401"},
		{"throttled", func(w http.ResponseWriter, r *http.Request) { w.Header().Set("Retry-After", "1"); w.WriteHeader(429) }, &memSink{}, nil, ClassThrottled, false, "after 4 attempts"},
		{"source 5xx", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }, &memSink{}, nil, ClassSource, false, "HTTP 503"},
		{"source not JSON", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) }, &memSink{}, nil, ClassSource, false, "decoding page 1"},
		{"paging loop", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", `</events?same=1>; rel="next"`)
			w.Write([]byte(`[{"id":"x"}]`))
		}, &memSink{}, nil, ClassPaging, true, "already requested"},
		{"destination", nil, &memSink{failAt: 1}, nil, ClassDestination, false, "disk on fire"},
		{"transform", nil, &memSink{failAt: 1, failErr: fmt.Errorf("ingesting: %w", classedErr{})}, nil, ClassTransform, false, "not an int"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := ""
			if tc.handler != nil {
				srv := httptest.NewServer(tc.handler)
				defer srv.Close()
				base = srv.URL
			} else {
				_, srv := newMock(t, mockapi.Config{})
				base = srv.URL
			}
			c := demoConn(base)
			if tc.mod != nil {
				tc.mod(c)
			}
			clk := &fakeClock{now: T0}
			var reported []WindowResult
			r, err := New(Config{Conn: c, Sink: tc.sink, Now: clk.Now, Sleep: clk.Sleep, OnWindow: func(w WindowResult) { reported = append(reported, w) }})
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.PollWindow(context.Background(), start, end)
			if err == nil || res.Class != tc.class || res.Completed != tc.completed || !strings.Contains(err.Error(), tc.errSub) {
				t.Fatalf("res %+v err %v", res, err)
			}
			if len(reported) != 1 || reported[0].Err == nil || reported[0].Class != tc.class {
				t.Fatalf("OnWindow %+v", reported)
			}
			cp := r.Checkpoint()
			if tc.completed != (cp.Done != nil && cp.Done.Equal(end)) {
				t.Fatalf("checkpoint %+v", cp)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatal("secret in error")
			}
		})
	}
}

func TestFailedWindowIsRetriedNotSkipped(t *testing.T) {
	var mu sync.Mutex
	failing := true
	m := mockapi.New(mockapi.Config{Origin: T0.Add(-time.Hour), Auth: mockapi.Auth{Type: "Basic", UserName: "user", Password: "s3cret"}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		f := failing
		mu.Unlock()
		if f {
			w.WriteHeader(403)
			return
		}
		m.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk := &fakeClock{now: T0, stopAt: T0.Add(4 * time.Minute), cancel: cancel}
	sink := &memSink{}
	var results []WindowResult
	r, _ := New(Config{Conn: demoConn(srv.URL), Sink: sink, Now: clk.Now, Sleep: clk.Sleep, OnWindow: func(w WindowResult) {
		results = append(results, w)
		if len(results) == 2 {
			mu.Lock()
			failing = false // the credentials got fixed
			mu.Unlock()
		}
	}})
	r.Run(ctx)
	// Two failures one minute apart, then the same window succeeds.
	if len(results) != 3 || results[0].Class != ClassAuth || results[1].Class != ClassAuth || results[2].Err != nil {
		t.Fatalf("results %+v", results)
	}
	for _, w := range results {
		if !w.Start.Equal(T0.Add(-5*time.Minute)) || !w.End.Equal(T0) {
			t.Fatalf("window moved: %+v", w)
		}
	}
	assertExactlyOnce(t, sink.ids(t), m.Expected(T0.Add(-5*time.Minute), T0))
}

func TestSchedule(t *testing.T) {
	c := demoConn("http://unused")
	c.Properties.Request.QueryWindowDelayInMin = 2
	done := T0.Add(-72 * time.Hour)
	cp := Checkpoint{Done: &done}.Marshal()
	r, err := New(Config{Conn: c, Sink: nopSink{}, Checkpoint: cp, Now: func() time.Time { return T0 }})
	if err != nil {
		t.Fatal(err)
	}
	// Catch-up is bounded by MaxLookback (24h before now − delay).
	start, end, due, _ := r.next(T0)
	if !due || !start.Equal(T0.Add(-2*time.Minute-24*time.Hour)) || end.Sub(start) != 5*time.Minute {
		t.Fatalf("catch-up window %v-%v due=%v", start, end, due)
	}
	// Up to date: the next window is due when its end passes now − delay.
	done = T0.Add(-2 * time.Minute)
	r.cp = Checkpoint{Done: &done}
	start, end, due, at := r.next(T0)
	if due || !start.Equal(done) || !at.Equal(end.Add(2*time.Minute)) || !at.Equal(T0.Add(5*time.Minute)) {
		t.Fatalf("next window %v-%v due=%v at %v", start, end, due, at)
	}
	// New connection: first window ends at now − delay.
	r.cp = Checkpoint{}
	start, end, due, _ = r.next(T0)
	if !due || !end.Equal(T0.Add(-2*time.Minute)) || !start.Equal(end.Add(-5*time.Minute)) {
		t.Fatalf("first window %v-%v due=%v", start, end, due)
	}
}

func TestAPIKeyAuthAndCheckpointReadableDuringWindow(t *testing.T) {
	var r *Runner
	var seen []Checkpoint
	var mu sync.Mutex
	m := mockapi.New(mockapi.Config{Origin: T0.Add(-time.Hour), PageSize: 10,
		Auth:      mockapi.Auth{Type: "APIKey", HeaderName: "X-Api-Key", HeaderValue: "K3Y"},
		PageDelay: time.Second,
		Sleep: func(ctx context.Context, d time.Duration) error {
			// Health readers must not block on a window in flight.
			mu.Lock()
			seen = append(seen, r.Checkpoint())
			mu.Unlock()
			return nil
		}})
	srv := httptest.NewServer(m)
	defer srv.Close()
	c := demoConn(srv.URL)
	c.Properties.Auth = resource.Auth{Type: "APIKey", APIKey: "K3Y", APIKeyName: sp("X-Api-Key")}
	sink := &memSink{}
	clk := &fakeClock{now: T0}
	var err error
	r, err = New(Config{Conn: c, Sink: sink, Now: clk.Now, Sleep: clk.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	start, end := T0.Add(-5*time.Minute), T0
	res, err := r.PollWindow(context.Background(), start, end)
	if err != nil || res.Pages != 3 || res.Events != 30 {
		t.Fatalf("res %+v err %v", res, err)
	}
	assertExactlyOnce(t, sink.ids(t), m.Expected(start, end))
	if len(seen) != 3 || seen[0].Current != nil || seen[1].Current == nil || seen[1].Current.Pages != 1 || seen[2].Current.Pages != 2 {
		t.Fatalf("checkpoints seen during the window: %+v", seen)
	}
	for _, rq := range m.Requests() {
		if rq.Header.Get("X-Api-Key") != "K3Y" || rq.Header.Get("Authorization") != "" {
			t.Fatalf("request headers %v", rq.Header)
		}
	}
}

// With Prefetch and MinCommitEvents pages are fetched ahead and committed
// in batches; after a crash the sink still sees every event once, and at
// most the two pages fetched ahead are served again.
func TestPrefetchBatchedCommitsCrashExactlyOnce(t *testing.T) {
	for _, k := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("crash after commit %d", k), func(t *testing.T) {
			m, srv := newMock(t, mockapi.Config{PageSize: 4}) // 30 events per window: 8 pages
			ctx, cancel := context.WithCancel(context.Background())
			clk := &fakeClock{now: T0}
			sink := &memSink{afterCommit: func(n int) {
				if n == k {
					cancel()
				}
			}}
			start, end := T0.Add(-5*time.Minute), T0
			cfg := Config{Conn: demoConn(srv.URL), Sink: sink, Now: clk.Now, Sleep: clk.Sleep, Prefetch: true, MinCommitEvents: 8}
			r, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			res, _ := r.PollWindow(ctx, start, end)
			if res.Pages != 2*k || res.Events != 8*k || res.Completed {
				t.Fatalf("interrupted window %+v", res)
			}
			cfg.Checkpoint = sink.cp
			r2, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			res, err = r2.PollWindow(context.Background(), start, end)
			if err != nil || !res.Resumed || !res.Completed || res.Pages != 8-2*k {
				t.Fatalf("resumed window %+v %v", res, err)
			}
			assertExactlyOnce(t, sink.ids(t), m.Expected(start, end))
			again := 0
			for _, n := range m.Ledger() {
				again += n - 1
			}
			if again > 8 {
				t.Fatalf("%d events served again, at most two pages (8) expected", again)
			}
			if sink.commits != 4 {
				t.Fatalf("%d commits, want 4 batches of 2 pages", sink.commits)
			}
		})
	}
}
