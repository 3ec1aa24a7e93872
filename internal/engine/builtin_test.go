package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/resource"
)

// TestBuiltinStreamPolls: a connection whose streamName is a built-in
// stream (SENTINEL_CROWDSTRIKEALERTS) that its DCR does not declare is
// accepted when the DCR has a transform-less Microsoft-* flow carrying it,
// and its events land unchanged in that flow's table (corpus-stats §11.4);
// a built-in stream without such a flow is refused naming the field.
func TestBuiltinStreamPolls(t *testing.T) {
	e := newEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); e.Wait() }()
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"resources":[{"composite_id":"a-1","severity":70,"tactic":"Persistence"},{"composite_id":"a-2","severity":30,"tactic":"Discovery"}]}`)
	}))
	defer src.Close()

	dcr := `{"location":"local","properties":{
	  "destinations":{"logAnalytics":[{"workspaceResourceId":"/subscriptions/s/resourcegroups/rg/providers/microsoft.operationalinsights/workspaces/ws","name":"ws1"}]},
	  "dataFlows":[{"streams":["Microsoft-SentinelCrowdStrikeVulnerabilities"],"destinations":["ws1"]},
	               {"streams":["Microsoft-SentinelCrowdStrikeAlerts"],"destinations":["ws1"]}]}}`
	out, _, err := e.PutResource(ctx, resource.KindDataCollectionRule, "CrowdStrikeDCR", []byte(dcr), "")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Properties struct {
			ImmutableID string `json:"immutableId"`
		} `json:"properties"`
	}
	json.Unmarshal(out, &got)
	conn := func(stream string) []byte {
		return []byte(fmt.Sprintf(`{"kind":"RestApiPoller","properties":{
		  "connectorDefinitionName":"CrowdStrike","dataType":"CrowdStrikeAlerts",
		  "dcrConfig":{"streamName":%q,"dataCollectionEndpoint":"http://127.0.0.1:1","dataCollectionRuleImmutableId":%q},
		  "auth":{"type":"APIKey","ApiKeyName":"Authorization","ApiKey":"k","ApiKeyIdentifier":"Bearer"},
		  "request":{"apiEndpoint":%q,"httpMethod":"Get","queryWindowInMin":5},
		  "response":{"eventsJsonPaths":["$.resources"]}}}`, stream, got.Properties.ImmutableID, src.URL+"/alerts"))
	}
	_, _, err = e.PutResource(ctx, resource.KindConnection, "bad", conn("SENTINEL_CROWDSTRIKEHOSTS"), "")
	if err == nil || apiErr(t, err).Target != "properties.dcrConfig.streamName" || !strings.Contains(err.Error(), "SENTINEL_CROWDSTRIKEHOSTS") {
		t.Fatalf("a built-in stream without a flow: %v", err)
	}
	if _, _, err := e.PutResource(ctx, resource.KindConnection, "alerts", conn("SENTINEL_CROWDSTRIKEALERTS"), ""); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := e.Query(ctx, "SentinelCrowdStrikeAlerts | project composite_id, severity, tactic | order by composite_id asc")
		if err == nil && len(res.Rows) == 2 {
			if fmt.Sprint(res.Rows) != "[[a-1 70 Persistence] [a-2 30 Discovery]]" {
				t.Fatalf("rows %v", res.Rows)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no rows in SentinelCrowdStrikeAlerts after 30 s: %v %v (status %+v)", err, res, e.Statuses())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
