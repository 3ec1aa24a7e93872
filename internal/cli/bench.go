package cli

import (
	"context"
	"fmt"
	"runtime/debug"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/codeless/codeless/internal/pollbench"
)

type benchResult struct {
	mode    string
	events  int
	elapsed time.Duration
	cpu     time.Duration
	rss     int64
	rssOwn  bool // rss is this mode's peak, not the process's
}

func runPollBench(ctx context.Context, source, mode string, windows, pages, perPage int) (benchResult, error) {
	now := time.Date(2024, 3, 6, 8, 0, 0, 0, time.UTC)
	s, err := pollbench.New(ctx, source, mode, now, pages, perPage)
	if err != nil {
		return benchResult{}, err
	}
	defer s.Close()
	res := benchResult{mode: mode}
	perMode := pollbench.ResetPeakRSS()
	cpu0 := pollbench.CPUTime()
	start := time.Now()
	for w := range windows {
		ws := s.Window(w, windows)
		out, err := s.Runner.PollWindow(ctx, ws, ws.Add(5*time.Minute))
		if err != nil {
			return res, err
		}
		res.events += out.Events
	}
	res.elapsed = time.Since(start)
	res.cpu, res.rss, res.rssOwn = pollbench.CPUTime()-cpu0, pollbench.PeakRSS(), perMode
	return res, s.CheckRows(ctx, res.events)
}

func newBench() *cobra.Command {
	var windows, pages, perPage, gogc int
	var modes []string
	var source string
	c := &cobra.Command{
		Use:   "bench",
		Short: "Measure the poll path: loopback source, LinkHeader paging, DCR transform, DuckDB (in memory)",
		Long: `Poll a loopback source of ≈400-byte JSON events (LinkHeader paging) through
the poller, one DCR transform and an in-memory DuckDB, and print events/s,
CPU-seconds per million events and peak RSS for each mode: "perpage" commits
every page and fetches nothing ahead (the baseline, measured in the same run),
"engine" is what codeless serve runs (fetch ahead, batched commits, parallel
transform). VS PERPAGE is a mode's events/s over the baseline's.

--source static serves pre-encoded pages (the source costs next to nothing);
--source mockapi serves internal/mockapi, which encodes every page on the same
cores. --gogc sets the collector's GOGC for the run; its default is what
codeless serve uses (serve --gogc, 400), so the figures are serve's.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, m := range modes {
				if m != pollbench.ModePerPage && m != pollbench.ModeEngine {
					return &exitError{code: 2, err: fmt.Errorf("--mode %q: want perpage or engine", m)}
				}
			}
			if source != pollbench.SourceStatic && source != pollbench.SourceMockAPI {
				return &exitError{code: 2, err: fmt.Errorf("--source %q: want static or mockapi", source)}
			}
			if gogc != 0 {
				defer debug.SetGCPercent(debug.SetGCPercent(gogc))
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			_, size := pollbench.StaticPages(1, 10)
			fmt.Fprintf(tw, "MODE\tEVENTS\tSECONDS\tEVENTS/S\tVS PERPAGE\tCPU-S/MEVENTS\tPEAK RSS MB\t(source %s, event ≈ %d bytes, %d per page, GOGC %d)\n",
				source, size, perPage, currentGOGC())
			var base float64
			for _, m := range modes {
				r, err := runPollBench(cmd.Context(), source, m, windows, pages, perPage)
				if err != nil {
					return fmt.Errorf("bench %s: %w", m, err)
				}
				rate := float64(r.events) / r.elapsed.Seconds()
				if m == "perpage" {
					base = rate
				}
				vs := "-"
				if base > 0 {
					vs = fmt.Sprintf("%.2f×", rate/base)
				}
				rss := fmt.Sprintf("%.0f", float64(r.rss)/(1<<20))
				if !r.rssOwn {
					rss += " (process)"
				}
				fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.0f\t%s\t%.2f\t%s\t\n", r.mode, r.events, r.elapsed.Seconds(),
					rate, vs, r.cpu.Seconds()/float64(r.events)*1e6, rss)
			}
			return tw.Flush()
		},
	}
	fl := c.Flags()
	fl.IntVar(&windows, "windows", 10, "windows to poll per mode")
	fl.IntVar(&pages, "pages", 30, "pages per window")
	fl.IntVar(&perPage, "per-page", 1000, "events per page")
	fl.StringSliceVar(&modes, "mode", []string{"perpage", "engine"}, "modes to run: perpage (baseline), engine")
	fl.StringVar(&source, "source", "static", "loopback source: static (pre-encoded pages) or mockapi")
	fl.IntVar(&gogc, "gogc", defaultGOGC, "GOGC for the run (default: what codeless serve uses; 0: the runtime's setting)")
	return c
}

// currentGOGC reads the collector's GOGC without changing it.
func currentGOGC() int {
	v := debug.SetGCPercent(100)
	debug.SetGCPercent(v)
	return v
}
