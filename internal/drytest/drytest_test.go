package drytest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fixed clock of every test; events are stamped inside its first window.
var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

const (
	testUser   = "demo-user"
	testPass   = "s3cr3t-Pa55word"
	testAPIKey = "k3y-0f-the-api+/="
)

// seen is one request the source received.
type seen struct {
	Path   string
	Query  url.Values
	Header http.Header
}

// source is a fake source API. /events speaks Basic auth and LinkHeader
// paging over a JSON array; the other paths speak APIKey (X-Api-Key) and
// return all events at once, as an array or under "items".
type source struct {
	events   []map[string]any
	pageSize int

	mu   sync.Mutex
	reqs []seen
}

func newSource(t *testing.T) (*source, *httptest.Server) {
	t.Helper()
	s := &source{events: demoEvents(), pageSize: 2}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func demoEvents() []map[string]any {
	base := testNow.Add(-3 * time.Minute)
	ts := func(i int) string { return base.Add(time.Duration(i) * time.Second).Format(time.RFC3339) }
	return []map[string]any{
		{"id": 1, "ts": ts(1), "eventType": "Alert", "srcIp": "10.0.0.1", "destIp": "10.0.0.2", "message": "first", "priority": "3"},
		{"id": 2, "ts": ts(2), "eventType": "File", "srcIp": "10.0.0.3", "destIp": "10.0.0.4", "fileType": "pdf", "fileSizeBytes": 1234},
		{"id": 3, "ts": ts(3), "eventType": "Alert", "srcIp": "10.0.0.5", "destIp": "10.0.0.6", "message": "second", "priority": "1"},
		{"id": 4, "ts": ts(4), "eventType": "File", "srcIp": "10.0.0.7", "destIp": "10.0.0.8", "fileType": "exe", "fileSizeBytes": 99},
		{"id": 5, "ts": ts(5), "eventType": "Alert", "srcIp": "10.0.0.9", "destIp": "10.0.0.10", "message": "third", "priority": "2", "extra": "x"},
	}
}

func (s *source) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.reqs = append(s.reqs, seen{Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone()})
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")

	if r.URL.Path == "/flaky" {
		s.mu.Lock()
		first := len(s.reqs) == 1
		s.mu.Unlock()
		if first {
			http.Error(w, `{"error":"busy"}`, http.StatusServiceUnavailable)
			return
		}
	}
	if r.URL.Path != "/events" {
		if r.Header.Get("X-Api-Key") != testAPIKey {
			http.Error(w, `{"error":"bad key"}`, http.StatusUnauthorized)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/items") {
			_ = json.NewEncoder(w).Encode(map[string]any{"items": s.events[:2]})
			return
		}
		_ = json.NewEncoder(w).Encode(s.events[:1])
		return
	}

	if u, p, ok := r.BasicAuth(); !ok || u != testUser || p != testPass {
		http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	page := 1
	if v := r.URL.Query().Get("page"); v != "" {
		page, _ = strconv.Atoi(v)
	}
	size := s.pageSize
	if v := r.URL.Query().Get("limit"); v != "" {
		size, _ = strconv.Atoi(v)
	}
	from := (page - 1) * size
	to := min(from+size, len(s.events))
	if from < len(s.events) && to < len(s.events) {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(page+1))
		q.Set("limit", strconv.Itoa(size))
		w.Header().Set("Link", fmt.Sprintf(`<http://%s%s?%s>; rel="next"`, r.Host, r.URL.Path, q.Encode()))
	}
	var out []map[string]any
	if from < len(s.events) {
		out = s.events[from:to]
	}
	if out == nil {
		out = []map[string]any{}
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (s *source) requests() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.reqs...)
}

func fixture(name string) string { return filepath.Join("testdata", name) }

func baseOptions(srv *httptest.Server, poller string) Options {
	return Options{
		PollerFile: fixture(poller),
		DCRFile:    fixture("dcr.json"),
		Params: map[string]string{
			"baseUrl":  srv.URL,
			"username": testUser,
			"password": testPass,
			"apiKey":   testAPIKey,
		},
		Now:  func() time.Time { return testNow },
		HTTP: srv.Client(),
	}
}

func mustRun(t *testing.T, opts Options) *Report {
	t.Helper()
	rep, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

func wantNoErrors(t *testing.T, rep *Report) {
	t.Helper()
	if len(rep.Errors) > 0 {
		t.Fatalf("unexpected errors:\n%s", strings.Join(rep.Errors, "\n"))
	}
}

func TestBasicLinkHeaderThreePagesTwoFlows(t *testing.T) {
	src, srv := newSource(t)
	opts := baseOptions(srv, "basic_linkheader.json")
	opts.TableFiles = []string{fixture("table_alerts.json")}
	rep := mustRun(t, opts)
	wantNoErrors(t, rep)

	// Three pages: 2 + 2 + 1 events.
	if got := len(rep.Requests); got != 3 {
		t.Fatalf("requests = %d, want 3: %+v", got, rep.Requests)
	}
	for i, q := range rep.Requests {
		if q.Status != 200 || q.Method != http.MethodGet || q.Connection != "DemoAlertsPoller" {
			t.Errorf("request %d = %+v", i, q)
		}
		if want := []int{2, 2, 1}[i]; q.Events != want {
			t.Errorf("request %d events = %d, want %d", i, q.Events, want)
		}
	}
	if got := len(src.requests()); got != 3 {
		t.Errorf("source saw %d requests, want 3", got)
	}
	var ids []int
	for _, e := range rep.Events {
		m, ok := e.(map[string]any)
		if !ok {
			t.Fatalf("event %T, want object", e)
		}
		ids = append(ids, int(toInt(m["id"])))
	}
	if !reflect.DeepEqual(ids, []int{1, 2, 3, 4, 5}) {
		t.Errorf("event ids = %v, want 1..5", ids)
	}

	alerts := rep.Rows["Custom-DemoAlerts_CL"]
	if len(alerts) != 3 {
		t.Fatalf("alert rows = %d, want 3: %v", len(alerts), alerts)
	}
	wantAlert := map[string]any{
		"TimeGenerated": testNow.Add(-3*time.Minute + time.Second),
		"SourceIP":      "10.0.0.1", "DestIP": "10.0.0.2", "Message": "first",
		"Priority": int64(3), // string in the stream, int in the table
	}
	if !reflect.DeepEqual(alerts[0], wantAlert) {
		t.Errorf("first alert row = %#v\nwant %#v", alerts[0], wantAlert)
	}
	var prios []any
	for _, r := range alerts {
		prios = append(prios, r["Priority"])
	}
	if !reflect.DeepEqual(prios, []any{int64(3), int64(1), int64(2)}) {
		t.Errorf("priorities = %v", prios)
	}

	files := rep.Rows["Microsoft-ASimFileEventLogs"]
	if len(files) != 2 {
		t.Fatalf("file rows = %d, want 2: %v", len(files), files)
	}
	f0 := files[0]
	for k, want := range map[string]any{
		"TimeGenerated": testNow.Add(-3*time.Minute + 2*time.Second),
		"SrcIpAddr":     "10.0.0.3", "DstIpAddr": "10.0.0.4",
		"FileContentType": "pdf", "FileSize": int64(1234), "eventType": "File",
	} {
		if !reflect.DeepEqual(f0[k], want) {
			t.Errorf("file row %s = %#v, want %#v", k, f0[k], want)
		}
	}
	for _, gone := range []string{"ts", "srcIp", "fileType"} {
		if _, ok := f0[gone]; ok {
			t.Errorf("file row still has renamed column %s", gone)
		}
	}
	if !hasMessage(rep.Warnings, "not declared in the stream are dropped: extra, id") {
		t.Errorf("no warning about undeclared properties: %v", rep.Warnings)
	}
	if hasMessage(rep.Warnings, "not given (--table)") {
		t.Errorf("table was given, yet warned: %v", rep.Warnings)
	}
}

func TestCustomTableNotGivenWarns(t *testing.T) {
	_, srv := newSource(t)
	rep := mustRun(t, baseOptions(srv, "basic_linkheader.json"))
	wantNoErrors(t, rep)
	if !hasMessage(rep.Warnings, "table DemoAlerts_CL not given (--table); checked the transform's output schema only") {
		t.Errorf("warnings = %v", rep.Warnings)
	}
	// Without the table Priority stays as the transform produced it.
	if got := rep.Rows["Custom-DemoAlerts_CL"][0]["Priority"]; got != "3" {
		t.Errorf("Priority = %#v, want \"3\"", got)
	}
}

func TestTableMismatch(t *testing.T) {
	_, srv := newSource(t)
	opts := baseOptions(srv, "basic_linkheader.json")
	opts.DCRFile = fixture("dcr_mismatch.json")
	opts.TableFiles = []string{fixture("table_alerts_mismatch.json")}
	rep := mustRun(t, opts)
	for _, want := range []string{
		"outputs column Message, which table DemoAlerts_CL does not have",
		"column Priority is int in the transform's output but datetime in table DemoAlerts_CL",
	} {
		if !hasMessage(rep.Errors, want) {
			t.Errorf("no error containing %q in %v", want, rep.Errors)
		}
	}
	if !hasMessage(rep.Errors, "testdata/dcr_mismatch.json: $.properties.dataFlows[0]: ") {
		t.Errorf("errors do not name the data flow path: %v", rep.Errors)
	}
	// A flow that does not fit its table produces no rows.
	if rows, ok := rep.Rows["Custom-DemoAlerts_CL"]; ok {
		t.Errorf("rows for a mismatched table: %v", rows)
	}
}

func TestParamForms(t *testing.T) {
	src, srv := newSource(t)
	opts := baseOptions(srv, "apikey_params.json")
	// Case-insensitive names: {{Region}} and parameters('tenant').
	opts.Params["region"] = "eu-1"
	opts.Params["TENANT"] = "acme"
	rep := mustRun(t, opts)
	wantNoErrors(t, rep)

	reqs := src.requests()
	if len(reqs) != 1 {
		t.Fatalf("source saw %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Path != "/v2/acme/items" { // [[concat(parameters('baseUrl'), '/v2/', parameters('tenant'), '/items')]
		t.Errorf("path = %q", r.Path)
	}
	if got := r.Header.Get("X-Api-Key"); got != testAPIKey { // [[parameters('apiKey')]
		t.Errorf("X-Api-Key = %q", got)
	}
	if got := r.Query.Get("key"); got != testAPIKey { // {{apiKey}}
		t.Errorf("key = %q", got)
	}
	if got := r.Query.Get("region"); got != "eu-1" { // {{Region}}
		t.Errorf("region = %q", got)
	}
	if len(rep.Events) != 2 {
		t.Errorf("events = %d, want 2", len(rep.Events))
	}
	if len(rep.Requests) != 1 || !strings.Contains(rep.Requests[0].URL, "key=***") {
		t.Errorf("request URL not redacted: %+v", rep.Requests)
	}
}

func TestSecretsNeverInJSON(t *testing.T) {
	_, srv := newSource(t)
	cases := []struct {
		poller string
		params map[string]string
	}{
		{"basic_linkheader.json", nil},
		{"apikey_params.json", map[string]string{"region": "eu-1", "tenant": "acme"}},
		// An unresolved placeholder and a failing source still must not leak.
		{"unresolved.json", nil},
		{"multi.json", map[string]string{"apiKey": "wrong-" + testAPIKey}},
	}
	for _, tc := range cases {
		t.Run(tc.poller, func(t *testing.T) {
			opts := baseOptions(srv, tc.poller)
			for k, v := range tc.params {
				opts.Params[k] = v
			}
			rep := mustRun(t, opts)
			var buf bytes.Buffer
			if err := rep.WriteJSON(&buf); err != nil {
				t.Fatal(err)
			}
			if err := rep.WriteText(&buf); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			for _, secret := range []string{
				testPass, testAPIKey, "wrong-" + testAPIKey,
				url.QueryEscape(testAPIKey),
				base64.StdEncoding.EncodeToString([]byte(testUser + ":" + testPass)),
			} {
				if strings.Contains(out, secret) {
					t.Errorf("output contains secret %q:\n%s", secret, out)
				}
			}
		})
	}
}

func TestUnresolvedPlaceholder(t *testing.T) {
	cases := []struct {
		poller string
		want   []string
	}{
		{poller: "unresolved.json", want: []string{
			`testdata/unresolved.json: $.properties.request.apiEndpoint: unresolved placeholder "tenantDomain" (give --param tenantDomain=VALUE)`,
			`$.properties.request.headers.X-Org: unresolved placeholder "orgId"`,
			"connection TenantPoller not run",
		}},
		{poller: "embedded.json", want: []string{
			`testdata/embedded.json: $.properties.request.apiEndpoint: unresolved placeholder "host" (give --param host=VALUE)`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.poller, func(t *testing.T) {
			src, srv := newSource(t)
			rep := mustRun(t, baseOptions(srv, tc.poller))
			for _, want := range tc.want {
				if !hasMessage(rep.Errors, filepath.FromSlash(want)) {
					t.Errorf("no error containing %q in:\n%s", want, strings.Join(rep.Errors, "\n"))
				}
			}
			if n := len(src.requests()); n != 0 {
				t.Errorf("source saw %d requests; nothing unresolved may be sent", n)
			}
			if len(rep.Requests) != 0 {
				t.Errorf("requests = %+v", rep.Requests)
			}
		})
	}
}

// An expression written inside text ("http://[[parameters('host')]/x") is
// resolved like a whole-string one (internal/arm's placeholder rule).
func TestEmbeddedExpressionResolved(t *testing.T) {
	src, srv := newSource(t)
	opts := baseOptions(srv, "embedded.json")
	opts.Params["host"] = strings.TrimPrefix(srv.URL, "http://")
	rep := mustRun(t, opts)
	wantNoErrors(t, rep)
	if reqs := src.requests(); len(reqs) != 1 || reqs[0].Path != "/alpha" {
		t.Errorf("requests = %+v", reqs)
	}
}

// A retried request shows every attempt; the page's events belong to the
// attempt that fetched them.
func TestRetriedRequestShowsAttempts(t *testing.T) {
	_, srv := newSource(t)
	opts := baseOptions(srv, "builtin_stream.json")
	opts.Params["baseUrl"] = srv.URL + "/flaky?x="
	var slept []time.Duration
	opts.Sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	rep := mustRun(t, opts)
	wantNoErrors(t, rep)
	if len(rep.Requests) != 2 {
		t.Fatalf("requests = %+v", rep.Requests)
	}
	first, second := rep.Requests[0], rep.Requests[1]
	if first.Status != 503 || first.Attempt != 1 || first.Events != 0 || !strings.Contains(first.Error, "transient") {
		t.Errorf("first attempt = %+v", first)
	}
	if second.Status != 200 || second.Attempt != 2 || second.Events != 1 || second.Error != "" {
		t.Errorf("second attempt = %+v", second)
	}
	if len(slept) == 0 {
		t.Error("the retry did not go through the injected Sleep")
	}
}

func TestBuiltinStreamWarns(t *testing.T) {
	_, srv := newSource(t)
	rep := mustRun(t, baseOptions(srv, "builtin_stream.json"))
	wantNoErrors(t, rep)
	if len(rep.Events) != 1 {
		t.Errorf("events = %d, want 1", len(rep.Events))
	}
	if !hasMessage(rep.Warnings, `stream "SENTINEL_DEMO" (properties.dcrConfig.streamName of connection BuiltinStreamPoller) is a built-in stream the DCR does not declare`) {
		t.Errorf("warnings = %v", rep.Warnings)
	}
}

func TestMultipleConnections(t *testing.T) {
	cases := []struct {
		name, poller, pick string
		wantPaths          []string
		wantErr            string
	}{
		{name: "all", poller: "multi.json", wantPaths: []string{"/alpha", "/beta"}},
		{name: "pick beta", poller: "multi.json", pick: "BetaPoller", wantPaths: []string{"/beta"}},
		{name: "pick case-insensitive", poller: "multi.json", pick: "alphapoller", wantPaths: []string{"/alpha"}},
		{name: "unknown", poller: "multi.json", pick: "Nope", wantErr: `no connection named "Nope" (connections in the file: AlphaPoller, BetaPoller)`},
		// An ARM template: the picked connection runs; the other one's
		// unresolved parameter is not reported because it is not picked.
		{name: "template pick", poller: "template.json", pick: "GammaPoller", wantPaths: []string{"/gamma"}},
		{name: "template all", poller: "template.json", wantPaths: []string{"/gamma"}, wantErr: `unresolved placeholder "deltaTenant"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src, srv := newSource(t)
			opts := baseOptions(srv, tc.poller)
			opts.Connection = tc.pick
			rep := mustRun(t, opts)
			if tc.wantErr == "" {
				wantNoErrors(t, rep)
			} else if !hasMessage(rep.Errors, tc.wantErr) {
				t.Errorf("no error containing %q in %v", tc.wantErr, rep.Errors)
			}
			var paths []string
			for _, r := range src.requests() {
				paths = append(paths, r.Path)
			}
			sort.Strings(paths)
			if !reflect.DeepEqual(paths, tc.wantPaths) {
				t.Errorf("paths = %v, want %v", paths, tc.wantPaths)
			}
			if len(rep.Events) != len(tc.wantPaths) {
				t.Errorf("events = %d, want %d", len(rep.Events), len(tc.wantPaths))
			}
		})
	}
}

func TestWindow(t *testing.T) {
	start := time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC)
	end := time.Date(2026, 1, 1, 1, 30, 0, 0, time.UTC)
	cases := []struct {
		name           string
		window         *[2]time.Time
		wantT0, wantT1 time.Time
		wantErr        string
	}{
		{name: "given", window: &[2]time.Time{start, end}, wantT0: start, wantT1: end},
		{name: "first window", wantT0: testNow.Add(-5 * time.Minute), wantT1: testNow},
		{name: "reversed", window: &[2]time.Time{end, start}, wantErr: "--window: start"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src, srv := newSource(t)
			opts := baseOptions(srv, "basic_linkheader.json")
			opts.Window = tc.window
			rep := mustRun(t, opts)
			if tc.wantErr != "" {
				if !hasMessage(rep.Errors, tc.wantErr) {
					t.Errorf("errors = %v", rep.Errors)
				}
				if n := len(src.requests()); n != 0 {
					t.Errorf("source saw %d requests", n)
				}
				return
			}
			reqs := src.requests()
			if len(reqs) == 0 {
				t.Fatalf("no request; errors %v", rep.Errors)
			}
			q := reqs[0].Query
			if got, want := q.Get("t0"), strconv.FormatInt(tc.wantT0.Unix(), 10); got != want {
				t.Errorf("t0 = %s, want %s", got, want)
			}
			if got, want := q.Get("t1"), strconv.FormatInt(tc.wantT1.Unix(), 10); got != want {
				t.Errorf("t1 = %s, want %s", got, want)
			}
		})
	}
}

func TestMaxPages(t *testing.T) {
	src, srv := newSource(t)
	opts := baseOptions(srv, "basic_linkheader.json")
	opts.MaxPages = 2
	rep := mustRun(t, opts)
	if n := len(src.requests()); n != 2 {
		t.Errorf("source saw %d requests, want 2", n)
	}
	if len(rep.Events) != 4 {
		t.Errorf("events = %d, want 4", len(rep.Events))
	}
}

func TestJSONShape(t *testing.T) {
	_, srv := newSource(t)
	for _, poller := range []string{"basic_linkheader.json", "unresolved.json"} {
		t.Run(poller, func(t *testing.T) {
			rep := mustRun(t, baseOptions(srv, poller))
			var buf bytes.Buffer
			if err := rep.WriteJSON(&buf); err != nil {
				t.Fatal(err)
			}
			// Exactly one object.
			dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
			var top map[string]json.RawMessage
			if err := dec.Decode(&top); err != nil {
				t.Fatalf("decoding: %v\n%s", err, buf.String())
			}
			if dec.More() {
				t.Fatalf("more than one JSON value:\n%s", buf.String())
			}
			var keys []string
			for k, v := range top {
				keys = append(keys, k)
				if string(v) == "null" {
					t.Errorf("key %s is null", k)
				}
			}
			sort.Strings(keys)
			if want := []string{"errors", "events", "requests", "rows", "warnings"}; !reflect.DeepEqual(keys, want) {
				t.Errorf("keys = %v, want %v", keys, want)
			}
			// Strictly: no field outside the documented ones.
			strict := json.NewDecoder(bytes.NewReader(buf.Bytes()))
			strict.DisallowUnknownFields()
			var doc struct {
				Requests []struct {
					Connection string `json:"connection"`
					Method     string `json:"method"`
					URL        string `json:"url"`
					Status     int    `json:"status"`
					Attempt    int    `json:"attempt"`
					Events     int    `json:"events"`
					LatencyMs  int64  `json:"latencyMs"`
					Next       string `json:"next"`
					Error      string `json:"error"`
				} `json:"requests"`
				Events   []any                       `json:"events"`
				Rows     map[string][]map[string]any `json:"rows"`
				Warnings []string                    `json:"warnings"`
				Errors   []string                    `json:"errors"`
			}
			if err := strict.Decode(&doc); err != nil {
				t.Fatalf("strict decoding: %v", err)
			}
			if len(doc.Requests) != len(rep.Requests) || len(doc.Events) != len(rep.Events) || len(doc.Errors) != len(rep.Errors) {
				t.Errorf("round trip lost entries")
			}
		})
	}
}

func TestEmptyReportJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := (&Report{}).WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"requests": []any{}, "events": []any{}, "rows": map[string]any{}, "warnings": []any{}, "errors": []any{}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestWriteText(t *testing.T) {
	_, srv := newSource(t)
	opts := baseOptions(srv, "basic_linkheader.json")
	opts.TableFiles = []string{fixture("table_alerts.json")}
	rep := mustRun(t, opts)
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	// Columns in the transform's output order.
	if !regexp.MustCompile(`TimeGenerated\s+SourceIP\s+DestIP\s+Message\s+Priority\n`).MatchString(out) {
		t.Errorf("alert columns not in output order:\n%s", out)
	}
	for _, want := range []string{
		"Requests (3)", "DemoAlertsPoller", "GET", srv.URL + "/events?", "200",
		"Events (5)",
		"Rows of Custom-DemoAlerts_CL (3)",
		"Rows of Microsoft-ASimFileEventLogs (2)",
		"Warnings (", "Errors (0)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
}

func TestUnusableInput(t *testing.T) {
	cases := []struct {
		name string
		opts Options
		want string
	}{
		{"missing poller", Options{PollerFile: fixture("nope.json")}, "reading poller file: open testdata/nope.json"},
		{"missing dcr", Options{PollerFile: fixture("multi.json"), DCRFile: fixture("nope.json")}, "reading DCR file"},
		{"missing table", Options{PollerFile: fixture("multi.json"), TableFiles: []string{fixture("nope.json")}}, "reading table file"},
		{"poller not JSON", Options{PollerFile: fixture("not-json.txt")}, "invalid JSON at line 1, col 2: invalid character 'h'"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(context.Background(), tc.opts)
			if err == nil {
				t.Fatal("Run succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestConfigProblemsAreReportErrors(t *testing.T) {
	_, srv := newSource(t)
	cases := []struct {
		name   string
		mutate func(*Options)
		want   string
	}{
		{"no connection in file", func(o *Options) { o.PollerFile = fixture("dcr.json") }, "no RestApiPoller connection found"},
		{"dcr file without dcr", func(o *Options) { o.DCRFile = fixture("table_alerts.json") }, "no data collection rule found"},
		{"stream not declared", func(o *Options) { o.PollerFile = fixture("wrong_stream.json") }, `stream "Custom-Elsewhere"`},
		{"source rejects credentials", func(o *Options) { o.Params["password"] = "wrong-password" }, "connection DemoAlertsPoller: window"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := baseOptions(srv, "basic_linkheader.json")
			tc.mutate(&opts)
			rep := mustRun(t, opts)
			if !hasMessage(rep.Errors, tc.want) {
				t.Errorf("no error containing %q in %v", tc.want, rep.Errors)
			}
		})
	}
}

func hasMessage(list []string, sub string) bool {
	for _, m := range list {
		if strings.Contains(m, sub) {
			return true
		}
	}
	return false
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	case int:
		return int64(x)
	case json.Number:
		n, _ := x.Int64()
		return n
	}
	return -1
}
