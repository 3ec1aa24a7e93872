package syntax

import (
	"errors"
	"strings"
	"testing"
)

// TestParseFormat parses queries and compares the canonical rendering.
func TestParseFormat(t *testing.T) {
	cases := []struct{ in, want string }{
		{`source | where eventType == "Alert" | project TimeGenerated = ts, SourceIP = srcIp`,
			`source | where eventType == "Alert" | project TimeGenerated = ts, SourceIP = srcIp`},
		{`T | where a == 1 or b has "x" and c`, `T | where a == 1 or b has "x" and c`},
		{`T | where (a == 1 or b) and c`, `T | where (a == 1 or b) and c`},
		{`print -x * 2 + 3 % 4`, `print -x * 2 + 3 % 4`},
		{`print (-x) * (2 + 3)`, `print (-x) * (2 + 3)`},
		{`print x + 1 > y * 2`, `print x + 1 > y * 2`},
		{`print a - (b - c)`, `print a - (b - c)`},
		{"T // comment\n| take 10", `T | take 10`},
		{`T | limit 5`, `T | take 5`},
		{`T | filter x != 'a' | extend d = res.a.b[0]["c"]`, `T | where x != "a" | extend d = res.a.b[0]["c"]`},
		{`T | project-away a*, b, ['c d']`, `T | project-away a*, b, ['c d']`},
		{`T | project-rename New = Old, ['x y'] = z`, `T | project-rename New = Old, ['x y'] = z`},
		{`T | project-reorder b asc, a`, `T | project-reorder b, a`},
		{`T | summarize count(), max(ts) by bin(ts, 1h), k`, `T | summarize count(), max(ts) by bin(ts, 1h), k`},
		{`T | summarize by k`, `T | summarize by k`},
		{`T | top 3 by x asc nulls last`, `T | top 3 by x asc nulls last`},
		{`T | order by x, y asc`, `T | sort by x desc, y asc`},
		{`T | count`, `T | count`},
		{`T | distinct a, b`, `T | distinct a, b`},
		{`T | distinct *`, `T | distinct *`},
		{`source | project res = parse_json(data) | mvexpand res | project id = tostring(res['id'])`,
			`source | project res = parse_json(data) | mvexpand res | project id = tostring(res["id"])`},
		{`T | mv-expand kind=array with_itemindex=i x to typeof(string), y limit 10`,
			`T | mv-expand kind=array with_itemindex=i x to typeof(string), y limit 10`},
		{`T | parse msg with * "user=" user:string " id=" id:long *`, `T | parse msg with * "user=" user " id=" id:long *`},
		{`T | parse kind=regex flags=i msg with "a" x`, `T | parse kind=regex flags=i msg with "a" x`},
		{`print 1, x=2, 3`, `print 1, x = 2, 3`},
		{`datatable(a:string, b:long) ["x", 1, "y", 2] | where b > 1`, `datatable(a:string, b:long) ["x", 1, "y", 2] | where b > 1`},
		{`union A, (B | where x == 1)`, `union A, (B | where x == 1)`},
		{`union withsource=Src kind=inner isfuzzy=false A, B`, `union kind=inner withsource=Src isfuzzy=false A, B`},
		{`T | union source=['my src'] U`, `T | union withsource=['my src'] U`},
		{`A | join kind=inner (B) on id`, `A | join kind=inner (B) on id`},
		{`A | lookup kind=inner B on id, $left.x == $right.y`, `A | lookup kind=inner (B) on id, $left.x == $right.y`},
		{`T | render timechart`, `T | render timechart`},
		{`T | make-series kind=nonempty n=count() default=-1, avg(x) on ts from ago(1d) to now() step 1h by k`, `T | make-series kind=nonempty n = count() default=-1, avg(x) on ts from ago(1d) to now() step 1h by k`},
		{`T | make-series sum(x) on ts in range(datetime(2024-01-01), datetime(2024-01-02), 1h)`, `T | make-series sum(x) on ts in range(datetime(2024-01-01), datetime(2024-01-02), 1h)`},
		{`T | getschema`, `T | getschema`},
		{`let x = 5; let f = (a:long) { a + x }; T | extend y = f(1)`, `let x = 5; let f = (a:long) { a + x }; T | extend y = f(1)`},
		{`let S = T | where a == 1; S | count`, `let S = T | where a == 1; S | count`},
		{`print datetime(2020-01-02T03:04:05Z), datetime(null), time(1.02:03:04), time(2), guid(6a2f41a3-c54c-fce8-32d3-d34e8d2d0b5e)`,
			`print datetime(2020-01-02T03:04:05Z), datetime(null), time(1.02:03:04), 2d, guid(6a2f41a3-c54c-fce8-32d3-d34e8d2d0b5e)`},
		{`print int(1), int(null), long(-3), real(1.5), bool(true), real(null), 1.5, 10, 2d, 100ms`,
			`print int(1), int(null), long(-3), real(1.5), bool(true), real(null), 1.5, 10, 2d, 100ms`},
		{`print dynamic({"a": [1, 2.5, 'x', true, null]}), dynamic(null), dynamic([])`,
			`print dynamic({"a": [1, 2.5, "x", true, null]}), dynamic(null), dynamic([])`},
		{`print @'c:\x', 'a' "b", "q\"\n"`, `print "c:\\x", "ab", "q\"\n"`},
		{`T | where a in ("x", "y") and b !in (1) and c in~ ("Z") and d !in~ ("q") and e has_any ("a", "b")`,
			`T | where a in ("x", "y") and b !in (1) and c in~ ("Z") and d !in~ ("q") and e has_any ("a", "b")`},
		{`T | where x between (1 .. 10) and y !between (datetime(2020-01-01) .. now())`,
			`T | where x between (1 .. 10) and y !between (datetime(2020-01-01) .. now())`},
		{`T | where a !contains "x" and b contains_cs "y" and c !has_cs "z" and d startswith "p" and e !endswith_cs "s" and f matches regex "^a.*"`,
			`T | where a !contains "x" and b contains_cs "y" and c !has_cs "z" and d startswith "p" and e !endswith_cs "s" and f matches regex "^a.*"`},
		{`T | where a =~ "x" and b !~ "y" and c <> 1`, `T | where a =~ "x" and b !~ "y" and c != 1`},
		{"source\r\n| project-rename \r\n TimeGenerated = ['time'], PrismaId = _id", `source | project-rename TimeGenerated = ['time'], PrismaId = _id`},
		{`source | extend x = iff(isnull(a), now(), todatetime(a)) | project-away ['date'], type`, `source | extend x = iff(isnull(a), now(), todatetime(a)) | project-away ['date'], type`},
		{`T | where not(a) | extend b = -1.5e3`, `T | where not(a) | extend b = -1500.0`},
		{`T;`, `T`},
	}
	for _, c := range cases {
		q, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		got := Format(q)
		if got != c.want {
			t.Errorf("Format(Parse(%q))\n got %s\nwant %s", c.in, got, c.want)
			continue
		}
		// The canonical form parses to the same canonical form.
		q2, err := Parse(got)
		if err != nil {
			t.Errorf("reparse %q: %v", got, err)
			continue
		}
		if again := Format(q2); again != got {
			t.Errorf("not idempotent: %q -> %q", got, again)
		}
	}
}

func TestPrecedenceTree(t *testing.T) {
	e, err := ParseExpr(`a == 1 or b has "x" and c`)
	if err != nil {
		t.Fatal(err)
	}
	or, ok := e.(*Binary)
	if !ok || or.Op != "or" {
		t.Fatalf("top is %T %v", e, e)
	}
	and, ok := or.R.(*Binary)
	if !ok || and.Op != "and" {
		t.Fatalf("right of or is %s", FormatExpr(or.R))
	}
	if l, ok := or.L.(*Binary); !ok || l.Op != "==" {
		t.Fatalf("left of or is %s", FormatExpr(or.L))
	}
	e, _ = ParseExpr(`-x * 2 + 3 % 4`)
	add := e.(*Binary)
	if add.Op != "+" || add.L.(*Binary).Op != "*" || add.R.(*Binary).Op != "%" {
		t.Fatalf("bad tree for arithmetic")
	}
	if _, ok := add.L.(*Binary).L.(*Unary); !ok {
		t.Fatalf("unary minus should bind tighter than *")
	}
}

func TestPositions(t *testing.T) {
	src := `source | where eventType == "Alert"`
	q, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	w := q.Body.Ops[0].(*WhereOp)
	b := w.Pred.(*Binary)
	if got := src[b.L.Pos():b.L.End()]; got != "eventType" {
		t.Errorf("lhs span %q", got)
	}
	if got := src[b.R.Pos():b.R.End()]; got != `"Alert"` {
		t.Errorf("rhs span %q", got)
	}
	if got := src[w.Pos():w.End()]; got != `where eventType == "Alert"` {
		t.Errorf("op span %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		in   string
		want string // full first line of the error
	}{
		{`source | where f(a | b`, `line 1, col 20: expected ")" or ",", got "|"`},
		{``, `line 1, col 1: empty query`},
		{`source | where x == | project a`, `line 1, col 21: expected an expression, got "|"`},
		{`source | frobnicate`, `line 1, col 10: unknown tabular operator "frobnicate"`},
		{`source | where a == b == c`, `line 1, col 23: comparison operators do not chain: add parentheses around one side of "=="`},
		{"source\n| where 'abc", `line 2, col 9: unterminated string literal`},
		{`source | extend x = 1xyz`, `line 1, col 22: unknown timespan unit "xyz" (want d, h, m, s, ms, microsecond or tick)`},
		{`print dynamic({"a":})`, `line 1, col 15: invalid dynamic literal: unexpected '}' at offset 5`},
		{`print int(x)`, `line 1, col 11: invalid int literal: got "x"`},
		{`print int(99999999999)`, `line 1, col 11: 99999999999 does not fit in int`},
		{`source | take`, `line 1, col 14: expected an expression, got end of query`},
		{`source | sort x`, `line 1, col 15: expected "by", got "x"`},
		{`let x = 1 source`, `line 1, col 11: expected ";", got "source"`},
		{`source | where a like "x"`, `line 1, col 18: "like" is not a KQL operator; use contains, startswith, endswith or matches regex`},
		{`source | where a # 1`, `line 1, col 18: unexpected character '#'`},
		{`source | where datetime(2020-01-01`, `line 1, col 24: unterminated literal: missing ")"`},
		{`source source`, `line 1, col 8: expected "|" or end of query, got "source"`},
	}
	for _, c := range cases {
		_, err := Parse(c.in)
		if err == nil {
			t.Errorf("Parse(%q): no error, want %q", c.in, c.want)
			continue
		}
		var se *Error
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q): error %T is not *syntax.Error", c.in, err)
			continue
		}
		first := strings.SplitN(err.Error(), "\n", 2)[0]
		if first != c.want {
			t.Errorf("Parse(%q):\n got %s\nwant %s", c.in, first, c.want)
		}
	}
}

func TestErrorCaret(t *testing.T) {
	_, err := Parse("source\n| where f(a | b")
	want := "line 2, col 13: expected \")\" or \",\", got \"|\"\n| where f(a | b\n            ^"
	if err == nil || err.Error() != want {
		t.Fatalf("got\n%v\nwant\n%s", err, want)
	}
}

func FuzzParse(f *testing.F) {
	seeds := []string{
		`source | where eventType == "Alert" | project TimeGenerated = ts, SourceIP = srcIp`,
		`source | project res = parse_json(data) | mvexpand res | project id = tostring(res['id'])`,
		`T | summarize count() by bin(TimeGenerated, 1h) | render timechart`,
		`let x = dynamic({"a":[1,2]}); print x.a[0], datetime(2020-01-01), time(1.02:03:04)`,
		`T | parse msg with * "a=" a:long * | where a between (1 .. 2) and b !in~ ("x")`,
		"datatable(a:string)['x'] | extend b = @'q''x' // c\n| top 1 by a asc nulls first",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error is %T", err)
			}
			_ = se.Error()
			return
		}
		out := Format(q)
		q2, err := Parse(out)
		if err != nil {
			t.Fatalf("canonical form does not parse: %q from %q: %v", out, s, err)
		}
		if again := Format(q2); again != out {
			t.Fatalf("format not stable: %q -> %q", out, again)
		}
	})
}
