package eval

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/corpustest"

	"github.com/codeless/codeless/internal/schema"
)

// lookup returns obj[key] with a case-insensitive, space-trimmed key match.
func lookup(obj map[string]any, key string) (any, bool) {
	for k, v := range obj {
		if strings.EqualFold(strings.TrimSpace(k), key) {
			return v, true
		}
	}
	return nil, false
}

type corpusFlow struct {
	file, stream, kql string
	input             schema.Schema
	inputErr          string
}

// collectFlows walks any JSON value and returns every data flow with a
// transformKql, together with its input stream's declared columns.
func collectFlows(file string, v any, out *[]corpusFlow) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			collectFlows(file, e, out)
		}
	case map[string]any:
		flowsV, ok1 := lookup(x, "dataFlows")
		declsV, ok2 := lookup(x, "streamDeclarations")
		if ok1 && ok2 {
			decls, _ := declsV.(map[string]any)
			flows, _ := flowsV.([]any)
			for _, f := range flows {
				fm, ok := f.(map[string]any)
				if !ok {
					continue
				}
				kqlV, ok := lookup(fm, "transformKql")
				kql, _ := kqlV.(string)
				if !ok || kql == "" {
					continue
				}
				streamsV, _ := lookup(fm, "streams")
				streams, _ := streamsV.([]any)
				fl := corpusFlow{file: file, kql: kql}
				if len(streams) > 0 {
					fl.stream, _ = streams[0].(string)
				}
				declV, ok := lookup(decls, fl.stream)
				if !ok {
					fl.inputErr = "stream " + fl.stream + " not declared"
				} else {
					cols, _ := lookup(declV.(map[string]any), "columns")
					list, _ := cols.([]any)
					for _, c := range list {
						cm, _ := c.(map[string]any)
						n, _ := lookup(cm, "name")
						ty, _ := lookup(cm, "type")
						name, _ := n.(string)
						typ, err := schema.ParseType(ty.(string))
						if err != nil {
							fl.inputErr = err.Error()
							break
						}
						fl.input = append(fl.input, schema.Column{Name: name, Type: typ})
					}
				}
				*out = append(*out, fl)
			}
		}
		for _, e := range x {
			collectFlows(file, e, out)
		}
	}
}

// TestCorpusTransforms compiles every transformKql of the real connector
// corpus against its input stream declaration.
func TestCorpusTransforms(t *testing.T) {
	dir := corpustest.Dir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	var flows []corpusFlow
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.ToLower(string(b)), "transformkql") {
			continue
		}
		var v any
		if err := json.Unmarshal([]byte(strings.TrimPrefix(string(b), "\ufeff")), &v); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		rel, _ := filepath.Rel(dir, f)
		collectFlows(rel, v, &flows)
	}
	if len(flows) < 50 {
		t.Fatalf("found only %d corpus transforms", len(flows))
	}
	compiled := 0
	for _, fl := range flows {
		if strings.HasPrefix(fl.kql, "[") || fl.inputErr != "" {
			// ARM expressions and undeclared streams are the resource layer's business.
			continue
		}
		_, err := CompileTransform(fl.kql, fl.input)
		if strings.Contains(fl.kql, "id_d = toint(id)") && strings.Contains(fl.kql, "project-rename") {
			if err == nil || !strings.Contains(err.Error(), "project-rename only renames columns; use extend/project for expressions") {
				t.Errorf("%s: ZeroFox project-rename with an expression must be rejected (KS109), got %v", fl.file, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s (stream %s): %v", fl.file, fl.stream, err)
			continue
		}
		compiled++
		// Every transform runs on an all-null row and on a row of sample values.
		p, _ := CompileTransform(fl.kql, fl.input)
		for _, row := range [][]any{make([]any, len(fl.input)), sampleRow(fl.input)} {
			if err := p.Run(row, t0, func(out []any) error {
				if len(out) != len(p.Output()) {
					t.Errorf("%s: row width %d, schema %d", fl.file, len(out), len(p.Output()))
				}
				return nil
			}); err != nil {
				t.Errorf("%s: run: %v", fl.file, err)
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
