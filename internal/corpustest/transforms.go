package corpustest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/schema"
)

// Transform is one data flow with a transformKql found in the corpus, with
// its input stream's declared columns.
type Transform struct {
	File, Stream, KQL string // File is relative to the corpus directory
	Input             schema.Schema
	// InputErr says why Input is unusable (stream not declared, bad type).
	InputErr string
}

// Transforms reads every corpus JSON file that mentions transformKql and
// returns each data flow with a transformKql (ARM-expression transforms
// included; callers decide what to skip). It skips the test when the corpus
// is absent.
func Transforms(t testing.TB) []Transform {
	t.Helper()
	var out []Transform
	eachJSON(t, "transformkql", func(rel string, v any) { collectFlows(rel, v, &out) })
	return out
}

// eachJSON decodes every corpus JSON file whose text contains needle
// (lower case) and calls fn with its path relative to the corpus.
func eachJSON(t testing.TB, needle string, fn func(rel string, v any)) {
	t.Helper()
	dir := Dir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.ToLower(string(b)), needle) {
			continue
		}
		var v any
		if err := json.Unmarshal([]byte(strings.TrimPrefix(string(b), "\ufeff")), &v); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		rel, _ := filepath.Rel(dir, f)
		fn(rel, v)
	}
}

// lookup returns obj[key] with a case-insensitive, space-trimmed key match.
func lookup(obj map[string]any, key string) (any, bool) {
	for k, v := range obj {
		if strings.EqualFold(strings.TrimSpace(k), key) {
			return v, true
		}
	}
	return nil, false
}

// collectFlows walks any JSON value and appends every data flow with a
// transformKql next to a streamDeclarations object.
func collectFlows(file string, v any, out *[]Transform) {
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
				fl := Transform{File: file, KQL: kql}
				if len(streams) > 0 {
					fl.Stream, _ = streams[0].(string)
				}
				declV, ok := lookup(decls, fl.Stream)
				if !ok {
					fl.InputErr = "stream " + fl.Stream + " not declared"
				} else {
					dm, _ := declV.(map[string]any)
					cols, _ := lookup(dm, "columns")
					list, _ := cols.([]any)
					for _, c := range list {
						cm, _ := c.(map[string]any)
						n, _ := lookup(cm, "name")
						ty, _ := lookup(cm, "type")
						name, _ := n.(string)
						ts, _ := ty.(string)
						typ, err := schema.ParseType(ts)
						if err != nil {
							fl.InputErr = err.Error()
							break
						}
						fl.Input = append(fl.Input, schema.Column{Name: name, Type: typ})
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

// PlaceholderQueries returns every stepPlaceholdersParsingKql of the corpus
// with its input, the `source` table of one `data` string column.
func PlaceholderQueries(t testing.TB) []Transform {
	t.Helper()
	var out []Transform
	var walk func(file string, v any)
	walk = func(file string, v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(file, e)
			}
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && strings.EqualFold(strings.TrimSpace(k), "stepPlaceholdersParsingKql") && s != "" {
					out = append(out, Transform{File: file, KQL: s, Input: schema.Schema{{Name: "data", Type: schema.String}}})
					continue
				}
				walk(file, e)
			}
		}
	}
	eachJSON(t, "stepplaceholdersparsingkql", walk)
	return out
}

// Docs decodes every .json file below the corpus directory (recursively)
// and calls fn with its path relative to the corpus; files that are not
// JSON are skipped (the tests using it check values, not files).
func Docs(t testing.TB, fn func(rel string, doc any)) {
	t.Helper()
	dir := Dir(t)
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if json.Unmarshal(b, &doc) == nil {
			rel, _ := filepath.Rel(dir, path)
			fn(rel, doc)
		}
		return nil
	})
}

// Objects returns every object stored under key (case-insensitive,
// trimmed) anywhere in the corpus JSON files, with its file.
func Objects(t testing.TB, key string) (objs []map[string]any, files []string) {
	t.Helper()
	var walk func(v any, file string)
	walk = func(v any, file string) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if strings.EqualFold(strings.TrimSpace(k), key) {
					if m, ok := e.(map[string]any); ok {
						objs, files = append(objs, m), append(files, file)
					}
				}
				walk(e, file)
			}
		case []any:
			for _, e := range x {
				walk(e, file)
			}
		}
	}
	Docs(t, func(rel string, doc any) { walk(doc, rel) })
	return objs, files
}
