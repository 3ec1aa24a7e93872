package store

import (
	"reflect"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/schema"
)

func cols(names ...string) schema.Schema {
	s := make(schema.Schema, len(names))
	for i, n := range names {
		s[i] = schema.Column{Name: n, Type: schema.String}
	}
	return s
}

func TestSQLColumnNames(t *testing.T) {
	cases := []struct {
		in, want []string
	}{
		{nil, []string{}},
		{[]string{"TimeGenerated", "Name"}, []string{"TimeGenerated", "Name"}},
		{[]string{"eventSource", "EventSource"}, []string{"eventSource", "EventSource__2"}},
		{[]string{"id", "Id", "ID", "iD"}, []string{"id", "Id__2", "ID__3", "iD__4"}},
		// A KQL name that looks like a generated one takes the next free.
		{[]string{"a", "A", "a__2"}, []string{"a", "A__2", "a__2__2"}},
		{[]string{"a__2", "a", "A"}, []string{"a__2", "a", "A__3"}},
		{[]string{"A__2", "a", "A"}, []string{"A__2", "a", "A__3"}},
		// Only ASCII letters fold (like DuckDB): É and é stay apart, the
		// ASCII part of a non-ASCII name folds.
		{[]string{"É", "é", "ÄB", "Äb"}, []string{"É", "é", "ÄB", "Äb__2"}},
		{[]string{`we"ird`, `WE"IRD`}, []string{`we"ird`, `WE"IRD__2`}},
	}
	for _, tc := range cases {
		got := SQLColumnNames(cols(tc.in...))
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SQLColumnNames(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestSQLColumnNamesProperties: names are unique ignoring ASCII case, a
// column without a clash keeps its name, and appending columns never
// renames earlier ones.
func TestSQLColumnNamesProperties(t *testing.T) {
	pool := []string{"id", "Id", "ID", "id__2", "Id__2", "x", "X", "x__3", "É", "é"}
	var names []string
	// Every sequence of 5 picks from the pool (with repeats of case
	// variants, without exact duplicates) in a deterministic walk.
	for seed := 0; seed < 2000; seed++ {
		names = names[:0]
		seen := map[string]bool{}
		for k, s := 0, seed; k < 5; k, s = k+1, s*7+3 {
			n := pool[s%len(pool)]
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
		got := SQLColumnNames(cols(names...))
		folded := map[string]bool{}
		for i, g := range got {
			f := strings.ToLower(g) // the pool is ASCII apart from É/é
			if g != "É" && g != "é" && folded[f] {
				t.Fatalf("%q → %q: %q clashes", names, got, g)
			}
			folded[f] = true
			if !strings.HasPrefix(g, names[i]) {
				t.Fatalf("%q → %q: %q does not start with its KQL name", names, got, g)
			}
			if prefix := SQLColumnNames(cols(names[:i+1]...)); !reflect.DeepEqual(prefix, got[:i+1]) {
				t.Fatalf("%q → %q but its prefix → %q", names, got, prefix)
			}
		}
	}
}

// FuzzSQLColumnNames: for any list of distinct names, the SQL names are
// unique ignoring ASCII case, start with their KQL name, keep names that
// clash with nothing earlier, and do not change when columns are appended.
func FuzzSQLColumnNames(f *testing.F) {
	f.Add("id\x00Id\x00ID")
	f.Add("a\x00A\x00a__2\x00A__2")
	f.Add("É\x00é\x00x")
	f.Fuzz(func(t *testing.T, joined string) {
		var names []string
		seen := map[string]bool{}
		for _, n := range strings.Split(joined, "\x00") {
			if n != "" && !seen[n] && len(names) < 64 {
				seen[n] = true
				names = append(names, n)
			}
		}
		got := SQLColumnNames(cols(names...))
		if len(got) != len(names) {
			t.Fatalf("%d names → %d", len(names), len(got))
		}
		folded := map[string]bool{}
		for i, g := range got {
			f := foldASCII(g)
			if folded[f] {
				t.Fatalf("%q → %q: %q clashes", names, got, g)
			}
			if !strings.HasPrefix(g, names[i]) {
				t.Fatalf("%q → %q: %q does not start with %q", names, got, g, names[i])
			}
			if g != names[i] && !folded[foldASCII(names[i])] {
				t.Fatalf("%q → %q: %q renamed without a clash", names, got, names[i])
			}
			folded[f] = true
		}
		if len(names) > 1 {
			if prefix := SQLColumnNames(cols(names[:len(names)-1]...)); !reflect.DeepEqual(prefix, got[:len(names)-1]) {
				t.Fatalf("%q → %q but without the last → %q", names, got, prefix)
			}
		}
	})
}
