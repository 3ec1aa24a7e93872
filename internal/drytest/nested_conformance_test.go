package drytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/codeless/codeless/internal/mockapi"
	"github.com/codeless/codeless/internal/resource"
)

// The nested-step part of the conformance scenario (reference/ccf-format.md
// §3): parent events carry the fields each step's
// stepPlaceholdersParsingKql reads (derived from the KQL itself), detail
// endpoints are derived from stepCollectorConfigs, every detail request
// must carry the placeholder values of exactly one parent, and each
// detail event is served once so the sink can be checked for exactly-once
// delivery of details (and of parents, when a step joins its data).

// tnode is the shape a placeholder KQL expects of its input: an object
// with fields, an array (mv-expand) of elements, or a scalar that becomes
// placeholder column leaf.
type tnode struct {
	fields map[string]*tnode
	keys   []string // field order
	elem   *tnode
	leaf   string
}

func (n *tnode) field(name string) *tnode {
	if n.fields == nil {
		n.fields = map[string]*tnode{}
	}
	c := n.fields[name]
	if c == nil {
		c = &tnode{}
		n.fields[name] = c
		n.keys = append(n.keys, name)
	}
	return c
}

var (
	kqlAssignRe = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+?)\s*$`)
	kqlCallRe   = regexp.MustCompile(`^(?:tostring|tolong|toint|todynamic|parse_json)\((.*)\)$`)
	kqlRefRe    = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z_][A-Za-z0-9_]*|\['[^']*'\]|\["[^"]*"\])*)$`)
	kqlSegRe    = regexp.MustCompile(`\.([A-Za-z_][A-Za-z0-9_]*)|\['([^']*)'\]|\["([^"]*)"\]`)
	kqlExpandRe = regexp.MustCompile(`^(?:mvexpand|mv-expand)\s+([A-Za-z_][A-Za-z0-9_]*)$`)
)

// kqlShape derives the input shape from a placeholder KQL of the forms
// the corpus uses: `source | project res = parse_json(data) | project a =
// res.x, b = res['y'] | mvexpand a | project p = tostring(a['id'])`. It
// returns the root shape and the placeholder columns ("source" alone: none).
func kqlShape(kql string) (*tnode, []string, error) {
	stages := strings.Split(kql, "|")
	if strings.TrimSpace(stages[0]) != "source" {
		return nil, nil, fmt.Errorf("placeholder KQL %q does not start with source", kql)
	}
	root := &tnode{}
	aliases := map[string]*tnode{}
	var cols []string
	for _, st := range stages[1:] {
		st = strings.TrimSpace(st)
		if m := kqlExpandRe.FindStringSubmatch(st); m != nil {
			n := aliases[m[1]]
			if n == nil {
				return nil, nil, fmt.Errorf("placeholder KQL: mv-expand of unknown column %q", m[1])
			}
			if n == root {
				continue // a property bag expands into one-key bags: lookups still resolve
			}
			if n.elem == nil {
				n.elem = &tnode{}
			}
			aliases[m[1]] = n.elem
			continue
		}
		verb, rest, _ := strings.Cut(st, " ")
		if verb != "project" && verb != "extend" {
			return nil, nil, fmt.Errorf("placeholder KQL stage %q not simulated", st)
		}
		next := map[string]*tnode{}
		if verb == "extend" {
			for k, v := range aliases {
				next[k] = v
			}
		}
		cols = cols[:0]
		for _, a := range strings.Split(rest, ",") {
			m := kqlAssignRe.FindStringSubmatch(a)
			if m == nil {
				return nil, nil, fmt.Errorf("placeholder KQL: assignment %q not simulated", a)
			}
			expr := m[2]
			for {
				c := kqlCallRe.FindStringSubmatch(expr)
				if c == nil {
					break
				}
				if strings.HasPrefix(expr, "parse_json(") && strings.TrimSpace(c[1]) == "data" {
					expr = "data"
					break
				}
				expr = strings.TrimSpace(c[1])
			}
			var n *tnode
			if expr == "data" {
				n = root
			} else {
				r := kqlRefRe.FindStringSubmatch(expr)
				if r == nil || aliases[r[1]] == nil {
					return nil, nil, fmt.Errorf("placeholder KQL: expression %q not simulated", m[2])
				}
				n = aliases[r[1]]
				for _, seg := range kqlSegRe.FindAllStringSubmatch(r[2], -1) {
					n = n.field(seg[1] + seg[2] + seg[3])
				}
			}
			next[m[1]] = n
			cols = append(cols, m[1])
		}
		aliases = next
	}
	for _, c := range cols {
		n := aliases[c]
		switch {
		case n == root:
			return nil, nil, fmt.Errorf("placeholder KQL: column %q is the whole event", c)
		case n.leaf != "":
			return nil, nil, fmt.Errorf("placeholder KQL: columns %q and %q read the same value", n.leaf, c)
		case n.elem != nil || len(n.fields) > 0:
			return nil, nil, fmt.Errorf("placeholder KQL: column %q is an object or array other columns read into", c)
		}
		n.leaf = c
	}
	return root, append([]string(nil), cols...), nil
}

// simStep is one step of the simulated tree.
type simStep struct {
	id       string
	cfg      *resource.Step
	shape    *tnode   // what its KQL reads of the parent event
	refs     []string // placeholder names its request uses
	pathRe   *regexp.Regexp
	noAuth   bool
	children []*simStep
}

// nestedSim serves the detail endpoints and keeps the ledger.
type nestedSim struct {
	roots    []*simStep
	steps    map[string]*simStep
	anyJoin  bool // a root child joins: parents are ingested
	rootName string

	mu       sync.Mutex
	values   map[string]map[string]string // root parent id → placeholder → value
	details  map[string]int               // detail id → times served
	parents  map[string]bool
	requests []stepRequest
	problems []string
}

type stepRequest struct {
	step string
	req  seenRequest
}

var stepRefRe = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)\$`)

// newNestedSim derives the simulation from the connection's stepInfo.
func newNestedSim(p *resource.PollerProperties) (*nestedSim, error) {
	n := &nestedSim{steps: map[string]*simStep{}, values: map[string]map[string]string{}, details: map[string]int{},
		parents: map[string]bool{}, rootName: p.JoinedDataStepName}
	var build func(info *resource.StepInfo, depth int) ([]*simStep, error)
	build = func(info *resource.StepInfo, depth int) ([]*simStep, error) {
		if depth > 5 {
			return nil, fmt.Errorf("steps nested deeper than 5")
		}
		var out []*simStep
		for _, ns := range info.NextSteps {
			cfg := p.StepCollectorConfigs[ns.StepID]
			if cfg == nil {
				return nil, fmt.Errorf("step %q missing", ns.StepID)
			}
			shape, _, err := kqlShape(ns.StepPlaceholdersParsingKQL)
			if err != nil {
				return nil, fmt.Errorf("step %s: %w", ns.StepID, err)
			}
			s := &simStep{id: ns.StepID, cfg: cfg, shape: shape}
			blob, _ := json.Marshal(cfg.Request)
			for _, m := range stepRefRe.FindAllStringSubmatch(string(blob), -1) {
				if !slices.Contains(s.refs, m[1]) {
					s.refs = append(s.refs, m[1])
				}
			}
			if a := cfg.Auth; a != nil {
				t := a.Type
				if v, ok := lookup(a.Fields, "AuthType"); ok && t == "" {
					t, _ = v.(string)
				}
				s.noAuth = strings.EqualFold(t, "None")
			}
			ep := cfg.Request.APIEndpoint
			if !strings.HasPrefix(ep, "$") && !regexp.MustCompile(`^https?://[^/]+\$`).MatchString(ep) {
				u, err := url.Parse(stepRefRe.ReplaceAllString(ep, "PLACEHOLDER"))
				if err != nil {
					return nil, fmt.Errorf("step %s: apiEndpoint: %w", ns.StepID, err)
				}
				s.pathRe = regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(u.Path), "PLACEHOLDER", "[^/]*") + "$")
			}
			if cfg.StepInfo != nil {
				if s.children, err = build(cfg.StepInfo, depth+1); err != nil {
					return nil, err
				}
			}
			n.steps[s.id] = s
			out = append(out, s)
		}
		return out, nil
	}
	var err error
	if n.roots, err = build(p.StepInfo, 1); err != nil {
		return nil, err
	}
	for _, s := range n.roots {
		n.anyJoin = n.anyJoin || s.cfg.ShouldJoinNestedData
	}
	return n, nil
}

// value is the placeholder value a parent carries for column col read by
// step s: a URL or path leading back to the step when the step's endpoint
// is the placeholder itself (Cisco ETD's download links, Salesforce's
// relative LogFile paths).
func (s *simStep) value(col, parent string) string {
	ep := s.cfg.Request.APIEndpoint
	switch {
	case strings.HasPrefix(ep, "$"+col+"$"):
		return "https://source.example/conformance-step/" + s.id + "/" + parent
	case regexp.MustCompile(`^https?://[^/]+\$` + regexp.QuoteMeta(col) + `\$`).MatchString(ep):
		return "/conformance-step/" + s.id + "/" + parent
	}
	return col + "-" + parent
}

// fill gives obj (a parent or detail event of root parent) the fields the
// steps below read, recording the placeholder values.
func (n *nestedSim) fill(obj map[string]any, steps []*simStep, parent string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.values[parent] == nil {
		n.values[parent] = map[string]string{}
	}
	for _, s := range steps {
		var inst func(t *tnode, cur any) any
		inst = func(t *tnode, cur any) any {
			switch {
			case t.leaf != "":
				v, ok := cur.(string)
				if !ok || v == "" {
					v = s.value(t.leaf, parent)
				}
				n.values[parent][t.leaf] = v
				return v
			case t.elem != nil:
				return []any{inst(t.elem, nil)}
			}
			m, _ := cur.(map[string]any)
			if m == nil {
				m = map[string]any{}
			}
			for _, k := range t.keys {
				m[k] = inst(t.fields[k], m[k])
			}
			return m
		}
		inst(s.shape, obj)
	}
}

// decorate adds the placeholder fields to a root parent event.
func (n *nestedSim) decorate(ev map[string]any, id string) {
	n.fill(ev, n.roots, id)
	n.mu.Lock()
	n.parents[id] = true
	n.mu.Unlock()
}

// stepOf finds the step a request is for, and its root parent.
func (n *nestedSim) stepOf(r *http.Request, text string) (s *simStep, parent string, ok bool) {
	if rest, found := strings.CutPrefix(r.URL.Path, "/conformance-step/"); found {
		id, p, _ := strings.Cut(rest, "/")
		return n.steps[id], p, n.steps[id] != nil
	}
	var cands []*simStep
	for _, st := range n.steps {
		if st.pathRe != nil && st.pathRe.MatchString(r.URL.Path) {
			cands = append(cands, st)
		}
	}
	if len(cands) == 0 {
		return nil, "", false
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].id < cands[j].id })
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, st := range cands {
		for p, vals := range n.values {
			all := len(st.refs) > 0
			for _, ref := range st.refs {
				if v, ok := vals[ref]; !ok || !strings.Contains(text, v) {
					all = false
					break
				}
			}
			if all {
				return st, p, true
			}
		}
	}
	return cands[0], "", true
}

// serve answers a detail request (ok=false: not a step request).
func (n *nestedSim) serve(w http.ResponseWriter, r *http.Request, req seenRequest) (ok bool) {
	s, parent, ok := n.stepOf(r, req.text)
	if !ok {
		return false
	}
	n.mu.Lock()
	n.requests = append(n.requests, stepRequest{step: s.id, req: req})
	vals := n.values[parent]
	n.mu.Unlock()
	fail := func(format string, args ...any) bool {
		n.mu.Lock()
		n.problems = append(n.problems, fmt.Sprintf("step %s: ", s.id)+fmt.Sprintf(format, args...))
		n.mu.Unlock()
		http.Error(w, "no such detail", http.StatusNotFound)
		return true
	}
	if vals == nil {
		return fail("request %s carries no parent's placeholders", firstLine(req.text))
	}
	for _, ref := range s.refs {
		// A whole-URL value (a download link) arrives as its path: the
		// server sees the request line, not the host.
		if v, ok := vals[ref]; !ok || !strings.Contains(req.text, strings.TrimPrefix(v, "https://source.example")) {
			return fail("request for parent %s without $%s$ = %q", parent, ref, v)
		}
	}
	if s.noAuth && req.auth != "" {
		return fail("auth None step sent an Authorization header")
	}
	id := parent + "/" + s.id
	ev := map[string]any{"id": id, "TimeGenerated": "2024-03-06T07:59:00Z", "message": "detail " + id}
	n.fill(ev, s.children, parent)
	n.mu.Lock()
	n.details[id]++
	n.mu.Unlock()
	resp := s.cfg.Response
	var body []byte
	var ctype string
	var err error
	if strings.EqualFold(resp.Format, "csv") {
		body, ctype = []byte("id,TimeGenerated,message\r\n"+id+",2024-03-06T07:59:00Z,detail "+id+"\r\n"), "text/csv"
	} else {
		var doc any
		path := "$"
		if len(resp.EventsJSONPaths) > 0 {
			path = resp.EventsJSONPaths[0]
		}
		if doc, err = place(map[string]any{}, path, []any{ev}); err == nil && doc == nil {
			doc = []any{ev}
		}
		if err == nil {
			body, ctype, err = mockapi.EncodeDocument(resp.Format, doc)
		}
	}
	if err != nil {
		return fail("%v", err)
	}
	w.Header().Set("Content-Type", ctype)
	w.Write(body)
	return true
}

// check compares the sink with the ledger: every served detail once;
// parents once when a root step joins, else not at all.
func (n *nestedSim) check(sink []any) []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	got := map[string]int{}
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		m, ok := v.(map[string]any)
		if !ok || depth > 6 {
			return
		}
		if id, ok := m["id"].(string); ok {
			got[id]++
		}
		for k, c := range m {
			if k != "id" {
				walk(c, depth+1)
			}
		}
	}
	for _, e := range sink {
		walk(e, 0)
	}
	problems := append([]string(nil), n.problems...)
	for id, c := range n.details {
		if c != 1 {
			problems = append(problems, fmt.Sprintf("detail %s requested %d times", id, c))
		}
		if got[id] != 1 {
			problems = append(problems, fmt.Sprintf("detail %s stored %d times", id, got[id]))
		}
	}
	for p := range n.parents {
		want := 0
		if n.anyJoin {
			want = 1
		}
		if got[p] != want {
			problems = append(problems, fmt.Sprintf("parent %s stored %d times, want %d", p, got[p], want))
		}
		for _, s := range n.roots {
			if _, ok := n.details[p+"/"+s.id]; !ok {
				problems = append(problems, fmt.Sprintf("parent %s: step %s never requested", p, s.id))
			}
		}
	}
	for id := range got {
		if n.details[id] == 0 && !n.parents[id] {
			problems = append(problems, "stored id "+id+" never served")
		}
	}
	sort.Strings(problems)
	return problems
}

// TestKQLShape derives the parent-event shape from the placeholder KQL
// forms of the corpus and refuses forms it cannot simulate.
func TestKQLShape(t *testing.T) {
	for _, c := range []struct {
		kql  string
		want string // JSON of a parent event filled with the column names
		cols string
		err  string
	}{
		{kql: "source | project res = parse_json(data) | project dataSourceName = res.dataSourceName, policyName = res.policyName",
			want: `{"dataSourceName":"dataSourceName","policyName":"policyName"}`, cols: "dataSourceName,policyName"},
		{kql: "source | project res = parse_json(data) | project resources = res['resources'] | mvexpand resources | project Url_PlaceHolder = resources",
			want: `{"resources":["Url_PlaceHolder"]}`, cols: "Url_PlaceHolder"},
		{kql: "source | project res = parse_json(data) | project detections = res['value'] | mvexpand detections | project id = detections['id']",
			want: `{"value":[{"id":"id"}]}`, cols: "id"},
		{kql: "source | project res = parse_json(data) | mvexpand res | project networkId = tostring(res['id'])",
			want: `{"id":"networkId"}`, cols: "networkId"},
		{kql: "source | project res = parse_json(data) | project downloadUrl = res.a.b", want: `{"a":{"b":"downloadUrl"}}`, cols: "downloadUrl"},
		{kql: "source", want: `{}`, cols: ""},
		{kql: "events | project x = 1", err: "does not start with source"},
		{kql: "source | where x > 1", err: "not simulated"},
		{kql: "source | project res = parse_json(data) | mvexpand nope", err: "unknown column"},
		{kql: "source | project res = parse_json(data) | project n = strlen(res.a)", err: "not simulated"},
		{kql: "source | project res = parse_json(data)", err: "whole event"},
		{kql: "source | project res = parse_json(data) | project a = res.x, b = res.x", err: "same value"},
		{kql: "source | project res = parse_json(data) | project a = res.x, b = res.x.y", err: "object or array"},
	} {
		root, cols, err := kqlShape(c.kql)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.kql, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.kql, err)
			continue
		}
		var inst func(n *tnode) any
		inst = func(n *tnode) any {
			switch {
			case n.leaf != "":
				return n.leaf
			case n.elem != nil:
				return []any{inst(n.elem)}
			}
			m := map[string]any{}
			for k, f := range n.fields {
				m[k] = inst(f)
			}
			return m
		}
		got, _ := json.Marshal(inst(root))
		if string(got) != c.want || strings.Join(cols, ",") != c.cols {
			t.Errorf("%q: shape %s cols %v, want %s %s", c.kql, got, cols, c.want, c.cols)
		}
	}
}

// FuzzKQLShape: any placeholder KQL gives a shape or an error, never a
// panic, and every column it names is a leaf of the shape.
func FuzzKQLShape(f *testing.F) {
	for _, s := range []string{
		"source | project res = parse_json(data) | project a = res.x, b = res['y']",
		"source | project res = parse_json(data) | project r = res['resources'] | mvexpand r | project p = r",
		"source | project res = parse_json(data) | mvexpand res | project n = tostring(res['id'])",
		"source", "source | mv-expand x", "source | extend a = data", "source | project a = tostring(",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, kql string) {
		root, cols, err := kqlShape(kql)
		if err != nil {
			return
		}
		leaves := map[string]bool{}
		var walk func(n *tnode, depth int)
		walk = func(n *tnode, depth int) {
			if n == nil || depth > 100 {
				return
			}
			if n.leaf != "" {
				leaves[n.leaf] = true
			}
			walk(n.elem, depth+1)
			for _, k := range n.keys {
				walk(n.fields[k], depth+1)
			}
		}
		walk(root, 0)
		for _, c := range cols {
			if !leaves[c] {
				t.Fatalf("%q: column %q is no leaf of the shape", kql, c)
			}
		}
	})
}
