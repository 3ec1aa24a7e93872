package sqlgen

import (
	"strings"
	"testing"
)

var fuzzVocab = []string{
	"|", "where", "extend", "project", "project-away", "project-rename", "summarize", "by", "take", "top", "sort by",
	"count", "distinct", "mv-expand", "parse", "with", "(", ")", ",", "=", "==", "!=", "<", ">", "+", "-", "*", "/", "%",
	"and", "or", "not", "has", "!has", "contains", "in", "!in", "between", "..", "[", "]", ".", "*",
	"TimeGenerated", "Name", "N", "I", "D", "Sp", "x", "y", "1", "0", "-1", "2.5", `"a"`, `'b'`, "1h", "true", "null",
	"datetime(2020-01-01)", "dynamic([1,2])", "dynamic({\"k\":1})", "int(null)", "time(1d)",
	"tostring", "toint", "todatetime", "parse_json", "iff", "case", "coalesce", "strcat", "split", "bin", "ago", "now",
	"columnifexists", "array_length", "pack", "substring", "replace_regex", "extract", "datetime_add", "max", "count()",
	"isnull", "isempty", "tolower", "strlen", "make_datetime", "startofday", "pack_array", "todynamic", "[0]", "['k']",
	"union", "join", "kind=inner", "kind=leftouter", "kind=leftanti", "kind=rightouter", "kind=fullouter", "kind=rightsemi", "on", "$left.N", "$right.N", "(MyTable_CL)",
	"getschema", "arg_max", "arg_min", "percentile", "countof", "zip", "totimespan", "let", ";", "datatable", "print",
	"lookup", "kind=rightanti", "withsource=Src", "kind=outer", "format_datetime", "format_timespan", "'yyyy-MM-dd HH:mm'", "'d.hh:mm:ss.FFF'",
	"percentiles", "percentiles_array", "stdev", "variancep", "avgif", "maxif", "dcountif", "make_bag", "make_list_if", "trim", "reverse", "typeof(long)",
	"make-series", "from", "to", "step", "default", "in range(datetime(2024-05-06), now(), 1h)", "(a, b)",
}

// FuzzToSQLTokens translates near-valid queries built from a token
// vocabulary: translation may fail but must not panic, and every bound
// argument has a placeholder.
func FuzzToSQLTokens(f *testing.F) {
	f.Add([]byte{0, 1, 47, 20, 52})
	f.Add([]byte{0, 6, 60, 7, 13})
	cat := catalog{"MyTable_CL": tbl}
	f.Fuzz(func(t *testing.T, b []byte) {
		var sb strings.Builder
		sb.WriteString("MyTable_CL")
		for _, c := range b {
			sb.WriteByte(' ')
			sb.WriteString(fuzzVocab[int(c)%len(fuzzVocab)])
		}
		q, err := ToSQL(sb.String(), cat, Options{Now: now})
		if err != nil {
			return
		}
		if n := strings.Count(q.SQL, "$"); n < len(q.Args) {
			t.Fatalf("%d placeholders for %d args", n, len(q.Args))
		}
	})
}
