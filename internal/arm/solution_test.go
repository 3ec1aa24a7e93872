package arm

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file; got:\n%s", path, got)
	}
}

type summary struct {
	Type, Name, Path string
	Body             map[string]any `json:",omitempty"`
}

func summarize(rs []Resource, withBody bool) []summary {
	var out []summary
	for _, r := range rs {
		s := summary{Type: r.Type, Name: r.Name, Path: r.Path}
		if withBody {
			s.Body = r.Body
		}
		out = append(out, s)
	}
	return out
}

func TestExpandSolutionGolden(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "solution", "mainTemplate.json"))
	if err != nil {
		t.Fatal(err)
	}
	env := Env{SubscriptionID: "sub-1", ResourceGroup: "rg-1", Location: "local", NewGUID: func() string { return "g-1" }}
	res, err := Deploy(data, map[string]any{"workspace": "codeless", "workspace-location": "local"}, env)
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	// template order, except that the two connector content templates wait
	// for the contentPackage they depend on (the workbook template does not)
	var order []string
	for _, r := range res.Resources {
		order = append(order, LastSegment(r.Type))
	}
	if got := strings.Join(order, ","); got != "dataConnectorDefinitions,contentTemplates,contentPackages,contentTemplates,contentTemplates" {
		t.Fatalf("order = %s", got)
	}
	sol, err := ExpandSolution(res)
	if err != nil {
		t.Fatalf("ExpandSolution: %v", err)
	}
	if len(sol.Definitions) != 1 || sol.Definitions[0].Body["properties"].(map[string]any)["connectorUiConfig"].(map[string]any)["title"] != "Demo" {
		t.Fatalf("definitions: want the inner copy only, got %+v", summarize(sol.Definitions, false))
	}
	if len(sol.ConnectionTemplates) != 1 || sol.ConnectionTemplates[0].DefinitionName != "DemoDefinition" {
		t.Fatalf("connection templates: %+v", sol.ConnectionTemplates)
	}
	ct := sol.ConnectionTemplates[0]
	tb, err := ct.JSON()
	if err != nil {
		t.Fatal(err)
	}
	connect := map[string]any{
		"apiKey":                  "k-secret",
		"regions":                 "eu, us",
		"dcrConfig":               map[string]any{"dataCollectionEndpoint": "http://127.0.0.1:8080", "dataCollectionRuleImmutableId": "dcr-1"},
		"connectorDefinitionName": "DemoDefinition",
	}
	cres, err := Deploy(tb, connect, env)
	if err != nil {
		t.Fatalf("connect-time deploy: %v", err)
	}
	if again, err := ct.Deploy(connect, env); err != nil || !reflect.DeepEqual(again.Resources, cres.Resources) {
		t.Fatalf("ConnectionTemplate.Deploy differs from Deploy of its JSON: %v", err)
	}
	if cres.Parameters["apiKey"] != Redacted {
		t.Fatalf("apiKey not redacted in the result parameters")
	}
	golden(t, "solution/expanded.golden.json", map[string]any{
		"definitions":         summarize(sol.Definitions, true),
		"dcrs":                summarize(sol.DCRs, true),
		"tables":              summarize(sol.Tables, false),
		"other":               sol.Other,
		"connectionTemplate":  map[string]any{"contentId": ct.ContentID, "definition": ct.DefinitionName, "parameters": ct.Parameters(), "template": ct.Template},
		"connectedResources":  summarize(cres.Resources, true),
		"connectedParameters": cres.Parameters,
	})

	// without the selected data type the condition removes the pollers
	connect["selected"] = []any{"Other"}
	cres, err = Deploy(tb, connect, env)
	if err != nil {
		t.Fatal(err)
	}
	if len(cres.Resources) != 0 {
		t.Fatalf("condition false: got %v", summarize(cres.Resources, false))
	}
}

func TestExpandSolutionErrors(t *testing.T) {
	if _, err := ExpandSolution(nil); err == nil {
		t.Fatal("want an error for a nil result")
	}
	tmpl := `{"resources": [{"type": "Microsoft.OperationalInsights/workspaces/providers/contentTemplates", "name": "ws/Microsoft.SecurityInsights/x",
	  "properties": {"contentKind": "DataConnector", "mainTemplate": {"resources": [{"type": "A.B/c", "name": "[[nosuch()]"}]}}}]}`
	res, err := Deploy([]byte(tmpl), nil, testEnv)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ExpandSolution(res)
	if err == nil || !strings.Contains(err.Error(), "resources[0].properties.mainTemplate") || !strings.Contains(err.Error(), `unsupported function "nosuch"`) {
		t.Fatalf("want an inner deployment error with its path, got %v", err)
	}
}
