package drytest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/schema"
)

func TestConditionsVariablesAndArrayParams(t *testing.T) {
	cases := []struct {
		name      string
		selected  string
		wantPaths []string
		wantWarn  string
		noVersion bool // leave variables('_solutionVersion') (used by Alpha only) unresolved
	}{
		{name: "alpha only", selected: `["Alpha"]`, wantPaths: []string{"/alpha"}, wantWarn: "is false with the given parameters; connection BetaPoller skipped"},
		{name: "both", selected: `["Alpha","Beta"]`, wantPaths: []string{"/alpha", "/beta"}},
		{name: "none", selected: `[]`, wantWarn: "connection AlphaPoller skipped"},
		// A skipped connection's unresolved values are not errors.
		{name: "beta only, alpha unresolvable", selected: `["Beta"]`, wantPaths: []string{"/beta"}, noVersion: true, wantWarn: "AlphaPoller"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src, srv := newSource(t)
			opts := baseOptions(srv, "conditional.json")
			opts.DCRFile = ""
			opts.Params["selectedDataTypes"] = tc.selected
			opts.Params["queryWindow"] = `["15"]` // a Dropdown: an array parameter
			if !tc.noVersion {
				opts.Params["_solutionVersion"] = "3.1.4" // answers variables('_solutionVersion')
			}
			rep := mustRun(t, opts)
			wantNoErrors(t, rep)
			var paths []string
			for _, r := range src.requests() {
				paths = append(paths, r.Path)
				if r.Path == "/alpha" {
					if got := r.Header.Get("X-Version"); got != "3.1.4" {
						t.Errorf("X-Version = %q", got)
					}
					t0, _ := time.Parse(time.RFC3339, "2026-01-02T02:49:05Z") // 15 min before now
					if got := r.Query.Get("t0"); got != strconv.FormatInt(t0.Unix(), 10) {
						t.Errorf("t0 = %s, want %d (queryWindowInMin from the array param)", got, t0.Unix())
					}
				}
			}
			if !reflect.DeepEqual(paths, tc.wantPaths) {
				t.Errorf("paths = %v, want %v", paths, tc.wantPaths)
			}
			if tc.wantWarn != "" && !hasMessage(rep.Warnings, tc.wantWarn) {
				t.Errorf("no warning %q in %v", tc.wantWarn, rep.Warnings)
			}
			if hasMessage(rep.Warnings, "number written as a string") {
				t.Errorf("warned about a number that came from a --param: %v", rep.Warnings)
			}
			if !hasMessage(rep.Warnings, "no DCR given (--dcr)") && len(tc.wantPaths) > 0 {
				t.Errorf("no warning about the missing DCR: %v", rep.Warnings)
			}
		})
	}
}

func TestUnresolvedVariableNamesParam(t *testing.T) {
	_, srv := newSource(t)
	opts := baseOptions(srv, "conditional.json")
	opts.Params["selectedDataTypes"] = `["Alpha"]`
	opts.Params["queryWindow"] = `["15"]`
	rep := mustRun(t, opts)
	if !hasMessage(rep.Errors, `$[0].properties.request.headers.X-Version: unresolved variables('_solutionVersion') (give --param _solutionVersion=VALUE)`) {
		t.Errorf("errors = %v", rep.Errors)
	}
}

func TestCompatible(t *testing.T) {
	cases := []struct {
		from, to schema.Type
		want     bool
	}{
		{schema.String, schema.Int, true},
		{schema.String, schema.DateTime, true},
		{schema.Int, schema.String, true},
		{schema.Dynamic, schema.DateTime, true},
		{schema.Long, schema.Real, true},
		{schema.Bool, schema.Long, true},
		{schema.Long, schema.TimeSpan, true},
		{schema.DateTime, schema.DateTime, true},
		{schema.Int, schema.DateTime, false},
		{schema.DateTime, schema.Long, false},
		{schema.DateTime, schema.Bool, false},
		{schema.TimeSpan, schema.DateTime, false},
		{schema.GUID, schema.Int, false},
	}
	for _, tc := range cases {
		if got := compatible(tc.from, tc.to); got != tc.want {
			t.Errorf("compatible(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
}

// TestTransformerCoercion drives the stream declaration and the data flows
// directly with records the HTTP tests do not produce.
func TestTransformerCoercion(t *testing.T) {
	data, err := os.ReadFile(fixture("dcr.json"))
	if err != nil {
		t.Fatal(err)
	}
	set, diags := resource.Decode(data, "dcr.json")
	if resource.HasErrors(diags) {
		t.Fatalf("decoding DCR: %v", diags)
	}
	now := testNow
	old := now.Add(-72 * time.Hour).Format(time.RFC3339)
	recent := now.Add(-time.Minute)
	events := []any{
		// Keys matched case-insensitively; an old timestamp is replaced.
		map[string]any{"EventType": "Alert", "ts": old, "srcIp": "1.1.1.1", "priority": "5"},
		// A value that does not convert becomes null.
		map[string]any{"eventType": "File", "ts": recent.Format(time.RFC3339), "fileSizeBytes": "many"},
		// Not an object: rejected.
		"just a string",
		// A date in the US format Kusto parses.
		map[string]any{"eventType": "Alert", "ts": recent.Format("1/2/2006 3:04:05 PM"), "message": "us", "vendorField": 1},
	}
	rep := newReport()
	tr := prepareTransform(set.DCRs, "dcr.json", nil, "Custom-DemoInput", "Conn", rep)
	if tr == nil {
		t.Fatalf("prepareTransform failed: %v", rep.Errors)
	}
	tr.run(events, now, rep, map[string][]string{})

	alerts := rep.Rows["Custom-DemoAlerts_CL"]
	if len(alerts) != 2 {
		t.Fatalf("alerts = %v", alerts)
	}
	if got := alerts[0]["TimeGenerated"]; got != now {
		t.Errorf("old TimeGenerated = %v, want now %v", got, now)
	}
	if got := alerts[1]["TimeGenerated"]; got != recent {
		t.Errorf("US-format TimeGenerated = %v, want %v", got, recent)
	}
	files := rep.Rows["Microsoft-ASimFileEventLogs"]
	if len(files) != 1 || files[0]["FileSize"] != nil {
		t.Errorf("files = %v, want one row with FileSize null", files)
	}
	for _, want := range []string{
		`column fileSizeBytes: 1 values could not be converted to int (first: "many")`,
		"Custom-DemoAlerts_CL: 1 rows had TimeGenerated null, older than 2 days",
		"event properties not declared in the stream are dropped: vendorField",
		"table DemoAlerts_CL not given (--table)",
	} {
		if !hasMessage(rep.Warnings, want) {
			t.Errorf("no warning %q in:\n%s", want, strings.Join(rep.Warnings, "\n"))
		}
	}
	if !hasMessage(rep.Errors, "stream Custom-DemoInput: 1 events are not JSON objects") {
		t.Errorf("errors = %v", rep.Errors)
	}
}

func TestPrepareTransformErrors(t *testing.T) {
	cases := []struct {
		name, dcr, want string
	}{
		{"no TimeGenerated", `{"name":"d","type":"Microsoft.Insights/dataCollectionRules","properties":{
			"streamDeclarations":{"Custom-S":{"columns":[{"name":"a","type":"string"}]}},
			"destinations":{"logAnalytics":[{"name":"w","workspaceResourceId":"x"}]},
			"dataFlows":[{"streams":["Custom-S"],"destinations":["w"],"transformKql":"source | project a","outputStream":"Custom-T_CL"}]}}`,
			"the transform's output has no TimeGenerated column"},
		{"bad KQL", `{"name":"d","type":"Microsoft.Insights/dataCollectionRules","properties":{
			"streamDeclarations":{"Custom-S":{"columns":[{"name":"a","type":"string"}]}},
			"destinations":{"logAnalytics":[{"name":"w","workspaceResourceId":"x"}]},
			"dataFlows":[{"streams":["Custom-S"],"destinations":["w"],"transformKql":"source | summarize count()","outputStream":"Custom-T_CL"}]}}`,
			"$.properties.dataFlows[0].transformKql: "},
		{"no flow reads the stream", `{"name":"d","type":"Microsoft.Insights/dataCollectionRules","properties":{
			"streamDeclarations":{"Custom-S":{"columns":[{"name":"a","type":"string"}]},"Custom-O":{"columns":[{"name":"a","type":"string"}]}},
			"destinations":{"logAnalytics":[{"name":"w","workspaceResourceId":"x"}]},
			"dataFlows":[{"streams":["Custom-O"],"destinations":["w"],"transformKql":"source | extend TimeGenerated = now()","outputStream":"Custom-T_CL"}]}}`,
			`no data flow of the DCR reads stream "Custom-S"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			set, _ := resource.Decode([]byte(tc.dcr), "d.json")
			rep := newReport()
			prepareTransform(set.DCRs, "d.json", nil, "Custom-S", "Conn", rep)
			if !hasMessage(rep.Errors, tc.want) {
				t.Errorf("no error %q in %v", tc.want, rep.Errors)
			}
		})
	}
}

func TestInactiveConnectionStillRunsWithWarning(t *testing.T) {
	data, err := os.ReadFile(fixture("basic_linkheader.json"))
	if err != nil {
		t.Fatal(err)
	}
	var conn map[string]any
	if err := json.Unmarshal(data, &conn); err != nil {
		t.Fatal(err)
	}
	conn["properties"].(map[string]any)["isActive"] = false
	path := filepath.Join(t.TempDir(), "inactive.json")
	b, _ := json.Marshal(conn)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	src, srv := newSource(t)
	opts := baseOptions(srv, "basic_linkheader.json")
	opts.PollerFile = path
	rep := mustRun(t, opts)
	wantNoErrors(t, rep)
	if !hasMessage(rep.Warnings, "connection DemoAlertsPoller: isActive is false") {
		t.Errorf("warnings = %v", rep.Warnings)
	}
	if len(src.requests()) != 3 {
		t.Errorf("source saw %d requests, want 3", len(src.requests()))
	}
}
