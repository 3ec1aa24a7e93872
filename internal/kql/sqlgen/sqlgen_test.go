package sqlgen

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/codeless/codeless/internal/kql/syntax"
	"github.com/codeless/codeless/internal/schema"
)

type catalog map[string]schema.Schema

func (c catalog) TableSchema(name string) (schema.Schema, bool) {
	s, ok := c[name]
	return s, ok
}

var tbl = schema.Schema{
	{Name: "TimeGenerated", Type: schema.DateTime}, {Name: "Name", Type: schema.String},
	{Name: "N", Type: schema.Long}, {Name: "I", Type: schema.Int}, {Name: "R", Type: schema.Real},
	{Name: "B", Type: schema.Bool}, {Name: "D", Type: schema.Dynamic}, {Name: "Sp", Type: schema.TimeSpan},
}

var now = time.Date(2024, 5, 6, 12, 0, 0, 0, time.UTC)

func openDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var cols []string
	for _, c := range tbl {
		cols = append(cols, Quote(c.Name)+" "+SQLType(c.Type))
	}
	stmts := []string{
		`CREATE TABLE "MyTable_CL" (` + strings.Join(cols, ", ") + `)`,
		`CREATE TABLE "Empty_CL" (` + strings.Join(cols, ", ") + `)`,
		`INSERT INTO "MyTable_CL" VALUES
		 ('2024-05-06 10:15:00', 'North America', -10, 1, 1.5, true, '{"a":{"b":[1,"x"]},"s":"str"}', 36000000000),
		 ('2024-05-06 10:45:00', 'south pole', 20, 2, 2.5, false, '{"a":{"b":[2]},"s":"t"}', 0),
		 ('2024-05-06 11:05:00', 'Europe', 30, NULL, NULL, NULL, NULL, NULL),
		 ('2024-05-06 11:59:59', '', 5, 4, -0.5, true, '[1,2,3]', 10)`,
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return db
}

func render(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05")
	case []byte:
		return string(x)
	case float64:
		if math.IsNaN(x) {
			return "NaN"
		}
		return fmt.Sprint(x)
	case map[string]any, []any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}

func runSQL(t *testing.T, db *sql.DB, q *Query) []string {
	t.Helper()
	rows, err := db.Query(q.SQL, q.Args...)
	if err != nil {
		t.Fatalf("query failed: %v\n%s\nargs %v", err, q.SQL, q.Args)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = render(v)
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestToSQLOnDuckDB(t *testing.T) {
	db := openDB(t)
	cat := catalog{"MyTable_CL": tbl, "Empty_CL": tbl}
	cases := []struct {
		kql    string
		schema string
		rows   []string // in order when the query sorts
		sorted bool     // compare as a set when false
	}{
		{`MyTable_CL | summarize count()`, "(count_:long)", []string{"4"}, true},
		{`Empty_CL | summarize count()`, "(count_:long)", []string{"0"}, true},
		{`MyTable_CL | summarize max(TimeGenerated)`, "(max_TimeGenerated:datetime)", []string{"2024-05-06T11:59:59"}, true},
		{`MyTable_CL | summarize Time = max(TimeGenerated) | where isnotempty(Time)`, "(Time:datetime)", []string{"2024-05-06T11:59:59"}, true},
		{`Empty_CL | summarize Time = max(TimeGenerated) | where isnotempty(Time)`, "(Time:datetime)", nil, true},
		{`MyTable_CL | summarize count() by bin(TimeGenerated, 1h) | sort by TimeGenerated asc`, "(TimeGenerated:datetime, count_:long)",
			[]string{"2024-05-06T10:00:00|2", "2024-05-06T11:00:00|2"}, true},
		{`MyTable_CL | summarize count() by bin(TimeGenerated, 7d)`, "(TimeGenerated:datetime, count_:long)", []string{"2024-05-06T00:00:00|4"}, true},
		{`MyTable_CL | where N > 0 | project Name, N | take 10`, "(Name:string, N:long)", []string{"south pole|20", "Europe|30", "|5"}, false},
		{`MyTable_CL | where Name has "america" | project Name`, "(Name:string)", []string{"North America"}, true},
		{`MyTable_CL | where Name has "amer" | project Name`, "(Name:string)", nil, true},
		{`MyTable_CL | where Name !has "america" | count`, "(Count:long)", []string{"3"}, true},
		{`MyTable_CL | where Name contains "PO" and Name startswith "south" and Name endswith "LE" | project Name`, "(Name:string)", []string{"south pole"}, true},
		{`MyTable_CL | where Name =~ "EUROPE" or Name in ("x", "North America") | project Name`, "(Name:string)", []string{"North America", "Europe"}, false},
		{`MyTable_CL | where Name !in ("Europe") | count`, "(Count:long)", []string{"3"}, true},
		{`MyTable_CL | where Name == "it's" or Name == @"a\b" | count`, "(Count:long)", []string{"0"}, true},
		{`MyTable_CL | where N == 20 | extend n = N * 2, i = "low" | project n, N, i, I`, "(n:long, N:long, i:string, I:int)", []string{"40|20|low|2"}, true},
		{`MyTable_CL | where I == 2 | project N`, "(N:long)", []string{"20"}, true},
		{`MyTable_CL | where I != 2 | project N`, "(N:long)", []string{"-10", "30", "5"}, false},
		{`MyTable_CL | where isnull(I) | project N`, "(N:long)", []string{"30"}, true},
		{`MyTable_CL | where TimeGenerated > ago(1h) | project N`, "(N:long)", []string{"30", "5"}, false},
		{`MyTable_CL | extend M = N * 2, Q = N % 7, Div = N / 3 | project-away TimeGenerated, D, Sp, B, R, I | where N == -10`, "(Name:string, N:long, M:long, Q:long, Div:long)", []string{"North America|-10|-20|4|-3"}, true},
		{`MyTable_CL | project-rename Who = Name | project Who, N | sort by N desc`, "(Who:string, N:long)", []string{"Europe|30", "south pole|20", "|5", "North America|-10"}, true},
		{`MyTable_CL | top 2 by N`, "(TimeGenerated:datetime, Name:string, N:long, I:int, R:real, B:bool, D:dynamic, Sp:timespan)", nil, true},
		{`MyTable_CL | top 1 by I asc | project N`, "(N:long)", []string{"30"}, true},
		{`MyTable_CL | sort by I desc | project N`, "(N:long)", []string{"5", "20", "-10", "30"}, true},
		{`MyTable_CL | distinct B`, "(B:bool)", []string{"true", "false", "null"}, false},
		{`MyTable_CL | summarize n = count(), s = sum(N), a = avg(R), mx = max(N), mn = min(TimeGenerated), dc = dcount(B), c = countif(N > 0) by B | where B == true`,
			"(B:bool, n:long, s:long, a:real, mx:long, mn:datetime, dc:long, c:long)", []string{"true|2|-5|0.5|5|2024-05-06T10:15:00|1|1"}, true},
		{`MyTable_CL | where N == -10 | project s = tostring(D.a.b[1]), t = tostring(D.s), x = D.a.b[0], l = tolong(D.a.b[0]), c = strcat(Name, "-", N)`,
			"(s:string, t:string, x:dynamic, l:long, c:string)", []string{"x|str|1|1|North America--10"}, true},
		{`MyTable_CL | where N == 5 | project al = array_length(D), al2 = array_length(D.a), e = isempty(Name)`, "(al:long, al2:long, e:bool)", []string{"3|null|true"}, true},
		{`MyTable_CL | where N == -10 | project t = TimeGenerated + 1h, d = TimeGenerated - datetime(2024-05-06), s = Sp / 1h, st = tostring(TimeGenerated)`,
			"(t:datetime, d:timespan, s:real, st:string)", []string{"2024-05-06T11:15:00|369000000000|1|2024-05-06T10:15:00.0000000Z"}, true},
		{`MyTable_CL | where N == 20 | project i = iff(B, "yes", "no"), c = case(N > 100, "big", N > 10, "mid", "small"), z = coalesce(I, 0)`,
			"(i:string, c:string, z:long)", []string{"no|mid|2"}, true},
		{`MyTable_CL | summarize by Name | count`, "(Count:long)", []string{"4"}, true},
		{`MyTable_CL | where Name matches regex "^[A-Z]" | summarize make_set(Name)`, "(set_Name:dynamic)", nil, true},
		{`let T = MyTable_CL | where N > 10; T | count`, "(Count:long)", []string{"2"}, true},
		{`print x = 1 + 2, y = "a"`, "(x:long, y:string)", []string{"3|a"}, true},
		{`datatable(a:long, b:string) [1, "x", 2, "y"] | where a > 1 | project b`, "(b:string)", []string{"y"}, true},
		{`MyTable_CL | parse Name with first " " second | project first, second, N | where N < 25`, "(first:string, second:string, N:long)", []string{"North|America|-10", "south|pole|20", "||5"}, false},
		{`MyTable_CL | extend s = strcat("id=", N, " t=", Name) | parse s with "id=" id:long " t=" rest | project id, rest`, "(id:long, rest:string)", []string{"-10|North America", "20|south pole", "30|Europe", "5|"}, false},
		{`MyTable_CL | where N == 5 | mv-expand D | project D`, "(D:dynamic)", []string{"1", "2", "3"}, true},
		{`MyTable_CL | where N == 5 | mv-expand with_itemindex=i v = D to typeof(long) limit 2 | project v, i`, "(v:long, i:long)", []string{"1|0", "2|1"}, true},
		{`MyTable_CL | where N in (-10, 30) | mv-expand x = D.a.b | project N, s = tostring(x)`, "(N:long, s:string)", []string{"-10|1", "-10|x", "30|"}, false},
		{`MyTable_CL | where N == -10 | project s = split("a:b", ":"), r = replace_regex(Name, @"(\w+) (\w+)", @"\2 \1"), e = extract(@"(\w+)$", 1, Name), ix = indexof(Name, "Am"), p = pack_array(N, "x")`,
			"(s:dynamic, r:string, e:string, ix:long, p:dynamic)", []string{`["a","b"]|America North|America|6|[-10,"x"]`}, true},
		{`MyTable_CL | where N == -10 | project e = endofday(TimeGenerated), w = dayofweek(TimeGenerated) / 1d, d = datetime_diff("hour", TimeGenerated, datetime(2024-05-06))`,
			"(e:datetime, w:real, d:long)", []string{"2024-05-06T23:59:59|1|10"}, true},
		{`MyTable_CL | where TimeGenerated between (datetime(2024-05-06 10:30) .. datetime(2024-05-06 11:30)) | project N`, "(N:long)", []string{"20", "30"}, false},
		{`MyTable_CL | where N == 5 | project a = startofday(TimeGenerated), b = datetime_add("hour", 2, TimeGenerated), y = getyear(TimeGenerated)`,
			"(a:datetime, b:datetime, y:int)", []string{"2024-05-06T00:00:00|2024-05-06T13:59:59|2024"}, true},
	}
	for _, c := range cases {
		q, err := ToSQL(c.kql, cat, Options{Now: now})
		if err != nil {
			t.Errorf("%s: %v", c.kql, err)
			continue
		}
		if got := q.Columns.String(); got != c.schema {
			t.Errorf("%s: columns %s, want %s", c.kql, got, c.schema)
		}
		got := runSQL(t, db, q)
		if c.rows == nil && (strings.Contains(c.kql, "top 2") || strings.Contains(c.kql, "make_set")) {
			if len(got) == 0 {
				t.Errorf("%s: no rows", c.kql)
			}
			continue
		}
		if !c.sorted {
			got, c.rows = sortedCopy(got), sortedCopy(c.rows)
		}
		if strings.Join(got, "\n") != strings.Join(c.rows, "\n") {
			t.Errorf("%s:\n got %q\nwant %q\nSQL: %s\nargs: %v", c.kql, got, c.rows, q.SQL, q.Args)
		}
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestSQLShape(t *testing.T) {
	q, err := ToSQL(`MyTable_CL | summarize count() by bin(TimeGenerated, 1h) | render timechart`, catalog{"MyTable_CL": tbl}, Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	want := `WITH _s0 AS (SELECT "TimeGenerated" AS "c0", "Name" AS "c1", "N" AS "c2", "I" AS "c3", "R" AS "c4", "B" AS "c5", "D" AS "c6", "Sp" AS "c7" FROM "MyTable_CL"),
_s1 AS (SELECT make_timestamp(((epoch_us("c0") + 62135596800000000) // 3600000000) * 3600000000 - 62135596800000000) AS "c0", count(*) AS "c1" FROM _s0 GROUP BY 1)
SELECT "c0" AS "TimeGenerated", "c1" AS "count_" FROM _s1`
	if q.SQL != want {
		t.Errorf("SQL\n%s\nwant\n%s", q.SQL, want)
	}
	if q.Render != "timechart" {
		t.Errorf("render %q", q.Render)
	}
	q, err = ToSQL(`MyTable_CL | where TimeGenerated > ago(1d) and Name == "x"`, catalog{"MyTable_CL": tbl}, Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Args) != 1 || q.Args[0] != "2024-05-05 12:00:00" || !strings.Contains(q.SQL, `coalesce("c1" = 'x', false)`) {
		t.Errorf("args %#v", q.Args)
	}
}

func TestToSQLErrors(t *testing.T) {
	cat := catalog{"MyTable_CL": tbl}
	cases := []struct{ kql, want string }{
		{`Nope | count`, `line 1, col 1: unknown table "Nope"`},
		{`MyTable_CL | where Nme == "x"`, `line 1, col 20: unknown column "Nme"`},
		{`MyTable_CL | join kind=outer (MyTable_CL) on N`, `line 1, col 14: join kind=outer is not supported (innerunique, inner, leftouter, rightouter, fullouter, leftanti, rightanti, leftsemi and rightsemi are)`},
		{`MyTable_CL | project x = countof(Name, "a", Name)`, `line 1, col 26: countof needs a constant kind (normal or regex)`},
		{`MyTable_CL | project x = D[N]`, `line 1, col 26: a computed array index has no SQL translation`},
		{`MyTable_CL | summarize count() by bin(TimeGenerated, Sp)`, `line 1, col 35: bin on datetime needs a constant positive timespan`},
		{`MyTable_CL | where Name has Name`, `line 1, col 20: "has" needs a constant string on the right in queries`},
		{`MyTable_CL | summarize count() | render timechart | take 1`, `line 1, col 34: render must be the last operator`},
		{`MyTable_CL | summarize x = strlen(Name)`, `line 1, col 28: strlen is not an aggregation function`},
	}
	for _, c := range cases {
		_, err := ToSQL(c.kql, cat, Options{Now: now})
		if err == nil {
			t.Errorf("%s: no error", c.kql)
			continue
		}
		var se *syntax.Error
		if !errors.As(err, &se) {
			t.Errorf("%s: %T not positioned", c.kql, err)
		}
		if first := strings.SplitN(err.Error(), "\n", 2)[0]; !strings.HasPrefix(first, c.want) {
			t.Errorf("%s:\n got %s\nwant %s", c.kql, first, c.want)
		}
	}
}

// FuzzToSQL checks that translation never panics and that the number of
// placeholders matches the bound arguments.
func FuzzToSQL(f *testing.F) {
	for _, s := range []string{
		`MyTable_CL | summarize count() by bin(TimeGenerated, 1h)`,
		`MyTable_CL | where Name has "x" and TimeGenerated > ago(1h) | project N, s = tostring(D.a)`,
		`MyTable_CL | extend x = iff(B, N, 0) | top 3 by x asc nulls first`,
	} {
		f.Add(s)
	}
	cat := catalog{"MyTable_CL": tbl}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ToSQL(s, cat, Options{Now: now})
		if err != nil {
			return
		}
		if n := strings.Count(q.SQL, "$"); n < len(q.Args) {
			t.Fatalf("%d placeholders for %d args in %s", n, len(q.Args), q.SQL)
		}
	})
}
