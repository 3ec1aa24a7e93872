package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/codeless/codeless/internal/drytest"
)

func newTest() *cobra.Command {
	var (
		o      drytest.Options
		params []string
		window string
		output string
	)
	c := &cobra.Command{
		Use:   "test POLLER.json [--dcr DCR.json] [--table T.json] [--param name=value]...",
		Short: "Dry-run a connection: real HTTP, every page, events and transformed rows, no state written",
		Long: `Run one window of one or more RestApiPoller connections against the live API,
follow every page, and print each request (secrets redacted), the events and the
rows each data flow of the DCR produces. Placeholders {{name}}, [[parameters('name')]
and [parameters('name')] are resolved from --param; {{dataCollectionEndpoint}} and
{{dataCollectionRuleImmutableId}} need no value. Nothing is stored.
Exit code 0 when there are no errors.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.PollerFile = args[0]
			o.Params = map[string]string{}
			for _, p := range params {
				k, v, ok := strings.Cut(p, "=")
				if !ok || k == "" {
					return &exitError{code: 2, err: fmt.Errorf("--param %q: want name=value", p)}
				}
				o.Params[k] = v
			}
			if window != "" {
				s, e, ok := strings.Cut(window, "/")
				ts, err1 := time.Parse(time.RFC3339, s)
				te, err2 := time.Parse(time.RFC3339, e)
				if !ok || err1 != nil || err2 != nil || !te.After(ts) {
					return &exitError{code: 2, err: fmt.Errorf("--window %q: want START/END in RFC 3339 with END after START, e.g. 2026-01-01T00:00:00Z/2026-01-01T00:05:00Z", window)}
				}
				o.Window = &[2]time.Time{ts.UTC(), te.UTC()}
			}
			rep, err := drytest.Run(cmd.Context(), o)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			switch output {
			case "json":
				err = rep.WriteJSON(cmd.OutOrStdout())
			case "table", "text", "":
				err = rep.WriteText(cmd.OutOrStdout())
			default:
				return &exitError{code: 2, err: fmt.Errorf("--output %q: want json or table", output)}
			}
			if err != nil {
				return err
			}
			if len(rep.Errors) > 0 {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	fl := c.Flags()
	fl.StringVar(&o.DCRFile, "dcr", "", "the data collection rule file")
	fl.StringSliceVar(&o.TableFiles, "table", nil, "table file(s) the DCR writes to")
	fl.StringArrayVar(&params, "param", nil, "name=value for a placeholder or template parameter (repeatable)")
	fl.StringVar(&window, "window", "", "START/END (RFC 3339); default: the first window a new connection would poll")
	fl.StringVar(&o.Connection, "connection", "", "run only the connection with this name")
	fl.IntVar(&o.MaxPages, "max-pages", 0, "stop after N pages per connection (0 = follow every page)")
	fl.StringVarP(&output, "output", "o", "table", "json or table")
	fl.StringVar(&o.Record, "record", "", "write the HTTP exchanges to DIR/cassette.json (secrets redacted)")
	fl.StringVar(&o.Replay, "replay", "", "answer every request from DIR/cassette.json instead of the network (the recording's clock and window)")
	return c
}
