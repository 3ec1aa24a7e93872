package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/codeless/codeless/internal/lint"
)

func newLint() *cobra.Command {
	var quiet bool
	c := &cobra.Command{
		Use:   "lint FILE|DIR...",
		Short: "Validate connector files alone and cross-referenced",
		Long: `Validate polling configs, DCRs, tables, connector definitions and solution
templates. Each file is checked alone, then the files of one folder are checked
against each other (stream names, output tables and columns, definition names,
transform output vs table schema). Errors name the file, the JSON path and the
reason; warnings flag what Azure tolerates. Exit code 1 when there are errors.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := lint.Paths(args)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			out := cmd.OutOrStdout()
			for _, d := range rep.Diagnostics {
				if quiet && d.Severity != "error" {
					continue
				}
				fmt.Fprintln(out, d.String())
			}
			fmt.Fprintf(out, "%d error(s), %d warning(s)\n", rep.Errors(), rep.Warnings())
			if rep.Errors() > 0 {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "print errors only")
	return c
}
