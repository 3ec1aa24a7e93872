package cli

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/spf13/pflag"
)

func TestParseBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"1024", 1024, true}, {"512MiB", 512 << 20, true}, {"2GiB", 2 << 30, true},
		{" 1.5 GiB ", 3 << 29, true}, {"64kb", 64 << 10, true}, {"1TB", 1 << 40, true}, {"7B", 7, true},
		{"", 0, false}, {"lots", 0, false}, {"-1GiB", 0, false}, {"1PiB", 0, false}, {"9e30", 0, false},
	} {
		got, err := parseBytes(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// The serve flags set the collector; the environment wins unless a flag is
// given; a bad size is an error naming the flag.
func TestGCFlags(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	run := func(env map[string]string, args ...string) (int, int64, error) {
		t.Helper()
		for k, v := range env {
			t.Setenv(k, v)
		}
		var g gcFlags
		fl := pflag.NewFlagSet("serve", pflag.ContinueOnError)
		g.register(fl)
		if err := fl.Parse(args); err != nil {
			t.Fatal(err)
		}
		return g.apply(fl)
	}
	if gogc, limit, err := run(map[string]string{"GOGC": "", "GOMEMLIMIT": ""}); err != nil || gogc != 400 || limit != 1<<30 {
		t.Errorf("defaults: %d %d %v", gogc, limit, err)
	}
	debug.SetGCPercent(150) // as if the runtime had read GOGC=150
	debug.SetMemoryLimit(3 << 30)
	if gogc, limit, err := run(map[string]string{"GOGC": "150", "GOMEMLIMIT": "3GiB"}); err != nil || gogc != 150 || limit != 3<<30 {
		t.Errorf("environment: %d %d %v", gogc, limit, err)
	}
	if gogc, limit, err := run(map[string]string{"GOGC": "150", "GOMEMLIMIT": "3GiB"}, "--gogc", "200", "--go-memory-limit", "0"); err != nil || gogc != 200 || limit != math.MaxInt64 {
		t.Errorf("flags over environment: %d %d %v", gogc, limit, err)
	}
	if _, _, err := run(map[string]string{"GOMEMLIMIT": ""}, "--go-memory-limit", "huge"); err == nil || err.Error() != `--go-memory-limit: "huge" is not a size like 512MiB, 2GiB or 0` {
		t.Errorf("bad size: %v", err)
	}
}
