package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestManagementAPI checks the ARM-style API's round trips: unknown fields
// survive PUT→GET, a deployed solution's content is listed under its ARM
// types, deployments can be read back, etags guard updates, and deleting a
// missing resource is 204 as in ARM.
func TestManagementAPI(t *testing.T) {
	s := startServer(t, t.TempDir())
	tok := s.token()
	dcrPath := armBase + "/Microsoft.Insights/dataCollectionRules/rt-dcr" + api
	body := map[string]any{}
	for k, v := range e2eDCR {
		body[k] = v
	}
	body["tags"] = map[string]any{"owner": "secops"}
	props := map[string]any{}
	for k, v := range e2eDCR["properties"].(map[string]any) {
		props[k] = v
	}
	props["description"] = "kept on round trip"
	body["properties"] = props
	if st, out := s.call("PUT", wsBase+"/tables/E2E_CL"+api, tok, e2eTable); st != 201 {
		t.Fatalf("PUT table: %d %s", st, out)
	}
	st, out := s.call("PUT", dcrPath, tok, body)
	if st != 201 {
		t.Fatalf("PUT DCR: %d %s", st, out)
	}
	st, out = s.call("GET", dcrPath, tok, nil)
	var got map[string]any
	if st != 200 || json.Unmarshal(out, &got) != nil {
		t.Fatalf("GET DCR: %d %s", st, out)
	}
	if got["tags"].(map[string]any)["owner"] != "secops" || got["properties"].(map[string]any)["description"] != "kept on round trip" {
		t.Fatalf("unknown fields lost: %s", out)
	}
	// A stale etag in the body is a conflict.
	got["etag"] = "00000000-0000-0000-0000-000000000000"
	if st, out := s.call("PUT", dcrPath, tok, got); st != 409 {
		t.Fatalf("stale etag: %d %s", st, out)
	}
	if st, _ := s.call("DELETE", armBase+"/Microsoft.Insights/dataCollectionRules/nope"+api, tok, nil); st != 204 {
		t.Fatalf("deleting a missing DCR: %d, want 204", st)
	}
	if st, out := s.call("GET", armBase+"/Microsoft.Insights/dataCollectionRules/rt-dcr", tok, nil); st != 400 {
		t.Fatalf("missing api-version: %d %s", st, out)
	}

	tmpl, err := os.ReadFile(filepath.Join("..", "demo", "solution", "mainTemplate.json"))
	if err != nil {
		t.Fatal(err)
	}
	var template any
	_ = json.Unmarshal(tmpl, &template)
	depPath := armBase + "/Microsoft.Resources/deployments/sol?api-version=2021-04-01"
	if st, out := s.call("PUT", depPath, tok, map[string]any{"properties": map[string]any{"template": template, "mode": "Incremental"}}); st != 200 {
		t.Fatalf("deploy: %d %s", st, out)
	}
	if st, out := s.call("GET", depPath, tok, nil); st != 200 {
		t.Fatalf("GET deployment: %d %s", st, out)
	}
	for path, want := range map[string]int{
		wsBase + "/providers/Microsoft.SecurityInsights/contentTemplates" + api:         2,
		wsBase + "/providers/Microsoft.SecurityInsights/contentPackages" + api:          1,
		wsBase + "/providers/Microsoft.SecurityInsights/dataConnectorDefinitions" + api: 1,
		armBase + "/Microsoft.Resources/deployments?api-version=2021-04-01":             1,
	} {
		st, out := s.call("GET", path, tok, nil)
		var list struct {
			Value []json.RawMessage `json:"value"`
		}
		if st != 200 || json.Unmarshal(out, &list) != nil || len(list.Value) != want {
			t.Errorf("GET %s: %d, %d items, want %d: %.300s", path, st, len(list.Value), want, out)
		}
	}
}
