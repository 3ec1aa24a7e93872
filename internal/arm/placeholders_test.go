package arm

import (
	"reflect"
	"strings"
	"testing"
)

func TestResolvePlaceholders(t *testing.T) {
	params := map[string]any{
		"ApiKey":    "k1",
		"domain":    "example.com",
		"pageSize":  int64(100),
		"types":     []any{"a", "b"},
		"enabled":   true,
		"dcrConfig": map[string]any{"dataCollectionEndpoint": "https://dce", "dataCollectionRuleImmutableId": "dcr-9"},
	}
	tests := []struct {
		name       string
		in         any
		opts       PlaceholderOptions
		want       any
		unresolved []string
		errText    string
	}{
		{name: "whole placeholder keeps the type", in: map[string]any{"n": "{{pageSize}}", "t": "{{types}}"},
			want: map[string]any{"n": int64(100), "t": []any{"a", "b"}}},
		{name: "case-insensitive lookup", in: "{{apikey}}", want: "k1"},
		{name: "spliced into text", in: "https://{{domain}}/api?size={{pageSize}}&on={{enabled}}", want: "https://example.com/api?size=100&on=true"},
		{name: "escaped expression", in: "[[concat('https://', parameters('domain'), '/v1')]", want: "https://example.com/v1"},
		{name: "plain expression", in: "[parameters('dcrConfig').dataCollectionEndpoint]", want: "https://dce"},
		{name: "runtime variables untouched", in: []any{"{_QueryWindowStartTime}", "$networkId$", "{{graphQueriesTableName}}", "a [literal] b"},
			want: []any{"{_QueryWindowStartTime}", "$networkId$", "{{graphQueriesTableName}}", "a [literal] b"}},
		{name: "unknown placeholder reported", in: map[string]any{"a": "{{missing}}", "b": "x{{other}}y", "c": "[[parameters('gone')]"},
			want: map[string]any{"a": "{{missing}}", "b": "x{{other}}y", "c": "[[parameters('gone')]"}, unresolved: []string{"gone", "missing", "other"}},
		{name: "undefined variable reported", in: "[[variables('tableName')]", want: "[[variables('tableName')]", unresolved: []string{"variables('tableName')"}},
		{name: "embedded escaped expression", in: "https://[[parameters('domain')]/v1?n=[[parameters('pageSize')]", want: "https://example.com/v1?n=100"},
		{name: "embedded unknown parameter", in: "https://[[parameters('nope')]/v1", want: "https://[[parameters('nope')]/v1", unresolved: []string{"nope"}},
		{name: "embedded syntax error", in: "x [[concat('a' y", want: "x [[concat('a' y", errText: "position"},
		{name: "KQL indexing is not an expression", in: "source | extend v = d[['k']]", want: "source | extend v = d[['k']]"},
		{name: "quoted call repaired", in: "[[concat('parameters('domain')', '/x')]", want: "example.com/x"},
		{name: "syntax error", in: map[string]any{"k": []any{"[[concat('a',]"}}, want: map[string]any{"k": []any{"[[concat('a',]"}}, errText: "k[0]: position"},
		{name: "reference unsupported", in: "[[reference('x').y]", want: "[[reference('x').y]", errText: "reference"},
		{name: "numbers and nulls pass through", in: map[string]any{"a": int64(1), "b": nil, "c": 2.5}, want: map[string]any{"a": int64(1), "b": nil, "c": 2.5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, unresolved, err := ResolvePlaceholders(tc.in, params, tc.opts)
			if tc.errText != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("error %v, want %q", err, tc.errText)
				}
			} else if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
			if len(unresolved) != 0 || len(tc.unresolved) != 0 {
				if !reflect.DeepEqual(unresolved, tc.unresolved) {
					t.Fatalf("unresolved %v, want %v", unresolved, tc.unresolved)
				}
			}
		})
	}
}

func TestResolvePlaceholdersLenient(t *testing.T) {
	in := map[string]any{
		"dcrConfig": map[string]any{
			"dataCollectionEndpoint":        "{{dataCollectionEndpoint}}",
			"dataCollectionRuleImmutableId": "[[parameters('dcrConfig').dataCollectionRuleImmutableId]",
		},
	}
	_, unresolved, err := ResolvePlaceholders(in, nil, PlaceholderOptions{})
	if err == nil && len(unresolved) == 0 {
		t.Fatal("strict mode: want the DCR values reported")
	}
	got, unresolved, err := ResolvePlaceholders(in, nil, PlaceholderOptions{Lenient: true})
	if err != nil || len(unresolved) != 0 {
		t.Fatalf("lenient: %v, %v", unresolved, err)
	}
	want := map[string]any{"dcrConfig": map[string]any{
		"dataCollectionEndpoint":        DefaultDataCollectionEndpoint,
		"dataCollectionRuleImmutableId": DefaultDataCollectionRuleImmutableID,
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	got, _, _ = ResolvePlaceholders(in, map[string]any{"dcrConfig": map[string]any{"dataCollectionEndpoint": "http://given"}},
		PlaceholderOptions{Lenient: true, DataCollectionRuleImmutableID: "dcr-opt"})
	dcr := got.(map[string]any)["dcrConfig"].(map[string]any)
	if dcr["dataCollectionEndpoint"] != "http://given" || dcr["dataCollectionRuleImmutableId"] != "dcr-opt" {
		// {{dataCollectionEndpoint}} takes the given dcrConfig member; the
		// missing member gets the lenient default from the options.
		t.Fatalf("got %v", dcr)
	}
	if in["dcrConfig"].(map[string]any)["dataCollectionEndpoint"] != "{{dataCollectionEndpoint}}" {
		t.Fatal("the input was modified")
	}
}
