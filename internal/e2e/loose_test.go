package e2e

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/mockapi"
)

// TestDeployLooseFolder deploys a folder of loose connector files (DCR and
// poller with {{placeholders}}, no table file) with `codeless deploy DIR
// --param ...`; the poller is bound to the folder's DCR and data arrives.
func TestDeployLooseFolder(t *testing.T) {
	mock := mockapi.New(mockapi.Config{Origin: time.Now().UTC().Add(-time.Hour), EventsPerMinute: 60, PageSize: 25,
		Path: "/api/events", Auth: mockapi.Auth{Type: "APIKey", HeaderName: "X-Api-Key", HeaderValue: "loose-key-42"}})
	src := httptest.NewServer(mock)
	defer src.Close()

	dir := t.TempDir()
	files := map[string]string{
		"Loose_DCR.json": `{"type":"Microsoft.Insights/dataCollectionRules","name":"LooseDCR","location":"{{location}}","apiVersion":"2022-06-01",
 "properties":{"dataCollectionEndpointId":"{{dataCollectionEndpointId}}",
  "streamDeclarations":{"Custom-LooseIn":{"columns":[{"name":"id","type":"string"},{"name":"ts","type":"datetime"},{"name":"eventType","type":"string"}]}},
  "destinations":{"logAnalytics":[{"name":"clv2ws1","workspaceResourceId":"{{workspaceResourceId}}"}]},
  "dataFlows":[{"streams":["Custom-LooseIn"],"destinations":["clv2ws1"],"transformKql":"source | extend TimeGenerated = ts | project TimeGenerated, EventId = id, Kind = eventType","outputStream":"Custom-Loose_CL"}]}}`,
		"Loose_PollingConfig.json": `[{"type":"Microsoft.SecurityInsights/dataConnectors","name":"LoosePoller","kind":"RestApiPoller","properties":{
 "connectorDefinitionName":"LooseDef","dataType":"Loose_CL",
 "dcrConfig":{"streamName":"Custom-LooseIn","dataCollectionEndpoint":"{{dataCollectionEndpoint}}","dataCollectionRuleImmutableId":"{{dataCollectionRuleImmutableId}}"},
 "auth":{"type":"APIKey","ApiKey":"{{apiKey}}","ApiKeyName":"X-Api-Key"},
 "request":{"apiEndpoint":"{{baseUrl}}/api/events","httpMethod":"GET","queryWindowInMin":1,"queryTimeFormat":"UnixTimestamp","startTimeAttributeName":"t0","endTimeAttributeName":"t1"},
 "paging":{"pagingType":"LinkHeader"},"response":{"eventsJsonPaths":["$"],"format":"json"}}}]`,
	}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := startServer(t, t.TempDir())
	run := func(args ...string) (string, error) {
		cmd := exec.Command(binPath, append(args, "--server", s.base)...)
		cmd.Env = append(os.Environ(), "CODELESS_CLIENT_ID="+adminID, "CODELESS_CLIENT_SECRET="+adminSecret)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("deploy", dir, "--param", "baseUrl="+src.URL)
	if err == nil || !strings.Contains(out, `unresolved placeholder "apiKey"`) || !strings.Contains(out, "Loose_PollingConfig.json") {
		t.Fatalf("a missing --param must stop the deploy naming the placeholder and file: %v\n%q", err, out)
	}
	out, err = run("deploy", dir, "--param", "baseUrl="+src.URL, "--param", "apiKey=loose-key-42")
	if err != nil {
		t.Fatalf("deploy DIR: %v\n%s", err, out)
	}
	mustContain(t, out, "no table file declares Loose_CL")
	if strings.Contains(out, "loose-key-42") {
		t.Fatalf("the deploy output shows the API key:\n%s", out)
	}
	tok := s.token()
	eventually(t, 60*time.Second, "rows from the loose folder's poller", func() bool { return s.count(tok, "Loose_CL") > 0 })
	r, _, body := s.query(tok, "Loose_CL | where Kind == 'Alert' | take 1")
	if len(r.Tables) == 0 || len(r.Tables[0].Rows) != 1 {
		t.Fatalf("query: %s", body)
	}
}
