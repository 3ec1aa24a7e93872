package drytest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/codeless/codeless/internal/secrets"
)

// CassetteFile is the file name of a cassette inside its directory.
const CassetteFile = "cassette.json"

// CassetteVersion is the cassette format version.
const CassetteVersion = 1

// Cassette is a recorded dry run: every HTTP exchange in order, with every
// known secret redacted, and the clock of the recording so that a replay
// polls the same window.
type Cassette struct {
	Version      int           `json:"version"`
	Now          time.Time     `json:"now"`
	Interactions []Interaction `json:"interactions"`
}

// Interaction is one HTTP exchange. Request and response values are
// redacted: known secrets become "***", and so do the Authorization,
// Cookie and API-key-looking headers and the secret-looking JSON members
// of bodies (access_token, refresh_token, password, ...).
type Interaction struct {
	Method          string      `json:"method"`
	URL             string      `json:"url"`
	RequestHeaders  http.Header `json:"requestHeaders,omitempty"`
	RequestBody     string      `json:"requestBody,omitempty"`
	Status          int         `json:"status"`
	ResponseHeaders http.Header `json:"responseHeaders,omitempty"`
	ResponseBody    string      `json:"responseBody"`
	// ResponseBase64 marks a binary body (gzip, ...) stored base64-encoded.
	ResponseBase64 bool   `json:"responseBase64,omitempty"`
	LatencyMs      int64  `json:"latencyMs"`
	Error          string `json:"error,omitempty"` // transport error instead of a response
}

// secretHeaders are request/response headers whose values are always
// redacted in cassettes.
var secretHeaders = regexp.MustCompile(`(?i)^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-key|apikey|x-auth-token|x-access-token)$|(?i)(secret|token|password|signature|key)`)

// redactBody hides known secrets and the values of secret-looking JSON
// members.
func (r *redactor) redactBody(b []byte) string {
	s := r.redact(string(b))
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return s
	}
	changed := false
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if secrets.IsSecretKey(k) || isSecretParam(k) {
					if _, ok := e.(string); ok {
						x[k] = "***"
						changed = true
						continue
					}
				}
				x[k] = walk(e)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e)
			}
		}
		return v
	}
	v = walk(v)
	if !changed {
		return s
	}
	out, err := json.Marshal(v)
	if err != nil {
		return s
	}
	return string(out)
}

func (r *redactor) redactHeader(h http.Header) http.Header {
	if len(h) == 0 {
		return nil
	}
	out := http.Header{}
	for k, vs := range h {
		for _, v := range vs {
			if secretHeaders.MatchString(k) {
				v = "***"
			}
			out.Add(k, r.redact(v))
		}
	}
	return out
}

// recordingTransport sends requests through next and keeps a redacted copy
// of each exchange.
type recordingTransport struct {
	next http.RoundTripper
	red  *redactor
	now  func() time.Time

	mu   sync.Mutex
	tape []Interaction
}

func (t *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("recording: reading request body: %w", err)
		}
		reqBody = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	it := Interaction{Method: req.Method, URL: t.red.redact(req.URL.String()), RequestHeaders: t.red.redactHeader(req.Header),
		RequestBody: t.red.redactBody(reqBody)}
	if err != nil {
		it.Error, it.LatencyMs = t.red.redact(err.Error()), time.Since(start).Milliseconds()
		t.add(it)
		return nil, err
	}
	body, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	it.LatencyMs = time.Since(start).Milliseconds()
	if rerr != nil {
		it.Error = t.red.redact(rerr.Error())
		t.add(it)
		return nil, rerr
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	it.Status, it.ResponseHeaders = resp.StatusCode, t.red.redactHeader(resp.Header)
	if utf8.Valid(body) {
		it.ResponseBody = t.red.redactBody(body)
	} else {
		it.ResponseBody, it.ResponseBase64 = base64.StdEncoding.EncodeToString(body), true
	}
	t.add(it)
	return resp, nil
}

func (t *recordingTransport) add(it Interaction) {
	t.mu.Lock()
	t.tape = append(t.tape, it)
	t.mu.Unlock()
}

// save writes the cassette to dir/cassette.json (atomically).
func (t *recordingTransport) save(dir string, now time.Time) error {
	t.mu.Lock()
	c := Cassette{Version: CassetteVersion, Now: now.UTC(), Interactions: append([]Interaction{}, t.tape...)}
	t.mu.Unlock()
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("writing cassette: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing cassette: %w", err)
	}
	tmp := filepath.Join(dir, CassetteFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("writing cassette: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, CassetteFile)); err != nil {
		return fmt.Errorf("writing cassette: %w", err)
	}
	return nil
}

// LoadCassette reads dir/cassette.json.
func LoadCassette(dir string) (*Cassette, error) {
	b, err := os.ReadFile(filepath.Join(dir, CassetteFile))
	if err != nil {
		return nil, fmt.Errorf("reading cassette: %w", err)
	}
	var c Cassette
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("reading cassette %s: %w", filepath.Join(dir, CassetteFile), err)
	}
	if c.Version != CassetteVersion {
		return nil, fmt.Errorf("reading cassette: unsupported version %d (want %d)", c.Version, CassetteVersion)
	}
	return &c, nil
}

// replayTransport answers requests from a cassette: a request matches the
// first unused interaction with the same method and redacted URL (so
// repeated requests replay in recorded order). Nothing leaves the process.
type replayTransport struct {
	red *redactor

	mu   sync.Mutex
	tape []Interaction
	used []bool
}

func newReplay(c *Cassette, red *redactor) *replayTransport {
	return &replayTransport{red: red, tape: c.Interactions, used: make([]bool, len(c.Interactions))}
}

func (t *replayTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	u := t.red.redact(req.URL.String())
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, it := range t.tape {
		if t.used[i] || it.Method != req.Method || it.URL != u {
			continue
		}
		t.used[i] = true
		if it.Error != "" {
			return nil, fmt.Errorf("replayed transport error: %s", it.Error)
		}
		h := it.ResponseHeaders.Clone()
		if h == nil {
			h = http.Header{}
		}
		body := []byte(it.ResponseBody)
		if it.ResponseBase64 {
			b, err := base64.StdEncoding.DecodeString(it.ResponseBody)
			if err != nil {
				return nil, fmt.Errorf("replay: interaction %d: bad base64 body: %w", i, err)
			}
			body = b
		}
		h.Del("Content-Length")
		return &http.Response{StatusCode: it.Status, Status: fmt.Sprintf("%d %s", it.Status, http.StatusText(it.Status)),
			Header: h, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: req,
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}, nil
	}
	return nil, fmt.Errorf("replay: no recorded response left for %s %s (recorded: %s)", req.Method, u, t.recorded())
}

func (t *replayTransport) recorded() string {
	seen := map[string]bool{}
	var out []string
	for _, it := range t.tape {
		k := it.Method + " " + it.URL
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	if len(out) > 5 {
		out = append(out[:5], "…")
	}
	return strings.Join(out, ", ")
}

// errBothCassetteModes is returned when --record and --replay are combined.
var errBothCassetteModes = errors.New("--record and --replay cannot be combined")
