package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/codeless/codeless/internal/apierr"
	"github.com/codeless/codeless/internal/arm"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/store"
)

// connectionTemplate is what the engine keeps of a solution's connection
// template (contentKind ResourcesDataConnector) for the Connect flow.
type connectionTemplate struct {
	ContentID      string         `json:"contentId"`
	DefinitionName string         `json:"definitionName"`
	Version        string         `json:"version,omitempty"`
	Template       map[string]any `json:"template"`
	// DCRs are the names of the data collection rules the same solution
	// deployed; Connect points connections at the one that declares their
	// stream.
	DCRs []string `json:"dcrs"`
}

// item is one resource a deployment applies.
type item struct {
	kind resource.Kind
	name string
	body []byte
	path string
}

func (e *Engine) armEnv(deployment string) arm.Env {
	return arm.Env{
		SubscriptionID: e.cfg.Subscription,
		ResourceGroup:  e.cfg.ResourceGroup,
		Location:       e.cfg.Location,
		Workspace:      e.cfg.Workspace,
		DeploymentName: deployment,
		Now:            e.cfg.Now,
		NewGUID:        e.cfg.NewGUID,
	}
}

// Deploy runs an ARM deployment: body is {"properties":{"template",
// "parameters","mode"}} as sent to PUT .../deployments/{name}. Solution
// content is expanded (definitions, DCRs, tables, connection templates);
// content Codeless does not run is stored and listed. The deployment is
// all-or-nothing: when any resource fails, resources applied before it are
// put back as they were.
func (e *Engine) Deploy(ctx context.Context, name string, body []byte) ([]byte, error) {
	doc, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	props, _ := doc["properties"].(map[string]any)
	if props == nil {
		return nil, badRequest("InvalidDeployment", "the body needs a properties object", "properties")
	}
	tmpl, ok := props["template"].(map[string]any)
	if !ok {
		if _, isLink := props["templateLink"]; isLink {
			return nil, badRequest("InvalidDeployment", "templateLink is not supported; send the template inline", "properties.templateLink")
		}
		return nil, badRequest("InvalidDeployment", "properties.template must be the template object", "properties.template")
	}
	params := map[string]any{}
	if p, ok := props["parameters"].(map[string]any); ok {
		raw, _ := json.Marshal(map[string]any{"parameters": p})
		params, err = arm.ParseParametersFile(raw)
		if err != nil {
			return nil, badRequest("InvalidDeployment", err.Error(), "properties.parameters")
		}
	}
	tmplRaw, _ := json.Marshal(tmpl)
	res, err := e.DeployTemplate(ctx, name, tmplRaw, params)
	if err != nil {
		return nil, err
	}
	return json.Marshal(res)
}

// DeployResult describes a finished deployment (the GET shape of ARM's
// deployment resource, trimmed).
type DeployResult struct {
	ID         string           `json:"id"`
	Name       string           `json:"name"`
	Properties DeployProperties `json:"properties"`
}

// DeployProperties is DeployResult.properties.
type DeployProperties struct {
	ProvisioningState string         `json:"provisioningState"`
	Parameters        map[string]any `json:"parameters,omitempty"`
	Outputs           map[string]any `json:"outputs,omitempty"`
	OutputResources   []outputRes    `json:"outputResources"`
	Content           []string       `json:"storedContent,omitempty"`
}

type outputRes struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
}

// DeployTemplate deploys an ARM template (a solution's mainTemplate.json or
// a loose template) with plain parameter values.
func (e *Engine) DeployTemplate(ctx context.Context, name string, template []byte, params map[string]any) (*DeployResult, error) {
	res, err := arm.Deploy(template, params, e.armEnv(name))
	if err != nil {
		return nil, deployError(err)
	}
	sol, err := arm.ExpandSolution(res)
	if err != nil {
		return nil, deployError(err)
	}
	var items []item
	add := func(kind resource.Kind, rs []arm.Resource) error {
		for _, r := range rs {
			b, err := json.Marshal(r.Body)
			if err != nil {
				return err
			}
			items = append(items, item{kind: kind, name: arm.LastSegment(r.Name), body: b, path: r.Path})
		}
		return nil
	}
	var dcrNames []string
	for _, d := range sol.DCRs {
		dcrNames = append(dcrNames, arm.LastSegment(d.Name))
	}
	var stored []string
	var dces []arm.Resource
	for _, o := range sol.Other {
		if resource.TypeOf(o.Kind) == resource.KindDataCollectionEndpt {
			for _, r := range res.Resources {
				if r.Path == o.Path {
					dces = append(dces, r)
				}
			}
			continue
		}
		stored = append(stored, fmt.Sprintf("%s %s", o.Kind, o.Name))
	}
	for _, step := range []struct {
		kind resource.Kind
		rs   []arm.Resource
	}{{resource.KindTable, sol.Tables}, {resource.KindDataCollectionEndpt, dces}, {resource.KindDataCollectionRule, sol.DCRs}, {resource.KindConnectorDefinition, sol.Definitions}} {
		if err := add(step.kind, step.rs); err != nil {
			return nil, err
		}
	}
	for _, ct := range sol.ConnectionTemplates {
		defName := ct.DefinitionName
		if defName == "" {
			defName = ct.ContentID
		}
		b, err := json.Marshal(connectionTemplate{ContentID: ct.ContentID, DefinitionName: defName, Version: ct.Version, Template: ct.Template, DCRs: dcrNames})
		if err != nil {
			return nil, err
		}
		items = append(items, item{kind: kindConnectionTemplate, name: defName, body: b, path: ct.Path})
	}
	// Connections deployed directly come last: their DCR must exist.
	if err := add(resource.KindConnection, sol.Connections); err != nil {
		return nil, err
	}
	// Solution content and everything else the template deploys is stored
	// as given, under its ARM kind, and listed by the management API.
	for _, r := range res.Resources {
		kind, ok := contentKind(r.Type)
		if !ok {
			continue
		}
		b, err := json.Marshal(r.Body)
		if err != nil {
			return nil, err
		}
		name := arm.LastSegment(r.Name)
		if kind == kindContent {
			name = r.Type + "/" + name
		}
		items = append(items, item{kind: kind, name: name, body: b, path: r.Path})
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	out := &DeployResult{
		ID:   fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Resources/deployments/%s", e.cfg.Subscription, e.cfg.ResourceGroup, name),
		Name: name,
		Properties: DeployProperties{ProvisioningState: "Succeeded", Parameters: res.Parameters, Outputs: res.Outputs,
			OutputResources: []outputRes{}, Content: stored},
	}
	if err := e.applyAll(ctx, items, out); err != nil {
		return nil, err
	}
	rec, _ := json.Marshal(out)
	if err := e.st.PutResource(ctx, store.Record{Kind: kindDeployment, Name: name, Body: rec, Etag: uuid.NewString(), Modified: e.cfg.Now().UTC()}); err != nil {
		return nil, fmt.Errorf("storing deployment %s: %w", name, err)
	}
	return out, nil
}

// contentKind maps the ARM types a deployment stores as given to their
// kind; ok is false for the types the engine runs (tables, DCRs, DCEs,
// definitions, connections) and for nested deployments (already expanded).
func contentKind(armType string) (resource.Kind, bool) {
	t := strings.ToLower(armType)
	switch {
	case strings.HasSuffix(t, "/contenttemplates"):
		return resource.KindContentTemplate, true
	case strings.HasSuffix(t, "/contentpackages"):
		return resource.KindContentPackage, true
	case strings.HasSuffix(t, "/metadata"):
		return resource.KindMetadata, true
	case strings.HasSuffix(t, "microsoft.resources/templatespecs"), strings.HasSuffix(t, "microsoft.resources/templatespecs/versions"):
		return resource.KindTemplateSpec, true
	case t == "microsoft.resources/deployments":
		return "", false
	}
	switch resource.TypeOf(armType) {
	case resource.KindTable, resource.KindDataCollectionRule, resource.KindDataCollectionEndpt, resource.KindConnectorDefinition, resource.KindConnection:
		return "", false
	}
	return kindContent, true
}

// applyAll applies items in order; on the first failure it restores every
// item applied before it and returns the failure with the item's path.
func (e *Engine) applyAll(ctx context.Context, items []item, out *DeployResult) error {
	type undo struct {
		it     item
		prev   store.Record
		exists bool
	}
	var done []undo
	applied := map[string]*resource.DCR{}
	for _, it := range items {
		if it.kind == resource.KindConnection {
			it.body = e.bindDCR(ctx, it.body, applied)
		}
		prev, err := e.st.GetResource(ctx, string(it.kind), it.name)
		exists := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		switch it.kind {
		case kindConnectionTemplate, kindContent:
			err = e.st.PutResource(ctx, store.Record{Kind: string(it.kind), Name: it.name, Body: it.body, Etag: uuid.NewString(), Modified: e.cfg.Now().UTC()})
		case resource.KindContentTemplate, resource.KindContentPackage, resource.KindMetadata, resource.KindTemplateSpec:
			_, _, err = e.putLocked(ctx, it.kind, it.name, it.body, "")
		default:
			_, _, err = e.putLocked(ctx, it.kind, it.name, it.body, "")
		}
		if err != nil {
			for i := len(done) - 1; i >= 0; i-- {
				e.restore(ctx, done[i].it, done[i].prev, done[i].exists)
			}
			ae := apierr.From(err)
			return &apierr.APIError{Status: http.StatusBadRequest, Code: "DeploymentFailed",
				Message: fmt.Sprintf("resource %s %q at %s: %s; nothing was deployed", it.kind, it.name, it.path, ae.Message),
				Target:  joinPath(it.path, ae.Target), Details: []apierr.APIError{*ae}, Err: err}
		}
		done = append(done, undo{it, prev, exists})
		if it.kind == resource.KindDataCollectionRule {
			if r, err := e.st.GetResource(ctx, string(it.kind), it.name); err == nil {
				if d, err := resource.DecodeDCR(r.Body); err == nil {
					applied[it.name] = d
				}
			}
		}
		if it.kind != kindContent && it.kind != kindConnectionTemplate {
			out.Properties.OutputResources = append(out.Properties.OutputResources, outputRes{ID: e.resourceID(it.kind, it.name), Kind: string(it.kind)})
		}
	}
	return nil
}

// restore puts one resource back as it was before a failed deployment.
func (e *Engine) restore(ctx context.Context, it item, prev store.Record, existed bool) {
	if !existed {
		switch it.kind {
		case kindConnectionTemplate, kindContent:
			_ = e.st.DeleteResource(ctx, string(it.kind), it.name)
		default:
			if err := e.deleteLocked(ctx, it.kind, it.name, ""); err != nil {
				e.log.Error("rolling back a failed deployment", "kind", it.kind, "name", it.name, "err", err)
			}
		}
		return
	}
	if err := e.st.PutResource(ctx, prev); err != nil {
		e.log.Error("rolling back a failed deployment", "kind", it.kind, "name", it.name, "err", err)
		return
	}
	switch it.kind {
	case resource.KindDataCollectionRule:
		if d, err := resource.DecodeDCR(prev.Body); err == nil {
			tables, _ := e.storedTables(ctx)
			_ = e.pipe.PutDCR(ctx, d, tables)
		}
	case resource.KindConnection:
		if c, err := e.openConnection(prev.Body); err == nil {
			e.pollers.set(c)
		}
	}
}

func joinPath(prefix, target string) string {
	switch {
	case target == "" || target == "$":
		return prefix
	case prefix == "":
		return target
	}
	return prefix + "." + strings.TrimPrefix(target, "$.")
}

// deployError turns template evaluation errors into one ARM error with a
// detail per problem.
func deployError(err error) error {
	errs := arm.Errors(err)
	if len(errs) == 0 {
		return badRequest("InvalidTemplate", err.Error(), "properties.template")
	}
	top := &apierr.APIError{Status: http.StatusBadRequest, Code: "InvalidTemplate", Target: "properties.template." + errs[0].Path,
		Message: fmt.Sprintf("%d problem(s) in the template; nothing was deployed. First: %s", len(errs), errs[0].Error()), Err: err}
	for _, x := range errs {
		top.Details = append(top.Details, apierr.APIError{Code: "InvalidTemplate", Target: "properties.template." + x.Path, Message: x.Error()})
	}
	return top
}

// bindDCR points a connection deployed together with its DCR at that DCR:
// loose connector files leave dcrConfig as {{placeholders}} that only the
// deployment can fill, because the DCR's immutable id is assigned when it is
// applied. A connection whose immutable id names a DCR already deployed here
// is left alone.
func (e *Engine) bindDCR(ctx context.Context, body []byte, applied map[string]*resource.DCR) []byte {
	if len(applied) == 0 {
		return body
	}
	var doc map[string]any
	if json.Unmarshal(body, &doc) != nil {
		return body
	}
	props, _ := doc["properties"].(map[string]any)
	cfg, _ := props["dcrConfig"].(map[string]any)
	if cfg == nil {
		return body
	}
	id, _ := cfg["dataCollectionRuleImmutableId"].(string)
	if d, err := e.dcrByImmutableID(ctx, id); err == nil && d != nil {
		return body
	}
	pointAtDCR(doc, applied)
	if nid, _ := cfg["dataCollectionRuleImmutableId"].(string); nid != id {
		cfg["dataCollectionEndpoint"] = e.cfg.IngestURL
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return body
	}
	return out
}
