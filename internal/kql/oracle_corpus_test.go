package kql_test

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/corpustest"
	"github.com/codeless/codeless/internal/kql/eval"
	"github.com/codeless/codeless/internal/schema"
)

// TestOracleCorpusTransforms runs every distinct transformKql of the real
// connector corpus through the official Kusto.Language with its stream
// declaration as `source`, and through our transform compiler: both must
// accept the same transforms with the same output schema, and both must
// reject exactly one, ZeroFox's expressions inside project-rename (KS109),
// ours with a message that says why.
func TestOracleCorpusTransforms(t *testing.T) {
	flows := corpustest.Transforms(t)
	requireOracle(t)
	seen := map[string]bool{}
	var cases []*oracleCase
	byID := map[string]corpustest.Transform{}
	for _, fl := range flows {
		if strings.HasPrefix(fl.KQL, "[") || fl.InputErr != "" {
			continue // ARM expressions and undeclared streams: the resource layer's business
		}
		key := fl.KQL + "\x00" + fmt.Sprint(fl.Input)
		if seen[key] {
			continue
		}
		seen[key] = true
		id := fmt.Sprintf("%s %s #%d", fl.File, fl.Stream, len(cases))
		byID[id] = fl
		cases = append(cases, &oracleCase{id: id, query: fl.KQL, valid: true, tables: map[string]schema.Schema{"source": fl.Input}})
	}
	if len(cases) < 50 {
		t.Fatalf("only %d distinct corpus transforms", len(cases))
	}
	resps := runOracle(t, cases)
	var rejected []string
	agreed := 0
	for _, c := range cases {
		r := resps[c.id]
		if r == nil || r.Crash != "" {
			t.Errorf("%s: oracle gave no answer (%v)", c.id, r)
			continue
		}
		fl := byID[c.id]
		prog, ourErr := eval.CompileTransform(fl.KQL, fl.Input)
		oracleOK := len(r.Errors) == 0
		if !oracleOK {
			rejected = append(rejected, fmt.Sprintf("%s: %s", fl.File, r.Errors[0].Code))
		}
		switch {
		case oracleOK && ourErr != nil:
			t.Errorf("%s: Kusto.Language accepts, we reject: %v", c.id, ourErr)
		case !oracleOK && ourErr == nil:
			t.Errorf("%s: we accept, Kusto.Language rejects (%s %s)", c.id, r.Errors[0].Code, r.Errors[0].Message)
		case !oracleOK:
			if r.Errors[0].Code == "KS109" && !strings.Contains(ourErr.Error(), "project-rename only renames columns") {
				t.Errorf("%s: our refusal does not say why: %v", c.id, ourErr)
			}
		default:
			if got, want := schemaText(prog.Output()), r.schemaText(); got != want {
				t.Errorf("%s: output schema\n     ours: %s\n   oracle: %s", c.id, got, want)
				continue
			}
			agreed++
		}
	}
	sort.Strings(rejected)
	if len(rejected) != 1 || !strings.HasPrefix(rejected[0], "ZeroFox/") || !strings.HasSuffix(rejected[0], "KS109") {
		t.Errorf("Kusto.Language should reject exactly ZeroFox's project-rename (KS109); it rejected %v", rejected)
	}
	t.Logf("%d distinct corpus transforms: %d accepted by both with equal output schemas; rejected by both: %v", len(cases), agreed, rejected)
}

// TestOracleCorpusPlaceholders does the same for every distinct
// stepPlaceholdersParsingKql (source has one string column, data): all are
// valid for Kusto.Language, compile as placeholder queries here, and give
// the same output schema.
func TestOracleCorpusPlaceholders(t *testing.T) {
	qs := corpustest.PlaceholderQueries(t)
	requireOracle(t)
	seen := map[string]bool{}
	var cases []*oracleCase
	for _, q := range qs {
		if seen[q.KQL] {
			continue
		}
		seen[q.KQL] = true
		cases = append(cases, &oracleCase{id: fmt.Sprintf("%s #%d", q.File, len(cases)), query: q.KQL, valid: true, tables: map[string]schema.Schema{"source": q.Input}})
	}
	if len(cases) < 5 {
		t.Fatalf("only %d distinct corpus placeholder queries", len(cases))
	}
	resps := runOracle(t, cases)
	for _, c := range cases {
		r := resps[c.id]
		if r == nil || r.Crash != "" || len(r.Errors) > 0 {
			t.Errorf("%s: Kusto.Language: %+v\n    %s", c.id, r, c.query)
			continue
		}
		prog, err := eval.CompilePlaceholder(c.query, c.tables["source"])
		if err != nil {
			t.Errorf("%s: we reject: %v", c.id, err)
			continue
		}
		if got, want := schemaText(prog.Output()), r.schemaText(); got != want {
			t.Errorf("%s: output schema\n     ours: %s\n   oracle: %s\n    %s", c.id, got, want, c.query)
		}
	}
	t.Logf("%d distinct corpus placeholder queries checked against Kusto.Language", len(cases))
}

// requireOracle skips (fails under CI=true) when the oracle cannot run.
func requireOracle(t *testing.T) {
	t.Helper()
	if why := oracleAvailable(); why != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("oracle test cannot run in CI: %s", why)
		}
		t.Skipf("skipping the Kusto.Language oracle test: %s", why)
	}
}

// schemaText renders a schema as "name:type, ..." for comparison.
func schemaText(s schema.Schema) string {
	parts := make([]string, len(s))
	for i, c := range s {
		parts[i] = c.Name + ":" + string(c.Type)
	}
	return strings.Join(parts, ", ")
}

// schemaText renders the oracle's result columns in our type names
// (unknown types as "?name").
func (r *oracleResp) schemaText() string {
	var s schema.Schema
	for _, col := range r.Columns {
		tn, ok := oracleTypes[col.Type]
		if !ok {
			tn = schema.Type("?" + col.Type)
		}
		s = append(s, schema.Column{Name: col.Name, Type: tn})
	}
	return schemaText(s)
}
