package lint

import (
	"fmt"

	"github.com/codeless/codeless/internal/jsonpath"
	"github.com/codeless/codeless/internal/resource"
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
