package drytest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/corpustest"
	"github.com/codeless/codeless/internal/mockapi"
	"github.com/codeless/codeless/internal/poll"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/timefmt"
)

// endpointParamRe matches parameter names that hold a URL.
var endpointParamRe = regexp.MustCompile(`(?i)(endpoint|url|uri|host)$`)

// knownPollerBugs are connections whose failure is a poller bug outside
// this package, reported to its owner; the table shows them as
// "poller bug" with the reason and the failure.
var knownPollerBugs = map[string]string{
	"AnvilogicCCFPolling": "decode applies convertChildPropertiesToArray to the elements of a selected array " +
		"(Kusto's make_list answer), splitting each event into its field values; Azure converts only an object",
	"CiscoETDMessages": "poll rejects a step apiEndpoint that is a placeholder (\"$downloadUrl$\", the parent's presigned " +
		"download link) before the placeholder is substituted; it should check the URL after substitution",
	"CiscoMerakiNetworkClientsqrzh2kmnakvhc":   merakiEmptyPlaceholder,
	"CiscoMerakiAirMarshalEventsqrzh2kmnakvhc": merakiEmptyPlaceholder,
}

// merakiEmptyPlaceholder: `mvexpand res` over a network object yields one
// row per property, and only the "id" row has a networkId.
const merakiEmptyPlaceholder = "poll sends a nested request for placeholder rows whose value is empty " +
	"(mvexpand of the network object gives one row per property; only the id row has a networkId): " +
	"a row with an empty placeholder should send nothing"

// conformanceWindows is how many consecutive windows each connection runs.
const conformanceWindows = 3

// scenario is a source simulated from one connection's config: each window
// serves two pages of fresh events (one when the paging type is not
// simulated) at the config's eventsJsonPaths[0], with the next-page token,
// link or flag where the config's paging reads it; token endpoints of
// OAuth2 answer with a bearer token. It records every request.
type scenario struct {
	conn  *resource.Connection
	base  string
	oauth bool // answer token requests (grant_type=...) with a bearer token
	nest  *nestedSim

	mu       sync.Mutex
	window   int
	page     int // pages served in this window
	served   map[string]int
	requests []seenRequest
}

type seenRequest struct {
	window int
	text   string // method, unescaped URL, headers and body, for searching
	auth   string // Authorization header
	header http.Header
	body   string
}

// twoPages reports whether the paging type is simulated with two pages.
// A next-page token path below the events path (Prisma Cloud's
// "$.items.next_page_token" with events at "$.items") selects nothing in
// an event array: such a source sends one page, as in Azure.
func twoPages(pp resource.PollerProperties) bool {
	p := pp.Paging
	if p == nil {
		return false
	}
	if tokenInsideEvents(pp) || strings.EqualFold(strings.TrimSpace(p.NextPageTokenJSONPath), "null") {
		return false // "null" (Prisma Cloud audit): the poller pages once
	}
	switch strings.ToLower(p.PagingType) {
	case "linkheader", "persistentlinkheader":
		return true
	case "nextpagetoken", "persistenttoken", "nextpageurl":
		return p.NextPageTokenJSONPath != "" || p.NextPageTokenResponseHeader != ""
	}
	return false
}

var simplePathRe = regexp.MustCompile(`^\$?((\.[^.\[\]]+)|(\['[^']+'\])|(\[\*\])|(\[0\]))*$`)
var pathTokRe = regexp.MustCompile(`\.([^.\[\]]+)|\['([^']+)'\]|(\[\*\])|(\[0\])`)

// place puts v at a simple JSONPath inside doc (a map); unrooted and
// recursive-descent paths ("..x", "$..x") put it at the top level.
func place(doc any, path string, v any) (any, error) {
	path = strings.TrimSpace(path)
	if i := strings.LastIndex(path, ".."); i >= 0 {
		path = "$." + path[i+2:]
	}
	path = strings.ReplaceAll(path, ".[", "[")
	if path == "$" || path == "" {
		return nil, nil // the whole document
	}
	if !simplePathRe.MatchString(path) {
		return nil, fmt.Errorf("path %q not simulated", path)
	}
	toks := pathTokRe.FindAllStringSubmatch(path, -1)
	var set func(cur any, i int) any
	set = func(cur any, i int) any {
		if i == len(toks) {
			return v
		}
		t := toks[i]
		if t[3] != "" || t[4] != "" { // [*] or [0]
			if i == len(toks)-1 {
				if t[4] != "" {
					return []any{v} // v is the first element
				}
				return v // v is the array's elements
			}
			return []any{set(nil, i+1)}
		}
		key := t[1] + t[2]
		m, _ := cur.(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		m[key] = set(m[key], i+1)
		return m
	}
	return set(doc, 0), nil
}

// placeOr places v or leaves doc unchanged when the path is not simple.
func placeOr(doc any, path string, v any) any {
	out, err := place(doc, path, v)
	if err != nil || out == nil {
		return doc
	}
	return out
}

func (s *scenario) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	if s.oauth && (strings.Contains(string(body), "grant_type=") || r.URL.Query().Get("grant_type") != "") {
		fmt.Fprint(w, `{"access_token":"conformance-token","token_type":"Bearer","expires_in":3600}`)
		return
	}
	u, _ := url.QueryUnescape(r.URL.String())
	var hs []string
	for k, vs := range r.Header {
		hs = append(hs, k+": "+strings.Join(vs, ","))
	}
	sort.Strings(hs)
	seen := seenRequest{text: r.Method + " " + u + "\n" + strings.Join(hs, "\n") + "\n" + string(body),
		auth: r.Header.Get("Authorization"), header: r.Header.Clone(), body: string(body)}
	if s.nest != nil && s.nest.serve(w, r, seen) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seen.window = s.window
	s.requests = append(s.requests, seen)
	p := s.conn.Properties
	token := fmt.Sprintf("pgtok%dx", s.window)
	served := token
	if d := tokenDelimiter(p.Paging); d != "" {
		served = "cursor" + d + token // tokenTransform SplitOnDelimiter keeps the part after d
	}
	page := 0
	if s.page > 0 {
		page = 2 // past the last page: empty
		if twoPages(p) && strings.Contains(s.requests[len(s.requests)-1].text, token) && s.page == 1 {
			page = 1
		}
	}
	s.page++
	var events []any
	if page < 2 {
		for i := range 3 {
			id := fmt.Sprintf("w%d-p%d-e%d", s.window, page, i)
			ev := map[string]any{"id": id, "TimeGenerated": "2024-03-06T07:59:00Z", "message": "conformance " + id}
			if f := lastEventTokenField(p.Paging); f != "" {
				// The token is a field of the last event ("$.[-1:].log_id").
				ev[f] = served
				if page == 1 {
					ev[f] = fmt.Sprintf("end%d", s.window)
				}
			}
			if s.nest != nil {
				s.nest.decorate(ev, id)
			}
			events = append(events, ev)
			s.served[id]++
		}
	} else {
		events = []any{}
	}
	var doc any = map[string]any{}
	if pg := p.Paging; pg != nil && page == 0 && twoPages(p) {
		next := s.base + "/conformance-next?cursor=" + token
		switch strings.ToLower(pg.PagingType) {
		case "linkheader", "persistentlinkheader":
			// "Link" (Cisco Meraki) names the header, not a body path.
			if lp := strings.TrimSpace(pg.LinkHeaderTokenJSONPath); lp != "" && !strings.EqualFold(lp, "Link") {
				doc = placeOr(doc, pg.LinkHeaderTokenJSONPath, next)
			} else {
				w.Header().Set("Link", "<"+next+`>; rel="next"`)
			}
		case "nextpageurl":
			doc = placeOr(doc, pg.NextPageTokenJSONPath, next)
		default:
			if pg.NextPageTokenResponseHeader != "" {
				w.Header().Set(pg.NextPageTokenResponseHeader, served)
			} else if lastEventTokenField(pg) == "" {
				doc = placeOr(doc, pg.NextPageTokenJSONPath, served)
			}
		}
		if pg.HasNextFlagJSONPath != "" {
			doc = placeOr(doc, pg.HasNextFlagJSONPath, true)
		}
	}
	if sp := p.Response.SuccessStatusJSONPath; sp != "" {
		doc = placeOr(doc, sp, p.Response.SuccessStatusValue)
	}
	var payload any = events
	if p.Response.ConvertChildPropertiesToArray && !filterPathRe.MatchString(p.Response.EventsJSONPaths[0]) {
		// The source answers {"<key>": event, ...}; the poller turns the
		// child properties into an array.
		m := map[string]any{}
		for i, e := range events {
			m[fmt.Sprintf("k%d", i)] = e
		}
		payload = m
	}
	out, err := placeEvents(doc, p.Response.EventsJSONPaths[0], payload)
	switch {
	case err != nil:
		http.Error(w, err.Error(), http.StatusTeapot)
		return
	case out == nil:
		out = payload
	}
	b, ctype, err := mockapi.EncodeDocument(p.Response.Format, out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusTeapot)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Write(b)
}

// filterPathRe is an events path that starts with a filter on the root
// array (Anvilogic's Kusto v2 answer:
// "$[?(@.TableKind == 'PrimaryResult')].Rows[0][0]").
var filterPathRe = regexp.MustCompile(`^\$\[\?\(@\.([A-Za-z0-9_]+)\s*==\s*'([^']*)'\)\](.*)$`)

// placeEvents is place, plus root filter paths: the document is then an
// array of frames where one frame matches the filter and holds the events
// at the rest of the path; the others (Kusto's DataSetHeader and
// completion frames) do not match.
func placeEvents(doc any, path string, v any) (any, error) {
	m := filterPathRe.FindStringSubmatch(strings.TrimSpace(path))
	if m == nil {
		return place(doc, path, v)
	}
	frame, err := place(map[string]any{m[1]: m[2], "FrameType": "DataTable"}, "$"+m[3], v)
	if err != nil {
		return nil, err
	}
	return []any{
		map[string]any{"FrameType": "DataSetHeader", "Version": "v2.0"},
		map[string]any{"FrameType": "DataTable", m[1]: m[2] + "-not", "Rows": []any{[]any{"decoy"}}},
		frame,
		map[string]any{"FrameType": "DataSetCompletion", "HasErrors": false},
	}, nil
}

// tokenInsideEvents reports whether nextPageTokenJsonPath lies below the
// first events path (a property of the event array).
func tokenInsideEvents(pp resource.PollerProperties) bool {
	if pp.Paging == nil || len(pp.Response.EventsJSONPaths) == 0 || lastEventTokenField(pp.Paging) != "" {
		return false
	}
	ev := strings.TrimSuffix(strings.TrimSpace(pp.Response.EventsJSONPaths[0]), "[*]")
	tok := strings.TrimSpace(pp.Paging.NextPageTokenJSONPath)
	return ev != "" && ev != "$" && strings.HasPrefix(tok, ev+".")
}

var lastEventRe = regexp.MustCompile(`^\$\.?\[-1:?\]\.([A-Za-z0-9_]+)$`)

// lastEventTokenField is the event field holding the next-page token when
// nextPageTokenJsonPath selects it from the last event.
func lastEventTokenField(p *resource.Paging) string {
	if p == nil {
		return ""
	}
	if m := lastEventRe.FindStringSubmatch(strings.TrimSpace(p.NextPageTokenJSONPath)); m != nil {
		return m[1]
	}
	return ""
}

// tokenDelimiter is the SliceDelimiter of a SplitOnDelimiter tokenTransform.
func tokenDelimiter(p *resource.Paging) string {
	if p == nil {
		return ""
	}
	tt, _ := lookup(p.Fields, "tokenTransform")
	m, _ := tt.(map[string]any)
	d, _ := lookup(m, "SliceDelimiter")
	str, _ := d.(string)
	return str
}

// notSimulated names what the scenario cannot serve for conn ("" = runs).
func notSimulated(conn *resource.Connection) string {
	p := conn.Properties
	if p.StepInfo != nil {
		if _, err := newNestedSim(&p); err != nil {
			return "nested steps: " + err.Error()
		}
	}
	switch f := strings.ToLower(p.Response.Format); f {
	case "", "json", "jsonlines", "xml":
	default:
		return "response format " + p.Response.Format + " not simulated"
	}
	if p.Response.IsGzipCompressed || p.Response.CompressionAlgo != "" {
		return "compressed responses not simulated"
	}
	if len(p.Response.EventsJSONPaths) == 0 {
		return "no eventsJsonPaths"
	}
	if _, err := placeEvents(map[string]any{}, p.Response.EventsJSONPaths[0], []any{}); err != nil {
		return "eventsJsonPaths " + err.Error()
	}
	switch strings.ToLower(p.Auth.Type) {
	case "session":
		return "auth " + p.Auth.Type + ": login exchange not simulated (tested in poll/auth)"
	}
	return ""
}

// checkRequests verifies that the requests carry what the config says:
// the auth header and the window bounds.
func checkRequests(conn *resource.Connection, reqs []seenRequest, windows [][2]time.Time) []string {
	var problems []string
	p := conn.Properties
	a := p.Auth
	tf, _ := timefmt.Compile(p.Request.QueryTimeFormat)
	for _, q := range reqs {
		switch strings.ToLower(a.Type) {
		case "basic":
			if !strings.HasPrefix(q.auth, "Basic ") {
				problems = append(problems, "request without Basic auth")
			}
		case "apikey":
			name := "Authorization"
			if a.APIKeyName != nil && *a.APIKeyName != "" {
				name = *a.APIKeyName
			}
			if !a.IsAPIKeyInPostPayload && !strings.Contains(q.header.Get(name), a.APIKey) && !strings.Contains(q.text, a.APIKey) {
				problems = append(problems, fmt.Sprintf("request without the API key in %s", name))
			}
		case "oauth2":
			if !strings.Contains(q.auth, "conformance-token") && !strings.Contains(q.text, "conformance-token") {
				problems = append(problems, "request without the OAuth2 access token")
			}
		}
	}
	method := strings.ToUpper(strings.TrimSpace(p.Request.HTTPMethod))
	if method == "" {
		method = http.MethodGet
	}
	for _, q := range reqs {
		if !strings.HasPrefix(q.text, method+" ") {
			got, _, _ := strings.Cut(q.text, " ")
			problems = append(problems, fmt.Sprintf("request method %s, want %s (httpMethod %q)", got, method, p.Request.HTTPMethod))
		}
	}
	usesWindow := p.Request.StartTimeAttributeName != "" || p.Request.QueryTimeIntervalAttributeName != ""
	blob, _ := json.Marshal(p.Request)
	usesWindow = usesWindow || strings.Contains(string(blob), "{_QueryWindowStartTime}")
	if usesWindow && tf != nil {
		for w, win := range windows {
			found := false
			want := tf.Format(win[0])
			for _, q := range reqs {
				if q.window == w && strings.Contains(q.text, want) {
					found = true
					break
				}
			}
			if !found {
				problems = append(problems, fmt.Sprintf("window %d: no request carries its start %q", w, want))
			}
		}
	}
	sort.Strings(problems)
	return dedupe(problems)
}

// TestPollerConformance runs every polling connection of the corpus for
// several windows against a source simulated from its own config and checks
// that every served event reaches the sink exactly once and that requests
// carry the configured auth and window bounds. The table of results is
// docs/poller-conformance.md (-update rewrites it; otherwise it must match,
// so newly supported types show up as changes).
func TestPollerConformance(t *testing.T) {
	dir := corpustest.Dir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	counts := map[string]int{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		if !strings.Contains(strings.ToLower(text), `"restapipoller"`) || strings.Contains(filepath.Base(f), "mainTemplate") {
			continue
		}
		rel, _ := filepath.Rel(dir, f)
		params := map[string]any{}
		for k, v := range dummyParams(text) {
			if endpointParamRe.MatchString(k) && !strings.Contains(v, "://") && !strings.HasSuffix(v, "example") {
				v = "https://source.example/" + k // a URL, not a secret or number guess
			}
			params[k] = paramValue(v)
		}
		// ARM conditions over Dropdown selections: run the file once per
		// parameter choice the conditions test for, each connection once.
		rep := newReport()
		ld := &loaded{}
		ran := map[string]bool{}
		for _, variant := range conditionVariants(text, params) {
			vrep := newReport()
			l, err := loadPoller(data, rel, variant, "", vrep)
			if err != nil {
				t.Fatalf("%s: %v", rel, err)
			}
			rep.Errors = append(rep.Errors, vrep.Errors...)
			rep.Warnings = append(rep.Warnings, vrep.Warnings...)
			for _, c := range l.conns {
				if !ran[c.Name] {
					ran[c.Name] = true
					ld.conns = append(ld.conns, c)
				}
			}
		}
		if len(ld.conns) == 0 {
			msg := "no runnable connection"
			if len(rep.Errors) > 0 {
				msg = "load error: " + firstLine(rep.Errors[0])
			} else if len(rep.Warnings) > 0 {
				msg += ": " + firstLine(rep.Warnings[0])
			}
			status := "config error"
			if len(rep.Errors) == 0 && len(rep.Warnings) > 0 && strings.Contains(rep.Warnings[0], "condition") {
				// ARM conditions over Dropdown selections are false with the
				// test's invented parameter values.
				status, msg = "not run", "condition false with the test's dummy parameters: "+firstLine(rep.Warnings[0])
			}
			rows = append(rows, row(rel, "-", "-", "-", status, msg))
			counts[status]++
			continue
		}
		for _, conn := range ld.conns {
			status, detail := runConformance(t, conn)
			pt := "None"
			if conn.Properties.Paging != nil {
				pt = conn.Properties.Paging.PagingType
			}
			if why, ok := knownPollerBugs[conn.Name]; ok && (status == "FAIL" || status == "config error") {
				// Listed in the table, not hidden: when the poller is
				// fixed the row turns ok and this golden must be updated.
				status, detail = "poller bug", why+" — "+detail
			}
			rows = append(rows, row(rel, conn.Name, conn.Properties.Auth.Type, pt, status, detail))
			counts[status]++
			if status == "FAIL" {
				t.Errorf("%s %s: %s", rel, conn.Name, detail)
			}
		}
	}
	var b strings.Builder
	b.WriteString("# Poller conformance on the corpus\n\n")
	b.WriteString("Generated by `go test ./internal/drytest -run TestPollerConformance -update` (compared otherwise).\n")
	b.WriteString("Each polling connection of `../shared/corpus/azure-sentinel` runs " + fmt.Sprint(conformanceWindows) +
		" windows against a source simulated from its own config (auth, paging, response paths);\n" +
		"`ok` means every served event reached the sink exactly once and every request carried the configured auth and window start.\n" +
		"`config error` is the poller's own error for a config it does not accept; `not run` gives the reason;\n" +
		"`poller bug` is a failure of ours outside the simulator, named in the detail and reported (it turns `ok` once fixed).\n" +
		"How each source is simulated, the decisions taken and the tests of the corpus-stats §11 oddities follow the table.\n\n")
	var keys []string
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "- %s: %d\n", k, counts[k])
	}
	b.WriteString("\n| file | connection | auth | paging | result | detail |\n|---|---|---|---|---|---|\n")
	for _, r := range rows {
		b.WriteString(r + "\n")
	}
	b.WriteString(conformanceNotes)
	golden := filepath.Join("..", "..", "docs", "poller-conformance.md")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(want) != b.String() {
		t.Errorf("docs/poller-conformance.md is out of date (run with -update and review the diff):\n%s", diffLines(string(want), b.String()))
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

func row(cells ...string) string {
	for i, c := range cells {
		cells[i] = strings.ReplaceAll(strings.ReplaceAll(c, "|", `\|`), "\n", " ")
	}
	return "| " + strings.Join(cells, " | ") + " |"
}

func diffLines(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	in := map[string]bool{}
	for _, l := range al {
		in[l] = true
	}
	inB := map[string]bool{}
	for _, l := range bl {
		inB[l] = true
	}
	var out []string
	for _, l := range al {
		if !inB[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range bl {
		if !in[l] {
			out = append(out, "+ "+l)
		}
	}
	if len(out) > 40 {
		out = append(out[:40], "…")
	}
	return strings.Join(out, "\n")
}

// runConformance runs one connection and returns its table status.
func runConformance(t *testing.T, conn *resource.Connection) (status, detail string) {
	if why := notSimulated(conn); why != "" {
		return "not run", why
	}
	s := &scenario{conn: conn, served: map[string]int{}}
	if conn.Properties.StepInfo != nil {
		s.nest, _ = newNestedSim(&conn.Properties)
	}
	now := time.Date(2024, 3, 6, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	handler, authProblems, err := protect(conn, s, clock)
	if err != nil {
		return "FAIL", "simulating auth: " + err.Error()
	}
	srv := httptest.NewServer(handler)
	defer srv.Close()
	s.base = srv.URL
	target, _ := url.Parse(srv.URL)
	s.oauth = strings.EqualFold(conn.Properties.Auth.Type, "OAuth2")
	sink := &conformanceSink{}
	r, err := poll.New(poll.Config{Name: conn.Name, Conn: conn, Sink: sink, Now: func() time.Time { return now },
		Sleep:  func(ctx context.Context, d time.Duration) error { return ctx.Err() },
		HTTP:   &http.Client{Transport: rerouter{target: target, next: http.DefaultTransport}},
		Logger: slog.New(slog.DiscardHandler), MaxPages: 5})
	if err != nil {
		msg := err.Error()
		msg = strings.TrimPrefix(msg, "connection "+conn.Name+": ")
		return "config error", firstLine(msg)
	}
	start, end := poll.FirstWindow(conn, now)
	var windows [][2]time.Time
	for w := range conformanceWindows {
		s.mu.Lock()
		s.window, s.page = w, 0
		s.mu.Unlock()
		windows = append(windows, [2]time.Time{start, end})
		if _, err := r.PollWindow(context.Background(), start, end); err != nil {
			return "FAIL", fmt.Sprintf("window %d: %s", w, firstLine(err.Error()))
		}
		start, end = end, end.Add(end.Sub(start))
	}
	got := map[string]int{}
	for _, e := range sink.events {
		if m, ok := e.(map[string]any); ok {
			if id, ok := m["id"].(string); ok {
				got[id]++
			}
		}
	}
	var problems []string
	if os.Getenv("CONFORMANCE_DEBUG") == conn.Name {
		t.Logf("sink %v requests %+v", sink.events, s.requests)
		if s.nest != nil {
			t.Logf("step requests %+v", s.nest.requests)
		}
	}
	if s.nest != nil {
		// Details replace (non-joined steps) or extend (joined) the
		// parents: the nested ledger decides what the sink must hold.
		got = nil
		problems = append(problems, s.nest.check(sink.events)...)
	}
	for id, n := range s.served {
		if s.nest == nil && got[id] != n {
			problems = append(problems, fmt.Sprintf("event %s served %d, stored %d", id, n, got[id]))
		}
	}
	for id := range got {
		if s.served[id] == 0 {
			problems = append(problems, "event "+id+" stored but never served")
		}
	}
	sort.Strings(problems)
	pagesPerWindow := 1
	if twoPages(conn.Properties) {
		pagesPerWindow = 2
	}
	if want := conformanceWindows * pagesPerWindow * 3; len(s.served) != want {
		// Page 2 is served only to a request that carries page 1's token or
		// link: fewer events mean the paging parameter was not sent.
		problems = append(problems, fmt.Sprintf("paging: served %d events, want %d (next-page token or link not carried)", len(s.served), want))
	}
	problems = append(problems, checkRequests(conn, s.requests, windows)...)
	problems = append(problems, authProblems()...)
	if len(problems) > 0 {
		return "FAIL", strings.Join(problems[:min(3, len(problems))], "; ")
	}
	pages := "1 page"
	switch {
	case twoPages(conn.Properties):
		pages = "2 pages"
	case tokenInsideEvents(conn.Properties):
		pages = "1 page (nextPageTokenJsonPath lies inside the event array: no token)"
	case conn.Properties.Paging != nil && strings.EqualFold(strings.TrimSpace(conn.Properties.Paging.NextPageTokenJSONPath), "null"):
		pages = `1 page (nextPageTokenJsonPath "null")`
	}
	if n := s.nest; n != nil {
		what := "parents not ingested"
		if n.anyJoin {
			what = "each joined with its details"
		}
		var ids []string
		for id := range n.steps {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		return "ok", fmt.Sprintf("%d windows × %s, %d parents → %d details exactly once (%s; steps %s), %d + %d requests",
			conformanceWindows, pages, len(s.served), len(n.details), what, strings.Join(ids, ", "), len(s.requests), len(n.requests))
	}
	return "ok", fmt.Sprintf("%d windows × %s, %d events exactly once, %d requests", conformanceWindows, pages, len(got), len(s.requests))
}

type conformanceSink struct {
	mu     sync.Mutex
	events []any
}

func (c *conformanceSink) Commit(_ context.Context, events []any, _ []byte) error {
	c.mu.Lock()
	c.events = append(c.events, events...)
	c.mu.Unlock()
	return nil
}

// noAuthStep reports whether path is a nested step's simulated endpoint
// (/conformance-step/<id>/...) whose step declares auth None: such steps
// (Cisco ETD's presigned download links) are not behind the auth server.
func noAuthStep(conn *resource.Connection, path string) bool {
	rest, ok := strings.CutPrefix(path, "/conformance-step/")
	if !ok {
		return false
	}
	id, _, _ := strings.Cut(rest, "/")
	st := conn.Properties.StepCollectorConfigs[id]
	return st != nil && st.Auth != nil && strings.EqualFold(st.Auth.TypeOrAlias(), "None")
}

// protect puts the simulated source s behind the auth server the
// connection's auth object describes (mockapi derives it from the config on
// its own): a JwtToken token endpoint whose tokens the data requests must
// carry, or a CiscoDuo / AliCloudSlsV1 signature verifier. problems lists
// what the auth server rejected, after the run.
func protect(conn *resource.Connection, s http.Handler, now func() time.Time) (h http.Handler, problems func() []string, err error) {
	a := conn.Properties.Auth
	none := func() []string { return nil }
	switch strings.ToLower(a.Type) {
	case "jwttoken":
		login, err := mockapi.NewJwtLogin(a.Fields, now)
		if err != nil {
			return nil, nil, err
		}
		data := login.Protect(login.Prefix, s)
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == login.TokenPath {
				login.ServeHTTP(w, r)
				return
			}
			if noAuthStep(conn, r.URL.Path) {
				s.ServeHTTP(w, r) // the nested simulation checks no token is sent
				return
			}
			data.ServeHTTP(w, r)
		})
		return h, func() []string {
			var out []string
			if login.Issued() == 0 {
				out = append(out, fmt.Sprintf("JwtToken: no token issued (%d login requests refused)", login.Logins()))
			}
			if n := login.Rejected(); n > 0 {
				out = append(out, fmt.Sprintf("JwtToken: %d data requests without a live token", n))
			}
			return out
		}, nil
	case "ciscoduo":
		v, err := mockapi.NewDuoVerifierFor(a.Fields, now)
		if err != nil {
			return nil, nil, err
		}
		return v.Protect(s), func() []string { return signProblems("CiscoDuo", v) }, nil
	case "alicloudslsv1":
		v, err := mockapi.NewSLSVerifierFor(a.Fields)
		if err != nil {
			return nil, nil, err
		}
		return v.Protect(s), func() []string { return signProblems("AliCloudSlsV1", v) }, nil
	}
	return s, none, nil
}

func signProblems(kind string, v interface{ Counts() (int, int) }) []string {
	ok, bad := v.Counts()
	switch {
	case bad > 0:
		return []string{fmt.Sprintf("%s: %d requests with a wrong signature", kind, bad)}
	case ok == 0:
		return []string{kind + ": no signed request"}
	}
	return nil
}

var (
	containsCondRe = regexp.MustCompile(`contains\(\s*parameters\('([^']+)'\)\s*,\s*'([^']*)'\s*\)`)
	equalsCondRe   = regexp.MustCompile(`equals\(\s*parameters\('([^']+)'\)(\[0\])?\s*,\s*'([^']*)'\s*\)`)
)

// conditionVariants returns the parameter sets under which every ARM
// `condition` of the file (contains/equals over parameters, as the corpus
// writes them) can be true: a parameter tested with contains() becomes the
// array of every value tested for; one tested with equals() takes each
// tested value in turn (as the first element when indexed [0]). The
// variants are the cross product of those choices; base is the rest.
func conditionVariants(text string, base map[string]any) []map[string]any {
	arrays := map[string][]any{}
	for _, m := range containsCondRe.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(arrays[m[1]], any(m[2])) {
			arrays[m[1]] = append(arrays[m[1]], m[2])
		}
	}
	type choice struct {
		name    string
		indexed bool
		values  []string
	}
	var choices []*choice
	byName := map[string]*choice{}
	for _, m := range equalsCondRe.FindAllStringSubmatch(text, -1) {
		c := byName[m[1]]
		if c == nil {
			c = &choice{name: m[1], indexed: m[2] != ""}
			byName[m[1]] = c
			choices = append(choices, c)
		}
		if !slices.Contains(c.values, m[3]) {
			c.values = append(c.values, m[3])
		}
	}
	first := maps.Clone(base)
	for k, v := range arrays {
		first[k] = v
	}
	out := []map[string]any{first}
	for _, c := range choices {
		var next []map[string]any
		for _, v := range out {
			for _, val := range c.values {
				n := maps.Clone(v)
				if c.indexed {
					n[c.name] = []any{val}
				} else {
					n[c.name] = val
				}
				next = append(next, n)
			}
		}
		out = next
	}
	return out
}

// conformanceNotes ends docs/poller-conformance.md.
const conformanceNotes = `
## How the sources are simulated

- **Requests.** Every request must use the configured method in upper case
  (` + "`Get`/`Post`" + ` go out as GET/POST), carry the configured auth and, when the
  request uses the window, each window's start in the configured time format.
  Page 2 is served only to a request carrying page 1's token or link.
- **Auth.** OAuth2 token requests get a bearer token that data requests must
  carry. JwtToken: ` + "`mockapi.NewJwtLogin`" + ` derives the token endpoint from the
  auth object on its own (method, credentials in the Authorization header,
  Basic header, query, JSON or form body under the configured keys, required
  headers, token at ` + "`JwtTokenJsonPath`" + `) and every data request must carry a
  token it issued (` + "`Bearer`" + `, or raw with ` + "`NoAccessTokenPrepend`" + `). CiscoDuo and
  AliCloudSlsV1: ` + "`mockapi.NewDuoVerifierFor`" + ` / ` + "`NewSLSVerifierFor`" + ` recompute each
  request's signature, independently of poll/auth.
- **ARM conditions.** A file with ` + "`condition`" + `s runs once per parameter choice its
  conditions test: a parameter tested with ` + "`contains()`" + ` is the array of every
  tested value, one tested with ` + "`equals()`" + ` takes each value in turn (as element
  0 when indexed); each connection runs once.
- **Formats.** JSON; JSON lines (one event per line, Link header); XML through
  Json.NET's mapping (QualysVM's next link as ` + "`URL/#cdata-section`" + `); an events
  path starting with a root filter (Anvilogic's
  ` + "`$[?(@.TableKind == 'PrimaryResult')].Rows[0][0]`" + `) gets Kusto v2 frames with a
  decoy table and ` + "`make_list`" + `'s array of events.
- **Nested steps.** Parent events get the fields each step's
  ` + "`stepPlaceholdersParsingKql`" + ` reads (derived from the KQL: ` + "`res.x`" + `, ` + "`res['x']`" + `,
  ` + "`mvexpand`" + ` → arrays, ` + "`tostring()`" + `); detail endpoints come from
  ` + "`stepCollectorConfigs`" + ` (a placeholder that is the whole endpoint gets a URL back
  to the source, one after the host a path). Each detail request must carry
  every placeholder of exactly one parent; it gets one detail event in the
  step's format. The sink must hold every detail once, and each parent once
  when a root step joins its data, never when none does.
- **Paging quirks.** Cisco Meraki's ` + "`linkHeaderTokenJsonPath: \"Link\"`" + ` is the Link
  header. A next-page token path inside the event array (Prisma Cloud alerts:
  ` + "`$.items.next_page_token`" + ` with events at ` + "`$.items`" + `) and the literal ` + "`\"null\"`" + `
  (Prisma Cloud audit) select nothing: one page per window, as in Azure.

## Decisions

- **Built-in streams without a transform** (corpus-stats §11.4). CrowdStrike
  polls into ` + "`SENTINEL_CROWDSTRIKEALERTS`" + `, Illumio into ` + "`ILUMIO_INSIGHTS`" + `; their DCRs
  declare no stream and have a transform-less flow from
  ` + "`Microsoft-SentinelCrowdStrikeAlerts`" + ` / ` + "`Microsoft-IlumioInsights`" + `. A Sentinel user
  expects the events in that table, unchanged. So: the built-in stream is
  matched to the DCR flow whose Microsoft-* stream has the same name ignoring
  the ` + "`Microsoft-`" + ` prefix, case, ` + "`_`" + ` and ` + "`-`" + `; its events go unchanged to that
  flow's table (Microsoft-X → X; columns inferred, TimeGenerated set to the
  ingestion time when missing or out of range). Never dropped: without such
  a flow it is a named warning in ` + "`codeless test`" + ` and an ` + "`InvalidStream`" + ` error
  when the connection is created (field ` + "`properties.dcrConfig.streamName`" + `). One
  matcher, ` + "`resource.DCR.BuiltinFlow`" + `, serves ` + "`codeless test`" + `, the engine's connection
  check, deploy-time DCR binding and the engine's sink (engine TestBuiltinStreamPolls).
- **Wiz's GraphQL cursor** via ` + "`queryParameters`" + ` (§11.5): the body is the
  configured ` + "`query`" + ` and ` + "`variables`" + ` (a JSON string, with Wiz's own literal
  ` + "`_APIQueryStartTime_`" + `, which is no documented token and is sent as is); the
  cursor goes out as the query parameter ` + "`after`" + ` (the default placement).
  Whether Azure puts it into ` + "`variables`" + ` is not documented: open.
- **Known poller bugs** are rows with result ` + "`poller bug`" + `; each detail names
  the fix. They are outside this test's packages and were reported.

## The corpus-stats §11 oddities and their tests

| oddity | test |
|---|---|
| CiscoDuo HMAC, AliCloudSlsV1 signatures | poll/auth TestDuoPublishedSignatures, TestSLSPublishedSignatures; this table (mockapi verifiers on every request) |
| step-level ` + "`AuthType: None`" + ` | the nested simulation refuses a token on such a step (Cisco ETD row); the poller reads ` + "`AuthType`" + ` as ` + "`type`" + ` (resource.Auth.TypeOrAlias) |
| httpMethod ` + "`Get`/`Post`" + ` | drytest TestCorpusOddities (Auth0, Cortex XDR); this table (method of every request) |
| ` + "`UnixTimestampInMills`" + `, .NET formats incl. ` + "`yyyy-MM-ddTHH`" + ` | timefmt tests; this table (window start in the configured format) |
| ` + "`SENTINEL_*`" + ` / ` + "`ILUMIO_INSIGHTS`" + ` streams | drytest TestCorpusOddities (CrowdStrike, Illumio rows) |
| Slack ` + "`paging.condition`" + ` | paging TestPagingTypes; drytest TestCorpusOddities (cursor ` + "`…=`" + ` on the wire as ` + "`%3D`" + `, stop without response_metadata) |
| GraphQL body, ` + "`pagingInfoPlacement: RequestBody`" + ` (SentinelOne) | paging TestPagingTypes; drytest TestCorpusOddities (` + "`variables.after`" + `, query kept) |
| GraphQL cursor via queryParameters (Wiz) | drytest TestCorpusOddities |
| ARM templates as poller files, ARM ` + "`condition`" + `, ARM in numeric fields | drytest load tests; this table (condition variants); TestCorpusOddities (Workday ` + "`int()`" + `, VersasecCMS ` + "`[parameters()]`" + `) |
| non-JSON responses (xml, jsonlines, csv in a nested step) | this table (QualysVM, Island, Salesforce detail CSV) |
| unrooted paths ` + "`..scrollCursor`" + `, ` + "`\"\"`" + ` | drytest TestCorpusOddities (ZeroNetworks, CrowdStrike); paging TestPagingTypes |
`
