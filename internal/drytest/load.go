package drytest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/codeless/codeless/internal/arm"
	"github.com/codeless/codeless/internal/resource"
)

// builtinParams are the connect-time parameters the Azure portal passes to a
// connection template itself (reference/ccf-format.md §9.4). A dry run has
// no workspace, so they get harmless stand-ins unless --param gives them.
var builtinParams = map[string]any{
	"workspace":          "workspace",
	"innerWorkspace":     "workspace",
	"workspace-location": "local",
	"guidValue":          "",
}

// loaded is the poller file after placeholder resolution.
type loaded struct {
	// conns are the connections to run: selected by --connection, condition
	// true, every placeholder resolved and decoded without errors.
	conns []*resource.Connection
	// names lists every connection name in the file (for messages).
	names []string
	// secrets are the auth secrets of the connections to run, after
	// resolution.
	secrets []string
}

// loadPoller reads the poller file's JSON (one connection, an array, or an
// ARM template holding connections at any depth), picks the connection named
// pick ("" = all), resolves placeholders in each picked connection and
// decodes the result. Problems with the configuration go to rep; the error
// is only for a file that is not JSON at all.
func loadPoller(data []byte, file string, params map[string]any, pick string, rep *Report) (*loaded, error) {
	doc, err := decodeTree(data)
	if err != nil {
		return nil, fmt.Errorf("reading poller file %s: %w", file, err)
	}
	res := &resolver{
		file:     file,
		params:   withTemplateDefaults(doc, params),
		rep:      rep,
		replaced: map[string]bool{},
	}
	res.opts = arm.PlaceholderOptions{Lenient: true, Variables: withTemplateVariables(doc, params)}

	var found []connRef
	findConnections(doc, "$", &found)
	out := &loaded{}
	if len(found) == 0 {
		rep.errorf("%s: no RestApiPoller connection found (want an object with \"kind\": \"RestApiPoller\", an array of them, or an ARM template holding them)", file)
		return out, nil
	}

	picked := map[string]bool{} // connection path -> runnable
	for _, c := range found {
		full := res.name(c)
		name := full
		if i := strings.LastIndex(full, "/"); i >= 0 {
			name = full[i+1:]
		}
		out.names = append(out.names, name)
		if pick != "" && !strings.EqualFold(pick, name) && !strings.EqualFold(pick, full) {
			continue
		}
		errsBefore := len(rep.Errors)
		run := res.connection(c, name)
		if len(rep.Errors) > errsBefore {
			rep.errorf("%s: %s: connection %s not run: its configuration has unresolved placeholders or invalid expressions", file, c.path, name)
			run = false
		}
		picked[c.path] = run
		if run {
			authSecrets(c.obj, false, &out.secrets)
		}
	}
	if len(picked) == 0 {
		rep.errorf("%s: no connection named %q (connections in the file: %s)", file, pick, strings.Join(out.names, ", "))
		return out, nil
	}

	resolved, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("re-encoding poller file %s: %w", file, err)
	}
	set, diags := resource.Decode(resolved, file)
	var paths []string
	for p, run := range picked {
		if run {
			paths = append(paths, p)
		}
	}
	bad := map[string]bool{}
	for _, d := range diags {
		p := ownerOf(d.Path, paths)
		if p == "" {
			continue // a diagnostic about another resource of the file
		}
		switch {
		case d.Severity == resource.Error:
			rep.Errors = append(rep.Errors, d.String())
			bad[p] = true
		case res.replaced[d.Path]:
			// e.g. "number written as a string" where a --param value was
			// put in: the author wrote a placeholder, not the string.
		default:
			rep.Warnings = append(rep.Warnings, d.String())
		}
	}
	if set != nil {
		for _, c := range set.Connections {
			if picked[c.Path] && !bad[c.Path] {
				out.conns = append(out.conns, c)
			}
		}
	}
	return out, nil
}

// ownerOf returns the prefix in prefixes that path lies under, or "".
func ownerOf(path string, prefixes []string) string {
	for _, p := range prefixes {
		if path == p || strings.HasPrefix(path, p+".") || strings.HasPrefix(path, p+"[") {
			return p
		}
	}
	return ""
}

// decodeTree decodes JSON into map[string]any/[]any/json.Number/... (numbers
// kept exact so the re-encoded file is the same file). A UTF-8 BOM is
// tolerated, as real connector files carry one.
func decodeTree(data []byte) (any, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := lineCol(data, se.Offset-1) // Offset counts the offending byte
			return nil, fmt.Errorf("invalid JSON at line %d, col %d: %w", line, col, err)
		}
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("invalid JSON: more than one value at offset %d", dec.InputOffset())
	}
	return v, nil
}

// resolver resolves placeholders in the connections of one file.
type resolver struct {
	file   string
	params map[string]any
	opts   arm.PlaceholderOptions
	rep    *Report
	// replaced holds the JSON paths whose value came from a placeholder.
	replaced map[string]bool
}

// variableRe extracts x from the unresolved name "variables('x')".
var variableRe = regexp.MustCompile(`^variables\('([^']*)'\)$`)

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(data []byte, off int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < off && i < int64(len(data)); i++ {
		if data[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// connRef is a connection object found in the decoded tree.
type connRef struct {
	obj  map[string]any
	path string
}

// findConnections collects every object whose "kind" is RestApiPoller,
// anywhere in v (arrays, template resources, contentTemplates' mainTemplate).
func findConnections(v any, path string, out *[]connRef) {
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			findConnections(e, path+"["+strconv.Itoa(i)+"]", out)
		}
	case map[string]any:
		if k, ok := lookup(x, "kind"); ok {
			if s, ok := k.(string); ok && strings.EqualFold(strings.TrimSpace(s), "RestApiPoller") {
				if _, ok := lookup(x, "properties"); ok {
					*out = append(*out, connRef{obj: x, path: path})
					return
				}
			}
		}
		for _, k := range sortedKeys(x) {
			findConnections(x[k], childPath(path, k), out)
		}
	}
}

// name resolves the connection's name in place and returns it. A name
// that does not resolve (an expression over deployment-only values) keeps
// its raw text: it is only shown and matched against --connection.
func (res *resolver) name(c connRef) string {
	for k, v := range c.obj {
		if !strings.EqualFold(strings.TrimSpace(k), "name") {
			continue
		}
		raw, _ := v.(string)
		if raw == "" {
			return ""
		}
		r, unresolved, err := arm.ResolvePlaceholders(raw, res.params, res.opts)
		if s, ok := r.(string); ok && err == nil && len(unresolved) == 0 {
			c.obj[k] = s
			return s
		}
		return raw
	}
	return ""
}

// connection resolves placeholders in one connection in place. An
// unresolved placeholder inside properties is an error naming it and its
// path; the name only falls back to its raw text. It reports false when the
// connection must not run (its ARM condition is false).
func (res *resolver) connection(c connRef, name string) bool {
	file, rep := res.file, res.rep
	// The condition first: a skipped connection reports nothing else.
	keys := sortedKeys(c.obj)
	sort.SliceStable(keys, func(i, j int) bool {
		return strings.EqualFold(strings.TrimSpace(keys[i]), "condition") && !strings.EqualFold(strings.TrimSpace(keys[j]), "condition")
	})
	for _, k := range keys {
		v := c.obj[k]
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "properties":
			c.obj[k] = res.tree(v, childPath(c.path, k))
		case "condition":
			s, ok := v.(string)
			if !ok {
				if b, ok := v.(bool); ok && !b {
					rep.warnf("%s: %s: condition is false; connection %s skipped", file, childPath(c.path, k), name)
					return false
				}
				continue
			}
			r, unresolved, err := arm.ResolvePlaceholders(s, res.params, res.opts)
			switch {
			case err != nil || len(unresolved) > 0:
				rep.warnf("%s: %s: condition %q could not be evaluated (%s); running connection %s anyway",
					file, childPath(c.path, k), s, why(err, unresolved), name)
			case r == false || (isString(r) && strings.EqualFold(r.(string), "false")):
				rep.warnf("%s: %s: condition %q is false with the given parameters; connection %s skipped", file, childPath(c.path, k), s, name)
				return false
			}
		case "copy":
			rep.warnf("%s: %s: copy loops are not expanded by the dry run; running one instance", file, childPath(c.path, k))
		}
	}
	return true
}

func isString(v any) bool { _, ok := v.(string); return ok }

func why(err error, unresolved []string) string {
	if err != nil {
		return err.Error()
	}
	return "unresolved " + strings.Join(unresolved, ", ")
}

// resolveTree returns v with every string resolved; unresolved placeholders
// and expression errors are reported with their JSON path.
func (res *resolver) tree(v any, path string) any {
	file, rep := res.file, res.rep
	switch x := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(x) {
			x[k] = res.tree(x[k], childPath(path, k))
		}
		return x
	case []any:
		for i := range x {
			x[i] = res.tree(x[i], path+"["+strconv.Itoa(i)+"]")
		}
		return x
	case string:
		r, unresolved, err := arm.ResolvePlaceholders(x, res.params, res.opts)
		if err != nil {
			rep.errorf("%s: %s: resolving %q: %v", file, path, x, err)
			return x
		}
		if len(unresolved) > 0 {
			for _, name := range unresolved {
				if m := variableRe.FindStringSubmatch(name); m != nil {
					rep.errorf("%s: %s: unresolved %s (give --param %s=VALUE)", file, path, name, m[1])
					continue
				}
				rep.errorf("%s: %s: unresolved placeholder %q (give --param %s=VALUE)", file, path, name, name)
			}
			return x
		}
		if s, ok := r.(string); ok {
			if left := leftover(s); left != "" {
				rep.errorf("%s: %s: unresolved placeholder %q", file, path, left)
				return x
			}
			if s == x {
				return x
			}
		}
		res.replaced[path] = true
		return r
	default:
		return v
	}
}

// leftover finds a placeholder still present after resolution ("" when
// none), so nothing unresolved is ever sent: {{x}}, a whole-string [[...],
// or an ARM call left inside text ("https://[[parameters('x')]/api").
func leftover(s string) string {
	if i := strings.Index(s, "{{"); i >= 0 {
		if j := strings.Index(s[i:], "}}"); j >= 0 {
			return s[i : i+j+2]
		}
	}
	if strings.HasPrefix(s, "[[") && strings.HasSuffix(s, "]") {
		return s
	}
	if m := embeddedExprRe.FindString(s); m != "" {
		return m
	}
	return ""
}

// embeddedExprRe finds an ARM function call written inside text.
var embeddedExprRe = regexp.MustCompile(`(?i)\[\[?(parameters|variables|concat|format)\([^\]]*\]`)

// withTemplateDefaults adds, for an ARM template, the literal defaultValue of
// every declared parameter not given with --param, plus the portal's
// built-in connect-time parameters. Given parameters always win.
func withTemplateDefaults(doc any, params map[string]any) map[string]any {
	out := make(map[string]any, len(params)+len(builtinParams))
	has := func(name string) bool {
		for k := range out {
			if strings.EqualFold(k, name) {
				return true
			}
		}
		return false
	}
	for k, v := range params {
		out[k] = v
	}
	if top, ok := doc.(map[string]any); ok {
		if ps, ok := lookup(top, "parameters"); ok {
			if pm, ok := ps.(map[string]any); ok {
				for _, name := range sortedKeys(pm) {
					decl, ok := pm[name].(map[string]any)
					if !ok || has(name) {
						continue
					}
					dv, ok := lookup(decl, "defaultValue")
					if !ok {
						continue
					}
					if s, ok := dv.(string); ok && strings.HasPrefix(s, "[") {
						continue // an expression default: evaluated only with real deployment context
					}
					out[name] = plainJSON(dv)
				}
			}
		}
	}
	for k, v := range builtinParams {
		if !has(k) {
			out[k] = v
		}
	}
	return out
}

// resolveLoose resolves placeholders in a DCR or table file with the same
// parameters (outputStream or table names are sometimes expressions). It is
// best effort: whatever does not resolve stays as written, and the decoder
// and the transform checks then name it. On any failure data is returned
// unchanged.
func resolveLoose(data []byte, params map[string]any) []byte {
	doc, err := decodeTree(data)
	if err != nil {
		return data
	}
	opts := arm.PlaceholderOptions{Lenient: true, Variables: withTemplateVariables(doc, params)}
	r, _, _ := arm.ResolvePlaceholders(plainJSON(doc), withTemplateDefaults(doc, params), opts)
	out, err := json.Marshal(r)
	if err != nil {
		return data
	}
	return out
}

// withTemplateVariables answers variables('x') in loose poller files (which
// reference the variables of the solution template they are packaged into):
// the template's literal variables when the file is a template, overridden
// by --param values of the same name.
func withTemplateVariables(doc any, params map[string]any) map[string]any {
	out := map[string]any{}
	if top, ok := doc.(map[string]any); ok {
		if vs, ok := lookup(top, "variables"); ok {
			if vm, ok := vs.(map[string]any); ok {
				for k, v := range vm {
					if s, ok := v.(string); ok && strings.HasPrefix(s, "[") {
						continue
					}
					out[k] = plainJSON(v)
				}
			}
		}
	}
	for k, v := range params {
		for ok := range out {
			if strings.EqualFold(ok, k) {
				delete(out, ok)
			}
		}
		out[k] = v
	}
	return out
}

// paramValue turns a --param value into a parameter value: text that is a
// JSON array or object (a Dropdown's ["60"], an object parameter) is
// decoded, anything else stays a string (ARM's int() and string
// concatenation accept digits as text).
func paramValue(s string) any {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "[") || strings.HasPrefix(t, "{") {
		if v, err := decodeTree([]byte(t)); err == nil {
			return plainJSON(v)
		}
	}
	return s
}

// plainJSON turns json.Number into int64/float64 (the arm value
// conventions), recursively.
func plainJSON(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = plainJSON(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = plainJSON(e)
		}
		return s
	default:
		return v
	}
}

// lookup finds a key case-insensitively (trimmed), preferring an exact match.
func lookup(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for _, k := range sortedKeys(m) {
		if strings.EqualFold(strings.TrimSpace(k), key) {
			return m[k], true
		}
	}
	return nil, false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// childPath appends a key to a JSON path the way resource diagnostics do:
// .name for identifiers, ['odd key'] otherwise.
func childPath(path, key string) string {
	if isIdent(key) {
		return path + "." + key
	}
	return path + "['" + strings.ReplaceAll(key, "'", "\\'") + "']"
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || r == '$' || r == '@' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '-'):
		default:
			return false
		}
	}
	return true
}
