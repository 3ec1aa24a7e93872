package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/codeless/codeless/internal/kql/sqlgen"
	"github.com/codeless/codeless/internal/server"
	"github.com/codeless/codeless/internal/store/duckdb"
)

type queryTable struct {
	Name    string `json:"name"`
	Columns []struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"columns"`
	Rows [][]any `json:"rows"`
}

func newQuery() *cobra.Command {
	var server, data, format, workspace string
	c := &cobra.Command{
		Use:   "query 'KQL'",
		Short: "Run a KQL query against the tables",
		Long: `Run KQL through a running server's query API (--server) or, with --data,
directly on a stopped server's data directory.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var t queryTable
			if data != "" {
				r, err := queryLocal(cmd, data, args[0])
				if err != nil {
					return err
				}
				t = *r
			} else {
				cl, err := newClient(cmd.Context(), server)
				if err != nil {
					return err
				}
				var resp struct {
					Tables []queryTable `json:"tables"`
				}
				if err := cl.do(cmd.Context(), "POST", "/v1/workspaces/"+workspace+"/query", map[string]any{"query": args[0]}, &resp); err != nil {
					return err
				}
				if len(resp.Tables) > 0 {
					t = resp.Tables[0]
				}
			}
			return printTable(cmd.OutOrStdout(), &t, format)
		},
	}
	addServerFlag(c, &server)
	c.Flags().StringVar(&data, "data", "", "query a stopped server's data directory instead of --server")
	c.Flags().StringVar(&format, "format", "table", "table, json or csv")
	c.Flags().StringVar(&workspace, "workspace", envOr("CODELESS_WORKSPACE", "codeless"), "workspace name or id")
	return c
}

func queryLocal(cmd *cobra.Command, data, kql string) (*queryTable, error) {
	st, err := duckdb.Open(filepath.Join(data, "codeless.duckdb"))
	if err != nil {
		return nil, fmt.Errorf("opening %s (is a server running on it? use --server): %w", data, err)
	}
	defer st.Close()
	q, err := sqlgen.ToSQL(kql, catalog{cmd: cmd, st: st}, sqlgen.Options{Now: time.Now().UTC()})
	if err != nil {
		return nil, err
	}
	res, err := st.Query(cmd.Context(), q.SQL, q.Args...)
	if err != nil {
		return nil, err
	}
	// Column types come from the KQL (timespans are stored as ticks in a
	// BIGINT); values are rendered as the query API renders them.
	cols := q.Columns
	if len(cols) != len(res.Columns) {
		cols = res.Columns
	}
	t := &queryTable{Name: "PrimaryResult", Rows: make([][]any, len(res.Rows))}
	for _, c := range cols {
		t.Columns = append(t.Columns, struct {
			Name string `json:"name"`
			Type string `json:"type"`
		}{c.Name, string(c.Type)})
	}
	for i, r := range res.Rows {
		out := make([]any, len(r))
		for j, v := range r {
			out[j] = server.RenderValue(v, cols[j].Type)
		}
		t.Rows[i] = out
	}
	return t, nil
}

func printTable(w io.Writer, t *queryTable, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(t)
	case "csv":
		cw := csv.NewWriter(w)
		head := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			head[i] = c.Name
		}
		_ = cw.Write(head)
		for _, r := range t.Rows {
			_ = cw.Write(cells(r))
		}
		cw.Flush()
		return cw.Error()
	case "table", "":
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		head := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			head[i] = c.Name
		}
		fmt.Fprintln(tw, strings.Join(head, "\t"))
		// One line per row: control characters inside values are escaped.
		esc := strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`)
		for _, r := range t.Rows {
			cs := cells(r)
			for i := range cs {
				cs[i] = esc.Replace(cs[i])
			}
			fmt.Fprintln(tw, strings.Join(cs, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(w, "(%d row(s))\n", len(t.Rows))
		return nil
	}
	return &exitError{code: 2, err: fmt.Errorf("--format %q: want table, json or csv", format)}
}

func cells(r []any) []string {
	out := make([]string, len(r))
	for i, v := range r {
		switch x := v.(type) {
		case nil:
			out[i] = ""
		case string:
			out[i] = x
		case time.Time:
			out[i] = x.UTC().Format(time.RFC3339Nano)
		case map[string]any, []any:
			b, _ := json.Marshal(x)
			out[i] = string(b)
		default:
			out[i] = fmt.Sprint(x)
		}
	}
	return out
}
