package resource

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/schema"
)

// find reports whether ds holds a diagnostic of severity sev at path whose
// message contains substr.
func find(ds []Diagnostic, sev Severity, path, substr string) bool {
	for _, d := range ds {
		if d.Severity == sev && d.Path == path && strings.Contains(d.Message, substr) {
			return true
		}
	}
	return false
}

func dump(ds []Diagnostic) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString("\n  " + d.String())
	}
	return b.String()
}

const pollerJSON = `{
  "type": "Microsoft.SecurityInsights/dataConnectors",
  "name": "ws/Microsoft.SecurityInsights/MyPoller",
  "kind": "RestApiPoller",
  "apiVersion": "2024-09-01",
  "properties": {
    "connectorDefinitionName": "MyDef",
    "dcrConfig": {"streamName": "Custom-In", "dataCollectionEndpoint": "{{dataCollectionEndpoint}}",
                  "DataCollectionRuleImmutableId": "dcr-0123"},
    "auth": {"type": "Basic", "UserName": "u", "Password": "p"},
    "request": {"ApiEndpoint": "https://api.example.com/v1/events", "HttpMethod": "Get",
                "QueryWindowInMin": 10, "rateLimitQps": 2.5, "retryCount": 3, "timeoutInSeconds": 60,
                "headers": {"Accept": "application/json", "X-Num": 5},
                "queryParameters": {"limit": 100, "nullable": false, "since": "{_QueryWindowStartTime}"}},
    "response": {"EventsJsonPaths ": ["$.value"], "format": "json"},
    "Paging": {"type": "LinkHeader", "PageSize": 50, "pageSizeParaName": "limit"},
    "addOnAttributes": {"tenant": "t1", "none": null},
    "isActive": false
  }
}`

func TestDecodeConnectionFields(t *testing.T) {
	set, ds := Decode([]byte(pollerJSON), "p.json")
	if HasErrors(ds) {
		t.Fatalf("unexpected errors:%s", dump(ds))
	}
	if len(set.Connections) != 1 {
		t.Fatalf("got %d connections", len(set.Connections))
	}
	c := set.Connections[0]
	p := c.Properties
	checks := []struct {
		name      string
		got, want any
	}{
		{"name", c.Name, "MyPoller"},
		{"file", c.File, "p.json"},
		{"path", c.Path, "$"},
		{"definition", p.ConnectorDefinitionName, "MyDef"},
		{"immutable id (PascalCase key)", p.DCRConfig.DataCollectionRuleImmutableID, "dcr-0123"},
		{"user", p.Auth.UserName, "u"},
		{"auth fields keep spelling", p.Auth.Fields["UserName"], "u"},
		{"endpoint", p.Request.APIEndpoint, "https://api.example.com/v1/events"},
		{"method", p.Request.HTTPMethod, "Get"},
		{"window", p.Request.QueryWindowInMin, 10},
		{"rateLimitQps alias", p.Request.RateLimitQPS, 2.5},
		{"header number as text", p.Request.Headers["X-Num"], "5"},
		{"query param int", p.Request.QueryParameters["limit"], int64(100)},
		{"query param bool", p.Request.QueryParameters["nullable"], false},
		{"trimmed key", p.Response.EventsJSONPaths, []string{"$.value"}},
		{"Paging key + type alias", p.Paging.PagingType, "LinkHeader"},
		{"pageSizeParaName alias", p.Paging.PageSizeParameterName, "limit"},
		{"page size", p.Paging.PageSize, 50},
		{"paging raw fields", p.Paging.Fields["type"], "LinkHeader"},
		{"isActive", p.Active(), false},
		{"addOn null", p.AddOnAttributes["none"] == nil, true},
		{"addOn value", *p.AddOnAttributes["tenant"], "t1"},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s: got %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}
	if !find(ds, Warning, "$.properties.response['EventsJsonPaths ']", "surrounding spaces") {
		t.Errorf("no warning for the key with a trailing space:%s", dump(ds))
	}
	var raw map[string]any
	if err := json.Unmarshal(c.Raw, &raw); err != nil || raw["kind"] != "RestApiPoller" {
		t.Errorf("Raw is not the resource JSON: %v %s", err, c.Raw)
	}
}

func TestDecodeErrorsWithPaths(t *testing.T) {
	cases := []struct {
		name string
		json string
		sev  Severity
		path string
		msg  string
	}{
		{"string where number", `{"kind":"RestApiPoller","properties":{"request":{"retryCount":"abc"}}}`,
			Error, "$.properties.request.retryCount", `expected a number, got "abc"`},
		{"fraction where int", `{"kind":"RestApiPoller","properties":{"request":{"retryCount":2.5}}}`,
			Error, "$.properties.request.retryCount", "expected a whole number"},
		{"object where string", `{"kind":"RestApiPoller","properties":{"request":{"apiEndpoint":{}}}}`,
			Error, "$.properties.request.apiEndpoint", "expected a string, got an object"},
		{"array where object", `{"kind":"RestApiPoller","properties":{"response":[]}}`,
			Error, "$.properties.response", "expected an object, got an array"},
		{"unresolved number", `{"kind":"RestApiPoller","properties":{"request":{"queryWindowInMin":"[[int(parameters('w'))]"}}}`,
			Warning, "$.properties.request.queryWindowInMin", "unresolved expression"},
		{"placeholder number", `{"kind":"RestApiPoller","properties":{"request":{"queryWindowInMin":"{{window}}"}}}`,
			Warning, "$.properties.request.queryWindowInMin", "checked at connect time"},
		{"numeric string", `{"kind":"RestApiPoller","properties":{"request":{"retryCount":"4"}}}`,
			Warning, "$.properties.request.retryCount", "number written as a string"},
		{"unknown key", `{"kind":"RestApiPoller","properties":{"request":{"bogus":1}}}`,
			Warning, "$.properties.request.bogus", `unknown key "bogus"`},
		{"typo suggestion", `{"kind":"RestApiPoller","properties":{"paging":{"linkHeaderRelName":"next"}}}`,
			Warning, "$.properties.paging.linkHeaderRelName", `did you mean "linkHeaderRelLinkName"?`},
		{"duplicate key by case", `{"kind":"RestApiPoller","properties":{"request":{"rateLimitQPS":1,"rateLimitQps":2}}}`,
			Warning, "$.properties.request.rateLimitQps", "repeats"},
		{"array element path", `[{"kind":"RestApiPoller","properties":{}},{"kind":"RestApiPoller","properties":{"response":{"eventsJsonPaths":[1,{}]}}}]`,
			Error, "$[1].properties.response.eventsJsonPaths[1]", "expected a string"},
		{"odd key quoted in path", `{"kind":"RestApiPoller","properties":{"request":{"headers":{"X Y":{}}}}}`,
			Error, "$.properties.request.headers['X Y']", "expected a string"},
		{"other connector kind", `{"type":"Microsoft.SecurityInsights/dataConnectors","kind":"OCI","properties":{}}`,
			Warning, "$", "unsupported connector kind OCI (Codeless runs RestApiPoller)"},
		{"syntax error position", "{\n  \"a\": tru\n}", Error, "$", "line 2"},
		{"truncated", `{"a": [1, 2`, Error, "$", "unexpected end of input"},
		{"trailing data", `{} {}`, Error, "$", "unexpected data after"},
		{"not a resource", `42`, Error, "$", "expected a resource object"},
		{"bad column type", `{"type":"Microsoft.OperationalInsights/workspaces/tables","name":"T_CL","properties":{"schema":{"columns":[{"name":"a","type":"blob"}]}}}`,
			Error, "$.properties.schema.columns[0].type", `unknown column type "blob"`},
		{"missing properties", `{"type":"Microsoft.Insights/dataCollectionRules","name":"d"}`,
			Error, "$", `missing "properties"`},
		{"no type", `{"name":"x","properties":{"foo":1}}`, Warning, "$", "cannot tell what this resource is"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, ds := Decode([]byte(tc.json), "f.json")
			if !find(ds, tc.sev, tc.path, tc.msg) {
				t.Errorf("want %s at %s containing %q, got:%s", tc.sev, tc.path, tc.msg, dump(ds))
			}
			for _, d := range ds {
				if d.File != "f.json" {
					t.Errorf("diagnostic without file: %v", d)
				}
			}
		})
	}
}

func TestDecodeCollectsAllErrors(t *testing.T) {
	_, ds := Decode([]byte(`{"kind":"RestApiPoller","properties":{"request":{"retryCount":"x","timeoutInSeconds":"y"},"response":{"format":[]}}}`), "")
	n := 0
	for _, d := range ds {
		if d.Severity == Error {
			n++
		}
	}
	if n != 3 {
		t.Errorf("want 3 errors, got %d:%s", n, dump(ds))
	}
}

func TestDecodeKinds(t *testing.T) {
	cases := []struct {
		typ  string
		kind Kind
	}{
		{"Microsoft.OperationalInsights/workspaces/tables", KindTable},
		{"microsoft.operationalinsights/WORKSPACES/tables", KindTable},
		{"Microsoft.Insights/dataCollectionRules", KindDataCollectionRule},
		{"Microsoft.Insights/dataCollectionEndpoints", KindDataCollectionEndpt},
		{"Microsoft.SecurityInsights/dataConnectorDefinitions", KindConnectorDefinition},
		{"Microsoft.OperationalInsights/workspaces/providers/dataConnectorDefinitions", KindConnectorDefinition},
		{"Microsoft.SecurityInsights/dataConnectors", KindConnection},
		{"Microsoft.OperationalInsights/workspaces/providers/dataConnectors", KindConnection},
		{"Microsoft.OperationalInsights/workspaces/providers/metadata", KindOther},
		{"", KindOther},
	}
	for _, tc := range cases {
		if got := TypeOf(tc.typ); got != tc.kind {
			t.Errorf("TypeOf(%q) = %s, want %s", tc.typ, got, tc.kind)
		}
	}
}

const dcrJSON = `{
  "name": "MyDCR", "type": "Microsoft.Insights/dataCollectionRules", "location": "{{location}}", "kind": null,
  "properties": {
    "immutableId": "dcr-abc",
    "dataCollectionEndpointId": "{{dataCollectionEndpointId}}",
    "streamDeclarations": {
      "Custom-Zeta": {"columns": [{"name": "ts", "type": "datetime"}, {"name": "n", "type": "Int"}]},
      "Custom-Alpha": {"columns": [{"name": "x", "type": "float"}, {"name": "d", "type": "DYNAMIC"}, {"name": "b", "type": "boolean"}]}
    },
    "destinations": {"logAnalytics": [{"workspaceResourceId": "{{ws}}", "name": "clv2ws1"}]},
    "dataFlows": [
      {"streams": ["Custom-Zeta"], "destinations": ["clv2ws1"], "transformKql": "source | extend TimeGenerated = ts", "outputStream": "Custom-Zeta_CL"}
    ]
  }
}`

func TestDecodeDCR(t *testing.T) {
	set, ds := Decode([]byte(dcrJSON), "d.json")
	if HasErrors(ds) || len(set.DCRs) != 1 {
		t.Fatalf("decoding: %d DCRs%s", len(set.DCRs), dump(ds))
	}
	d := set.DCRs[0]
	var names []string
	for _, s := range d.StreamDeclarations {
		names = append(names, s.Name)
	}
	if !reflect.DeepEqual(names, []string{"Custom-Zeta", "Custom-Alpha"}) {
		t.Errorf("stream order %v, want file order", names)
	}
	alpha, _ := d.Stream("Custom-Alpha")
	want := schema.Schema{{Name: "x", Type: schema.Real}, {Name: "d", Type: schema.Dynamic}, {Name: "b", Type: schema.Bool}}
	if !reflect.DeepEqual(alpha.Columns, want) {
		t.Errorf("columns %v, want %v", alpha.Columns, want)
	}
	if d.ImmutableID != "dcr-abc" || len(d.Destinations) != 1 || d.Destinations[0].Name != "clv2ws1" {
		t.Errorf("envelope: %+v", d)
	}
	f := d.DataFlows[0]
	if f.OutputStream != "Custom-Zeta_CL" || f.TransformKQL == "" || f.Path != "$.properties.dataFlows[0]" {
		t.Errorf("data flow: %+v", f)
	}
}

func TestDecodeTableAndDefinition(t *testing.T) {
	src := `[
 {"type":"Microsoft.OperationalInsights/workspaces/tables","name":"[concat(parameters('workspace'),'/X_CL')]",
  "properties":{"schema":{"name":"X_CL","columns":[{"name":"TimeGenerated","type":"dateTime"},{"name":"g","type":"guid"}]},"plan":"Analytics"}},
 {"type":"Microsoft.OperationalInsights/workspaces/tables","name":"ws/Y_CL","properties":{"schema":{"columns":[]}}},
 {"type":"Microsoft.OperationalInsights/workspaces/providers/dataConnectorDefinitions","name":"ws/Microsoft.SecurityInsights/Def1","kind":"Customizable",
  "properties":{"connectorUIConfig":{"title":"T","publisher":"P","descriptionMarkdown":"D",
   "connectivityCriteria":[{"type":"HasDataConnectors"},{"type":"IsConnectedQuery","value":"T | take 1"}],
   "instructionSteps":[{"instructions":[{"type":"Textbox","parameters":{"name":"apiKey","type":"password"}}]}]},
   "connectionsConfig":{"templateSpecName":"spec","templateSpecVersion":"1.0.0"}}}
]`
	set, ds := Decode([]byte(src), "")
	if HasErrors(ds) {
		t.Fatalf("errors:%s", dump(ds))
	}
	if len(set.Tables) != 2 || set.Tables[0].Name != "X_CL" || set.Tables[1].Name != "Y_CL" {
		t.Fatalf("tables: %+v", set.Tables)
	}
	if got := set.Tables[0].Columns; !reflect.DeepEqual(got, schema.Schema{{Name: "TimeGenerated", Type: schema.DateTime}, {Name: "g", Type: schema.GUID}}) {
		t.Errorf("columns %v", got)
	}
	if set.Tables[1].Path != "$[1]" {
		t.Errorf("path %q", set.Tables[1].Path)
	}
	def := set.Definitions[0]
	if def.Name != "Def1" || def.UI.Title != "T" || def.ConnectionsConfig.TemplateSpecName != "spec" {
		t.Errorf("definition %+v", def)
	}
	if v := def.UI.ConnectivityCriteria[1].Value; !reflect.DeepEqual(v, []string{"T | take 1"}) {
		t.Errorf("connectivity value as string: %v", v)
	}
	if def.UI.InstructionSteps[0].Instructions[0].Parameters["name"] != "apiKey" {
		t.Errorf("instruction parameters: %+v", def.UI.InstructionSteps)
	}
}

func TestDecodeTemplate(t *testing.T) {
	src := `{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    {"type": "Microsoft.OperationalInsights/workspaces/providers/contentTemplates", "name": "[concat(parameters('workspace'),'/x')]",
     "properties": {"contentKind": "ResourcesDataConnector", "mainTemplate": {"resources": [
        {"type": "Microsoft.OperationalInsights/workspaces/providers/metadata", "name": "m"},
        {"type": "Microsoft.OperationalInsights/workspaces/providers/dataConnectors", "name": "[[concat('a','b')]", "kind": "RestApiPoller",
         "properties": {"request": {"queryWindowInMin": "[[parameters('w')]"}}}
     ]}}},
    {"type": "Microsoft.Insights/dataCollectionRules", "name": "d", "properties": {"streamDeclarations": {}}}
  ]
}`
	set, ds := Decode([]byte(src), "dir/mainTemplate.json")
	if HasErrors(ds) {
		t.Fatalf("errors:%s", dump(ds))
	}
	if len(set.Templates) != 1 || set.Templates[0].Name != "mainTemplate" || len(set.Templates[0].Raw) != len(src) {
		t.Fatalf("templates: %+v", set.Templates)
	}
	if len(set.Connections) != 1 || len(set.DCRs) != 1 || len(set.Others) != 2 {
		t.Fatalf("got %d connections %d DCRs %d others", len(set.Connections), len(set.DCRs), len(set.Others))
	}
	c := set.Connections[0]
	wantPath := "$.resources[0].properties.mainTemplate.resources[1]"
	if c.Path != wantPath || c.Name != "[[concat('a','b')]" {
		t.Errorf("inner connection path %q name %q", c.Path, c.Name)
	}
	if !reflect.DeepEqual(c.Unresolved, []string{wantPath + ".properties.request.queryWindowInMin"}) {
		t.Errorf("unresolved %v", c.Unresolved)
	}
}

func TestDecodeOne(t *testing.T) {
	c, err := DecodeConnection([]byte(pollerJSON))
	if err != nil || c.Name != "MyPoller" {
		t.Fatalf("DecodeConnection: %v %+v", err, c)
	}
	_, err = DecodeConnection([]byte(`{"kind":"RestApiPoller","properties":{"request":{"retryCount":"abc"}}}`))
	var pe *PathError
	if !errors.As(err, &pe) || pe.Path != "$.properties.request.retryCount" {
		t.Fatalf("want PathError at retryCount, got %v", err)
	}
	if _, err := DecodeConnection([]byte(`{"kind":"OCI","properties":{}}`)); !errors.As(err, &pe) || pe.Path != "$.kind" {
		t.Errorf("other kind: %v", err)
	}
	if _, err := DecodeDCR([]byte(pollerJSON)); !errors.As(err, &pe) || pe.Path != "$.type" {
		t.Errorf("wrong type: %v", err)
	}
	if d, err := DecodeDCR([]byte(dcrJSON)); err != nil || len(d.StreamDeclarations) != 2 {
		t.Errorf("DecodeDCR: %v", err)
	}
	if tb, err := DecodeTable([]byte(`{"properties":{"schema":{"name":"A_CL","columns":[{"name":"TimeGenerated","type":"datetime"}]}}}`)); err != nil || tb.Name != "A_CL" {
		t.Errorf("DecodeTable: %v", err)
	}
	if _, err := DecodeDefinition([]byte(`{"kind":"Customizable","properties":{"connectorUiConfig":{"title":{}}}}`)); !errors.As(err, &pe) ||
		pe.Path != "$.properties.connectorUiConfig.title" {
		t.Errorf("DecodeDefinition: %v", err)
	}
	if _, err := DecodeTable([]byte(`[`)); !errors.As(err, &pe) || !strings.Contains(pe.Error(), "line 1") {
		t.Errorf("syntax: %v", err)
	}
}

func TestDiagnosticString(t *testing.T) {
	d := Diagnostic{File: "a.json", Path: "$.x", Severity: Error, Message: "bad"}
	if got := d.String(); got != "a.json: $.x: error: bad" {
		t.Errorf("got %q", got)
	}
	d.Severity, d.File = Warning, ""
	if got := d.String(); got != "$.x: warning: bad" {
		t.Errorf("got %q", got)
	}
}

func TestShortName(t *testing.T) {
	for in, want := range map[string]string{
		"ws/Microsoft.SecurityInsights/X": "X",
		"plain":                           "plain",
		"[concat(parameters('w'),'/X')]":  "[concat(parameters('w'),'/X')]",
		"{{workspace}}/Y_CL":              "Y_CL",
	} {
		if got := ShortName(in); got != want {
			t.Errorf("ShortName(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{pollerJSON, dcrJSON, `[]`, `{"$schema":"x","resources":[{"properties":{"mainTemplate":{"resources":[{}]}}}]}`,
		`{"kind":"RestApiPoller","properties":{"stepCollectorConfigs":{"a":null}}}`, `[[[[`, `{"a":"\u0000"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, ds := Decode(data, "fuzz.json")
		if set == nil {
			t.Fatal("nil set")
		}
		_ = set.Validate()
		_ = CrossCheck(set)
		var metas []Meta
		for _, c := range set.Connections {
			metas = append(metas, c.Meta)
		}
		for _, r := range set.DCRs {
			metas = append(metas, r.Meta)
		}
		for _, tb := range set.Tables {
			metas = append(metas, tb.Meta)
		}
		metas = append(metas, set.Others...)
		for _, m := range metas {
			if !json.Valid(m.Raw) {
				t.Fatalf("resource at %s: Raw is not valid JSON: %q", m.Path, m.Raw)
			}
		}
		for _, d := range ds {
			if d.Path == "" || d.Message == "" {
				t.Fatalf("diagnostic without path or message: %+v", d)
			}
		}
	})
}
