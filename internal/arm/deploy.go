package arm

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Env is the deployment target as template functions see it.
type Env struct {
	SubscriptionID string // subscription().subscriptionId
	ResourceGroup  string // resourceGroup().name
	Location       string // resourceGroup().location
	TenantID       string // subscription().tenantId
	// Workspace is the default for a template parameter named "workspace"
	// when the caller gives none.
	Workspace      string
	DeploymentName string // deployment().name; default "codeless"
	Now            func() time.Time
	NewGUID        func() string
	// Reference implements reference(); nil makes it an error.
	Reference func(resourceID, apiVersion string) (any, error)
}

// Resource is one deployed (evaluated) resource.
type Resource struct {
	Type       string
	Name       string // full ARM name as evaluated, e.g. "ws/Microsoft.SecurityInsights/x"
	APIVersion string
	Kind       string
	ID         string // resource id computed from type and name
	// Body is the whole evaluated resource JSON (without copy, condition and
	// dependsOn).
	Body map[string]any
	// Path is the JSON path of the resource in the template, e.g.
	// "resources[3]" or "resources[0].properties.template.resources[1]";
	// copies get "[i]" appended after the path, e.g. "resources[2]<copy 1>".
	Path string
	// DependsOn lists the ids of resources this one waits for.
	DependsOn []string
	// CopyName and CopyIndex identify an instance of a copy loop.
	CopyName  string
	CopyIndex int
}

// Result is a successful deployment: resources in dependency order, outputs,
// and the parameter values with secure parameters redacted.
type Result struct {
	Resources  []Resource
	Outputs    map[string]any
	Parameters map[string]any // secure values replaced by Redacted
	// params holds the effective values including secure ones; it is not
	// exported so that a Result can be serialised into deployment history.
	params map[string]any
	env    Env
}

// Redacted replaces secure parameter values.
const Redacted = "*****"

// Error is one deployment problem at a JSON path of the template.
type Error struct {
	Path     string // JSON path, e.g. "resources[2].properties.auth.ApiKey"
	Resource string // resource name (or "" for parameters, variables, outputs)
	Err      error
}

func (e *Error) Error() string {
	if e.Resource != "" {
		return fmt.Sprintf("%s (resource %s): %v", e.Path, e.Resource, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// maxCopy is ARM's limit on copy loop counts.
const maxCopy = 800

// maxNesting bounds nested deployments.
const maxNesting = 10

// Deploy evaluates template with params in env and returns the resources it
// would create, in dependency order. params maps parameter names to plain
// values (use ParseParametersFile for the {"parameters":{"x":{"value":..}}}
// form). On any error Deploy returns every problem found (joined *Error
// values) and no result.
func Deploy(template []byte, params map[string]any, env Env) (*Result, error) {
	v, err := DecodeJSON(template)
	if err != nil {
		return nil, fmt.Errorf("decoding template: %w", err)
	}
	tmpl, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("decoding template: the template must be a JSON object, got %s", typeName(v))
	}
	return DeployValue(tmpl, params, env)
}

// DeployValue is Deploy for an already decoded template. The template is not
// modified.
func DeployValue(tmpl map[string]any, params map[string]any, env Env) (*Result, error) {
	if env.DeploymentName == "" {
		env.DeploymentName = "codeless"
	}
	d := newDeployer(tmpl, params, env, "", 0)
	res := d.run()
	if len(d.errs) > 0 {
		return nil, errors.Join(d.errs...)
	}
	return res, nil
}

// ParseParametersFile reads an ARM parameters file
// ({"parameters":{"x":{"value":...}}}) or a plain {"x":...} object and
// returns name → value. Key Vault references are rejected.
func ParseParametersFile(data []byte) (map[string]any, error) {
	v, err := DecodeJSON(data)
	if err != nil {
		return nil, fmt.Errorf("decoding parameters file: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("decoding parameters file: expected a JSON object, got %s", typeName(v))
	}
	if p, ok := lookupCI(obj, "parameters"); ok {
		if _, hasSchema := lookupCI(obj, "$schema"); hasSchema || len(obj) <= 3 {
			pm, ok := p.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("parameters: expected an object, got %s", typeName(p))
			}
			out := make(map[string]any, len(pm))
			for name, entry := range pm {
				em, ok := entry.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("parameters.%s: expected an object with \"value\", got %s", name, typeName(entry))
				}
				if _, ok := lookupCI(em, "reference"); ok {
					return nil, fmt.Errorf("parameters.%s: Key Vault references are not supported", name)
				}
				val, ok := lookupCI(em, "value")
				if !ok {
					return nil, fmt.Errorf("parameters.%s: missing \"value\"", name)
				}
				out[name] = val
			}
			return out, nil
		}
	}
	return obj, nil
}

// RedactedParameters returns params with the values of parameters the
// template declares as securestring or secureObject (and of parameters it
// does not declare at all, whose sensitivity is unknown) replaced by
// Redacted.
func RedactedParameters(template []byte, params map[string]any) map[string]any {
	decls := map[string]map[string]any{}
	if v, err := DecodeJSON(template); err == nil {
		if t, ok := v.(map[string]any); ok {
			if p, ok := lookupCI(t, "parameters"); ok {
				if pm, ok := p.(map[string]any); ok {
					for k, d := range pm {
						if dm, ok := d.(map[string]any); ok {
							decls[strings.ToLower(k)] = dm
						}
					}
				}
			}
		}
	}
	out := make(map[string]any, len(params))
	for k, v := range params {
		d, ok := decls[strings.ToLower(k)]
		if !ok || isSecureType(d) {
			out[k] = Redacted
			continue
		}
		out[k] = v
	}
	return out
}

func isSecureType(decl map[string]any) bool {
	t, _ := lookupCI(decl, "type")
	ts, _ := t.(string)
	return strings.EqualFold(ts, "securestring") || strings.EqualFold(ts, "secureobject")
}

type state int

const (
	unvisited state = iota
	visiting
	done
)

type deployer struct {
	env    Env
	tmpl   map[string]any
	prefix string
	depth  int

	paramDecl  map[string]map[string]any // lower name → declaration
	paramName  map[string]string         // lower → declared spelling
	provided   map[string]any            // lower → value
	givenNames map[string]bool           // names as the caller spelled them
	paramVal   map[string]any
	paramState map[string]state

	varDecl  map[string]any // lower → raw value
	varName  map[string]string
	varCopy  map[string]map[string]any
	varVal   map[string]any
	varState map[string]state

	ctx  *Context
	errs []error
}

func newDeployer(tmpl map[string]any, params map[string]any, env Env, prefix string, depth int) *deployer {
	d := &deployer{
		env: env, tmpl: tmpl, prefix: prefix, depth: depth,
		paramDecl: map[string]map[string]any{}, paramName: map[string]string{},
		provided: map[string]any{}, paramVal: map[string]any{}, paramState: map[string]state{},
		varDecl: map[string]any{}, varName: map[string]string{}, varCopy: map[string]map[string]any{},
		varVal: map[string]any{}, varState: map[string]state{},
	}
	cv, _ := lookupCI(tmpl, "contentVersion")
	cvs, _ := cv.(string)
	d.ctx = &Context{
		Subscription:   env.SubscriptionID,
		ResourceGroup:  env.ResourceGroup,
		Location:       env.Location,
		DeploymentName: env.DeploymentName,
		TenantID:       env.TenantID,
		Now:            env.Now,
		NewGUID:        env.NewGUID,
		Reference:      env.Reference,
		contentVersion: cvs,
	}
	d.ctx.lookupParam = d.resolveParam
	d.ctx.lookupVar = d.resolveVar
	d.givenNames = map[string]bool{}
	for k, v := range params {
		d.provided[strings.ToLower(k)] = v
		d.givenNames[k] = true
	}
	return d
}

func (d *deployer) addErr(path, resource string, err error) {
	d.errs = append(d.errs, &Error{Path: d.prefix + path, Resource: resource, Err: err})
}

var identRe = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$`)

func joinPath(base, key string) string {
	if identRe.MatchString(key) {
		if base == "" {
			return key
		}
		return base + "." + key
	}
	return base + "['" + strings.ReplaceAll(key, "'", "\\'") + "']"
}

func indexPath(base string, i int) string { return base + "[" + strconv.Itoa(i) + "]" }

func (d *deployer) run() *Result {
	if d.depth > maxNesting {
		d.addErr("", "", fmt.Errorf("nested deployments deeper than %d levels", maxNesting))
		return nil
	}
	d.loadParameters()
	d.loadVariables()
	// User-defined functions ("functions") are not supported: a call to one
	// ("ns.fn(...)") fails with its position when it is evaluated.
	nodes := d.loadResources()
	ordered := d.order(nodes)
	outputs := d.outputs()

	res := &Result{Outputs: outputs, Parameters: map[string]any{}, params: map[string]any{}, env: d.env}
	for lower, name := range d.paramName {
		v, ok := d.paramVal[lower]
		if !ok {
			continue
		}
		res.params[name] = v
		if isSecureType(d.paramDecl[lower]) {
			res.Parameters[name] = Redacted
		} else {
			res.Parameters[name] = v
		}
	}
	for _, n := range ordered {
		res.Resources = append(res.Resources, n.Resource)
	}
	// An output that carries a secure parameter's value is redacted too, so
	// that outputs can be stored in deployment history.
	var secrets []string
	for lower, v := range d.paramVal {
		if isSecureType(d.paramDecl[lower]) {
			secrets = append(secrets, stringLeaves(v)...)
		}
	}
	for k, v := range res.Outputs {
		for _, sec := range secrets {
			if containsString(v, sec) {
				res.Outputs[k] = Redacted
				break
			}
		}
	}
	return res
}

func stringLeaves(v any) []string {
	switch x := v.(type) {
	case string:
		if x != "" {
			return []string{x}
		}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, stringLeaves(e)...)
		}
		return out
	case map[string]any:
		var out []string
		for _, e := range x {
			out = append(out, stringLeaves(e)...)
		}
		return out
	}
	return nil
}

func containsString(v any, sub string) bool {
	for _, s := range stringLeaves(v) {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// ---- parameters ----

func (d *deployer) loadParameters() {
	raw, _ := lookupCI(d.tmpl, "parameters")
	if raw == nil {
		raw = map[string]any{}
	}
	pm, ok := raw.(map[string]any)
	if !ok {
		d.addErr("parameters", "", fmt.Errorf("expected an object, got %s", typeName(raw)))
		return
	}
	for name, decl := range pm {
		dm, ok := decl.(map[string]any)
		if !ok {
			d.addErr(joinPath("parameters", name), "", fmt.Errorf("expected an object, got %s", typeName(decl)))
			continue
		}
		d.paramDecl[strings.ToLower(name)] = dm
		d.paramName[strings.ToLower(name)] = name
	}
	if _, ok := d.paramDecl["workspace"]; ok && d.env.Workspace != "" {
		if _, given := d.provided["workspace"]; !given {
			d.provided["workspace"] = d.env.Workspace
		}
	}
	var unknown []string
	for k := range d.givenNames {
		if _, ok := d.paramDecl[strings.ToLower(k)]; !ok {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, u := range unknown {
		d.addErr(joinPath("parameters", u), "", errors.New("a value was given for a parameter the template does not declare"))
	}
	names := make([]string, 0, len(d.paramName))
	for lower := range d.paramName {
		names = append(names, lower)
	}
	sort.Strings(names)
	for _, lower := range names {
		// resolveParam reports its own problems at the parameter's path.
		_, _, _ = d.resolveParam(d.paramName[lower])
	}
}

// paramError marks an error already attributed to a parameter so that
// parameters referring to it do not report it again.
type paramError struct {
	name     string
	err      error
	reported bool
}

func (e *paramError) Error() string { return fmt.Sprintf("parameter %q: %v", e.name, e.err) }
func (e *paramError) Unwrap() error { return e.err }

func (d *deployer) resolveParam(name string) (any, bool, error) {
	lower := strings.ToLower(name)
	decl, ok := d.paramDecl[lower]
	if !ok {
		return nil, false, nil
	}
	switch d.paramState[lower] {
	case done:
		v, ok := d.paramVal[lower]
		if !ok {
			return nil, true, &paramError{name: d.paramName[lower], err: errors.New("has no valid value"), reported: true}
		}
		return v, true, nil
	case visiting:
		return nil, true, fmt.Errorf("parameter %q refers to itself through its defaultValue", d.paramName[lower])
	}
	d.paramState[lower] = visiting
	defer func() { d.paramState[lower] = done }()
	fail := func(err error) (any, bool, error) {
		if !alreadyReported(err) {
			d.addErr(joinPath("parameters", d.paramName[lower]), "", err)
		}
		return nil, true, &paramError{name: d.paramName[lower], err: err, reported: true}
	}
	if _, err := checkParamType(decl); err != nil {
		return fail(err)
	}
	v, given := d.provided[lower]
	if !given {
		def, hasDef := lookupCI(decl, "defaultValue")
		if !hasDef {
			return fail(errors.New("no value was given and it has no defaultValue"))
		}
		ev, errs := d.evalValue(deepCopy(def), d.ctx, joinPath(joinPath("parameters", d.paramName[lower]), "defaultValue"), false)
		if len(errs) > 0 {
			err := errors.Join(errs...)
			if alreadyReported(err) {
				return fail(err)
			}
			return fail(fmt.Errorf("evaluating defaultValue: %w", err))
		}
		v = ev
	} else {
		v = Normalize(deepCopy(v))
	}
	cv, err := checkParam(decl, v)
	if err != nil {
		return fail(err)
	}
	d.paramVal[lower] = cv
	return cv, true, nil
}

// report records evaluation errors, skipping consequences of parameters or
// variables that failed (those are reported once, at their own path).
func (d *deployer) report(errs []error, path, resource string) {
	for _, e := range errs {
		if alreadyReported(e) {
			continue
		}
		var pe *Error
		if errors.As(e, &pe) {
			pe.Resource = resource
			d.errs = append(d.errs, pe)
			continue
		}
		d.addErr(path, resource, e)
	}
}

// alreadyReported tells whether err stems from a parameter or variable
// whose own problem has been reported at its path already.
func alreadyReported(err error) bool {
	var pe *paramError
	if errors.As(err, &pe) && pe.reported {
		return true
	}
	var ve *varError
	return errors.As(err, &ve) && ve.reported
}

func checkParamType(decl map[string]any) (string, error) {
	t, _ := lookupCI(decl, "type")
	ts, _ := t.(string)
	switch strings.ToLower(ts) {
	case "string", "securestring", "int", "bool", "object", "secureobject", "array":
		return strings.ToLower(ts), nil
	case "":
		return "", errors.New("the declaration has no type")
	}
	return "", fmt.Errorf("unknown parameter type %q", ts)
}

// checkParam coerces v to the declared type and checks allowedValues and
// length/value limits.
func checkParam(decl map[string]any, v any) (any, error) {
	t, _ := lookupCI(decl, "type")
	ts, _ := t.(string)
	switch strings.ToLower(ts) {
	case "string", "securestring":
		if _, ok := v.(string); !ok {
			return nil, fmt.Errorf("expected a string, got %s", typeName(v))
		}
	case "int":
		switch x := v.(type) {
		case string:
			n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("expected an int, got %q", x)
			}
			v = n
		default:
			n, ok := toInt(v)
			if !ok {
				return nil, fmt.Errorf("expected an int, got %s", typeName(v))
			}
			v = n
		}
	case "bool":
		switch x := v.(type) {
		case bool:
		case string:
			switch strings.ToLower(strings.TrimSpace(x)) {
			case "true":
				v = true
			case "false":
				v = false
			default:
				return nil, fmt.Errorf("expected a bool, got %q", x)
			}
		default:
			return nil, fmt.Errorf("expected a bool, got %s", typeName(v))
		}
	case "object", "secureobject":
		if s, ok := v.(string); ok && strings.HasPrefix(strings.TrimSpace(s), "{") {
			if j, err := DecodeJSON([]byte(s)); err == nil {
				v = j
			}
		}
		if _, ok := v.(map[string]any); !ok {
			return nil, fmt.Errorf("expected an object, got %s", typeName(v))
		}
	case "array":
		if s, ok := v.(string); ok && strings.HasPrefix(strings.TrimSpace(s), "[") {
			if j, err := DecodeJSON([]byte(s)); err == nil {
				v = j
			}
		}
		if _, ok := v.([]any); !ok {
			return nil, fmt.Errorf("expected an array, got %s", typeName(v))
		}
	case "":
		return nil, errors.New("the declaration has no type")
	default:
		return nil, fmt.Errorf("unknown parameter type %q", ts)
	}
	if av, ok := lookupCI(decl, "allowedValues"); ok {
		allowed, ok := av.([]any)
		if !ok {
			return nil, fmt.Errorf("allowedValues must be an array, got %s", typeName(av))
		}
		check := []any{v}
		if arr, ok := v.([]any); ok {
			check = arr
		}
		for _, c := range check {
			found := false
			for _, a := range allowed {
				if deepEqual(a, c) {
					found = true
					break
				}
			}
			if !found {
				if isSecureType(decl) {
					// never echo a secret into an error message
					return nil, errors.New("the value is not one of the allowedValues")
				}
				return nil, fmt.Errorf("value %s is not one of the allowedValues %s", ToString(c), ToString(allowed))
			}
		}
	}
	length := -1
	switch x := v.(type) {
	case string:
		length = utf8.RuneCountInString(x)
	case []any:
		length = len(x)
	}
	if length >= 0 {
		if m, ok := declInt(decl, "minLength"); ok && int64(length) < m {
			return nil, fmt.Errorf("length %d is less than minLength %d", length, m)
		}
		if m, ok := declInt(decl, "maxLength"); ok && int64(length) > m {
			return nil, fmt.Errorf("length %d is more than maxLength %d", length, m)
		}
	}
	if n, ok := v.(int64); ok {
		if m, ok := declInt(decl, "minValue"); ok && n < m {
			return nil, fmt.Errorf("value %d is less than minValue %d", n, m)
		}
		if m, ok := declInt(decl, "maxValue"); ok && n > m {
			return nil, fmt.Errorf("value %d is more than maxValue %d", n, m)
		}
	}
	return v, nil
}

func declInt(decl map[string]any, key string) (int64, bool) {
	v, ok := lookupCI(decl, key)
	if !ok {
		return 0, false
	}
	return toInt(v)
}

// ---- variables ----

func (d *deployer) loadVariables() {
	raw, _ := lookupCI(d.tmpl, "variables")
	if raw == nil {
		return
	}
	vm, ok := raw.(map[string]any)
	if !ok {
		d.addErr("variables", "", fmt.Errorf("expected an object, got %s", typeName(raw)))
		return
	}
	for name, v := range vm {
		if strings.EqualFold(name, "copy") {
			arr, ok := v.([]any)
			if !ok {
				d.addErr("variables.copy", "", fmt.Errorf("expected an array, got %s", typeName(v)))
				continue
			}
			for i, c := range arr {
				cm, ok := c.(map[string]any)
				n, _ := lookupCI(cm, "name")
				ns, _ := n.(string)
				if !ok || ns == "" {
					d.addErr(indexPath("variables.copy", i), "", errors.New("a copy entry needs a name"))
					continue
				}
				d.varCopy[strings.ToLower(ns)] = cm
				d.varName[strings.ToLower(ns)] = ns
			}
			continue
		}
		d.varDecl[strings.ToLower(name)] = v
		d.varName[strings.ToLower(name)] = name
	}
	names := make([]string, 0, len(d.varDecl)+len(d.varCopy))
	for n := range d.varDecl {
		names = append(names, n)
	}
	for n := range d.varCopy {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		// resolveVar reports its own problems at the variable's path.
		_, _, _ = d.resolveVar(d.varName[n])
	}
}

type varError struct {
	name     string
	err      error
	reported bool
}

func (e *varError) Error() string { return fmt.Sprintf("variable %q: %v", e.name, e.err) }
func (e *varError) Unwrap() error { return e.err }

func (d *deployer) resolveVar(name string) (any, bool, error) {
	lower := strings.ToLower(name)
	raw, isPlain := d.varDecl[lower]
	cp, isCopy := d.varCopy[lower]
	if !isPlain && !isCopy {
		return nil, false, nil
	}
	name = d.varName[lower]
	switch d.varState[lower] {
	case done:
		v, ok := d.varVal[lower]
		if !ok {
			return nil, true, &varError{name: name, err: errors.New("has no valid value"), reported: true}
		}
		return v, true, nil
	case visiting:
		return nil, true, fmt.Errorf("variable %q refers to itself", name)
	}
	d.varState[lower] = visiting
	defer func() { d.varState[lower] = done }()
	fail := func(err error) (any, bool, error) {
		if !alreadyReported(err) {
			d.addErr(joinPath("variables", name), "", err)
		}
		return nil, true, &varError{name: name, err: err, reported: true}
	}
	var v any
	if isCopy {
		arr, err := d.copyArray(cp, d.ctx, lower)
		if err != nil {
			return fail(err)
		}
		v = arr
	} else {
		ev, errs := d.evalValue(deepCopy(raw), d.ctx, joinPath("variables", name), true)
		if len(errs) > 0 {
			if err := errors.Join(errs...); alreadyReported(err) {
				return fail(err)
			}
			d.report(errs, joinPath("variables", name), "")
			return nil, true, &varError{name: name, err: errors.Join(errs...), reported: true}
		}
		v = ev
	}
	d.varVal[lower] = v
	return v, true, nil
}

// copyArray evaluates a {name, count, input} copy element into an array.
func (d *deployer) copyArray(cp map[string]any, ctx *Context, loop string) ([]any, error) {
	n, _ := lookupCI(cp, "name")
	name, _ := n.(string)
	if name == "" {
		name = loop
	}
	count, err := d.copyCount(cp, ctx)
	if err != nil {
		return nil, err
	}
	input, ok := lookupCI(cp, "input")
	if !ok {
		return nil, errors.New("copy needs an input")
	}
	out := make([]any, 0, count)
	for i := 0; i < count; i++ {
		c := ctx.withCopy(name, i, false)
		v, errs := d.evalValue(deepCopy(input), c, "", true)
		if len(errs) > 0 {
			return nil, fmt.Errorf("copy %q iteration %d: %w", name, i, errors.Join(errs...))
		}
		out = append(out, v)
	}
	return out, nil
}

func (d *deployer) copyCount(cp map[string]any, ctx *Context) (int, error) {
	raw, ok := lookupCI(cp, "count")
	if !ok {
		return 0, errors.New("copy needs a count")
	}
	v := raw
	if s, ok := raw.(string); ok {
		ev, err := EvalString(s, ctx)
		if err != nil {
			return 0, fmt.Errorf("evaluating copy count: %w", err)
		}
		v = ev
	}
	n, ok := toInt(v)
	if !ok {
		if s, isStr := v.(string); isStr {
			if p, err := strconv.Atoi(s); err == nil {
				n, ok = int64(p), true
			}
		}
	}
	if !ok {
		return 0, fmt.Errorf("copy count must be an integer, got %s", typeName(v))
	}
	if n < 0 || n > maxCopy {
		return 0, fmt.Errorf("copy count %d must be between 0 and %d", n, maxCopy)
	}
	return int(n), nil
}

func (c *Context) withCopy(name string, i int, resourceLoop bool) *Context {
	c2 := *c
	c2.CopyIndex = make(map[string]int, len(c.CopyIndex)+2)
	for k, v := range c.CopyIndex {
		c2.CopyIndex[k] = v
	}
	c2.CopyIndex[name] = i
	if resourceLoop {
		c2.CopyIndex[""] = i
	}
	return &c2
}

// ---- values ----

// evalValue evaluates every string in v (values only, not keys). When
// propCopy is set, objects with a property-iteration "copy" array
// ([{name, count, input}]) are expanded; this is switched off below keys
// named "template" and "mainTemplate", whose copy elements belong to the
// nested template.
func (d *deployer) evalValue(v any, ctx *Context, path string, propCopy bool) (any, []error) {
	switch x := v.(type) {
	case string:
		r, err := EvalString(x, ctx)
		if err != nil {
			if alreadyReported(err) {
				return nil, []error{err}
			}
			return nil, []error{&Error{Path: d.prefix + path, Err: err}}
		}
		return r, nil
	case []any:
		var errs []error
		out := make([]any, len(x))
		for i, e := range x {
			r, es := d.evalValue(e, ctx, indexPath(path, i), propCopy)
			errs = append(errs, es...)
			out[i] = r
		}
		return out, errs
	case map[string]any:
		var errs []error
		out := make(map[string]any, len(x))
		if propCopy {
			if cp, ok := x["copy"].([]any); ok && isPropertyCopy(cp) {
				for i, c := range cp {
					cm := c.(map[string]any)
					n, _ := lookupCI(cm, "name")
					name, _ := n.(string)
					arr, err := d.copyArray(cm, ctx, name)
					if err != nil {
						errs = append(errs, &Error{Path: d.prefix + indexPath(joinPath(path, "copy"), i), Err: err})
						continue
					}
					out[name] = arr
				}
			} else if _, ok := x["copy"]; ok {
				r, es := d.evalValue(x["copy"], ctx, joinPath(path, "copy"), propCopy)
				errs = append(errs, es...)
				out["copy"] = r
			}
		}
		for k, e := range x {
			if propCopy && k == "copy" {
				continue
			}
			pc := propCopy && !strings.EqualFold(k, "template") && !strings.EqualFold(k, "mainTemplate")
			r, es := d.evalValue(e, ctx, joinPath(path, k), pc)
			errs = append(errs, es...)
			out[k] = r
		}
		return out, errs
	}
	return v, nil
}

func isPropertyCopy(cp []any) bool {
	if len(cp) == 0 {
		return false
	}
	for _, c := range cp {
		cm, ok := c.(map[string]any)
		if !ok {
			return false
		}
		_, hasName := lookupCI(cm, "name")
		_, hasCount := lookupCI(cm, "count")
		_, hasInput := lookupCI(cm, "input")
		if !hasName || !hasCount || !hasInput {
			return false
		}
	}
	return true
}

// ---- resources ----

type node struct {
	Resource
	index   int // order of appearance
	deps    []string
	path    string
	loop    string
	inner   []string // ids of nested deployment resources (for deployments)
	parents []string // deployment ids this inner resource belongs to
}

type skipped struct {
	id, name, typ string
}

func (d *deployer) resourceList() ([]any, []string) {
	raw, _ := lookupCI(d.tmpl, "resources")
	switch r := raw.(type) {
	case nil:
		return nil, nil
	case []any:
		paths := make([]string, len(r))
		for i := range r {
			paths[i] = indexPath("resources", i)
		}
		return r, paths
	case map[string]any:
		// languageVersion 2.0: symbolic names.
		keys := make([]string, 0, len(r))
		for k := range r {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		list := make([]any, len(keys))
		paths := make([]string, len(keys))
		for i, k := range keys {
			list[i] = r[k]
			paths[i] = joinPath("resources", k)
		}
		return list, paths
	}
	d.addErr("resources", "", fmt.Errorf("expected an array, got %s", typeName(raw)))
	return nil, nil
}

func (d *deployer) loadResources() []*node {
	list, paths := d.resourceList()
	var nodes []*node
	var skips []skipped
	for i, r := range list {
		path := paths[i]
		rm, ok := r.(map[string]any)
		if !ok {
			d.addErr(path, "", fmt.Errorf("expected an object, got %s", typeName(r)))
			continue
		}
		if _, ok := lookupCI(rm, "resources"); ok {
			d.addErr(joinPath(path, "resources"), "", errors.New("child resources nested inside a resource are not supported; declare them at the top level with their full type and name"))
			continue
		}
		iters := []int{-1}
		loop := ""
		if cpRaw, ok := lookupCI(rm, "copy"); ok {
			cp, ok := cpRaw.(map[string]any)
			if !ok {
				d.addErr(joinPath(path, "copy"), "", fmt.Errorf("expected an object, got %s", typeName(cpRaw)))
				continue
			}
			n, _ := lookupCI(cp, "name")
			loop, _ = n.(string)
			if loop == "" {
				d.addErr(joinPath(path, "copy.name"), "", errors.New("a copy loop needs a name"))
				continue
			}
			count, err := d.copyCount(cp, d.ctx)
			if err != nil {
				d.addErr(joinPath(path, "copy.count"), "", err)
				continue
			}
			iters = iters[:0]
			for k := 0; k < count; k++ {
				iters = append(iters, k)
			}
		}
		for _, it := range iters {
			ctx := d.ctx
			ipath := path
			if it >= 0 {
				ctx = d.ctx.withCopy(loop, it, true)
				ipath = fmt.Sprintf("%s<copy %d>", path, it)
			}
			ns, sk := d.loadResource(rm, ctx, path, ipath, loop, it, len(nodes))
			nodes = append(nodes, ns...)
			if sk != nil {
				skips = append(skips, *sk)
			}
		}
	}
	d.resolveDeps(nodes, skips)
	return nodes
}

func (d *deployer) loadResource(rm map[string]any, ctx *Context, path, ipath, loop string, it, base int) ([]*node, *skipped) {
	str := func(key string) (string, error) {
		raw, ok := lookupCI(rm, key)
		if !ok {
			return "", nil
		}
		s, isStr := raw.(string)
		if !isStr {
			return "", fmt.Errorf("expected a string, got %s", typeName(raw))
		}
		v, err := EvalString(s, ctx)
		if err != nil {
			return "", err
		}
		vs, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("expected a string, got %s", typeName(v))
		}
		return vs, nil
	}
	typ, err := str("type")
	if err != nil {
		d.addErr(joinPath(path, "type"), "", err)
		return nil, nil
	}
	name, err := str("name")
	if err != nil {
		d.addErr(joinPath(path, "name"), "", err)
		return nil, nil
	}
	if typ == "" {
		d.addErr(joinPath(path, "type"), name, errors.New("a resource needs a type"))
		return nil, nil
	}
	if name == "" {
		d.addErr(joinPath(path, "name"), "", fmt.Errorf("a %s resource needs a name", typ))
		return nil, nil
	}
	if c, ok := lookupCI(rm, "condition"); ok {
		cv := c
		if s, ok := c.(string); ok {
			v, err := EvalString(s, ctx)
			if err != nil {
				d.addErr(joinPath(path, "condition"), name, err)
				return nil, nil
			}
			cv = v
			if vs, ok := v.(string); ok {
				switch strings.ToLower(vs) {
				case "true":
					cv = true
				case "false":
					cv = false
				}
			}
		}
		b, ok := cv.(bool)
		if !ok {
			d.addErr(joinPath(path, "condition"), name, fmt.Errorf("condition must be a bool, got %s", typeName(cv)))
			return nil, nil
		}
		if !b {
			id, _ := resourceIDFor(ctx, typ, name, "")
			return nil, &skipped{id: id, name: name, typ: typ}
		}
	}
	isDeployment := strings.EqualFold(typ, "Microsoft.Resources/deployments")
	innerScope := false
	if isDeployment {
		if props, ok := lookupCI(rm, "properties"); ok {
			if pm, ok := props.(map[string]any); ok {
				if eo, ok := lookupCI(pm, "expressionEvaluationOptions"); ok {
					if eom, ok := eo.(map[string]any); ok {
						if sc, ok := lookupCI(eom, "scope"); ok {
							if scs, ok := sc.(string); ok && strings.EqualFold(scs, "inner") {
								innerScope = true
							}
						}
					}
				}
			}
		}
	}
	bodyRaw := make(map[string]any, len(rm))
	var innerTemplate any
	for k, v := range rm {
		switch strings.ToLower(k) {
		case "copy", "condition", "dependson":
			continue
		case "properties":
			if isDeployment && innerScope {
				if pm, ok := v.(map[string]any); ok {
					pc := make(map[string]any, len(pm))
					for pk, pv := range pm {
						if strings.EqualFold(pk, "template") {
							innerTemplate = pv
							continue
						}
						pc[pk] = pv
					}
					v = pc
				}
			}
		}
		bodyRaw[k] = v
	}
	ev, errs := d.evalValue(bodyRaw, ctx, path, true)
	if len(errs) > 0 {
		d.report(errs, path, name)
		return nil, nil
	}
	body := ev.(map[string]any)
	api, _ := lookupCI(body, "apiVersion")
	kind, _ := lookupCI(body, "kind")
	scope := ""
	if sc, ok := lookupCI(body, "scope"); ok {
		scope, _ = sc.(string)
	}
	id, err := resourceIDFor(ctx, typ, name, scope)
	if err != nil {
		d.addErr(joinPath(path, "name"), name, err)
		return nil, nil
	}
	n := &node{
		Resource: Resource{
			Type: typ, Name: name, APIVersion: ToString(api), ID: id, Body: body,
			Path: d.prefix + ipath, CopyName: loop, CopyIndex: it,
		},
		index: base, path: path, loop: loop,
	}
	if ks, ok := kind.(string); ok {
		n.Kind = ks
	}
	if dr, ok := lookupCI(rm, "dependsOn"); ok {
		arr, ok := dr.([]any)
		if !ok {
			d.addErr(joinPath(path, "dependsOn"), name, fmt.Errorf("expected an array, got %s", typeName(dr)))
			return nil, nil
		}
		for i, e := range arr {
			s, ok := e.(string)
			if !ok {
				d.addErr(indexPath(joinPath(path, "dependsOn"), i), name, fmt.Errorf("expected a string, got %s", typeName(e)))
				continue
			}
			v, err := EvalString(s, ctx)
			if err != nil {
				d.addErr(indexPath(joinPath(path, "dependsOn"), i), name, err)
				continue
			}
			vs, ok := v.(string)
			if !ok {
				d.addErr(indexPath(joinPath(path, "dependsOn"), i), name, fmt.Errorf("expected a string, got %s", typeName(v)))
				continue
			}
			n.deps = append(n.deps, vs)
		}
	}
	out := []*node{n}
	if isDeployment {
		out = append(out, d.nestedDeployment(n, body, innerTemplate, innerScope, path, base)...)
	}
	return out, nil
}

func (d *deployer) nestedDeployment(n *node, body map[string]any, innerTemplate any, innerScope bool, path string, base int) []*node {
	props, _ := lookupCI(body, "properties")
	pm, _ := props.(map[string]any)
	if !innerScope {
		innerTemplate, _ = lookupCI(pm, "template")
	}
	if innerTemplate == nil {
		if _, ok := lookupCI(pm, "templateLink"); ok {
			d.addErr(joinPath(path, "properties.templateLink"), n.Name, errors.New("linked templates are not supported; inline the template in properties.template"))
		} else {
			d.addErr(joinPath(path, "properties.template"), n.Name, errors.New("a deployment needs properties.template"))
		}
		return nil
	}
	tm, ok := innerTemplate.(map[string]any)
	if !ok {
		d.addErr(joinPath(path, "properties.template"), n.Name, fmt.Errorf("expected an object, got %s", typeName(innerTemplate)))
		return nil
	}
	params := map[string]any{}
	if pr, ok := lookupCI(pm, "parameters"); ok {
		prm, ok := pr.(map[string]any)
		if !ok {
			d.addErr(joinPath(path, "properties.parameters"), n.Name, fmt.Errorf("expected an object, got %s", typeName(pr)))
			return nil
		}
		for k, e := range prm {
			em, ok := e.(map[string]any)
			val, has := lookupCI(em, "value")
			if !ok || !has {
				d.addErr(joinPath(joinPath(path, "properties.parameters"), k), n.Name, errors.New("expected {\"value\": ...} (Key Vault references are not supported)"))
				continue
			}
			params[k] = val
		}
	}
	env := d.env
	env.DeploymentName = n.Name
	sub := newDeployer(tm, params, env, d.prefix+joinPath(path, "properties.template")+".", d.depth+1)
	res := sub.run()
	d.errs = append(d.errs, sub.errs...)
	if res == nil || len(sub.errs) > 0 {
		return nil
	}
	var out []*node
	for _, r := range res.Resources {
		// Inner resources keep their inner order and wait for whatever the
		// deployment waits for (added in resolveDeps).
		in := &node{Resource: r, index: base, path: r.Path, parents: []string{n.ID}}
		out = append(out, in)
		n.inner = append(n.inner, r.ID)
	}
	n.Body["outputs"] = res.Outputs
	if innerScope {
		// keep the (unevaluated) inner template in the deployment's body
		if pm, ok := n.Body["properties"].(map[string]any); ok {
			pm["template"] = deepCopy(tm)
		}
	}
	return out
}

// resourceIDFor computes the id of a resource from its type and full name.
// A name with more segments than the type allows is an error. A name with
// fewer is accepted (solutions declare workspace tables as just "T_CL"
// inside content templates); its id is then the type followed by the name.
func resourceIDFor(ctx *Context, typ, name, scope string) (string, error) {
	seg, err := typedSegments(typ, []string{name})
	if err != nil {
		ts := strings.Split(strings.Trim(typ, "/"), "/")
		if len(ts) < 2 || len(strings.Split(name, "/")) >= len(ts)-1 {
			return "", fmt.Errorf("name %q does not fit type %q: %w", name, typ, err)
		}
		seg = strings.Trim(typ, "/") + "/" + name
	}
	if scope != "" {
		return strings.TrimRight(scope, "/") + "/providers/" + seg, nil
	}
	return "/subscriptions/" + ctx.Subscription + "/resourceGroups/" + ctx.ResourceGroup + "/providers/" + seg, nil
}

func (d *deployer) resolveDeps(nodes []*node, skips []skipped) {
	byID := map[string][]*node{}
	byName := map[string][]*node{}
	byLoop := map[string][]*node{}
	for _, n := range nodes {
		byID[strings.ToLower(n.ID)] = append(byID[strings.ToLower(n.ID)], n)
		byName[strings.ToLower(n.Name)] = append(byName[strings.ToLower(n.Name)], n)
		byName[strings.ToLower(n.Type+"/"+n.Name)] = append(byName[strings.ToLower(n.Type+"/"+n.Name)], n)
		if n.loop != "" && len(n.parents) == 0 {
			byLoop[strings.ToLower(n.loop)] = append(byLoop[strings.ToLower(n.loop)], n)
		}
	}
	skipped := map[string]bool{}
	for _, s := range skips {
		skipped[strings.ToLower(s.id)] = true
		skipped[strings.ToLower(s.name)] = true
		skipped[strings.ToLower(s.typ+"/"+s.name)] = true
	}
	for _, n := range nodes {
		if len(n.parents) > 0 {
			continue // inner resources were resolved by their own deployer
		}
		var ids []string
		for i, dep := range n.deps {
			key := strings.ToLower(strings.TrimSpace(dep))
			targets := byID[key]
			if len(targets) == 0 {
				targets = byName[key]
			}
			if len(targets) == 0 {
				targets = byLoop[key]
			}
			if len(targets) == 0 {
				if skipped[key] {
					continue
				}
				d.addErr(indexPath(joinPath(n.path, "dependsOn"), i), n.Name, fmt.Errorf("%q is not a resource or copy loop defined in this template", dep))
				continue
			}
			for _, t := range targets {
				if t != n {
					ids = append(ids, t.ID)
				}
			}
		}
		n.DependsOn = ids
	}
	// Inner resources of a nested deployment wait for what the deployment
	// waits for.
	depsOf := map[string][]string{}
	for _, n := range nodes {
		if len(n.parents) == 0 {
			depsOf[strings.ToLower(n.ID)] = n.DependsOn
		}
	}
	for _, n := range nodes {
		for _, p := range n.parents {
			n.DependsOn = append(n.DependsOn, depsOf[strings.ToLower(p)]...)
		}
	}
}

// order sorts nodes topologically, keeping template order among
// independent resources; a cycle is an error naming its members.
func (d *deployer) order(nodes []*node) []*node {
	pos := map[*node]int{}
	for i, n := range nodes {
		pos[n] = i
	}
	byID := map[string][]*node{}
	for _, n := range nodes {
		byID[strings.ToLower(n.ID)] = append(byID[strings.ToLower(n.ID)], n)
	}
	indeg := make([]int, len(nodes))
	succ := make([][]int, len(nodes))
	for i, n := range nodes {
		seen := map[int]bool{}
		add := func(j int) {
			if j != i && !seen[j] {
				seen[j] = true
				succ[j] = append(succ[j], i)
				indeg[i]++
			}
		}
		for _, dep := range n.DependsOn {
			for _, t := range byID[strings.ToLower(dep)] {
				add(pos[t])
			}
		}
		// a deployment completes after its inner resources
		for _, in := range n.inner {
			for _, t := range byID[strings.ToLower(in)] {
				if len(t.parents) > 0 {
					add(pos[t])
				}
			}
		}
	}
	var out []*node
	done := make([]bool, len(nodes))
	for len(out) < len(nodes) {
		next := -1
		for i := range nodes {
			if !done[i] && indeg[i] == 0 {
				next = i
				break
			}
		}
		if next < 0 {
			var names []string
			for i, n := range nodes {
				if !done[i] {
					names = append(names, n.Name)
				}
			}
			d.addErr("resources", "", fmt.Errorf("dependsOn cycle among: %s", strings.Join(names, ", ")))
			return nil
		}
		done[next] = true
		out = append(out, nodes[next])
		for _, s := range succ[next] {
			indeg[s]--
		}
	}
	return out
}

// ---- outputs ----

func (d *deployer) outputs() map[string]any {
	out := map[string]any{}
	raw, _ := lookupCI(d.tmpl, "outputs")
	if raw == nil {
		return out
	}
	om, ok := raw.(map[string]any)
	if !ok {
		d.addErr("outputs", "", fmt.Errorf("expected an object, got %s", typeName(raw)))
		return out
	}
	for name, o := range om {
		path := joinPath("outputs", name)
		m, ok := o.(map[string]any)
		if !ok {
			d.addErr(path, "", fmt.Errorf("expected an object, got %s", typeName(o)))
			continue
		}
		if isSecureType(m) {
			continue // secure outputs are never returned
		}
		if c, ok := lookupCI(m, "condition"); ok {
			cv := c
			if s, ok := c.(string); ok {
				v, err := EvalString(s, d.ctx)
				if err != nil {
					d.addErr(joinPath(path, "condition"), "", err)
					continue
				}
				cv = v
			}
			if b, ok := cv.(bool); ok && !b {
				continue
			}
		}
		if cp, ok := lookupCI(m, "copy"); ok {
			cm, ok := cp.(map[string]any)
			if !ok {
				d.addErr(joinPath(path, "copy"), "", fmt.Errorf("expected an object, got %s", typeName(cp)))
				continue
			}
			arr, err := d.copyArray(cm, d.ctx, name)
			if err != nil {
				d.addErr(joinPath(path, "copy"), "", err)
				continue
			}
			out[name] = arr
			continue
		}
		v, ok := lookupCI(m, "value")
		if !ok {
			d.addErr(path, "", errors.New("an output needs a value"))
			continue
		}
		ev, errs := d.evalValue(deepCopy(v), d.ctx, joinPath(path, "value"), true)
		if len(errs) > 0 {
			d.report(errs, path, "")
			continue
		}
		out[name] = ev
	}
	return out
}

// ParamDecl describes one declared template parameter (for forms, CLI help
// and filtering connect inputs).
type ParamDecl struct {
	Name       string
	Type       string // as declared, e.g. "securestring"
	Secure     bool
	HasDefault bool
	// Default is the raw (unevaluated) defaultValue; nil for secure
	// parameters.
	Default       any
	AllowedValues []any
}

// Parameters lists the parameters a template declares, sorted by name.
func Parameters(template []byte) ([]ParamDecl, error) {
	v, err := DecodeJSON(template)
	if err != nil {
		return nil, fmt.Errorf("decoding template: %w", err)
	}
	tm, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("decoding template: the template must be a JSON object, got %s", typeName(v))
	}
	return ParametersOf(tm)
}

// ParametersOf is Parameters for a decoded template.
func ParametersOf(tmpl map[string]any) ([]ParamDecl, error) {
	raw, _ := lookupCI(tmpl, "parameters")
	if raw == nil {
		return nil, nil
	}
	pm, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("parameters: expected an object, got %s", typeName(raw))
	}
	out := make([]ParamDecl, 0, len(pm))
	for name, d := range pm {
		dm, ok := d.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: expected an object, got %s", joinPath("parameters", name), typeName(d))
		}
		t, _ := lookupCI(dm, "type")
		ts, _ := t.(string)
		p := ParamDecl{Name: name, Type: ts, Secure: isSecureType(dm)}
		if def, ok := lookupCI(dm, "defaultValue"); ok {
			p.HasDefault = true
			if !p.Secure {
				p.Default = deepCopy(def)
			}
		}
		if av, ok := lookupCI(dm, "allowedValues"); ok {
			p.AllowedValues, _ = deepCopy(av).([]any)
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Errors flattens an error returned by Deploy (or ExpandSolution) into its
// *Error values, for callers that render each problem with its JSON path
// (e.g. ARM error details). Errors that carry no path are returned with
// an empty Path.
func Errors(err error) []*Error {
	if err == nil {
		return nil
	}
	var out []*Error
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var pe *Error
		if errors.As(e, &pe) {
			if inner := Errors(pe.Err); len(inner) > 0 && hasPath(inner) {
				out = append(out, inner...)
				return
			}
			out = append(out, pe)
			return
		}
		out = append(out, &Error{Err: e})
	}
	walk(err)
	return out
}

func hasPath(es []*Error) bool {
	for _, e := range es {
		if e.Path != "" {
			return true
		}
	}
	return false
}
