package decode

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/corpustest"
	"github.com/codeless/codeless/internal/resource"
)

// TestCorpusResponsesBuild: every response object of a corpus poller (with
// eventsJsonPaths) builds a Decoder, and the non-JSON formats the corpus
// uses are among them.
func TestCorpusResponsesBuild(t *testing.T) {
	formats := map[Format]int{}
	n := 0
	objs, files := corpustest.Objects(t, "response")
	for i, m := range objs {
		if !hasKey(m, "eventsJsonPaths") {
			continue
		}
		file := files[i]
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
