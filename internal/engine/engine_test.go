package engine

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/apierr"
	"github.com/codeless/codeless/internal/corpustest"
	"github.com/codeless/codeless/internal/ingest"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/secrets"
	"github.com/codeless/codeless/internal/store/duckdb"
)

const demoDefinition = "ExampleConnectorDefinition"

// demoTemplate reads the demo solution (internal/demo imports this package,
// so the test reads its file).
func demoTemplate(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "demo", "solution", "mainTemplate.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newEngine(t *testing.T) *Engine {
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
	e := New(Config{Subscription: "00000000-0000-0000-0000-000000000000", ResourceGroup: "rg", Workspace: "ws",
		IngestURL: "http://127.0.0.1:1"}, st, ingest.New(st, ingest.Options{Logger: slog.New(slog.DiscardHandler)}), keys)
	// Pollers are not started: these tests look at resources only.
	return e
}

func apiErr(t *testing.T, err error) *apierr.APIError {
	t.Helper()
	var ae *apierr.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want an APIError, got %v", err)
	}
	return ae
}

func TestDeployDemoSolution(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	res, err := e.DeployTemplate(ctx, "demo", demoTemplate(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Properties.OutputResources) < 4 {
		t.Fatalf("output resources: %+v", res.Properties.OutputResources)
	}
	defs, err := e.Definitions(ctx)
	if err != nil || len(defs) != 1 || defs[0].Name != demoDefinition || defs[0].UI.Title != "Example CCF Data Connector" {
		t.Fatalf("definitions: %v %+v", err, defs)
	}
	raw, err := e.GetResource(ctx, resource.KindDataCollectionRule, "ExampleConnectorDCR")
	if err != nil {
		t.Fatal(err)
	}
	var dcr struct {
		Etag       string
		Properties struct {
			ImmutableID       string `json:"immutableId"`
			ProvisioningState string `json:"provisioningState"`
		}
	}
	_ = json.Unmarshal(raw, &dcr)
	if !regexp.MustCompile(`^dcr-[0-9a-f]{32}$`).MatchString(dcr.Properties.ImmutableID) || dcr.Properties.ProvisioningState != "Succeeded" || dcr.Etag == "" {
		t.Fatalf("DCR: %s", raw)
	}
	for _, tbl := range []string{"ExampleConnectorAlerts_CL", "ASimFileEventLogs"} {
		if _, err := e.st.TableSchema(ctx, tbl); err != nil {
			t.Errorf("table %s not created: %v", tbl, err)
		}
	}
	// Redeploying keeps the DCR's immutable id (connections keep working).
	if _, err := e.DeployTemplate(ctx, "demo", demoTemplate(t), nil); err != nil {
		t.Fatal(err)
	}
	raw2, _ := e.GetResource(ctx, resource.KindDataCollectionRule, "ExampleConnectorDCR")
	if !strings.Contains(string(raw2), dcr.Properties.ImmutableID) {
		t.Fatalf("redeploy changed the immutable id: %s", raw2)
	}

	// Connect: unknown inputs are refused by name.
	_, err = e.Connect(ctx, demoDefinition, map[string]any{"apiBaseUrl": "http://127.0.0.1:9", "username": "u", "password": "p", "colour": "red"})
	if ae := apiErr(t, err); ae.Status != 400 || !strings.Contains(ae.Message, "colour") {
		t.Fatalf("unknown input: %+v", ae)
	}
	names, err := e.Connect(ctx, demoDefinition, map[string]any{"apiBaseUrl": "http://127.0.0.1:9", "username": "u", "password": "topsecret"})
	if err != nil || len(names) != 1 || names[0] != "ExampleConnectorPolling" {
		t.Fatalf("connect: %v %v", names, err)
	}
	conn, err := e.GetResource(ctx, resource.KindConnection, "ExampleConnectorPolling")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(conn), "topsecret") || !strings.Contains(string(conn), dcr.Properties.ImmutableID) ||
		!strings.Contains(string(conn), "http://127.0.0.1:9/example/events") {
		t.Fatalf("connection: %s", conn)
	}
	rec, _ := e.st.GetResource(ctx, string(resource.KindConnection), "ExampleConnectorPolling")
	if strings.Contains(string(rec.Body), "topsecret") {
		t.Fatalf("the stored connection holds the password in plain text")
	}
	opened, err := e.openConnection(rec.Body)
	if err != nil || opened.Properties.Auth.Password != "topsecret" {
		t.Fatalf("decrypting the stored connection: %v %+v", err, opened)
	}
	if err := e.Disconnect(ctx, demoDefinition); err != nil {
		t.Fatal(err)
	}
	if _, err := e.GetResource(ctx, resource.KindConnection, "ExampleConnectorPolling"); apiErr(t, err).Status != 404 {
		t.Fatalf("connection still there after disconnect")
	}
	if _, err := e.st.TableSchema(ctx, "ExampleConnectorAlerts_CL"); err != nil {
		t.Fatalf("disconnect dropped a table: %v", err)
	}
}

// A deployment whose DCR is invalid applies nothing, not even the table
// that comes before it, and the error names the resource and path.
func TestDeployAllOrNothing(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	tmpl := `{"$schema":"x","contentVersion":"1.0.0.0","resources":[
	 {"type":"Microsoft.OperationalInsights/workspaces/tables","apiVersion":"2022-10-01","name":"ws/T_CL",
	  "properties":{"schema":{"name":"T_CL","columns":[{"name":"TimeGenerated","type":"datetime"},{"name":"Msg","type":"string"}]}}},
	 {"type":"Microsoft.Insights/dataCollectionRules","apiVersion":"2022-06-01","name":"bad","location":"x","properties":{
	  "streamDeclarations":{"Custom-In":{"columns":[{"name":"a","type":"string"}]}},
	  "destinations":{"logAnalytics":[{"name":"ws","workspaceResourceId":"x"}]},
	  "dataFlows":[{"streams":["Custom-In"],"destinations":["ws"],"transformKql":"source | project TimeGenerated = now(), Msg = nosuchcolumn","outputStream":"Custom-T_CL"}]}}]}`
	_, err := e.DeployTemplate(ctx, "bad", []byte(tmpl), nil)
	ae := apiErr(t, err)
	if ae.Status != 400 || !strings.Contains(ae.Message, "nosuchcolumn") || !strings.Contains(ae.Target, "resources[1]") {
		t.Fatalf("error: %+v", ae)
	}
	if recs, _ := e.st.ListResources(ctx, string(resource.KindTable)); len(recs) != 0 {
		t.Fatalf("the table of a failed deployment was kept: %v", recs)
	}
	// Template errors are reported before anything is applied.
	_, err = e.DeployTemplate(ctx, "bad2", []byte(`{"resources":[{"type":"Microsoft.Insights/dataCollectionRules","name":"[nosuchfunction()]"}]}`), nil)
	if ae := apiErr(t, err); ae.Code != "InvalidTemplate" || !strings.Contains(ae.Message, "nosuchfunction") {
		t.Fatalf("unknown function: %+v", ae)
	}
}

func TestEtagsAndNames(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	body := `{"properties":{"schema":{"name":"E_CL","columns":[{"name":"TimeGenerated","type":"datetime"}]}}}`
	out, created, err := e.PutResource(ctx, resource.KindTable, "E_CL", []byte(body), "")
	if err != nil || !created {
		t.Fatal(err, created)
	}
	var got struct{ Etag string }
	_ = json.Unmarshal(out, &got)
	if _, created, err := e.PutResource(ctx, resource.KindTable, "E_CL", []byte(body), got.Etag); err != nil || created {
		t.Fatalf("update with the right If-Match: %v created=%v", err, created)
	}
	if _, _, err := e.PutResource(ctx, resource.KindTable, "E_CL", []byte(body), got.Etag); apiErr(t, err).Status != 412 {
		t.Fatalf("stale If-Match must be 412, got %v", err)
	}
	stale := `{"etag":"` + got.Etag + `","properties":{"schema":{"name":"E_CL","columns":[{"name":"TimeGenerated","type":"datetime"}]}}}`
	if _, _, err := e.PutResource(ctx, resource.KindTable, "E_CL", []byte(stale), ""); apiErr(t, err).Status != 409 {
		t.Fatalf("stale body etag must be 409, got %v", err)
	}
	if _, _, err := e.PutResource(ctx, resource.KindTable, "E_CL", []byte(`{"name":"Other_CL","properties":{}}`), ""); apiErr(t, err).Target != "name" {
		t.Fatalf("name mismatch: %v", err)
	}
	if _, _, err := e.PutResource(ctx, resource.KindTable, "E_CL", []byte(`{"properties":`), ""); apiErr(t, err).Status != 400 {
		t.Fatalf("malformed JSON: %v", err)
	}
	conn := `{"kind":"RestApiPoller","properties":{"connectorDefinitionName":"x","dcrConfig":{"streamName":"Custom-X","dataCollectionEndpoint":"http://a","dataCollectionRuleImmutableId":"dcr-00000000000000000000000000000000"},
	 "auth":{"type":"Basic","userName":"u","password":"p"},"request":{"apiEndpoint":"http://127.0.0.1:9/x"},"response":{"eventsJsonPaths":["$"]}}}`
	_, _, err = e.PutResource(ctx, resource.KindConnection, "c", []byte(conn), "")
	if ae := apiErr(t, err); ae.Target != "properties.dcrConfig.dataCollectionRuleImmutableId" {
		t.Fatalf("connection to an unknown DCR: %+v", ae)
	}
}

// Every real solution in the corpus deploys through the engine: its tables
// are created and its DCRs compile.
func TestCorpusSolutionsDeploy(t *testing.T) {
	root := corpustest.Dir(t)
	files, _ := filepath.Glob(filepath.Join(root, "*", "mainTemplate.json"))
	if len(files) != 3 {
		t.Fatalf("want the 3 packaged solutions of the corpus, found %d", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f)), func(t *testing.T) {
			e := newEngine(t)
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := e.DeployTemplate(ctx, "solution", raw, map[string]any{"workspace": "ws", "workspace-location": "local"})
			if err != nil {
				t.Fatalf("deploying: %v", err)
			}
			defs, _ := e.Definitions(ctx)
			if len(defs) == 0 {
				t.Fatalf("no connector definition deployed: %+v", res)
			}
			for _, d := range defs {
				if _, err := e.st.GetResource(ctx, kindConnectionTemplate, d.Name); err != nil {
					t.Errorf("definition %s has no connection template: %v", d.Name, err)
				}
			}
		})
	}
}

func TestResourceNames(t *testing.T) {
	e := newEngine(t)
	for _, bad := range []string{"", "[concat('a'", "a/b", " x", "a?b"} {
		_, _, err := e.PutResource(context.Background(), resource.KindDataCollectionRule, bad, []byte(`{"properties":{}}`), "")
		if ae := apiErr(t, err); ae.Code != "InvalidResourceName" || ae.Target != "name" {
			t.Errorf("name %q: %+v", bad, ae)
		}
	}
}

// securestring parameters never reach the deployment history.
func TestDeploymentHistoryHidesSecureParameters(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	tmpl := `{"parameters":{"token":{"type":"securestring"},"region":{"type":"string"}},"resources":[
	 {"type":"Microsoft.OperationalInsights/workspaces/tables","apiVersion":"2022-10-01","name":"ws/S_CL",
	  "properties":{"schema":{"name":"S_CL","columns":[{"name":"TimeGenerated","type":"datetime"},{"name":"Region","type":"string"}]}}}]}`
	body := `{"properties":{"mode":"Incremental","template":` + tmpl + `,"parameters":{"token":{"value":"hunter2-secret"},"region":{"value":"eu"}}}}`
	out, err := e.Deploy(ctx, "sec", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.GetResource(ctx, resource.KindDeployment, "sec")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{out, got} {
		if strings.Contains(string(b), "hunter2") || !strings.Contains(string(b), `"region":"eu"`) {
			t.Fatalf("deployment history: %s", b)
		}
	}
	rec, _ := e.st.GetResource(ctx, string(resource.KindDeployment), "sec")
	if strings.Contains(string(rec.Body), "hunter2") {
		t.Fatal("the stored deployment holds the secure parameter")
	}
}
