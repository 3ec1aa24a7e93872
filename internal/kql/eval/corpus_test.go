package eval

import (
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/corpustest"
	"github.com/codeless/codeless/internal/schema"
)

// TestCorpusTransforms compiles every transformKql of the real connector
// corpus against its input stream declaration.
func TestCorpusTransforms(t *testing.T) {
	flows := corpustest.Transforms(t)
	if len(flows) < 50 {
		t.Fatalf("found only %d corpus transforms", len(flows))
	}
	compiled := 0
	for _, fl := range flows {
		if strings.HasPrefix(fl.KQL, "[") || fl.InputErr != "" {
			// ARM expressions and undeclared streams are the resource layer's business.
			continue
		}
		_, err := CompileTransform(fl.KQL, fl.Input)
		if strings.Contains(fl.KQL, "id_d = toint(id)") && strings.Contains(fl.KQL, "project-rename") {
			if err == nil || !strings.Contains(err.Error(), "project-rename only renames columns; use extend/project for expressions") {
				t.Errorf("%s: ZeroFox project-rename with an expression must be rejected (KS109), got %v", fl.File, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s (stream %s): %v", fl.File, fl.Stream, err)
			continue
		}
		compiled++
		// Every transform runs on an all-null row and on a row of sample values.
		p, _ := CompileTransform(fl.KQL, fl.Input)
		for _, row := range [][]any{make([]any, len(fl.Input)), sampleRow(fl.Input)} {
			if err := p.Run(row, t0, func(out []any) error {
				if len(out) != len(p.Output()) {
					t.Errorf("%s: row width %d, schema %d", fl.File, len(out), len(p.Output()))
				}
				return nil
			}); err != nil {
				t.Errorf("%s: run: %v", fl.File, err)
			}
		}
	}
	t.Logf("compiled %d of %d corpus transforms", compiled, len(flows))
}

func sampleRow(s schema.Schema) []any {
	row := make([]any, len(s))
	for i, c := range s {
		switch c.Type {
		case schema.String:
			row[i] = "2024-01-02T03:04:05Z"
		case schema.Int, schema.Long:
			row[i] = int64(1700000000)
		case schema.Real:
			row[i] = 1.5
		case schema.Bool:
			row[i] = true
		case schema.DateTime:
			row[i] = t0
		case schema.Dynamic:
			row[i] = map[string]any{"id": "x", "a": []any{int64(1)}}
		case schema.GUID:
			row[i] = "6a2f41a3-c54c-fce8-32d3-d34e8d2d0b5e"
		}
	}
	return row
}
