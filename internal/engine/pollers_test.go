package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/health"
	"github.com/codeless/codeless/internal/httpx"
	"github.com/codeless/codeless/internal/poll"
	"github.com/codeless/codeless/internal/poll/auth"
	"github.com/codeless/codeless/internal/resource"
)

// TestPollerHealthRows drives the pollers' window observer with a sequence
// of outcomes and checks the SentinelHealth rows and metrics it produces.
func TestPollerHealthRows(t *testing.T) {
	e := newEngine(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e.cfg.Now = func() time.Time { return now }
	m := health.NewMetrics()
	e.SetMetrics(m)
	p := e.pollers
	ctx := context.Background()
	conn := &resource.Connection{}
	conn.Name = "c1"
	conn.Properties.DCRConfig.StreamName = "Custom-Demo"
	w0 := now.Add(-5 * time.Minute)
	authErr := fmt.Errorf("fetching page 1: %w", &httpx.Error{Class: httpx.Permanent, Status: 401})
	throttled := fmt.Errorf("fetching page 1: %w", &httpx.Error{Class: httpx.Throttled, Status: 429})

	steps := []struct {
		advance time.Duration
		w       poll.WindowResult
	}{
		{0, poll.WindowResult{Start: w0, End: now, Pages: 2, Events: 10, Completed: true}},           // first status: Success row
		{time.Minute, poll.WindowResult{Start: now, End: now, Pages: 1, Events: 5, Completed: true}}, // stable: no row
		{time.Minute, poll.WindowResult{Start: now, End: now, Err: authErr, Class: poll.ClassAuth}},  // flip: Failure row
		{time.Minute, poll.WindowResult{Start: now, End: now, Err: throttled, Class: poll.ClassThrottled}},
		{time.Minute, poll.WindowResult{Start: now, End: now, Err: errors.New("stop"), Class: ""}}, // shutdown: ignored
		{time.Hour, poll.WindowResult{Start: now, End: now, Pages: 1, Events: 1, Completed: true}}, // flip back + summary
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		p.observe(ctx, conn, s.w)
	}
	res, err := e.st.Query(ctx, `SELECT OperationName, Status, Reason, SentinelResourceName FROM SentinelHealth ORDER BY TimeGenerated, OperationName`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res.Rows {
		got = append(got, fmt.Sprintf("%v|%v|%v|%v", r[0], r[1], r[2], r[3]))
	}
	want := []string{
		"Data fetch status change|Success||ApiPolling-c1",
		"Data fetch status change|Failure|AuthenticationFailure|ApiPolling-c1",
		"Data fetch failure summary|Informational||ApiPolling-c1",
		"Data fetch status change|Success||ApiPolling-c1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("health rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, line := range []string{
		`codeless_poll_pages_total{connection="c1"} 4`,
		`codeless_poll_events_total{connection="c1"} 16`,
		`codeless_poll_errors_total{class="auth",connection="c1"} 1`,
		`codeless_poll_errors_total{class="throttled",connection="c1"} 1`,
	} {
		if !strings.Contains(string(body), line) {
			t.Errorf("metrics lack %q", line)
		}
	}
	p.tracer("c1")(httpx.Trace{Status: 429, Class: httpx.Throttled, Wait: 3 * time.Second})
	p.tracer("c1")(httpx.Trace{Status: 200, Finished: true})
	resp, err = srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, line := range []string{
		`codeless_poll_requests_total{code="4xx",connection="c1"} 1`,
		`codeless_poll_requests_total{code="2xx",connection="c1"} 1`,
		`codeless_poll_retries_total{connection="c1"} 1`,
		`codeless_poll_throttle_wait_seconds_total{connection="c1"} 3`,
	} {
		if !strings.Contains(string(body), line) {
			t.Errorf("metrics lack %q", line)
		}
	}
}

func TestTokenStoreSealsTokens(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	ts := &tokenStore{e: e}
	if _, ok, err := ts.Load(ctx, "c1"); ok || err != nil {
		t.Fatalf("empty store: ok=%v err=%v", ok, err)
	}
	want := auth.Token{AccessToken: "access-secret", RefreshToken: "refresh-secret", Expiry: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := ts.Save(ctx, "c1", want); err != nil {
		t.Fatal(err)
	}
	raw, err := e.st.GetCheckpoint(ctx, "auth/c1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "secret") {
		t.Fatalf("token stored in clear: %s", raw)
	}
	got, ok, err := ts.Load(ctx, "c1")
	if err != nil || !ok || got != want {
		t.Fatalf("got %+v ok=%v err=%v", got, ok, err)
	}
	if err := e.st.PutCheckpoint(ctx, "auth/c1", []byte("tampered")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ts.Load(ctx, "c1"); err == nil || !strings.Contains(err.Error(), "loading token state") {
		t.Fatalf("tampered state: %v", err)
	}
}
