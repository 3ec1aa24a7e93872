package syntax

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseDynamicLiteral decodes the body of a dynamic(...) literal: JSON with
// single- or double-quoted strings. Integers become int64, other numbers
// float64, objects map[string]any, arrays []any.
func ParseDynamicLiteral(s string) (any, error) {
	d := &dynParser{s: s}
	d.ws()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.ws()
	if d.i != len(d.s) {
		return nil, fmt.Errorf("unexpected %q at offset %d", d.s[d.i], d.i)
	}
	return v, nil
}

type dynParser struct {
	s string
	i int
}

func (d *dynParser) ws() {
	for d.i < len(d.s) && strings.IndexByte(" \t\r\n", d.s[d.i]) >= 0 {
		d.i++
	}
}

func (d *dynParser) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nested too deeply")
	}
	if d.i >= len(d.s) {
		return nil, fmt.Errorf("unexpected end")
	}
	c := d.s[d.i]
	switch {
	case c == '{':
		d.i++
		m := map[string]any{}
		d.ws()
		if d.i < len(d.s) && d.s[d.i] == '}' {
			d.i++
			return m, nil
		}
		for {
			d.ws()
			if d.i >= len(d.s) || (d.s[d.i] != '"' && d.s[d.i] != '\'') {
				return nil, fmt.Errorf("expected a quoted property name at offset %d", d.i)
			}
			k, err := d.str()
			if err != nil {
				return nil, err
			}
			d.ws()
			if d.i >= len(d.s) || d.s[d.i] != ':' {
				return nil, fmt.Errorf("expected ':' at offset %d", d.i)
			}
			d.i++
			d.ws()
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			m[k] = v
			d.ws()
			if d.i < len(d.s) && d.s[d.i] == ',' {
				d.i++
				continue
			}
			if d.i < len(d.s) && d.s[d.i] == '}' {
				d.i++
				return m, nil
			}
			return nil, fmt.Errorf("expected ',' or '}' at offset %d", d.i)
		}
	case c == '[':
		d.i++
		arr := []any{}
		d.ws()
		if d.i < len(d.s) && d.s[d.i] == ']' {
			d.i++
			return arr, nil
		}
		for {
			d.ws()
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
			d.ws()
			if d.i < len(d.s) && d.s[d.i] == ',' {
				d.i++
				continue
			}
			if d.i < len(d.s) && d.s[d.i] == ']' {
				d.i++
				return arr, nil
			}
			return nil, fmt.Errorf("expected ',' or ']' at offset %d", d.i)
		}
	case c == '"' || c == '\'':
		return d.str()
	case c == '-' || c == '+' || isDigit(c):
		j := d.i + 1
		for j < len(d.s) && strings.IndexByte("0123456789.eE+-", d.s[j]) >= 0 {
			j++
		}
		txt := d.s[d.i:j]
		d.i = j
		if n, err := strconv.ParseInt(strings.TrimPrefix(txt, "+"), 10, 64); err == nil {
			return n, nil
		}
		f, err := strconv.ParseFloat(txt, 64)
		if err != nil {
			return nil, fmt.Errorf("invalid number %q", txt)
		}
		return f, nil
	case isIdentStart(c):
		j := d.i
		for j < len(d.s) && isIdentPart(d.s[j]) {
			j++
		}
		w := d.s[d.i:j]
		d.i = j
		switch w {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return nil, nil
		}
		return nil, fmt.Errorf("unexpected word %q", w)
	}
	return nil, fmt.Errorf("unexpected %q at offset %d", c, d.i)
}

func (d *dynParser) str() (string, error) {
	val, n, err := lexQuoted(d.s, d.i)
	if err != nil {
		return "", fmt.Errorf("%s", err.Msg)
	}
	d.i += n
	return val, nil
}
