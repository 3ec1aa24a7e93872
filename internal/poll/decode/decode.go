// Package decode turns a response body into events: decompression, parsing
// and eventsJsonPaths selection (SPEC §4 "Responses", reference/ccf-format.md
// §2.5).
//
// Implemented: JSON (format "" or "json"), gzip (Content-Encoding: gzip or
// response.isGzipCompressed; detected by magic bytes so an already
// decompressed body passes through), successStatusJsonPath/Value. Each value
// an eventsJsonPaths entry selects that is an array contributes its elements;
// any other non-null value is one event. Numbers follow the schema package's
// dynamic conventions (int64 when integral and in range, else float64).
// Parsing uses fastjson (1.3-2x encoding/json into maps on the shared build
// machine, see
// BenchmarkDecode vs BenchmarkParseStd) and falls back to encoding/json only
// to produce a positioned error for invalid input.
// Not yet: CSV, XML, jsonlines, deflate/multi-gzip, convertChildPropertiesToArray,
// streaming of large bodies (the body is parsed in memory).
package decode

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/codeless/codeless/internal/jsonpath"
	"github.com/codeless/codeless/internal/resource"
)

// Decoder decodes responses of one connection.
type Decoder struct {
	paths        []*jsonpath.Path
	gzip         bool
	successPath  *jsonpath.Path
	successValue string
}

// New validates the response config. Errors name the JSON path.
func New(r resource.Response) (*Decoder, error) {
	var errs []error
	switch strings.ToLower(strings.TrimSpace(r.Format)) {
	case "", "json":
	default:
		errs = append(errs, fmt.Errorf("response.format: %q is not supported yet (json only)", r.Format))
	}
	if r.CompressionAlgo != "" && !strings.EqualFold(r.CompressionAlgo, "gzip") {
		errs = append(errs, fmt.Errorf("response.compressionAlgo: %q is not supported yet", r.CompressionAlgo))
	}
	if r.ConvertChildPropertiesToArray {
		errs = append(errs, errors.New("response.convertChildPropertiesToArray: not supported yet"))
	}
	d := &Decoder{gzip: r.IsGzipCompressed || strings.EqualFold(r.CompressionAlgo, "gzip"), successValue: r.SuccessStatusValue}
	if len(r.EventsJSONPaths) == 0 {
		errs = append(errs, errors.New("response.eventsJsonPaths: required (at least one path)"))
	}
	for i, p := range r.EventsJSONPaths {
		c, err := jsonpath.Compile(strings.TrimSpace(p))
		if err != nil {
			errs = append(errs, fmt.Errorf("response.eventsJsonPaths[%d]: %w", i, err))
			continue
		}
		d.paths = append(d.paths, c)
	}
	if r.SuccessStatusJSONPath != "" {
		c, err := jsonpath.Compile(r.SuccessStatusJSONPath)
		if err != nil {
			errs = append(errs, fmt.Errorf("response.successStatusJsonPath: %w", err))
		}
		d.successPath = c
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return d, nil
}

// Page is a decoded response.
type Page struct {
	Body   any   // the parsed document (nil for an empty body)
	Events []any // selected events, in order
}

// Decode decompresses and parses body and selects the events.
func (d *Decoder) Decode(body []byte, header http.Header) (*Page, error) {
	if d.gzip || strings.Contains(strings.ToLower(header.Get("Content-Encoding")), "gzip") {
		b, err := Gunzip(body)
		if err != nil {
			return nil, err
		}
		body = b
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return &Page{}, nil
	}
	doc, err := ParseJSON(body)
	if err != nil {
		return nil, err
	}
	if d.successPath != nil {
		v, ok := d.successPath.First(doc)
		if !ok || fmt.Sprint(v) != d.successValue {
			return nil, fmt.Errorf("response.successStatusJsonPath %s: got %s, want %q", d.successPath, describe(v, ok), d.successValue)
		}
	}
	p := &Page{Body: doc}
	for _, path := range d.paths {
		for _, v := range path.Select(doc) {
			switch x := v.(type) {
			case nil:
			case []any:
				for _, e := range x {
					if e != nil {
						p.Events = append(p.Events, e)
					}
				}
			default:
				p.Events = append(p.Events, x)
			}
		}
	}
	return p, nil
}

func describe(v any, ok bool) string {
	if !ok {
		return "nothing"
	}
	return fmt.Sprintf("%q", fmt.Sprint(v))
}

// Gunzip decompresses body when it starts with the gzip magic bytes
// (concatenated members included) and returns it unchanged otherwise.
func Gunzip(body []byte) ([]byte, error) {
	if len(body) < 2 || body[0] != 0x1f || body[1] != 0x8b {
		return body, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("decompressing gzip response: %w", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("decompressing gzip response: %w", err)
	}
	return out, nil
}

// ParseJSON parses one JSON document into Go values following the schema
// package's dynamic conventions.
func ParseJSON(body []byte) (any, error) {
	if v, ok := parseFast(body); ok {
		return v, nil
	}
	return parseStd(body)
}

// parseStd parses with encoding/json; it gives positioned errors.
func parseStd(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decoding response as JSON: %s (body starts %q)", jsonErr(err, body), snippet(body))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("decoding response as JSON: unexpected data after the document at byte %d (body starts %q)", dec.InputOffset(), snippet(body))
	}
	return Normalize(v), nil
}

func jsonErr(err error, body []byte) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("byte %d: %s", se.Offset, se.Error())
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Sprintf("byte %d: unexpected end of JSON", len(body))
	}
	return err.Error()
}

func snippet(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "…"
	}
	return string(b)
}

// Normalize converts json.Number values (recursively, in place) to int64 or
// float64.
func Normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, err := x.Float64()
		if err != nil {
			return x.String()
		}
		return f
	case []any:
		for i := range x {
			x[i] = Normalize(x[i])
		}
	case map[string]any:
		for k, e := range x {
			x[k] = Normalize(e)
		}
	}
	return v
}
