package resource

import (
	"encoding/json"
	"strings"
	"testing"
)

// patch returns base (a JSON object) with the JSON values in edits set at
// dotted paths ("properties.request.retryCount"); a nil value deletes.
func patch(t *testing.T, base string, edits map[string]any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(base), &m); err != nil {
		t.Fatal(err)
	}
	for path, v := range edits {
		keys := strings.Split(path, ".")
		cur := m
		for _, k := range keys[:len(keys)-1] {
			next, ok := cur[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				cur[k] = next
			}
			cur = next
		}
		if v == nil {
			delete(cur, keys[len(keys)-1])
		} else {
			cur[keys[len(keys)-1]] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func validateOne(t *testing.T, data []byte) []Diagnostic {
	t.Helper()
	set, ds := Decode(data, "")
	return append(ds, set.Validate()...)
}

func TestValidateConnection(t *testing.T) {
	if ds := validateOne(t, []byte(pollerJSON)); HasErrors(ds) {
		t.Fatalf("valid poller has errors:%s", dump(ds))
	}
	cases := []struct {
		name  string
		edits map[string]any
		sev   Severity
		path  string
		msg   string
	}{
		{"unknown auth", map[string]any{"properties.auth": map[string]any{"type": "Kerberos"}}, Error, "$.properties.auth.type", `unknown auth type "Kerberos"`},
		{"missing auth type", map[string]any{"properties.auth": map[string]any{"apiKey": "k"}}, Error, "$.properties.auth.type", "missing auth type"},
		{"basic without password", map[string]any{"properties.auth": map[string]any{"type": "Basic", "userName": "u"}}, Error, "$.properties.auth", `Basic auth needs "password"`},
		{"apikey without key", map[string]any{"properties.auth": map[string]any{"type": "APIKey", "ApiKeyName": "X"}}, Error, "$.properties.auth", `APIKey auth needs "apiKey"`},
		{"oauth2 missing endpoint", map[string]any{"properties.auth": map[string]any{"type": "OAuth2", "ClientId": "a", "ClientSecret": "b", "GrantType": "client_credentials"}}, Error, "$.properties.auth", `needs "tokenEndpoint"`},
		{"oauth2 code flow", map[string]any{"properties.auth": map[string]any{"type": "oauth2", "ClientId": "a", "ClientSecret": "b", "GrantType": "authorization_code", "TokenEndpoint": "https://t"}}, Error, "$.properties.auth", `needs "authorizationEndpoint"`},
		{"jwt without credentials", map[string]any{"properties.auth": map[string]any{"type": "JwtToken", "TokenEndpoint": "https://t"}}, Error, "$.properties.auth", `needs "userName"`},
		{"jwt timeout", map[string]any{"properties.auth": map[string]any{"type": "JwtToken", "TokenEndpoint": "https://t", "UserToken": "x", "RequestTimeoutInSeconds": 500}}, Error, "$.properties.auth.requestTimeoutInSeconds", "1..180"},
		{"token endpoint not URL", map[string]any{"properties.auth": map[string]any{"type": "OAuth2", "ClientId": "a", "ClientSecret": "b", "GrantType": "client_credentials", "TokenEndpoint": "token"}}, Error, "$.properties.auth.tokenEndpoint", "absolute http(s) URL"},
		{"relative endpoint", map[string]any{"properties.request.ApiEndpoint": "/v1/events"}, Error, "$.properties.request.apiEndpoint", "absolute http(s) URL"},
		{"ftp endpoint", map[string]any{"properties.request.ApiEndpoint": "ftp://h/x"}, Error, "$.properties.request.apiEndpoint", "absolute http(s) URL"},
		{"missing endpoint", map[string]any{"properties.request.ApiEndpoint": nil}, Error, "$.properties.request.apiEndpoint", "missing apiEndpoint"},
		{"embedded expression", map[string]any{"properties.request.ApiEndpoint": "https://[[parameters('host')]"}, Error, "$.properties.request.apiEndpoint", "never evaluated"},
		{"retry high", map[string]any{"properties.request.retryCount": 7}, Error, "$.properties.request.retryCount", "must be 1..6, got 7"},
		{"timeout high", map[string]any{"properties.request.timeoutInSeconds": 181}, Error, "$.properties.request.timeoutInSeconds", "1..180"},
		{"window negative", map[string]any{"properties.request.QueryWindowInMin": -1}, Error, "$.properties.request.queryWindowInMin", "at least 1"},
		{"bad method", map[string]any{"properties.request.HttpMethod": "FETCH"}, Error, "$.properties.request.httpMethod", "unknown HTTP method"},
		{"interval needs prepend", map[string]any{"properties.request.queryTimeIntervalAttributeName": "q"}, Error, "$.properties.request.queryTimeIntervalAttributeName", "needs queryTimeIntervalPrepend"},
		{"no events path", map[string]any{"properties.response": map[string]any{"format": "json"}}, Error, "$.properties.response.eventsJsonPaths", "missing eventsJsonPaths"},
		{"empty events path", map[string]any{"properties.response": map[string]any{"eventsJsonPaths": []any{""}}}, Warning, "$.properties.response.eventsJsonPaths[0]", "empty JSONPath"},
		{"bad format", map[string]any{"properties.response": map[string]any{"eventsJsonPaths": []any{"$"}, "format": "parquet"}}, Error, "$.properties.response.format", `unknown format "parquet"`},
		{"csv escape", map[string]any{"properties.response": map[string]any{"eventsJsonPaths": []any{"$"}, "csvEscape": "ab"}}, Error, "$.properties.response.csvEscape", "one character"},
		{"bad paging", map[string]any{"properties.Paging": map[string]any{"pagingType": "Cursor"}}, Error, "$.properties.paging.pagingType", `unknown paging type "Cursor"`},
		{"missing paging type", map[string]any{"properties.Paging": map[string]any{"pageSize": 5}}, Error, "$.properties.paging.pagingType", "missing pagingType"},
		{"count based needs page param", map[string]any{"properties.Paging": map[string]any{"type": "countbasedpaging"}}, Error, "$.properties.paging.pageNumberParaName", "needs pageNumberParaName"},
		{"paging placement", map[string]any{"properties.Paging": map[string]any{"pagingType": "Offset", "pagingInfoPlacement": "Header"}}, Error, "$.properties.paging.pagingInfoPlacement", "unknown pagingInfoPlacement"},
		{"wrong kind", map[string]any{"kind": "APIPolling"}, Warning, "$", "unsupported connector kind APIPolling"},
		{"built-in stream", map[string]any{"properties.dcrConfig.streamName": "SENTINEL_X"}, Warning, "$.properties.dcrConfig.streamName", "does not start with Custom-"},
		{"literal DCE not URL", map[string]any{"properties.dcrConfig.dataCollectionEndpoint": "data collection Endpoint"}, Error, "$.properties.dcrConfig.dataCollectionEndpoint", "absolute http(s) URL"},
		{"missing definition", map[string]any{"properties.connectorDefinitionName": nil}, Warning, "$.properties.connectorDefinitionName", "missing connectorDefinitionName"},
		{"bad attribute name", map[string]any{"properties.addOnAttributes": map[string]any{"bad name": "x"}}, Warning, "$.properties.addOnAttributes['bad name']", "not a valid column name"},
		{"step missing config", map[string]any{"properties.stepInfo": map[string]any{"stepType": "Nested", "nextSteps": []any{map[string]any{"stepId": "s1", "stepPlaceholdersParsingKql": "source"}}}}, Error, "$.properties.stepInfo.nextSteps[0].stepId", `step "s1" has no stepCollectorConfigs entry`},
		{"step bad request", map[string]any{
			"properties.stepInfo":             map[string]any{"stepType": "Nested", "nextSteps": []any{map[string]any{"stepId": "s1", "stepPlaceholdersParsingKql": "source"}}},
			"properties.stepCollectorConfigs": map[string]any{"s1": map[string]any{"request": map[string]any{"apiEndpoint": "https://h/$id$", "retryCount": 9}, "response": map[string]any{"eventsJsonPaths": []any{"$"}}}},
		}, Error, "$.properties.stepCollectorConfigs.s1.request.retryCount", "must be 1..6"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ds := validateOne(t, patch(t, pollerJSON, tc.edits))
			if !find(ds, tc.sev, tc.path, tc.msg) {
				t.Errorf("want %s at %s containing %q, got:%s", tc.sev, tc.path, tc.msg, dump(ds))
			}
		})
	}
}

// Values that hold placeholders are checked after substitution, not here.
func TestValidatePlaceholdersNotErrors(t *testing.T) {
	ds := validateOne(t, patch(t, pollerJSON, map[string]any{
		"properties.request.ApiEndpoint":         "{{baseUrl}}/api/v1",
		"properties.request.retryCount":          "[[parameters('r')]",
		"properties.auth":                        map[string]any{"type": "APIKey", "ApiKey": "{{apiKey}}"},
		"properties.dcrConfig.streamName":        "[[parameters('stream')]",
		"properties.response.format":             "[[parameters('fmt')]",
		"properties.stepCollectorConfigs.s.auth": map[string]any{"AuthType": "None"},
	}))
	for _, d := range ds {
		if d.Severity == Error && !strings.Contains(d.Path, "stepCollectorConfigs") {
			t.Errorf("unexpected error: %v", d)
		}
	}
}

func TestValidateDCR(t *testing.T) {
	if ds := validateOne(t, []byte(dcrJSON)); HasErrors(ds) {
		t.Fatalf("valid DCR has errors:%s", dump(ds))
	}
	flow := func(f map[string]any) map[string]any {
		return map[string]any{"properties.dataFlows": []any{f}}
	}
	cases := []struct {
		name  string
		edits map[string]any
		sev   Severity
		path  string
		msg   string
	}{
		{"undeclared stream", flow(map[string]any{"streams": []any{"Custom-Nope"}, "destinations": []any{"clv2ws1"}, "outputStream": "Custom-A_CL"}), Error, "$.properties.dataFlows[0].streams[0]", "not declared"},
		{"bad destination", flow(map[string]any{"streams": []any{"Custom-Zeta"}, "destinations": []any{"other"}, "outputStream": "Custom-A_CL"}), Error, "$.properties.dataFlows[0].destinations[0]", `destination "other"`},
		{"output prefix", flow(map[string]any{"streams": []any{"Custom-Zeta"}, "destinations": []any{"clv2ws1"}, "outputStream": "Foo-A_CL"}), Error, "$.properties.dataFlows[0].outputStream", "must start with Custom- or Microsoft-"},
		{"output template text", flow(map[string]any{"streams": []any{"Custom-Zeta"}, "destinations": []any{"clv2ws1"}, "outputStream": "Custom-<table name>"}), Error, "$.properties.dataFlows[0].outputStream", "Custom-<Table>_CL"},
		{"custom output needs _CL", flow(map[string]any{"streams": []any{"Custom-Zeta"}, "destinations": []any{"clv2ws1"}, "outputStream": "Custom-Table"}), Error, "$.properties.dataFlows[0].outputStream", "_CL"},
		{"missing output", flow(map[string]any{"streams": []any{"Custom-Zeta"}, "destinations": []any{"clv2ws1"}}), Error, "$.properties.dataFlows[0].outputStream", "missing outputStream"},
		{"transform with two streams", flow(map[string]any{"streams": []any{"Custom-Zeta", "Custom-Alpha"}, "destinations": []any{"clv2ws1"}, "transformKql": "source", "outputStream": "Custom-A_CL"}), Error, "$.properties.dataFlows[0].streams", "exactly one stream"},
		{"non-custom declaration", map[string]any{"properties.streamDeclarations": map[string]any{"myTable": map[string]any{"columns": []any{}}}, "properties.dataFlows": []any{}}, Warning, "$.properties.streamDeclarations.myTable", "does not start with Custom-"},
		{"no data flow", map[string]any{"properties.dataFlows": []any{}}, Error, "$.properties.dataFlows", "at least one data flow"},
		{"duplicate column", map[string]any{"properties.streamDeclarations": map[string]any{"Custom-Zeta": map[string]any{"columns": []any{map[string]any{"name": "a", "type": "string"}, map[string]any{"name": "a", "type": "long"}}}}}, Error, "$.properties.streamDeclarations.Custom-Zeta.columns[1].name", "duplicate column"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ds := validateOne(t, patch(t, dcrJSON, tc.edits))
			if !find(ds, tc.sev, tc.path, tc.msg) {
				t.Errorf("want %s at %s containing %q, got:%s", tc.sev, tc.path, tc.msg, dump(ds))
			}
		})
	}
	// Built-in input streams need neither a declaration nor an output stream.
	ds := validateOne(t, patch(t, dcrJSON, flow(map[string]any{"streams": []any{"Microsoft-SentinelX"}, "destinations": []any{"clv2ws1"}})))
	if HasErrors(ds) {
		t.Errorf("built-in stream flow has errors:%s", dump(ds))
	}
}

const tableJSON = `{"type":"Microsoft.OperationalInsights/workspaces/tables","name":"A_CL",
 "properties":{"schema":{"name":"A_CL","columns":[{"name":"TimeGenerated","type":"datetime"},{"name":"Msg","type":"string"}]}}}`

func TestValidateTable(t *testing.T) {
	if ds := validateOne(t, []byte(tableJSON)); HasErrors(ds) {
		t.Fatalf("valid table has errors:%s", dump(ds))
	}
	col := func(cols ...any) map[string]any {
		return map[string]any{"properties.schema.columns": cols}
	}
	tg := map[string]any{"name": "TimeGenerated", "type": "datetime"}
	cases := []struct {
		name  string
		edits map[string]any
		sev   Severity
		path  string
		msg   string
	}{
		{"no _CL", map[string]any{"properties.schema.name": "Alerts"}, Error, "$.properties.schema.name", "must end with _CL"},
		{"no TimeGenerated", col(map[string]any{"name": "Msg", "type": "string"}), Error, "$.properties.schema.columns", "no TimeGenerated"},
		{"TimeGenerated type", col(map[string]any{"name": "TimeGenerated", "type": "string"}), Error, "$.properties.schema.columns[0].type", "must be datetime"},
		{"space in name", col(tg, map[string]any{"name": "Created at", "type": "string"}), Error, "$.properties.schema.columns[1].name", "must start with a letter"},
		{"leading digit", col(tg, map[string]any{"name": "1x", "type": "string"}), Error, "$.properties.schema.columns[1].name", "must start with a letter"},
		{"too long", col(tg, map[string]any{"name": strings.Repeat("a", 46), "type": "string"}), Error, "$.properties.schema.columns[1].name", "2 to 45"},
		{"duplicate", col(tg, tg), Error, "$.properties.schema.columns[1].name", "duplicate column"},
		{"reserved", col(tg, map[string]any{"name": "TenantId", "type": "string"}), Warning, "$.properties.schema.columns[1].name", "reserved"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ds := validateOne(t, patch(t, tableJSON, tc.edits))
			if !find(ds, tc.sev, tc.path, tc.msg) {
				t.Errorf("want %s at %s containing %q, got:%s", tc.sev, tc.path, tc.msg, dump(ds))
			}
		})
	}
}

const defJSON = `{"type":"Microsoft.SecurityInsights/dataConnectorDefinitions","name":"Def1","kind":"Customizable",
 "properties":{"connectorUiConfig":{"title":"T","publisher":"P","descriptionMarkdown":"D",
  "graphQueries":[{"metricName":"m","legend":"l","baseQuery":"T_CL"}],
  "dataTypes":[{"name":"T_CL","lastDataReceivedQuery":"T_CL | summarize max(TimeGenerated)"}],
  "connectivityCriteria":[{"type":"HasDataConnectors"}],"permissions":{},
  "instructionSteps":[{"instructions":[{"type":"Textbox","parameters":{}}]}]}}}`

func TestValidateDefinition(t *testing.T) {
	if ds := validateOne(t, []byte(defJSON)); HasErrors(ds) {
		t.Fatalf("valid definition has errors:%s", dump(ds))
	}
	cases := []struct {
		name  string
		edits map[string]any
		sev   Severity
		path  string
		msg   string
	}{
		{"kind", map[string]any{"kind": "Static"}, Error, "$.kind", "must be Customizable"},
		{"no title", map[string]any{"properties.connectorUiConfig.title": nil}, Error, "$.properties.connectorUiConfig.title", "missing title"},
		{"no steps", map[string]any{"properties.connectorUiConfig.instructionSteps": nil}, Error, "$.properties.connectorUiConfig.instructionSteps", "missing instructionSteps"},
		{"query criterion without value", map[string]any{"properties.connectorUiConfig.connectivityCriteria": []any{map[string]any{"type": "IsConnectedQuery"}}}, Error, "$.properties.connectorUiConfig.connectivityCriteria[0].value", "needs a query"},
		{"unknown widget", map[string]any{"properties.connectorUiConfig.instructionSteps": []any{map[string]any{"instructions": []any{map[string]any{"type": "Slider"}}}}}, Warning, "$.properties.connectorUiConfig.instructionSteps[0].instructions[0].type", "unknown instruction type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ds := validateOne(t, patch(t, defJSON, tc.edits))
			if !find(ds, tc.sev, tc.path, tc.msg) {
				t.Errorf("want %s at %s containing %q, got:%s", tc.sev, tc.path, tc.msg, dump(ds))
			}
		})
	}
}

func TestCrossCheck(t *testing.T) {
	decode := func(docs ...string) *Set {
		s := &Set{}
		for _, d := range docs {
			part, ds := Decode([]byte(d), "x.json")
			if HasErrors(ds) {
				t.Fatalf("decoding:%s", dump(ds))
			}
			s.Merge(part)
		}
		return s
	}
	stream := func(name string) string {
		return string(patch(t, pollerJSON, map[string]any{"properties.dcrConfig.streamName": name}))
	}
	cases := []struct {
		name string
		set  *Set
		sev  Severity
		path string
		msg  string // "" = no diagnostics at all
	}{
		{"stream declared", decode(stream("Custom-Zeta"), dcrJSON), Error, "", ""},
		{"stream missing", decode(stream("Custom-Nope"), dcrJSON), Error, "$.properties.dcrConfig.streamName", `stream "Custom-Nope" is not declared by the DCR (declared: Custom-Alpha, Custom-Zeta)`},
		{"no DCR in set", decode(stream("Custom-Nope")), Error, "", ""},
		{"stream placeholder", decode(stream("{{stream}}"), dcrJSON), Error, "", ""},
		{"built-in stream not cross-checked", decode(stream("SENTINEL_X"), dcrJSON), Error, "", ""},
		{"matched by immutable id", decode(
			string(patch(t, pollerJSON, map[string]any{"properties.dcrConfig.streamName": "Custom-Alpha", "properties.dcrConfig.DataCollectionRuleImmutableId": "dcr-other"})),
			string(patch(t, dcrJSON, map[string]any{"properties.immutableId": "dcr-other", "properties.streamDeclarations": map[string]any{"Custom-Other": map[string]any{"columns": []any{}}}, "properties.dataFlows": []any{}})),
			dcrJSON), Error, "$.properties.dcrConfig.streamName", "(declared: Custom-Other)"},
		{"definition found", decode(stream("Custom-Zeta"), strings.Replace(defJSON, `"Def1"`, `"ws/Microsoft.SecurityInsights/mydef"`, 1)), Error, "", ""},
		{"definition by ui id", decode(string(patch(t, pollerJSON, map[string]any{"properties.connectorDefinitionName": "UIID"})),
			string(patch(t, defJSON, map[string]any{"properties.connectorUiConfig.id": "UIID"}))), Error, "", ""},
		{"definition missing", decode(string(patch(t, pollerJSON, map[string]any{"properties.connectorDefinitionName": "Other"})), defJSON),
			Error, "$.properties.connectorDefinitionName", `connector definition "Other" is not defined here (definitions: Def1)`},
		{"output table missing", decode(dcrJSON, tableJSON), Error, "$.properties.dataFlows[0].outputStream", `output table "Zeta_CL" is not among the tables here (A_CL)`},
		{"output table present", decode(dcrJSON, strings.ReplaceAll(tableJSON, "A_CL", "Zeta_CL")), Error, "", ""},
		{"parameter without input", decode(
			string(patch(t, pollerJSON, map[string]any{"properties.connectorDefinitionName": "Def1", "properties.auth": map[string]any{"type": "APIKey", "ApiKey": "{{apiKey}}"},
				"properties.request.ApiEndpoint": "[[concat(parameters('BaseUrl'), '/x')]"})),
			string(patch(t, defJSON, map[string]any{"properties.connectorUiConfig.instructionSteps": []any{map[string]any{"instructions": []any{
				map[string]any{"type": "Textbox", "parameters": map[string]any{"name": "baseurl"}}}}}}))),
			Warning, "$", `parameter "apiKey" has no input on connector page "Def1"`},
		{"parameters provided by inputs and built-ins", decode(
			string(patch(t, pollerJSON, map[string]any{"properties.connectorDefinitionName": "Def1", "properties.auth": map[string]any{"type": "APIKey", "ApiKey": "{{apiKey}}"}})),
			string(patch(t, defJSON, map[string]any{"properties.connectorUiConfig.instructionSteps": []any{map[string]any{"innerSteps": []any{map[string]any{"instructions": []any{
				map[string]any{"type": "ContextPane", "parameters": map[string]any{"instructionSteps": []any{map[string]any{"instructions": []any{
					map[string]any{"type": "Textbox", "parameters": map[string]any{"name": "APIKEY"}}}}}}}}}}}}}))),
			Error, "", ""},
		{"duplicate connection name", decode(`[` + pollerJSON + `,` + pollerJSON + `]`), Warning, "$[1].name", "used twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ds := CrossCheck(tc.set)
			if tc.msg == "" {
				if len(ds) > 0 {
					t.Errorf("want no diagnostics, got:%s", dump(ds))
				}
				return
			}
			if !find(ds, tc.sev, tc.path, tc.msg) {
				t.Errorf("want %s at %s containing %q, got:%s", tc.sev, tc.path, tc.msg, dump(ds))
			}
		})
	}
}
