package decode

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// TestScan: documents the scanner must accept, with the values the
// fastjson path gives, and documents it must leave to the fallback.
func TestScan(t *testing.T) {
	accept := []string{
		`[{"a":1,"b":-2.5,"c":"x\u00e9\n","d":[true,false,null],"e":{"f":{}},"g":[]}]`,
		`{"n":9007199254740993,"big":1e400,"neg":-0,"exp":1E2,"s":"\ud83d\ude00","t":"\"\\\/\b\f\r\t"}`,
		`"just a string"`, `42`, `null`, ` [ ] `, `{"a":1,"a":2}`, `"caf\u00E9 ☕ é"`, "\"bad \xff utf8\"",
		`[-9223372036854775808, 9223372036854775808, 255, 256, 0.5e-3, -1E+2]`,
		`{"k\u0041y":"v"}`, `{"": ""}`, "\"\xe2\\u0082\"",
	}
	for _, d := range accept {
		got, ok := parseScan([]byte(d))
		if !ok {
			t.Errorf("scanner gave up on %s", d)
			continue
		}
		want, ok := parseFastjson([]byte(d))
		if !ok {
			t.Fatalf("fastjson rejected %s", d)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\nscan     %#v\nfastjson %#v", d, got, want)
		}
	}
	giveUp := []string{
		``, ` `, `[`, `{"a":}`, `{"a" 1}`, `[1,]`, `01`, `1.`, `.5`, `+1`, `-`, `1e`, `tru`, `nul`,
		`"a\x"`, `"\ud83d"`, `"\ud83d\u0041"`, "\"tab\there\"", `[1] x`, `{"a":1`, `"abc`, `"\u12"`,
		strings.Repeat("[", maxScanDepth+1) + strings.Repeat("]", maxScanDepth+1),
	}
	for _, d := range giveUp {
		if v, ok := parseScan([]byte(d)); ok {
			t.Errorf("scanner accepted %q as %#v", d, v)
		}
	}
	// The public path still decodes what the scanner leaves.
	if v, err := ParseJSON([]byte("\"tab\there\"")); err != nil || v != "tab\there" {
		t.Errorf("ParseJSON fallback = %#v, %v", v, err)
	}
}

// TestScanBoxedValues: slab-boxed values behave like normal ones after
// the slabs are reused and the collector runs.
func TestScanBoxedValues(t *testing.T) {
	var sb strings.Builder
	sb.WriteByte('[')
	for i := range 1000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"s":"v%d","n":%d,"f":%d.5,"e":"\u00e9%d"}`, i, i*1000, i, i)
	}
	sb.WriteByte(']')
	v, ok := parseScan([]byte(sb.String()))
	if !ok {
		t.Fatal("scanner gave up")
	}
	runtime.GC()
	for i, e := range v.([]any) {
		m := e.(map[string]any)
		if m["s"] != fmt.Sprintf("v%d", i) || m["n"] != int64(i*1000) || m["f"] != float64(i)+0.5 || m["e"] != fmt.Sprintf("é%d", i) {
			t.Fatalf("event %d = %#v", i, m)
		}
		var anyMap map[any]int = map[any]int{m["s"]: 1} // hashing a boxed value
		if anyMap[fmt.Sprintf("v%d", i)] != 1 {
			t.Fatalf("event %d: boxed string does not hash like a string", i)
		}
	}
}

// FuzzScanMatchesFast: whatever the scanner accepts, fastjson accepts with
// the same value; the scanner never panics.
func FuzzScanMatchesFast(f *testing.F) {
	for _, s := range []string{`[]`, `{"a":1}`, `[1e400]`, `"x"`, `[`, `{"a":[1,2,{"b":null}]}`, `-0.0`, `"\ud83d\ude00"`, "\"\xff\"", `{"a":"\u00e9","a":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := parseScan(b)
		if !ok {
			return
		}
		want, ok := parseFastjson(b)
		if !ok {
			t.Fatalf("%q: scanner accepted %#v, fastjson rejected", b, got)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\nscan     %#v\nfastjson %#v", b, got, want)
		}
	})
}

// TestPlain8 checks the 8-byte test against the byte-by-byte rule for
// every byte value in every lane.
func TestPlain8(t *testing.T) {
	for lane := range 8 {
		for c := range 256 {
			b := []byte("abcdefgh")
			b[lane] = byte(c)
			want := c != '"' && c != '\\' && c >= 0x20 && c < 0x80
			if got := plain8(string(b)); got != want {
				t.Fatalf("lane %d byte %#x: plain8 = %v, want %v", lane, c, got, want)
			}
		}
	}
}
