package eval

import (
	"strings"
	"testing"
	"time"
)

var fuzzVocab = []string{
	"|", "where", "extend", "project", "project-away", "project-rename", "summarize", "by", "take", "top", "sort by",
	"count", "distinct", "mv-expand", "parse", "with", "(", ")", ",", "=", "==", "!=", "<", ">", "+", "-", "*", "/", "%",
	"and", "or", "not", "has", "!has", "contains", "in", "!in", "between", "..", "[", "]", ".", "*",
	"ts", "eventType", "srcIp", "fileSizeBytes", "message", "priority", "x", "y", "1", "0", "-1", "2.5", `"a"`, `'b'`, "1h", "true", "null",
	"datetime(2020-01-01)", "dynamic([1,2])", "dynamic({\"k\":1})", "int(null)", "time(1d)",
	"tostring", "toint", "todatetime", "parse_json", "iff", "case", "coalesce", "strcat", "split", "bin", "ago", "now",
	"columnifexists", "array_length", "pack", "substring", "replace_regex", "extract", "datetime_add", "max", "count()",
	"isnull", "isempty", "tolower", "strlen", "make_datetime", "startofday", "pack_array", "todynamic", "[0]", "['k']",
}

// FuzzEvalTokens builds queries from a token vocabulary (one byte = one
// token) so the fuzzer explores near-valid transforms; compiled programs
// must run on a fixed row without error or panic.
func FuzzEvalTokens(f *testing.F) {
	f.Add([]byte{0, 1, 47, 20, 52})
	f.Add([]byte{0, 2, 50, 19, 60, 16, 46, 17, 0, 3, 49})
	row := demoRow("Alert")
	row[8] = `{"a":[1,"x"],"k":2}`
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		var sb strings.Builder
		sb.WriteString("source")
		for _, c := range b {
			sb.WriteByte(' ')
			sb.WriteString(fuzzVocab[int(c)%len(fuzzVocab)])
		}
		q := sb.String()
		for _, ph := range []bool{false, true} {
			p, err := Compile(q, demoInput, Options{Placeholder: ph})
			if err != nil {
				continue
			}
			if err := p.Run(row, now, func(out []any) error {
				if len(out) != len(p.Output()) {
					t.Fatalf("%q: width %d != %d", q, len(out), len(p.Output()))
				}
				return nil
			}); err != nil {
				t.Fatalf("%q: %v", q, err)
			}
		}
	})
}
