package decode

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"

	"fmt"
	"io"
	"net/http"
	"strings"
)

func isGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// isZlib reports a zlib (RFC 1950) header: deflate method and a valid check.
func isZlib(b []byte) bool {
	return len(b) >= 2 && b[0]&0x0f == 8 && b[0]>>4 <= 7 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0
}

// looksPlain: the body starts like a text document (JSON, XML, CSV header)
// rather than compressed data.
func looksPlain(b []byte) bool {
	t := bytes.TrimLeft(b, " \t\r\n\ufeff")
	if len(t) == 0 {
		return true
	}
	switch t[0] {
	case '{', '[', '<', '"':
		return true
	}
	return false
}

// encoding decides how the body is compressed: "", "gzip", "deflate" or
// "multi-gzip". The configured algorithm wins over Content-Encoding; a body
// that is evidently not compressed (the HTTP client may have decompressed
// it already) passes through. A declared encoding we cannot read is
// ErrDecompress.
func (d *Decoder) encoding(body []byte, header http.Header) (string, error) {
	enc := d.compression
	if enc == "" {
		for _, v := range header.Values("Content-Encoding") {
			for _, e := range strings.Split(v, ",") {
				switch e = strings.ToLower(strings.TrimSpace(e)); e {
				case "", "identity":
				case "gzip", "x-gzip":
					enc = "gzip"
				case "deflate":
					enc = "deflate"
				default:
					return "", fmt.Errorf("%w: unsupported Content-Encoding %q", ErrDecompress, e)
				}
			}
		}
	}
	switch enc {
	case "gzip", "multi-gzip":
		if !isGzip(body) {
			if looksPlain(body) {
				return "", nil
			}
			return "", fmt.Errorf("%w: %s declared but the body does not start with the gzip magic bytes (starts %q)", ErrDecompress, enc, snippet(body))
		}
	case "deflate":
		if isGzip(body) {
			return "gzip", nil // mislabelled but readable
		}
		if looksPlain(body) && !isZlib(body) {
			return "", nil
		}
	}
	return enc, nil
}

// open returns a reader of the decompressed body.
func open(body []byte, enc string) (io.Reader, error) {
	switch enc {
	case "":
		return bytes.NewReader(body), nil
	case "gzip", "multi-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("%w: decompressing gzip response: %w", ErrDecompress, err)
		}
		return &errReader{r: zr, what: "gzip"}, nil
	case "deflate":
		if isZlib(body) {
			zr, err := zlib.NewReader(bytes.NewReader(body))
			if err != nil {
				return nil, fmt.Errorf("%w: decompressing deflate (zlib) response: %w", ErrDecompress, err)
			}
			return &errReader{r: zr, what: "deflate"}, nil
		}
		return &errReader{r: flate.NewReader(bytes.NewReader(body)), what: "deflate"}, nil
	}
	return nil, fmt.Errorf("%w: unknown encoding %q", ErrDecompress, enc)
}

// errReader marks read errors of a decompressor as ErrDecompress so that a
// truncated gzip body is not reported as a JSON/CSV syntax error.
type errReader struct {
	r    io.Reader
	what string
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: decompressing %s response: %w", ErrDecompress, e.what, err)
	}
	return n, err
}

// readAll returns the decompressed body (body itself when not compressed).
func readAll(body []byte, enc string) ([]byte, error) {
	if enc == "" {
		return body, nil
	}
	r, err := open(body, enc)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// gzipMembers parses each gzip member of body as one JSON document.
func gzipMembers(body []byte) ([]any, error) {
	br := bufio.NewReader(bytes.NewReader(body))
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("%w: decompressing multi-gzip response: %w", ErrDecompress, err)
	}
	var docs []any
	for i := 1; ; i++ {
		zr.Multistream(false)
		doc, empty, err := parseStream(&errReader{r: zr, what: "multi-gzip"})
		if err != nil {
			return nil, fmt.Errorf("gzip member %d: %w", i, err)
		}
		if !empty {
			docs = append(docs, doc)
		}
		if err := zr.Reset(br); err == io.EOF {
			return docs, nil
		} else if err != nil {
			return nil, fmt.Errorf("%w: decompressing multi-gzip member %d: %w", ErrDecompress, i+1, err)
		}
	}
}

// Gunzip decompresses body when it starts with the gzip magic bytes
// (concatenated members included) and returns it unchanged otherwise.
func Gunzip(body []byte) ([]byte, error) {
	if !isGzip(body) {
		return body, nil
	}
	b, err := readAll(body, "gzip")
	if err != nil {
		return nil, err
	}
	return b, nil
}
