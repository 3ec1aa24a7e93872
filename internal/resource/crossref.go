package resource

import (
	"regexp"
	"slices"
	"strings"
)

// CrossCheck checks the references between the resources of one set (one
// connector folder or one solution), reference/ccf-format.md §1.2 and
// Appendix E V12, V13, V16:
//
//   - a connection's dcrConfig.streamName is declared by its DCR (the DCR
//     with the literal dataCollectionRuleImmutableId when the set has it,
//     else any DCR of the set); only checked when the set holds DCRs;
//   - a connection's connectorDefinitionName names a definition of the set
//     (only checked when the set holds definitions with literal names);
//   - a DCR's Custom-X_CL output stream names a table of the set (only
//     checked when the set holds tables);
//   - connection names are unique;
//   - every {{x}} / parameters('x') of a connection has an input on its
//     definition's page or is a built-in parameter (warning).
//
// Values that are still expressions or placeholders are not compared. The
// transform-output-vs-table check needs the KQL engine and lives in
// internal/lint.
func CrossCheck(s *Set) []Diagnostic {
	var out []Diagnostic
	add := func(m *Meta, path string, sev Severity, format string, args ...any) {
		d := &diags{file: m.File}
		if sev == Error {
			d.errorf(path, format, args...)
		} else {
			d.warnf(path, format, args...)
		}
		out = append(out, d.list...)
	}

	defNames := map[string]string{} // folded -> as written
	for _, d := range s.Definitions {
		for _, n := range []string{d.Name, d.UI.ID} {
			if n != "" && !HasPlaceholder(n) {
				defNames[strings.ToLower(n)] = n
			}
		}
	}
	connNames := map[string]*Connection{}
	for _, c := range s.Connections {
		pp := resourcePath(&c.Meta) + ".properties"
		if c.Name != "" && !HasPlaceholder(c.Name) {
			if prev, dup := connNames[c.Name]; dup && prev.File == c.File {
				add(&c.Meta, resourcePath(&c.Meta)+".name", Warning, "connection name %q is used twice (the second overwrites the first)", c.Name)
			}
			connNames[c.Name] = c
		}
		if n := c.Properties.ConnectorDefinitionName; len(defNames) > 0 && n != "" && !HasPlaceholder(n) && defNames[strings.ToLower(n)] == "" {
			var names []string
			for _, k := range sortedKeys(defNames) {
				names = append(names, defNames[k])
			}
			names = slices.Compact(names)
			add(&c.Meta, pp+".connectorDefinitionName", Error, "connector definition %q is not defined here (definitions: %s)", n, strings.Join(names, ", "))
		}
		stream := c.Properties.DCRConfig.StreamName
		if len(s.DCRs) == 0 || stream == "" || HasPlaceholder(stream) || !strings.HasPrefix(stream, "Custom-") {
			continue
		}
		dcrs := s.DCRs
		if id := c.Properties.DCRConfig.DataCollectionRuleImmutableID; id != "" && !HasPlaceholder(id) {
			for _, r := range s.DCRs {
				if r.ImmutableID == id {
					dcrs = []*DCR{r}
					break
				}
			}
		}
		found := false
		var declared []string
		for _, r := range dcrs {
			if _, ok := r.Stream(stream); ok {
				found = true
				break
			}
			for _, sd := range r.StreamDeclarations {
				declared = append(declared, sd.Name)
			}
		}
		if !found {
			slices.Sort(declared)
			declared = slices.Compact(declared)
			add(&c.Meta, pp+".dcrConfig.streamName", Error, "stream %q is not declared by the DCR (declared: %s)", stream, listOrNone(declared))
		}
	}

	out = append(out, checkInputs(s)...)
	if len(s.Tables) > 0 {
		tables := map[string]bool{}
		for _, t := range s.Tables {
			tables[t.Name] = true
		}
		for _, r := range s.DCRs {
			for i, f := range r.DataFlows {
				name, ok := strings.CutPrefix(f.OutputStream, "Custom-")
				if !ok || HasPlaceholder(f.OutputStream) || !tableName.MatchString(name) || tables[name] {
					continue
				}
				fp := f.Path
				if fp == "" {
					fp = indexPath(resourcePath(&r.Meta)+".properties.dataFlows", i)
				}
				add(&r.Meta, fp+".outputStream", Error, "output table %q is not among the tables here (%s)", name, strings.Join(sortedKeys(tables), ", "))
			}
		}
	}
	return out
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// builtinParams are the parameters the portal (and Codeless' connect step)
// fills without a UI input (reference/ccf-format.md §4.8, §9.4).
var builtinParams = []string{"dataCollectionEndpoint", "dataCollectionRuleImmutableId", "dcrConfig",
	"location", "workspace", "innerWorkspace", "workspace-location", "connectorDefinitionName",
	"guidValue", "subscription", "resourceGroupName", "graphQueriesTableName"}

var (
	placeholderRef = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}`)
	parameterRef   = regexp.MustCompile(`(?i)parameters\(\s*'([^']+)'\s*\)`)
)

// InputNames returns the names of the connector page's inputs (Textbox and
// Dropdown "name" parameters, at any depth, including ContextPane steps; an
// OAuthForm adds clientId, clientSecret and authorizationCode), folded to
// lower case.
func (c *ConnectorDefinition) InputNames() map[string]bool {
	names := map[string]bool{}
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if depth > 20 {
			return
		}
		switch t := v.(type) {
		case map[string]any:
			typ, _ := field(t, "type")
			params, _ := field(t, "parameters")
			if pm, ok := params.(map[string]any); ok {
				switch s, _ := typ.(string); strings.ToLower(s) {
				case "textbox", "dropdown":
					if n, _ := field(pm, "name"); n != nil {
						if ns, ok := n.(string); ok {
							names[strings.ToLower(ns)] = true
						}
					}
				case "oauthform":
					for _, n := range []string{"clientid", "clientsecret", "authorizationcode", "username", "password"} {
						names[n] = true
					}
				}
			}
			for _, e := range t {
				walk(e, depth+1)
			}
		case []any:
			for _, e := range t {
				walk(e, depth+1)
			}
		}
	}
	for _, s := range c.UI.InstructionSteps {
		walkSteps(s, func(in Instruction) {
			walk(map[string]any{"type": in.Type, "parameters": in.Parameters}, 0)
		}, 0)
	}
	return names
}

func walkSteps(s InstructionStep, f func(Instruction), depth int) {
	if depth > 10 {
		return
	}
	for _, in := range s.Instructions {
		f(in)
	}
	for _, inner := range s.InnerSteps {
		walkSteps(inner, f, depth+1)
	}
}

// checkInputs warns about connection parameters ({{x}} or parameters('x'))
// that no input of the connection's definition provides (Appendix E V19).
func checkInputs(s *Set) []Diagnostic {
	var out []Diagnostic
	for _, c := range s.Connections {
		var def *ConnectorDefinition
		for _, d := range s.Definitions {
			n := c.Properties.ConnectorDefinitionName
			if strings.EqualFold(n, d.Name) || (d.UI.ID != "" && strings.EqualFold(n, d.UI.ID)) || (HasPlaceholder(n) && len(s.Definitions) == 1) {
				def = d
				break
			}
		}
		if def == nil {
			continue
		}
		inputs := def.InputNames()
		seen := map[string]bool{}
		text := string(c.Raw)
		var refs []string
		for _, m := range placeholderRef.FindAllStringSubmatch(text, -1) {
			refs = append(refs, m[1])
		}
		for _, m := range parameterRef.FindAllStringSubmatch(text, -1) {
			refs = append(refs, m[1])
		}
		for _, r := range refs {
			k := strings.ToLower(r)
			if seen[k] || inputs[k] || foldIn(r, builtinParams) {
				continue
			}
			seen[k] = true
			d := &diags{file: c.File}
			d.warnf(resourcePath(&c.Meta), "parameter %q has no input on connector page %q (it must be supplied at connect time)", r, def.Name)
			out = append(out, d.list...)
		}
	}
	return out
}
