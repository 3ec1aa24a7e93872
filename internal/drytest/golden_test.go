package drytest

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// TestGoldenReports pins the JSON and text renderings of complete dry runs
// (the source URL and latencies normalised). Regenerate with -update.
func TestGoldenReports(t *testing.T) {
	cases := []struct {
		name   string
		poller string
		tables []string
		params map[string]string
	}{
		{name: "basic_with_table", poller: "basic_linkheader.json", tables: []string{"table_alerts.json"}},
		{name: "unresolved", poller: "unresolved.json"},
		{name: "apikey_params", poller: "apikey_params.json", params: map[string]string{"region": "eu-1", "tenant": "acme"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, srv := newSource(t)
			opts := baseOptions(srv, tc.poller)
			for _, f := range tc.tables {
				opts.TableFiles = append(opts.TableFiles, fixture(f))
			}
			for k, v := range tc.params {
				opts.Params[k] = v
			}
			rep := mustRun(t, opts)
			for i := range rep.Requests {
				rep.Requests[i].URL = strings.ReplaceAll(rep.Requests[i].URL, srv.URL, "http://SOURCE")
				rep.Requests[i].LatencyMs = 0
			}
			var js, txt bytes.Buffer
			if err := rep.WriteJSON(&js); err != nil {
				t.Fatal(err)
			}
			if err := rep.WriteText(&txt); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".json", js.Bytes())
			golden(t, tc.name+".txt", txt.Bytes())
		})
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update after checking):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}
