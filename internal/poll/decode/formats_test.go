package decode

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/resource"
)

var update = flag.Bool("update", false, "rewrite golden files")

func deflateRaw(s string) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestSpeed)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func zlibOf(s string) []byte {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func multiGz(docs ...string) []byte {
	var out []byte
	for _, d := range docs {
		out = append(out, gz(d)...)
	}
	return out
}

func bptr(b bool) *bool { return &b }

func resp(format string, mod ...func(*resource.Response)) resource.Response {
	r := resource.Response{EventsJSONPaths: []string{"$"}, Format: format}
	for _, m := range mod {
		m(&r)
	}
	return r
}

func TestFormats(t *testing.T) {
	tests := []struct {
		name   string
		resp   resource.Response
		body   []byte
		header http.Header
		want   string // JSON of events
	}{
		{"csv header", resp("csv"), []byte("a,b\n1,x\n2,\"y, z\"\n"), nil, `[{"a":"1","b":"x"},{"a":"2","b":"y, z"}]`},
		{"csv crlf, quotes, embedded newline, BOM", resp("csv"), []byte("\ufeffa,b\r\n\"he said \"\"hi\"\"\",\"l1\nl2\"\r\n"), nil, `[{"a":"he said \"hi\"","b":"l1\nl2"}]`},
		{"csv no header", resp("csv", func(r *resource.Response) { r.HasCSVHeader = bptr(false) }), []byte("1,2\n3,4"), nil, `[{"Column1":"1","Column2":"2"},{"Column1":"3","Column2":"4"}]`},
		{"csv delimiter and escape", resp("csv", func(r *resource.Response) { r.CSVDelimiter = ";"; r.CSVEscape = "'" }), []byte("a;b\n'x;y';'it''s'\n"), nil, `[{"a":"x;y","b":"it's"}]`},
		{"csv tab delimiter", resp("csv", func(r *resource.Response) { r.CSVDelimiter = `\t` }), []byte("a\tb\n1\t2\n"), nil, `[{"a":"1","b":"2"}]`},
		{"csv blank lines and empty trailing field", resp("csv"), []byte("a,b\n\n1,\n\n"), nil, `[{"a":"1","b":""}]`},
		{"csv header only", resp("csv"), []byte("a,b\n"), nil, `null`},
		{"csv empty body", resp("csv"), []byte(""), nil, `null`},
		{"csv path into rows", resp("csv", func(r *resource.Response) { r.EventsJSONPaths = []string{"$[?(@.t == 'x')]"} }), []byte("t,v\nx,1\ny,2\n"), nil, `[{"t":"x","v":"1"}]`},
		{"csv boundary from content type", resp("csv", func(r *resource.Response) { r.HasCSVBoundary = true }),
			[]byte("--XYZ\r\nContent-Type: text/csv\r\n\r\na,b\r\n1,2\r\n--XYZ\r\n\r\nc\r\n3\r\n--XYZ--\r\n"),
			http.Header{"Content-Type": {`multipart/mixed; boundary=XYZ`}}, `[{"a":"1","b":"2"},{"c":"3"}]`},
		{"csv boundary from first line", resp("csv", func(r *resource.Response) { r.HasCSVBoundary = true }),
			[]byte("--b1\r\n\r\na\r\n1\r\n--b1--\r\n"), nil, `[{"a":"1"}]`},
		{"csv gzip", resp("csv", func(r *resource.Response) { r.IsGzipCompressed = true }), gz("a\n1\n"), nil, `[{"a":"1"}]`},
		{"jsonlines", resp("jsonlines"), []byte("{\"a\":1}\n\n{\"a\":2}\r\n[3]"), nil, `[{"a":1},{"a":2},3]`},
		{"jsonlines path per line", resp("jsonlines", func(r *resource.Response) { r.EventsJSONPaths = []string{"$.e"} }), []byte("{\"e\":[1,2]}\n{\"e\":3}\n"), nil, `[1,2,3]`},
		{"jsonlines empty", resp("jsonlines"), []byte("\n\n"), nil, `null`},
		{"xml", resp("xml", func(r *resource.Response) { r.EventsJSONPaths = []string{"$.R.H"} }), []byte(`<?xml version="1.0"?><R><H id="1"><IP>10.0.0.1</IP></H><H id="2"><IP>10.0.0.2</IP></H></R>`), nil, `[{"@id":"1","IP":"10.0.0.1"},{"@id":"2","IP":"10.0.0.2"}]`},
		{"xml single element stays an object", resp("xml", func(r *resource.Response) { r.EventsJSONPaths = []string{"$.R.H"} }), []byte(`<R><H><IP>1</IP></H></R>`), nil, `[{"IP":"1"}]`},
		{"deflate zlib", resp("json", func(r *resource.Response) { r.CompressionAlgo = "deflate" }), zlibOf(`[{"a":1}]`), nil, `[{"a":1}]`},
		{"deflate raw", resp("json", func(r *resource.Response) { r.CompressionAlgo = "Deflate" }), deflateRaw(`[{"a":1}]`), nil, `[{"a":1}]`},
		{"deflate already decompressed", resp("json", func(r *resource.Response) { r.CompressionAlgo = "deflate" }), []byte(`[{"a":1}]`), nil, `[{"a":1}]`},
		{"content-encoding deflate", resp("json"), zlibOf(`{"a":1}`), http.Header{"Content-Encoding": {"deflate"}}, `[{"a":1}]`},
		{"multi-gzip members are documents", resp("json", func(r *resource.Response) { r.CompressionAlgo = "multi-gzip"; r.EventsJSONPaths = []string{"$.v"} }), multiGz(`{"v":[1,2]}`, `{"v":[3]}`), nil, `[1,2,3]`},
		{"gzip multistream as one", resp("jsonlines", func(r *resource.Response) { r.IsGzipCompressed = true }), multiGz("{\"a\":1}\n", "{\"a\":2}\n"), nil, `[{"a":1},{"a":2}]`},
		{"gzip json is streamed", resp("json", func(r *resource.Response) { r.IsGzipCompressed = true; r.EventsJSONPaths = []string{"$.value[*].id"} }), gz(`{"value":[{"id":1},{"id":"x"}],"next":null}`), nil, `[1,"x"]`},
		{"convertChildPropertiesToArray (Illumio)", resp("json", func(r *resource.Response) { r.ConvertChildPropertiesToArray = true }), []byte(`{"b":[{"n":2},{"n":3}],"a":{"n":1},"c":null}`), nil, `[{"n":1},{"n":2},{"n":3}]`},
		{"convertChildPropertiesToArray with a filter (Anvilogic)", resource.Response{EventsJSONPaths: []string{"$[?(@.TableKind == 'PrimaryResult')].Rows[0][0]"}, ConvertChildPropertiesToArray: true},
			[]byte(`[{"TableKind":"QueryProperties","Rows":[[{"x":[0]}]]},{"TableKind":"PrimaryResult","Rows":[[{"alerts":[{"id":1}],"signals":[{"id":2}]}]]}]`), nil, `[{"id":1},{"id":2}]`},
		{"convertChildPropertiesToArray on a selected array keeps its elements whole (Kusto make_list cell)", resource.Response{EventsJSONPaths: []string{"$.Rows[0][0]"}, ConvertChildPropertiesToArray: true},
			[]byte(`{"Rows":[[[{"id":1,"sev":"high"},null,{"id":2,"sev":"low"}]]]}`), nil, `[{"id":1,"sev":"high"},{"id":2,"sev":"low"}]`},
		{"success status on bool", resource.Response{EventsJSONPaths: []string{"$.d"}, SuccessStatusJSONPath: "$.ok", SuccessStatusValue: "true"}, []byte(`{"ok":true,"d":[1]}`), nil, `[1]`},
		{"success value without path checks nothing (Cyfirma)", resource.Response{EventsJSONPaths: []string{"$"}, SuccessStatusValue: "success"}, []byte(`[1]`), nil, `[1]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := New(tc.resp)
			if err != nil {
				t.Fatal(err)
			}
			p, err := d.Decode(tc.body, tc.header)
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

func TestFormatErrors(t *testing.T) {
	trunc := gz(`[{"a":1},{"a":2},{"a":3},{"a":4}]`)
	trunc = trunc[:len(trunc)-12]
	tests := []struct {
		name   string
		resp   resource.Response
		body   []byte
		header http.Header
		is     error
		want   string
	}{
		{"csv unclosed quote", resp("csv"), []byte("a,b\n1,\"x\n"), nil, ErrSyntax, "CSV line 2: quoted field not closed"},
		{"csv field count", resp("csv"), []byte("a,b\n1,2\n1,2,3\n"), nil, ErrSyntax, "CSV line 3: 3 fields, the header has 2"},
		{"csv junk after quote", resp("csv"), []byte("a\n\"x\"y\n"), nil, ErrSyntax, `CSV line 2: unexpected 'y' after a closing quote`},
		{"csv duplicate header", resp("csv"), []byte("a,a\n1,2\n"), nil, ErrSyntax, `column "a" appears twice`},
		{"csv boundary missing", resp("csv", func(r *resource.Response) { r.HasCSVBoundary = true }), []byte("a\n1\n"), nil, ErrSyntax, "hasCsvBoundary"},
		{"xml mismatched", resp("xml"), []byte("<a>\n<b></c></a>"), nil, ErrSyntax, "XML line 2"},
		{"xml unclosed", resp("xml"), []byte("<a><b>x</b>"), nil, ErrSyntax, "<a> is not closed"},
		{"xml two roots", resp("xml"), []byte("<a/><b/>"), nil, ErrSyntax, "a second root element <b>"},
		{"xml not xml", resp("xml"), []byte(`{"a":1}`), nil, ErrSyntax, "XML line 1"},
		{"jsonlines bad line", resp("jsonlines"), []byte("{\"a\":1}\n{\"a\":\n"), nil, ErrSyntax, "JSON line 2"},
		{"truncated gzip", resp("json", func(r *resource.Response) { r.IsGzipCompressed = true }), trunc, nil, ErrDecompress, "decompressing gzip response"},
		{"gzip declared, binary body", resp("json", func(r *resource.Response) { r.IsGzipCompressed = true }), []byte{0x00, 0x01, 0x02}, nil, ErrDecompress, "does not start with the gzip magic bytes"},
		{"unsupported content encoding", resp("json"), []byte("xx"), http.Header{"Content-Encoding": {"br"}}, ErrDecompress, `unsupported Content-Encoding "br"`},
		{"corrupt deflate", resp("json", func(r *resource.Response) { r.CompressionAlgo = "deflate" }), []byte{0xff, 0xff, 0xff}, nil, ErrDecompress, "decompressing deflate"},
		{"multi-gzip bad member", resp("json", func(r *resource.Response) { r.CompressionAlgo = "multi-gzip" }), multiGz(`[1]`, `[2`), nil, ErrSyntax, "gzip member 2"},
		{"streamed json truncated", resp("json", func(r *resource.Response) { r.IsGzipCompressed = true }), gz(`{"v":[1,2`), nil, ErrSyntax, "unexpected end of JSON"},
		{"streamed json trailing data", resp("json", func(r *resource.Response) { r.IsGzipCompressed = true }), gz(`[1] [2]`), nil, ErrSyntax, "unexpected data after the document"},
		{"status mismatch is named", resource.Response{EventsJSONPaths: []string{"$"}, SuccessStatusJSONPath: "$.s", SuccessStatusValue: "ok"}, []byte(`{"s":"no"}`), nil, ErrSuccessStatus, `got "no"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := New(tc.resp)
			if err != nil {
				t.Fatal(err)
			}
			_, err = d.Decode(tc.body, tc.header)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %v containing %q", err, tc.is, tc.want)
			}
		})
	}
}

// TestXMLGolden converts testdata/xml/*.xml and compares with the .json
// golden next to it (go test -run XMLGolden -update rewrites them).
func TestXMLGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/xml/*.xml")
	if len(files) == 0 {
		t.Fatal("no testdata/xml/*.xml")
	}
	for _, f := range files {
		in, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v, err := ParseXML(in)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		got := buf.Bytes()
		golden := strings.TrimSuffix(f, ".xml") + ".json"
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: got\n%s\nwant\n%s", f, got, want)
		}
	}
}

// TestQualysPaths: the QualysVM connector's events path and its next-link
// path (with #cdata-section) select what they should.
func TestQualysPaths(t *testing.T) {
	in, err := os.ReadFile("testdata/xml/qualys_detection.xml")
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(resource.Response{EventsJSONPaths: []string{"$.HOST_LIST_VM_DETECTION_OUTPUT.RESPONSE.HOST_LIST.HOST"}, Format: "xml"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := d.Decode(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Events) != 2 {
		t.Fatalf("%d events", len(p.Events))
	}
	next := p.Body.(map[string]any)["HOST_LIST_VM_DETECTION_OUTPUT"].(map[string]any)["RESPONSE"].(map[string]any)["WARNING"].(map[string]any)["URL"].(map[string]any)["#cdata-section"]
	if next != "https://qualysapi.example/api/2.0/fo/asset/host/vm/detection/?action=list&id_min=12346" {
		t.Fatalf("next link %v", next)
	}
}

// csvEncode writes records with the given delimiter and quote, quoting
// every field that needs it.
func csvEncode(recs [][]string, delim, quote rune) []byte {
	var b bytes.Buffer
	for _, rec := range recs {
		for i, f := range rec {
			if i > 0 {
				b.WriteRune(delim)
			}
			if f == "" || strings.ContainsAny(f, string([]rune{delim, quote, '\n', '\r'})) || (i == 0 && len(rec) == 1) {
				b.WriteRune(quote)
				b.WriteString(strings.ReplaceAll(f, string(quote), string([]rune{quote, quote})))
				b.WriteRune(quote)
			} else {
				b.WriteString(f)
			}
		}
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

// TestCSVRoundTrip: random records written with quoting read back equal.
func TestCSVRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	alphabet := []rune("ab ,;'\"\n\r\tü")
	for _, dq := range [][2]rune{{',', '"'}, {';', '\''}, {'\t', '"'}} {
		for n := 0; n < 200; n++ {
			cols := 1 + rng.Intn(4)
			recs := [][]string{}
			for r := 0; r < 1+rng.Intn(5); r++ {
				rec := make([]string, cols)
				for c := range rec {
					var sb strings.Builder
					for k := rng.Intn(6); k > 0; k-- {
						sb.WriteRune(alphabet[rng.Intn(len(alphabet))])
					}
					rec[c] = sb.String()
				}
				recs = append(recs, rec)
			}
			c := csvOptions{delim: dq[0], quote: dq[1]}
			got, err := c.parse(bytes.NewReader(csvEncode(recs, dq[0], dq[1])), nil)
			if err != nil {
				t.Fatalf("%q: %v", recs, err)
			}
			if len(got) != len(recs) {
				t.Fatalf("%q: %d rows back", recs, len(got))
			}
			for i, row := range got {
				m := row.(map[string]any)
				for j, want := range recs[i] {
					if m[fmt.Sprintf("Column%d", j+1)] != want {
						t.Fatalf("%q row %d col %d: got %q", recs, i, j, m[fmt.Sprintf("Column%d", j+1)])
					}
				}
			}
		}
	}
}

// TestStreamMatchesFast: the streaming JSON parser gives the same values as
// the whole-body one.
func TestStreamMatchesFast(t *testing.T) {
	for _, s := range []string{
		`[{"a":1,"b":[1,2,{"c":null}],"d":"x\u00e9"},2.5,"s",true,null,[]]`,
		`{"value":[{"id":1}],"next":{"link":"u","n":-3},"e":{}}`,
		`"just a string"`, `12345678901234567890`, "{\"k\":\"\xff\"}",
	} {
		want, err := ParseJSON([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		got, empty, err := parseStream(strings.NewReader(s))
		if err != nil || empty {
			t.Fatalf("%s: %v empty=%v", s, err, empty)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: stream %#v, fast %#v", s, got, want)
		}
	}
}

func FuzzStreamMatchesFast(f *testing.F) {
	for _, s := range []string{`[1,{"a":[2]}]`, `{"a":{"b":[{"c":1}]}}`, `[`, `{"a" 1}`, `00`, `[00]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err1 := ParseJSON([]byte(s))
		got, empty, err2 := parseStream(strings.NewReader(s))
		if empty {
			if strings.TrimSpace(s) != "" {
				t.Fatalf("%q reported empty", s)
			}
			return
		}
		if err1 != nil && err2 == nil {
			t.Fatalf("%q: fast err %v, stream accepted it", s, err1)
		}
		if err1 == nil && err2 != nil {
			// fastjson is laxer than encoding/json (e.g. "00"); the
			// stream must then agree with encoding/json.
			if _, err := parseStd([]byte(s)); err == nil {
				t.Fatalf("%q: stream err %v, both other parsers accept it", s, err2)
			}
			return
		}
		if err1 == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: stream %#v, fast %#v", s, got, want)
		}
	})
}

func FuzzCSV(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "\"x\"\"y\",z\r\n", "\"open\n", "a\n\"q\"x\n", ",,,\n\n"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, header bool) {
		c := csvOptions{delim: ',', quote: '"', header: header}
		rows, err := c.parse(strings.NewReader(s), nil)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("%q: error not ErrSyntax: %v", s, err)
			}
			return
		}
		// Re-encoding and parsing again gives the same rows.
		if header || len(rows) == 0 {
			return
		}
		var recs [][]string
		for _, r := range rows {
			m := r.(map[string]any)
			rec := make([]string, len(m))
			for i := range rec {
				rec[i] = m[fmt.Sprintf("Column%d", i+1)].(string)
			}
			recs = append(recs, rec)
		}
		again, err := c.parse(bytes.NewReader(csvEncode(recs, ',', '"')), nil)
		if err != nil {
			t.Fatalf("%q: re-encoded %q: %v", s, csvEncode(recs, ',', '"'), err)
		}
		if !reflect.DeepEqual(rows, again) {
			t.Fatalf("%q: rows %v, again %v", s, rows, again)
		}
	})
}

func FuzzXML(f *testing.F) {
	for _, s := range []string{`<a x="1"><b>t</b><b/><![CDATA[c]]></a>`, `<a>`, `<?xml version="1.0"?><r>&amp;&nbsp;</r>`, `<a></b>`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseXML([]byte(s))
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("%q: error not ErrSyntax: %v", s, err)
			}
			return
		}
		m, ok := v.(map[string]any)
		if !ok || len(m) != 1 {
			t.Fatalf("%q: document %#v is not one root", s, v)
		}
		if _, err := json.Marshal(v); err != nil {
			t.Fatalf("%q: not JSON-able: %v", s, err)
		}
	})
}
