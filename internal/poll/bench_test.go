package poll

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/mockapi"
)

// BenchmarkPollWindow measures the poll path (loopback mock → LinkHeader
// paging → decode → addOnAttributes → sink) for one 5-minute window of
// 30,000 events in pages of 1,000. The mock's JSON encoding is included.
func BenchmarkPollWindow(b *testing.B) {
	m := mockapi.New(mockapi.Config{Origin: T0.Add(-time.Hour), EventsPerMinute: 6000, PageSize: 1000, MaxRequestLog: 1,
		Auth: mockapi.Auth{Type: "Basic", UserName: "user", Password: "s3cret"}})
	srv := httptest.NewServer(m)
	defer srv.Close()
	r, err := New(Config{Conn: demoConn(srv.URL), Sink: nopSink{}, Now: func() time.Time { return T0 }})
	if err != nil {
		b.Fatal(err)
	}
	events := 0
	for b.Loop() {
		res, err := r.PollWindow(context.Background(), T0.Add(-5*time.Minute), T0)
		if err != nil {
			b.Fatal(err)
		}
		events += res.Events
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
