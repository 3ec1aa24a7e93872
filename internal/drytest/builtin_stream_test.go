package drytest

import (
	"strings"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/resource"
)

// TestBuiltinStreamPassThrough: a built-in stream the DCR does not declare
// is matched to the transform-less flow of the same Microsoft-* name and
// stored unchanged; a transformed or differently named flow does not match.
func TestBuiltinStreamPassThrough(t *testing.T) {
	dcr := `{"type":"Microsoft.Insights/dataCollectionRules","name":"d","properties":{"dataFlows":[
	  {"streams":["Microsoft-SentinelOther"],"destinations":["w"]},
	  {"streams":["Microsoft-SentinelCrowdStrikeAlerts"],"destinations":["w"]},
	  {"streams":["Microsoft-IlumioInsights"],"destinations":["w"],"transformKql":"source | where x > 1"}]}}`
	set, diags := resource.Decode([]byte(dcr), "dcr.json")
	if resource.HasErrors(diags) {
		t.Fatalf("decoding: %v", diags)
	}
	cases := []struct {
		stream, wantOut string
	}{
		{"SENTINEL_CROWDSTRIKEALERTS", "Microsoft-SentinelCrowdStrikeAlerts"},
		{"sentinel-crowdstrike_alerts", "Microsoft-SentinelCrowdStrikeAlerts"},
		{"ILUMIO_INSIGHTS", ""}, // its flow has a transform
		{"SENTINEL_CROWDSTRIKEHOSTS", ""},
	}
	for _, c := range cases {
		rep := newReport()
		tr := prepareTransform(set.DCRs, "dcr.json", nil, c.stream, "Conn", rep)
		if c.wantOut == "" {
			if tr != nil || !hasMessage(rep.Warnings, "is a built-in stream the DCR does not declare") {
				t.Errorf("%s: transformer %v, warnings %v", c.stream, tr, rep.Warnings)
			}
			continue
		}
		if tr == nil || tr.passTo != c.wantOut {
			t.Fatalf("%s: transformer %+v, warnings %v errors %v", c.stream, tr, rep.Warnings, rep.Errors)
		}
		old := testNow.Add(-72 * time.Hour).Format(time.RFC3339)
		recent := testNow.Add(-time.Hour).Format(time.RFC3339)
		events := []any{
			map[string]any{"id": "a", "TimeGenerated": recent, "n": 1},
			map[string]any{"id": "b", "TimeGenerated": old},
			map[string]any{"id": "c"},
			"not an object",
		}
		cols := map[string][]string{}
		tr.run(events, testNow, rep, cols)
		rows := rep.Rows[c.wantOut]
		if len(rows) != 3 || rows[0]["n"] != 1 || rows[0]["TimeGenerated"] != recent {
			t.Fatalf("%s: rows %v", c.stream, rows)
		}
		for _, r := range rows[1:] {
			if r["TimeGenerated"] != testNow.UTC() {
				t.Errorf("%s: TimeGenerated %v, want the ingestion time", c.stream, r["TimeGenerated"])
			}
		}
		if strings.Join(cols[c.wantOut], ",") != "TimeGenerated,id,n" {
			t.Errorf("%s: columns %v", c.stream, cols[c.wantOut])
		}
		if !hasMessage(rep.Errors, "1 events are not JSON objects") || !hasMessage(rep.Warnings, "2 rows had TimeGenerated missing") ||
			!hasMessage(rep.Warnings, "go unchanged to table SentinelCrowdStrikeAlerts") {
			t.Errorf("%s: errors %v warnings %v", c.stream, rep.Errors, rep.Warnings)
		}
		if _, changed := events[2].(map[string]any)["TimeGenerated"]; changed {
			t.Error("the source event was modified")
		}
	}
}
