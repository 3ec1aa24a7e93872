package e2e

import (
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/mockapi"
)

// TestKill9ExactlyOnce kills `codeless serve` with SIGKILL while it is in the
// middle of a paged window (twice), restarts it on the same data directory,
// and checks that the table holds every event the source served exactly once
// (SPEC §4/§5: checkpoint committed atomically with the rows).
func TestKill9ExactlyOnce(t *testing.T) {
	mock := mockapi.New(mockapi.Config{
		Origin:          time.Now().UTC().Add(-time.Hour),
		EventsPerMinute: 1200, // one 1-minute window = 1,200 events = 120 pages
		PageSize:        10,
		PageDelay:       15 * time.Millisecond,
		Path:            "/example/events",
		Auth:            mockapi.Auth{Type: "Basic", UserName: "u", Password: "p"},
	})
	src := httptest.NewServer(mock)
	defer src.Close()
	served := func() int {
		n := 0
		for _, c := range mock.Ledger() {
			n += c
		}
		return n
	}

	data := t.TempDir()
	s := startServer(t, data)
	tok := s.token()
	dcrID := deployE2E(t, s, tok)
	path := wsBase + "/providers/Microsoft.SecurityInsights/dataConnectors/crashconn" + api
	if st, body := s.call("PUT", path, tok, basicConnection("crashconn", src.URL, dcrID, "u", "p")); st/100 != 2 {
		t.Fatalf("PUT connection: %d %s", st, body)
	}

	// Kill twice mid-window, at different points.
	for round, threshold := range []int{150, 500} {
		eventually(t, 60*time.Second, "the poller to be mid-window", func() bool { return served() >= threshold })
		if n := served(); n >= 1200 {
			t.Fatalf("round %d: the window finished before the kill (%d events served); slow the mock down", round, n)
		}
		s.kill()
		t.Logf("round %d: killed after %d events were served", round, served())
		s = startServer(t, data)
		tok = s.token()
	}

	// After the restart the window resumes from its last committed page.
	var ids []string
	eventually(t, 90*time.Second, "every served event to be stored", func() bool {
		r, status, _ := s.query(tok, "E2E_CL | project EventId")
		if status != 200 {
			return false
		}
		ids = ids[:0]
		for _, row := range r.Tables[0].Rows {
			id, _ := row[0].(string)
			ids = append(ids, id)
		}
		return len(ids) >= len(mock.Ledger()) && len(mock.Ledger()) >= 1200
	})

	ledger := mock.Ledger()
	seen := map[string]int{}
	for _, id := range ids {
		seen[id]++
	}
	var dups, missing []string
	for id, n := range seen {
		if n > 1 {
			dups = append(dups, id)
		}
		if ledger[id] == 0 {
			t.Errorf("stored event %q was never served", id)
		}
	}
	for id := range ledger {
		if seen[id] == 0 {
			missing = append(missing, id)
		}
	}
	sort.Strings(dups)
	sort.Strings(missing)
	if len(dups) > 0 || len(missing) > 0 {
		t.Fatalf("after kill -9: %d duplicated events (e.g. %v), %d served but missing (e.g. %v)", len(dups), head(dups), len(missing), head(missing))
	}
	refetched := 0
	for _, n := range ledger {
		if n > 1 {
			refetched++
		}
	}
	t.Logf("%d events stored exactly once; %d events were served more than once (pages fetched again after a kill)", len(ids), refetched)
}

func head(s []string) []string {
	if len(s) > 5 {
		return s[:5]
	}
	return s
}
