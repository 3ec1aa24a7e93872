package arm

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Solution is what a deployed Sentinel solution contains for Codeless.
type Solution struct {
	// Definitions are dataConnectorDefinitions resources, deduplicated by
	// name (the copy inside a DataConnector content template wins over the
	// top-level copy).
	Definitions []Resource
	DCRs        []Resource // Microsoft.Insights/dataCollectionRules
	Tables      []Resource // Microsoft.OperationalInsights/workspaces/tables
	// Connections are dataConnectors resources the solution deploys directly
	// (not through a connection template).
	Connections []Resource
	// ConnectionTemplates are templates deployed at connect time.
	ConnectionTemplates []ConnectionTemplate
	// Package is the contentPackages resource, if any.
	Package *Resource
	// Other lists the remaining content (workbooks, analytics rules,
	// parsers, saved searches, ...).
	Other []Content
}

// ConnectionTemplate is the inner mainTemplate of a ResourcesDataConnector
// content template, as left by the install deployment ("[[x]" became
// "[x]"), to be deployed with the user's parameters at connect time.
type ConnectionTemplate struct {
	ContentID string
	// DefinitionName is the connector definition these connections belong
	// to ("" when it could not be determined).
	DefinitionName string
	Version        string
	Template       map[string]any
	Path           string // JSON path of the content template resource
}

// JSON returns the template as JSON, ready for Deploy.
func (c ConnectionTemplate) JSON() ([]byte, error) {
	b, err := json.Marshal(c.Template)
	if err != nil {
		return nil, fmt.Errorf("encoding connection template %s: %w", c.ContentID, err)
	}
	return b, nil
}

// Parameters returns the declared parameter names of the template, sorted.
func (c ConnectionTemplate) Parameters() []string {
	p, _ := lookupCI(c.Template, "parameters")
	pm, _ := p.(map[string]any)
	out := make([]string, 0, len(pm))
	for k := range pm {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Content is a piece of solution content Codeless does not run.
type Content struct {
	Kind      string // contentKind (Workbook, AnalyticsRule, Parser, ...) or the resource type
	Name      string // display name or resource name
	ContentID string
	Path      string
}

func typeIs(typ, suffix string) bool {
	t := strings.ToLower(typ)
	s := strings.ToLower(suffix)
	return t == s || strings.HasSuffix(t, "/"+s)
}

// LastSegment returns the part of an ARM name or id after the last '/'.
func LastSegment(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[i+1:]
	}
	return name
}

func getString(m map[string]any, path ...string) string {
	var cur any = m
	for _, p := range path {
		cm, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur, _ = lookupCI(cm, p)
	}
	s, _ := cur.(string)
	return s
}

func getMap(m map[string]any, key string) map[string]any {
	v, _ := lookupCI(m, key)
	mm, _ := v.(map[string]any)
	return mm
}

// ExpandSolution splits a deployed solution into the parts Codeless runs.
// DataConnector content templates are deployed too (their inner templates
// receive the outer parameters they declare), so their definitions, DCRs
// and tables come back fully evaluated.
func ExpandSolution(res *Result) (*Solution, error) {
	if res == nil {
		return nil, errors.New("expanding solution: no deployment result")
	}
	sol := &Solution{}
	var errs []error
	var metadata []Resource
	var topDefs []Resource
	env := res.env
	for _, r := range res.Resources {
		switch {
		case typeIs(r.Type, "contentTemplates"):
			props := getMap(r.Body, "properties")
			kind := getString(props, "contentKind")
			contentID := getString(props, "contentId")
			mt := getMap(props, "mainTemplate")
			switch {
			case strings.EqualFold(kind, "DataConnector"):
				if mt == nil {
					errs = append(errs, &Error{Path: r.Path + ".properties.mainTemplate", Resource: r.Name, Err: errors.New("a DataConnector content template needs a mainTemplate")})
					continue
				}
				inner, err := deployInner(mt, res, env, r)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				for _, ir := range inner.Resources {
					switch {
					case typeIs(ir.Type, "dataConnectorDefinitions"):
						sol.Definitions = append(sol.Definitions, ir)
					case typeIs(ir.Type, "dataCollectionRules"):
						sol.DCRs = append(sol.DCRs, ir)
					case typeIs(ir.Type, "tables"):
						sol.Tables = append(sol.Tables, ir)
					case typeIs(ir.Type, "dataConnectors"):
						sol.Connections = append(sol.Connections, ir)
					case typeIs(ir.Type, "metadata"):
						metadata = append(metadata, ir)
					default:
						sol.Other = append(sol.Other, Content{Kind: ir.Type, Name: ir.Name, Path: ir.Path})
					}
				}
			case strings.EqualFold(kind, "ResourcesDataConnector"):
				if mt == nil {
					errs = append(errs, &Error{Path: r.Path + ".properties.mainTemplate", Resource: r.Name, Err: errors.New("a ResourcesDataConnector content template needs a mainTemplate")})
					continue
				}
				sol.ConnectionTemplates = append(sol.ConnectionTemplates, ConnectionTemplate{
					ContentID: contentID,
					Version:   getString(props, "version"),
					Template:  deepCopy(mt).(map[string]any),
					Path:      r.Path,
				})
			default:
				name := getString(props, "displayName")
				if name == "" {
					name = contentID
				}
				sol.Other = append(sol.Other, Content{Kind: kind, Name: name, ContentID: contentID, Path: r.Path})
			}
		case typeIs(r.Type, "dataConnectorDefinitions"):
			topDefs = append(topDefs, r)
		case typeIs(r.Type, "dataCollectionRules"):
			sol.DCRs = append(sol.DCRs, r)
		case typeIs(r.Type, "tables"):
			sol.Tables = append(sol.Tables, r)
		case typeIs(r.Type, "dataConnectors"):
			sol.Connections = append(sol.Connections, r)
		case typeIs(r.Type, "metadata"):
			metadata = append(metadata, r)
		case typeIs(r.Type, "contentPackages"):
			rc := r
			sol.Package = &rc
		default:
			sol.Other = append(sol.Other, Content{Kind: r.Type, Name: r.Name, Path: r.Path})
		}
	}
	sol.Definitions = dedupByName(append(sol.Definitions, topDefs...))
	sol.DCRs = dedupByName(sol.DCRs)
	sol.Tables = dedupByName(sol.Tables)
	linkConnectionTemplates(sol, metadata)
	if len(errs) > 0 {
		return nil, fmt.Errorf("expanding solution: %w", errors.Join(errs...))
	}
	return sol, nil
}

// deployInner deploys the inner template of a DataConnector content
// template with the outer parameter values it declares.
func deployInner(mt map[string]any, outer *Result, env Env, r Resource) (*Result, error) {
	params := map[string]any{}
	if p, ok := lookupCI(mt, "parameters"); ok {
		if pm, ok := p.(map[string]any); ok {
			for name := range pm {
				if v, ok := lookupCI(outer.params, name); ok {
					params[name] = v
					continue
				}
			}
		}
	}
	// The outer deployment already evaluated every "[...]" expression of the
	// inner template; what remains are strings that were "[[...]" and are now
	// expressions for this inner deployment.
	env.DeploymentName = LastSegment(r.Name)
	// Deployed with the outer path as prefix, so resource paths and errors
	// point into the outer template.
	d := newDeployer(mt, params, env, r.Path+".properties.mainTemplate.", 1)
	inner := d.run()
	if len(d.errs) > 0 {
		return nil, errors.Join(d.errs...)
	}
	return inner, nil
}

func dedupByName(rs []Resource) []Resource {
	seen := map[string]bool{}
	var out []Resource
	for _, r := range rs {
		k := strings.ToLower(LastSegment(r.Name))
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, r)
	}
	return out
}

// linkConnectionTemplates finds the definition of each connection
// template: from the definition metadata's dependencies (the packager's
// link), else from a literal connectorDefinitionName in its dataConnectors
// resources that names a known definition, else the only definition.
func linkConnectionTemplates(sol *Solution, metadata []Resource) {
	defs := map[string]string{}
	for _, d := range sol.Definitions {
		defs[strings.ToLower(LastSegment(d.Name))] = LastSegment(d.Name)
	}
	byContent := map[string]string{}
	for _, m := range metadata {
		props := getMap(m.Body, "properties")
		if !strings.EqualFold(getString(props, "kind"), "DataConnector") {
			continue
		}
		parent := LastSegment(getString(props, "parentId"))
		deps := getMap(props, "dependencies")
		crit, _ := lookupCI(deps, "criteria")
		arr, _ := crit.([]any)
		for _, c := range arr {
			cm, ok := c.(map[string]any)
			if !ok {
				continue
			}
			if strings.EqualFold(getString(cm, "kind"), "ResourcesDataConnector") {
				byContent[strings.ToLower(getString(cm, "contentId"))] = parent
			}
		}
	}
	for i := range sol.ConnectionTemplates {
		ct := &sol.ConnectionTemplates[i]
		if d, ok := byContent[strings.ToLower(ct.ContentID)]; ok && d != "" {
			ct.DefinitionName = d
			continue
		}
		rs, _ := lookupCI(ct.Template, "resources")
		arr, _ := rs.([]any)
		for _, r := range arr {
			rm, ok := r.(map[string]any)
			if !ok {
				continue
			}
			name := getString(rm, "properties", "connectorDefinitionName")
			if d, ok := defs[strings.ToLower(name)]; ok {
				ct.DefinitionName = d
				break
			}
		}
		if ct.DefinitionName == "" && len(sol.Definitions) == 1 {
			ct.DefinitionName = LastSegment(sol.Definitions[0].Name)
		}
	}
}

// Deploy deploys the connection template with the user's connect-time
// parameters (UI inputs, dcrConfig, ...).
func (c ConnectionTemplate) Deploy(params map[string]any, env Env) (*Result, error) {
	res, err := DeployValue(c.Template, params, env)
	if err != nil {
		return nil, fmt.Errorf("deploying connection template %s: %w", c.ContentID, err)
	}
	return res, nil
}
