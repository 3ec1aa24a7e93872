package duckdb

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppendDynamic(t *testing.T) {
	cases := []struct {
		in   any
		want string
	}{
		{nil, `null`},
		{true, `true`},
		{int64(-42), `-42`},
		{int64(math.MaxInt64), `9223372036854775807`},
		{1.0, `1.0`},
		{-0.5, `-0.5`},
		{1e21, `1e+21`},
		{1e-7, `1e-07`},
		{123456.789, `123456.789`},
		{"a\"b\\c\n\t\x01\x7f<&>\u2028é🙂", `"a\"b\\c\n\t\u0001\u007f<&>\u2028é🙂"`},
		{"bad\xffutf8", `"bad\ufffdutf8"`},
		{[]any{}, `[]`},
		{map[string]any{}, `{}`},
		{map[string]any{"b": []any{int64(1), 2.5, nil}, "a": map[string]any{"x": "y"}}, `{"a":{"x":"y"},"b":[1,2.5,null]}`},
		{int32(7), `7`}, // other Go types fall back to encoding/json
		{[]string{"x"}, `["x"]`},
	}
	for _, tc := range cases {
		got, err := appendDynamic(nil, tc.in)
		if err != nil {
			t.Errorf("%#v: %v", tc.in, err)
			continue
		}
		if string(got) != tc.want {
			t.Errorf("%#v: got %s, want %s", tc.in, got, tc.want)
		}
		if !json.Valid(got) {
			t.Errorf("%#v: %s is not valid JSON", tc.in, got)
		}
	}
	for _, bad := range []any{math.NaN(), math.Inf(1), []any{math.Inf(-1)}, map[string]any{"f": func() {}}} {
		if got, err := appendDynamic(nil, bad); err == nil {
			t.Errorf("%T: want error, got %s", bad, got)
		}
	}
}

// FuzzAppendDynamic: the output is valid JSON that decodes to the input.
func FuzzAppendDynamic(f *testing.F) {
	f.Add("x", 1.5, int64(3))
	f.Add("\x00\"\\\u2028\xff", -0.0, int64(math.MinInt64))
	f.Add("", 1e300, int64(0))
	f.Fuzz(func(t *testing.T, s string, fl float64, n int64) {
		in := map[string]any{"s": s, "f": fl, "n": n, "l": []any{s, nil, true}, "k": map[string]any{s: int64(1)}}
		out, err := appendDynamic(nil, in)
		if math.IsNaN(fl) || math.IsInf(fl, 0) {
			if err == nil {
				t.Fatalf("%v: want error", fl)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeJSON(string(out))
		if err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		m := got.(map[string]any)
		wantS := perByteValid(s)
		if m["s"] != wantS || m["n"] != n || m["l"].([]any)[0] != wantS {
			t.Fatalf("round trip of %q/%d: %s -> %#v", s, n, out, m)
		}
		if g, ok := m["f"].(float64); !ok || g != fl {
			t.Fatalf("float %v: %s -> %#v", fl, out, m["f"])
		}
		if m["k"].(map[string]any)[wantS] != int64(1) {
			t.Fatalf("key %q lost: %s", s, out)
		}
	})
}

// perByteValid replaces every invalid byte with U+FFFD, as appendString does.
func perByteValid(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
