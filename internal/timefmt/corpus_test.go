package timefmt

import (
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/corpustest"
)

func collect(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if strings.EqualFold(strings.TrimSpace(k), "queryTimeFormat") {
				if s, ok := e.(string); ok {
					*out = append(*out, s)
				}
			}
			collect(e, out)
		}
	case []any:
		for _, e := range x {
			collect(e, out)
		}
	}
}

// TestCorpusFilesFormats compiles every queryTimeFormat in the corpus and checks
// that each renders the reference instant without leaving a letter that is
// a .NET specifier unexpanded.
func TestCorpusFilesFormats(t *testing.T) {
	var formats []string
	corpustest.Docs(t, func(_ string, doc any) { collect(doc, &formats) })
	if len(formats) < 50 {
		t.Fatalf("only %d queryTimeFormat values found; walker broken?", len(formats))
	}
	for _, f := range formats {
		if strings.Contains(f, "[[") || strings.Contains(f, "{{") {
			continue
		}
		fm, err := Compile(f)
		if err != nil {
			t.Errorf("%q: %v", f, err)
			continue
		}
		out := fm.Format(ref)
		if strings.ContainsAny(out, "yMdHhmsf") {
			t.Errorf("%q rendered %q with an unexpanded specifier", f, out)
		}
	}
}
