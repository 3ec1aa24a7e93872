package jsonpath

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/corpustest"
)

// walkKeys calls fn for every string value whose key (lower-cased) matches.
func walkKeys(v any, match func(key string) bool, fn func(key, val string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if match(strings.ToLower(strings.TrimSpace(k))) {
				switch ev := e.(type) {
				case string:
					fn(k, ev)
				case []any:
					for _, s := range ev {
						if str, ok := s.(string); ok {
							fn(k, str)
						}
					}
				}
			}
			walkKeys(e, match, fn)
		}
	case []any:
		for _, e := range x {
			walkKeys(e, match, fn)
		}
	}
}

// TestCorpusPathsCompile compiles every JSONPath the real connectors use
// (eventsJsonPaths, paging token paths, success/JWT paths).
func TestCorpusPathsCompile(t *testing.T) {
	dir := corpustest.Dir(t)
	n := 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var doc any
		if json.Unmarshal(b, &doc) != nil {
			return nil // not our concern here
		}
		walkKeys(doc, func(k string) bool { return strings.HasSuffix(k, "jsonpath") || strings.HasSuffix(k, "jsonpaths") },
			func(k, v string) {
				if strings.Contains(v, "[[") || strings.Contains(v, "{{") || strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") && strings.Contains(v, "(") && !strings.Contains(v, "?(") {
					return // ARM expression or placeholder
				}
				n++
				if _, err := Compile(strings.TrimSpace(v)); err != nil {
					rel, _ := filepath.Rel(dir, path)
					t.Errorf("%s: %s = %q: %v", rel, k, v, err)
				}
			})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Fatalf("only %d JSONPaths found in the corpus; walker broken?", n)
	}
	t.Logf("compiled %d corpus JSONPaths", n)
}
