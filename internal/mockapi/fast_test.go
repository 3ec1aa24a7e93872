package mockapi

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

// TestAppendEventFast: the direct encoder writes what appendEvent (and so
// Event through encoding/json) writes, for both time formats, across the
// ranges where the id and addresses change width.
func TestAppendEventFast(t *testing.T) {
	for _, format := range []string{"iso", "us"} {
		m := New(Config{Origin: origin, TsFormat: format, EventsPerMinute: 7})
		for _, i := range []int64{0, 1, 2, 3, 9, 10, 99, 255, 256, 257, 1000, 65535, 65536, 99999999, 100000000, 123456789012} {
			want := string(m.appendEvent(nil, i))
			if got := string(m.appendEventFast(nil, i)); got != want {
				t.Fatalf("%s event %d:\n got %s\nwant %s", format, i, got, want)
			}
			if id := idIn([]byte(want)); id != eventID(i) {
				t.Fatalf("idIn = %q, want %q", id, eventID(i))
			}
		}
	}
}

// TestPageCache: a cached server serves the same bytes and counts every
// served event in the ledger; the budget bounds what is kept.
func TestPageCache(t *testing.T) {
	bodies := map[int][]string{}
	ledgers := map[int]map[string]int{}
	for _, budget := range []int{0, 1 << 20, 3000} {
		m := New(Config{Origin: origin, EventsPerMinute: 60, PageSize: 10, CachePageBytes: budget})
		srv := httptest.NewServer(m)
		for range 2 { // the second round is served from the cache when it fits
			for page := 1; page <= 6; page++ {
				resp, err := http.Get(fmt.Sprintf("%s/events?t0=1704067200&t1=1704067260&page=%d", srv.URL, page))
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				bodies[budget] = append(bodies[budget], string(b))
			}
		}
		srv.Close()
		ledgers[budget] = m.Ledger()
		if got := m.pages.bytes; budget > 0 && (got > budget || got == 0) {
			t.Errorf("budget %d: cache holds %d bytes", budget, got)
		}
		if budget == 0 && len(m.pages.m) != 0 {
			t.Errorf("cache used without a budget")
		}
	}
	for _, budget := range []int{1 << 20, 3000} {
		if !reflect.DeepEqual(bodies[budget], bodies[0]) {
			t.Errorf("budget %d: bodies differ from the uncached server", budget)
		}
		if !reflect.DeepEqual(ledgers[budget], ledgers[0]) {
			t.Errorf("budget %d: ledger %v, want %v", budget, ledgers[budget], ledgers[0])
		}
	}
	if n := ledgers[0]["evt-00000000"]; n != 2 {
		t.Errorf("event 0 served %d times, want 2", n)
	}
}
