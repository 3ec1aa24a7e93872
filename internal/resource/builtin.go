package resource

import (
	"strings"
)

// BuiltinFlow finds the data flow that carries a built-in stream a poller
// names but the DCR does not declare (reference corpus-stats §11.4):
// Sentinel's own connectors poll into SENTINEL_CROWDSTRIKEALERTS or
// ILUMIO_INSIGHTS while their DCRs route Microsoft-SentinelCrowdStrikeAlerts
// or Microsoft-IlumioInsights, without a transform, to the table of that
// name. The names are compared without the Microsoft- prefix, case, '_' and
// '-'. Only a flow without a transform qualifies (no declaration says what
// columns a transform would read), and Custom-* streams never match. It
// returns the flow's index and its Microsoft-* stream name.
func (d *DCR) BuiltinFlow(stream string) (index int, dcrStream string, ok bool) {
	if stream == "" || strings.HasPrefix(strings.ToLower(stream), "custom-") {
		return 0, "", false
	}
	if _, declared := d.Stream(stream); declared {
		return 0, "", false
	}
	want := builtinKey(stream)
	for i, f := range d.DataFlows {
		if t := strings.TrimSpace(f.TransformKQL); t != "" && t != "source" {
			continue
		}
		for _, s := range f.Streams {
			if strings.HasPrefix(strings.ToLower(s), "microsoft-") && builtinKey(s) == want {
				return i, s, true
			}
		}
	}
	return 0, "", false
}

func builtinKey(s string) string {
	s = strings.TrimPrefix(strings.ToLower(s), "microsoft-")
	return strings.NewReplacer("_", "", "-", "").Replace(s)
}

// TypeOrAlias returns the auth type: Type, or when that is empty the value
// of the undocumented "AuthType" key some corpus steps use instead (Cisco
// ETD's download step: {"AuthType": "None"}, a presigned URL that must not
// get the parent's token). Validation still warns about the alias.
func (a *Auth) TypeOrAlias() string {
	if a.Type != "" {
		return a.Type
	}
	if v, ok := field(a.Fields, "authType"); ok {
		if s, ok := v.(string); ok {
			return strings.TrimSpace(s)
		}
	}
	return ""
}
