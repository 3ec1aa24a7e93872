package poll

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/codeless/codeless/internal/kql/eval"
	"github.com/codeless/codeless/internal/poll/paging"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/schema"
)

// Nested polling limits (SPEC §4, reference/ccf-format.md §3).
const (
	// MaxStepDepth is the deepest chain of nested steps below the root.
	MaxStepDepth = 5
	// DefaultMaxParallelism bounds the nested requests in flight per window.
	DefaultMaxParallelism = 15
)

// placeholderInput is the `source` table of stepPlaceholdersParsingKql: one
// row per parent event, its JSON text in column data.
var placeholderInput = schema.Schema{{Name: "data", Type: schema.String}}

// step is one compiled nested step (a stepCollectorConfigs entry reached
// through a nextSteps entry of its parent).
type step struct {
	id       string
	path     string // JSON path of the step config
	ep       *endpoint
	kql      *eval.Program
	columns  []string // placeholder names the KQL produces
	join     bool     // shouldJoinNestedData
	joinName string   // joinedDataStepName
	children []*step
}

// compileSteps validates and compiles the nested step tree of p. root is
// the root endpoint (children without auth inherit it).
func (r *Runner) compileSteps(p *resource.PollerProperties, root *endpoint) ([]*step, []error) {
	var errs []error
	if p.StepInfo == nil {
		return nil, []error{errors.New("properties.stepInfo: required when stepCollectorConfigs is set")}
	}
	used := map[string]bool{}
	var build func(info *resource.StepInfo, infoPath string, parent *endpoint, avail map[string]bool, depth int, chain []string) []*step
	build = func(info *resource.StepInfo, infoPath string, parent *endpoint, avail map[string]bool, depth int, chain []string) []*step {
		if t := strings.TrimSpace(info.StepType); t != "" && !strings.EqualFold(t, "Nested") {
			errs = append(errs, fmt.Errorf("%s.stepType: %q is not Nested", infoPath, info.StepType))
		}
		if len(info.NextSteps) == 0 {
			errs = append(errs, fmt.Errorf("%s.nextSteps: no steps", infoPath))
		}
		var out []*step
		for i, ns := range info.NextSteps {
			nsPath := fmt.Sprintf("%s.nextSteps[%d]", infoPath, i)
			cfg := p.StepCollectorConfigs[ns.StepID]
			if cfg == nil {
				errs = append(errs, fmt.Errorf("%s.stepId: step %q is missing from properties.stepCollectorConfigs (have: %s)", nsPath, ns.StepID, strings.Join(stepIDs(p.StepCollectorConfigs), ", ")))
				continue
			}
			if depth+1 > MaxStepDepth {
				errs = append(errs, fmt.Errorf("%s.stepId: step %q is nested %d levels deep (at most %d)", nsPath, ns.StepID, depth+1, MaxStepDepth))
				continue
			}
			for _, c := range chain {
				if c == ns.StepID {
					errs = append(errs, fmt.Errorf("%s.stepId: step %q is its own ancestor (%s)", nsPath, ns.StepID, strings.Join(append(chain, ns.StepID), " → ")))
					return out
				}
			}
			used[ns.StepID] = true
			path := "properties.stepCollectorConfigs." + ns.StepID
			s := &step{id: ns.StepID, path: path, join: cfg.ShouldJoinNestedData, joinName: cfg.JoinedDataStepName}
			src := strings.TrimSpace(ns.StepPlaceholdersParsingKQL)
			if src == "" {
				errs = append(errs, fmt.Errorf("%s.stepPlaceholdersParsingKql: required", nsPath))
				continue
			}
			prog, err := eval.CompilePlaceholder(src, placeholderInput)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s.stepPlaceholdersParsingKql: %w", nsPath, err))
				continue
			}
			s.kql = prog
			next := map[string]bool{}
			for k := range avail {
				next[k] = true
			}
			for _, c := range prog.Output() {
				s.columns = append(s.columns, c.Name)
				next[c.Name] = true
			}
			if s.join && s.joinName == "" {
				errs = append(errs, fmt.Errorf("%s.joinedDataStepName: required when shouldJoinNestedData is true", path))
			}
			errs = append(errs, checkStepPlaceholders(path, &cfg.Request, next)...)
			ep, epErrs := r.newEndpoint(path, &cfg.Request, cfg.Auth, parent, cfg.Paging, cfg.Response)
			errs = append(errs, epErrs...)
			s.ep = ep
			if cfg.StepInfo != nil && ep != nil {
				s.children = build(cfg.StepInfo, path+".stepInfo", ep, next, depth+1, append(chain, ns.StepID))
			}
			out = append(out, s)
		}
		return out
	}
	steps := build(p.StepInfo, "properties.stepInfo", root, map[string]bool{}, 0, nil)
	if root == nil {
		// The root failed to compile; step errors are still reported.
		steps = nil
	}
	for _, id := range stepIDs(p.StepCollectorConfigs) {
		if !used[id] {
			r.log.Warn("nested step is never reached from stepInfo", "step", id)
		}
	}
	if p.ShouldJoinNestedData && p.JoinedDataStepName == "" {
		errs = append(errs, errors.New("properties.joinedDataStepName: required when shouldJoinNestedData is true"))
	}
	return steps, errs
}

func stepIDs(m map[string]*resource.Step) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkStepPlaceholders reports $name$ placeholders of a step's request
// that neither its placeholder KQL nor an ancestor's produces, and
// {{x}}/[[..]] leftovers.
func checkStepPlaceholders(path string, req *resource.Request, avail map[string]bool) []error {
	var errs []error
	check := func(where, s string) {
		if u := unresolved(s, false); u != "" {
			errs = append(errs, fmt.Errorf("%s.%s: unresolved placeholder %q", path, where, u))
		}
		for _, m := range reStep.FindAllString(s, -1) {
			if name := strings.Trim(m, "$"); !avail[name] {
				have := make([]string, 0, len(avail))
				for k := range avail {
					have = append(have, "$"+k+"$")
				}
				sort.Strings(have)
				errs = append(errs, fmt.Errorf("%s.%s: placeholder %s is produced by no stepPlaceholdersParsingKql of this step or its ancestors (available: %s)", path, where, m, strings.Join(have, ", ")))
			}
		}
	}
	check("request.apiEndpoint", req.APIEndpoint)
	check("request.queryParametersTemplate", req.QueryParametersTemplate)
	for _, k := range sortedKeys(req.QueryParameters) {
		if s, ok := req.QueryParameters[k].(string); ok {
			check("request.queryParameters."+k, s)
		}
	}
	for _, k := range sortedStrKeys(req.Headers) {
		check("request.headers."+k, req.Headers[k])
	}
	return errs
}

// nestedRun is the state of the nested work of one page.
type nestedRun struct {
	r          *Runner
	ctx        context.Context
	start, end time.Time
	sem        chan struct{} // bounds requests in flight
	mu         sync.Mutex
	warnings   []string
	requests   int
}

func (n *nestedRun) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	n.mu.Lock()
	n.warnings = append(n.warnings, msg)
	n.mu.Unlock()
	n.r.log.Warn(msg)
}

// runSteps runs the nested steps for the events of one root page and
// returns the records to ingest (reference/ccf-format.md §3.4):
//   - a step with shouldJoinNestedData contributes its events under its
//     joinedDataStepName to the record of its parent event; a parent with
//     joined children yields one record per combination of their events
//     (the MvExpand of nestedTransformName), and a joined child without
//     events leaves its key out;
//   - a step without it yields its own events as records (descending to
//     its own steps the same way); a parent whose steps are all non-joined
//     is used only for placeholders and is not ingested.
//
// Everything happens before the page commits: a failure anywhere fails
// the page, and the window is retried from that page.
func (r *Runner) runSteps(ctx context.Context, start, end time.Time, events []any, res *WindowResult) ([]any, string, error) {
	n := &nestedRun{r: r, ctx: ctx, start: start, end: end, sem: make(chan struct{}, r.maxParallelism())}
	p := &r.cfg.Conn.Properties
	rootName := p.JoinedDataStepName
	out, class, err := n.records(r.steps, events, rootName, nil)
	res.Warnings = append(res.Warnings, n.warnings...)
	return out, class, err
}

func (r *Runner) maxParallelism() int {
	if r.cfg.MaxParallelism > 0 {
		return r.cfg.MaxParallelism
	}
	return DefaultMaxParallelism
}

// expansion is the result of running one step for one parent event.
type expansion struct {
	joined  []map[string]any // fragments to merge into the parent record (join steps)
	records []any            // records to ingest (non-join steps)
}

// records returns the records that events of a node with the given
// children produce; name is the node's joinedDataStepName.
func (n *nestedRun) records(children []*step, events []any, name string, vars map[string]string) ([]any, string, error) {
	if len(children) == 0 {
		return events, "", nil
	}
	anyJoin := false
	for _, c := range children {
		anyJoin = anyJoin || c.join
	}
	per := make([][]expansion, len(events))
	errs := make([]error, len(events))
	classes := make([]string, len(events))
	var wg sync.WaitGroup
	for i, ev := range events {
		wg.Add(1)
		go func() {
			defer wg.Done()
			per[i], classes[i], errs[i] = n.expand(children, ev, vars)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, classes[i], fmt.Errorf("event %d: %w", i, err)
		}
	}
	var out []any
	for i, ev := range events {
		if anyJoin {
			for _, frag := range combine(per[i]) {
				rec := map[string]any{}
				if name != "" {
					rec[name] = ev
				} else if m, ok := ev.(map[string]any); ok {
					for k, v := range m {
						rec[k] = v
					}
				}
				for k, v := range frag {
					rec[k] = v
				}
				out = append(out, rec)
			}
		}
		for _, x := range per[i] {
			out = append(out, x.records...)
		}
	}
	return out, "", nil
}

// combine multiplies the joined fragments of several children.
func combine(xs []expansion) []map[string]any {
	acc := []map[string]any{{}}
	for _, x := range xs {
		if x.joined == nil {
			continue
		}
		if len(x.joined) == 0 {
			continue // no events: the key is left out
		}
		var next []map[string]any
		for _, a := range acc {
			for _, f := range x.joined {
				m := make(map[string]any, len(a)+len(f))
				for k, v := range a {
					m[k] = v
				}
				for k, v := range f {
					m[k] = v
				}
				next = append(next, m)
			}
		}
		acc = next
	}
	return acc
}

// expand runs every child step for one parent event.
func (n *nestedRun) expand(children []*step, ev any, vars map[string]string) ([]expansion, string, error) {
	text, err := json.Marshal(ev)
	if err != nil {
		return nil, ClassSource, fmt.Errorf("encoding the parent event: %w", err)
	}
	out := make([]expansion, len(children))
	for ci, c := range children {
		var rows []map[string]string
		err := c.kql.Run([]any{string(text)}, n.r.cfg.Now(), func(row []any) error {
			m := make(map[string]string, len(vars)+len(row))
			for k, v := range vars {
				m[k] = v
			}
			for j, col := range c.columns {
				m[col] = paramString(row[j])
			}
			rows = append(rows, m)
			return nil
		})
		if err != nil {
			return nil, ClassTransform, fmt.Errorf("%s: stepPlaceholdersParsingKql: %w", c.path, err)
		}
		// A row whose placeholders are all empty names nothing to fetch
		// (Meraki's mvexpand over a network object yields one row per
		// property; only one carries the id): requesting
		// /networks//clients would fail the window, so it is skipped.
		kept, empty := rows[:0], 0
		for _, row := range rows {
			blank := len(c.columns) > 0
			for _, col := range c.columns {
				if row[col] != "" {
					blank = false
					break
				}
			}
			if blank {
				empty++
				continue
			}
			kept = append(kept, row)
		}
		rows = kept
		if empty > 0 {
			n.warn("nested step %q: %d placeholder row(s) with every value empty skipped; no request sent for them", c.id, empty)
		}
		if len(rows) == 0 && empty == 0 {
			n.warn("nested step %q: stepPlaceholdersParsingKql yielded no placeholders for a parent event; no request sent", c.id)
		}
		results := make([][]any, len(rows))
		errs := make([]error, len(rows))
		classes := make([]string, len(rows))
		var wg sync.WaitGroup
		for ri, row := range rows {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[ri], classes[ri], errs[ri] = n.fetchAll(c, row)
			}()
		}
		wg.Wait()
		for ri, err := range errs {
			if err != nil {
				return nil, classes[ri], err
			}
		}
		var x expansion
		if c.join {
			x.joined = []map[string]any{}
		}
		for ri, evs := range results {
			if c.join {
				// Descend first: the child's own joined steps extend its
				// fragments; its non-joined steps' records are ingested.
				frags, recs, class, err := n.joinFragments(c, evs, rows[ri])
				if err != nil {
					return nil, class, err
				}
				x.joined = append(x.joined, frags...)
				x.records = append(x.records, recs...)
				continue
			}
			recs, class, err := n.records(c.children, evs, c.joinName, rows[ri])
			if err != nil {
				return nil, class, fmt.Errorf("%s: %w", c.path, err)
			}
			x.records = append(x.records, recs...)
		}
		out[ci] = x
	}
	return out, "", nil
}

// joinFragments turns the events of a joined step into fragments
// {joinName: event, <grandchild joins>...}, flattening joined descendants
// into the same record (BigID: dspmCase, datasource, expand side by side).
func (n *nestedRun) joinFragments(c *step, evs []any, vars map[string]string) ([]map[string]any, []any, string, error) {
	var frags []map[string]any
	var recs []any
	for _, ev := range evs {
		if len(c.children) == 0 {
			frags = append(frags, map[string]any{c.joinName: ev})
			continue
		}
		xs, class, err := n.expand(c.children, ev, vars)
		if err != nil {
			return nil, nil, class, err
		}
		for _, f := range combine(xs) {
			f[c.joinName] = ev
			frags = append(frags, f)
		}
		for _, x := range xs {
			recs = append(recs, x.records...)
		}
	}
	return frags, recs, "", nil
}

// fetchAll sends one nested request (following its paging to the end)
// with the placeholder values of one row and returns its events.
func (n *nestedRun) fetchAll(c *step, vars map[string]string) ([]any, string, error) {
	pg, err := c.ep.pager.Window(nil)
	if err != nil {
		return nil, ClassPaging, fmt.Errorf("%s: starting paging: %w", c.path, err)
	}
	var events []any
	for page := 1; ; page++ {
		select {
		case n.sem <- struct{}{}:
		case <-n.ctx.Done():
			return nil, "", n.ctx.Err()
		}
		resp, hr, class, err := c.ep.fetch(n.ctx, n.start, n.end, pg.Request(), vars)
		<-n.sem
		n.mu.Lock()
		n.requests++
		n.mu.Unlock()
		if err != nil {
			return nil, class, fmt.Errorf("%s: page %d: %w", c.path, page, err)
		}
		decoded, err := c.ep.dec.Decode(resp.Body, resp.Header)
		if err != nil {
			return nil, ClassSource, fmt.Errorf("%s: decoding page %d: %w", c.path, page, err)
		}
		events = append(events, decoded.Events...)
		more, perr := pg.Next(paging.Page{URL: hr.URL.String(), Status: resp.Status, Header: resp.Header, Body: decoded.Body, Events: len(decoded.Events)})
		if perr != nil {
			return nil, ClassPaging, fmt.Errorf("%s: paging after page %d: %w", c.path, page, perr)
		}
		if !more {
			return events, "", nil
		}
		if page >= n.r.cfg.MaxPages {
			return nil, ClassPaging, fmt.Errorf("%s: %w: page cap of %d pages reached", c.path, paging.ErrLoop, n.r.cfg.MaxPages)
		}
	}
}
