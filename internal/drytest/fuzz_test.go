package drytest

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadPoller feeds arbitrary bytes to the poller-file loader: it must
// never panic, and a non-JSON input is an error, not a report.
func FuzzLoadPoller(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"kind":"RestApiPoller","properties":{"request":{"apiEndpoint":"[[concat(parameters('a'),"}}}`))
	f.Add([]byte(`[{"kind":"restapipoller","properties":"x","name":["a"]}]`))
	f.Add([]byte(`{"resources":[{"kind":"RestApiPoller","condition":"[equals(1,2)]","properties":{}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep := newReport()
		params := map[string]any{"baseUrl": "http://127.0.0.1:1", "apiKey": "k"}
		ld, err := loadPoller(data, "fuzz.json", params, "", rep)
		if err != nil {
			return
		}
		if ld == nil {
			t.Fatal("nil result without error")
		}
		for _, c := range ld.conns {
			if c == nil {
				t.Fatal("nil connection")
			}
		}
	})
}
