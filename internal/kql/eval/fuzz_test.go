package eval

import (
	"testing"
	"time"
)

// FuzzEval compiles random queries over the demo stream and runs them on a
// fixed row: compilation may fail, but nothing may panic or hang.
func FuzzEval(f *testing.F) {
	seeds := []string{
		`source | where eventType == "Alert" | project TimeGenerated = ts, SourceIP = srcIp`,
		`source | extend x = parse_json(message) | extend y = tostring(x.a[0]), z = toint(x.b) * 2 | project-away x`,
		`source | where message has "hello" and fileSizeBytes between (1 .. 2000) | extend t = bin(ts, 1h) + 1d`,
		`source | extend r = replace_regex(message, @"(l+)", @"<\1>"), s = split(srcIp, ".")[-1], c = case(priority == "1", 1, 2)`,
		`source | parse message with "he" rest | extend d = datetime_add("day", fileSizeBytes, ts) | project d, rest`,
		`source | project res = parse_json(message) | mv-expand res | project id = tostring(res["id"])`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	row := demoRow("Alert")
	row[8] = `{"a":[1,"x"],"b":"7","id":3}`
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, q string) {
		for _, placeholder := range []bool{false, true} {
			p, err := Compile(q, demoInput, Options{Placeholder: placeholder})
			if err != nil {
				continue
			}
			n := 0
			err = p.Run(row, now, func(out []any) error {
				n++
				if len(out) != len(p.Output()) {
					t.Fatalf("row width %d != schema %d", len(out), len(p.Output()))
				}
				return nil
			})
			if err != nil {
				t.Fatalf("run error on %q: %v", q, err)
			}
			if n > 1 && !placeholder {
				t.Fatalf("transform emitted %d rows", n)
			}
		}
	})
}
