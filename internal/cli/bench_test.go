package cli

import (
	"regexp"
	"strings"
	"testing"
)

// TestBenchSources: both loopback sources deliver every event (the bench
// checks the table's row count against the events polled), the baseline
// ratio is printed, and bad flags exit 2 naming the value.
func TestBenchSources(t *testing.T) {
	for _, src := range []string{"static", "mockapi"} {
		code, out, errOut := run(t, "bench", "--source", src, "--windows", "2", "--pages", "2", "--per-page", "5", "--gogc", "200")
		if code != 0 {
			t.Fatalf("%s: bench exited %d: %s", src, code, errOut)
		}
		if !regexp.MustCompile(`(?m)^perpage\s+20\s.*\s1\.00×\s`).MatchString(out) || !regexp.MustCompile(`(?m)^engine\s+20\s.*×`).MatchString(out) {
			t.Errorf("%s: want perpage (1.00×) and engine lines with 20 events in:\n%s", src, out)
		}
		if !strings.Contains(out, "source "+src) || !strings.Contains(out, "GOGC 200") {
			t.Errorf("%s: header does not name the source and GOGC:\n%s", src, out)
		}
	}
	for _, args := range [][]string{{"--source", "kafka"}, {"--mode", "turbo"}} {
		code, _, errOut := run(t, append([]string{"bench"}, args...)...)
		if code != 2 || !strings.Contains(errOut, `"`+args[1]+`"`) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming the value", args, code, errOut)
		}
	}
	// The mock's window must hold whole minutes of its event rate.
	if code, _, errOut := run(t, "bench", "--source", "mockapi", "--pages", "3", "--per-page", "7"); code == 0 || !strings.Contains(errOut, "multiple of 5") {
		t.Errorf("mockapi with 21 events per window: exit %d, stderr %q", code, errOut)
	}
}
