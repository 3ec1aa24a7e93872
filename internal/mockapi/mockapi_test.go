package mockapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/poll/paging"
)

var origin = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func get(t *testing.T, url string, set func(*http.Request)) (*http.Response, []map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if set != nil {
		set(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var events []map[string]any
	if resp.StatusCode == 200 {
		if err := json.NewDecoder(resp.Body).Decode(&events); err != nil {
			t.Fatal(err)
		}
	}
	return resp, events
}

func TestPagingCoversWindowExactly(t *testing.T) {
	m := New(Config{Origin: origin, EventsPerMinute: 6, PageSize: 4, Auth: Auth{Type: "Basic", UserName: "u", Password: "p"}})
	srv := httptest.NewServer(m)
	defer srv.Close()
	t0, t1 := origin.Add(time.Minute), origin.Add(3*time.Minute) // 12 events: 3 pages
	next := fmt.Sprintf("%s/events?t0=%d&t1=%d", srv.URL, t0.Unix(), t1.Unix())
	var got []string
	pages := 0
	for next != "" {
		resp, events := get(t, next, func(r *http.Request) { r.SetBasicAuth("u", "p") })
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		pages++
		for _, e := range events {
			got = append(got, e["id"].(string))
			ts, err := time.Parse("2006-01-02T15:04:05Z", e["ts"].(string))
			if err != nil || ts.Before(t0) || !ts.Before(t1) {
				t.Fatalf("event %v outside window", e)
			}
			if e["eventType"] != "Alert" && e["eventType"] != "File" {
				t.Fatalf("eventType %v", e["eventType"])
			}
		}
		next = paging.ParseLink(resp.Header.Get("Link"), "next")
	}
	if pages != 3 || !reflect.DeepEqual(got, m.Expected(t0, t1)) || len(got) != 12 {
		t.Fatalf("pages %d got %v", pages, got)
	}
	ledger := m.Ledger()
	if len(ledger) != 12 || !reflect.DeepEqual(IDs(ledger), got) {
		t.Fatalf("ledger %v", ledger)
	}
	for _, c := range ledger {
		if c != 1 {
			t.Fatalf("ledger counts %v", ledger)
		}
	}
}

func TestAuthAndErrors(t *testing.T) {
	basic := Auth{Type: "Basic", UserName: "u", Password: "p"}
	key := Auth{Type: "APIKey", HeaderName: "X-Api-Key", HeaderValue: "K"}
	q := "/events?t0=1704067200&t1=1704067260"
	tests := []struct {
		name   string
		auth   Auth
		path   string
		set    func(*http.Request)
		status int
	}{
		{"basic ok", basic, q, func(r *http.Request) { r.SetBasicAuth("u", "p") }, 200},
		{"basic wrong", basic, q, func(r *http.Request) { r.SetBasicAuth("u", "x") }, 401},
		{"basic missing", basic, q, nil, 401},
		{"apikey ok", key, q, func(r *http.Request) { r.Header.Set("X-Api-Key", "K") }, 200},
		{"apikey wrong", key, q, func(r *http.Request) { r.Header.Set("X-Api-Key", "token K") }, 401},
		{"none", Auth{}, q, nil, 200},
		{"bad t0", Auth{}, "/events?t0=yesterday&t1=1", nil, 400},
		{"bad page", Auth{}, q + "&page=0", nil, 400},
		{"wrong path", Auth{}, "/other", nil, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(New(Config{Origin: origin, Auth: tc.auth}))
			defer srv.Close()
			resp, _ := get(t, srv.URL+tc.path, tc.set)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
}

func TestFaults(t *testing.T) {
	m := New(Config{Origin: origin, Faults: []Fault{{Every: 3, Status: 429, RetryAfter: "2"}, {Every: 4, Status: 500}}})
	srv := httptest.NewServer(m)
	defer srv.Close()
	var statuses []int
	for range 6 {
		resp, _ := get(t, srv.URL+"/events?t0=1704067200&t1=1704067260", nil)
		statuses = append(statuses, resp.StatusCode)
		if resp.StatusCode == 429 && resp.Header.Get("Retry-After") != "2" {
			t.Fatal("missing Retry-After")
		}
	}
	if !reflect.DeepEqual(statuses, []int{200, 200, 429, 500, 200, 429}) {
		t.Fatalf("statuses %v", statuses)
	}
	// Faulted requests serve nothing: 3 good requests of 6 events each.
	for id, c := range m.Ledger() {
		if c != 3 {
			t.Fatalf("%s served %d times", id, c)
		}
	}
}

func TestDeterministicEvents(t *testing.T) {
	m := New(Config{Origin: origin, EventsPerMinute: 6, TsFormat: "us"})
	e := m.Event(7)
	if e["ts"] != "1/1/2024 12:01:10 AM" || e["eventType"] != "File" || e["id"] != "evt-00000007" {
		t.Fatalf("event %v", e)
	}
	if _, ok := e["fileSizeBytes"].(int64); !ok {
		t.Fatal("fileSizeBytes must be an integer")
	}
	if !reflect.DeepEqual(m.Event(7), e) {
		t.Fatal("not deterministic")
	}
	a := m.Event(8)
	if a["eventType"] != "Alert" || !strings.ContainsAny(a["priority"].(string), "12345") {
		t.Fatalf("alert %v", a)
	}
	// Windows partition the events.
	lo1, hi1 := m.Range(origin.Add(-time.Hour), origin.Add(95*time.Second))
	lo2, hi2 := m.Range(origin.Add(95*time.Second), origin.Add(2*time.Minute))
	if lo1 != 0 || hi1 != 10 || lo2 != 10 || hi2 != 12 {
		t.Fatalf("ranges %d-%d %d-%d", lo1, hi1, lo2, hi2)
	}
}

func TestRequestLogBounded(t *testing.T) {
	m := New(Config{Origin: origin, MaxRequestLog: 2})
	srv := httptest.NewServer(m)
	defer srv.Close()
	for i := range 3 {
		get(t, fmt.Sprintf("%s/events?t0=1704067200&t1=1704067260&n=%d", srv.URL, i), nil)
	}
	rs := m.Requests()
	if len(rs) != 2 || !strings.HasSuffix(rs[0].URL, "n=1") || !strings.HasSuffix(rs[1].URL, "n=2") {
		t.Fatalf("log %+v", rs)
	}
}

func TestAppendEventMatchesEvent(t *testing.T) {
	for _, format := range []string{"iso", "us"} {
		m := New(Config{Origin: origin, TsFormat: format})
		for i := int64(0); i < 50; i++ {
			want, _ := json.Marshal(m.Event(i))
			got := m.appendEvent(nil, i)
			if string(got) != string(want) {
				t.Fatalf("event %d:\n got %s\nwant %s", i, got, want)
			}
		}
	}
	if got := string(appendJSONString(nil, "a\"b\\c\n")); got != `"a\"b\\c\u000a"` {
		t.Fatalf("escape %s", got)
	}
}
