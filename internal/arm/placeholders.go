package arm

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// PlaceholderOptions tunes ResolvePlaceholders.
type PlaceholderOptions struct {
	// Lenient supplies defaults for the DCR values the portal fills at
	// connect time ({{dataCollectionEndpoint}},
	// {{dataCollectionRuleImmutableId}} and the members of
	// parameters('dcrConfig')) when params do not give them: for dry runs.
	Lenient bool
	// Defaults used by Lenient; empty means DefaultDataCollectionEndpoint and
	// DefaultDataCollectionRuleImmutableID.
	DataCollectionEndpoint        string
	DataCollectionRuleImmutableID string
	// Variables answers variables('x') in expressions (optional).
	Variables map[string]any
	// Environment seen by subscription(), resourceGroup(), newGuid(), utcNow().
	SubscriptionID, ResourceGroup, Location string
	Now                                     func() time.Time
	NewGUID                                 func() string
}

// Defaults for PlaceholderOptions.Lenient.
const (
	DefaultDataCollectionEndpoint        = "http://127.0.0.1:8080"
	DefaultDataCollectionRuleImmutableID = "dcr-00000000000000000000000000000000"
)

// placeholderRe matches {{name}} packaging placeholders (not the
// single-brace {_QueryWindowStartTime} runtime variables).
var placeholderRe = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_.\-]+)\s*\}\}`)

// quotedCallRe matches a parameters()/variables() call wrapped in quotes.
var quotedCallRe = regexp.MustCompile(`'((?i:parameters|variables))\('([^']*)'\)'`)

// uiOnlyPlaceholders are resolved by the connector page, not by deployment.
var uiOnlyPlaceholders = map[string]bool{"graphqueriestablename": true}

// ResolvePlaceholders walks a decoded JSON value and resolves, in string
// values (not keys):
//   - ARM expressions "[expr]" and "[[expr]" (both are evaluated: in loose
//     connector files "[[" is the packager's escaping, not a literal), with
//     params answering parameters('x') case-insensitively;
//   - {{name}} packaging placeholders, looked up case-insensitively in
//     params; a string that is exactly "{{name}}" takes the parameter's value
//     with its type, otherwise the value is spliced in as text.
//
// {_QueryWindowStartTime}-style runtime variables, $name$ nested-step
// placeholders and {{graphQueriesTableName}} (resolved by the UI) are left
// untouched. Names that params do not define are returned (sorted, unique)
// and their strings are left as they were; variables that are not defined
// are reported as "variables('name')". Other evaluation failures (bad
// syntax, reference(), copyIndex() outside a loop) are returned as one
// joined error with JSON paths, alongside the partly resolved value. The
// input is not modified.
func ResolvePlaceholders(v any, params map[string]any, opts PlaceholderOptions) (any, []string, error) {
	p := make(map[string]any, len(params)+3)
	for k, val := range params {
		p[k] = Normalize(deepCopy(val))
	}
	// {{dataCollectionEndpoint}} and {{dataCollectionRuleImmutableId}} are
	// the members of the connect-time dcrConfig when not given directly.
	if cfg, ok := lookupCI(p, "dcrConfig"); ok {
		if cm, ok := cfg.(map[string]any); ok {
			for _, k := range []string{"dataCollectionEndpoint", "dataCollectionRuleImmutableId"} {
				if _, given := lookupCI(p, k); !given {
					if v, ok := lookupCI(cm, k); ok {
						p[k] = v
					}
				}
			}
		}
	}
	if opts.Lenient {
		dce := opts.DataCollectionEndpoint
		if dce == "" {
			dce = DefaultDataCollectionEndpoint
		}
		dcr := opts.DataCollectionRuleImmutableID
		if dcr == "" {
			dcr = DefaultDataCollectionRuleImmutableID
		}
		if _, ok := lookupCI(p, "dataCollectionEndpoint"); !ok {
			p["dataCollectionEndpoint"] = dce
		}
		if _, ok := lookupCI(p, "dataCollectionRuleImmutableId"); !ok {
			p["dataCollectionRuleImmutableId"] = dcr
		}
		cfg, ok := lookupCI(p, "dcrConfig")
		cm, isMap := cfg.(map[string]any)
		if !ok || !isMap {
			cm = map[string]any{}
			p["dcrConfig"] = cm
		}
		if _, ok := lookupCI(cm, "dataCollectionEndpoint"); !ok {
			cm["dataCollectionEndpoint"] = dce
		}
		if _, ok := lookupCI(cm, "dataCollectionRuleImmutableId"); !ok {
			cm["dataCollectionRuleImmutableId"] = dcr
		}
	}
	r := &resolver{
		params: p,
		ctx: &Context{
			Parameters: p, Variables: opts.Variables,
			Subscription: opts.SubscriptionID, ResourceGroup: opts.ResourceGroup, Location: opts.Location,
			Now: opts.Now, NewGUID: opts.NewGUID,
		},
		unresolved: map[string]bool{},
	}
	out := r.walk(v, "")
	names := make([]string, 0, len(r.unresolved))
	for n := range r.unresolved {
		names = append(names, n)
	}
	sort.Strings(names)
	return out, names, errors.Join(r.errs...)
}

type resolver struct {
	params     map[string]any
	ctx        *Context
	unresolved map[string]bool
	errs       []error
}

func (r *resolver) walk(v any, path string) any {
	switch x := v.(type) {
	case string:
		return r.str(x, path)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.walk(e, indexPath(path, i))
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = r.walk(e, joinPath(path, k))
		}
		return out
	}
	return v
}

func (r *resolver) str(s, path string) any {
	if IsExpression(s) || IsEscaped(s) {
		src := s
		if IsEscaped(s) {
			src = s[1:]
		}
		e, err := ParseExpr(src)
		if err != nil {
			// Connector sources sometimes quote a call by mistake:
			// concat('parameters('workspace')', ...) (ccf-format.md D.3).
			// The packager replaces such names; we unquote the call.
			fixed := quotedCallRe.ReplaceAllString(src, "$1('$2')")
			if fixed == src {
				r.errs = append(r.errs, &Error{Path: displayPath(path), Err: err})
				return s
			}
			e2, err2 := ParseExpr(fixed)
			if err2 != nil {
				r.errs = append(r.errs, &Error{Path: displayPath(path), Err: err})
				return s
			}
			e = e2
		}
		v, err := Eval(e, r.ctx)
		if err != nil {
			var me *MissingError
			if errors.As(err, &me) {
				if me.Kind == "parameter" {
					r.unresolved[me.Name] = true
				} else {
					r.unresolved[fmt.Sprintf("variables('%s')", me.Name)] = true
				}
				return s
			}
			r.errs = append(r.errs, &Error{Path: displayPath(path), Err: err})
			return s
		}
		return v
	}
	if strings.Contains(s, "[[") {
		s = r.embedded(s, path)
	}
	if !strings.Contains(s, "{{") {
		return s
	}
	if m := placeholderRe.FindStringSubmatch(s); m != nil && m[0] == s {
		if val, ok := lookupCI(r.params, m[1]); ok {
			return deepCopy(val)
		}
		if !uiOnlyPlaceholders[strings.ToLower(m[1])] {
			r.unresolved[m[1]] = true
		}
		return s
	}
	return placeholderRe.ReplaceAllStringFunc(s, func(m string) string {
		name := placeholderRe.FindStringSubmatch(m)[1]
		if val, ok := lookupCI(r.params, name); ok {
			return placeholderText(val)
		}
		if !uiOnlyPlaceholders[strings.ToLower(name)] {
			r.unresolved[name] = true
		}
		return m
	})
}

// embedded resolves "[[expr]" spliced into text, as in
// "https://[[parameters('host')]" (seen in connector sources; ARM itself
// would keep such a string literally). Unresolvable parts are kept.
func (r *resolver) embedded(s, path string) string {
	var b strings.Builder
	rest := s
	for {
		i := strings.Index(rest, "[[")
		if i < 0 {
			b.WriteString(rest)
			return b.String()
		}
		b.WriteString(rest[:i])
		if !embeddedCallRe.MatchString(rest[i+2:]) {
			// not a function call (e.g. KQL "x[['k']]"): plain text
			b.WriteString("[[")
			rest = rest[i+2:]
			continue
		}
		e, n, err := parseEmbedded(rest[i+2:], len(s)-len(rest)+i+2)
		if err != nil {
			r.errs = append(r.errs, &Error{Path: displayPath(path), Err: err})
			b.WriteString(rest[i:])
			return b.String()
		}
		v, err := Eval(e, r.ctx)
		switch {
		case err == nil:
			b.WriteString(placeholderText(v))
		default:
			var me *MissingError
			if errors.As(err, &me) {
				if me.Kind == "parameter" {
					r.unresolved[me.Name] = true
				} else {
					r.unresolved[fmt.Sprintf("variables('%s')", me.Name)] = true
				}
			} else {
				r.errs = append(r.errs, &Error{Path: displayPath(path), Err: err})
			}
			b.WriteString(rest[i : i+2+n])
		}
		rest = rest[i+2+n:]
	}
}

// embeddedCallRe recognises the start of an embedded "[[fn(" expression.
var embeddedCallRe = regexp.MustCompile(`^\s*[A-Za-z_][A-Za-z0-9_]*\s*\(`)

// placeholderText renders a value spliced into text.
func placeholderText(v any) string {
	if b, ok := v.(bool); ok {
		if b {
			return "true"
		}
		return "false"
	}
	return ToString(v)
}

func displayPath(p string) string {
	if p == "" {
		return "$"
	}
	return p
}
