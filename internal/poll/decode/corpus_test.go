package decode

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/corpustest"
	"github.com/codeless/codeless/internal/resource"
)

// TestCorpusResponsesBuild: every response object of a corpus poller (with
// eventsJsonPaths) builds a Decoder, and the non-JSON formats the corpus
// uses are among them.
func TestCorpusResponsesBuild(t *testing.T) {
	dir := corpustest.Dir(t)
	formats := map[Format]int{}
	n := 0
	var walk func(v any, file string)
	walk = func(v any, file string) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				m, ok := e.(map[string]any)
				if ok && strings.EqualFold(strings.TrimSpace(k), "response") && hasKey(m, "eventsJsonPaths") {
					b, _ := json.Marshal(m)
					conn, err := resource.DecodeConnection([]byte(`{"kind":"RestApiPoller","properties":{"response":` + string(b) + `}}`))
					if err != nil {
						t.Errorf("%s: decoding %s: %v", file, b, err)
						continue
					}
					d, err := New(conn.Properties.Response)
					if err != nil {
						t.Errorf("%s: %s: %v", file, b, err)
						continue
					}
					formats[d.Format()]++
					n++
				}
				walk(e, file)
			}
		case []any:
			for _, e := range x {
				walk(e, file)
			}
		}
	}
	filepath.WalkDir(dir, func(path string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		b, _ := os.ReadFile(path)
		var doc any
		if json.Unmarshal(b, &doc) == nil {
			rel, _ := filepath.Rel(dir, path)
			walk(doc, rel)
		}
		return nil
	})
	t.Logf("%d response objects, formats %v", n, formats)
	for _, f := range []Format{FormatJSON, FormatJSONLines, FormatXML, FormatCSV} {
		if formats[f] == 0 {
			t.Errorf("no %s response in the corpus: the corpus changed", f)
		}
	}
}

func hasKey(m map[string]any, key string) bool {
	for k := range m {
		if strings.EqualFold(strings.TrimSpace(k), key) {
			return true
		}
	}
	return false
}
