package check

import (
	"strings"
	"testing"
)

// vocab is a token vocabulary for structure-aware fuzzing: each input byte
// picks one token, so the fuzzer explores well-formed-looking queries.
var vocab = []string{
	"|", "where", "extend", "project", "project-away", "project-rename", "summarize", "by", "take", "top", "sort by",
	"count", "distinct", "mv-expand", "parse", "with", "(", ")", ",", "=", "==", "!=", "<", ">", "+", "-", "*", "/", "%",
	"and", "or", "not", "has", "!has", "contains", "in", "!in", "between", "..", "[", "]", ".", "*",
	"ts", "eventType", "srcIp", "n", "data", "msg", "x", "y", "1", "0", "-1", "2.5", `"a"`, `'b'`, "1h", "true", "null",
	"datetime(2020-01-01)", "dynamic([1,2])", "dynamic({\"k\":1})", "int(null)", "time(1d)",
	"tostring", "toint", "todatetime", "parse_json", "iff", "case", "coalesce", "strcat", "split", "bin", "ago", "now",
	"columnifexists", "array_length", "pack", "substring", "replace_regex", "extract", "datetime_add", "max", "count()",
	"isnull", "isempty", "tolower", "strlen", "make_datetime", "startofday", "pack_array", "todynamic", "[0]", "['k']",
	"union", "join", "kind=inner", "kind=leftsemi", "on", "$left.n", "$right.n", "(T)", "T", "getschema", "arg_max",
	"arg_min", "percentile", "let", ";", "datatable", "print", "double", "['double']",
	"lookup", "kind=fullouter", "kind=rightsemi", "withsource=Src", "format_datetime", "format_timespan", "'yyyy-MM-dd HH:mm'", "'d.hh:mm:ss.FFF'",
	"percentiles", "percentiles_array", "stdev", "avgif", "minif", "dcountif", "make_bag_if", "trim", "typeof(long)",
	"make-series", "from", "to", "step", "default", "in range(0, 10, 2)", "(a, b)",
}

// QueryFromBytes builds a query over `source`/T from fuzz bytes.
func QueryFromBytes(head string, b []byte) string {
	var sb strings.Builder
	sb.WriteString(head)
	for _, c := range b {
		sb.WriteByte(' ')
		sb.WriteString(vocab[int(c)%len(vocab)])
	}
	return sb.String()
}

func FuzzCheckTokens(f *testing.F) {
	f.Add([]byte{0, 1, 47, 20, 52})
	f.Add([]byte{0, 2, 50, 19, 60, 16, 46, 17})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, mode := range []Mode{ModeTransform, ModePlaceholder} {
			q, err := Check(QueryFromBytes("source", b), Options{Mode: mode, Input: input})
			if err == nil {
				_ = q.Describe()
			}
		}
		if q, err := Check(QueryFromBytes("T", b), Options{Mode: ModeQuery, Tables: tables}); err == nil {
			_ = q.Describe()
		}
	})
}
