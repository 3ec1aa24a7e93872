package lint

import (
	"testing"

	"github.com/codeless/codeless/internal/resource"
)

// FuzzCheck feeds arbitrary documents through decoding and every lint check
// (including the KQL, JSONPath and time-format compilers): no panic, no hang.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{okPoller, okDCR, okTable, okDef, `[` + okDCR + `,` + okTable + `]`,
		`{"kind":"RestApiPoller","properties":{"stepInfo":{"nextSteps":[{"stepId":"a","stepPlaceholdersParsingKql":"source | mvexpand x"}]},"stepCollectorConfigs":{"a":{"request":{"apiEndpoint":"$x$"}}}}}`,
		`{"type":"Microsoft.Insights/dataCollectionRules","properties":{"streamDeclarations":{"Custom-A":{"columns":[{"name":"a","type":"dynamic"}]}},"dataFlows":[{"streams":["Custom-A"],"transformKql":"source | extend b = a.c[0]","outputStream":"Custom-B_CL"}]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, _ := resource.Decode(data, "fuzz.json")
		for _, c := range set.Connections {
			_ = checkSyntax(c)
			_ = checkSteps(c)
		}
		_ = CrossCheck(set)
	})
}
