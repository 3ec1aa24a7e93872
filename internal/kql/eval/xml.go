package eval

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// maxXMLDepth bounds element nesting in parse_xml (hostile input).
const maxXMLDepth = 256

// parseXML converts an XML document to a dynamic value the way Kusto's
// parse_xml does (Json.NET's XML conversion): an element becomes a bag of
// its children, attributes become "@name" keys, text of an element with
// attributes or children becomes "#text", repeated child names become
// arrays, a text-only element becomes its string and an empty element
// null. All leaf values stay strings. Invalid XML gives null.
// ParseXML is parse_xml(s): the dynamic value of an XML document (nil
// when s is not well-formed XML). sqlgen's kql_parse_xml UDF calls it.
func ParseXML(s string) any { return parseXML(s) }

func parseXML(s string) any {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	dec := xml.NewDecoder(strings.NewReader(s))
	dec.Strict = true
	var root map[string]any
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil {
				return nil // a second root element
			}
			v, err := xmlElement(dec, t, 1)
			if err != nil {
				return nil
			}
			root = map[string]any{xmlName(t.Name): v}
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				return nil // text outside the root element
			}
		}
	}
	if root == nil {
		return nil
	}
	return root
}

func xmlName(n xml.Name) string {
	if n.Space != "" && !strings.Contains(n.Space, "/") {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

func xmlElement(dec *xml.Decoder, start xml.StartElement, depth int) (any, error) {
	if depth > maxXMLDepth {
		return nil, errors.New("parse_xml: nesting too deep")
	}
	bag := map[string]any{}
	add := func(k string, v any) {
		if old, ok := bag[k]; ok {
			if arr, isArr := old.([]any); isArr && k != "#text" {
				bag[k] = append(arr, v)
			} else {
				bag[k] = []any{old, v}
			}
			return
		}
		bag[k] = v
	}
	for _, a := range start.Attr {
		add("@"+xmlName(a.Name), a.Value)
	}
	var text strings.Builder
	children := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			v, err := xmlElement(dec, t, depth+1)
			if err != nil {
				return nil, err
			}
			children++
			add(xmlName(t.Name), v)
		case xml.CharData:
			text.WriteString(string(t))
		case xml.EndElement:
			txt := text.String()
			if children > 0 {
				txt = strings.TrimSpace(txt)
			}
			if len(bag) == 0 {
				if txt == "" {
					return nil, nil
				}
				return txt, nil
			}
			if strings.TrimSpace(txt) != "" {
				add("#text", txt)
			}
			return bag, nil
		}
	}
}
