package arm

import (
	"errors"
	"testing"
)

func FuzzParseExpr(f *testing.F) {
	for _, s := range []string{
		"[concat(parameters('workspace'),'/Microsoft.SecurityInsights/', 'x')]",
		"[parameters('dcrConfig').dataCollectionEndpoint]",
		"[variables('x')[0]['k']]",
		"[[literal]",
		"[concat('it''s', add(1, -2))]",
		"[if(equals(1,2), 'a', 'b')]",
		"[format('{0:N2}', 1.5)]",
		"[concat('parameters('workspace')', '/x')]",
		"[",
		"['unterminated]",
		"[a.b.c(]",
	} {
		f.Add(s)
	}
	ctx := testCtx()
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseExpr(s)
		if err != nil {
			var ee *ExprError
			if !errors.As(err, &ee) {
				t.Fatalf("ParseExpr(%q): error %v is not an *ExprError", s, err)
			}
			if ee.Pos < 1 || ee.Pos > len(s)+1 {
				t.Fatalf("ParseExpr(%q): position %d out of range", s, ee.Pos)
			}
			return
		}
		// the printed form parses to the same printed form
		again, err := ParseExpr(e.String())
		if err != nil {
			t.Fatalf("ParseExpr(%q) printed %q, which does not parse: %v", s, e.String(), err)
		}
		if again.String() != e.String() {
			t.Fatalf("round trip: %q -> %q", e.String(), again.String())
		}
		// evaluation never panics
		_, _ = Eval(e, ctx)
	})
}

func FuzzDeploy(f *testing.F) {
	f.Add([]byte(`{"parameters":{"p":{"type":"string","defaultValue":"[concat('a','b')]"}},"variables":{"v":"[parameters('p')]"},"resources":[{"type":"A.B/c","name":"[variables('v')]","copy":{"name":"l","count":2},"dependsOn":["x"]}]}`))
	f.Add([]byte(`{"resources":[{"type":"Microsoft.Resources/deployments","name":"d","properties":{"expressionEvaluationOptions":{"scope":"inner"},"template":{"resources":[]}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Deploy(data, map[string]any{}, testEnv)
		if err == nil && res == nil {
			t.Fatal("no error and no result")
		}
		if err != nil && res != nil {
			t.Fatal("an error and a result")
		}
	})
}

func FuzzResolvePlaceholders(f *testing.F) {
	for _, s := range []string{
		"https://[[parameters('domain')]/v1",
		"{{apiKey}}",
		"[[concat('parameters('workspace')', '/x')]",
		"x [[concat('a' y",
		"d[['k']]",
		"{_QueryWindowStartTime} $id$",
	} {
		f.Add(s)
	}
	params := map[string]any{"domain": "example.com", "apiKey": "k", "workspace": "ws"}
	f.Fuzz(func(t *testing.T, s string) {
		out, _, _ := ResolvePlaceholders(map[string]any{"v": s}, params, PlaceholderOptions{Lenient: true})
		if _, ok := out.(map[string]any); !ok {
			t.Fatalf("result %T, want an object", out)
		}
	})
}
