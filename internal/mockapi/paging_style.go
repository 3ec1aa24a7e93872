package mockapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Style makes the mock behave like a particular source: every CCF paging
// style, non-JSON bodies and compression (format_*.go), and paging faults.
// Server.Styled(style) returns the handler; it serves the same events as
// the Server and records them in the same ledger and request log.
//
// Tokens and links are stateless: they encode the window and the position,
// so a restarted client (or one sending only the paging parameter, as with
// pagingQueryParamOnly) resumes exactly.
type Style struct {
	Paging PagingStyle
	Format FormatStyle
	Faults PagingFaults
	// WindowInBody reads the window (StartParam/EndParam, Unix seconds)
	// from the JSON request body's top-level members instead of the query.
	WindowInBody bool
	// Now bounds server-side cursors (PersistentToken without a window,
	// PersistentLinkHeader): events up to Now exist. Required for those.
	Now func() time.Time
}

// PagingStyle describes how the source pages. Paths are dotted member paths
// into the response body ("pagination.nextCursor"; `\.` for a dot inside a
// name: "@odata\.nextLink"); request parameter names
// starting with "$." are read from the JSON request body ("$.variables.after").
type PagingStyle struct {
	// Type: "None", "LinkHeader" (RFC 8288 header, or LinkPath in the body),
	// "PersistentLinkHeader", "NextPageToken", "PersistentToken",
	// "NextPageUrl", "Offset", "CountBasedPaging".
	Type string
	// PageSizeParam lets the client choose the page size (else PageSize).
	PageSizeParam string
	// EventsPath is where the events array goes ("" = the body is the
	// array; with XML "" means "Events.Event").
	EventsPath string
	// LinkPath writes the next link into the body (LinkHeader).
	LinkPath string
	// RelativeLink writes links/URLs as path?query only.
	RelativeLink bool
	// TokenPath / TokenHeader: where the next token (NextPageUrl: the next
	// URL) is written; TokenHeaderPrefix is prepended to the header value
	// ("handle=" for SAP BTP).
	TokenPath, TokenHeader, TokenHeaderPrefix string
	// TokenParam / TokenRequestHeader: where the client sends the token.
	TokenParam, TokenRequestHeader string
	// HasNextPath writes a has-more boolean.
	HasNextPath string
	// TokenInLastEvent puts the token into each event as "cursor" (Auth0
	// "$.[-1:].log_id" style) instead of TokenPath.
	TokenInLastEvent bool
	// Offset paging: OffsetParam (0-based count of events), OffsetEndParam
	// (exclusive end: the page size is end − offset).
	OffsetParam, OffsetEndParam string
	// CountBasedPaging: PageParam, ZeroBased; TotalPath, PageNumberPath and
	// PageCountPath are written when set.
	PageParam                                string
	ZeroBased                                bool
	TotalPath, PageNumberPath, PageCountPath string
}

// PagingFaults inject paging misbehaviour.
type PagingFaults struct {
	// RepeatTokenAt: the Nth request (1-based) that carries a token or link
	// is answered with that same token/link as the next one (a loop).
	RepeatTokenAt int
	// TruncateEvery: every Nth styled response body is cut in half; its
	// events are not recorded as served.
	TruncateEvery int
}

type styled struct {
	s  *Server
	st Style

	paged int // requests that carried a token/link (under s.mu)
	count int // styled requests (under s.mu)
}

// Styled returns a handler serving the Server's events in style st.
func (s *Server) Styled(st Style) http.Handler {
	if st.Paging.Type == "" {
		st.Paging.Type = "LinkHeader"
	}
	return &styled{s: s, st: st}
}

// position is the decoded state of a token or link.
type position struct {
	T0, T1 int64 // window (Unix seconds); T1 = 0 for an open cursor
	From   int64 // index of the next event
}

func encodePos(p position) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("%d.%d.%d", p.T0, p.T1, p.From)))
}

func decodePos(tok string) (position, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return position{}, fmt.Errorf("bad token %q", tok)
	}
	var p position
	if _, err := fmt.Sscanf(string(b), "%d.%d.%d", &p.T0, &p.T1, &p.From); err != nil {
		return position{}, fmt.Errorf("bad token %q", tok)
	}
	return p, nil
}

func (h *styled) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := h.s
	x := s.begin(w, r)
	defer x.finish()
	s.mu.Lock()
	h.count++
	count := h.count
	s.mu.Unlock()
	if !x.admitted(r, false) {
		return
	}
	fail := x.fail
	req, err := h.readRequest(r)
	if err != nil {
		fail(http.StatusBadRequest, err.Error())
		return
	}
	pg, err := h.page(req)
	if err != nil {
		fail(http.StatusBadRequest, err.Error())
		return
	}
	if pg.carried {
		s.mu.Lock()
		h.paged++
		repeat := h.paged == h.st.Faults.RepeatTokenAt
		s.mu.Unlock()
		if repeat {
			pg.next = pg.cur
			pg.more = true
		}
	}
	if s.cfg.PageDelay > 0 {
		if err := s.cfg.Sleep(r.Context(), s.cfg.PageDelay); err != nil {
			fail(http.StatusServiceUnavailable, "cancelled")
			return
		}
	}
	body, ids, err := h.render(w, r, pg)
	if err != nil {
		fail(http.StatusInternalServerError, err.Error())
		return
	}
	truncated := h.st.Faults.TruncateEvery > 0 && count%h.st.Faults.TruncateEvery == 0
	if truncated {
		body = body[:len(body)/2]
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(body); err != nil {
		return
	}
	x.log.Status = http.StatusOK
	if truncated {
		return
	}
	x.log.Events = len(ids)
	s.mu.Lock()
	for _, id := range ids {
		s.ledger[id]++
	}
	s.mu.Unlock()
}

// request is what the mock read from one request.
type request struct {
	r     *http.Request
	query url.Values
	body  map[string]any // JSON request body (nil when none)
}

func (h *styled) readRequest(r *http.Request) (*request, error) {
	req := &request{r: r, query: r.URL.Query()}
	if r.Body != nil && r.Method != http.MethodGet {
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return nil, err
		}
		if len(strings.TrimSpace(string(b))) > 0 && strings.Contains(r.Header.Get("Content-Type"), "json") {
			if err := json.Unmarshal(b, &req.body); err != nil {
				return nil, fmt.Errorf("request body is not a JSON object: %v", err)
			}
		}
	}
	return req, nil
}

// param reads a request parameter: "$.a.b" from the JSON body, otherwise
// the query string (then the body's top-level member of that name).
func (req *request) param(name string) (string, bool) {
	if name == "" {
		return "", false
	}
	if strings.HasPrefix(name, "$.") {
		v, ok := dig(req.body, strings.TrimPrefix(name, "$."))
		if !ok || v == nil {
			return "", false
		}
		return scalar(v), true
	}
	if vs, ok := req.query[name]; ok && len(vs) > 0 {
		return vs[0], true
	}
	if v, ok := req.body[name]; ok && v != nil {
		return scalar(v), true
	}
	return "", false
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// splitPath splits a dotted member path; `\.` is a literal dot
// ("@odata\.nextLink").
func splitPath(path string) []string {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(path); i++ {
		switch {
		case path[i] == '\\' && i+1 < len(path) && path[i+1] == '.':
			cur.WriteByte('.')
			i++
		case path[i] == '.':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(path[i])
		}
	}
	return append(parts, cur.String())
}

func dig(m map[string]any, path string) (any, bool) {
	var cur any = m
	for _, k := range splitPath(path) {
		o, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = o[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// setPath sets a dotted member path in m, creating objects.
func setPath(m map[string]any, path string, v any) {
	parts := splitPath(path)
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

// servedPage is one page decided by the paging style.
type servedPage struct {
	from, to  int64    // events [from, to)
	lo, hi    int64    // the window's events
	win       position // window of the request
	cur       string   // the token/link the request carried
	carried   bool
	next      string // next token or link ("" = none)
	more      bool
	pageNum   int64
	pageCount int64
}

func (h *styled) window(req *request) (position, bool, error) {
	s := h.s
	var a, b string
	var okA, okB bool
	if h.st.WindowInBody {
		if v, ok := req.body[s.cfg.StartParam]; ok {
			a, okA = scalar(v), true
		}
		if v, ok := req.body[s.cfg.EndParam]; ok {
			b, okB = scalar(v), true
		}
	} else {
		a, okA = req.param(s.cfg.StartParam)
		b, okB = req.param(s.cfg.EndParam)
	}
	if !okA && !okB {
		return position{}, false, nil
	}
	t0, err0 := strconv.ParseInt(a, 10, 64)
	t1, err1 := strconv.ParseInt(b, 10, 64)
	if err0 != nil || err1 != nil {
		return position{}, false, fmt.Errorf("%s and %s must be Unix seconds", s.cfg.StartParam, s.cfg.EndParam)
	}
	return position{T0: t0, T1: t1}, true, nil
}

func (h *styled) pageSize(req *request) (int64, error) {
	size := int64(h.s.cfg.PageSize)
	if v, ok := req.param(h.st.Paging.PageSizeParam); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 || n > 100000 {
			return 0, fmt.Errorf("%s must be an integer in 1..100000", h.st.Paging.PageSizeParam)
		}
		size = n
	}
	return size, nil
}

func (h *styled) nowHi() (int64, error) {
	if h.st.Now == nil {
		return 0, fmt.Errorf("mock: Style.Now is required for open cursors")
	}
	_, hi := h.s.Range(h.s.cfg.Origin, h.st.Now())
	return hi, nil
}

// page decides which events this request gets and what comes next.
func (h *styled) page(req *request) (*servedPage, error) {
	ps := h.st.Paging
	s := h.s
	size, err := h.pageSize(req)
	if err != nil {
		return nil, err
	}
	win, hasWin, err := h.window(req)
	if err != nil {
		return nil, err
	}
	pg := &servedPage{win: win}
	bounds := func(p position) {
		pg.lo, pg.hi = s.Range(time.Unix(p.T0, 0), time.Unix(p.T1, 0))
	}
	typ := strings.ToLower(ps.Type)
	switch typ {
	case "none":
		if !hasWin {
			return nil, fmt.Errorf("%s and %s are required", s.cfg.StartParam, s.cfg.EndParam)
		}
		bounds(win)
		pg.from, pg.to = pg.lo, pg.hi
		return pg, nil
	case "linkheader", "nextpagetoken", "nextpageurl":
		tok := h.incoming(req)
		if tok != "" {
			p, err := decodePos(tok)
			if err != nil {
				return nil, err
			}
			pg.cur, pg.carried, win = tok, true, position{T0: p.T0, T1: p.T1}
			bounds(win)
			pg.from = max(pg.lo, min(p.From, pg.hi))
		} else {
			if !hasWin {
				return nil, fmt.Errorf("%s and %s are required", s.cfg.StartParam, s.cfg.EndParam)
			}
			bounds(win)
			pg.from = pg.lo
		}
		pg.win = win
		pg.to = min(pg.hi, pg.from+size)
		if pg.to < pg.hi {
			pg.more = true
			pg.next = encodePos(position{T0: win.T0, T1: win.T1, From: pg.to})
		}
		return pg, nil
	case "persistenttoken", "persistentlinkheader":
		// A server-side cursor: positions are absolute, bounded by the
		// window end when one is given, else by Now.
		var hi int64
		if hasWin && typ == "persistenttoken" {
			_, hi = s.Range(time.Unix(win.T0, 0), time.Unix(win.T1, 0))
		} else {
			if hi, err = h.nowHi(); err != nil {
				return nil, err
			}
		}
		from := int64(0)
		if hasWin {
			from, _ = s.Range(time.Unix(win.T0, 0), time.Unix(win.T1, 0))
		}
		if tok := h.incoming(req); tok != "" {
			p, err := decodePos(tok)
			if err != nil {
				return nil, err
			}
			pg.cur, pg.carried, from = tok, true, p.From
		}
		pg.lo, pg.hi = from, max(from, hi)
		pg.from, pg.to = from, min(pg.hi, from+size)
		// The cursor always points at the next position, also when caught
		// up (then with no events, as Box does).
		pg.next = encodePos(position{From: pg.to})
		pg.more = pg.to < pg.hi
		return pg, nil
	case "offset":
		if !hasWin {
			return nil, fmt.Errorf("%s and %s are required", s.cfg.StartParam, s.cfg.EndParam)
		}
		bounds(win)
		off := int64(0)
		if v, ok := req.param(ps.OffsetParam); ok {
			if off, err = strconv.ParseInt(v, 10, 64); err != nil || off < 0 {
				return nil, fmt.Errorf("%s must be a non-negative integer", ps.OffsetParam)
			}
		}
		if v, ok := req.param(ps.OffsetEndParam); ok {
			end, err := strconv.ParseInt(v, 10, 64)
			if err != nil || end <= off {
				return nil, fmt.Errorf("%s must be an integer above %s", ps.OffsetEndParam, ps.OffsetParam)
			}
			size = end - off
		}
		pg.from = min(pg.hi, pg.lo+off)
		pg.to = min(pg.hi, pg.from+size)
		pg.more = pg.to < pg.hi
		return pg, nil
	case "countbasedpaging":
		if !hasWin {
			return nil, fmt.Errorf("%s and %s are required", s.cfg.StartParam, s.cfg.EndParam)
		}
		bounds(win)
		first := int64(1)
		if ps.ZeroBased {
			first = 0
		}
		num := first
		if v, ok := req.param(ps.PageParam); ok {
			if num, err = strconv.ParseInt(v, 10, 64); err != nil || num < first {
				return nil, fmt.Errorf("%s must be an integer >= %d", ps.PageParam, first)
			}
		}
		pg.pageNum = num
		pg.pageCount = (pg.hi - pg.lo + size - 1) / size
		pg.from = min(pg.hi, pg.lo+(num-first)*size)
		pg.to = min(pg.hi, pg.from+size)
		pg.more = pg.to < pg.hi
		return pg, nil
	}
	return nil, fmt.Errorf("mock: unknown paging type %q", ps.Type)
}

// incoming returns the token or link position the request carries.
func (h *styled) incoming(req *request) string {
	ps := h.st.Paging
	if ps.TokenRequestHeader != "" {
		if v := req.r.Header.Get(ps.TokenRequestHeader); v != "" {
			return v
		}
	}
	if v, ok := req.param(ps.TokenParam); ok {
		return v
	}
	// Links and next URLs carry the position as "pos".
	return req.query.Get("pos")
}

// nextLink is the URL of the next page (LinkHeader, NextPageUrl).
func (h *styled) nextLink(r *http.Request, tok string) string {
	q := url.Values{"pos": {tok}}
	u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
	if !h.st.Paging.RelativeLink {
		u.Scheme, u.Host = "http", r.Host
		if r.TLS != nil {
			u.Scheme = "https"
		}
	}
	return u.String()
}

// document builds the response document (before formatting) and the ids.
func (h *styled) document(w http.ResponseWriter, r *http.Request, pg *servedPage) (doc map[string]any, events []map[string]any, ids []string) {
	ps := h.st.Paging
	for i := pg.from; i < pg.to; i++ {
		e := h.s.Event(i)
		if ps.TokenInLastEvent {
			e["cursor"] = encodePos(position{T0: pg.win.T0, T1: pg.win.T1, From: i + 1})
		}
		events = append(events, e)
		ids = append(ids, eventID(i))
	}
	doc = map[string]any{}
	typ := strings.ToLower(ps.Type)
	linkish := typ == "linkheader" || typ == "persistentlinkheader" || typ == "nextpageurl"
	next := ""
	if pg.next != "" && (pg.more || typ == "persistentlinkheader" || typ == "persistenttoken") {
		next = pg.next
		if linkish {
			next = h.nextLink(r, pg.next)
		}
	}
	var nextVal any = next
	if h.st.Format.CDATA {
		nextVal = cdataText(next)
	}
	switch {
	case typ == "linkheader" || typ == "persistentlinkheader":
		if next != "" {
			if ps.LinkPath != "" {
				setPath(doc, ps.LinkPath, nextVal)
			} else {
				w.Header().Set("Link", fmt.Sprintf("<%s>; rel=\"next\"", next))
			}
		}
	case typ == "nextpagetoken" || typ == "persistenttoken" || typ == "nextpageurl":
		if ps.TokenHeader != "" {
			if next != "" {
				w.Header().Set(ps.TokenHeader, ps.TokenHeaderPrefix+next)
			}
		} else if ps.TokenPath != "" {
			if next != "" {
				setPath(doc, ps.TokenPath, nextVal)
			} else {
				setPath(doc, ps.TokenPath, nil)
			}
		}
	case typ == "countbasedpaging":
		if ps.TotalPath != "" {
			setPath(doc, ps.TotalPath, pg.hi-pg.lo)
		}
		if ps.PageNumberPath != "" {
			setPath(doc, ps.PageNumberPath, pg.pageNum)
		}
		if ps.PageCountPath != "" {
			setPath(doc, ps.PageCountPath, pg.pageCount)
		}
	}
	if ps.HasNextPath != "" {
		setPath(doc, ps.HasNextPath, pg.more)
	}
	return doc, events, ids
}

// sortedEventKeys is the union of the keys of events, sorted.
func sortedEventKeys(events []map[string]any) []string {
	seen := map[string]bool{}
	for _, e := range events {
		for k := range e {
			seen[k] = true
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
