package loose

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/corpustest"
	"github.com/codeless/codeless/internal/engine"
	"github.com/codeless/codeless/internal/ingest"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/schema"
	"github.com/codeless/codeless/internal/secrets"
	"github.com/codeless/codeless/internal/store/duckdb"
)

// tokenReply answers every token or login request: each corpus token path
// ($.access_token, $.accessToken, $.token, $.jwt, $.systemToken) finds it.
const tokenReply = `{"access_token":"tok","accessToken":"tok","token":"tok","jwt":"tok","systemToken":"tok","token_type":"Bearer","expires_in":3600}`

// digits and sampled drop what differs between pages and windows of one
// connection: numbers, and values echoed from the sample event (a cursor
// taken from an event field).
var (
	digits  = regexp.MustCompile(`[0-9]+`)
	sampled = regexp.MustCompile(`value-[A-Za-z0-9_]+`)
)

// mergeJSON merges object b into object a (a wins on conflicts that are
// not both objects).
func mergeJSON(a, b any) any {
	am, ok1 := a.(map[string]any)
	bm, ok2 := b.(map[string]any)
	if !ok1 || !ok2 {
		return a
	}
	for k, v := range bm {
		if cur, ok := am[k]; ok {
			am[k] = mergeJSON(cur, v)
		} else {
			am[k] = v
		}
	}
	return am
}

// route is what the loopback source serves for one request path.
type route struct {
	paths   []string // eventsJsonPaths of the connections on this path
	cols    schema.Schema
	success map[string]string // simple successStatusJsonPath key → value
	served  map[string]bool   // request signatures that got their event
}

// catchAll is a loopback source for every host: token requests get
// tokenReply, event requests the route's one sample event on the first
// page and nothing after.
type catchAll struct {
	mu       sync.Mutex
	routes   map[string]*route // request path → route
	tokens   map[string]bool   // token endpoint paths
	requests int
}

func (c *catchAll) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	path := r.URL.Path
	if path == "" {
		path = "/"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests++
	rt, isToken := c.routes[path], c.tokens[path]
	w.Header().Set("Content-Type", "application/json")
	if isToken || strings.Contains(string(body), "grant_type=") {
		fmt.Fprint(w, tokenReply)
		return
	}
	if rt == nil {
		http.Error(w, `{"error":"no such endpoint"}`, http.StatusNotFound)
		return
	}
	// One event per request signature (the request without its digits:
	// connections sharing an endpoint differ by query or body; pages and
	// windows of one connection differ only by numbers), so later pages
	// and windows are empty, which stops every paging type.
	q := r.URL.Query()
	for k, vs := range q {
		if len(vs) > 0 && sampled.MatchString(vs[0]) {
			delete(q, k) // a cursor echoed from the sample event
		}
	}
	sig := digits.ReplaceAllString(sampled.ReplaceAllString(r.Method+" "+path+"?"+q.Encode()+"\n"+string(body), ""), "")
	events := []any{}
	if !rt.served[sig] {
		rt.served[sig] = true
		events = []any{corpustest.SampleEvent(rt.cols, time.Now())}
	}
	// Connections sharing the endpoint may read different paths (Wiz's
	// GraphQL queries): the reply carries the event at each of them.
	doc := corpustest.WrapEvents(rt.paths[0], events)
	for _, p := range rt.paths[1:] {
		doc = mergeJSON(doc, corpustest.WrapEvents(p, events))
	}
	if m, ok := doc.(map[string]any); ok {
		for k, v := range rt.success {
			m[k] = v
		}
	}
	json.NewEncoder(w).Encode(doc)
}

func isSimple(p string) bool { _, ok := corpustest.PathSteps(p); return ok }

// TestCorpusLooseFoldersPoll takes every corpus connector folder that
// deploys (TestCorpusLooseFolders), lets the engine's pollers run against a
// loopback source that answers every host (tokens for any auth exchange,
// one event per connection carrying its stream's columns, shaped by its
// eventsJsonPaths) and checks, per folder, that each connection polls a
// window without error and that its event becomes a row through the DCR
// transform. Outcomes are pinned in testdata/corpus-poll-expected.txt
// (-update rewrites it); what is not simulated says why.
func TestCorpusLooseFoldersPoll(t *testing.T) {
	root, names, groups := corpusFolders(t)
	var got []string
	ok := 0
	for _, g := range names {
		tmpl, outcome := folderTemplate(t, root, groups[g])
		if tmpl == nil || outcome != "ok" {
			continue
		}
		outcome = pollFolder(t, tmpl)
		if strings.HasPrefix(outcome, "deploy: ") {
			continue // pinned by TestCorpusLooseFolders
		}
		if strings.HasPrefix(outcome, "ok") {
			ok++
		}
		got = append(got, fmt.Sprintf("%s\t%s", g, outcome))
	}
	t.Logf("%d of %d deployable corpus connector folders polled into their tables", ok, len(got))
	compareLines(t, filepath.Join("testdata", "corpus-poll-expected.txt"), got)
}

// pollFolder deploys one folder's template into a fresh engine whose
// pollers reach a catch-all loopback source and reports the outcome.
func pollFolder(t *testing.T, tmpl []byte) string {
	src := &catchAll{routes: map[string]*route{}, tokens: map[string]bool{}}
	srv := httptest.NewServer(src)
	defer srv.Close()
	target, _ := url.Parse(srv.URL)
	st, err := duckdb.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keys, err := secrets.LoadOrCreateKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	e := engine.New(engine.Config{Subscription: env.Subscription, ResourceGroup: env.ResourceGroup, Workspace: env.Workspace,
		IngestURL: "http://127.0.0.1:7", Logger: log, HTTP: &http.Client{Transport: corpustest.Redirect{Target: target}}},
		st, ingest.New(st, ingest.Options{Logger: log}), keys)
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); e.Wait() }()
	if _, err := e.DeployTemplate(ctx, "loose", tmpl, nil); err != nil {
		return "deploy: " + firstLine(err.Error())
	}

	// Routes from the deployed connections and DCRs (before the pollers
	// start, so that the first window finds its event).
	dcrs := map[string]*resource.DCR{}
	raws, _ := e.ListResources(ctx, resource.KindDataCollectionRule)
	for _, raw := range raws {
		if d, err := resource.DecodeDCR(raw); err == nil {
			dcrs[d.ImmutableID] = d
		}
	}
	tables := map[string]bool{}
	for _, d := range dcrs {
		for _, f := range d.DataFlows {
			out := f.OutputStream
			if out == "" && len(f.Streams) > 0 {
				out = f.Streams[0]
			}
			if name, ok := strings.CutPrefix(out, "Custom-"); ok {
				tables[name] = true
			} else if name, ok := strings.CutPrefix(out, "Microsoft-"); ok {
				tables[name] = true
			}
		}
	}
	raws, _ = e.ListResources(ctx, resource.KindConnection)
	var conns []string
	for _, raw := range raws {
		c, err := resource.DecodeConnection(raw)
		if err != nil {
			return "decode connection: " + firstLine(err.Error())
		}
		p := c.Properties
		switch {
		case p.StepInfo != nil:
			return "not simulated: nested steps (connection " + c.Name + ")"
		case p.Response.Format != "" && !strings.EqualFold(p.Response.Format, "json"):
			return "not simulated: response format " + p.Response.Format + " (connection " + c.Name + ")"
		case len(p.Response.EventsJSONPaths) == 0 || !isSimple(p.Response.EventsJSONPaths[0]):
			return fmt.Sprintf("not simulated: eventsJsonPaths %q (connection %s)", p.Response.EventsJSONPaths, c.Name)
		}
		u, err := url.Parse(p.Request.APIEndpoint)
		if err != nil {
			return "connection " + c.Name + ": apiEndpoint: " + err.Error()
		}
		var cols schema.Schema
		if d := dcrs[p.DCRConfig.DataCollectionRuleImmutableID]; d != nil {
			if sd, ok := d.Stream(p.DCRConfig.StreamName); ok {
				cols = sd.Columns
			}
		}
		if len(cols) == 0 { // a built-in stream: nothing declares its columns
			cols = schema.Schema{{Name: "id", Type: schema.String}}
		}
		rpath := u.Path
		if rpath == "" {
			rpath = "/"
		}
		rt := src.routes[rpath]
		if rt == nil {
			rt = &route{success: map[string]string{}, served: map[string]bool{}}
			src.routes[rpath] = rt
		}
		if !slices.Contains(rt.paths, p.Response.EventsJSONPaths[0]) {
			rt.paths = append(rt.paths, p.Response.EventsJSONPaths[0])
		}
		if sp := p.Response.SuccessStatusJSONPath; sp != "" {
			key, ok := strings.CutPrefix(sp, "$.")
			if !ok || strings.ContainsAny(key, ".[]") {
				return "not simulated: successStatusJsonPath " + sp + " (connection " + c.Name + ")"
			}
			rt.success[key] = p.Response.SuccessStatusValue
		}
		for _, col := range cols {
			if rt.cols.Index(col.Name) < 0 {
				rt.cols = append(rt.cols, col)
			}
		}
		for k, v := range p.Auth.Fields {
			if s, ok := v.(string); ok && strings.Contains(strings.ToLower(k), "endpoint") {
				if tu, err := url.Parse(s); err == nil && tu.Path != u.Path {
					src.tokens[tu.Path] = true
				}
			}
		}
		conns = append(conns, c.Name)
	}
	if len(conns) == 0 {
		return "no connection deployed (every poller's condition is false with dummy inputs)"
	}
	sort.Strings(conns)
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		status := map[string]engine.Status{}
		for _, s := range e.Statuses() {
			status[s.Name] = s
		}
		done, why := true, ""
		for _, n := range conns {
			s := status[n]
			switch {
			case s.LastError != "":
				return fmt.Sprintf("connection %s: %s: %s", n, s.LastErrorClass, firstLine(s.LastError))
			case s.Windows < 1:
				done, why = false, "connection "+n+" polled no window"
			case s.Events < 1:
				return fmt.Sprintf("connection %s: window polled, 0 events (%d requests to the source)", n, src.requests)
			}
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			return "timeout: " + why
		}
		time.Sleep(20 * time.Millisecond)
	}
	rows := 0
	var names []string
	for tbl := range tables {
		names = append(names, tbl)
		res, err := e.Query(ctx, tbl+" | count")
		if err != nil {
			continue // a flow whose table the transform never created
		}
		var n int
		fmt.Sscan(fmt.Sprint(res.Rows[0][0]), &n)
		rows += n
	}
	sort.Strings(names)
	if rows < len(conns) {
		return fmt.Sprintf("%d connections polled one event each, but tables %v hold %d rows", len(conns), names, rows)
	}
	return fmt.Sprintf("ok: %d connections, %d rows in %s", len(conns), rows, strings.Join(names, ", "))
}
