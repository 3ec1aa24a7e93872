// Package mockapi is a configurable source-API simulator for tests, the demo
// and benchmarks (SPEC §10, ARCHITECTURE "internal/mockapi").
//
// It serves the seed demo source: events with eventType Alert or File at a
// fixed rate of source time (EventsPerMinute, alternating Alert/File), so the
// events of any window [t0,t1) are known in advance (Expected). Requests take
// the window as t0/t1 Unix seconds, authenticate with Basic or an API-key
// header (or nothing), and page with an RFC 8288 Link header. It can delay
// pages and inject faults (every Nth request answered with a status and an
// optional Retry-After). The Ledger records how often each event id was
// served. Other auth and paging styles are added as new Config variants.
// Pages are encoded without reflection or fmt, and with CachePageBytes kept
// and served again from memory (fast.go), so that the mock costs little in
// benchmarks that run it on the poller's cores.
//
// Beyond the demo source: Styled serves every CCF paging type and response
// format (paging_style.go, format_body.go; EncodeDocument renders a
// JSON-shaped document as JSON, JSON lines or Json.NET-style XML);
// OAuth2Server and LoginServer simulate token endpoints and protect data
// endpoints; DuoVerifier and SLSVerifier recompute Cisco Duo and Alibaba
// Cloud SLS request signatures. NewJwtLogin, NewDuoVerifierFor and
// NewSLSVerifierFor derive those servers from a connector's own `auth`
// object, reading reference/ccf-format.md §2.3 independently of
// internal/poll/auth so that the corpus conformance test
// (internal/drytest TestPollerConformance) checks the poller against a
// second implementation. What it does not do: real JWT signatures (tokens
// are unsigned, JWT-shaped), TLS, or any vendor API beyond the shapes the
// corpus needs.
package mockapi

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Auth configures how the mock authenticates requests.
type Auth struct {
	// Type is "Basic", "APIKey" or "" (none).
	Type     string
	UserName string
	Password string
	// HeaderName and HeaderValue are the exact API-key header expected
	// (for example "X-Api-Key" and "K", or "Authorization" and "token K").
	HeaderName  string
	HeaderValue string
}

// Fault answers every Every-th request (counting all requests, 1-based) with
// Status and, when set, a Retry-After header.
type Fault struct {
	Every      int
	Status     int
	RetryAfter string
}

// Config configures a Server.
type Config struct {
	// Origin is the source time of event 0; no events exist before it.
	Origin time.Time
	// EventsPerMinute is the event rate in source time (default 6).
	EventsPerMinute int
	// PageSize is the number of events per page (default 100).
	PageSize int
	// Paging is "LinkHeader" (default) or "None" (all events in one page).
	Paging string
	Auth   Auth
	// TsFormat is "iso" (default, 2006-01-02T15:04:05Z) or "us"
	// (1/2/2006 3:04:05 PM).
	TsFormat string
	// Path is the events endpoint (default "/events").
	Path string
	// StartParam/EndParam name the window parameters (default t0/t1).
	StartParam, EndParam string
	// PageDelay delays every page, through Sleep (default time-based).
	PageDelay time.Duration
	Sleep     func(ctx context.Context, d time.Duration) error
	Faults    []Fault
	// MaxRequestLog bounds Requests() to the most recent entries
	// (default 10,000) so long benchmark runs stay small.
	MaxRequestLog int
	// CachePageBytes keeps encoded pages up to this many bytes and serves
	// repeated pages from memory (fast.go); 0 encodes every page.
	CachePageBytes int
}

// RequestLog is one served request.
type RequestLog struct {
	Method string
	URL    string
	Header http.Header
	Status int
	Events int
}

// Server is the simulator; it implements http.Handler.
type Server struct {
	cfg      Config
	interval time.Duration

	mu       sync.Mutex
	n        int
	ledger   map[string]int
	requests []RequestLog
	pages    pageCache
}

// New applies defaults and returns the server.
func New(cfg Config) *Server {
	if cfg.EventsPerMinute <= 0 {
		cfg.EventsPerMinute = 6
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 100
	}
	if cfg.MaxRequestLog <= 0 {
		cfg.MaxRequestLog = 10000
	}
	if cfg.Path == "" {
		cfg.Path = "/events"
	}
	if cfg.StartParam == "" {
		cfg.StartParam = "t0"
	}
	if cfg.EndParam == "" {
		cfg.EndParam = "t1"
	}
	if cfg.Origin.IsZero() {
		cfg.Origin = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if cfg.Sleep == nil {
		cfg.Sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	return &Server{cfg: cfg, interval: time.Minute / time.Duration(cfg.EventsPerMinute), ledger: map[string]int{}}
}

// Ledger returns how many times each event id was served.
func (s *Server) Ledger() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.ledger))
	for k, v := range s.ledger {
		out[k] = v
	}
	return out
}

// Requests returns every request served so far.
func (s *Server) Requests() []RequestLog {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]RequestLog(nil), s.requests...)
}

// Event returns event i (deterministic).
func (s *Server) Event(i int64) map[string]any {
	ts := s.cfg.Origin.Add(time.Duration(i) * s.interval).UTC()
	tsText := ts.Format("2006-01-02T15:04:05Z")
	if s.cfg.TsFormat == "us" {
		tsText = ts.Format("1/2/2006 3:04:05 PM")
	}
	e := map[string]any{
		"id":        eventID(i),
		"ts":        tsText,
		"deviceMac": fmt.Sprintf("00:1a:2b:%02x:%02x:%02x", i>>16&0xff, i>>8&0xff, i&0xff),
		"clientMac": fmt.Sprintf("02:00:00:%02x:%02x:%02x", i>>16&0xff, i>>8&0xff, i&0xff),
		"srcIp":     fmt.Sprintf("10.%d.%d.%d", i>>16&0xff, i>>8&0xff, i&0xff),
		"destIp":    fmt.Sprintf("192.168.%d.%d", i>>8&0xff, i&0xff),
	}
	if i%2 == 0 {
		e["eventType"] = "Alert"
		e["protocol"] = []string{"TCP", "UDP", "ICMP"}[i/2%3]
		e["priority"] = strconv.FormatInt(i/2%5+1, 10)
		e["message"] = fmt.Sprintf("alert %d: suspicious traffic", i)
	} else {
		e["eventType"] = "File"
		e["fileType"] = []string{"exe", "pdf", "docx", "zip"}[i/2%4]
		e["fileSizeBytes"] = int64(1024 + i*37%100000)
		e["disposition"] = []string{"Allowed", "Blocked", "Quarantined"}[i/2%3]
		e["message"] = fmt.Sprintf("file %d scanned", i)
	}
	return e
}

// Range returns the event indexes [lo, hi) whose source time is in [t0, t1).
func (s *Server) Range(t0, t1 time.Time) (lo, hi int64) {
	idx := func(t time.Time) int64 {
		d := t.Sub(s.cfg.Origin)
		if d <= 0 {
			return 0
		}
		return int64((d + s.interval - 1) / s.interval) // ceil
	}
	lo, hi = idx(t0), idx(t1)
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// Expected returns the ids of the events in [t0, t1).
func (s *Server) Expected(t0, t1 time.Time) []string {
	lo, hi := s.Range(t0, t1)
	out := make([]string, 0, hi-lo)
	for i := lo; i < hi; i++ {
		out = append(out, eventID(i))
	}
	return out
}

// exchange is one request being served: its entry in the request log
// (recorded by finish) and the error answer every endpoint gives.
type exchange struct {
	s   *Server
	w   http.ResponseWriter
	log RequestLog
	n   int // the request's number among all the server's requests (1-based)
}

// begin counts a request and starts its log entry; defer finish.
func (s *Server) begin(w http.ResponseWriter, r *http.Request) *exchange {
	s.mu.Lock()
	s.n++
	n := s.n
	s.mu.Unlock()
	return &exchange{s: s, w: w, n: n, log: RequestLog{Method: r.Method, URL: r.URL.String(), Header: r.Header.Clone()}}
}

// finish records the log entry, keeping the newest MaxRequestLog.
func (x *exchange) finish() {
	s := x.s
	s.mu.Lock()
	if len(s.requests) >= s.cfg.MaxRequestLog {
		s.requests = append(s.requests[:0], s.requests[len(s.requests)-s.cfg.MaxRequestLog+1:]...)
	}
	s.requests = append(s.requests, x.log)
	s.mu.Unlock()
}

// fail answers status with a JSON error.
func (x *exchange) fail(status int, msg string) {
	x.log.Status = status
	x.w.Header().Set("Content-Type", "application/json")
	x.w.WriteHeader(status)
	json.NewEncoder(x.w).Encode(map[string]string{"error": msg})
}

// admitted answers the checks every endpoint shares — the path, injected
// faults, auth (with a Basic challenge when challenge is set) — and reports
// whether the request goes on.
func (x *exchange) admitted(r *http.Request, challenge bool) bool {
	s := x.s
	if r.URL.Path != s.cfg.Path {
		x.fail(http.StatusNotFound, "no such endpoint")
		return false
	}
	for _, f := range s.cfg.Faults {
		if f.Every > 0 && x.n%f.Every == 0 {
			if f.RetryAfter != "" {
				x.w.Header().Set("Retry-After", f.RetryAfter)
			}
			x.fail(f.Status, "injected fault")
			return false
		}
	}
	if !s.authorized(r) {
		if challenge {
			x.w.Header().Set("WWW-Authenticate", `Basic realm="mock"`)
		}
		x.fail(http.StatusUnauthorized, "unauthorized")
		return false
	}
	return true
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := s.begin(w, r)
	defer x.finish()
	if !x.admitted(r, true) {
		return
	}
	fail := x.fail
	q := r.URL.Query()
	t0, err0 := strconv.ParseInt(q.Get(s.cfg.StartParam), 10, 64)
	t1, err1 := strconv.ParseInt(q.Get(s.cfg.EndParam), 10, 64)
	if err0 != nil || err1 != nil {
		fail(http.StatusBadRequest, fmt.Sprintf("%s and %s must be Unix seconds", s.cfg.StartParam, s.cfg.EndParam))
		return
	}
	page := 1
	if p := q.Get("page"); p != "" {
		v, err := strconv.Atoi(p)
		if err != nil || v < 1 {
			fail(http.StatusBadRequest, "page must be a positive integer")
			return
		}
		page = v
	}
	lo, hi := s.Range(time.Unix(t0, 0), time.Unix(t1, 0))
	from, to := lo, hi
	paged := s.cfg.Paging == "" || s.cfg.Paging == "LinkHeader"
	if paged {
		from = min(hi, lo+int64(page-1)*int64(s.cfg.PageSize))
		to = min(hi, from+int64(s.cfg.PageSize))
	}
	if s.cfg.PageDelay > 0 {
		if err := s.cfg.Sleep(r.Context(), s.cfg.PageDelay); err != nil {
			fail(http.StatusServiceUnavailable, "cancelled")
			return
		}
	}
	body, ids := s.encodePage(from, to)
	if paged && to < hi {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("page", strconv.Itoa(page+1))
		next := url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawQuery: nq.Encode()}
		w.Header().Set("Link", fmt.Sprintf("<%s>; rel=\"next\"", next.String()))
	}
	w.Header().Set("Content-Type", "application/json")
	if _, err := w.Write(body); err != nil {
		return // client went away: nothing was served
	}
	x.log.Status, x.log.Events = http.StatusOK, len(ids)
	s.mu.Lock()
	for _, id := range ids {
		s.ledger[id]++
	}
	s.mu.Unlock()
}

func (s *Server) authorized(r *http.Request) bool {
	eq := func(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	switch s.cfg.Auth.Type {
	case "", "None":
		return true
	case "Basic":
		u, p, ok := r.BasicAuth()
		return ok && eq(u, s.cfg.Auth.UserName) && eq(p, s.cfg.Auth.Password)
	case "APIKey":
		return eq(r.Header.Get(s.cfg.Auth.HeaderName), s.cfg.Auth.HeaderValue)
	}
	return false
}

// IDs returns the ledger's ids, sorted.
func IDs(ledger map[string]int) []string {
	out := make([]string, 0, len(ledger))
	for k := range ledger {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func eventID(i int64) string { return fmt.Sprintf("evt-%08d", i) }

// appendEvent appends Event(i) as JSON (keys sorted, as encoding/json writes
// maps) without reflection: the mock must not be the bottleneck of a
// benchmark. TestAppendEventMatchesEvent keeps it equal to Event.
func (s *Server) appendEvent(b []byte, i int64) []byte {
	e := s.Event(i)
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = append(b, '{')
	for n, k := range keys {
		if n > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		switch v := e[k].(type) {
		case string:
			b = appendJSONString(b, v)
		case int64:
			b = strconv.AppendInt(b, v, 10)
		}
	}
	return append(b, '}')
}

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, fmt.Sprintf("\\u%04x", c)...)
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
