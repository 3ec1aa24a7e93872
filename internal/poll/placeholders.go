package poll

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/codeless/codeless/internal/resource"
)

var (
	reMustache = regexp.MustCompile(`\{\{[^{}]*\}\}`)
	reARM      = regexp.MustCompile(`^\[\[?[A-Za-z][A-Za-z0-9]*\(`)
	reStep     = regexp.MustCompile(`\$[A-Za-z_][A-Za-z0-9_]*\$`)
	// rePagingVar matches the paging variables of paging.Request.Vars.
	rePagingVar = regexp.MustCompile(`\{_[A-Za-z][A-Za-z0-9]*\}`)
)

// unresolved returns the first unresolved placeholder in s ("" if none).
func unresolved(s string, stepVars bool) string {
	if m := reMustache.FindString(s); m != "" {
		return m
	}
	if i := strings.Index(s, "[["); i >= 0 {
		end := min(len(s), i+40)
		return s[i:end]
	}
	if t := strings.TrimSpace(s); reARM.MatchString(t) && strings.HasSuffix(t, "]") {
		return t
	}
	if stepVars {
		if m := reStep.FindString(s); m != "" {
			return m
		}
	}
	return ""
}

// checkPlaceholders walks every string of the root poller config that is
// sent or used and reports each unresolved placeholder with its JSON path.
func checkPlaceholders(p *resource.PollerProperties) []error {
	var errs []error
	check := func(path, s string, stepVars bool) {
		if u := unresolved(s, stepVars); u != "" {
			errs = append(errs, fmt.Errorf("properties.%s: unresolved placeholder %q", path, u))
		}
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case string:
			check(path, x, true)
		case map[string]any:
			for _, k := range sortedKeys(x) {
				check(path+" key", k, true)
				walk(path+"."+k, x[k])
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		}
	}
	r := &p.Request
	check("request.apiEndpoint", r.APIEndpoint, true)
	check("request.httpMethod", r.HTTPMethod, true)
	check("request.queryTimeFormat", r.QueryTimeFormat, true)
	check("request.startTimeAttributeName", r.StartTimeAttributeName, true)
	check("request.endTimeAttributeName", r.EndTimeAttributeName, true)
	check("request.queryTimeIntervalAttributeName", r.QueryTimeIntervalAttributeName, true)
	check("request.queryTimeIntervalPrepend", r.QueryTimeIntervalPrepend, true)
	check("request.queryTimeIntervalDelimiter", r.QueryTimeIntervalDelimiter, true)
	check("request.queryParametersTemplate", r.QueryParametersTemplate, true)
	walk("request.queryParameters", map[string]any(r.QueryParameters))
	hk := make([]string, 0, len(r.Headers))
	for k := range r.Headers {
		hk = append(hk, k)
	}
	sort.Strings(hk)
	for _, k := range hk {
		check("request.headers key", k, true)
		check("request.headers."+k, r.Headers[k], true)
	}
	a := &p.Auth
	check("auth.type", a.Type, false)
	check("auth.userName", a.UserName, false)
	check("auth.password", a.Password, false)
	check("auth.apiKey", a.APIKey, false)
	if a.APIKeyName != nil {
		check("auth.apiKeyName", *a.APIKeyName, false)
	}
	if a.APIKeyIdentifier != nil {
		check("auth.apiKeyIdentifier", *a.APIKeyIdentifier, false)
	}
	for _, k := range sortedKeys(a.Fields) {
		if s, ok := a.Fields[k].(string); ok {
			check("auth."+k, s, false)
		}
	}
	if pg := p.Paging; pg != nil {
		check("paging.pagingType", pg.PagingType, false)
		check("paging.pageSizeParameterName", pg.PageSizeParameterName, false)
		check("paging.linkHeaderTokenJsonPath", pg.LinkHeaderTokenJSONPath, false)
		check("paging.nextPageUrl", pg.NextPageURL, true)
	}
	for _, k := range sortedStrPtrKeys(p.AddOnAttributes) {
		if v := p.AddOnAttributes[k]; v != nil {
			check("addOnAttributes."+k, *v, false)
		}
	}
	for i, s := range p.Response.EventsJSONPaths {
		check(fmt.Sprintf("response.eventsJsonPaths[%d]", i), s, false)
	}
	return errs
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedStrPtrKeys(m map[string]*string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
