// Package decode turns a response body into events: decompression, parsing
// and eventsJsonPaths selection (SPEC §4 "Responses", reference/ccf-format.md
// §2.5).
//
// Formats: JSON ("" or "json"), JSON lines ("jsonlines": one document per
// line), CSV ("csv": RFC 4180 with csvDelimiter, csvEscape as the quote
// character, hasCsvHeader, hasCsvBoundary) and XML ("xml": Json.NET's
// SerializeXmlNode mapping). Compression: gzip (Content-Encoding or
// isGzipCompressed/compressionAlgo gzip; detected by magic bytes so a body the
// HTTP client already decompressed passes through), deflate (zlib or raw) and
// multi-gzip (concatenated members, each a separate JSON document).
// successStatusJsonPath/Value is checked on every document (a value without a
// path checks nothing: Cyfirma sets only the value). Each value an
// eventsJsonPaths entry selects that is an array contributes its elements;
// any other non-null value is one event. convertChildPropertiesToArray turns
// each selected object into the list of its members' values (arrays
// flattened), members in sorted key order.
//
// Numbers follow the schema package's dynamic conventions (int64 when
// integral and in range, else float64); CSV and XML values stay strings.
// Plain JSON bodies go first to our own one-pass scanner (scan.go: no value
// tree, strings share one copy of the body, values boxed from slabs; 3.5x
// encoding/json into maps, 1.7x fastjson, see BenchmarkDecode vs
// BenchmarkParseStd and docs/poller.md Throughput). It accepts a strict
// subset of JSON; what it leaves goes to fastjson, and encoding/json only
// produces positioned errors. Compressed JSON bodies, and large bodies the
// scanner leaves, are streamed (stream.go): the decompressed text is never
// held whole and fastjson sees one array element at a time; CSV and JSON
// lines always stream. Errors wrap ErrDecompress, ErrSyntax or
// ErrSuccessStatus.
//
// We write our own JSON scanner (the poll path's largest per-event cost was
// building fastjson's tree and converting it), CSV reader (encoding/csv has
// no configurable quote character) and XML mapping (no Go library follows
// Json.NET's, which CCF paths such as "URL.#cdata-section" depend on).
package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/codeless/codeless/internal/jsonpath"
	"github.com/codeless/codeless/internal/resource"
)

// Named errors (health and lint classify with errors.Is).
var (
	// ErrDecompress: the body does not decompress as declared.
	ErrDecompress = errors.New("response content encoding")
	// ErrSyntax: the body is not valid in the configured format.
	ErrSyntax = errors.New("response body syntax")
	// ErrSuccessStatus: successStatusJsonPath did not hold
	// successStatusValue.
	ErrSuccessStatus = errors.New("response success status")
)

// Format is a response format.
type Format string

// Formats.
const (
	FormatJSON      Format = "json"
	FormatJSONLines Format = "jsonlines"
	FormatCSV       Format = "csv"
	FormatXML       Format = "xml"
)

// Decoder decodes responses of one connection.
type Decoder struct {
	format       Format
	paths        []*jsonpath.Path
	compression  string // "", "gzip", "deflate", "multi-gzip"
	successPath  *jsonpath.Path
	successValue string
	children     bool
	csv          csvOptions
}

// New validates the response config. Errors name the JSON path.
func New(r resource.Response) (*Decoder, error) {
	var errs []error
	d := &Decoder{successValue: r.SuccessStatusValue, children: r.ConvertChildPropertiesToArray}
	switch f := strings.ToLower(strings.TrimSpace(r.Format)); f {
	case "", "json":
		d.format = FormatJSON
	case "jsonlines", "jsonl", "ndjson":
		d.format = FormatJSONLines
	case "csv":
		d.format = FormatCSV
	case "xml":
		d.format = FormatXML
	default:
		errs = append(errs, fmt.Errorf("response.format: %q is not supported (json, jsonlines, csv, xml)", r.Format))
	}
	switch a := strings.ToLower(strings.TrimSpace(r.CompressionAlgo)); a {
	case "":
		if r.IsGzipCompressed {
			d.compression = "gzip"
		}
	case "gzip", "deflate", "multi-gzip":
		d.compression = a
	default:
		errs = append(errs, fmt.Errorf("response.compressionAlgo: %q is not supported (gzip, deflate, multi-gzip)", r.CompressionAlgo))
	}
	if c, err := newCSVOptions(r); err != nil {
		errs = append(errs, err)
	} else {
		d.csv = c
	}
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

// Format returns the configured format.
func (d *Decoder) Format() Format { return d.format }

// Page is a decoded response.
type Page struct {
	// Body is the parsed document (nil for an empty body). JSON lines and
	// multi-gzip bodies with several documents give a []any of them; CSV
	// gives the []any of row objects; XML the Json.NET-style object.
	Body   any
	Events []any // selected events, in order
}

// Decode decompresses and parses body and selects the events. header is the
// response header (Content-Encoding, Content-Type for CSV boundaries).
func (d *Decoder) Decode(body []byte, header http.Header) (*Page, error) {
	if header == nil {
		header = http.Header{}
	}
	docs, err := d.parse(body, header)
	if err != nil {
		return nil, err
	}
	p := &Page{}
	switch {
	case len(docs) == 1:
		p.Body = docs[0]
	case len(docs) > 1 || d.format == FormatJSONLines:
		p.Body = docs
	}
	for _, doc := range docs {
		if err := d.checkSuccess(doc); err != nil {
			return nil, err
		}
		p.Events = d.selectEvents(doc, p.Events)
	}
	return p, nil
}

// parse returns the documents of a body.
func (d *Decoder) parse(body []byte, header http.Header) ([]any, error) {
	enc, err := d.encoding(body, header)
	if err != nil {
		return nil, err
	}
	if enc == "multi-gzip" && d.format == FormatJSON {
		return gzipMembers(body)
	}
	switch d.format {
	case FormatCSV:
		r, err := open(body, enc)
		if err != nil {
			return nil, err
		}
		rows, err := d.csv.parse(r, header)
		if err != nil {
			return nil, err
		}
		if rows == nil {
			return nil, nil
		}
		return []any{rows}, nil
	case FormatJSONLines:
		r, err := open(body, enc)
		if err != nil {
			return nil, err
		}
		return parseLines(r)
	case FormatXML:
		b, err := readAll(body, enc)
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(b)) == 0 {
			return nil, nil
		}
		doc, err := ParseXML(b)
		if err != nil {
			return nil, err
		}
		return []any{doc}, nil
	}
	// JSON: plain bodies of any size go to the scanner (scan.go: no value
	// tree, strings share one copy of the text); what it leaves goes to
	// fastjson then encoding/json when small, to the streaming decoder when
	// large. Compressed bodies are streamed.
	if enc == "" {
		if len(bytes.TrimSpace(body)) == 0 {
			return nil, nil
		}
		if doc, ok := parseScan(body); ok {
			return []any{doc}, nil
		}
		if len(body) < streamThreshold {
			doc, ok := parseFastjson(body)
			if !ok {
				var err error
				if doc, err = parseStd(body); err != nil {
					return nil, err
				}
			}
			return []any{doc}, nil
		}
	}
	r, err := open(body, enc)
	if err != nil {
		return nil, err
	}
	doc, empty, err := parseStream(r)
	if err != nil || empty {
		return nil, err
	}
	return []any{doc}, nil
}

func (d *Decoder) checkSuccess(doc any) error {
	if d.successPath == nil {
		return nil
	}
	v, ok := d.successPath.First(doc)
	if !ok || scalarText(v) != d.successValue {
		return fmt.Errorf("%w: response.successStatusJsonPath %s: got %s, want %q", ErrSuccessStatus, d.successPath, describe(v, ok), d.successValue)
	}
	return nil
}

func scalarText(v any) string {
	if b, ok := v.(bool); ok {
		if b {
			return "true"
		}
		return "false"
	}
	return fmt.Sprint(v)
}

// selectEvents appends the events of doc to out.
func (d *Decoder) selectEvents(doc any, out []any) []any {
	add := func(v any) {
		if d.children {
			out = appendChildren(out, v)
			return
		}
		out = appendEvents(out, v)
	}
	for _, path := range d.paths {
		for _, v := range path.Select(doc) {
			add(v)
		}
	}
	return out
}

// appendEvents appends the events a selected value holds: an array's
// non-null elements, or the value itself; null is none.
func appendEvents(out []any, v any) []any {
	switch x := v.(type) {
	case nil:
	case []any:
		for _, e := range x {
			if e != nil {
				out = append(out, e)
			}
		}
	default:
		out = append(out, x)
	}
	return out
}

// appendChildren implements convertChildPropertiesToArray: an object
// contributes its members' values (sorted by key; arrays flattened, nulls
// dropped); an array is already a list of events, each element one event
// (Anvilogic selects a Kusto make_list array: its objects are events, not
// objects to split); anything else is one event.
func appendChildren(out []any, v any) []any {
	x, ok := v.(map[string]any)
	if !ok {
		return appendEvents(out, v)
	}
	keys := make([]string, 0, len(x))
	for k := range x {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = appendEvents(out, x[k])
	}
	return out
}

func describe(v any, ok bool) string {
	if !ok {
		return "nothing"
	}
	return fmt.Sprintf("%q", scalarText(v))
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
		return nil, fmt.Errorf("%w: decoding response as JSON: %s (body starts %q)", ErrSyntax, jsonErr(err, body), snippet(body))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: decoding response as JSON: unexpected data after the document at byte %d (body starts %q)", ErrSyntax, dec.InputOffset(), snippet(body))
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
