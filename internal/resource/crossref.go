package resource

import (
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
//   - connection names are unique.
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
