package check

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/kql/syntax"
	"github.com/codeless/codeless/internal/schema"
)

var update = flag.Bool("update", false, "rewrite golden files")

var input = schema.Schema{
	{Name: "ts", Type: schema.DateTime}, {Name: "eventType", Type: schema.String},
	{Name: "srcIp", Type: schema.String}, {Name: "n", Type: schema.Long},
	{Name: "data", Type: schema.Dynamic}, {Name: "msg", Type: schema.String},
}

func tables(name string) (schema.Schema, bool) {
	if name == "T" {
		return input, true
	}
	return nil, false
}

// TestPlans checks stage plans (fusion, filter placement, naming, types)
// against testdata/plans.golden; run with -update to regenerate.
func TestPlans(t *testing.T) {
	queries := []struct {
		mode Mode
		q    string
	}{
		{ModeTransform, `source | where eventType == "Alert" | project TimeGenerated = ts, SourceIP = srcIp`},
		{ModeTransform, `source | project-rename TimeGenerated = ts | project-away msg | where n > 1`},
		{ModeTransform, `source | extend p = parse_json(msg) | extend a = tostring(p.a), b = toint(p.b) | project-away p`},
		{ModeTransform, `source | extend x = n + 1 | extend y = x * 2 | where y > 4 | project y`},
		{ModeTransform, `source | extend ts = tostring(ts) | project ts, tostring(data.k), data.k, n + 1`},
		{ModeTransform, `source | parse msg with "user=" user " id=" id:long | project user, id`},
		{ModePlaceholder, `source | project res = parse_json(msg) | mvexpand res | project id = tostring(res['id'])`},
		{ModeQuery, `T | summarize count(), max(ts), make_set(srcIp), take_any(n), dcount(eventType) by bin(ts, 1h), tostring(data.k), n + 1`},
		{ModeQuery, `T | summarize Time = max(ts) | where isnotempty(Time)`},
		{ModeQuery, `T | top 3 by n asc | sort by ts | take 2 | count`},
		{ModeQuery, `T | distinct eventType, srcIp | render table`},
		{ModeQuery, `print 1, x = 2, "a"`},
		{ModeQuery, `let S = T | where n > 0; let k = 5; S | extend m = n * k`},
		{ModeQuery, `T | project a = 1, a1 = 2 | project a, b = a`},
	}
	var out strings.Builder
	for _, c := range queries {
		q, err := Check(c.q, Options{Mode: c.mode, Input: input, Tables: tables})
		out.WriteString("== " + c.q + "\n")
		if err != nil {
			out.WriteString("error: " + err.Error() + "\n\n")
			continue
		}
		out.WriteString(q.Describe() + "\n\n")
	}
	golden := filepath.Join("testdata", "plans.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if out.String() != string(want) {
		t.Errorf("plans differ from %s (run go test -update and review the diff):\n%s", golden, out.String())
	}
}

func TestCheckErrors(t *testing.T) {
	cases := []struct {
		mode Mode
		q    string
		want string
	}{
		{ModeTransform, `source | summarize count()`, `line 1, col 10: operator "summarize" is not supported in DCR transformations`},
		{ModePlaceholder, `source | take 1`, `line 1, col 10: operator "take" is not supported in stepPlaceholdersParsingKql`},
		{ModeTransform, `source | project x = trim(" ", msg)`, `line 1, col 22: function "trim" is not supported in DCR transformations`},
		{ModeTransform, `let T = source | where n > 1; T`, `line 1, col 1: tabular let statements are not supported in DCR transformations`},
		{ModeTransform, `source | parse msg with a "," b "," c "," d "," e "," f "," g "," h "," i "," j "," k`, `line 1, col 10: parse extracts 11 columns; DCR transformations allow at most 10 per parse`},
		{ModeQuery, `T | summarize count() by n | project count`, `line 1, col 38: unknown column "count"`},
		{ModeQuery, `T | take n`, `line 1, col 10: expected a constant row count`},
		{ModeQuery, `T | project a = 1, a = 2`, `line 1, col 20: project: a column with the name "a" is already declared`},
		{ModeQuery, `T | project-rename eventType = n`, `line 1, col 20: project-rename: column "eventType" already exists`},
		{ModeQuery, `T | where n between (1 .. "x")`, `line 1, col 11: cannot compare long with string using "between"`},
		{ModeQuery, `T | extend d = data[ts]`, `line 1, col 21: an index must be a string or a whole number, got datetime`},
		{ModeQuery, `T | where ts > 1`, `line 1, col 14: cannot compare datetime with long using ">"`},
		{ModeQuery, `T | extend x = ts + ts`, `line 1, col 19: cannot apply "+" to datetime and datetime`},
		{ModeQuery, `T | summarize avg(msg)`, `line 1, col 19: avg needs a number, got string`},
		{ModeQuery, `let f = (a:long) { a + 1 }; T | extend x = f("s")`, `line 1, col 46: f: argument "a" must be long, got string`},
	}
	for _, c := range cases {
		_, err := Check(c.q, Options{Mode: c.mode, Input: input, Tables: tables})
		if err == nil {
			t.Errorf("%s: no error", c.q)
			continue
		}
		var se *syntax.Error
		if !errors.As(err, &se) {
			t.Errorf("%s: not positioned: %v", c.q, err)
		}
		if first := strings.SplitN(err.Error(), "\n", 2)[0]; !strings.HasPrefix(first, c.want) {
			t.Errorf("%s:\n got %s\nwant %s", c.q, first, c.want)
		}
	}
}

func TestLetExpansionBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("let x0 = now();")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "let x%d = x%d - x%d + 1h;", i, i-1, i-1)
	}
	b.WriteString("source | extend y = x40")
	_, err := Check(b.String(), Options{Mode: ModeTransform, Input: input})
	if err == nil || !strings.Contains(err.Error(), "query is too large once let statements are expanded") {
		t.Fatalf("got %v", err)
	}
}

func TestFunctionExpansionBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("let f0 = (a:long) { a + 1 };")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "let f%d = (a:long) { f%d(a) + f%d(a) };", i, i-1, i-1)
	}
	b.WriteString("source | extend y = f40(n)")
	_, err := Check(b.String(), Options{Mode: ModeTransform, Input: input})
	if err == nil || !strings.Contains(err.Error(), "too many user function expansions") {
		t.Fatalf("got %v", err)
	}
	_, err = Check("let f = (a:long) { f(a) }; source | extend y = f(n)", Options{Mode: ModeTransform, Input: input})
	if err == nil {
		t.Fatal("recursive function accepted")
	}
}

func TestFunctionRegistry(t *testing.T) {
	for _, name := range []string{"iff", "iif", "replace", "replace_string", "replace_regex", "coalesce", "columnifexists", "column_ifexists", "parse_cef_dictionary", "base64_encodestring"} {
		if !IsDCRFunction(name) {
			t.Errorf("%s should be in the DCR subset", name)
		}
	}
	for _, name := range []string{"trim", "bag_pack", "count", "nope"} {
		if IsDCRFunction(name) {
			t.Errorf("%s should not be in the DCR subset", name)
		}
	}
	if len(FunctionNames()) < 90 {
		t.Errorf("only %d functions", len(FunctionNames()))
	}
}
