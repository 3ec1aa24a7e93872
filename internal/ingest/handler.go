package ingest

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/codeless/codeless/internal/apierr"
)

// APIVersions are the Logs Ingestion api-version values accepted.
var APIVersions = []string{"2023-01-01", "2021-11-01-preview"}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Handler serves POST /dataCollectionRules/{immutableId}/streams/{stream}
// (the Logs Ingestion API). The caller mounts it at that path and
// authenticates requests first.
func (p *Pipeline) Handler() http.Handler {
	return http.HandlerFunc(p.serveIngest)
}

func (p *Pipeline) serveIngest(w http.ResponseWriter, r *http.Request) {
	id, stream, ok := parseIngestPath(r.URL.Path)
	status, err := p.ingestHTTP(w, r, id, stream, ok)
	if err != nil {
		ae := apierr.Write(w, err)
		status = ae.Status
		if ae.Status >= 500 {
			p.log.Error("ingestion failed", "dcr", id, "stream", stream, "err", err)
		} else {
			p.log.Debug("ingestion rejected", "dcr", id, "stream", stream, "code", ae.Code, "msg", ae.Message)
		}
		if m := p.opts.Metrics; m != nil {
			m.Ingest(id, stream, status, 0, 0, 0)
		}
		return
	}
	w.WriteHeader(status)
}

func parseIngestPath(path string) (id, stream string, ok bool) {
	i := strings.Index(path, "/dataCollectionRules/")
	if i < 0 {
		return "", "", false
	}
	parts := strings.Split(strings.Trim(path[i+len("/dataCollectionRules/"):], "/"), "/")
	if len(parts) != 3 || !strings.EqualFold(parts[1], "streams") || parts[0] == "" || parts[2] == "" {
		return "", "", false
	}
	return parts[0], parts[2], true
}

func (p *Pipeline) ingestHTTP(w http.ResponseWriter, r *http.Request, id, stream string, pathOK bool) (int, error) {
	if !pathOK {
		return 0, apierr.New(http.StatusNotFound, "NotFound", "", "expected /dataCollectionRules/{immutableId}/streams/{streamName}")
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return 0, apierr.New(http.StatusMethodNotAllowed, "MethodNotAllowed", "", "the Logs Ingestion API accepts POST only")
	}
	v := r.URL.Query().Get("api-version")
	if v == "" {
		return 0, apierr.BadRequest("MissingApiVersionParameter", "api-version", "the api-version query parameter is required (one of %s)", strings.Join(APIVersions, ", "))
	}
	if !contains(APIVersions, v) {
		return 0, apierr.BadRequest("InvalidApiVersionParameter", "api-version", "api-version %q is not supported (one of %s)", v, strings.Join(APIVersions, ", "))
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return 0, apierr.New(http.StatusUnsupportedMediaType, "UnsupportedMediaType", "Content-Type", "Content-Type must be application/json, got %q", ct)
		}
	} else {
		return 0, apierr.New(http.StatusUnsupportedMediaType, "UnsupportedMediaType", "Content-Type", "Content-Type application/json is required")
	}
	if _, _, err := p.lookup(id, stream); err != nil {
		return 0, err
	}
	max := p.opts.MaxBodyBytes
	var src io.Reader = r.Body
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		if r.ContentLength > max {
			return 0, tooLarge(max)
		}
	case "gzip":
		// Azure's limit applies to the compressed body too.
		if r.ContentLength > max {
			return 0, tooLarge(max)
		}
		zr, err := gzip.NewReader(&capReader{r: r.Body, left: max})
		if errors.Is(err, errTooLarge) {
			return 0, tooLarge(max)
		}
		if err != nil {
			return 0, apierr.BadRequest("InvalidContentEncoding", "Content-Encoding", "the body is not valid gzip: %v", err)
		}
		defer zr.Close()
		src = zr
	default:
		return 0, apierr.New(http.StatusUnsupportedMediaType, "UnsupportedContentEncoding", "Content-Encoding", "Content-Encoding %q is not supported (gzip only)", enc)
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 4*int(max) {
			bufPool.Put(buf)
		}
	}()
	n, err := buf.ReadFrom(io.LimitReader(src, max+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) || errors.Is(err, errTooLarge) {
			return 0, tooLarge(max)
		}
		if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, apierr.BadRequest("InvalidContentEncoding", "Content-Encoding", "the gzip body is corrupt: %v", err)
		}
		return 0, fmt.Errorf("reading request body: %w", err)
	}
	if n > max {
		return 0, tooLarge(max)
	}
	out, err := p.ProcessJSON(r.Context(), id, stream, buf.Bytes())
	if err != nil {
		return 0, err
	}
	if err := p.Commit(r.Context(), out, "", nil); err != nil {
		return 0, err
	}
	if m := p.opts.Metrics; m != nil {
		m.Ingest(id, stream, http.StatusNoContent, out.Bytes, out.Records, out.Invalid)
	}
	return http.StatusNoContent, nil
}

func tooLarge(max int64) error {
	return apierr.New(http.StatusRequestEntityTooLarge, "ContentLengthLimitExceeded", "body",
		"the request body exceeds the limit of %d bytes (after decompression); split it into smaller calls", max)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var errTooLarge = errors.New("request body too large")

// capReader fails with errTooLarge once more than left bytes are read.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, errTooLarge
	}
	return n, err
}
