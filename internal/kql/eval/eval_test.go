package eval

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/kql/syntax"
	"github.com/codeless/codeless/internal/schema"
)

var demoInput = schema.Schema{
	{Name: "ts", Type: schema.DateTime}, {Name: "eventType", Type: schema.String},
	{Name: "deviceMac", Type: schema.String}, {Name: "clientMac", Type: schema.String},
	{Name: "srcIp", Type: schema.String}, {Name: "destIp", Type: schema.String},
	{Name: "protocol", Type: schema.String}, {Name: "priority", Type: schema.String},
	{Name: "message", Type: schema.String}, {Name: "fileType", Type: schema.String},
	{Name: "fileSizeBytes", Type: schema.Int}, {Name: "disposition", Type: schema.String},
}

var t0 = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func demoRow(eventType string) []any {
	return []any{t0, eventType, "aa:bb", "cc:dd", "10.0.0.1", "10.0.0.2", "tcp", "2", "hello", "pdf", int64(1234), "clean"}
}

func runAll(t *testing.T, p *Program, row []any, now time.Time) [][]any {
	t.Helper()
	var out [][]any
	if err := p.Run(row, now, func(r []any) error { out = append(out, r); return nil }); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return out
}

func TestDemoTransforms(t *testing.T) {
	alert, err := CompileTransform(`source | where eventType == "Alert" | project TimeGenerated = ts, SourceIP = srcIp, DestIP = destIp, Message = message, Priority = priority`, demoInput)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := alert.Output().String(), "(TimeGenerated:datetime, SourceIP:string, DestIP:string, Message:string, Priority:string)"; got != want {
		t.Errorf("alert schema %s, want %s", got, want)
	}
	if out := runAll(t, alert, demoRow("Alert"), t0); !reflect.DeepEqual(out, [][]any{{t0, "10.0.0.1", "10.0.0.2", "hello", "2"}}) {
		t.Errorf("alert rows %v", out)
	}
	if out := runAll(t, alert, demoRow("File"), t0); len(out) != 0 {
		t.Errorf("File row should be filtered: %v", out)
	}
	file, err := CompileTransform(`source | where eventType == "File" | project-rename TimeGenerated = ts, EventOriginalType = eventType, SrcIpAddr = srcIp, DstIpAddr = destIp, FileContentType = fileType, FileSize = fileSizeBytes, EventOriginalSeverity = disposition`, demoInput)
	if err != nil {
		t.Fatal(err)
	}
	want := "(TimeGenerated:datetime, EventOriginalType:string, deviceMac:string, clientMac:string, SrcIpAddr:string, DstIpAddr:string, protocol:string, priority:string, message:string, FileContentType:string, FileSize:int, EventOriginalSeverity:string)"
	if got := file.Output().String(); got != want {
		t.Errorf("file schema\n got %s\nwant %s", got, want)
	}
	in := demoRow("File")
	out := runAll(t, file, in, t0)
	if len(out) != 1 || !reflect.DeepEqual(out[0], in) {
		t.Fatalf("file rows %v", out)
	}
	out[0][1] = "mutated"
	if in[1] != "File" {
		t.Errorf("output row aliases the input row")
	}
}

// TestExpressions evaluates `print`-like single expressions over a fixed row.
func TestExpressions(t *testing.T) {
	in := schema.Schema{
		{Name: "s", Type: schema.String}, {Name: "n", Type: schema.Long}, {Name: "i", Type: schema.Int},
		{Name: "r", Type: schema.Real}, {Name: "b", Type: schema.Bool}, {Name: "ts", Type: schema.DateTime},
		{Name: "d", Type: schema.Dynamic}, {Name: "nul", Type: schema.Long}, {Name: "e", Type: schema.String},
		{Name: "data", Type: schema.String}, {Name: "sp", Type: schema.TimeSpan},
	}
	row := []any{"North America", int64(-10), int64(7), 2.5, true, t0,
		map[string]any{"a": map[string]any{"b": []any{int64(1), "x", nil}}, "s": "str", "n": int64(5), "t": true, "k": "a"},
		nil, "", `{"id":42,"tags":["p","q"]}`, 90 * time.Minute}
	now := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		expr string
		want any
		typ  schema.Type
	}{
		{`s has "america"`, true, schema.Bool},
		{`s has "amer"`, false, schema.Bool},
		{`s !has "amer"`, true, schema.Bool},
		{`s has_cs "america"`, false, schema.Bool},
		{`s contains "TH AM"`, true, schema.Bool},
		{`s contains_cs "TH AM"`, false, schema.Bool},
		{`s startswith "north"`, true, schema.Bool},
		{`s endswith_cs "america"`, false, schema.Bool},
		{`s !startswith "x"`, true, schema.Bool},
		{`s =~ "north AMERICA"`, true, schema.Bool},
		{`s !~ "north AMERICA"`, false, schema.Bool},
		{`s matches regex "^N.*a$"`, true, schema.Bool},
		{`s in ("a", "North America")`, true, schema.Bool},
		{`s in~ ("north america")`, true, schema.Bool},
		{`s !in ("a")`, true, schema.Bool},
		{`s has_any ("x", "north")`, true, schema.Bool},
		{`s has_all ("north", "x")`, false, schema.Bool},
		{`n in (dynamic([1, -10]))`, true, schema.Bool},
		{`n == -10`, true, schema.Bool},
		{`nul == 1`, false, schema.Bool},
		{`nul != 1`, true, schema.Bool},
		{`nul == nul`, nil, schema.Bool},
		{`nul < 1`, nil, schema.Bool},
		{`isnull(nul) and isnotnull(n)`, true, schema.Bool},
		{`false and nul == nul`, false, schema.Bool},
		{`true or nul == nul`, true, schema.Bool},
		{`not(nul == nul)`, nil, schema.Bool},
		{`isempty(e) and isnotempty(s) and isempty(nul)`, true, schema.Bool},
		{`isnull(e)`, false, schema.Bool},
		{`n % 4`, int64(2), schema.Long},
		{`n / 3`, int64(-3), schema.Long},
		{`i + 1`, int64(8), schema.Long},
		{`i + int(1)`, int64(8), schema.Long}, // int op int is long (Kusto.Language),
		{`n * r`, -25.0, schema.Real},
		{`1d / 1s`, 86400.0, schema.Real},
		{`ts + 1h`, t0.Add(time.Hour), schema.DateTime},
		{`ts - datetime(2024-05-06)`, 7*time.Hour + 8*time.Minute + 9*time.Second, schema.TimeSpan},
		{`2 * sp`, 3 * time.Hour, schema.TimeSpan},
		{`-n`, int64(10), schema.Long},
		{`ago(1d)`, now.Add(-24 * time.Hour), schema.DateTime},
		{`now()`, now, schema.DateTime},
		{`n between (-20 .. 0)`, true, schema.Bool},
		{`tostring(d.a.b[1])`, "x", schema.String},
		{`tostring(d["a"]["b"][-3])`, "1", schema.String},
		{`d.a.b[5]`, nil, schema.Dynamic},
		{`d.missing.deeper`, nil, schema.Dynamic},
		{`tostring(d.a)`, `{"b":[1,"x",null]}`, schema.String},
		{`tostring(d.t)`, "true", schema.String},
		{`tostring(b)`, "True", schema.String},
		{`tostring(ts)`, "2024-05-06T07:08:09.0000000Z", schema.String},
		{`tostring(nul)`, "", schema.String},
		{`toint(d.n) + 1`, int64(6), schema.Long},
		{`tolong("12")`, int64(12), schema.Long},
		{`toint("x")`, nil, schema.Int},
		{`todouble("2.5")`, 2.5, schema.Real},
		{`toreal(n)`, -10.0, schema.Real},
		{`tobool("true")`, true, schema.Bool},
		{`todatetime("2022-12-02T13:45:56+02:00")`, time.Date(2022, 12, 2, 11, 45, 56, 0, time.UTC), schema.DateTime},
		{`todatetime("nope")`, nil, schema.DateTime},
		{`totimespan("1.02:03:04")`, 26*time.Hour + 3*time.Minute + 4*time.Second, schema.TimeSpan},
		{`toguid("6A2F41A3-C54C-FCE8-32D3-D34E8D2D0B5E")`, "6a2f41a3-c54c-fce8-32d3-d34e8d2d0b5e", schema.GUID},
		{`tolong(parse_json(data).id)`, int64(42), schema.Long},
		{`parse_json(data)["tags"]`, []any{"p", "q"}, schema.Dynamic},
		{`parse_json("{bad")`, nil, schema.Dynamic},
		{`todynamic(data).id`, int64(42), schema.Dynamic},
		{`iff(b, "y", "n")`, "y", schema.String},
		{`iif(nul == 1, 1, 2.5)`, 2.5, schema.Real},
		{`iff(b, 1, 2.5)`, 1.0, schema.Real},
		{`case(n > 0, "pos", n < 0, "neg", "zero")`, "neg", schema.String},
		{`coalesce(nul, n)`, int64(-10), schema.Long},
		{`coalesce(e, s)`, "North America", schema.String},
		{`strcat("a", n, "-", b)`, "a-10-True", schema.String},
		{`strcat_delim("/", "a", "b")`, "a/b", schema.String},
		{`tolower(s)`, "north america", schema.String},
		{`toupper(s)`, "NORTH AMERICA", schema.String},
		{`strlen(s)`, int64(13), schema.Long},
		{`substring(s, 6)`, "America", schema.String},
		{`substring(s, 0, 5)`, "North", schema.String},
		{`split("a:b:c", ":")`, []any{"a", "b", "c"}, schema.Dynamic},
		{`tostring(split("10.0.0.1:443", ":")[0])`, "10.0.0.1", schema.String},
		{`split("a:b:c", ":", 1)`, []any{"b"}, schema.Dynamic},
		{`replace_string(s, "North", "South")`, "South America", schema.String},
		{`replace_regex(s, @"(\w+) (\w+)", @"\2 \1")`, "America North", schema.String},
		{`replace(@"[aeiou]", "_", s)`, "N_rth Am_r_c_", schema.String},
		{`indexof(s, "Am")`, int64(6), schema.Long},
		{`extract(@"(\d+)", 1, "abc 123 def")`, "123", schema.String},
		{`extract_all(@"(\d)", "a1b2")`, []any{"1", "2"}, schema.Dynamic},
		{`countof("aaa", "a")`, int64(3), schema.Long},
		{`base64_encodestring("hi")`, "aGk=", schema.String},
		{`base64_decodestring("aGk=")`, "hi", schema.String},
		{`hash_sha256("abc")`, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", schema.String},
		{`datetime_add("millisecond", tolong("1700000000") * 1000, datetime(1970-01-01))`, time.Unix(1700000000, 0).UTC(), schema.DateTime},
		{`datetime_add('second', 60, make_datetime(1970, 1, 1))`, time.Unix(60, 0).UTC(), schema.DateTime},
		{`datetime_add("month", 1, datetime(2024-01-31))`, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), schema.DateTime}, // .NET AddMonths clamps the day
		{`datetime_diff("day", datetime(2024-01-03 01:00), datetime(2024-01-01 23:00))`, int64(2), schema.Long},
		{`make_datetime(2024, 2, 30)`, nil, schema.DateTime},
		{`make_datetime(2024, 2, 3, 4, 5, 6.5)`, time.Date(2024, 2, 3, 4, 5, 6, 500000000, time.UTC), schema.DateTime},
		{`startofday(ts)`, time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC), schema.DateTime},
		{`startofweek(ts)`, time.Date(2024, 5, 5, 0, 0, 0, 0, time.UTC), schema.DateTime},
		{`endofmonth(ts)`, time.Date(2024, 5, 31, 23, 59, 59, 999999900, time.UTC), schema.DateTime},
		{`getyear(ts) * 100 + getmonth(ts)`, int64(202405), schema.Long},
		{`dayofweek(ts)`, 24 * time.Hour, schema.TimeSpan},
		{`bin(ts, 1h)`, time.Date(2024, 5, 6, 7, 0, 0, 0, time.UTC), schema.DateTime},
		{`bin(ts, 1d)`, time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC), schema.DateTime},
		{`bin(n, 3)`, int64(-12), schema.Long},
		{`floor(r, 1)`, 2.0, schema.Real},
		{`bin(14d + 3h, 1d)`, 14 * 24 * time.Hour, schema.TimeSpan},
		{`array_length(parse_json(data).tags)`, int64(2), schema.Long},
		{`array_length(d)`, nil, schema.Long},
		{`pack("k", n, "v", "x")`, map[string]any{"k": int64(-10), "v": "x"}, schema.Dynamic},
		{`pack_array(1, "a", ts)`, []any{int64(1), "a", "2024-05-06T07:08:09.0000000Z"}, schema.Dynamic},
		{`array_concat(dynamic([1]), dynamic([2]))`, []any{int64(1), int64(2)}, schema.Dynamic},
		{`gettype(d.a)`, "dictionary", schema.String},
		{`abs(n)`, int64(10), schema.Long},
		{`round(2.567, 2)`, 2.57, schema.Real},
		{`pow(2, 10)`, 1024.0, schema.Real},
		{`binary_and(6, 3)`, int64(2), schema.Long},
		{`binary_shift_left(1, 4)`, int64(16), schema.Long},
		{`max_of(1, 5, 3)`, int64(5), schema.Long},
		{`min_of(nul, 4, 2)`, int64(2), schema.Long},
		{`int(1) + int(null)`, nil, schema.Long},
		{`real(null)`, nil, schema.Real},
		{`columnifexists("s", "none")`, "North America", schema.String},
		{`column_ifexists("nope", "none")`, "none", schema.String},
		{`parse_cef_dictionary("src=10.0.0.1 msg=hello world act=blocked")`, map[string]any{"src": "10.0.0.1", "msg": "hello world", "act": "blocked"}, schema.Dynamic},
		{`d[tostring(d.k)]`, map[string]any{"b": []any{int64(1), "x", nil}}, schema.Dynamic},
	}
	for _, c := range cases {
		p, err := CompileTransform("source | project x = "+c.expr, in)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if got := p.Output()[0].Type; got != c.typ {
			t.Errorf("%s: type %s, want %s", c.expr, got, c.typ)
		}
		var got any
		err = p.Run(row, now, func(out []any) error { got = out[0]; return nil })
		if err != nil {
			t.Errorf("%s: run: %v", c.expr, err)
			continue
		}
		if f, ok := c.want.(float64); ok {
			if g, ok := got.(float64); ok && math.Abs(f-g) < 1e-9 {
				continue
			}
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.expr, got, c.want)
		}
	}
}

func TestOperatorsAndNaming(t *testing.T) {
	in := schema.Schema{{Name: "a", Type: schema.String}, {Name: "b", Type: schema.Long}, {Name: "d", Type: schema.Dynamic}, {Name: "session_id", Type: schema.String}, {Name: "session_x", Type: schema.String}}
	row := []any{"x", int64(2), map[string]any{"k": "v"}, "s1", "s2"}
	cases := []struct {
		q      string
		schema string
		rows   [][]any
	}{
		{`source | extend b = tostring(b)`, "(a:string, b:string, d:dynamic, session_id:string, session_x:string)", [][]any{{"x", "2", map[string]any{"k": "v"}, "s1", "s2"}}},
		{`source | extend c = b * 2 | extend e = c + 1 | project e, c`, "(e:long, c:long)", [][]any{{int64(5), int64(4)}}},
		{`source | project-away session*`, "(a:string, b:long, d:dynamic)", [][]any{{"x", int64(2), map[string]any{"k": "v"}}}},
		{`source | project-keep a, b`, "(a:string, b:long)", [][]any{{"x", int64(2)}}},
		{`source | project-reorder b, a | project-away d, session*`, "(b:long, a:string)", [][]any{{int64(2), "x"}}},
		{`source | project d.k, tostring(d.k), b + 1, a`, "(d_k:dynamic, d_k1:string, Column1:long, a:string)", [][]any{{"v", "v", int64(3), "x"}}},
		{`source | extend d.k`, "(a:string, b:long, d:dynamic, session_id:string, session_x:string, d_k:dynamic)", [][]any{{"x", int64(2), map[string]any{"k": "v"}, "s1", "s2", "v"}}},
		{`source | where b > 5`, "(a:string, b:long, d:dynamic, session_id:string, session_x:string)", nil},
		{`source | extend p = parse_json('{"q":[1,2]}') | where array_length(p.q) == 2 | project q = p.q[1]`, "(q:dynamic)", [][]any{{int64(2)}}},
		{`let m = parse_json('{"x":"X"}'); source | project v = tostring(m[a])`, "(v:string)", [][]any{{"X"}}},
		{`let f = (s:string) { strcat(s, "!") }; source | project v = f(a)`, "(v:string)", [][]any{{"x!"}}},
		{`source | parse session_id with "s" num:long | project num`, "(num:long)", [][]any{{int64(1)}}},
		{`source | parse a with "y" rest | project rest`, "(rest:string)", [][]any{{""}}},
		{`source | project-rename ['new name'] = a | project ['new name']`, "(new name:string)", [][]any{{"x"}}},
		{"source\n| where a == 'x' // comment\n| extend TimeGenerated = now()\n| project TimeGenerated", "(TimeGenerated:datetime)", [][]any{{t0}}},
	}
	for _, c := range cases {
		p, err := CompileTransform(c.q, in)
		if err != nil {
			t.Errorf("%s: %v", c.q, err)
			continue
		}
		if got := p.Output().String(); got != c.schema {
			t.Errorf("%s: schema %s, want %s", c.q, got, c.schema)
		}
		var rows [][]any
		if err := p.Run(row, t0, func(r []any) error { rows = append(rows, r); return nil }); err != nil {
			t.Errorf("%s: %v", c.q, err)
		}
		if !reflect.DeepEqual(rows, c.rows) {
			t.Errorf("%s: rows %#v, want %#v", c.q, rows, c.rows)
		}
	}
}

func TestPlaceholder(t *testing.T) {
	in := schema.Schema{{Name: "data", Type: schema.String}}
	cases := []struct {
		q    string
		data string
		want [][]any
	}{
		{`source | project res = parse_json(data) | project detections = res['value'] | mvexpand detections | project id = detections['id']`,
			`{"value":[{"id":"a"},{"id":"b"}]}`, [][]any{{"a"}, {"b"}}},
		{`source | project res = parse_json(data) | mvexpand res | project networkId = tostring(res['id'])`,
			`[{"id":1},{"id":2},{"id":3}]`, [][]any{{"1"}, {"2"}, {"3"}}},
		{`source | project res = parse_json(data) | project ids = res.ids | mv-expand ids | project Url_PlaceHolder = ids`,
			`{"ids":[]}`, nil},
		{`source | project res = parse_json(data) | project ids = res.ids | mv-expand ids | project Url_PlaceHolder = ids`,
			`{"other":1}`, [][]any{{nil}}},
		{`source | project res = parse_json(data) | mv-expand a = res.a, b = res.b`,
			`{"a":[1,2],"b":["x"]}`, [][]any{{map[string]any{"a": []any{int64(1), int64(2)}, "b": []any{"x"}}, int64(1), "x"}, {map[string]any{"a": []any{int64(1), int64(2)}, "b": []any{"x"}}, int64(2), nil}}},
		{`source | project res = parse_json(data) | mv-expand with_itemindex=i v = res to typeof(long) limit 2 | project v, i`,
			`["5","6","7"]`, [][]any{{int64(5), int64(0)}, {int64(6), int64(1)}}},
		{`source | project res = parse_json(data) | project dataSourceName = res.dataSourceName, policyName = res.policyName`,
			`{"dataSourceName":"d","policyName":"p"}`, [][]any{{"d", "p"}}},
		{`source | project id=tostring(data)`, `x`, [][]any{{"x"}}},
	}
	for _, c := range cases {
		p, err := CompilePlaceholder(c.q, in)
		if err != nil {
			t.Errorf("%s: %v", c.q, err)
			continue
		}
		var rows [][]any
		if err := p.Run([]any{c.data}, t0, func(r []any) error { rows = append(rows, r); return nil }); err != nil {
			t.Errorf("%s: %v", c.q, err)
		}
		if !reflect.DeepEqual(rows, c.want) {
			t.Errorf("%s on %s: rows %#v, want %#v", c.q, c.data, rows, c.want)
		}
	}
	// The legacy spelling caps at 128 rows.
	p, err := CompilePlaceholder(`source | project r = parse_json(data) | mvexpand r`, in)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	big := "[" + strings.Repeat("1,", 199) + "1]"
	if err := p.Run([]any{big}, t0, func([]any) error { n++; return nil }); err != nil || n != 128 {
		t.Errorf("mvexpand produced %d rows (err %v), want 128", n, err)
	}
	// emit errors propagate
	stop := errors.New("stop")
	if err := p.Run([]any{big}, t0, func([]any) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("emit error not returned: %v", err)
	}
}

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		q    string
		want string
	}{
		{`source | where eventTyp == "Alert"`, `line 1, col 16: unknown column "eventTyp"`},
		{`source | summarize count()`, `line 1, col 10: operator "summarize" is not supported in DCR transformations`},
		{`source | take 10`, `line 1, col 10: operator "take" is not supported in DCR transformations`},
		{`source | sort by ts`, `line 1, col 10: operator "sort" is not supported in DCR transformations`},
		{`source | join (source) on ts`, `line 1, col 10: operator "join" is not supported in DCR transformations`},
		{`source | mv-expand eventType`, `line 1, col 10: operator "mv-expand" is not supported in DCR transformations (only in stepPlaceholdersParsingKql)`},
		{"source\n| project-rename id_d = toint(fileSizeBytes)", `line 2, col 25: project-rename only renames columns; use extend/project for expressions`},
		{`source | project x = frob(ts)`, `line 1, col 22: unknown function "frob"`},
		{`source | project x = count()`, `line 1, col 22: aggregation function count() is only allowed in summarize`},
		{`source | project x = tostring()`, `line 1, col 22: tostring takes 1 argument, got 0`},
		{`source | where message`, `line 1, col 16: where needs a bool predicate, got string`},
		{`source | extend x = message + 1`, `line 1, col 29: cannot apply "+" to string and long`},
		{`source | extend x = message.a`, `line 1, col 29: cannot read property "a" of a string value`},
		{`source | where fileSizeBytes == "x"`, `line 1, col 30: cannot compare int with string using "=="`},
		{`T | project ts`, `line 1, col 1: unknown table "T": a transformation reads from "source"`},
		{`print 1`, `line 1, col 1: a transformation must start from "source"`},
		{`source | project-away nope`, `line 1, col 23: project-away: unknown column "nope"`},
		{`source | where message matches regex "("`, `line 1, col 38: invalid regular expression`},
		{`source | extend x = datetime(2020-13-45)`, `line 1, col 21: invalid datetime literal "2020-13-45"`},
		{`source | extend x = geo_location(srcIp)`, `line 1, col 21: geo_location is not available`},
		{`source | extend x = columnifexists(message, "d")`, `line 1, col 36: columnifexists needs a constant column name`},
		{`source | extend x = case(true, 1)`, `line 1, col 21: case takes at least 3 arguments, got 2`},
		{`source | extend x = iff(true, 1, "a")`, `line 1, col 34: iff: argument types differ (long and string)`},
	}
	for _, c := range cases {
		_, err := CompileTransform(c.q, demoInput)
		if err == nil {
			t.Errorf("%s: no error, want %q", c.q, c.want)
			continue
		}
		var se *syntax.Error
		if !errors.As(err, &se) {
			t.Errorf("%s: error %T is not positioned: %v", c.q, err, err)
		}
		if first := strings.SplitN(err.Error(), "\n", 2)[0]; !strings.HasPrefix(first, c.want) {
			t.Errorf("%s:\n got %s\nwant %s...", c.q, first, c.want)
		}
	}
}

func TestRunBadData(t *testing.T) {
	p, err := CompileTransform(`source | where eventType == "Alert" and fileSizeBytes > 1 | extend x = ts + 1h, y = tolower(message), z = fileSizeBytes * 2, w = strlen(priority) | project-away deviceMac`, demoInput)
	if err != nil {
		t.Fatal(err)
	}
	bad := []any{"not a time", "Alert", 1, nil, []any{}, map[string]any{}, 2.5, true, nil, nil, "12", nil}
	if err := p.Run(bad, t0, func([]any) error { return nil }); err != nil {
		t.Fatalf("bad data should evaluate to nulls, got %v", err)
	}
	if err := p.Run([]any{1}, t0, func([]any) error { return nil }); err == nil {
		t.Fatal("short row should be an error")
	}
}

func TestConcurrentRun(t *testing.T) {
	p, err := CompilePlaceholder(`source | extend p = parse_json(message) | where message matches regex "^\\{" | mv-expand x = p.a | project s = strcat(tostring(x), "-", eventType), m = replace_regex(message, "a", "b")`, demoInput)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func(g int) {
			row := demoRow("Alert")
			row[8] = fmt.Sprintf(`{"a":[%d,%d]}`, g, g+1)
			for i := 0; i < 200; i++ {
				var got []string
				err := p.Run(row, t0, func(out []any) error { got = append(got, out[0].(string)); return nil })
				if err != nil {
					done <- err
					return
				}
				if want := []string{fmt.Sprintf("%d-Alert", g), fmt.Sprintf("%d-Alert", g+1)}; !reflect.DeepEqual(got, want) {
					done <- fmt.Errorf("goroutine %d: %v, want %v", g, got, want)
					return
				}
			}
			done <- nil
		}(g)
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
