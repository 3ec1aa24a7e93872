package cli

import (
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// Defaults for `codeless serve`'s garbage collector: GOGC 400 cuts the poll
// path's CPU per event by about a third against Go's 100 (`codeless bench
// --gogc`, docs/poller.md), and the soft limit keeps the larger heap bounded
// (the collector works harder as the Go heap nears it; DuckDB's own memory
// is outside it).
const (
	defaultGOGC        = 400
	defaultMemoryLimit = "1GiB"
)

// gcFlags are serve's --gogc and --go-memory-limit.
type gcFlags struct {
	gogc        int
	memoryLimit string
}

func (g *gcFlags) register(fl *pflag.FlagSet) {
	fl.IntVar(&g.gogc, "gogc", defaultGOGC, "garbage collector target percentage (the GOGC environment variable wins unless this flag is given; -1 turns the collector off)")
	fl.StringVar(&g.memoryLimit, "go-memory-limit", defaultMemoryLimit, "soft limit of the Go heap, e.g. 512MiB or 2GiB, 0 for none (the GOMEMLIMIT environment variable wins unless this flag is given)")
}

// apply sets the collector: a flag given on the command line always wins,
// otherwise an environment variable the runtime already read, otherwise the
// default. It returns what is in effect, for the start-up log.
func (g *gcFlags) apply(fl *pflag.FlagSet) (gogc int, limit int64, err error) {
	if fl.Changed("gogc") || os.Getenv("GOGC") == "" {
		debug.SetGCPercent(g.gogc)
	}
	if fl.Changed("go-memory-limit") || os.Getenv("GOMEMLIMIT") == "" {
		n, err := parseBytes(g.memoryLimit)
		if err != nil {
			return 0, 0, fmt.Errorf("--go-memory-limit: %w", err)
		}
		if n == 0 {
			n = math.MaxInt64
		}
		debug.SetMemoryLimit(n)
	}
	gogc = debug.SetGCPercent(100)
	debug.SetGCPercent(gogc)
	return gogc, debug.SetMemoryLimit(-1), nil
}

// parseBytes reads a size: plain bytes or a number with B, KiB, MiB, GiB or
// TiB (KB, MB, GB, TB are taken as the same powers of 1024).
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{{"TIB", 1 << 40}, {"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}}
	mult := int64(1)
	up := strings.ToUpper(t)
	for _, u := range units {
		if strings.HasSuffix(up, u.suffix) {
			mult, t = u.mult, strings.TrimSpace(t[:len(t)-len(u.suffix)])
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || n < 0 || math.IsNaN(n) || n*float64(mult) > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is not a size like 512MiB, 2GiB or 0", s)
	}
	return int64(n * float64(mult)), nil
}
