package arm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DecodeJSON decodes JSON into the package's value conventions: nil, bool,
// int64 (integral numbers that fit), float64, string, []any and
// map[string]any. Trailing data after the first value is an error.
func DecodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, describeJSONError(data, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return normalize(v), nil
}

func describeJSONError(data []byte, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		line, col := lineCol(data, len(data))
		return fmt.Errorf("line %d col %d: unexpected end of JSON", line, col)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(data, int(se.Offset))
		return fmt.Errorf("line %d col %d: %w", line, col, err)
	}
	return err
}

func lineCol(data []byte, off int) (int, int) {
	if off > len(data) {
		off = len(data)
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := off - bytes.LastIndexByte(before, '\n')
	return line, col
}

func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		if !strings.ContainsAny(string(x), ".eE") {
			if n, err := x.Int64(); err == nil {
				return n
			}
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = normalize(x[i])
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = normalize(x[k])
		}
		return x
	}
	return v
}

// Normalize converts values decoded elsewhere (float64 numbers, json.Number,
// int) into the package's conventions in place and returns the result.
func Normalize(v any) any {
	switch x := v.(type) {
	case float64:
		if n, ok := toInt(x); ok && float64(n) == x {
			return n
		}
		return x
	case int:
		return int64(x)
	case json.Number:
		return normalize(x)
	case []any:
		for i := range x {
			x[i] = Normalize(x[i])
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = Normalize(x[k])
		}
		return x
	}
	return v
}

// deepCopy copies maps and slices so evaluation never mutates its input.
func deepCopy(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = deepCopy(x[i])
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	}
	return v
}
