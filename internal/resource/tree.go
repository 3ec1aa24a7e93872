package resource

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// object is a JSON object that keeps its keys in file order (encoding/json's
// map[string]any does not, and stream declarations must stay in file order).
// Raw is the object's exact source text.
type object struct {
	Keys []string
	Vals []any
	Raw  []byte
}

// get returns the value of the first key equal to name after trimming and
// case folding, and the key as written.
func (o *object) get(name string) (any, string, bool) {
	for i, k := range o.Keys {
		if strings.EqualFold(strings.TrimSpace(k), name) {
			return o.Vals[i], k, true
		}
	}
	return nil, "", false
}

// str returns the string value of key name ("" when absent or not a string).
func (o *object) str(name string) string {
	v, _, _ := o.get(name)
	s, _ := v.(string)
	return s
}

// obj returns the object value of key name (nil when absent or not an object).
func (o *object) obj(name string) *object {
	v, _, _ := o.get(name)
	ob, _ := v.(*object)
	return ob
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 200

// parseTree decodes data into an ordered tree: *object, []any, string,
// json.Number, bool or nil.
func parseTree(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := parseValue(dec, data, 0)
	if err != nil {
		return nil, syntaxError(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			line, col := lineCol(data, dec.InputOffset())
			return nil, fmt.Errorf("line %d col %d: invalid JSON: %w", line, col, errTrailing)
		}
		return nil, syntaxError(data, err)
	}
	return v, nil
}

var errTrailing = errors.New("unexpected data after the top-level value")

func parseValue(dec *json.Decoder, data []byte, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nesting deeper than %d levels", maxDepth)
	}
	start := dec.InputOffset()
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &object{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("expected an object key, got %v", kt)
				}
				v, err := parseValue(dec, data, depth+1)
				if err != nil {
					return nil, err
				}
				o.Keys = append(o.Keys, k)
				o.Vals = append(o.Vals, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			end := dec.InputOffset()
			if start >= 0 && end <= int64(len(data)) && start <= end {
				o.Raw = bytes.TrimLeft(data[start:end], " \t\r\n:,")
			}
			return o, nil
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := parseValue(dec, data, depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return arr, nil
		}
		return nil, fmt.Errorf("unexpected %q", rune(t))
	default:
		return tok, nil
	}
}

// syntaxError turns a decoder error into "line L col C: reason".
func syntaxError(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(data, se.Offset)
		msg := se.Error()
		if se.Offset == 0 && msg == "" {
			msg = "invalid JSON"
		}
		return fmt.Errorf("line %d col %d: invalid JSON: %s", line, col, msg)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		line, col := lineCol(data, int64(len(data)))
		return fmt.Errorf("line %d col %d: invalid JSON: unexpected end of input", line, col)
	}
	return fmt.Errorf("invalid JSON: %w", err)
}

func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col := 1, 1
	for _, b := range data[:off] {
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// plain converts an ordered tree into the dynamic value convention of
// internal/schema: map[string]any, []any, string, int64, float64, bool, nil.
func plain(v any) any {
	switch t := v.(type) {
	case *object:
		m := make(map[string]any, len(t.Keys))
		for i, k := range t.Keys {
			m[k] = plain(t.Vals[i])
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = plain(e)
		}
		return out
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return i
		}
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			return string(t)
		}
		return f
	default:
		return v
	}
}

// describe renders a value briefly for error messages.
func describe(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case *object:
		return "an object"
	case []any:
		return "an array"
	case string:
		if len(t) > 60 {
			t = t[:57] + "..."
		}
		return strconv.Quote(t)
	case json.Number:
		return string(t)
	case bool:
		return strconv.FormatBool(t)
	}
	return fmt.Sprintf("%v", v)
}

// childPath appends an object key to a JSON path, quoting keys that are not
// plain identifiers.
func childPath(path, key string) string {
	if isIdent(key) {
		return path + "." + key
	}
	return path + "['" + strings.ReplaceAll(key, "'", `\'`) + "']"
}

func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || r == '$' || r == '@' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
		case i > 0 && (r >= '0' && r <= '9' || r == '-'):
		default:
			return false
		}
	}
	return true
}

// ChildPath appends an object key to a JSON path the way diagnostics spell
// it: ".key" for identifiers, "['key']" otherwise.
func ChildPath(path, key string) string { return childPath(path, key) }
