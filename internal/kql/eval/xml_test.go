package eval

import (
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/kql/value"
)

func TestParseXML(t *testing.T) {
	cases := []struct{ in, want string }{
		{`<a><b>1</b></a>`, `{"a":{"b":"1"}}`},
		{`<?xml version="1.0"?><note><to>Tove</to><from>Jani</from></note>`, `{"note":{"from":"Jani","to":"Tove"}}`},
		{`<r id="7">text</r>`, `{"r":{"#text":"text","@id":"7"}}`},
		{`<r><i>1</i><i>2</i><i>3</i></r>`, `{"r":{"i":["1","2","3"]}}`},
		{`<r><e/></r>`, `{"r":{"e":null}}`},
		{`<r/>`, `{"r":null}`},
		{`<r><i a="x"/></r>`, `{"r":{"i":{"@a":"x"}}}`},
		{`  `, `null`},
		{`not xml`, `null`},
		{`<a><b></a>`, `null`},
		{`<a/><b/>`, `null`},
		{`<a>1</a>trailing`, `null`},
	}
	for _, c := range cases {
		if got := value.JSON(parseXML(c.in)); got != c.want {
			t.Errorf("parse_xml(%q) = %s, want %s", c.in, got, c.want)
		}
	}
	deep := strings.Repeat("<a>", maxXMLDepth+5) + strings.Repeat("</a>", maxXMLDepth+5)
	if got := parseXML(deep); got != nil {
		t.Errorf("deep nesting: got %v, want null", value.JSON(got))
	}
}

// FuzzParseXML: parse_xml never panics and returns null or a bag.
func FuzzParseXML(f *testing.F) {
	for _, s := range []string{`<a><b>1</b></a>`, `<r id="7">t<i/>x</r>`, `<?xml version="1.0"?><n a="1"><x>1</x><x>2</x></n>`, `<a:b xmlns:a="u">1</a:b>`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		switch v := parseXML(s).(type) {
		case nil, map[string]any:
		default:
			t.Fatalf("parse_xml(%q) = %T", s, v)
		}
	})
}
