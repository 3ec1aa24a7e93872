package decode

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// streamThreshold: plain JSON bodies from this size on are streamed rather
// than parsed whole by fastjson (which copies the body into its own buffer
// and builds a value tree next to the Go values).
const streamThreshold = 1 << 20

// parseStream decodes one JSON document from r without holding its text:
// containers are walked with encoding/json tokens and each array element is
// read as one small raw value and parsed with fastjson. empty is true when r
// holds only whitespace.
func parseStream(r io.Reader) (doc any, empty bool, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	dec := json.NewDecoder(br)
	dec.UseNumber()
	keys := keyCache{}
	tok, err := dec.Token()
	if err == io.EOF {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, streamErr(dec, err)
	}
	doc, err = streamValue(dec, tok, keys, 0)
	if err != nil {
		return nil, false, err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return nil, false, streamErr(dec, err)
		}
		return nil, false, fmt.Errorf("%w: decoding response as JSON: unexpected data after the document at byte %d", ErrSyntax, dec.InputOffset())
	}
	return doc, false, nil
}

func streamErr(dec *json.Decoder, err error) error {
	if errors.Is(err, ErrDecompress) {
		return err
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%w: decoding response as JSON: byte %d: %s", ErrSyntax, se.Offset, se.Error())
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: decoding response as JSON: byte %d: unexpected end of JSON", ErrSyntax, dec.InputOffset())
	}
	return fmt.Errorf("%w: decoding response as JSON: byte %d: %w", ErrSyntax, dec.InputOffset(), err)
}

// maxDepth bounds container nesting (a hostile body must not exhaust the
// stack).
const maxDepth = 10000

func streamValue(dec *json.Decoder, tok json.Token, keys keyCache, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: decoding response as JSON: nesting deeper than %d at byte %d", ErrSyntax, maxDepth, dec.InputOffset())
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '[':
			out := []any{}
			for dec.More() {
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return nil, streamErr(dec, err)
				}
				v, ok := parseFastKeys(raw, keys)
				if !ok {
					var err error
					if v, err = parseStd(raw); err != nil {
						return nil, err
					}
				}
				out = append(out, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, streamErr(dec, err)
			}
			return out, nil
		case '{':
			m := map[string]any{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, streamErr(dec, err)
				}
				k, _ := kt.(string)
				vt, err := dec.Token()
				if err != nil {
					return nil, streamErr(dec, err)
				}
				v, err := streamValue(dec, vt, keys, depth+1)
				if err != nil {
					return nil, err
				}
				m[keys.get([]byte(k))] = v
			}
			if _, err := dec.Token(); err != nil {
				return nil, streamErr(dec, err)
			}
			return m, nil
		}
		return nil, fmt.Errorf("%w: decoding response as JSON: unexpected %q at byte %d", ErrSyntax, t, dec.InputOffset())
	case json.Number:
		return Normalize(t), nil
	case string, bool, nil:
		return t, nil
	}
	return nil, fmt.Errorf("%w: decoding response as JSON: unexpected token %v", ErrSyntax, tok)
}
