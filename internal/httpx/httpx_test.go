package httpx

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (f *fakeClock) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sleeps = append(f.sleeps, d)
	f.now = f.now.Add(d)
	return ctx.Err()
}

type step struct {
	status     int
	retryAfter string
}

func sequence(t *testing.T, steps []step) (*httptest.Server, *int) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		i := n
		n++
		mu.Unlock()
		s := steps[len(steps)-1]
		if i < len(steps) {
			s = steps[i]
		}
		if s.retryAfter != "" {
			w.Header().Set("Retry-After", s.retryAfter)
		}
		w.WriteHeader(s.status)
		w.Write([]byte(`{"n":` + string(rune('0'+i)) + `}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestRetryPolicy(t *testing.T) {
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		steps      []step
		retries    int
		wantErr    Class
		wantStatus int
		wantCalls  int
		wantSleeps []time.Duration
	}{
		{"ok", []step{{200, ""}}, 3, "", 200, 1, nil},
		{"500 then ok", []step{{500, ""}, {502, ""}, {200, ""}}, 3, "", 200, 3, []time.Duration{time.Second, 2 * time.Second}},
		{"408 retried", []step{{408, ""}, {204, ""}}, 3, "", 204, 2, []time.Duration{time.Second}},
		{"429 retry-after seconds", []step{{429, "7"}, {200, ""}}, 3, "", 200, 2, []time.Duration{7 * time.Second}},
		{"429 retry-after date", []step{{429, base.Add(30 * time.Second).Format(http.TimeFormat)}, {200, ""}}, 3, "", 200, 2, []time.Duration{30 * time.Second}},
		{"401 permanent", []step{{401, ""}}, 3, Permanent, 401, 1, nil},
		{"404 permanent", []step{{404, ""}}, 3, Permanent, 404, 1, nil},
		{"500 exhausts", []step{{500, ""}}, 2, Transient, 500, 3, []time.Duration{time.Second, 2 * time.Second}},
		{"429 exhausts", []step{{429, "1"}}, 1, Throttled, 429, 2, []time.Duration{time.Second}},
		{"503 with retry-after is throttling", []step{{503, "2"}}, 1, Throttled, 503, 2, []time.Duration{2 * time.Second}},
		{"retry-after too long", []step{{429, "3600"}}, 3, Throttled, 429, 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, calls := sequence(t, tc.steps)
			clk := &fakeClock{now: base}
			var traces []Trace
			c := New(Options{RetryCount: tc.retries, Now: clk.Now, Sleep: clk.Sleep,
				Jitter: func() float64 { return 0.999999 }, Trace: func(tr Trace) { traces = append(traces, tr) }})
			req, _ := http.NewRequest("GET", srv.URL+"/x", nil)
			resp, err := c.Do(req)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if resp.Status != tc.wantStatus {
					t.Fatalf("status %d", resp.Status)
				}
			} else {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("err = %v, want *Error", err)
				}
				if e.Class != tc.wantErr || e.Status != tc.wantStatus {
					t.Fatalf("class %s status %d, want %s %d (%v)", e.Class, e.Status, tc.wantErr, tc.wantStatus, err)
				}
			}
			if *calls != tc.wantCalls {
				t.Errorf("calls = %d, want %d", *calls, tc.wantCalls)
			}
			// Jitter ~1 gives the full backoff, rounded down by a few ns.
			if len(clk.sleeps) != len(tc.wantSleeps) {
				t.Fatalf("sleeps = %v, want %v", clk.sleeps, tc.wantSleeps)
			}
			for i, d := range clk.sleeps {
				if d > tc.wantSleeps[i] || d < tc.wantSleeps[i]-time.Millisecond {
					t.Errorf("sleep %d = %v, want %v", i, d, tc.wantSleeps[i])
				}
			}
			if len(traces) == 0 || !traces[len(traces)-1].Finished {
				t.Errorf("last trace not finished: %+v", traces)
			}
		})
	}
}

func TestJitterRange(t *testing.T) {
	c := New(Options{Jitter: func() float64 { return 0 }})
	if d := c.backoff(3); d != 2*time.Second {
		t.Fatalf("backoff(3) with jitter 0 = %v, want 2s", d)
	}
	c = New(Options{Jitter: func() float64 { return 0.5 }, MaxBackoff: 4 * time.Second})
	if d := c.backoff(10); d != 3*time.Second {
		t.Fatalf("capped backoff = %v, want 3s", d)
	}
}

func TestDeadlineStopsRetries(t *testing.T) {
	srv, calls := sequence(t, []step{{500, ""}})
	clk := &fakeClock{now: time.Now()}
	c := New(Options{Now: clk.Now, Sleep: clk.Sleep, BaseBackoff: 10 * time.Minute, MaxBackoff: time.Hour})
	ctx, cancel := context.WithDeadline(context.Background(), clk.now.Add(time.Minute))
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	_, err := c.Do(req)
	if err == nil || !strings.Contains(err.Error(), "deadline is nearer") {
		t.Fatalf("err = %v", err)
	}
	if *calls != 1 || len(clk.sleeps) != 0 {
		t.Fatalf("calls %d sleeps %v", *calls, clk.sleeps)
	}
}

func TestNetworkErrorRetried(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // connection refused from now on
	clk := &fakeClock{now: time.Now()}
	c := New(Options{RetryCount: 2, Now: clk.Now, Sleep: clk.Sleep})
	req, _ := http.NewRequest("GET", url, nil)
	_, err := c.Do(req)
	var e *Error
	if !errors.As(err, &e) || e.Class != Transient || e.Attempts != 3 || e.Err == nil {
		t.Fatalf("err = %#v", err)
	}
}

func TestPerAttemptTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	clk := &fakeClock{now: time.Now()}
	c := New(Options{RetryCount: 1, Timeout: 20 * time.Millisecond, Now: clk.Now, Sleep: clk.Sleep})
	req, _ := http.NewRequest("GET", srv.URL, nil)
	_, err := c.Do(req)
	if ClassOf(err) != Transient || !strings.Contains(err.Error(), "after 2 attempts") {
		t.Fatalf("err = %v", err)
	}
}

func TestBodyReplayedOnRetry(t *testing.T) {
	var bodies []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 100)
		n, _ := r.Body.Read(b)
		mu.Lock()
		bodies = append(bodies, string(b[:n]))
		first := len(bodies) == 1
		mu.Unlock()
		if first {
			w.WriteHeader(500)
		}
	}))
	defer srv.Close()
	clk := &fakeClock{now: time.Now()}
	c := New(Options{Now: clk.Now, Sleep: clk.Sleep})
	req, _ := http.NewRequest("POST", srv.URL, strings.NewReader(`{"a":1}`))
	if _, err := c.Do(req); err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 2 || bodies[0] != `{"a":1}` || bodies[1] != `{"a":1}` {
		t.Fatalf("bodies %q", bodies)
	}
}

func TestRateLimit(t *testing.T) {
	srv, _ := sequence(t, []step{{200, ""}})
	clk := &fakeClock{now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := New(Options{RateLimitQPS: 2, Now: clk.Now, Sleep: clk.Sleep})
	for range 6 {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		if _, err := c.Do(req); err != nil {
			t.Fatal(err)
		}
	}
	// Burst 2, then one token every 500ms: 4 waits of 500ms.
	var total time.Duration
	for _, d := range clk.sleeps {
		total += d
	}
	if len(clk.sleeps) != 4 || total != 2*time.Second {
		t.Fatalf("sleeps %v", clk.sleeps)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct {
		in      string
		secrets []string
		want    string
	}{
		{"https://x/?key=s3cr%2Bt&a=1", []string{"s3cr+t"}, "https://x/?key=***&a=1"},
		{"Authorization: Basic abc", []string{"abc", ""}, "Authorization: Basic ***"},
		{"nothing", nil, "nothing"},
		{"a b/c", []string{"b/c"}, "a ***"},
	}
	for _, tc := range tests {
		if got := Redact(tc.in, tc.secrets); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTraceRedactsURL(t *testing.T) {
	srv, _ := sequence(t, []step{{403, ""}})
	var traces []Trace
	c := New(Options{Secrets: []string{"TOPSECRET"}, Trace: func(tr Trace) { traces = append(traces, tr) }})
	req, _ := http.NewRequest("GET", srv.URL+"/?token=TOPSECRET", nil)
	_, err := c.Do(req)
	if err == nil || strings.Contains(err.Error(), "TOPSECRET") {
		t.Fatalf("err = %v", err)
	}
	if len(traces) != 1 || strings.Contains(traces[0].URL, "TOPSECRET") || traces[0].Class != Permanent || traces[0].Status != 403 {
		t.Fatalf("traces %+v", traces)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false}, {"5", 5 * time.Second, true}, {"-1", 0, false}, {"soon", 0, false},
		{now.Add(time.Minute).Format(http.TimeFormat), time.Minute, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
	}
	for _, tc := range tests {
		d, ok := ParseRetryAfter(tc.in, now)
		if d != tc.want || ok != tc.ok {
			t.Errorf("ParseRetryAfter(%q) = %v %v", tc.in, d, ok)
		}
	}
}
