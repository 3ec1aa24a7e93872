package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/codeless/codeless/internal/apierr"
	"github.com/codeless/codeless/internal/arm"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/store"
)

// Connect is the Connect button: it deploys the definition's connection
// template with the user's inputs (by parameter name) plus the parameters the
// portal supplies (connectorDefinitionName, workspace, innerWorkspace,
// dcrConfig), and applies the RestApiPoller connections it yields, which
// start polling. It returns the names of the connections.
func (e *Engine) Connect(ctx context.Context, definition string, inputs map[string]any) ([]string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	rec, err := e.st.GetResource(ctx, kindConnectionTemplate, definition)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, &apierr.APIError{Status: http.StatusNotFound, Code: "NotFound",
				Message: fmt.Sprintf("connector definition %q has no connection template; deploy its solution first", definition)}
		}
		return nil, err
	}
	var ct connectionTemplate
	if err := json.Unmarshal(rec.Body, &ct); err != nil {
		return nil, fmt.Errorf("stored connection template %s: %w", definition, err)
	}
	dcrs := map[string]*resource.DCR{}
	var first *resource.DCR
	for _, n := range ct.DCRs {
		r, err := e.st.GetResource(ctx, string(resource.KindDataCollectionRule), n)
		if err != nil {
			continue
		}
		d, err := resource.DecodeDCR(r.Body)
		if err != nil {
			continue
		}
		dcrs[n] = d
		if first == nil {
			first = d
		}
	}
	if first == nil {
		return nil, badRequest("MissingDataCollectionRule", fmt.Sprintf("the solution of %q deployed no data collection rule", definition), "dcrConfig")
	}
	declared := arm.ConnectionTemplate{Template: ct.Template}.Parameters()
	params := map[string]any{}
	set := func(name string, v any) {
		for _, d := range declared {
			if strings.EqualFold(d, name) {
				params[d] = v
				return
			}
		}
	}
	var unknown []string
	for k, v := range inputs {
		before := len(params)
		set(k, v)
		if len(params) == before {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, badRequest("InvalidParameter", fmt.Sprintf("the connection template of %q declares no parameter %s (it declares %s)",
			definition, strings.Join(unknown, ", "), strings.Join(declared, ", ")), "parameters."+unknown[0])
	}
	set("connectorDefinitionName", definition)
	set("workspace", e.cfg.Workspace)
	set("innerWorkspace", e.cfg.Workspace)
	set("dcrConfig", map[string]any{"dataCollectionEndpoint": e.cfg.IngestURL, "dataCollectionRuleImmutableId": first.ImmutableID})

	res, err := arm.ConnectionTemplate{ContentID: ct.ContentID, Template: ct.Template}.Deploy(params, e.armEnv("connect-"+definition))
	if err != nil {
		return nil, deployError(err)
	}
	var items []item
	for _, r := range res.Resources {
		if resource.TypeOf(r.Type) != resource.KindConnection {
			continue
		}
		pointAtDCR(r.Body, dcrs)
		b, err := json.Marshal(r.Body)
		if err != nil {
			return nil, err
		}
		items = append(items, item{kind: resource.KindConnection, name: arm.LastSegment(r.Name), body: b, path: r.Path})
	}
	if len(items) == 0 {
		return nil, badRequest("NoConnections", fmt.Sprintf("the connection template of %q deployed no RestApiPoller connection with these inputs", definition), "")
	}
	out := &DeployResult{}
	if err := e.applyAll(ctx, items, out); err != nil {
		return nil, err
	}
	names := make([]string, len(items))
	for i, it := range items {
		names[i] = it.name
	}
	return names, nil
}

// pointAtDCR sets dcrConfig.dataCollectionRuleImmutableId to the solution
// DCR that declares the connection's stream (solutions with several DCRs).
func pointAtDCR(body map[string]any, dcrs map[string]*resource.DCR) {
	props, _ := body["properties"].(map[string]any)
	cfg, _ := props["dcrConfig"].(map[string]any)
	if cfg == nil {
		return
	}
	stream, _ := cfg["streamName"].(string)
	for _, d := range dcrs {
		if _, ok := d.Stream(stream); ok {
			cfg["dataCollectionRuleImmutableId"] = d.ImmutableID
			return
		}
	}
	for _, d := range dcrs {
		if _, _, ok := d.BuiltinFlow(stream); ok {
			cfg["dataCollectionRuleImmutableId"] = d.ImmutableID
			return
		}
	}
}

// Disconnect deletes every connection of a definition (the toggle's
// "disconnect"); tables and data stay.
func (e *Engine) Disconnect(ctx context.Context, definition string) error {
	_, err := e.DisconnectName(ctx, definition)
	return err
}

// DisconnectName deletes the connections of the definition with this name,
// or, when no definition has connections under that name, the connection of
// that name (one row of a DataConnectorsGrid). It returns what it deleted.
func (e *Engine) DisconnectName(ctx context.Context, name string) ([]string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	recs, err := e.st.ListResources(ctx, string(resource.KindConnection))
	if err != nil {
		return nil, err
	}
	var deleted []string
	for _, r := range recs {
		var doc struct {
			Properties struct {
				ConnectorDefinitionName string `json:"connectorDefinitionName"`
			} `json:"properties"`
		}
		if json.Unmarshal(r.Body, &doc) == nil && doc.Properties.ConnectorDefinitionName == name {
			if err := e.deleteLocked(ctx, resource.KindConnection, r.Name, ""); err != nil {
				return deleted, err
			}
			deleted = append(deleted, r.Name)
		}
	}
	if len(deleted) > 0 {
		return deleted, nil
	}
	for _, r := range recs {
		if r.Name == name {
			return []string{name}, e.deleteLocked(ctx, resource.KindConnection, name, "")
		}
	}
	return nil, &apierr.APIError{Status: http.StatusNotFound, Code: "NotFound",
		Message: fmt.Sprintf("%q is neither a connector with connections nor a connection", name)}
}
