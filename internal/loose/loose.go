// Package loose turns a folder of loose connector files — the sources a
// Sentinel connector is packaged from: connector definition, DCR, table and
// poller JSON with {{placeholders}} — into one ARM deployment template, so
// that `codeless deploy DIR --param name=value` deploys them through the same
// engine path (and with the same all-or-nothing rule) as a solution package.
//
// It implements the loose-folder half of the solutions issue
// (reference/ccf-format.md §9.6: what Microsoft's packager does with
// {{name}}, [[parameters('name')] and [parameters('name')]). Placeholders are
// resolved here from the given parameters; the DCR that a poller's
// {{dataCollectionRuleImmutableId}} stands for is bound by the engine when
// the deployment applies it. It does not deploy anything itself.
package loose

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/codeless/codeless/internal/arm"
	"github.com/codeless/codeless/internal/resource"
)

// Environment values for the infrastructure placeholders DCR and table files
// use ({{location}}, {{workspaceResourceId}}, ...). Params override them.
type Environment struct {
	Subscription, ResourceGroup, Workspace, Location string
}

// Problem is an unusable file or an unresolved placeholder.
type Problem struct {
	File, Path, Message string
	// Placeholder is the unresolved name, for unresolved placeholders.
	Placeholder string
	// Warning marks a problem that does not stop the deployment.
	Warning bool
}

func (p Problem) String() string {
	sev := "error"
	if p.Warning {
		sev = "warning"
	}
	return fmt.Sprintf("%s: %s: %s: %s", p.File, p.Path, sev, p.Message)
}

// Template reads every *.json file under dir and returns a deployment
// template holding its tables, DCEs, DCRs, connector definitions and
// RestApiPoller connections with placeholders resolved from params. Problems
// (unreadable files, unresolved placeholders) are returned all together; the
// template is nil when there is any.
func Template(dir string, params map[string]any, env Environment) ([]byte, []Problem, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".json") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	return TemplateFiles(files, params, env)
}

// TemplateFiles is Template over an explicit list of files.
func TemplateFiles(files []string, params map[string]any, env Environment) ([]byte, []Problem, error) {
	sort.Strings(files)
	all := infra(env)
	for k, v := range params {
		all[k] = v
	}
	vars := defaultVariables(env)
	for k, v := range params {
		vars[k] = v
	}
	opts := arm.PlaceholderOptions{Lenient: true, Variables: vars, SubscriptionID: env.Subscription, ResourceGroup: env.ResourceGroup, Location: env.Location}
	var resources []any
	var problems []Problem
	origin := map[string]Problem{} // resource name → its file and path

	for _, f := range files {
		set, diags := resource.DecodeFile(f, nil)
		if set.Len() == 0 {
			// Not a connector file Codeless runs: say why (a decoding
			// error, or e.g. an unsupported connector kind).
			for _, d := range diags {
				problems = append(problems, Problem{File: f, Path: d.Path, Message: d.Message, Warning: d.Severity != resource.Error})
			}
			continue
		}
		if len(set.Templates) > 0 {
			problems = append(problems, Problem{File: f, Path: "$", Message: "this file is a whole ARM template; deploy it with `codeless deploy " + f + "`"})
			continue
		}
		var metas []resource.Meta
		for _, t := range set.Tables {
			metas = append(metas, t.Meta)
		}
		for _, x := range set.Endpoints {
			metas = append(metas, x.Meta)
		}
		for _, x := range set.DCRs {
			metas = append(metas, x.Meta)
		}
		for _, x := range set.Definitions {
			metas = append(metas, x.Meta)
		}
		for _, x := range set.Connections {
			metas = append(metas, x.Meta)
		}
		for _, m := range metas {
			var v any
			if err := json.Unmarshal(m.Raw, &v); err != nil {
				problems = append(problems, Problem{File: f, Path: m.Path, Message: "invalid JSON: " + err.Error()})
				continue
			}
			if obj, ok := v.(map[string]any); ok {
				// ARM's resource-level condition decides whether the resource
				// is deployed at all (Meraki-style per-data-type pollers).
				if c, ok := obj["condition"]; ok {
					delete(obj, "condition")
					cv, unresolved, err := arm.ResolvePlaceholders(c, all, opts)
					switch {
					case err != nil:
						problems = append(problems, Problem{File: f, Path: m.Path + ".condition", Message: err.Error()})
						continue
					case len(unresolved) > 0:
						problems = append(problems, unresolvedProblems(f, m.Path+".condition", unresolved)...)
						continue
					case cv == false || cv == "false" || cv == "False":
						problems = append(problems, Problem{File: f, Path: m.Path + ".condition", Warning: true,
							Message: "skipped: its condition is false with these parameters"})
						continue
					}
				}
			}
			out, unresolved, err := arm.ResolvePlaceholders(v, all, opts)
			if err != nil {
				problems = append(problems, Problem{File: f, Path: m.Path, Message: err.Error()})
				continue
			}
			problems = append(problems, unresolvedProblems(f, m.Path, unresolved)...)
			obj, ok := out.(map[string]any)
			if !ok {
				continue
			}
			// Name the resource by the last segment of its resolved name.
			if n, ok := obj["name"].(string); ok && n != "" {
				obj["name"] = resource.ShortName(n)
			} else {
				obj["name"] = resource.ShortName(m.Name)
			}
			if _, ok := obj["type"]; !ok {
				obj["type"] = m.Type
			}
			// Deployment order comes from the resource kinds; the ids in
			// dependsOn name resources of the packaged solution.
			delete(obj, "dependsOn")
			origin[fmt.Sprint(obj["name"])] = Problem{File: f, Path: m.Path}
			resources = append(resources, escape(obj))
		}
	}
	warnings, err := addMissingTables(&resources, origin)
	if err != nil {
		return nil, nil, err
	}
	fatal := false
	for _, p := range problems {
		fatal = fatal || !p.Warning
	}
	problems = append(problems, warnings...)
	if fatal {
		return nil, problems, nil
	}
	if len(resources) == 0 {
		return nil, append(problems, Problem{File: strings.Join(files, ", "), Path: "$",
			Message: "no connector resources to deploy (tables, DCRs, definitions, RestApiPoller connections); see the warnings"}), nil
	}
	tmpl, err := json.Marshal(map[string]any{
		"$schema":        "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
		"contentVersion": "1.0.0.0",
		"resources":      resources,
	})
	return tmpl, problems, err
}

func unresolvedProblems(file, path string, unresolved []string) []Problem {
	var out []Problem
	for _, u := range unresolved {
		name := strings.TrimSuffix(strings.TrimPrefix(u, "{{"), "}}")
		if strings.HasPrefix(name, "variables('") {
			name = strings.TrimSuffix(strings.TrimPrefix(name, "variables('"), "')")
		}
		out = append(out, Problem{File: file, Path: path, Placeholder: name,
			Message: fmt.Sprintf("unresolved placeholder %q (give --param %s=VALUE)", u, name)})
	}
	return out
}

// infra gives the infrastructure placeholders of loose DCR/table files.
func infra(env Environment) map[string]any {
	ws := fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.OperationalInsights/workspaces/%s", env.Subscription, env.ResourceGroup, env.Workspace)
	return map[string]any{
		"location":                 env.Location,
		"workspace":                env.Workspace,
		"workspaceName":            env.Workspace,
		"innerWorkspace":           env.Workspace,
		"workspaceResourceId":      ws,
		"subscriptionId":           env.Subscription,
		"subscription":             env.Subscription,
		"resourceGroupName":        env.ResourceGroup,
		"resourceGroup":            env.ResourceGroup,
		"dataCollectionEndpointId": fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Insights/dataCollectionEndpoints/%s", env.Subscription, env.ResourceGroup, env.Workspace),
	}
}

// defaultVariables answers variables('x') that solution templates define
// and loose files still reference.
func defaultVariables(env Environment) map[string]any {
	v := infra(env)
	v["_solutionVersion"] = "3.0.0"
	v["dataConnectorCCPVersion"] = "1.0.0"
	v["dataConnectorVersionConnections"] = "1.0.0"
	return v
}

// escape doubles the bracket of resolved strings that look like ARM
// expressions, so the deployment keeps them as literals.
func escape(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = escape(e)
		}
	case []any:
		for i, e := range x {
			x[i] = escape(e)
		}
	case string:
		if strings.HasPrefix(x, "[") && !strings.HasPrefix(x, "[[") && strings.HasSuffix(x, "]") {
			return "[" + x
		}
	}
	return v
}
