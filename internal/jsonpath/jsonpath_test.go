package jsonpath

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func decode(t testing.TB, s string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return normalize(v)
}

// normalize converts json.Number to int64/float64 like poll/decode does.
func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = normalize(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = normalize(x[k])
		}
	}
	return v
}

const doc = `{
  "value": [{"id": 1, "kind": "a", "sev": 5}, {"id": 2, "kind": "b", "sev": 1}, {"id": 3, "kind": "a"}],
  "@odata.nextLink": "https://x/next",
  "metadata": {"links": {"next": "https://x/2"}},
  "alerts": [{"_id": "x1"}, {"_id": "x2"}],
  "deep": {"scrollCursor": "c1", "inner": {"scrollCursor": "c2"}},
  "HOST": {"URL": {"#cdata-section": "https://q"}},
  "tables": [{"TableKind": "Other", "Rows": [[9]]}, {"TableKind": "PrimaryResult", "Rows": [["r00", "r01"], ["r10"]]}],
  "flag": false,
  "empty": []
}`

func TestSelect(t *testing.T) {
	v := decode(t, doc)
	tests := []struct {
		path string
		want string // JSON of the selection
	}{
		{"$", "ROOT"},
		{"", "ROOT"},
		{"$.value[0].id", "[1]"},
		{"value[1].id", "[2]"},
		{"$.value[-1].id", "[3]"},
		{"$.value[-1:].id", "[3]"},
		{"$.value[:2].id", "[1,2]"},
		{"$.value[1:].id", "[2,3]"},
		{"$.value[::2].id", "[1,3]"},
		{"$.value[::-1].id", "[3,2,1]"},
		{"$.value[0,2].id", "[1,3]"},
		{"$.value[*].id", "[1,2,3]"},
		{"$.value.*.kind", `["a","b","a"]`},
		{"$.value[5]", "null"},
		{"$.value[-9]", "null"},
		{"$['@odata.nextLink']", `["https://x/next"]`},
		{"$.['@odata.nextLink']", `["https://x/next"]`},
		{`$["@odata.nextLink"]`, `["https://x/next"]`},
		{"$.metadata.links.next", `["https://x/2"]`},
		{"$.alerts[-1:]._id", `["x2"]`},
		{"$.[-1:]", "null"},
		{"..scrollCursor", `["c1","c2"]`},
		{"$..scrollCursor", `["c1","c2"]`},
		{"$.deep..scrollCursor", `["c1","c2"]`},
		{"$.HOST.URL.#cdata-section", `["https://q"]`},
		{"$.value[?(@.kind == 'a')].id", "[1,3]"},
		{`$.value[?(@.kind=="b")].id`, "[2]"},
		{"$.value[?(@.kind != 'a')].id", "[2]"},
		{"$.value[?(@.sev)].id", "[1,2]"},
		{"$.value[?(@.sev > 1)].id", "[1]"},
		{"$.value[?(@.sev >= 1)].id", "[1,2]"},
		{"$.value[?(@.sev < 5)].id", "[2]"},
		{"$.value[?(@.sev <= 5 && @.kind == 'b')].id", "[2]"},
		{"$.value[?(@.id == 3 || @.sev == 5)].id", "[1,3]"},
		{"$.value[?((@.id == 3 || @.sev == 5) && @.kind == 'a')].id", "[1,3]"},
		{"$.value[?(@.id == $.value[1].id)].kind", `["b"]`},
		{"$.value[?(@.id == '2')].id", "[2]"},
		{"$[?(@.TableKind == 'PrimaryResult')].Rows[0][0]", "null"},
		{"$.tables[?(@.TableKind == 'PrimaryResult')].Rows[0][0]", `["r00"]`},
		{"$.flag", "[false]"},
		{"$.empty", "[[]]"},
		{"$.missing.x", "null"},
		{"$.value.id", "null"},
		{"$.metadata[0]", "null"},
		{"$.metadata[*]", `[{"next":"https://x/2"}]`},
		{"$..next", `["https://x/2"]`},
		{"$..[0].id", "[1]"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			p, err := Compile(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			got := p.Select(v)
			if tc.want == "ROOT" {
				if len(got) != 1 || !reflect.DeepEqual(got[0], v) {
					t.Fatalf("got %v, want the root", got)
				}
				return
			}
			b, _ := json.Marshal(got)
			if string(b) != tc.want {
				t.Errorf("Select = %s, want %s", b, tc.want)
			}
		})
	}
}

func TestRootArray(t *testing.T) {
	v := decode(t, `[{"log_id": "a"}, {"log_id": "b"}, {"TableKind": "PrimaryResult", "Rows": [[7]]}]`)
	for path, want := range map[string]string{
		"$.[-1:].log_id": `null`,
		"$.[-2:].log_id": `["b"]`,
		"$[*].log_id":    `["a","b"]`,
		"$[?(@.TableKind == 'PrimaryResult')].Rows[0][0]": `[7]`,
	} {
		got := MustCompile(path).Select(v)
		b, _ := json.Marshal(got)
		if string(b) != want {
			t.Errorf("%s: got %s, want %s", path, b, want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct{ path, want string }{
		{"$.value[", "position 7: unterminated '['"},
		{"$.value[0", "position 7: unterminated '['"},
		{"$['abc", "position 2: unterminated string"},
		{"$.value[?(@.a == 'x')", "position 7: unterminated '['"},
		{"$.value[?(@.a == 'x') x]", "position 22: expected ']'"},
		{"$.value[?@.a]", "position 9: expected '(' after '?'"},
		{"$.value[?(@.a == )]", "position 17: unexpected ')' in filter"},
		{"$.value[?(@.a =~ /x/)]", "not supported"},
		{"$.a.", "position 4: expected a member name after '.'"},
		{"$..", "position 3: expected a member name after '..'"},
		{"$.a[1:2:0]", "slice step cannot be 0"},
		{"$.a[(@.length-1)]", "script expressions are not supported"},
		{"$x", "position 1: unexpected 'x'"},
		{"$.a[x]", "position 4: unexpected 'x' in brackets"},
		{"$.a]", "position 3: unexpected ']'"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			_, err := Compile(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want containing %q", err, tc.want)
			}
		})
	}
}

func FuzzCompile(f *testing.F) {
	for _, s := range []string{"$", "", "..x", "$.[-1:]", "$.['@odata.nextLink']", "$[?(@.a == 'b' && @.c)]", "$.a[1:2:-1]", "$..[*]"} {
		f.Add(s)
	}
	v := decode(f, doc)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Compile(s)
		if err != nil {
			var e *Error
			if !asError(err, &e) || e.Pos < 0 || e.Pos > len(s) {
				t.Fatalf("bad error %v", err)
			}
			return
		}
		_ = p.Select(v)
	})
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error)
	if ok {
		*target = e
	}
	return ok
}
