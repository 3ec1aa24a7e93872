package poll_test

import (
	"context"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/pollbench"
)

// BenchmarkPollToDuckDB measures the whole poll path (internal/pollbench):
// loopback HTTP, LinkHeader paging (1,000 events per page, 30 pages per
// 5-minute window), decoding, addOnAttributes, the DCR transform and the
// DuckDB commit of rows plus checkpoint. Sources: "mockapi" serves
// internal/mockapi's events, encoding every page on the same cores (the
// honest mock); "static" serves pre-encoded ≈400-byte events (the same
// pages for every window), so the source's cost stays out of the figure.
// Modes: "perpage" commits every page and fetches nothing ahead (the
// baseline); "engine" is what the engine runs (Prefetch,
// EngineCommitEvents). peak-RSS-MB is the sub-benchmark's own peak
// (Linux), DuckDB's in-memory table included; x-perpage is the mode's
// events/s over the perpage baseline of the same source and run.
//
//	go test -run '^$' -bench BenchmarkPollToDuckDB -benchtime 5x ./internal/poll/
func BenchmarkPollToDuckDB(b *testing.B) {
	t0 := time.Date(2024, 3, 6, 8, 0, 0, 0, time.UTC)
	baseline := map[string]float64{} // perpage events/s per source, for the x-perpage ratio
	for _, src := range []string{pollbench.SourceMockAPI, pollbench.SourceStatic} {
		for _, mode := range []string{pollbench.ModePerPage, pollbench.ModeEngine} {
			b.Run(src+"/"+mode, func(b *testing.B) {
				ctx := context.Background()
				s, err := pollbench.New(ctx, src, mode, t0, 30, 1000)
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				events := 0
				perMode := pollbench.ResetPeakRSS()
				cpu0 := pollbench.CPUTime()
				b.ResetTimer()
				// Consecutive windows, as when catching up (the window after
				// each one is fetched ahead in engine mode).
				ws := t0.Add(-24 * time.Hour)
				for b.Loop() {
					res, err := s.Runner.PollWindow(ctx, ws, ws.Add(5*time.Minute))
					ws = ws.Add(5 * time.Minute)
					if err != nil {
						b.Fatal(err)
					}
					events += res.Events
				}
				rate := float64(events) / b.Elapsed().Seconds()
				b.ReportMetric(rate, "events/s")
				if mode == pollbench.ModePerPage {
					baseline[src] = rate
				} else if base := baseline[src]; base > 0 {
					b.ReportMetric(rate/base, "x-perpage")
				}
				b.ReportMetric((pollbench.CPUTime()-cpu0).Seconds()/float64(events)*1e6, "cpu-s/Mevents")
				if perMode {
					b.ReportMetric(float64(pollbench.PeakRSS())/(1<<20), "peak-RSS-MB")
				}
				if err := s.CheckRows(ctx, events); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}
