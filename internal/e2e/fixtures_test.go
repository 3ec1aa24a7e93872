package e2e

import (
	"encoding/json"
	"fmt"
	"testing"
)

const (
	armBase = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/codeless/providers"
	wsBase  = armBase + "/Microsoft.OperationalInsights/workspaces/codeless"
	api     = "?api-version=2023-02-01-preview"
)

var e2eTable = map[string]any{
	"properties": map[string]any{"schema": map[string]any{"name": "E2E_CL", "columns": []any{
		map[string]any{"name": "TimeGenerated", "type": "datetime"},
		map[string]any{"name": "EventId", "type": "string"},
		map[string]any{"name": "Kind", "type": "string"},
		map[string]any{"name": "Message", "type": "string"},
	}}},
}

var e2eDCR = map[string]any{
	"location": "local",
	"properties": map[string]any{
		"streamDeclarations": map[string]any{"Custom-E2EInput": map[string]any{"columns": []any{
			map[string]any{"name": "id", "type": "string"},
			map[string]any{"name": "ts", "type": "datetime"},
			map[string]any{"name": "eventType", "type": "string"},
			map[string]any{"name": "message", "type": "string"},
		}}},
		"destinations": map[string]any{"logAnalytics": []any{map[string]any{"name": "ws", "workspaceResourceId": "ws"}}},
		"dataFlows": []any{map[string]any{
			"streams": []any{"Custom-E2EInput"}, "destinations": []any{"ws"},
			"transformKql": "source | project TimeGenerated = ts, EventId = id, Kind = eventType, Message = message",
			"outputStream": "Custom-E2E_CL",
		}},
	},
}

// deployE2E PUTs the E2E table and DCR and returns the DCR's immutable id.
func deployE2E(t *testing.T, s *server, tok string) string {
	t.Helper()
	if st, body := s.call("PUT", wsBase+"/tables/E2E_CL"+api, tok, e2eTable); st/100 != 2 {
		t.Fatalf("PUT table: %d %s", st, body)
	}
	st, body := s.call("PUT", armBase+"/Microsoft.Insights/dataCollectionRules/e2e-dcr"+api, tok, e2eDCR)
	if st/100 != 2 {
		t.Fatalf("PUT DCR: %d %s", st, body)
	}
	var dcr struct {
		Properties struct {
			ImmutableID string `json:"immutableId"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(body, &dcr); err != nil || len(dcr.Properties.ImmutableID) != 36 {
		t.Fatalf("DCR immutableId: %v %s", err, body)
	}
	return dcr.Properties.ImmutableID
}

// basicConnection is a RestApiPoller connection to a mockapi source with
// Basic auth, t0/t1 unix-second windows and LinkHeader paging.
func basicConnection(name, baseURL, dcrID, user, password string) map[string]any {
	return map[string]any{
		"kind": "RestApiPoller",
		"properties": map[string]any{
			"connectorDefinitionName": "E2EConnector",
			"dataType":                "E2E_CL",
			"dcrConfig": map[string]any{
				"streamName":                    "Custom-E2EInput",
				"dataCollectionEndpoint":        "http://127.0.0.1:1",
				"dataCollectionRuleImmutableId": dcrID,
			},
			"auth": map[string]any{"type": "Basic", "userName": user, "password": password},
			"request": map[string]any{
				"apiEndpoint":            fmt.Sprintf("%s/example/events", baseURL),
				"httpMethod":             "GET",
				"queryWindowInMin":       1,
				"queryTimeFormat":        "UnixTimestamp",
				"startTimeAttributeName": "t0",
				"endTimeAttributeName":   "t1",
				"retryCount":             3,
				"timeoutInSeconds":       10,
			},
			"paging":   map[string]any{"pagingType": "LinkHeader"},
			"response": map[string]any{"eventsJsonPaths": []any{"$"}, "format": "json"},
		},
	}
}
