package arm

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/corpustest"
)

var corpusEnv = Env{
	SubscriptionID: "00000000-0000-0000-0000-000000000001",
	ResourceGroup:  "codeless-rg",
	Location:       "local",
	NewGUID:        func() string { return "11111111-1111-1111-1111-111111111111" },
}

var dummyDCRConfig = map[string]any{
	"dataCollectionEndpoint":        "http://127.0.0.1:8080",
	"dataCollectionRuleImmutableId": "dcr-0123456789abcdef0123456789abcdef",
}

// fakeParams gives every declared parameter a dummy value of its type,
// except workspace, innerWorkspace and guidValue, which keep their defaults
// (the workspace baked in by the install deployment, and newGuid()).
func fakeParams(tmpl map[string]any) map[string]any {
	out := map[string]any{}
	p, _ := lookupCI(tmpl, "parameters")
	pm, _ := p.(map[string]any)
	for name, d := range pm {
		dm, _ := d.(map[string]any)
		switch strings.ToLower(name) {
		case "workspace", "innerworkspace", "guidvalue":
			continue
		}
		if strings.EqualFold(name, "dcrConfig") {
			out[name] = dummyDCRConfig
			continue
		}
		if av, ok := lookupCI(dm, "allowedValues"); ok {
			if arr, ok := av.([]any); ok && len(arr) > 0 {
				out[name] = arr[0]
				continue
			}
		}
		t, _ := lookupCI(dm, "type")
		ts, _ := t.(string)
		switch strings.ToLower(ts) {
		case "int":
			out[name] = int64(5)
		case "bool":
			out[name] = true
		case "array":
			out[name] = []any{"dummy-" + name}
		case "object", "secureobject":
			out[name] = map[string]any{}
		default:
			out[name] = "dummy-" + name
		}
	}
	return out
}

// unresolvedStrings lists the strings (with paths) that still hold an ARM
// expression or a {{placeholder}} other than the UI-only one.
func unresolvedStrings(v any, path string) []string {
	var out []string
	switch x := v.(type) {
	case string:
		rest := strings.ReplaceAll(x, "{{graphQueriesTableName}}", "")
		if IsExpression(x) || strings.Contains(x, "[[") || placeholderRe.MatchString(rest) {
			out = append(out, path+" = "+x)
		}
	case []any:
		for i, e := range x {
			out = append(out, unresolvedStrings(e, indexPath(path, i))...)
		}
	case map[string]any:
		for k, e := range x {
			out = append(out, unresolvedStrings(e, joinPath(path, k))...)
		}
	}
	return out
}

func TestCorpusSolutions(t *testing.T) {
	dir := corpustest.Dir(t)
	for _, name := range []string{"meshStack", "Quokka", "VersasecCMS"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, name, "mainTemplate.json"))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Deploy(data, map[string]any{"workspace": "codeless", "workspace-location": "local"}, corpusEnv)
			if err != nil {
				t.Fatalf("deploying mainTemplate: %v", err)
			}
			sol, err := ExpandSolution(res)
			if err != nil {
				t.Fatalf("ExpandSolution: %v", err)
			}
			if len(sol.Definitions) == 0 || len(sol.DCRs) == 0 || len(sol.Tables) == 0 || len(sol.ConnectionTemplates) == 0 {
				t.Fatalf("definitions %d, DCRs %d, tables %d, connection templates %d: want at least one of each",
					len(sol.Definitions), len(sol.DCRs), len(sol.Tables), len(sol.ConnectionTemplates))
			}
			if sol.Package == nil {
				t.Errorf("no contentPackages resource found")
			}
			// Definitions, DCRs and tables are fully evaluated.
			for _, group := range [][]Resource{sol.Definitions, sol.DCRs, sol.Tables} {
				for _, r := range group {
					if u := unresolvedStrings(r.Body, r.Path); len(u) > 0 {
						t.Errorf("%s %s keeps unresolved strings: %v", r.Type, r.Name, u)
					}
					if !strings.HasPrefix(r.Path, "resources[") {
						t.Errorf("path %q", r.Path)
					}
				}
			}
			defNames := map[string]bool{}
			for _, d := range sol.Definitions {
				defNames[LastSegment(d.Name)] = true
			}
			for _, ct := range sol.ConnectionTemplates {
				if ct.ContentID == "" || !defNames[ct.DefinitionName] {
					t.Errorf("connection template %q linked to definition %q (definitions %v)", ct.ContentID, ct.DefinitionName, defNames)
				}
				tb, err := ct.JSON()
				if err != nil {
					t.Fatal(err)
				}
				cres, err := Deploy(tb, fakeParams(ct.Template), corpusEnv)
				if err != nil {
					t.Fatalf("deploying connection template %s: %v", ct.ContentID, err)
				}
				pollers := 0
				for _, r := range cres.Resources {
					if r.Kind != "RestApiPoller" {
						continue
					}
					pollers++
					if u := unresolvedStrings(r.Body, r.Path); len(u) > 0 {
						t.Errorf("poller %s keeps unresolved strings: %v", r.Name, u)
					}
					dcr := getMap(getMap(r.Body, "properties"), "dcrConfig")
					if getString(dcr, "dataCollectionEndpoint") != "http://127.0.0.1:8080" {
						t.Errorf("poller %s: dcrConfig = %v", r.Name, dcr)
					}
					if !strings.HasPrefix(r.Name, "codeless/Microsoft.SecurityInsights/") || !strings.HasSuffix(r.Name, "11111111-1111-1111-1111-111111111111") {
						t.Errorf("poller name %q", r.Name)
					}
				}
				if pollers == 0 {
					t.Errorf("connection template %s deployed no RestApiPoller", ct.ContentID)
				}
			}
			t.Logf("%s: %d definitions, %d DCRs, %d tables, %d connection templates, %d other",
				name, len(sol.Definitions), len(sol.DCRs), len(sol.Tables), len(sol.ConnectionTemplates), len(sol.Other))
		})
	}
}

var paramRefRe = regexp.MustCompile(`(?i)parameters\('([^']+)'\)`)

// TestCorpusPollerPlaceholders resolves every poller file of the corpus with
// dummy values for every {{x}} and parameters('x') it mentions. Files that
// also use variables() or reference() (resolved by the packager's template,
// not by parameters) must report exactly those; everything else must
// resolve completely.
func TestCorpusPollerPlaceholders(t *testing.T) {
	dir := corpustest.Dir(t)
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(strings.ToLower(p), ".json") || strings.HasSuffix(p, "mainTemplate.json") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), "RestApiPoller") || strings.Contains(strings.ToLower(filepath.Base(p)), "poll") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 50 {
		t.Fatalf("found only %d poller files", len(files))
	}
	sort.Strings(files)
	partial := 0
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		t.Run(rel, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			v, err := DecodeJSON(b)
			if err != nil {
				t.Skipf("not valid JSON (corpus file as published): %v", err)
			}
			params := map[string]any{}
			for _, m := range placeholderRe.FindAllStringSubmatch(string(b), -1) {
				params[m[1]] = "dummy-" + m[1]
			}
			for _, m := range paramRefRe.FindAllStringSubmatch(string(b), -1) {
				switch q := regexp.QuoteMeta(m[0]); {
				case regexp.MustCompile(q + `\[`).MatchString(string(b)):
					params[m[1]] = []any{"5"} // indexed: an array (e.g. a Dropdown)
				case regexp.MustCompile(`int\(` + q).MatchString(string(b)):
					params[m[1]] = "5" // converted with int()
				default:
					params[m[1]] = "dummy-" + m[1]
				}
			}
			for k := range params {
				if strings.EqualFold(k, "dcrConfig") {
					params[k] = dummyDCRConfig
				}
			}
			out, unresolved, rerr := ResolvePlaceholders(v, params, PlaceholderOptions{Lenient: true})
			src := string(b)
			usesOther := strings.Contains(src, "variables(") || strings.Contains(src, "reference(") || strings.Contains(src, "copyIndex(")
			if rerr == nil && len(unresolved) == 0 {
				if u := unresolvedStrings(out, ""); len(u) > 0 {
					t.Fatalf("reported success but strings remain: %v", u)
				}
				return
			}
			if !usesOther {
				t.Fatalf("unresolved %v, error %v, in a file that only uses parameters and placeholders", unresolved, rerr)
			}
			for _, u := range unresolved {
				if !strings.HasPrefix(u, "variables(") {
					t.Errorf("unresolved %q although every parameter was given", u)
				}
			}
			if rerr != nil && !strings.Contains(rerr.Error(), "reference(") && !strings.Contains(rerr.Error(), "copyIndex()") {
				t.Errorf("unexpected error: %v", rerr)
			}
			partial++
		})
	}
	t.Logf("%d poller files, %d need variables()/reference()/copyIndex() from a packaged template", len(files), partial)
	_ = fmt.Sprint
}
