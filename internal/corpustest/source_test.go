package corpustest

import (
	"encoding/json"
	"testing"
)

func TestWrapEvents(t *testing.T) {
	ev := []any{map[string]any{"id": 1}}
	for _, tc := range []struct {
		path, want string
		ok         bool
	}{
		{"$", `[{"id":1}]`, true},
		{"$.value", `{"value":[{"id":1}]}`, true},
		{"$.data.issues.nodes", `{"data":{"issues":{"nodes":[{"id":1}]}}}`, true},
		{"$.items[*]", `{"items":[[{"id":1}]]}`, true},
		{"$[*].event", `[{"event":[{"id":1}]}]`, true},
		{"$.data.alerts.edges[*].node", `{"data":{"alerts":{"edges":[{"node":[{"id":1}]}]}}}`, true},
		{"$..cursor", "", false},
		{"$[?(@.a == 'b')].x", "", false},
		{"$.a[0]", "", false},
		{"$['a']", "", false},
		{"a.b", "", false},
	} {
		if _, ok := PathSteps(tc.path); ok != tc.ok {
			t.Errorf("PathSteps(%q) ok = %v, want %v", tc.path, ok, tc.ok)
			continue
		}
		if !tc.ok {
			continue
		}
		b, _ := json.Marshal(WrapEvents(tc.path, ev))
		if string(b) != tc.want {
			t.Errorf("WrapEvents(%q) = %s, want %s", tc.path, b, tc.want)
		}
	}
}
