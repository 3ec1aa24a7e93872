package mockapi

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// FormatStyle is the response body format and compression of a Style.
type FormatStyle struct {
	// Format: "json" (default), "jsonlines" (one event per line; paging
	// information only in headers), "csv" (header row of the sorted union
	// of event keys; paging only in headers) or "xml" (the JSON document
	// as elements under RootElement, arrays as repeated elements; with
	// CDATA the next link/token is written as a CDATA section, as QualysVM
	// does).
	Format string
	// CSVDelimiter (default ',') and CSVQuote (default '"').
	CSVDelimiter, CSVQuote rune
	// RootElement names the XML root (default "Response").
	RootElement string
	CDATA       bool
	// Compression: "", "gzip", "deflate" (zlib), "deflate-raw",
	// "multi-gzip" (each event array chunk of ChunkEvents a separate gzip
	// member holding a complete document).
	Compression string
	// ContentEncoding announces gzip/deflate in Content-Encoding (else the
	// client must be configured with isGzipCompressed/compressionAlgo).
	ContentEncoding bool
	// ChunkEvents is the number of events per multi-gzip member (default
	// 2).
	ChunkEvents int
}

// render writes headers and returns the encoded body and the served ids.
func (h *styled) render(w http.ResponseWriter, r *http.Request, pg *servedPage) ([]byte, []string, error) {
	doc, events, ids := h.document(w, r, pg)
	f := h.st.Format
	var docs [][]byte
	if strings.EqualFold(f.Compression, "multi-gzip") {
		n := f.ChunkEvents
		if n <= 0 {
			n = 2
		}
		for i := 0; i < len(events) || i == 0; i += n {
			chunk := events[i:min(len(events), i+n)]
			b, err := h.encode(doc, chunk, w)
			if err != nil {
				return nil, nil, err
			}
			docs = append(docs, b)
			if len(events) == 0 {
				break
			}
		}
	} else {
		b, err := h.encode(doc, events, w)
		if err != nil {
			return nil, nil, err
		}
		docs = [][]byte{b}
	}
	body, err := compress(f, docs, w)
	return body, ids, err
}

// encode formats one document.
func (h *styled) encode(doc map[string]any, events []map[string]any, w http.ResponseWriter) ([]byte, error) {
	f := h.st.Format
	evs := make([]any, len(events))
	for i, e := range events {
		evs[i] = e
	}
	switch strings.ToLower(f.Format) {
	case "", "json":
		w.Header().Set("Content-Type", "application/json")
		if h.st.Paging.EventsPath == "" {
			if len(doc) > 0 {
				return nil, fmt.Errorf("mock: paging data in the body needs Paging.EventsPath")
			}
			return json.Marshal(evs)
		}
		full := cloneDoc(doc)
		setPath(full, h.st.Paging.EventsPath, evs)
		return json.Marshal(full)
	case "jsonlines":
		w.Header().Set("Content-Type", "application/x-ndjson")
		var b bytes.Buffer
		for _, e := range events {
			line, err := json.Marshal(e)
			if err != nil {
				return nil, err
			}
			b.Write(line)
			b.WriteByte('\n')
		}
		return b.Bytes(), nil
	case "csv":
		w.Header().Set("Content-Type", "text/csv")
		return encodeCSV(events, f.CSVDelimiter, f.CSVQuote), nil
	case "xml":
		w.Header().Set("Content-Type", "application/xml")
		full := cloneDoc(doc)
		path := h.st.Paging.EventsPath
		if path == "" {
			path = "Events.Event"
		}
		setPath(full, path, evs)
		root := f.RootElement
		if root == "" {
			root = "Response"
		}
		var b bytes.Buffer
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
		writeXML(&b, root, full)
		return b.Bytes(), nil
	}
	return nil, fmt.Errorf("mock: unknown format %q", f.Format)
}

func cloneDoc(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			v = cloneDoc(sub)
		}
		out[k] = v
	}
	return out
}

// encodeCSV writes a header of the sorted union of keys and one row per
// event, quoting fields that need it (RFC 4180).
func encodeCSV(events []map[string]any, delim, quote rune) []byte {
	if delim == 0 {
		delim = ','
	}
	if quote == 0 {
		quote = '"'
	}
	keys := sortedEventKeys(events)
	var b bytes.Buffer
	field := func(i int, s string) {
		if i > 0 {
			b.WriteRune(delim)
		}
		if s == "" || strings.ContainsAny(s, string([]rune{delim, quote, '\n', '\r'})) {
			b.WriteRune(quote)
			b.WriteString(strings.ReplaceAll(s, string(quote), string([]rune{quote, quote})))
			b.WriteRune(quote)
			return
		}
		b.WriteString(s)
	}
	if len(events) == 0 {
		return nil
	}
	for i, k := range keys {
		field(i, k)
	}
	b.WriteString("\r\n")
	for _, e := range events {
		for i, k := range keys {
			v, ok := e[k]
			s := ""
			if ok {
				s = textOf(v)
			}
			field(i, s)
		}
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

func textOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// EncodeDocument renders a JSON-shaped document in a response format:
// "json" (or ""); "jsonlines" (doc is an array, one element per line); "xml"
// (doc is an object with one member, the root element; objects become
// child elements in sorted order, arrays repeated elements, members named
// "#cdata-section" and "#text" — Json.NET's names — a CDATA section and
// text). It returns the body and its Content-Type.
func EncodeDocument(format string, doc any) (body []byte, contentType string, err error) {
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "", "json":
		b, err := json.Marshal(doc)
		return b, "application/json", err
	case "jsonlines":
		arr, ok := doc.([]any)
		if !ok {
			return nil, "", fmt.Errorf("mock: a jsonlines document must be an array, got %T", doc)
		}
		var b bytes.Buffer
		for _, e := range arr {
			line, err := json.Marshal(e)
			if err != nil {
				return nil, "", err
			}
			b.Write(line)
			b.WriteByte('\n')
		}
		return b.Bytes(), "application/x-ndjson", nil
	case "xml":
		m, ok := doc.(map[string]any)
		if !ok || len(m) != 1 {
			return nil, "", fmt.Errorf("mock: an xml document must be an object with one member (the root element)")
		}
		var b bytes.Buffer
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
		for k, v := range m {
			if _, isArr := v.([]any); isArr {
				return nil, "", fmt.Errorf("mock: the xml root %q must not be an array", k)
			}
			writeXML(&b, k, v)
		}
		return b.Bytes(), "application/xml", nil
	}
	return nil, "", fmt.Errorf("mock: unknown format %q", format)
}

// cdataText is a string written as a CDATA section in XML (plain in JSON).
type cdataText string

func (c cdataText) MarshalJSON() ([]byte, error) { return json.Marshal(string(c)) }

// writeXML writes v as element name: objects as child elements (sorted),
// arrays as repeated elements, null as an empty element, scalars as escaped
// text, cdataText as a CDATA section.
func writeXML(b *bytes.Buffer, name string, v any) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			writeXML(b, name, e)
		}
		return
	case map[string]any:
		b.WriteString("<" + name + ">")
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			switch k {
			case "#cdata-section": // Json.NET's name for a CDATA child
				b.WriteString("<![CDATA[" + strings.ReplaceAll(textOf(x[k]), "]]>", "]]]]><![CDATA[>") + "]]>")
			case "#text":
				xml.EscapeText(b, []byte(textOf(x[k])))
			default:
				writeXML(b, k, x[k])
			}
		}
		b.WriteString("</" + name + ">")
	case nil:
		b.WriteString("<" + name + "/>")
	case cdataText:
		b.WriteString("<" + name + ">")
		if !strings.Contains(string(x), "]]>") {
			b.WriteString("<![CDATA[" + string(x) + "]]>")
		} else {
			xml.EscapeText(b, []byte(x))
		}
		b.WriteString("</" + name + ">")
	default:
		s := textOf(x)
		b.WriteString("<" + name + ">")
		xml.EscapeText(b, []byte(s))
		b.WriteString("</" + name + ">")
	}
}

// compress applies the Compression of f to the documents (several only for
// multi-gzip).
func compress(f FormatStyle, docs [][]byte, w http.ResponseWriter) ([]byte, error) {
	var out bytes.Buffer
	enc := strings.ToLower(f.Compression)
	switch enc {
	case "":
		return bytes.Join(docs, nil), nil
	case "gzip", "multi-gzip":
		for _, d := range docs {
			zw := gzip.NewWriter(&out)
			zw.Write(d)
			if err := zw.Close(); err != nil {
				return nil, err
			}
		}
		if f.ContentEncoding {
			w.Header().Set("Content-Encoding", "gzip")
		}
	case "deflate":
		zw := zlib.NewWriter(&out)
		zw.Write(bytes.Join(docs, nil))
		if err := zw.Close(); err != nil {
			return nil, err
		}
		if f.ContentEncoding {
			w.Header().Set("Content-Encoding", "deflate")
		}
	case "deflate-raw":
		zw, _ := flate.NewWriter(&out, flate.DefaultCompression)
		zw.Write(bytes.Join(docs, nil))
		if err := zw.Close(); err != nil {
			return nil, err
		}
		if f.ContentEncoding {
			w.Header().Set("Content-Encoding", "deflate")
		}
	default:
		return nil, fmt.Errorf("mock: unknown compression %q", f.Compression)
	}
	return out.Bytes(), nil
}
