package loose

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/engine"
	"github.com/codeless/codeless/internal/ingest"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/secrets"
	"github.com/codeless/codeless/internal/store/duckdb"
)

var env = Environment{Subscription: "00000000-0000-0000-0000-000000000000", ResourceGroup: "rg", Workspace: "ws", Location: "local"}

func newEngine(t *testing.T) *engine.Engine {
	t.Helper()
	st, err := duckdb.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := secrets.LoadOrCreateKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	return engine.New(engine.Config{Subscription: env.Subscription, ResourceGroup: env.ResourceGroup, Workspace: env.Workspace,
		IngestURL: "http://127.0.0.1:7", Logger: log}, st, ingest.New(st, ingest.Options{Logger: log}), keys)
}

const (
	fxTable = `{"type":"Microsoft.OperationalInsights/workspaces/tables","name":"{{workspace}}/Fx_CL","location":"{{location}}",
 "properties":{"schema":{"name":"Fx_CL","columns":[{"name":"TimeGenerated","type":"datetime"},{"name":"Msg","type":"string"}]}}}`
	fxDCR = `[{"type":"Microsoft.Insights/dataCollectionRules","name":"FxDCR","apiVersion":"2022-06-01","location":"{{location}}",
 "properties":{"dataCollectionEndpointId":"{{dataCollectionEndpointId}}",
  "streamDeclarations":{"Custom-FxIn":{"columns":[{"name":"message","type":"string"}]}},
  "destinations":{"logAnalytics":[{"name":"clv2ws1","workspaceResourceId":"{{workspaceResourceId}}"}]},
  "dataFlows":[{"streams":["Custom-FxIn"],"destinations":["clv2ws1"],"transformKql":"source | project TimeGenerated = now(), Msg = message","outputStream":"Custom-Fx_CL"}]}}]`
	fxPoller = `[{"type":"Microsoft.SecurityInsights/dataConnectors","name":"FxPoller","kind":"RestApiPoller","properties":{
 "connectorDefinitionName":"FxDef","dataType":"Fx_CL",
 "dcrConfig":{"streamName":"Custom-FxIn","dataCollectionEndpoint":"{{dataCollectionEndpoint}}","dataCollectionRuleImmutableId":"{{dataCollectionRuleImmutableId}}"},
 "auth":{"type":"APIKey","ApiKey":"[[parameters('apiKey')]","ApiKeyName":"X-Key"},
 "request":{"apiEndpoint":"{{baseUrl}}/v1/logs","httpMethod":"GET","queryWindowInMin":5,"queryParametersTemplate":"{{body}}"},
 "response":{"eventsJsonPaths":["$.items"]}}}]`
)

func fixture(t *testing.T) string {
	dir := t.TempDir()
	for name, body := range map[string]string{"Fx_Table.json": fxTable, "Fx_DCR.json": fxDCR, "Fx_PollingConfig.json": fxPoller} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestTemplate(t *testing.T) {
	dir := fixture(t)
	_, problems, err := Template(dir, map[string]any{"baseUrl": "https://api.example", "body": "[1,2]"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || !strings.Contains(problems[0].String(), "apiKey") || !strings.Contains(problems[0].String(), "Fx_PollingConfig.json") {
		t.Fatalf("want one problem naming apiKey and the file, got %v", problems)
	}
	tmpl, problems, err := Template(dir, map[string]any{"baseUrl": "https://api.example", "apikey": "k-123", "body": "[1,2]"}, env)
	if err != nil || len(problems) > 0 {
		t.Fatal(err, problems)
	}

	e := newEngine(t)
	ctx := context.Background()
	if _, err := e.DeployTemplate(ctx, "fx", tmpl, nil); err != nil {
		t.Fatalf("deploying the loose folder: %v", err)
	}
	raw, err := e.GetResource(ctx, resource.KindConnection, "FxPoller")
	if err != nil {
		t.Fatal(err)
	}
	dcr, _ := e.GetResource(ctx, resource.KindDataCollectionRule, "FxDCR")
	var d struct {
		Properties struct {
			ImmutableID string `json:"immutableId"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(dcr, &d)
	s := string(raw)
	for _, want := range []string{`"apiEndpoint":"https://api.example/v1/logs"`, `"dataCollectionRuleImmutableId":"` + d.Properties.ImmutableID + `"`,
		`"dataCollectionEndpoint":"http://127.0.0.1:7"`, `"queryParametersTemplate":"[1,2]"`} {
		if !strings.Contains(s, want) {
			t.Errorf("connection lacks %s:\n%s", want, s)
		}
	}
	if strings.Contains(s, "k-123") {
		t.Errorf("the API key is not redacted: %s", s)
	}
}

func TestTemplateProblems(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "broken.json"), []byte(`{"type": `), 0o600)
	_, problems, err := Template(dir, nil, env)
	if err != nil || len(problems) == 0 || !strings.Contains(problems[0].File, "broken.json") {
		t.Fatalf("broken JSON: %v %v", err, problems)
	}
	if _, _, err := Template(filepath.Join(dir, "nope"), nil, env); err == nil {
		t.Fatal("a missing folder must be an error")
	}
}
