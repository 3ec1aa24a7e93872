package arm

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

var testEnv = Env{
	SubscriptionID: "sub-1",
	ResourceGroup:  "rg-1",
	Location:       "local",
	DeploymentName: "dep",
	Now:            func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) },
	NewGUID:        func() string { return "guid-1" },
}

func mustDeploy(t *testing.T, tmpl string, params map[string]any) *Result {
	t.Helper()
	res, err := Deploy([]byte(tmpl), params, testEnv)
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	return res
}

func names(res *Result) []string {
	var out []string
	for _, r := range res.Resources {
		out = append(out, r.Name)
	}
	return out
}

func TestDeployParameters(t *testing.T) {
	tmpl := `{
	  "parameters": {
	    "workspace": {"type": "string"},
	    "region":    {"type": "string", "defaultValue": "[resourceGroup().location]"},
	    "sku":       {"type": "string", "defaultValue": "std", "allowedValues": ["std", "prem"]},
	    "count":     {"type": "int", "defaultValue": 2, "minValue": 1, "maxValue": 5},
	    "on":        {"type": "bool", "defaultValue": false},
	    "tags":      {"type": "array", "defaultValue": []},
	    "cfg":       {"type": "object", "defaultValue": {"a": 1}},
	    "secret":    {"type": "securestring", "minLength": 3},
	    "derived":   {"type": "string", "defaultValue": "[concat(parameters('workspace'), '-', parameters('sku'))]"}
	  },
	  "resources": [],
	  "outputs": {
	    "region":  {"type": "string", "value": "[parameters('region')]"},
	    "derived": {"type": "string", "value": "[parameters('derived')]"},
	    "count":   {"type": "int", "value": "[parameters('count')]"},
	    "on":      {"type": "bool", "value": "[parameters('on')]"},
	    "hidden":  {"type": "securestring", "value": "[parameters('secret')]"},
	    "leaky":   {"type": "string", "value": "[concat('key=', parameters('secret'))]"}
	  }
	}`
	res := mustDeploy(t, tmpl, map[string]any{"WORKSPACE": "ws", "count": "4", "on": "true", "secret": "s3cret"})
	want := map[string]any{"region": "local", "derived": "ws-std", "count": int64(4), "on": true, "leaky": Redacted}
	if !reflect.DeepEqual(res.Outputs, want) {
		t.Fatalf("outputs = %#v, want %#v", res.Outputs, want)
	}
	if res.Parameters["secret"] != Redacted {
		t.Fatalf("secure parameter not redacted: %v", res.Parameters["secret"])
	}
	b, _ := json.Marshal(res)
	if strings.Contains(string(b), "s3cret") {
		t.Fatalf("the result carries the secret: %s", b)
	}

	bad := []struct {
		params  map[string]any
		path    string
		contain string
	}{
		{map[string]any{"secret": "abc"}, "parameters.workspace", "no value was given"},
		{map[string]any{"workspace": "w", "secret": "abc", "sku": "gold"}, "parameters.sku", "allowedValues"},
		{map[string]any{"workspace": "w", "secret": "abc", "count": 9}, "parameters.count", "maxValue"},
		{map[string]any{"workspace": "w", "secret": "ab"}, "parameters.secret", "minLength"},
		{map[string]any{"workspace": 5, "secret": "abc"}, "parameters.workspace", "expected a string"},
		{map[string]any{"workspace": "w", "secret": "abc", "cfg": []any{}}, "parameters.cfg", "expected an object"},
		{map[string]any{"workspace": "w", "secret": "abc", "other": "x"}, "parameters.other", "does not declare"},
	}
	for _, tc := range bad {
		_, err := Deploy([]byte(tmpl), tc.params, testEnv)
		if err == nil {
			t.Fatalf("params %v: want an error", tc.params)
		}
		var de *Error
		if !errors.As(err, &de) || de.Path != tc.path || !strings.Contains(err.Error(), tc.contain) {
			t.Fatalf("params %v: error %q, want path %s containing %q", tc.params, err, tc.path, tc.contain)
		}
	}
}

func TestDeployVariablesAndCopy(t *testing.T) {
	tmpl := `{
	  "parameters": {"names": {"type": "string", "defaultValue": "a, b ,c"}},
	  "variables": {
	    "later": "[concat(variables('first'), '!')]",
	    "first": "[toUpper('x')]",
	    "list": "[split(parameters('names'), ',')]",
	    "copy": [{"name": "items", "count": "[length(variables('list'))]", "input": {"n": "[trim(variables('list')[copyIndex('items')])]", "i": "[copyIndex('items', 1)]"}}],
	    "obj": {"copy": [{"name": "disks", "count": 2, "input": {"lun": "[copyIndex('disks')]"}}], "kind": "k"}
	  },
	  "resources": [],
	  "outputs": {
	    "later": {"type": "string", "value": "[variables('later')]"},
	    "items": {"type": "array", "value": "[variables('items')]"},
	    "obj":   {"type": "object", "value": "[variables('obj')]"},
	    "loop":  {"type": "array", "copy": {"count": 2, "input": "[concat('o', string(copyIndex('loop')))]"}}
	  }
	}`
	res := mustDeploy(t, tmpl, nil)
	want := map[string]any{
		"later": "X!",
		"items": []any{
			map[string]any{"n": "a", "i": int64(1)},
			map[string]any{"n": "b", "i": int64(2)},
			map[string]any{"n": "c", "i": int64(3)},
		},
		"obj":  map[string]any{"disks": []any{map[string]any{"lun": int64(0)}, map[string]any{"lun": int64(1)}}, "kind": "k"},
		"loop": []any{"o0", "o1"},
	}
	if !reflect.DeepEqual(res.Outputs, want) {
		got, _ := json.Marshal(res.Outputs)
		t.Fatalf("outputs = %s", got)
	}

	_, err := Deploy([]byte(`{"variables": {"a": "[variables('b')]", "b": "[variables('a')]"}, "resources": []}`), nil, testEnv)
	if err == nil || !strings.Contains(err.Error(), "refers to itself") {
		t.Fatalf("want a variable cycle error, got %v", err)
	}
}

func TestDeployResources(t *testing.T) {
	tmpl := `{
	  "parameters": {"workspace": {"type": "string"}, "enable": {"type": "bool", "defaultValue": false}, "apiKey": {"type": "securestring"}},
	  "resources": [
	    {"type": "Microsoft.OperationalInsights/workspaces/providers/dataConnectors", "apiVersion": "2023-02-01-preview",
	     "name": "[concat(parameters('workspace'), '/Microsoft.SecurityInsights/conn', copyIndex())]",
	     "kind": "RestApiPoller",
	     "copy": {"name": "conns", "count": 2},
	     "dependsOn": ["[resourceId('Microsoft.Insights/dataCollectionRules', 'dcr1')]"],
	     "properties": {
	       "auth": {"type": "APIKey", "ApiKey": "[parameters('apiKey')]"},
	       "deferred": "[[parameters('later')]",
	       "request": {"apiEndpoint": "[concat('https://api/', string(copyIndex()))]", "queryParameters": {"from": "{_QueryWindowStartTime}"}}
	     }},
	    {"type": "Microsoft.Insights/dataCollectionRules", "apiVersion": "2022-06-01", "name": "dcr1", "location": "[resourceGroup().location]",
	     "properties": {"dataFlows": []}},
	    {"type": "Microsoft.OperationalInsights/workspaces/tables", "apiVersion": "2022-10-01", "name": "[concat(parameters('workspace'), '/T_CL')]",
	     "condition": "[parameters('enable')]", "properties": {}},
	    {"type": "Microsoft.Insights/workbooks", "apiVersion": "2022-04-01", "name": "wb", "dependsOn": ["conns", "[concat(parameters('workspace'), '/T_CL')]"], "properties": {}}
	  ]
	}`
	res := mustDeploy(t, tmpl, map[string]any{"workspace": "ws", "apiKey": "k-123"})
	gotNames := names(res)
	wantNames := []string{"dcr1", "ws/Microsoft.SecurityInsights/conn0", "ws/Microsoft.SecurityInsights/conn1", "wb"}
	if !reflect.DeepEqual(gotNames, wantNames) {
		t.Fatalf("order = %v, want %v", gotNames, wantNames)
	}
	c1 := res.Resources[2]
	if c1.Kind != "RestApiPoller" || c1.APIVersion != "2023-02-01-preview" || c1.CopyName != "conns" || c1.CopyIndex != 1 {
		t.Fatalf("resource fields: %+v", c1)
	}
	if c1.ID != "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.OperationalInsights/workspaces/ws/providers/Microsoft.SecurityInsights/dataConnectors/conn1" {
		t.Fatalf("id = %s", c1.ID)
	}
	if c1.Path != "resources[0]<copy 1>" {
		t.Fatalf("path = %s", c1.Path)
	}
	props := c1.Body["properties"].(map[string]any)
	if props["deferred"] != "[parameters('later')]" {
		t.Fatalf("escaped expression = %v", props["deferred"])
	}
	if props["auth"].(map[string]any)["ApiKey"] != "k-123" {
		t.Fatalf("secure value not in the body where it is used")
	}
	if props["request"].(map[string]any)["apiEndpoint"] != "https://api/1" {
		t.Fatalf("copyIndex in body: %v", props["request"])
	}
	if props["request"].(map[string]any)["queryParameters"].(map[string]any)["from"] != "{_QueryWindowStartTime}" {
		t.Fatalf("runtime variable changed")
	}
	if _, ok := c1.Body["copy"]; ok {
		t.Fatalf("copy kept in body")
	}
	if len(res.Resources[3].DependsOn) != 2 {
		t.Fatalf("wb depends on %v, want both copies (the conditioned-off table is ignored)", res.Resources[3].DependsOn)
	}
	if b, _ := json.Marshal(res.Parameters); strings.Contains(string(b), "k-123") {
		t.Fatalf("parameters carry the secret: %s", b)
	}
}

func TestDeployErrorsAreCollected(t *testing.T) {
	tmpl := `{
	  "parameters": {},
	  "resources": [
	    {"type": "Microsoft.Insights/dataCollectionRules", "apiVersion": "x", "name": "a", "properties": {"p": "[nosuch('x')]"}},
	    {"type": "Microsoft.Insights/dataCollectionRules", "apiVersion": "x", "name": "b", "properties": {"q": ["ok", "[parameters('missing')]"]}},
	    {"type": "Microsoft.Insights/dataCollectionRules", "apiVersion": "x", "name": "c", "dependsOn": ["nothere"]},
	    {"type": "Microsoft.OperationalInsights/workspaces/tables", "apiVersion": "x", "name": "x/y/z"},
	    {"type": "Microsoft.Insights/dataCollectionRules", "apiVersion": "x", "name": "d", "copy": {"name": "l", "count": "[add(1000, 1)]"}}
	  ]
	}`
	res, err := Deploy([]byte(tmpl), nil, testEnv)
	if err == nil || res != nil {
		t.Fatalf("want an error and no result, got %v, %v", res, err)
	}
	msg := err.Error()
	for _, want := range []string{
		`resources[0].properties.p (resource a): position 2: unsupported function "nosuch"`,
		`resources[1].properties.q[1] (resource b):`,
		`parameter "missing" is not defined`,
		`resources[2].dependsOn[0] (resource c): "nothere" is not a resource`,
		`resources[3].name (resource x/y/z): name "x/y/z" does not fit type`,
		`resources[4].copy.count: copy count 1001`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not contain %q:\n%s", want, msg)
		}
	}
}

func TestDeployCycle(t *testing.T) {
	tmpl := `{"resources": [
	  {"type": "A.B/c", "name": "x", "dependsOn": ["z"]},
	  {"type": "A.B/c", "name": "y", "dependsOn": ["x"]},
	  {"type": "A.B/c", "name": "z", "dependsOn": ["[resourceId('A.B/c', 'y')]"]},
	  {"type": "A.B/c", "name": "free"}
	]}`
	_, err := Deploy([]byte(tmpl), nil, testEnv)
	if err == nil || !strings.Contains(err.Error(), "dependsOn cycle among: x, y, z") {
		t.Fatalf("want a cycle error naming x, y, z; got %v", err)
	}
}

func TestDeployNested(t *testing.T) {
	tmpl := `{
	  "parameters": {"workspace": {"type": "string"}},
	  "variables": {"outerVar": "from-outer"},
	  "resources": [
	    {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "inner1",
	     "dependsOn": ["base"],
	     "properties": {
	       "mode": "Incremental",
	       "expressionEvaluationOptions": {"scope": "inner"},
	       "parameters": {"ws": {"value": "[parameters('workspace')]"}},
	       "template": {
	         "parameters": {"ws": {"type": "string"}},
	         "variables": {"v": "[concat(parameters('ws'), '-inner')]"},
	         "resources": [
	           {"type": "A.B/c", "name": "[variables('v')]", "properties": {"dep": "[deployment().name]"}},
	           {"type": "A.B/c", "name": "first", "properties": {}}
	         ],
	         "outputs": {"o": {"type": "string", "value": "[variables('v')]"}}
	       }
	     }},
	    {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "outer1",
	     "properties": {"mode": "Incremental", "template": {"resources": [
	        {"type": "A.B/c", "name": "[variables('outerVar')]", "properties": {}}
	     ]}}},
	    {"type": "A.B/c", "name": "base"},
	    {"type": "A.B/c", "name": "after", "dependsOn": ["inner1"]}
	  ]
	}`
	res := mustDeploy(t, tmpl, map[string]any{"workspace": "ws"})
	got := names(res)
	want := []string{"ws-inner", "first", "from-outer", "outer1", "base", "inner1", "after"}
	_ = want
	pos := map[string]int{}
	for i, n := range got {
		pos[n] = i
	}
	for _, n := range []string{"ws-inner", "first", "from-outer", "outer1", "base", "inner1", "after"} {
		if _, ok := pos[n]; !ok {
			t.Fatalf("resource %s missing from %v", n, got)
		}
	}
	if !(pos["base"] < pos["ws-inner"] && pos["ws-inner"] < pos["inner1"] && pos["inner1"] < pos["after"]) {
		t.Fatalf("order %v: base < inner resources < inner1 < after violated", got)
	}
	var inner Resource
	for _, r := range res.Resources {
		if r.Name == "ws-inner" {
			inner = r
		}
	}
	if inner.Path != "resources[0].properties.template.resources[0]" {
		t.Fatalf("inner path = %s", inner.Path)
	}
	if inner.Body["properties"].(map[string]any)["dep"] != "inner1" {
		t.Fatalf("deployment() inside = %v", inner.Body["properties"])
	}
	for _, r := range res.Resources {
		if r.Name == "inner1" {
			if r.Body["outputs"].(map[string]any)["o"] != "ws-inner" {
				t.Fatalf("nested outputs = %v", r.Body["outputs"])
			}
		}
	}
	// an inner-scope template cannot see outer variables
	bad := strings.Replace(tmpl, `"[concat(parameters('ws'), '-inner')]"`, `"[variables('outerVar')]"`, 1)
	_, err := Deploy([]byte(bad), map[string]any{"workspace": "ws"}, testEnv)
	if err == nil || !strings.Contains(err.Error(), "resources[0].properties.template.variables.v") {
		t.Fatalf("want an inner-scope error with the inner path, got %v", err)
	}
}

func TestParseParametersFile(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]any
		err  string
	}{
		{`{"$schema": "x", "contentVersion": "1.0.0.0", "parameters": {"a": {"value": 1}, "b": {"value": {"k": "v"}}}}`,
			map[string]any{"a": int64(1), "b": map[string]any{"k": "v"}}, ""},
		{`{"parameters": {"a": {"value": "x"}}}`, map[string]any{"a": "x"}, ""},
		{`{"a": "plain", "b": 2}`, map[string]any{"a": "plain", "b": int64(2)}, ""},
		{`{"parameters": {"a": {"reference": {"keyVault": {}}}}}`, nil, "Key Vault"},
		{`{"parameters": {"a": 1}}`, nil, `expected an object with "value"`},
		{`[1]`, nil, "expected a JSON object"},
		{`{"a": `, nil, "line 1"},
	}
	for _, tc := range tests {
		got, err := ParseParametersFile([]byte(tc.in))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("%s: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Fatalf("%s: got %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestSecureValuesStayOutOfErrors(t *testing.T) {
	tmpl := `{"parameters": {"pin": {"type": "securestring", "allowedValues": ["1111"]}}, "resources": []}`
	_, err := Deploy([]byte(tmpl), map[string]any{"pin": "9876"}, testEnv)
	if err == nil || strings.Contains(err.Error(), "9876") {
		t.Fatalf("want an allowedValues error without the value, got %v", err)
	}
}

func TestRedactedParameters(t *testing.T) {
	tmpl := []byte(`{"parameters": {"user": {"type": "string"}, "pass": {"type": "SecureString"}, "cfg": {"type": "secureObject"}}}`)
	got := RedactedParameters(tmpl, map[string]any{"User": "bob", "pass": "pw", "cfg": map[string]any{"k": "v"}, "extra": "x"})
	want := map[string]any{"User": "bob", "pass": Redacted, "cfg": Redacted, "extra": Redacted}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestDeployRejectsBadTemplates(t *testing.T) {
	tests := []struct{ in, contain string }{
		{`not json`, "decoding template"},
		{`[]`, "must be a JSON object"},
		{`{"resources": {"a": 1}}`, "resources.a: expected an object"},
		{`{"resources": [{"type": "A.B/c", "name": "p", "resources": []}]}`, "child resources"},
		{`{"resources": [{"type": "Microsoft.Resources/deployments", "name": "d", "properties": {"templateLink": {"uri": "x"}}}]}`, "linked templates"},
		{`{"resources": [{"name": "n"}]}`, "needs a type"},
		{`{"resources": [{"type": "A.B/c", "name": "n", "condition": "[parameters('x')]"}]}`, `parameter "x" is not defined`},
		{`{"parameters": {"p": {"type": "weird"}}, "resources": []}`, "unknown parameter type"},
	}
	for _, tc := range tests {
		_, err := Deploy([]byte(tc.in), nil, testEnv)
		if err == nil || !strings.Contains(err.Error(), tc.contain) {
			t.Errorf("%s: error %v, want %q", tc.in, err, tc.contain)
		}
	}
}

func TestParametersList(t *testing.T) {
	got, err := Parameters([]byte(`{"parameters": {
	  "b": {"type": "securestring", "defaultValue": "hidden"},
	  "a": {"type": "string", "defaultValue": "[parameters('b')]", "allowedValues": ["x", "y"]},
	  "c": {"type": "int"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []ParamDecl{
		{Name: "a", Type: "string", HasDefault: true, Default: "[parameters('b')]", AllowedValues: []any{"x", "y"}},
		{Name: "b", Type: "securestring", Secure: true, HasDefault: true},
		{Name: "c", Type: "int"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if _, err := Parameters([]byte(`{"parameters": {"a": 1}}`)); err == nil || !strings.Contains(err.Error(), "parameters.a") {
		t.Fatalf("want a path error, got %v", err)
	}
}

func TestErrorsFlatten(t *testing.T) {
	tmpl := `{"resources": [
	  {"type": "A.B/c", "name": "[nosuch()]"},
	  {"type": "A.B/c", "name": "ok", "properties": {"x": "[parameters('p')]"}}
	]}`
	_, err := Deploy([]byte(tmpl), nil, testEnv)
	es := Errors(err)
	if len(es) != 2 || es[0].Path != "resources[0].name" || es[1].Path != "resources[1].properties.x" || es[1].Resource != "ok" {
		for _, e := range es {
			t.Logf("%q %q %v", e.Path, e.Resource, e.Err)
		}
		t.Fatalf("Errors() = %d errors", len(es))
	}
	if Errors(nil) != nil {
		t.Fatal("Errors(nil) != nil")
	}
	if es := Errors(errors.New("plain")); len(es) != 1 || es[0].Path != "" {
		t.Fatalf("plain error: %v", es)
	}
}

func TestDeployOutputsAndInputUntouched(t *testing.T) {
	raw := `{
	  "parameters": {"p": {"type": "string", "defaultValue": "v"}},
	  "variables": {"copy": [{"name": "vs", "count": 2, "input": "[concat(parameters('p'), copyIndex('vs'))]"}]},
	  "resources": [{"type": "A.B/c", "name": "[parameters('p')]", "properties": {"copy": [{"name": "xs", "count": 1, "input": "[variables('vs')[1]]"}]}}],
	  "outputs": {
	    "skipped": {"type": "string", "condition": "[equals(parameters('p'), 'other')]", "value": "[nosuch()]"},
	    "kept":    {"type": "array", "condition": true, "value": "[variables('vs')]"}
	  }
	}`
	v, err := DecodeJSON([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := v.(map[string]any)
	before := deepCopy(tmpl)
	res, err := DeployValue(tmpl, nil, testEnv)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tmpl, before) {
		t.Fatal("DeployValue modified its input")
	}
	if !reflect.DeepEqual(res.Outputs, map[string]any{"kept": []any{"v0", "v1"}}) {
		t.Fatalf("outputs = %v", res.Outputs)
	}
	if got := res.Resources[0].Body["properties"]; !reflect.DeepEqual(got, map[string]any{"xs": []any{"v1"}}) {
		t.Fatalf("property copy = %v", got)
	}

	bad := []struct{ in, contain string }{
		{`{"resources": [], "outputs": {"o": {"type": "string"}}}`, "outputs.o: an output needs a value"},
		{`{"resources": [], "outputs": {"o": {"type": "array", "copy": {"count": -1, "input": 1}}}}`, "outputs.o.copy: copy count -1"},
		{`{"resources": [], "outputs": {"o": {"type": "string", "condition": "[nosuch()]", "value": 1}}}`, "outputs.o.condition"},
		{`{"resources": [], "outputs": {"o": {"type": "string", "value": "[nosuch()]"}}}`, "outputs.o.value"},
		{`{"resources": [], "outputs": 1}`, "outputs: expected an object"},
		{`{"resources": [], "variables": {"copy": [{"count": 1, "input": 1}]}}`, "variables.copy[0]: a copy entry needs a name"},
		{`{"resources": [], "variables": {"copy": [{"name": "x", "count": "[parameters('n')]", "input": 1}]}}`, `parameter "n" is not defined`},
		{`{"resources": [{"type": "A.B/c", "name": "r", "copy": {"name": "l", "count": "x"}}]}`, "copy count must be an integer"},
		{`{"resources": [{"type": "A.B/c", "name": "r", "copy": {"count": 1}}]}`, "a copy loop needs a name"},
		{`{"resources": [{"type": "A.B/c", "name": "r", "condition": "yes"}]}`, "condition must be a bool"},
		{`{"resources": [{"type": "A.B/c", "name": "r", "dependsOn": "x"}]}`, "dependsOn (resource r): expected an array"},
		{`{"resources": [{"type": "Microsoft.Resources/deployments", "name": "d", "properties": {"template": {"resources": []}, "parameters": {"a": 1}}}]}`, "Key Vault references are not supported"},
	}
	for _, tc := range bad {
		_, err := Deploy([]byte(tc.in), nil, testEnv)
		if err == nil || !strings.Contains(err.Error(), tc.contain) {
			t.Errorf("%s: error %v, want %q", tc.in, err, tc.contain)
		}
	}
}

func TestDeployWorkspaceFromEnv(t *testing.T) {
	env := testEnv
	env.Workspace = "codeless"
	tmpl := `{"parameters": {"workspace": {"type": "string"}}, "resources": [], "outputs": {"w": {"type": "string", "value": "[parameters('workspace')]"}}}`
	res, err := Deploy([]byte(tmpl), nil, env)
	if err != nil || res.Outputs["w"] != "codeless" {
		t.Fatalf("got %v, %v", res, err)
	}
	res, err = Deploy([]byte(tmpl), map[string]any{"workspace": "given"}, env)
	if err != nil || res.Outputs["w"] != "given" {
		t.Fatalf("a given workspace wins: %v, %v", res, err)
	}
}
