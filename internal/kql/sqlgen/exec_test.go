package sqlgen

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// exprGen builds random, mostly well-typed KQL expressions over MyTable_CL.
type exprGen struct{ r *rand.Rand }

var (
	genLeaves = []string{"TimeGenerated", "Name", "N", "I", "R", "B", "D", "Sp", `"x"`, `'North'`, "1", "-3", "2.5", "true",
		"1h", "datetime(2024-05-06 10:00)", "dynamic([1,\"a\"])", "int(null)", "real(null)", "D.a", "D.a.b[0]", "D['s']", "now()", "ago(1d)"}
	genUnary = []string{"tostring(%s)", "toint(%s)", "tolong(%s)", "todouble(%s)", "tobool(%s)", "todatetime(%s)", "isnull(%s)",
		"isnotnull(%s)", "isempty(%s)", "isnotempty(%s)", "strlen(%s)", "tolower(%s)", "toupper(%s)", "-%s", "not(%s)",
		"parse_json(%s)", "array_length(%s)", "startofday(%s)", "startofmonth(%s)", "endofday(%s)", "getyear(%s)", "abs(%s)",
		"hash_sha256(%s)", "base64_encodestring(%s)", "split(%s, \":\")", "toguid(%s)", "dayofweek(%s)", "(%s)",
		"format_datetime(%s, 'yyyy-MM-dd hh:mm:ss.FFF tt')", "format_timespan(%s, 'd.HH:mm:ss.ff')", "trim(@'\\s', %s)",
		"reverse(%s)", "extract('(\\\\d+)', 1, %s, typeof(long))"}
	genBinary = []string{"%s + %s", "%s - %s", "%s * %s", "%s / %s", "%s %% %s", "%s == %s", "%s != %s", "%s < %s", "%s >= %s",
		"%s and %s", "%s or %s", "%s has %s", "%s !has 'a'", "%s contains %s", "%s !startswith %s", "%s =~ %s", "%s in (%s, 'x')",
		"%s !in (%s)", "strcat(%s, %s)", "coalesce(%s, %s)", "max_of(%s, %s)", "bin(%s, %s)", "pack_array(%s, %s)",
		"substring(%s, 1, %s)", "replace_string(%s, 'a', %s)", "indexof(%s, %s)", "datetime_add('day', %s, %s)", "%s between (%s .. 10)"}
	genTernary = []string{"iff(%s, %s, %s)", "case(%s, %s, %s)", "replace_regex(%s, %s, %s)", "pack(%s, %s, 'k', %s)"}
)

func (g *exprGen) expr(depth int) string {
	if depth <= 0 || g.r.Intn(4) == 0 {
		return genLeaves[g.r.Intn(len(genLeaves))]
	}
	switch g.r.Intn(3) {
	case 0:
		return fmt.Sprintf(genUnary[g.r.Intn(len(genUnary))], g.expr(depth-1))
	case 1:
		return fmt.Sprintf(genBinary[g.r.Intn(len(genBinary))], g.expr(depth-1), g.expr(depth-1))
	}
	return fmt.Sprintf(genTernary[g.r.Intn(len(genTernary))], g.expr(depth-1), g.expr(depth-1), g.expr(depth-1))
}

// TestGeneratedQueriesExecute checks that every random query sqlgen accepts
// also runs on DuckDB: a translation either refuses clearly or produces SQL
// that executes (the only run-time refusal is mv-expand of a bag).
func TestGeneratedQueriesExecute(t *testing.T) {
	db := openDB(t)
	cat := catalog{"MyTable_CL": tbl}
	g := &exprGen{r: rand.New(rand.NewSource(7))}
	forms := []string{
		"MyTable_CL | extend x = %s | project x",
		"MyTable_CL | where %s | count",
		"MyTable_CL | summarize count() by k = %s",
		"MyTable_CL | project a = %s, N | sort by a desc | take 3",
		"MyTable_CL | extend x = %s | summarize percentiles(x, 5, 50), a = percentiles_array(x, 90), stdev(N), variancep(R), bag = make_bag_if(D, B), maxif(x, B), dcountif(x, N > 0) by Name",
		"MyTable_CL | extend x = %s | make-series a = avg(N), m = max(R) default = real(null) on TimeGenerated from datetime(2024-05-06 10:00) to now() step 30m by Name",
		"union withsource=S MyTable_CL, MyTable_CL | extend k = %s | join kind=fullouter (MyTable_CL | project N, j = 1) on N | lookup (MyTable_CL | project Name, m = N) on Name | count",
	}
	perForm := make([]int, len(forms))
	translated, failed := 0, 0
	for i := 0; i < 6000; i++ {
		kql := fmt.Sprintf(forms[i%len(forms)], g.expr(3))
		q, err := ToSQL(kql, cat, Options{Now: now})
		if err != nil {
			continue
		}
		translated++
		perForm[i%len(forms)]++
		rows, err := db.Query(q.SQL, q.Args...)
		if err == nil {
			for rows.Next() {
			}
			err = rows.Err()
			rows.Close()
		}
		if err != nil {
			failed++
			if failed <= 15 {
				t.Errorf("%s\n  %v\n  SQL: %s", kql, strings.SplitN(err.Error(), "\n", 2)[0], q.SQL)
			}
		}
	}
	t.Logf("%d of 6000 generated queries translated (per form %v); %d failed to execute", translated, perForm, failed)
	for i, n := range perForm {
		if n < 50 {
			t.Errorf("form %q: only %d queries translated", forms[i], n)
		}
	}
	if translated < 1000 {
		t.Errorf("generator too weak: only %d translated", translated)
	}
}
