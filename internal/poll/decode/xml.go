package decode

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ParseXML converts an XML document to Go values the way Json.NET's
// JsonConvert.SerializeXmlNode does (CCF runs on .NET, and paths such as
// "$.HOST_LIST_VM_DETECTION_OUTPUT.RESPONSE.WARNING.URL.#cdata-section"
// rely on it):
//
//   - the document is an object holding the root element under its name;
//   - an element with neither attributes nor child nodes is null; one with
//     only text is that string;
//   - otherwise an object: attributes as "@name", child elements by name
//     (repeated names become an array, in document order), text as
//     "#text", CDATA sections as "#cdata-section" (several → array);
//   - whitespace-only text between elements is ignored; names keep their
//     prefix ("ns:name"); values stay strings; the XML declaration,
//     comments, processing instructions and DOCTYPE are dropped.
//
// Errors are ErrSyntax with the line of the problem.
func ParseXML(body []byte) (any, error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	dec.Entity = xml.HTMLEntity
	type frame struct {
		name  string
		obj   map[string]any
		text  []string
		cdata []string
	}
	var stack []*frame
	var root map[string]any
	errf := func(format string, args ...any) error {
		line, col := dec.InputPos()
		return fmt.Errorf("%w: XML line %d column %d: %s", ErrSyntax, line, col, fmt.Sprintf(format, args...))
	}
	for {
		off := dec.InputOffset()
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, fmt.Errorf("%w: XML line %d: %s", ErrSyntax, se.Line, se.Msg)
			}
			return nil, errf("%v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 && root != nil {
				return nil, errf("a second root element <%s>", qname(t.Name))
			}
			f := &frame{name: qname(t.Name), obj: map[string]any{}}
			for _, a := range t.Attr {
				k := "@" + qname(a.Name)
				f.obj[k] = a.Value
			}
			stack = append(stack, f)
		case xml.EndElement:
			if len(stack) == 0 {
				return nil, errf("unexpected </%s>", qname(t.Name))
			}
			f := stack[len(stack)-1]
			if n := qname(t.Name); n != f.name {
				return nil, errf("</%s> closes <%s>", n, f.name)
			}
			stack = stack[:len(stack)-1]
			var v any
			switch {
			case len(f.obj) == 0 && len(f.cdata) == 0 && len(f.text) == 0:
				v = nil
			case len(f.obj) == 0 && len(f.cdata) == 0:
				v = strings.Join(f.text, "")
			default:
				if len(f.text) == 1 {
					f.obj["#text"] = f.text[0]
				} else if len(f.text) > 1 {
					f.obj["#text"] = strAny(f.text)
				}
				if len(f.cdata) == 1 {
					f.obj["#cdata-section"] = f.cdata[0]
				} else if len(f.cdata) > 1 {
					f.obj["#cdata-section"] = strAny(f.cdata)
				}
				v = f.obj
			}
			if len(stack) == 0 {
				root = map[string]any{f.name: v}
				continue
			}
			p := stack[len(stack)-1]
			if old, ok := p.obj[f.name]; ok {
				// Element values are never arrays, so an array here
				// is a repetition.
				if arr, ok := old.([]any); ok {
					p.obj[f.name] = append(arr, v)
				} else {
					p.obj[f.name] = []any{old, v}
				}
			} else {
				p.obj[f.name] = v
			}
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, errf("text outside the root element")
				}
				continue
			}
			f := stack[len(stack)-1]
			if bytes.HasPrefix(body[off:], []byte("<![CDATA[")) {
				f.cdata = append(f.cdata, string(t))
			} else if len(bytes.TrimSpace(t)) > 0 {
				f.text = append(f.text, string(t))
			}
		}
	}
	if len(stack) > 0 {
		return nil, errf("<%s> is not closed before the end of the body", stack[len(stack)-1].name)
	}
	if root == nil {
		return nil, errf("no root element")
	}
	return root, nil
}

func qname(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

func strAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
