package cli

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
)

func newConnect() *cobra.Command {
	var (
		server string
		params []string
	)
	c := &cobra.Command{
		Use:   "connect DEFINITION --param name=value...",
		Short: "Connect a deployed connector: deploy its connection template with these inputs",
		Long: `The CLI path of the connector page's Connect button. Each --param is an input
of the connector page (a Textbox or Dropdown name, or ClientId/ClientSecret for
OAuth forms); connectorDefinitionName, workspace and dcrConfig are filled in by
the server. Prints the names of the connections created.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			values := map[string]any{}
			for _, p := range params {
				k, v, ok := strings.Cut(p, "=")
				if !ok || k == "" {
					return &exitError{code: 2, err: fmt.Errorf("--param %q: want name=value", p)}
				}
				var js any
				if (strings.HasPrefix(v, "[") || strings.HasPrefix(v, "{")) && json.Unmarshal([]byte(v), &js) == nil {
					values[k] = js // Dropdowns are array parameters
				} else {
					values[k] = v
				}
			}
			cl, err := newClient(cmd.Context(), server)
			if err != nil {
				return err
			}
			var out struct {
				Connections []string `json:"connections"`
			}
			if err := cl.do(cmd.Context(), "POST", "/api/v1/connectors/"+url.PathEscape(args[0])+"/connect", map[string]any{"parameters": values}, &out); err != nil {
				return err
			}
			for _, n := range out.Connections {
				fmt.Fprintln(cmd.OutOrStdout(), n)
			}
			return nil
		},
	}
	addServerFlag(c, &server)
	c.Flags().StringArrayVar(&params, "param", nil, "name=value (repeatable; JSON arrays for multi-select inputs)")
	return c
}

func newDisconnect() *cobra.Command {
	var server string
	c := &cobra.Command{
		Use:   "disconnect NAME",
		Short: "Delete a connector's connections (by definition name) or one connection (by its name); tables and data stay",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := newClient(cmd.Context(), server)
			if err != nil {
				return err
			}
			var out struct {
				Deleted []string `json:"deleted"`
			}
			if err := cl.do(cmd.Context(), "POST", "/api/v1/disconnect/"+url.PathEscape(args[0]), nil, &out); err != nil {
				return err
			}
			for _, n := range out.Deleted {
				fmt.Fprintln(cmd.OutOrStdout(), "deleted", n)
			}
			return nil
		},
	}
	addServerFlag(c, &server)
	return c
}
