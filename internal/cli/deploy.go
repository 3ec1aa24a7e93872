package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/codeless/codeless/internal/arm"
	"github.com/codeless/codeless/internal/loose"
)

func newDeploy() *cobra.Command {
	var (
		server, paramsFile, name, subscription, resourceGroup, workspace string
		params                                                           []string
	)
	c := &cobra.Command{
		Use:   "deploy TEMPLATE.json|DIR [--parameters P.json] [--param name=value]...",
		Short: "Deploy a solution package (mainTemplate.json), an ARM template or a folder of loose connector files into a running server",
		Long: `Deploy a solution package (mainTemplate.json) or any ARM template through the
server's deployment API: all-or-nothing, errors name the resource and JSON path.

Given a folder of loose connector files (definition, DCR, table and poller JSON
with {{placeholders}}), the placeholders, [[parameters('x')] and [parameters('x')]
are resolved from --param, a missing table is created from the columns its
transform produces (with a warning), and pollers are bound to the folder's DCR.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			values := map[string]any{}
			if paramsFile != "" {
				raw, err := os.ReadFile(paramsFile)
				if err != nil {
					return &exitError{code: 2, err: err}
				}
				values, err = arm.ParseParametersFile(raw)
				if err != nil {
					return &exitError{code: 2, err: fmt.Errorf("%s: %w", paramsFile, err)}
				}
			}
			for _, p := range params {
				k, v, ok := strings.Cut(p, "=")
				if !ok || k == "" {
					return &exitError{code: 2, err: fmt.Errorf("--param %q: want name=value", p)}
				}
				var js any
				if json.Unmarshal([]byte(v), &js) == nil && (strings.HasPrefix(v, "{") || strings.HasPrefix(v, "[")) {
					values[k] = js
				} else {
					values[k] = v
				}
			}
			info, err := os.Stat(args[0])
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			var tmpl []byte
			if info.IsDir() {
				// A folder of loose connector files: resolve its
				// placeholders here, deploy it as one template.
				var problems []loose.Problem
				tmpl, problems, err = loose.Template(args[0], values, loose.Environment{
					Subscription: subscription, ResourceGroup: resourceGroup, Workspace: workspace, Location: "local"})
				if err != nil {
					return &exitError{code: 2, err: err}
				}
				for _, p := range problems {
					fmt.Fprintln(cmd.ErrOrStderr(), p.String())
				}
				if tmpl == nil {
					return &exitError{code: 1, err: fmt.Errorf("%s: nothing deployed", args[0])}
				}
				values = map[string]any{} // consumed by the placeholders
			} else if tmpl, err = os.ReadFile(args[0]); err != nil {
				return &exitError{code: 2, err: err}
			}
			var template any
			if err := json.Unmarshal(tmpl, &template); err != nil {
				return &exitError{code: 2, err: fmt.Errorf("%s: invalid JSON: %w", args[0], err)}
			}
			wrapped := map[string]any{}
			for k, v := range values {
				wrapped[k] = map[string]any{"value": v}
			}
			if name == "" {
				name = strings.TrimSuffix(filepath.Base(args[0]), filepath.Ext(args[0]))
			}
			cl, err := newClient(cmd.Context(), server)
			if err != nil {
				return err
			}
			path := fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Resources/deployments/%s?api-version=2021-04-01", subscription, resourceGroup, name)
			var out map[string]any
			if err := cl.do(cmd.Context(), "PUT", path, map[string]any{"properties": map[string]any{"template": template, "parameters": wrapped, "mode": "Incremental"}}, &out); err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		},
	}
	addServerFlag(c, &server)
	c.Flags().StringVar(&paramsFile, "parameters", "", "ARM parameters file")
	c.Flags().StringArrayVar(&params, "param", nil, "name=value (JSON values for objects/arrays; repeatable)")
	c.Flags().StringVar(&name, "name", "", "deployment name (default: the file name)")
	c.Flags().StringVar(&subscription, "subscription", envOr("CODELESS_SUBSCRIPTION", "00000000-0000-0000-0000-000000000000"), "subscription id")
	c.Flags().StringVar(&resourceGroup, "resource-group", envOr("CODELESS_RESOURCE_GROUP", "codeless"), "resource group")
	c.Flags().StringVar(&workspace, "workspace", envOr("CODELESS_WORKSPACE", "codeless"), "workspace name (for loose folders)")
	return c
}

func newStatus() *cobra.Command {
	var server string
	c := &cobra.Command{
		Use:   "status",
		Short: "Show every connection's polling status",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := newClient(cmd.Context(), server)
			if err != nil {
				return err
			}
			var out struct {
				Connections []map[string]any `json:"connections"`
			}
			if err := cl.do(cmd.Context(), "GET", "/api/v1/status", nil, &out); err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		},
	}
	addServerFlag(c, &server)
	return c
}
