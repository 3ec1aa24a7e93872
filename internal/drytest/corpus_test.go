package drytest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/corpustest"
)

var (
	curlyRe = regexp.MustCompile(`\{\{([^{}]+)\}\}`)
	paramRe = regexp.MustCompile(`(?i)(parameters|variables)\('([^']+)'\)(\[)?`)
)

var (
	numericUseRe = regexp.MustCompile(`"(\w+)"\s*:\s*"(?:\{\{([^{}]+)\}\}|\[\[?parameters\('([^']+)'\)\])"`)
	numericKeyRe = regexp.MustCompile(`(?i)(min|count|size|seconds|qps|limit|window|delay)`)
	intUseRe     = regexp.MustCompile(`(?i)int\(parameters\('([^']+)'\)`)
	hostUseRe    = regexp.MustCompile(`(?i)://(?:\{\{([^{}]+)\}\}|\[\[?parameters\('([^']+)'\))|'https?://'\s*,\s*parameters\('([^']+)'\)`)
	urlishRe     = regexp.MustCompile(`(?i)(url|uri|endpoint|host|domain|fqdn|server|instance|tenant|region|site|org)`)
)

// firstGroup returns the first non-empty capture group of m.
func firstGroup(m []string) string {
	for _, g := range m[1:] {
		if g != "" {
			return strings.TrimSpace(g)
		}
	}
	return ""
}

// dummyParams invents a value for every parameter a corpus file mentions:
// URL-ish names get a URL (or a host where the file adds the scheme),
// numeric uses get "5", indexed ones (Dropdowns) an array, secret-looking
// names a recognisable secret, anything else a word.
func dummyParams(text string) map[string]string {
	numeric, host := map[string]bool{}, map[string]bool{}
	for _, m := range numericUseRe.FindAllStringSubmatch(text, -1) {
		if numericKeyRe.MatchString(m[1]) {
			numeric[firstGroup(m[1:])] = true
		}
	}
	for _, m := range intUseRe.FindAllStringSubmatch(text, -1) {
		numeric[m[1]] = true
	}
	for _, m := range hostUseRe.FindAllStringSubmatch(text, -1) {
		host[firstGroup(m)] = true
	}
	value := func(name string) string {
		switch {
		case isSecretParam(name):
			return "s3cret-" + name
		case numeric[name]:
			return "5"
		case host[name]:
			return "source.example"
		case urlishRe.MatchString(name):
			return "https://source.example"
		}
		return "x" + name
	}
	out := map[string]string{}
	for _, m := range curlyRe.FindAllStringSubmatch(text, -1) {
		name := strings.TrimSpace(m[1])
		out[name] = value(name)
	}
	for _, m := range paramRe.FindAllStringSubmatch(text, -1) {
		switch {
		case strings.EqualFold(m[2], "dcrConfig"): // resolved leniently
		case m[3] == "[":
			out[m[2]] = `["5"]`
		default:
			if !strings.HasPrefix(out[m[2]], "[") {
				out[m[2]] = value(m[2])
			}
		}
	}
	return out
}

// TestCorpusPollerFilesResolve loads every real poller file with a dummy
// value for each parameter it mentions: nothing panics, at least one
// connection is found, and no placeholder stays unresolved.
func TestCorpusPollerFilesResolve(t *testing.T) {
	dir := corpustest.Dir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		if !strings.Contains(strings.ToLower(text), `"restapipoller"`) || strings.Contains(filepath.Base(f), "mainTemplate") {
			continue
		}
		n++
		rel, _ := filepath.Rel(dir, f)
		t.Run(rel, func(t *testing.T) {
			params := map[string]any{}
			for k, v := range dummyParams(text) {
				params[k] = paramValue(v)
			}
			rep := newReport()
			ld, err := loadPoller(data, rel, params, "", rep)
			if err != nil {
				t.Fatalf("loadPoller: %v", err)
			}
			for _, e := range rep.Errors {
				if strings.Contains(e, "unresolved") || strings.Contains(e, "resolving") || strings.Contains(e, "no RestApiPoller connection") {
					t.Errorf("%s", e)
				}
			}
			if len(ld.names) == 0 {
				t.Errorf("no connection found")
			}
		})
	}
	if n == 0 {
		t.Fatal("no poller files found in the corpus")
	}
}

// catchAll answers every request with an empty JSON array and counts them.
type catchAll struct {
	mu sync.Mutex
	n  int
}

// Token and login requests (OAuth2 grant_type, JwtToken/Session login
// paths) get a token answer and are not counted: the poller sends them
// outside httpx, so they are not report requests.
func (c *catchAll) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	lp := strings.ToLower(r.URL.Path)
	if strings.Contains(string(body), "grant_type") || r.URL.Query().Get("grant_type") != "" ||
		strings.Contains(lp, "token") || strings.Contains(lp, "login") || strings.Contains(lp, "oauth") {
		_, _ = w.Write([]byte(`{"access_token":"t0k","token_type":"Bearer","expires_in":3600,"token":"t0k","jwt":"t0k","sessionId":"t0k"}`))
		return
	}
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	_, _ = w.Write([]byte(`[]`))
}

// rerouter sends every request, whatever its host, to one test server.
type rerouter struct {
	target *url.URL
	next   http.RoundTripper
}

func (r rerouter) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host = r.target.Scheme, r.target.Host
	return r.next.RoundTrip(req)
}

// TestCorpusDryRun dry-runs every real poller file (with its folder's DCR)
// against a catch-all source: no panic, nothing unresolved, every
// connection the poller accepts sends at least one request, and no
// secret-looking --param value appears in the output.
func TestCorpusDryRun(t *testing.T) {
	dir := corpustest.Dir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		if !strings.Contains(strings.ToLower(text), `"restapipoller"`) || strings.Contains(filepath.Base(f), "mainTemplate") {
			continue
		}
		rel, _ := filepath.Rel(dir, f)
		t.Run(rel, func(t *testing.T) {
			t.Parallel() // rateLimitQPS waits are real time; run files side by side
			src := &catchAll{}
			srv := httptest.NewServer(src)
			defer srv.Close()
			target, _ := url.Parse(srv.URL)

			params := dummyParams(text)
			opts := Options{
				PollerFile: f,
				Params:     params,
				Now:        func() time.Time { return testNow },
				HTTP:       &http.Client{Transport: rerouter{target: target, next: http.DefaultTransport}},
				Sleep:      func(context.Context, time.Duration) error { return nil },
				MaxPages:   3,
			}
			if dcrs, _ := filepath.Glob(filepath.Join(filepath.Dir(f), "*DCR*.json")); len(dcrs) == 1 {
				opts.DCRFile = dcrs[0]
			}
			rep, err := Run(context.Background(), opts)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			var buf bytes.Buffer
			if err := rep.WriteJSON(&buf); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(buf.String(), "s3cret-") {
				t.Errorf("a secret parameter value leaked into the report")
			}
			for _, e := range rep.Errors {
				if strings.Contains(e, "unresolved") {
					t.Errorf("%s", e)
				}
			}
			ran := len(rep.Requests) > 0
			src.mu.Lock()
			n := src.n
			src.mu.Unlock()
			if ran != (n > 0) {
				t.Errorf("report has %d requests, source saw %d", len(rep.Requests), n)
			}
			t.Logf("%d requests, %d errors, %d warnings", len(rep.Requests), len(rep.Errors), len(rep.Warnings))
			for _, e := range rep.Errors {
				t.Logf("error: %s", e)
			}
		})
	}
}
