package drytest

import (
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/mockapi"
)

// TestSeedDemoAgainstMockAPI dry-runs the seed demo shape (Basic auth,
// UnixTimestamp t0/t1, LinkHeader paging, a JSON array) against the
// project's source simulator: every event of the window arrives once, and
// each data flow yields exactly its share of rows.
func TestSeedDemoAgainstMockAPI(t *testing.T) {
	for _, tsFormat := range []string{"iso", "us"} {
		t.Run(tsFormat, func(t *testing.T) {
			mock := mockapi.New(mockapi.Config{
				Origin:          testNow.Add(-time.Hour),
				EventsPerMinute: 6,
				PageSize:        7,
				TsFormat:        tsFormat,
				Auth:            mockapi.Auth{Type: "Basic", UserName: testUser, Password: testPass},
			})
			srv := httptest.NewServer(mock)
			defer srv.Close()

			opts := baseOptions(srv, "basic_linkheader.json")
			opts.TableFiles = []string{fixture("table_alerts.json")}
			rep := mustRun(t, opts)
			wantNoErrors(t, rep)

			start, end := testNow.Add(-5*time.Minute), testNow
			want := mock.Expected(start, end)
			if len(want) != 30 {
				t.Fatalf("mock expects %d events in the window, want 30", len(want))
			}
			var got []string
			for _, e := range rep.Events {
				got = append(got, e.(map[string]any)["id"].(string))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("event ids = %v\nwant %v", got, want)
			}
			// Several pages were followed, and the report lists each one.
			if n := len(mock.Requests()); n != len(rep.Requests) || n < 5 {
				t.Errorf("report lists %d requests, mock served %d (want ≥ 5 pages)", len(rep.Requests), n)
			}
			if a, f := len(rep.Rows["Custom-DemoAlerts_CL"]), len(rep.Rows["Microsoft-ASimFileEventLogs"]); a != 15 || f != 15 {
				t.Errorf("rows: %d alerts, %d files; want 15 and 15", a, f)
			}
			for _, r := range rep.Rows["Custom-DemoAlerts_CL"] {
				tg, ok := r["TimeGenerated"].(time.Time)
				if !ok || tg.Before(start) || !tg.Before(end) {
					t.Errorf("TimeGenerated %v outside the window", r["TimeGenerated"])
				}
				if _, ok := r["Priority"].(int64); !ok {
					t.Errorf("Priority %#v, want an int64", r["Priority"])
				}
			}
		})
	}
}
