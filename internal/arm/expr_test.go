package arm

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func testCtx() *Context {
	return &Context{
		Parameters: map[string]any{
			"workspace": "ws1",
			"dcrConfig": map[string]any{"dataCollectionEndpoint": "https://dce", "dataCollectionRuleImmutableId": "dcr-1"},
			"list":      []any{"a", "b", "c"},
			"n":         int64(5),
			"flag":      true,
			"obj":       map[string]any{"b": int64(2), "a": int64(1)},
			"csv":       "x, y ,z",
			"empty":     "",
		},
		Variables:      map[string]any{"v1": "value1", "arr": []any{int64(1), int64(2)}},
		Subscription:   "11111111-2222-3333-4444-555555555555",
		ResourceGroup:  "rg1",
		Location:       "westeurope",
		DeploymentName: "dep1",
		CopyIndex:      map[string]int{"": 2, "loopA": 7},
		Now:            func() time.Time { return time.Date(2024, 3, 5, 7, 8, 9, 123456789, time.UTC) },
		NewGUID:        func() string { return "00000000-0000-0000-0000-00000000abcd" },
	}
}

func TestEvalString(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		// literals and escaping
		{"plain", "plain"},
		{"[[test value]", "[test value]"},
		{"[[parameters('x')]", "[parameters('x')]"},
		{"[test] value", "[test] value"},
		{"[", "["},
		{"[]x", "[]x"},
		{"[concat('it''s')]", "it's"},
		{"[  concat( 'a' , 'b' )  ]", "ab"},
		{"[add(42, -3)]", int64(39)},
		{"[true()]", true},
		{"[false()]", false},
		{"[null()]", nil},
		// parameters, variables, property access, indexing
		{"[parameters('workspace')]", "ws1"},
		{"[PARAMETERS('WORKSPACE')]", "ws1"},
		{"[parameters('dcrConfig').dataCollectionEndpoint]", "https://dce"},
		{"[parameters('dcrConfig').DATACOLLECTIONENDPOINT]", "https://dce"},
		{"[parameters('dcrConfig')['dataCollectionRuleImmutableId']]", "dcr-1"},
		{"[parameters('list')[1]]", "b"},
		{"[variables('v1')]", "value1"},
		{"[variables('arr')[0]]", int64(1)},
		// concat and format
		{"[concat(parameters('workspace'),'/Microsoft.SecurityInsights/', 'x')]", "ws1/Microsoft.SecurityInsights/x"},
		{"[concat('a', 1, true())]", "a1True"},
		{"[concat(createArray(1), createArray(2, 3))]", []any{int64(1), int64(2), int64(3)}},
		{"[concat()]", ""},
		{"[format('{0}-{1}', 'a', 2)]", "a-2"},
		{"[format('{{{0}}}', 'x')]", "{x}"},
		{"[format('{0,5}|{0,-3}|', 'ab')]", "   ab|ab |"},
		{"[format('{0:D3} {1:N1} {2:X}', 7, 1234.56, 255)]", "007 1,234.6 FF"},
		// strings
		{"[split('a,b,,c', ',')]", []any{"a", "b", "", "c"}},
		{"[split('a;b,c', createArray(';', ','))]", []any{"a", "b", "c"}},
		{"[trim('  x  ')]", "x"},
		{"[trim(split(parameters('csv'), ',')[1])]", "y"},
		{"[length('héllo')]", int64(5)},
		{"[length(parameters('list'))]", int64(3)},
		{"[length(parameters('obj'))]", int64(2)},
		{"[toLower('AbC')]", "abc"},
		{"[toUpper('AbC')]", "ABC"},
		{"[replace('b', 'b', '')]", ""},
		{"[replace('a-b-c', '-', '/')]", "a/b/c"},
		{"[substring('abcdef', 2)]", "cdef"},
		{"[substring('abcdef', 1, 3)]", "bcd"},
		{"[take('abcdef', 3)]", "abc"},
		{"[take('ab', 10)]", "ab"},
		{"[take(parameters('list'), 2)]", []any{"a", "b"}},
		{"[skip('abcdef', 4)]", "ef"},
		{"[skip(parameters('list'), 2)]", []any{"c"}},
		{"[first('abc')]", "a"},
		{"[last('abc')]", "c"},
		{"[first(parameters('list'))]", "a"},
		{"[last(split('/subscriptions/sub-1', '/'))]", "sub-1"},
		{"[first(createArray())]", nil},
		{"[startsWith('HelloWorld', 'hello')]", true},
		{"[endsWith('HelloWorld', 'WORLD')]", true},
		{"[indexOf('abcABC', 'B')]", int64(1)},
		{"[lastIndexOf('abcABC', 'b')]", int64(4)},
		{"[indexOf('abc', 'z')]", int64(-1)},
		{"[padLeft('7', 3, '0')]", "007"},
		{"[padLeft(12, 4)]", "  12"},
		{"[base64('one, two')]", "b25lLCB0d28="},
		{"[base64ToString('b25lLCB0d28=')]", "one, two"},
		{"[string(1)]", "1"},
		{"[string(true())]", "True"},
		{"[string(createObject('a', 1))]", `{"a":1}`},
		{"[string(createArray('a', 'b'))]", `["a","b"]`},
		// logic and comparison
		{"[if(parameters('flag'), 'yes', 'no')]", "yes"},
		{"[if(equals(1, 2), parameters('missing'), 'lazy')]", "lazy"},
		{"[equals('a', 'a')]", true},
		{"[equals(1, 1.0)]", true},
		{"[equals(createArray(1, 'x'), createArray(1, 'x'))]", true},
		{"[not(true())]", false},
		{"[and(true(), true(), false())]", false},
		{"[or(false(), true())]", true},
		{"[empty('')]", true},
		{"[empty(parameters('list'))]", false},
		{"[empty(createObject())]", true},
		{"[empty(null())]", true},
		{"[contains('Hello', 'ELL')]", true},
		{"[contains(parameters('list'), 'c')]", true},
		{"[contains(parameters('list'), 'z')]", false},
		{"[contains(parameters('obj'), 'A')]", true},
		{"[less(1, 2)]", true},
		{"[greater('b', 'a')]", true},
		{"[lessOrEquals(2, 2)]", true},
		{"[greaterOrEquals(1, 2)]", false},
		// numbers
		{"[add(2, 3)]", int64(5)},
		{"[sub(2, 3)]", int64(-1)},
		{"[mul(4, 3)]", int64(12)},
		{"[div(7, 2)]", int64(3)},
		{"[mod(7, 2)]", int64(1)},
		{"[int('42')]", int64(42)},
		{"[int(parameters('n'))]", int64(5)},
		{"[bool('TRUE')]", true},
		{"[bool(0)]", false},
		{"[min(3, 1, 2)]", int64(1)},
		{"[max(createArray(3, 9, 2))]", int64(9)},
		{"[range(2, 3)]", []any{int64(2), int64(3), int64(4)}},
		// collections
		{"[json('{\"a\":[1,2.5,null]}')]", map[string]any{"a": []any{int64(1), 2.5, nil}}},
		{"[json('null')]", nil},
		{"[createObject('k', 'v', 'n', 1)]", map[string]any{"k": "v", "n": int64(1)}},
		{"[union(createArray(1, 2), createArray(2, 3))]", []any{int64(1), int64(2), int64(3)}},
		{"[union(createObject('a', createObject('x', 1)), createObject('a', createObject('y', 2), 'b', 3))]",
			map[string]any{"a": map[string]any{"x": int64(1), "y": int64(2)}, "b": int64(3)}},
		{"[coalesce(null(), null(), 'x')]", "x"},
		{"[array('x')]", []any{"x"}},
		{"[array(parameters('list'))]", []any{"a", "b", "c"}},
		{"[items(parameters('obj'))]", []any{map[string]any{"key": "a", "value": int64(1)}, map[string]any{"key": "b", "value": int64(2)}}},
		// copy loops
		{"[copyIndex()]", int64(2)},
		{"[copyIndex(1)]", int64(3)},
		{"[copyIndex('loopA')]", int64(7)},
		{"[copyIndex('loopa', 10)]", int64(17)},
		// deployment environment
		{"[subscription().subscriptionId]", "11111111-2222-3333-4444-555555555555"},
		{"[last(split(subscription().id, '/'))]", "11111111-2222-3333-4444-555555555555"},
		{"[resourceGroup().name]", "rg1"},
		{"[resourceGroup().location]", "westeurope"},
		{"[deployment().name]", "dep1"},
		{"[resourceId('Microsoft.OperationalInsights/workspaces', parameters('workspace'))]",
			"/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg1/providers/Microsoft.OperationalInsights/workspaces/ws1"},
		{"[resourceId('otherRg', 'Microsoft.Network/virtualNetworks/subnets', 'vnet', 'sn')]",
			"/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/otherRg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/sn"},
		{"[resourceId('sub2', 'rg2', 'Microsoft.Storage/storageAccounts', 'st')]",
			"/subscriptions/sub2/resourceGroups/rg2/providers/Microsoft.Storage/storageAccounts/st"},
		{"[extensionResourceId(resourceId('Microsoft.OperationalInsights/workspaces', 'ws1'), 'Microsoft.SecurityInsights/dataConnectorDefinitions', 'Def1')]",
			"/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg1/providers/Microsoft.OperationalInsights/workspaces/ws1/providers/Microsoft.SecurityInsights/dataConnectorDefinitions/Def1"},
		{"[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'r1')]",
			"/subscriptions/11111111-2222-3333-4444-555555555555/providers/Microsoft.Authorization/roleDefinitions/r1"},
		{"[newGuid()]", "00000000-0000-0000-0000-00000000abcd"},
		{"[utcNow()]", "20240305T070809Z"},
		{"[utcNow('u')]", "2024-03-05 07:08:09Z"},
		{"[utcNow('yyyy-MM-ddTHH:mm:ss.fffZ')]", "2024-03-05T07:08:09.123Z"},
		// uniqueString inside an expression, as solutions use it
		{"[uniquestring('aaa')]", "zavj67f3en4hc"},
		{"[uniqueString('xxx', 'yyy', 'zzz')]", "lghi7k5js7itq"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := EvalString(tc.in, testCtx())
			if err != nil {
				t.Fatalf("EvalString(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("EvalString(%q) = %#v, want %#v", tc.in, got, tc.want)
			}
		})
	}
}

func TestEvalStringErrors(t *testing.T) {
	tests := []struct {
		in      string
		pos     int    // expected position (0: any)
		contain string // expected text in the error
	}{
		{"[foo('x')]", 2, `unsupported function "foo"`},
		{"[concat('a', bar(1))]", 14, `unsupported function "bar"`},
		{"[concat('a'", 0, ""}, // not an expression: no closing bracket → literal, checked below
		{"[concat('a']", 12, `expected "," or ")"`},
		{"[concat('a)]", 9, "unterminated string literal"},
		{"[parameters('nope')]", 2, `parameter "nope" is not defined`},
		{"[variables('nope')]", 2, `variable "nope" is not defined`},
		{"[parameters('list')[7]]", 20, "out of range"},
		{"[parameters('dcrConfig').missing]", 25, `no property "missing"`},
		{"['just a string']", 2, "must start with a function call"},
		{"[concat('parameters('workspace')', '/x')]", 22, `expected "," or ")"`},
		{"[div(1, 0)]", 2, "division by zero"},
		{"[substring('abc', 5)]", 2, "out of range"},
		{"[int('x')]", 2, "cannot convert"},
		{"[copyIndex('other')]", 2, "no copy loop"},
		{"[reference('id')]", 2, "not supported"},
		{"[length(1)]", 2, "must be a string, array or object"},
		{"[if(1, 'a', 'b')]", 5, "condition must be a bool"},
		{"[]", 0, ""}, // "[]" is too short to be an expression: literal
		{"[ ]", 2, "empty expression"},
		{"[concat('a',,)]", 13, "expected a function call"},
		{"[concat('a') extra]", 14, "unexpected identifier"},
		{"[a.b()]", 3, `expected "(" after function name "a"`},
		{"[concat('a')#]", 13, "unexpected character"},
		{"[replace('a', '', 'b')]", 2, "must not be empty"},
		{"[format('{5}', 'a')]", 2, "index 5"},
		{"[createObject('a')]", 2, "even number"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := EvalString(tc.in, testCtx())
			if tc.contain == "" {
				if err != nil || got != tc.in {
					t.Fatalf("EvalString(%q) = %v, %v; want the literal back", tc.in, got, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("EvalString(%q) = %#v, want an error", tc.in, got)
			}
			if !strings.Contains(err.Error(), tc.contain) {
				t.Fatalf("error %q does not contain %q", err, tc.contain)
			}
			var ee *ExprError
			if !errors.As(err, &ee) {
				t.Fatalf("error %v is not an *ExprError", err)
			}
			if tc.pos != 0 && ee.Pos != tc.pos {
				t.Fatalf("error %q at position %d, want %d", err, ee.Pos, tc.pos)
			}
		})
	}
}

func TestMissingErrorIsTyped(t *testing.T) {
	_, err := EvalString("[concat('a', parameters('Secret'))]", &Context{})
	var me *MissingError
	if !errors.As(err, &me) || me.Kind != "parameter" || me.Name != "Secret" {
		t.Fatalf("want MissingError{parameter, Secret}, got %v", err)
	}
}

func TestParseExprRoundTrip(t *testing.T) {
	tests := []struct{ in, want string }{
		{"[concat(parameters('a'), 'it''s')]", "concat(parameters('a'), 'it''s')"},
		{"parameters('dcrConfig').dataCollectionEndpoint", "parameters('dcrConfig').dataCollectionEndpoint"},
		{"[variables('x')[0]['k']]", "variables('x')[0]['k']"},
		{"[add(1, -2)]", "add(1, -2)"},
	}
	for _, tc := range tests {
		e, err := ParseExpr(tc.in)
		if err != nil {
			t.Fatalf("ParseExpr(%q): %v", tc.in, err)
		}
		if got := e.String(); got != tc.want {
			t.Fatalf("ParseExpr(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestExpressionTooLong(t *testing.T) {
	s := "[concat('" + strings.Repeat("a", MaxExprLen) + "')]"
	if _, err := ParseExpr(s); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("want a length error, got %v", err)
	}
}

func TestDeepNestingIsAnError(t *testing.T) {
	s := "[" + strings.Repeat("concat(", 500) + "'a'" + strings.Repeat(")", 500) + "]"
	if _, err := ParseExpr(s); err == nil || !strings.Contains(err.Error(), "too deeply") {
		t.Fatalf("want a nesting error, got %v", err)
	}
}

// Published uniqueString() outputs: the Kingsland ARM linter's notes on values
// produced by Azure ("aaa", "bbb", "zzz", and three arguments), and
// microsoft/commercial-marketplace-offer-deploy's test of a value produced by
// an ARM deployment for a VM resource id.
func TestUniqueStringVectors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"aaa"}, "zavj67f3en4hc"},
		{[]string{"bbb"}, "w5eragfxe33cy"},
		{[]string{"zzz"}, "cryksdzzzawae"},
		{[]string{"xxx", "yyy", "zzz"}, "lghi7k5js7itq"},
		{[]string{"/subscriptions/31e9f9a0-9fd2-4294-a0a3-0101246d9700/resourceGroups/rg-modm201-20230913120256/providers/Microsoft.Compute/virtualMachines/bobjacmodm201"}, "yvjxno3je5on2"},
	}
	for _, tc := range tests {
		args := make([]any, len(tc.args))
		for i, a := range tc.args {
			args[i] = a
		}
		got, err := fnUniqueString(nil, args)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("uniqueString(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
	// every length class of the hash tail (0..7 remaining bytes) yields 13
	// base32 characters and distinct values
	seen := map[string]string{}
	for n := 0; n <= 17; n++ {
		s := strings.Repeat("q", n)
		u := UniqueString(s)
		if len(u) != 13 || strings.Trim(u, "abcdefghijklmnopqrstuvwxyz234567") != "" {
			t.Fatalf("UniqueString(%q) = %q: not 13 base32 characters", s, u)
		}
		if prev, dup := seen[u]; dup {
			t.Fatalf("UniqueString(%q) == UniqueString(%q)", s, prev)
		}
		seen[u] = s
	}
}

func TestUniqueStringRejectsNonStrings(t *testing.T) {
	if _, err := EvalString("[uniqueString(1)]", &Context{}); err == nil {
		t.Fatal("want an error for a non-string argument")
	}
}

// guid() is a UUID v5 in ARM's namespace over the '-'-joined arguments.
// The expected values were computed independently with Python's
// uuid.uuid5(UUID('11fb06fb-712d-4ddd-98c7-e71bbd588830'), name).
func TestGUIDVectors(t *testing.T) {
	tests := []struct {
		args []any
		want string
	}{
		{[]any{"a"}, "3703365d-5a9f-59b4-bca7-b9681389e4c1"},
		{[]any{"sub", "rg"}, "13736e8c-f55a-5b5a-988b-60fbe12cd8cf"},
	}
	for _, tc := range tests {
		got, err := fnGUID(nil, tc.args)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("guid(%v) = %v, want %v", tc.args, got, tc.want)
		}
	}
}

func TestFunctionsListed(t *testing.T) {
	required := strings.Fields(`parameters variables concat format uniquestring guid newguid split trim length copyindex contains int string bool json if equals not and or empty tolower toupper replace substring take skip first last startswith endswith createarray createobject union coalesce base64 base64tostring resourceid extensionresourceid subscriptionresourceid subscription resourcegroup deployment utcnow indexof lastindexof padleft add sub mul div mod less greater array items true false null`)
	have := map[string]bool{}
	for _, f := range Functions() {
		have[f] = true
	}
	for _, r := range required {
		if !have[r] {
			t.Errorf("function %s is missing", r)
		}
	}
}

func TestGUIDHelperMatchesFunction(t *testing.T) {
	got, err := EvalString("[guid('sub', 'rg')]", &Context{})
	if err != nil {
		t.Fatal(err)
	}
	if got != GUID("sub", "rg") {
		t.Fatalf("guid() = %v, GUID() = %v", got, GUID("sub", "rg"))
	}
}

func TestFunctionArgumentErrors(t *testing.T) {
	tests := []struct{ in, contain string }{
		{"[parameters(1)]", "must be a string"},
		{"[parameters()]", "expects 1 argument"},
		{"[concat(createArray(1), 'x')]", "must be an array like the first"},
		{"[concat('x', createArray(1))]", "must be a string like the first"},
		{"[format(1)]", "must be a string"},
		{"[format('{0')]", "unterminated"},
		{"[format('}')]", "unmatched"},
		{"[format('{0:Q}', 1)]", "unsupported format specifier"},
		{"[format('{0:D}', 'x')]", "needs a number"},
		{"[format('{x}', 1)]", "invalid index"},
		{"[format('{0,x}', 1)]", "invalid alignment"},
		{"[guid()]", "at least 1"},
		{"[newGuid(1)]", "expects 0"},
		{"[split(1, ',')]", "must be a string"},
		{"[split('a', 1)]", "string or an array"},
		{"[split('a', createArray(1))]", "must be a string"},
		{"[trim(1)]", "must be a string"},
		{"[copyIndex(true())]", "loop name or an offset"},
		{"[copyIndex('a', 'b')]", "must be an integer"},
		{"[contains(1, 'a')]", "must be a string, array or object"},
		{"[contains(createObject('a', 1), 1)]", "must be a string"},
		{"[contains('abc', createArray())]", "must be a string"},
		{"[int(createArray())]", "cannot convert"},
		{"[bool('maybe')]", "cannot convert"},
		{"[bool(createArray())]", "cannot convert"},
		{"[json('{')]", "parsing JSON"},
		{"[json(1)]", "must be a string"},
		{"[not(1)]", "must be a bool"},
		{"[and(true())]", "at least 2"},
		{"[or(true(), 'x')]", "must be a bool"},
		{"[empty(1)]", "must be a string, array, object or null"},
		{"[toLower(1)]", "must be a string"},
		{"[replace('a', 1, 'b')]", "must be a string"},
		{"[substring('abc', 1, 5)]", "out of range"},
		{"[substring('abc', 'x')]", "must be an integer"},
		{"[take(1, 1)]", "string or an array"},
		{"[skip('a', 'b')]", "must be an integer"},
		{"[first(1)]", "string or an array"},
		{"[startsWith('a', 1)]", "must be a string"},
		{"[padLeft(true(), 3)]", "string or an integer"},
		{"[padLeft('a', 3, 'xy')]", "one character"},
		{"[padLeft('a', 100000)]", "exceeds the limit"},
		{"[createObject(1, 2)]", "must be a string"},
		{"[union(createArray(), createObject())]", "must be an array like the first"},
		{"[union(createObject(), createArray())]", "must be an object like the first"},
		{"[union('a')]", "arrays or objects"},
		{"[base64ToString('%%%')]", "decoding base64"},
		{"[resourceId('noType')]", "expects"},
		{"[resourceId('A.B/c/d', 'x')]", "needs 2 name segment"},
		{"[subscriptionResourceId('x')]", "expects"},
		{"[extensionResourceId('/x', 'A.B/c')]", "expects"},
		{"[tenantResourceId('A.B/c')]", "expects"},
		{"[subscription(1)]", "expects 0"},
		{"[utcNow('Q')]", "unsupported standard date format"},
		{"[utcNow('''x')]", "unterminated quoted literal"},
		{"[add(1, 'x')]", "must be an integer"},
		{"[mod(1, 0)]", "division by zero"},
		{"[less(1, 'a')]", "cannot compare a number"},
		{"[less('a', 1)]", "cannot compare a string"},
		{"[less(true(), 1)]", "numbers or strings"},
		{"[min()]", "at least one"},
		{"[max('a')]", "must be an integer"},
		{"[range(1, -1)]", "between 0 and 10000"},
		{"[items(1)]", "must be an object"},
		{"[true(1)]", "expects 0"},
		{"[if(true(), 1)]", "expects 3"},
		{"[createArray(1)[0].x]", "cannot read property"},
		{"[null().x]", "of null"},
		{"[null()[0]]", "cannot index null"},
		{"[createArray(1)['a']]", "must be an integer"},
		{"[createObject('a', 1)[0]]", "must be a string"},
		{"['a'[0]]", "must start with a function call"},
		{"[string(1)[0]]", "cannot index a string"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			v, err := EvalString(tc.in, testCtx())
			if err == nil {
				t.Fatalf("EvalString(%q) = %#v, want an error containing %q", tc.in, v, tc.contain)
			}
			if !strings.Contains(err.Error(), tc.contain) {
				t.Fatalf("error %q does not contain %q", err, tc.contain)
			}
		})
	}
}

func TestMoreFunctionResults(t *testing.T) {
	ctx := testCtx()
	ctx.Reference = func(id, api string) (any, error) {
		return map[string]any{"id": id, "api": api}, nil
	}
	ctx.TenantID = "tenant-1"
	tests := []struct {
		in   string
		want any
	}{
		{"[tenantResourceId('Microsoft.Management/managementGroups', 'mg')]", "/providers/Microsoft.Management/managementGroups/mg"},
		{"[subscriptionResourceId('sub9', 'Microsoft.Resources/resourceGroups', 'rg')]", "/subscriptions/sub9/providers/Microsoft.Resources/resourceGroups/rg"},
		{"[subscription().tenantId]", "tenant-1"},
		{"[reference('/x', '2022-01-01').api]", "2022-01-01"},
		{"[utcNow('s')]", "2024-03-05T07:08:09"},
		{"[utcNow('o')]", "2024-03-05T07:08:09.1234567Z"},
		{"[utcNow('d')]", "3/5/2024"},
		{"[utcNow('D')]", "Tuesday, March 5, 2024"},
		{"[utcNow('dddd d MMM yy h:m tt K')]", "Tuesday 5 Mar 24 7:8 AM Z"},
		{"[utcNow('yyyy-MM-dd''T''HH:mm:ss.FFFFFFF zzz')]", "2024-03-05T07:08:09.1234567 +00:00"},
		{"[utcNow('MMMM \\d')]", "March d"},
		{"[deployment().properties.template.contentVersion]", ""},
		{"[int(3.9)]", int64(3)},
		{"[int(true())]", int64(1)},
		{"[bool(true())]", true},
		{"[bool(2)]", true},
		{"[string(null())]", ""},
		{"[string(1.5)]", "1.5"},
		{"[format('{0:x4} {1:F} {2:D} {3:N0}', 255, 2, -7, -1234567)]", "00ff 2.00 -7 -1,234,567"},
		{"[contains(null(), 'a')]", false},
		{"[length(null())]", int64(0)},
		{"[take(null(), 1)]", nil},
		{"[last(createArray())]", nil},
		{"[first('')]", ""},
		{"[skip('abc', -1)]", "abc"},
		{"[equals(createObject('a', 1), createObject('a', 1))]", true},
		{"[equals(createObject('a', 1), createObject('a', 2))]", false},
		{"[equals(createArray(1), createArray(1, 2))]", false},
		{"[equals(null(), null())]", true},
		{"[equals(true(), 'True')]", false},
		{"[equals(1, '1')]", false},
		{"[greaterOrEquals('b', 'b')]", true},
		{"[lessOrEquals(3, 2)]", false},
		{"[concat(createArray(1), null())]", []any{int64(1)}},
		{"[coalesce()]", nil},
		{"[padLeft('abc', 2)]", "abc"},
	}
	for _, tc := range tests {
		got, err := EvalString(tc.in, ctx)
		if err != nil {
			t.Errorf("EvalString(%q): %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("EvalString(%q) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}
