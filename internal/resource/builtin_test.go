package resource

import "testing"

func TestBuiltinFlow(t *testing.T) {
	d := &DCR{
		StreamDeclarations: []StreamDeclaration{{Name: "Custom-Declared"}},
		DataFlows: []DataFlow{
			{Streams: []string{"Microsoft-SentinelCrowdStrikeVulnerabilities"}},
			{Streams: []string{"Microsoft-SentinelCrowdStrikeAlerts"}},
			{Streams: []string{"Microsoft-IlumioInsights"}, TransformKQL: "source"},
			{Streams: []string{"Microsoft-Transformed"}, TransformKQL: "source | where x > 1"},
			{Streams: []string{"Custom-Declared"}},
		},
	}
	tests := []struct {
		stream string
		index  int
		want   string
		ok     bool
	}{
		{"SENTINEL_CROWDSTRIKEALERTS", 1, "Microsoft-SentinelCrowdStrikeAlerts", true},
		{"sentinel-crowdstrike-vulnerabilities", 0, "Microsoft-SentinelCrowdStrikeVulnerabilities", true},
		{"ILUMIO_INSIGHTS", 2, "Microsoft-IlumioInsights", true},
		{"TRANSFORMED", 0, "", false}, // a flow with a transform needs a declaration
		{"Custom-SentinelCrowdStrikeAlerts", 0, "", false},
		{"Custom-Declared", 0, "", false}, // declared: not a built-in
		{"SENTINEL_CROWDSTRIKEHOSTS", 0, "", false},
		{"", 0, "", false},
	}
	for _, tc := range tests {
		i, s, ok := d.BuiltinFlow(tc.stream)
		if ok != tc.ok || s != tc.want || (ok && i != tc.index) {
			t.Errorf("BuiltinFlow(%q) = %d %q %v, want %d %q %v", tc.stream, i, s, ok, tc.index, tc.want, tc.ok)
		}
	}
}

func TestAuthTypeOrAlias(t *testing.T) {
	for _, tc := range []struct {
		a    Auth
		want string
	}{
		{Auth{Type: "Basic", Fields: map[string]any{"AuthType": "None"}}, "Basic"},
		{Auth{Fields: map[string]any{"AuthType": " None "}}, "None"},
		{Auth{Fields: map[string]any{"authtype": "APIKey"}}, "APIKey"},
		{Auth{Fields: map[string]any{"AuthType": 3}}, ""},
		{Auth{}, ""},
	} {
		if got := tc.a.TypeOrAlias(); got != tc.want {
			t.Errorf("%+v: TypeOrAlias() = %q, want %q", tc.a, got, tc.want)
		}
	}
}
