package lint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/schema"
)

const (
	okPoller = `{"type":"Microsoft.SecurityInsights/dataConnectors","name":"P1","kind":"RestApiPoller",
 "properties":{"connectorDefinitionName":"Def1",
  "dcrConfig":{"streamName":"Custom-In","dataCollectionEndpoint":"{{dataCollectionEndpoint}}","dataCollectionRuleImmutableId":"{{dataCollectionRuleImmutableId}}"},
  "auth":{"type":"APIKey","ApiKey":"{{apiKey}}","ApiKeyName":"X-Key"},
  "request":{"apiEndpoint":"https://api.example.com/events","httpMethod":"GET","queryWindowInMin":5},
  "response":{"eventsJsonPaths":["$.items"]},
  "paging":{"pagingType":"LinkHeader"}}}`
	okDCR = `{"type":"Microsoft.Insights/dataCollectionRules","name":"D1","properties":{
  "streamDeclarations":{"Custom-In":{"columns":[{"name":"ts","type":"datetime"},{"name":"msg","type":"string"}]}},
  "destinations":{"logAnalytics":[{"name":"ws","workspaceResourceId":"{{ws}}"}]},
  "dataFlows":[{"streams":["Custom-In"],"destinations":["ws"],"transformKql":"source | project TimeGenerated = ts, Message = msg","outputStream":"Custom-Out_CL"}]}}`
	okTable = `{"type":"Microsoft.OperationalInsights/workspaces/tables","name":"Out_CL","properties":{"schema":{"name":"Out_CL",
  "columns":[{"name":"TimeGenerated","type":"datetime"},{"name":"Message","type":"string"}]}}}`
	okDef = `{"type":"Microsoft.SecurityInsights/dataConnectorDefinitions","name":"Def1","kind":"Customizable","properties":{"connectorUiConfig":{
  "title":"T","publisher":"P","descriptionMarkdown":"D","graphQueries":[],"dataTypes":[],"connectivityCriteria":[{"type":"HasDataConnectors"}],
  "permissions":{},"instructionSteps":[]}}}`
)

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestPaths(t *testing.T) {
	cases := []struct {
		name     string
		files    map[string]string
		errors   []string // "relative file: path: message substring"
		warnings int      // minimum
	}{
		{
			name:  "valid connector folder",
			files: map[string]string{"c/poll.json": okPoller, "c/dcr.json": okDCR, "c/table.json": okTable, "c/def.json": okDef, "c/readme.txt": "not json"},
		},
		{
			name:   "stream missing from DCR",
			files:  map[string]string{"c/poll.json": strings.Replace(okPoller, `"Custom-In"`, `"Custom-Other"`, 1), "c/dcr.json": okDCR},
			errors: []string{`c/poll.json: $.properties.dcrConfig.streamName: stream "Custom-Other" is not declared by the DCR`},
		},
		{
			name: "folders are not cross-checked against each other",
			files: map[string]string{"a/poll.json": strings.Replace(okPoller, `"Custom-In"`, `"Custom-Other"`, 1), "b/dcr.json": okDCR,
				"b/table.json": okTable},
		},
		{
			name:   "definition name mismatch",
			files:  map[string]string{"c/poll.json": strings.Replace(okPoller, `"Def1"`, `"Def2"`, 1), "c/def.json": okDef},
			errors: []string{`c/poll.json: $.properties.connectorDefinitionName: connector definition "Def2" is not defined here (definitions: Def1)`},
		},
		{
			name:   "output table missing",
			files:  map[string]string{"c/dcr.json": okDCR, "c/table.json": strings.ReplaceAll(okTable, "Out_CL", "Else_CL")},
			errors: []string{`c/dcr.json: $.properties.dataFlows[0].outputStream: output table "Out_CL" is not among the tables here`},
		},
		{
			name:   "syntax error",
			files:  map[string]string{"c/bad.json": "{\n \"name\": }"},
			errors: []string{"c/bad.json: $: line 2 col"},
		},
		{
			name:   "file-level and resource-level errors together",
			files:  map[string]string{"c/poll.json": strings.Replace(okPoller, `"queryWindowInMin":5`, `"queryWindowInMin":"five","retryCount":10`, 1)},
			errors: []string{`c/poll.json: $.properties.request.queryWindowInMin: expected a number, got "five"`, "c/poll.json: $.properties.request.retryCount: must be 1..6"},
		},
		{
			name: "transform does not compile",
			files: map[string]string{"c/dcr.json": strings.Replace(okDCR, `project TimeGenerated = ts, Message = msg`, `project TimeGenerated = ts, Message = nosuch`, 1),
				"c/table.json": okTable},
			errors: []string{`c/dcr.json: $.properties.dataFlows[0].transformKql: transform does not compile against stream Custom-In: line 1, col`},
		},
		{
			name: "transform output vs table",
			files: map[string]string{"c/dcr.json": strings.Replace(okDCR, `project TimeGenerated = ts, Message = msg`, `project TimeGenerated = ts, Message = strlen(msg), Extra = msg`, 1),
				"c/table.json": okTable},
			errors: []string{`c/dcr.json: $.properties.dataFlows[0].transformKql: transform output column "Extra" is not in table Out_CL`,
				`c/dcr.json: $.properties.dataFlows[0].transformKql: transform output column "Message" is long, table Out_CL declares string`},
		},
		{
			name:   "transform output without TimeGenerated",
			files:  map[string]string{"c/dcr.json": strings.Replace(okDCR, `project TimeGenerated = ts, Message = msg`, `project Message = msg`, 1)},
			errors: []string{`c/dcr.json: $.properties.dataFlows[0].transformKql: transform output has no TimeGenerated column (output: (Message:string))`},
		},
		{
			name: "compatible types and Microsoft- outputs",
			files: map[string]string{"c/dcr.json": strings.Replace(strings.Replace(okDCR, `Message = msg`, `Message = msg, N = toint(1)`, 1), `"outputStream":"Custom-Out_CL"`, `"outputStream":"Microsoft-ASimAuditEventLogs"`, 1),
				"c/table.json": okTable},
		},
		{
			name: "nested steps: placeholder KQL and $name$ columns",
			files: map[string]string{"c/poll.json": strings.Replace(okPoller, `"paging":`, `"stepInfo":{"stepType":"Nested","nextSteps":[{"stepId":"s1",
				"stepPlaceholdersParsingKql":"source | project id = tostring(parse_json(data).id)"}]},
			  "stepCollectorConfigs":{"s1":{"request":{"apiEndpoint":"https://api.example.com/items/$id$/$other$"},"response":{"eventsJsonPaths":["$"]},
			    "stepInfo":{"stepType":"Nested","nextSteps":[{"stepId":"s2","stepPlaceholdersParsingKql":"source | summarize count()"}]}},
			    "s2":{"request":{"apiEndpoint":"https://api.example.com/x"},"response":{"eventsJsonPaths":["$"]}}},
			  "paging":`, 1)},
			errors: []string{`c/poll.json: $.properties.stepCollectorConfigs.s1.request: placeholder $other$ is not a column of the parent step's placeholder KQL`,
				`c/poll.json: $.properties.stepCollectorConfigs.s1.stepInfo.nextSteps[0].stepPlaceholdersParsingKql: placeholder KQL does not compile: `},
		},
		{
			name: "JSONPath and time format compiled",
			files: map[string]string{"c/poll.json": strings.Replace(strings.Replace(okPoller, `"$.items"`, `"$.items[?(@.a == )]"`, 1),
				`"queryWindowInMin":5`, `"queryWindowInMin":5,"queryTimeFormat":"yyyy-MM-dd'T"`, 1)},
			errors: []string{"c/poll.json: $.properties.request.queryTimeFormat: invalid queryTimeFormat", "c/poll.json: $.properties.response.eventsJsonPaths[0]: invalid JSONPath"},
		},
		{
			name:     "unresolved expressions are warnings",
			files:    map[string]string{"c/poll.json": strings.Replace(okPoller, `"queryWindowInMin":5`, `"queryWindowInMin":"[[parameters('w')]"`, 1)},
			warnings: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := writeTree(t, tc.files)
			rep, err := Paths([]string{root})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range rep.Diagnostics {
				if d.Severity == resource.Error {
					rel, _ := filepath.Rel(root, d.File)
					got = append(got, filepath.ToSlash(rel)+": "+d.Path+": "+d.Message)
				}
			}
			if len(got) != len(tc.errors) {
				t.Fatalf("got %d errors, want %d:\n%s", len(got), len(tc.errors), strings.Join(got, "\n"))
			}
			for i, want := range tc.errors {
				if !strings.HasPrefix(got[i], want) {
					t.Errorf("error %d:\n got  %s\n want %s...", i, got[i], want)
				}
			}
			if rep.Errors() != len(tc.errors) || rep.Warnings() < tc.warnings {
				t.Errorf("Errors()=%d Warnings()=%d", rep.Errors(), rep.Warnings())
			}
		})
	}
}

func TestPathsSortedAndSingleFile(t *testing.T) {
	root := writeTree(t, map[string]string{
		"b.json": strings.Replace(okTable, `"TimeGenerated"`, `"When"`, 1),
		"a.json": strings.Replace(okPoller, `"pagingType":"LinkHeader"`, `"pagingType":"Pages"`, 1),
	})
	rep, err := Paths([]string{filepath.Join(root, "b.json"), root})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files != 2 {
		t.Errorf("files %d, want 2 (de-duplicated)", rep.Files)
	}
	for i := 1; i < len(rep.Diagnostics); i++ {
		a, b := rep.Diagnostics[i-1], rep.Diagnostics[i]
		if a.File > b.File || (a.File == b.File && a.Path > b.Path) {
			t.Errorf("not sorted: %v before %v", a, b)
		}
	}
	if rep.Errors() != 2 {
		t.Errorf("want 2 errors (paging type, TimeGenerated), got %d: %v", rep.Errors(), rep.Diagnostics)
	}
}

func TestPathsMissing(t *testing.T) {
	if _, err := Paths([]string{filepath.Join(t.TempDir(), "nope")}); err == nil {
		t.Error("want an error for a missing path")
	}
}

// TestGolden lints testdata/fixtures/* and compares every diagnostic (errors
// and warnings) with testdata/fixtures/<name>.golden (-update rewrites).
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "fixtures", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs {
		if filepath.Ext(dir) == ".golden" {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			rep, err := Paths([]string{dir})
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, d := range rep.Diagnostics {
				d.File = filepath.ToSlash(d.File)
				b.WriteString(d.String() + "\n")
			}
			golden := dir + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("reading golden file: %v (run with -update)", err)
			}
			if b.String() != string(want) {
				t.Errorf("diagnostics differ from %s:\n--- got\n%s--- want\n%s", golden, b.String(), want)
			}
		})
	}
}

func TestCompatible(t *testing.T) {
	cases := []struct {
		got, want schema.Type
		ok        bool
	}{
		{schema.String, schema.String, true},
		{schema.Int, schema.Long, true},
		{schema.Long, schema.Int, true},
		{schema.GUID, schema.String, true},
		{schema.Real, schema.Dynamic, true},
		{schema.String, schema.DateTime, false},
		{schema.Real, schema.Long, false},
		{schema.Dynamic, schema.String, false},
	}
	for _, tc := range cases {
		if got := compatible(tc.got, tc.want); got != tc.ok {
			t.Errorf("compatible(%s, %s) = %v", tc.got, tc.want, got)
		}
	}
}
