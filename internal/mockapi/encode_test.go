package mockapi

import (
	"reflect"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/poll/decode"
)

// TestEncodeDocumentXML round-trips a Qualys-shaped document (repeated
// elements, a CDATA next link) through the poller's Json.NET-style XML
// mapping.
func TestEncodeDocumentXML(t *testing.T) {
	doc := map[string]any{"OUT": map[string]any{"RESPONSE": map[string]any{
		"HOST_LIST": map[string]any{"HOST": []any{map[string]any{"ID": "1"}, map[string]any{"ID": "2"}}},
		"WARNING":   map[string]any{"URL": map[string]any{"#cdata-section": "https://x/?id_min=3&a=<b>"}},
		"NOTE":      map[string]any{"#text": "a & b"},
	}}}
	body, ctype, err := EncodeDocument("xml", doc)
	if err != nil || ctype != "application/xml" {
		t.Fatalf("%v %q", err, ctype)
	}
	if !strings.Contains(string(body), "<URL><![CDATA[https://x/?id_min=3&a=<b>]]></URL>") {
		t.Errorf("no CDATA section in %s", body)
	}
	got, err := decode.ParseXML(body)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"OUT": map[string]any{"RESPONSE": map[string]any{
		"HOST_LIST": map[string]any{"HOST": []any{map[string]any{"ID": "1"}, map[string]any{"ID": "2"}}},
		"WARNING":   map[string]any{"URL": map[string]any{"#cdata-section": "https://x/?id_min=3&a=<b>"}},
		"NOTE":      "a & b",
	}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip\n got %#v\nwant %#v", got, want)
	}
}

func TestEncodeDocumentFormats(t *testing.T) {
	for _, c := range []struct {
		format string
		doc    any
		want   string // body, or error text
		ctype  string
	}{
		{"json", map[string]any{"a": []any{1}}, `{"a":[1]}`, "application/json"},
		{"", []any{}, `[]`, "application/json"},
		{"JsonLines", []any{map[string]any{"id": "a"}, map[string]any{"id": "b"}}, "{\"id\":\"a\"}\n{\"id\":\"b\"}\n", "application/x-ndjson"},
		{"jsonlines", map[string]any{"id": "a"}, "must be an array", ""},
		{"xml", map[string]any{"a": 1, "b": 2}, "one member", ""},
		{"xml", map[string]any{"a": []any{1}}, "must not be an array", ""},
		{"csv", []any{}, "unknown format", ""},
	} {
		body, ctype, err := EncodeDocument(c.format, c.doc)
		if c.ctype == "" {
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s %v: error %v, want %q", c.format, c.doc, err, c.want)
			}
			continue
		}
		if err != nil || string(body) != c.want || ctype != c.ctype {
			t.Errorf("%s %v: %q %q %v, want %q %q", c.format, c.doc, body, ctype, err, c.want, c.ctype)
		}
	}
}
