package decode

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/resource"
)

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name   string
		resp   resource.Response
		body   []byte
		header http.Header
		want   string // JSON of events
	}{
		{"root array", resource.Response{EventsJSONPaths: []string{"$"}}, []byte(`[{"a":1},{"a":2.5}]`), nil, `[{"a":1},{"a":2.5}]`},
		{"empty path is root", resource.Response{EventsJSONPaths: []string{""}}, []byte(`[{"a":1}]`), nil, `[{"a":1}]`},
		{"object is one event", resource.Response{EventsJSONPaths: []string{"$"}}, []byte(`{"a":1}`), nil, `[{"a":1}]`},
		{"value array", resource.Response{EventsJSONPaths: []string{"$.value"}}, []byte(`{"value":[{"x":"y"}],"next":null}`), nil, `[{"x":"y"}]`},
		{"wildcard flattens", resource.Response{EventsJSONPaths: []string{"$.data[*]"}}, []byte(`{"data":[{"x":1},{"x":2}]}`), nil, `[{"x":1},{"x":2}]`},
		{"nested arrays one level", resource.Response{EventsJSONPaths: []string{"$.rows"}}, []byte(`{"rows":[[1,2],[3]]}`), nil, `[[1,2],[3]]`},
		{"missing path", resource.Response{EventsJSONPaths: []string{"$.value"}}, []byte(`{"other":1}`), nil, `null`},
		{"null skipped", resource.Response{EventsJSONPaths: []string{"$.value"}}, []byte(`{"value":null}`), nil, `null`},
		{"trailing space key", resource.Response{EventsJSONPaths: []string{" $.value "}}, []byte(`{"value":[1]}`), nil, `[1]`},
		{"empty body", resource.Response{EventsJSONPaths: []string{"$"}}, []byte("  \n"), nil, `null`},
		{"gzip header", resource.Response{EventsJSONPaths: []string{"$"}}, gz(`[{"a":1}]`), http.Header{"Content-Encoding": {"gzip"}}, `[{"a":1}]`},
		{"isGzipCompressed", resource.Response{EventsJSONPaths: []string{"$"}, IsGzipCompressed: true}, gz(`[{"a":1}]`), nil, `[{"a":1}]`},
		{"isGzipCompressed but plain", resource.Response{EventsJSONPaths: []string{"$"}, IsGzipCompressed: true}, []byte(`[{"a":1}]`), nil, `[{"a":1}]`},
		{"success status ok", resource.Response{EventsJSONPaths: []string{"$.response"}, SuccessStatusJSONPath: "$.stat", SuccessStatusValue: "OK"}, []byte(`{"stat":"OK","response":[{"a":1}]}`), nil, `[{"a":1}]`},
		{"big ints stay exact", resource.Response{EventsJSONPaths: []string{"$"}}, []byte(`[{"n":9007199254740993,"f":1e400}]`), nil, `[{"f":"1e400","n":9007199254740993}]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := New(tc.resp)
			if err != nil {
				t.Fatal(err)
			}
			h := tc.header
			if h == nil {
				h = http.Header{}
			}
			p, err := d.Decode(tc.body, h)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(p.Events)
			if string(b) != tc.want {
				t.Fatalf("events %s, want %s", b, tc.want)
			}
		})
	}
}

func TestNumberTypes(t *testing.T) {
	v, err := ParseJSON([]byte(`{"i":42,"f":4.5,"e":1e3,"neg":-7}`))
	if err != nil {
		t.Fatal(err)
	}
	m := v.(map[string]any)
	if _, ok := m["i"].(int64); !ok {
		t.Errorf("i is %T", m["i"])
	}
	if _, ok := m["neg"].(int64); !ok {
		t.Errorf("neg is %T", m["neg"])
	}
	if _, ok := m["f"].(float64); !ok {
		t.Errorf("f is %T", m["f"])
	}
	if f, ok := m["e"].(float64); !ok || f != 1000 {
		t.Errorf("e is %T %v", m["e"], m["e"])
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		resp resource.Response
		body []byte
		want string
	}{
		{"html", resource.Response{EventsJSONPaths: []string{"$"}}, []byte("<html>oops</html>"), `decoding response as JSON: byte 1: invalid character '<'`},
		{"truncated", resource.Response{EventsJSONPaths: []string{"$"}}, []byte(`[{"a":`), "unexpected end of JSON"},
		{"trailing", resource.Response{EventsJSONPaths: []string{"$"}}, []byte(`[] x`), "unexpected data after the document"},
		{"bad gzip", resource.Response{EventsJSONPaths: []string{"$"}, IsGzipCompressed: true}, []byte{0x1f, 0x8b, 0, 1}, "decompressing gzip response"},
		{"status mismatch", resource.Response{EventsJSONPaths: []string{"$"}, SuccessStatusJSONPath: "$.status", SuccessStatusValue: "success"}, []byte(`{"status":"fail"}`), `got "fail", want "success"`},
		{"status missing", resource.Response{EventsJSONPaths: []string{"$"}, SuccessStatusJSONPath: "$.status", SuccessStatusValue: "success"}, []byte(`{}`), `got nothing`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := New(tc.resp)
			if err != nil {
				t.Fatal(err)
			}
			_, err = d.Decode(tc.body, http.Header{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		resp resource.Response
		want string
	}{
		{resource.Response{}, "response.eventsJsonPaths: required"},
		{resource.Response{EventsJSONPaths: []string{"$.a["}}, "response.eventsJsonPaths[0]: jsonpath"},
		{resource.Response{EventsJSONPaths: []string{"$"}, Format: "parquet"}, `response.format: "parquet" is not supported`},
		{resource.Response{EventsJSONPaths: []string{"$"}, CompressionAlgo: "br"}, `response.compressionAlgo: "br" is not supported`},
		{resource.Response{EventsJSONPaths: []string{"$"}, Format: "csv", CSVDelimiter: ";;"}, `response.csvDelimiter: ";;": want exactly one character`},
		{resource.Response{EventsJSONPaths: []string{"$"}, Format: "csv", CSVEscape: ","}, `response.csvEscape: ',' is also the delimiter`},
		{resource.Response{EventsJSONPaths: []string{"$"}, SuccessStatusJSONPath: "$["}, "response.successStatusJsonPath"},
	}
	for _, tc := range tests {
		_, err := New(tc.resp)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{`[]`, `{"a":1}`, `[1e400]`, `"x"`, `[`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseJSON(b)
	})
}

func BenchmarkDecode(b *testing.B) {
	var sb strings.Builder
	sb.WriteByte('[')
	for i := range 1000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"id":"evt-123456","eventType":"Alert","ts":"2024-01-02T03:04:05Z","srcIp":"10.0.0.1","destIp":"10.0.0.2","protocol":"TCP","priority":"3","message":"something happened here","fileSizeBytes":12345,"deviceMac":"00:11:22:33:44:55"}`)
	}
	sb.WriteByte(']')
	body := []byte(sb.String())
	d, _ := New(resource.Response{EventsJSONPaths: []string{"$"}})
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := d.Decode(body, http.Header{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFastMatchesStd checks the fastjson path against encoding/json.
func TestFastMatchesStd(t *testing.T) {
	docs := []string{
		`[{"a":1,"b":-2.5,"c":"x\u00e9\n","d":[true,false,null],"e":{"f":{}},"g":[]}]`,
		`{"n":9007199254740993,"big":1e400,"neg":-0,"exp":1E2,"s":"\ud83d\ude00"}`,
		`"just a string"`, `42`, `null`, ` [ ] `,
	}
	for _, d := range docs {
		fast, ok := parseFast([]byte(d))
		if !ok {
			t.Fatalf("fast parser rejected %s", d)
		}
		std, err := parseStd([]byte(d))
		if err != nil {
			t.Fatal(err)
		}
		fb, _ := json.Marshal(fast)
		sb, _ := json.Marshal(std)
		if string(fb) != string(sb) {
			t.Errorf("%s: fast %s, std %s", d, fb, sb)
		}
	}
}

func FuzzFastMatchesStd(f *testing.F) {
	for _, s := range []string{`[]`, `{"a":1}`, `[1e400]`, `"x"`, `[`, `{"a":[1,2,{"b":null}]}`, `-0.0`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fast, ok := parseFast(b)
		std, err := parseStd(b)
		if !ok {
			return // invalid for fastjson; std gives the error message
		}
		if err != nil {
			// fastjson accepts a few inputs encoding/json rejects (for
			// example invalid UTF-8); both must at least not panic.
			return
		}
		fb, _ := json.Marshal(fast)
		sb, _ := json.Marshal(std)
		if string(fb) != string(sb) {
			t.Fatalf("%q: fast %s, std %s", b, fb, sb)
		}
	})
}

func BenchmarkParseStd(b *testing.B) {
	var sb strings.Builder
	sb.WriteByte('[')
	for i := range 1000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"id":"evt-123456","eventType":"Alert","ts":"2024-01-02T03:04:05Z","srcIp":"10.0.0.1","destIp":"10.0.0.2","protocol":"TCP","priority":"3","message":"something happened here","fileSizeBytes":12345,"deviceMac":"00:11:22:33:44:55"}`)
	}
	sb.WriteByte(']')
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := parseStd(body); err != nil {
			b.Fatal(err)
		}
	}
}
