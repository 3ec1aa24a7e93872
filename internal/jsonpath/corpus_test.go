package jsonpath

import (
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
	n := 0
	corpustest.Docs(t, func(rel string, doc any) {
		walkKeys(doc, func(k string) bool { return strings.HasSuffix(k, "jsonpath") || strings.HasSuffix(k, "jsonpaths") },
			func(k, v string) {
				if strings.Contains(v, "[[") || strings.Contains(v, "{{") || strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") && strings.Contains(v, "(") && !strings.Contains(v, "?(") {
					return // ARM expression or placeholder
				}
				n++
				if _, err := Compile(strings.TrimSpace(v)); err != nil {
					t.Errorf("%s: %s = %q: %v", rel, k, v, err)
				}
			})
	})
	if n < 100 {
		t.Fatalf("only %d JSONPaths found in the corpus; walker broken?", n)
	}
	t.Logf("compiled %d corpus JSONPaths", n)
}
