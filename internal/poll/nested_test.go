package poll

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/poll/paging"
	"github.com/codeless/codeless/internal/resource"
)

// nestedAPI is a small list→detail source: every request must carry Basic
// auth (children inherit the root's auth); it logs each request's path,
// query and X-Org header.
type nestedAPI struct {
	mu       sync.Mutex
	log      []string
	broken   map[string]bool // path → answer 404
	inflight atomic.Int32
	maxIn    atomic.Int32
	gate     chan struct{} // when set, detail requests wait on it
}

func (a *nestedAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := a.inflight.Add(1)
	defer a.inflight.Add(-1)
	for {
		m := a.maxIn.Load()
		if n <= m || a.maxIn.CompareAndSwap(m, n) {
			break
		}
	}
	if u, p, ok := r.BasicAuth(); !ok || u != "user" || p != "pw" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	a.mu.Lock()
	entry := r.URL.Path
	if q := r.URL.Query().Get("filter"); q != "" {
		entry += " filter=" + q
	}
	if h := r.Header.Get("X-Org"); h != "" {
		entry += " X-Org=" + h
	}
	a.log = append(a.log, entry)
	broken := a.broken[r.URL.Path]
	a.mu.Unlock()
	if broken {
		http.Error(w, `{"error":"gone"}`, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.URL.Path == "/incidents":
		fmt.Fprint(w, `{"incidents":[{"incidentId":"i1"},{"incidentId":"i2"},{"incidentId":"i3"}]}`)
	case len(parts) == 3 && parts[0] == "incidents" && parts[2] == "details":
		if a.gate != nil {
			<-a.gate
		}
		if parts[1] == "i2" && r.URL.Query().Get("page") == "" {
			// Two pages of details for i2 (child LinkHeader paging).
			w.Header().Set("Link", `</incidents/i2/details?page=2>; rel="next"`)
			fmt.Fprint(w, `[{"id":"i2","part":1}]`)
			return
		}
		fmt.Fprintf(w, `[{"id":%q,"part":%q}]`, parts[1], r.URL.Query().Get("page"))
	case r.URL.Path == "/cases":
		fmt.Fprint(w, `{"data":{"cases":[{"caseId":"k1","dataSourceName":"s3","policyName":"pii"},{"caseId":"k2","dataSourceName":"db","policyName":"pci"}]}}`)
	case len(parts) == 2 && parts[0] == "ds":
		fmt.Fprintf(w, `{"ds_connection":{"name":%q,"location":"eu"}}`, parts[1])
	case r.URL.Path == "/catalog":
		f := r.URL.Query().Get("filter")
		if strings.Contains(f, "db") {
			fmt.Fprint(w, `{"results":[{"obj":"t1"},{"obj":"t2"}]}`)
		} else {
			fmt.Fprint(w, `{"results":[{"obj":"b1"}]}`)
		}
	case r.URL.Path == "/orgs":
		fmt.Fprint(w, `[{"org":"o1","networks":[{"id":"n1"},{"id":"n2"}]},{"org":"o2","networks":[]}]`)
	case len(parts) == 3 && parts[0] == "networks":
		fmt.Fprintf(w, `[{"network":%q,"event":"e"}]`, parts[1])
	default:
		http.NotFound(w, r)
	}
}

func (a *nestedAPI) requests() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := append([]string(nil), a.log...)
	sort.Strings(out)
	return out
}

func nestedConn(base string, rootPath string, eventsPath string, info *resource.StepInfo, steps map[string]*resource.Step) *resource.Connection {
	return &resource.Connection{Meta: resource.Meta{Name: "nested"}, Properties: resource.PollerProperties{
		Auth:                 resource.Auth{Type: "Basic", UserName: "user", Password: "pw"},
		Request:              resource.Request{APIEndpoint: base + rootPath, QueryWindowInMin: 5},
		Response:             resource.Response{EventsJSONPaths: []string{eventsPath}},
		StepInfo:             info,
		StepCollectorConfigs: steps,
	}}
}

func one(id, kql string) *resource.StepInfo {
	return &resource.StepInfo{StepType: "Nested", NextSteps: []resource.NextStep{{StepID: id, StepPlaceholdersParsingKQL: kql}}}
}

func asJSON(t *testing.T, events []any) []string {
	t.Helper()
	out := make([]string, len(events))
	for i, e := range events {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = string(b)
	}
	return out
}

func TestNestedSteps(t *testing.T) {
	tests := []struct {
		name     string
		conn     func(base string) *resource.Connection
		records  []string
		requests []string
	}{
		{
			name: "non-join list to detail with child paging (S22)",
			conn: func(base string) *resource.Connection {
				return nestedConn(base, "/incidents", "$.incidents",
					one("details", "source | project res = parse_json(data) | project incidentId = res.incidentId"),
					map[string]*resource.Step{"details": {
						Request:  resource.Request{APIEndpoint: base + "/incidents/$incidentId$/details", Headers: map[string]string{"X-Org": "org-$incidentId$"}},
						Response: resource.Response{EventsJSONPaths: []string{"$"}},
						Paging:   &resource.Paging{PagingType: "LinkHeader"},
					}})
			},
			records: []string{`{"id":"i1","part":""}`, `{"id":"i2","part":1}`, `{"id":"i2","part":"2"}`, `{"id":"i3","part":""}`},
			requests: []string{"/incidents", "/incidents/i1/details X-Org=org-i1", "/incidents/i2/details X-Org=org-i2",
				"/incidents/i2/details X-Org=org-i2", "/incidents/i3/details X-Org=org-i3"},
		},
		{
			name: "mvexpand fan-out (Meraki)",
			conn: func(base string) *resource.Connection {
				return nestedConn(base, "/orgs", "$",
					one("net", "source | project res = parse_json(data) | mvexpand net = res.networks | project networkId = tostring(net['id'])"),
					map[string]*resource.Step{"net": {
						Request:  resource.Request{APIEndpoint: base + "/networks/$networkId$/events"},
						Response: resource.Response{EventsJSONPaths: []string{"$"}},
					}})
			},
			records:  []string{`{"event":"e","network":"n1"}`, `{"event":"e","network":"n2"}`},
			requests: []string{"/networks/n1/events", "/networks/n2/events", "/orgs"},
		},
		{
			name: "three-level join with ancestor placeholders (BigID)",
			conn: func(base string) *resource.Connection {
				c := nestedConn(base, "/cases", "$.data.cases",
					one("datasource", "source | project res = parse_json(data) | project dataSourceName = res.dataSourceName, policyName = res.policyName"),
					map[string]*resource.Step{
						"datasource": {ShouldJoinNestedData: true, JoinedDataStepName: "datasource",
							Request:  resource.Request{APIEndpoint: base + "/ds/$dataSourceName$"},
							Response: resource.Response{EventsJSONPaths: []string{"$.ds_connection"}},
							StepInfo: one("expand", "source")},
						"expand": {ShouldJoinNestedData: true, JoinedDataStepName: "expand",
							Request: resource.Request{APIEndpoint: base + "/catalog",
								QueryParameters: map[string]any{"filter": `SYSTEM = "$dataSourceName$" AND policy IN ("$policyName$")`, "limit": float64(32)}},
							Response: resource.Response{EventsJSONPaths: []string{"$.results"}}},
					})
				c.Properties.ShouldJoinNestedData, c.Properties.JoinedDataStepName = true, "dspmCase"
				return c
			},
			records: []string{
				`{"datasource":{"location":"eu","name":"s3"},"dspmCase":{"caseId":"k1","dataSourceName":"s3","policyName":"pii"},"expand":{"obj":"b1"}}`,
				`{"datasource":{"location":"eu","name":"db"},"dspmCase":{"caseId":"k2","dataSourceName":"db","policyName":"pci"},"expand":{"obj":"t1"}}`,
				`{"datasource":{"location":"eu","name":"db"},"dspmCase":{"caseId":"k2","dataSourceName":"db","policyName":"pci"},"expand":{"obj":"t2"}}`,
			},
			requests: []string{`/cases`, `/catalog filter=SYSTEM = "db" AND policy IN ("pci")`, `/catalog filter=SYSTEM = "s3" AND policy IN ("pii")`, "/ds/db", "/ds/s3"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := &nestedAPI{}
			srv := httptest.NewServer(api)
			defer srv.Close()
			sink := &memSink{}
			r, err := New(Config{Conn: tc.conn(srv.URL), Sink: sink, Now: func() time.Time { return T0 }})
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.PollWindow(context.Background(), T0.Add(-5*time.Minute), T0)
			if err != nil {
				t.Fatal(err)
			}
			got := asJSON(t, sink.events)
			if strings.Join(got, "\n") != strings.Join(tc.records, "\n") {
				t.Errorf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.records, "\n"))
			}
			if res.Events != len(tc.records) || !res.Completed || sink.commits != 1 {
				t.Errorf("result %+v, commits %d", res, sink.commits)
			}
			if got := api.requests(); strings.Join(got, "\n") != strings.Join(tc.requests, "\n") {
				t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.requests, "\n"))
			}
		})
	}
}

// A failing nested request fails the page: nothing of it is committed and
// the checkpoint does not move; the retried window delivers every record
// once.
func TestNestedFailureRetriesPageExactlyOnce(t *testing.T) {
	api := &nestedAPI{broken: map[string]bool{"/incidents/i3/details": true}}
	srv := httptest.NewServer(api)
	defer srv.Close()
	c := nestedConn(srv.URL, "/incidents", "$.incidents",
		one("details", "source | project incidentId = tostring(parse_json(data).incidentId)"),
		map[string]*resource.Step{"details": {
			Request:  resource.Request{APIEndpoint: srv.URL + "/incidents/$incidentId$/details"},
			Response: resource.Response{EventsJSONPaths: []string{"$"}},
			Paging:   &resource.Paging{PagingType: "LinkHeader"},
		}})
	sink := &memSink{}
	r, err := New(Config{Conn: c, Sink: sink, Now: func() time.Time { return T0 }})
	if err != nil {
		t.Fatal(err)
	}
	start, end := T0.Add(-5*time.Minute), T0
	res, err := r.PollWindow(context.Background(), start, end)
	if err == nil || res.Class != ClassSource || !strings.Contains(err.Error(), "properties.stepCollectorConfigs.details: page 1:") || !strings.Contains(err.Error(), "HTTP 404") {
		t.Fatalf("err %v class %q", err, res.Class)
	}
	if sink.commits != 0 || r.Checkpoint().Done != nil {
		t.Fatalf("committed %d pages, checkpoint %+v", sink.commits, r.Checkpoint())
	}
	api.mu.Lock()
	api.broken = nil
	api.mu.Unlock()
	if _, err := r.PollWindow(context.Background(), start, end); err != nil {
		t.Fatal(err)
	}
	got := asJSON(t, sink.events)
	want := []string{`{"id":"i1","part":""}`, `{"id":"i2","part":1}`, `{"id":"i2","part":"2"}`, `{"id":"i3","part":""}`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || r.Checkpoint().Done == nil || !r.Checkpoint().Done.Equal(end) {
		t.Fatalf("records %v, checkpoint %+v", got, r.Checkpoint())
	}
}

func TestNestedNoPlaceholdersWarns(t *testing.T) {
	api := &nestedAPI{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	c := nestedConn(srv.URL, "/incidents", "$.incidents",
		one("details", "source | project res = parse_json(data) | where tostring(res.incidentId) == 'none' | project incidentId = tostring(res.incidentId)"),
		map[string]*resource.Step{"details": {
			Request:  resource.Request{APIEndpoint: srv.URL + "/incidents/$incidentId$/details"},
			Response: resource.Response{EventsJSONPaths: []string{"$"}},
		}})
	sink := &memSink{}
	var seen []WindowResult
	r, err := New(Config{Conn: c, Sink: sink, Now: func() time.Time { return T0 }, OnWindow: func(w WindowResult) { seen = append(seen, w) }})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.PollWindow(context.Background(), T0.Add(-5*time.Minute), T0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Events != 0 || len(res.Warnings) != 3 || !strings.Contains(res.Warnings[0], `nested step "details": stepPlaceholdersParsingKql yielded no placeholders`) {
		t.Fatalf("result %+v", res)
	}
	if len(seen) != 1 || len(seen[0].Warnings) != 3 {
		t.Fatalf("OnWindow saw %+v", seen)
	}
	if got := api.requests(); len(got) != 1 {
		t.Fatalf("requests %v", got)
	}
}

// MaxParallelism bounds the nested requests in flight.
func TestNestedParallelismBound(t *testing.T) {
	api := &nestedAPI{gate: make(chan struct{})}
	srv := httptest.NewServer(api)
	defer srv.Close()
	c := nestedConn(srv.URL, "/orgs", "$",
		one("net", "source | project res = parse_json(data) | mvexpand net = res.networks | project networkId = tostring(net['id'])"),
		map[string]*resource.Step{"net": {
			Request:  resource.Request{APIEndpoint: srv.URL + "/incidents/$networkId$/details"},
			Response: resource.Response{EventsJSONPaths: []string{"$"}},
		}})
	// Replace /orgs with 12 networks by wrapping the handler.
	var nets []string
	for i := range 12 {
		nets = append(nets, fmt.Sprintf(`{"id":"x%d"}`, i))
	}
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/orgs" {
			fmt.Fprintf(w, `[{"networks":[%s]}]`, strings.Join(nets, ","))
			return
		}
		api.ServeHTTP(w, r)
	})
	sink := &memSink{}
	r, err := New(Config{Conn: c, Sink: sink, Now: func() time.Time { return T0 }, MaxParallelism: 3})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := r.PollWindow(context.Background(), T0.Add(-5*time.Minute), T0)
		done <- err
	}()
	for range 12 {
		api.gate <- struct{}{} // release one detail request at a time
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if m := api.maxIn.Load(); m > 3 {
		t.Fatalf("%d requests in flight, limit 3", m)
	}
	if len(sink.events) != 12 {
		t.Fatalf("%d records", len(sink.events))
	}
}

// An OAuth2 token rejected with 401 is re-minted once and the request
// retried (auth.Invalidator).
func TestRemintAfter401(t *testing.T) {
	var mu sync.Mutex
	minted := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch r.URL.Path {
		case "/token":
			minted++
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"access_token":"tok%d","token_type":"Bearer","expires_in":3600}`, minted)
		case "/events":
			if r.Header.Get("Authorization") != "Bearer tok2" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			fmt.Fprint(w, `[{"id":"a"}]`)
		}
	}))
	defer srv.Close()
	c := conn(resource.Request{APIEndpoint: srv.URL + "/events"}, resource.Auth{Type: "OAuth2", Fields: map[string]any{
		"clientId": "id", "clientSecret": "secret", "grantType": "client_credentials", "tokenEndpoint": srv.URL + "/token"}})
	sink := &memSink{}
	r, err := New(Config{Conn: c, Sink: sink, Now: func() time.Time { return T0 }, HTTP: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.PollWindow(context.Background(), T0.Add(-5*time.Minute), T0); err != nil {
		t.Fatal(err)
	}
	if minted != 2 || len(sink.events) != 1 {
		t.Fatalf("minted %d tokens, %d events", minted, len(sink.events))
	}
}

// Paging variables ({_Offset}) and a paging body template reach the body.
func TestPagingVarsAndBodyTemplate(t *testing.T) {
	c := conn(resource.Request{APIEndpoint: "https://x/search", HTTPMethod: "POST", IsPostPayloadJSON: true,
		QueryParametersTemplate: `{'from': '{_QueryWindowStartTime}', 'offset': {_Offset}, 'page': {'size': 10}}`}, resource.Auth{})
	r, err := New(Config{Conn: c, Sink: nopSink{}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2024, 1, 2, 3, 4, 0, 0, time.UTC)
	tests := []struct {
		pr   paging.Request
		want string
	}{
		{paging.Request{Vars: map[string]string{"_Offset": "20"}, Body: map[string]any{"page": map[string]any{"cursor": "c"}}},
			`{"from":"2024-01-02T03:04:00.0000000Z","offset":20,"page":{"cursor":"c","size":10}}`},
		{paging.Request{BodyTemplate: `{"next": "{_QueryWindowEndTime}"}`}, `{"next":"2024-01-02T03:09:00.0000000Z"}`},
	}
	for _, tc := range tests {
		hr, err := r.ep.buildRequest(start, start.Add(5*time.Minute), tc.pr, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(hr.Body)
		if string(b) != tc.want {
			t.Errorf("body %s, want %s", b, tc.want)
		}
	}
}

// Placeholder rows whose values are all empty send no request (Meraki: an
// mvexpand over a network object gives one row per property, and only the
// id row has a networkId); the rows with values are fetched.
func TestNestedSkipsEmptyPlaceholderRows(t *testing.T) {
	api := &nestedAPI{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	c := nestedConn(srv.URL, "/orgs", "$",
		one("net", "source | project res = parse_json(data) | mvexpand net = res.networks | project networkId = tostring(net['id'])"),
		map[string]*resource.Step{"net": {
			Request:  resource.Request{APIEndpoint: srv.URL + "/incidents/$networkId$/details"},
			Response: resource.Response{EventsJSONPaths: []string{"$"}},
		}})
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/orgs" {
			fmt.Fprint(w, `[{"networks":[{"id":"n1"},{"name":"no id"},{"id":""},{"id":"n2"}]}]`)
			return
		}
		api.ServeHTTP(w, r)
	})
	r, err := New(Config{Conn: c, Sink: &memSink{}, Now: func() time.Time { return T0 }})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.PollWindow(context.Background(), T0.Add(-5*time.Minute), T0)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(api.requests(), ",")
	if strings.Contains(got, "//") || !strings.Contains(got, "/incidents/n1/details") || !strings.Contains(got, "/incidents/n2/details") {
		t.Fatalf("requests %s", got)
	}
	if len(res.Warnings) == 0 || !strings.Contains(res.Warnings[0], "2 placeholder row(s) with every value empty skipped") {
		t.Fatalf("warnings %q", res.Warnings)
	}
}
