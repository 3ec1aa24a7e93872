package lint

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/codeless/codeless/internal/jsonpath"
	"github.com/codeless/codeless/internal/kql/eval"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/schema"
	"github.com/codeless/codeless/internal/timefmt"
)

// checkSyntax compiles the small languages embedded in a connection, with
// the same compilers the poller uses: every JSONPath (eventsJsonPaths,
// success status, paging token/flag/count paths; Appendix E V8) and the
// queryTimeFormat (.NET date format, Appendix A). Values that still hold
// placeholders are skipped.
func checkSyntax(c *resource.Connection) []resource.Diagnostic {
	var out []resource.Diagnostic
	add := func(path, format string, args ...any) {
		out = append(out, resource.Diagnostic{File: c.File, Path: path, Severity: resource.Error, Message: fmt.Sprintf(format, args...)})
	}
	jp := func(path, v string) {
		if v == "" || resource.HasPlaceholder(v) {
			return
		}
		if _, err := jsonpath.Compile(v); err != nil {
			add(path, "invalid JSONPath: %v", err)
		}
	}
	var check func(path string, req *resource.Request, resp *resource.Response, pg *resource.Paging)
	check = func(path string, req *resource.Request, resp *resource.Response, pg *resource.Paging) {
		for i, p := range resp.EventsJSONPaths {
			jp(fmt.Sprintf("%s.response.eventsJsonPaths[%d]", path, i), p)
		}
		jp(path+".response.successStatusJsonPath", resp.SuccessStatusJSONPath)
		if pg != nil {
			for name, v := range map[string]string{
				"nextPageTokenJsonPath": pg.NextPageTokenJSONPath,
				"hasNextFlagJsonPath":   pg.HasNextFlagJSONPath,
				"totalResultsJsonPath":  pg.TotalResultsJSONPath,
				"pageNumberJsonPath":    pg.PageNumberJSONPath,
				"pageCountJsonPath":     pg.PageCountJSONPath,
			} {
				jp(path+".paging."+name, v)
			}
		}
		if f := req.QueryTimeFormat; f != "" && !resource.HasPlaceholder(f) {
			if _, err := timefmt.Compile(f); err != nil {
				add(path+".request.queryTimeFormat", "invalid queryTimeFormat: %v", err)
			}
		}
	}
	pp := c.Path
	if pp == "" {
		pp = "$"
	}
	pp += ".properties"
	p := &c.Properties
	check(pp, &p.Request, &p.Response, p.Paging)
	for id, s := range p.StepCollectorConfigs {
		if s != nil {
			check(resource.ChildPath(pp+".stepCollectorConfigs", id), &s.Request, &s.Response, s.Paging)
		}
	}
	return out
}

// placeholderInput is the row a stepPlaceholdersParsingKql query sees: the
// parent event as JSON text in column data (SPEC §4 "Nested steps").
var placeholderInput = schema.Schema{{Name: "data", Type: schema.String}}

var stepPlaceholder = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)\$`)

// checkSteps compiles every stepPlaceholdersParsingKql with the engine that
// runs it and checks that each $name$ a child step uses is a column the
// KQL of some ancestor step produces (Appendix E V14).
func checkSteps(c *resource.Connection) []resource.Diagnostic {
	var out []resource.Diagnostic
	p := &c.Properties
	pp := c.Path
	if pp == "" {
		pp = "$"
	}
	pp += ".properties"
	var walk func(info *resource.StepInfo, path string, avail map[string]bool, depth int)
	walk = func(info *resource.StepInfo, path string, avail map[string]bool, depth int) {
		if info == nil || depth > 5 {
			return
		}
		for i, ns := range info.NextSteps {
			kp := fmt.Sprintf("%s.stepInfo.nextSteps[%d].stepPlaceholdersParsingKql", path, i)
			names := map[string]bool{}
			for k := range avail {
				names[k] = true
			}
			if q := strings.TrimSpace(ns.StepPlaceholdersParsingKQL); q != "" && !resource.HasPlaceholder(q) {
				prog, err := eval.CompilePlaceholder(q, placeholderInput)
				if err != nil {
					msg, _, _ := strings.Cut(err.Error(), "\n")
					out = append(out, resource.Diagnostic{File: c.File, Path: kp, Severity: resource.Error, Message: "placeholder KQL does not compile: " + msg})
					continue
				}
				for _, col := range prog.Output() {
					names[col.Name] = true
				}
			} else {
				continue
			}
			step := p.StepCollectorConfigs[ns.StepID]
			if step == nil {
				continue
			}
			sp := resource.ChildPath(pp+".stepCollectorConfigs", ns.StepID)
			raw, _ := json.Marshal(step.Request)
			seen := map[string]bool{}
			for _, m := range stepPlaceholder.FindAllStringSubmatch(string(raw), -1) {
				if !names[m[1]] && !seen[m[1]] {
					seen[m[1]] = true
					out = append(out, resource.Diagnostic{File: c.File, Path: sp + ".request", Severity: resource.Error,
						Message: fmt.Sprintf("placeholder $%s$ is not a column of the parent step's placeholder KQL", m[1])})
				}
			}
			walk(step.StepInfo, sp, names, depth+1)
		}
	}
	walk(p.StepInfo, pp, map[string]bool{}, 0)
	return out
}
