package poll

import (
	"context"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/mockapi"
)

// Catching up window by window with Prefetch: the next window is fetched
// while the previous one finishes, used by the next call, and every event
// is served once by the source and committed once.
func TestAheadWindowUsed(t *testing.T) {
	m, srv := newMock(t, mockapi.Config{PageSize: 4}) // 30 events per window: 8 pages
	clk := &fakeClock{now: T0}
	sink := &memSink{}
	r, err := New(Config{Conn: demoConn(srv.URL), Sink: sink, Now: clk.Now, Sleep: clk.Sleep, Prefetch: true, MinCommitEvents: 8})
	if err != nil {
		t.Fatal(err)
	}
	first := T0.Add(-30 * time.Minute)
	for w := range 3 {
		start := first.Add(time.Duration(w) * 5 * time.Minute)
		res, err := r.PollWindow(context.Background(), start, start.Add(5*time.Minute))
		if err != nil || !res.Completed || res.Events != 30 || res.Resumed {
			t.Fatalf("window %d: %+v %v", w, res, err)
		}
		if r.ahead == nil || !r.ahead.start.Equal(start.Add(5*time.Minute)) {
			t.Fatalf("window %d: next window not fetched ahead: %+v", w, r.ahead)
		}
	}
	last := first.Add(15 * time.Minute)
	assertExactlyOnce(t, sink.ids(t), m.Expected(first, last))
	// Served once: each window fetched ahead was used, not fetched again
	// (the fourth, fetched ahead at the end, is served once too).
	for id, n := range m.Ledger() {
		if n != 1 {
			t.Errorf("%s served %d times", id, n)
		}
	}
	r.ahead.discard()
}

// A window fetched ahead is dropped when the next call is for another
// window, when nothing is due, and after a restart; the sink still sees
// every event once.
func TestAheadWindowDiscarded(t *testing.T) {
	m, srv := newMock(t, mockapi.Config{PageSize: 4})
	clk := &fakeClock{now: T0}
	sink := &memSink{}
	cfg := Config{Conn: demoConn(srv.URL), Sink: sink, Now: clk.Now, Sleep: clk.Sleep, Prefetch: true, MinCommitEvents: 8}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w1 := T0.Add(-20 * time.Minute)
	w2, w3 := w1.Add(5*time.Minute), w1.Add(10*time.Minute)
	if _, err := r.PollWindow(context.Background(), w1, w2); err != nil {
		t.Fatal(err)
	}
	if r.ahead == nil {
		t.Fatal("w2 not fetched ahead")
	}
	// Another window than the one fetched ahead (here w1 again: a caller
	// may re-poll): dropped, w1's events are not committed twice by the
	// runner's checkpoint logic, and nothing is kept for w2.
	before := len(sink.ids(t))
	if _, err := r.PollWindow(context.Background(), w1, w2); err != nil {
		t.Fatal(err)
	}
	if r.ahead == nil || !r.ahead.start.Equal(w2) {
		t.Fatalf("after re-polling w1, ahead = %+v", r.ahead)
	}
	sink.mu.Lock()
	sink.events = sink.events[:before] // the re-poll's events are the caller's business
	sink.mu.Unlock()
	// A restart: a new Runner from the checkpoint polls w2 itself.
	cfg.Checkpoint = sink.cp
	r.ahead.discard()
	r2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r2.PollWindow(context.Background(), w2, w3); err != nil {
		t.Fatal(err)
	}
	assertExactlyOnce(t, sink.ids(t), m.Expected(w1, w3))
	// Not due: the window after w3 ends after now, nothing is fetched.
	clk.mu.Lock()
	clk.now = w3.Add(time.Minute)
	clk.mu.Unlock()
	if _, err := r2.PollWindow(context.Background(), w3, w3.Add(5*time.Minute)); err == nil && r2.ahead != nil {
		t.Fatalf("a window that is not due was fetched ahead: %+v", r2.ahead)
	}
}

// A failed window keeps nothing fetched ahead; a cancelled context before
// the next call drops the window fetched under it.
func TestAheadWindowFailureAndCancel(t *testing.T) {
	_, srv := newMock(t, mockapi.Config{PageSize: 4})
	clk := &fakeClock{now: T0}
	sink := &memSink{failAt: 4}
	r, err := New(Config{Conn: demoConn(srv.URL), Sink: sink, Now: clk.Now, Sleep: clk.Sleep, Prefetch: true, MinCommitEvents: 8})
	if err != nil {
		t.Fatal(err)
	}
	w1 := T0.Add(-20 * time.Minute)
	if res, err := r.PollWindow(context.Background(), w1, w1.Add(5*time.Minute)); err == nil || res.Completed {
		t.Fatalf("want a failed window, got %+v %v", res, err)
	}
	if r.ahead != nil {
		t.Fatal("a failed window kept the next one fetched ahead")
	}
	sink.failAt = 0
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := r.PollWindow(ctx, w1, w1.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	cancel()
	w2 := w1.Add(5 * time.Minute)
	res, err := r.PollWindow(context.Background(), w2, w2.Add(5*time.Minute))
	if err != nil || !res.Completed || res.Events != 30 {
		t.Fatalf("w2 after the cancelled context: %+v %v", res, err)
	}
	if r.ahead != nil {
		r.ahead.discard()
	}
}
