package poll

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/codeless/codeless/internal/httpx"
	"github.com/codeless/codeless/internal/poll/auth"
	"github.com/codeless/codeless/internal/poll/decode"
	"github.com/codeless/codeless/internal/poll/paging"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/timefmt"
)

// Defaults.
const (
	DefaultQueryWindow   = 5 * time.Minute
	DefaultMaxLookback   = 24 * time.Hour
	DefaultMaxPages      = 10000
	DefaultRetryInterval = time.Minute
)

// EngineCommitEvents is the MinCommitEvents the runtime uses (with
// Prefetch): measured in BenchmarkPollToDuckDB, see docs/poller.md.
const EngineCommitEvents = 5000

// PrefetchPages caps how many decoded pages the producer may hold ahead of
// the committing consumer with Config.Prefetch. Within the cap the depth
// is one page plus one per 1,000 events of MinCommitEvents (a nominal
// page), so that fetching and decoding go on while a whole batch commits,
// while a crash re-fetches little more than one batch. Measured in
// BenchmarkPollToDuckDB (docs/poller.md) with 5,000-event batches: depth
// 1 206k events/s, 4 285k, 8 300k, 16 252k (more memory, more GC).
const PrefetchPages = 8

// prefetchDepth is the capacity of the page channel.
func (r *Runner) prefetchDepth() int {
	if !r.cfg.Prefetch {
		return 1
	}
	return min(PrefetchPages, 1+r.cfg.MinCommitEvents/1000)
}

// Error classes reported in WindowResult (SPEC §7 health classes).
const (
	ClassAuth        = "auth"
	ClassThrottled   = "throttled"
	ClassPaging      = "paging"
	ClassSource      = "source"
	ClassTransform   = "transform"
	ClassDestination = "destination"
)

// Sink receives each page's events together with the checkpoint to store;
// both must become durable atomically.
type Sink interface {
	Commit(ctx context.Context, events []any, checkpoint []byte) error
}

// ErrorClasser lets a Sink error name its class (for example "transform");
// Sink errors without it are "destination".
type ErrorClasser interface{ ErrorClass() string }

// Config configures a Runner.
type Config struct {
	Name string
	// Conn is the resolved connection: no {{x}} or [[..]] left.
	Conn *resource.Connection
	Sink Sink
	// Checkpoint is the last committed checkpoint (nil for a new connection).
	Checkpoint []byte
	// Now is the clock (default time.Now); with Prefetch it is also called
	// from the goroutine that fetches the next window ahead.
	Now    func() time.Time
	Sleep  func(ctx context.Context, d time.Duration) error
	HTTP   *http.Client
	Logger *slog.Logger
	Trace  func(httpx.Trace)
	// MaxLookback bounds catch-up after downtime (default 24h).
	MaxLookback time.Duration
	// Backfill is the start of the first window (zero = queryWindowInMin
	// before now).
	Backfill time.Time
	OnWindow func(WindowResult)
	// MaxPages caps the pages of one window (default 10,000).
	MaxPages int
	// RetryInterval is the wait after a failed window (default 1 minute,
	// at most queryWindowInMin).
	RetryInterval time.Duration
	// Backoff overrides httpx's first retry backoff (0 = 1s); tests use it.
	Backoff time.Duration
	// TokenStore persists OAuth2 token state (nil = in memory); the
	// connection name is the key.
	TokenStore auth.TokenStore
	// AzureOffset selects Azure's observed Offset paging behaviour.
	AzureOffset bool
	// Prefetch fetches the next pages while earlier ones commit, and the
	// next due window while a window's last batch commits (the engine
	// turns it on). A crash may then re-fetch the pages fetched ahead (see
	// PrefetchPages and aheadWindow); the sink still sees every event once.
	Prefetch bool
	// OnPage, when set, is told the paging decision after each root page
	// (codeless test prints it).
	OnPage func(PageInfo)
	// MinCommitEvents lets pages accumulate until this many events (or the
	// window's end) before one commit; 0 commits every page. Larger
	// batches commit faster; a crash refetches the uncommitted pages.
	MinCommitEvents int
	// MaxParallelism bounds the nested-step requests in flight per page
	// (default 15).
	MaxParallelism int
}

// WindowResult is the outcome of one window (or of the part of it done by
// one PollWindow call).
type WindowResult struct {
	Start, End time.Time
	Pages      int  // pages fetched and committed by this call
	Events     int  // events committed by this call
	Resumed    bool // continued from a mid-window checkpoint
	Completed  bool // the checkpoint advanced past End
	Err        error
	// Warnings are problems that did not fail the window (for example a
	// nested step whose placeholder KQL yielded no rows).
	Warnings []string
	// Class is the error class when Err != nil; "" when the context ended
	// (shutdown is not a source failure).
	Class string
}

// Runner polls one connection.
type Runner struct {
	cfg    Config
	log    *slog.Logger
	ep     *endpoint
	steps  []*step // nested steps of the root (nil without stepInfo)
	window time.Duration
	delay  time.Duration

	inflight sync.Mutex // one window in flight
	// ahead is the next window, fetched while the previous one finished
	// committing (Prefetch); guarded by inflight.
	ahead *aheadWindow
	mu    sync.Mutex // guards cp
	cp    Checkpoint
	// first pins the start of the first window of a new connection so that
	// a failed first window is retried as is, not moved with the clock.
	first time.Time
}

// prefix puts "properties." in front of every error of a joined error.
func prefix(err error) []error { return prefixPath("properties", err) }

// prefixPath puts path+"." in front of every error of a joined error.
func prefixPath(path string, err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, prefixPath(path, e)...)
		}
		return out
	}
	return []error{fmt.Errorf("%s.%w", path, err)}
}

// New validates cfg and builds the Runner. Errors name the JSON path.
func New(cfg Config) (*Runner, error) {
	if cfg.Conn == nil {
		return nil, errors.New("poll: Config.Conn is required")
	}
	if cfg.Sink == nil {
		return nil, errors.New("poll: Config.Sink is required")
	}
	if cfg.Name == "" {
		cfg.Name = cfg.Conn.Name
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = httpx.SleepContext
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxLookback <= 0 {
		cfg.MaxLookback = DefaultMaxLookback
	}
	if cfg.MaxPages <= 0 {
		cfg.MaxPages = DefaultMaxPages
	}
	p := &cfg.Conn.Properties
	req := &p.Request
	r := &Runner{cfg: cfg, log: cfg.Logger.With("connection", cfg.Name)}

	errs := checkPlaceholders(p)
	switch {
	case req.QueryWindowInMin == 0:
		r.window = DefaultQueryWindow
	case req.QueryWindowInMin < 0:
		errs = append(errs, fmt.Errorf("properties.request.queryWindowInMin: must be >= 1, got %d", req.QueryWindowInMin))
	default:
		r.window = time.Duration(req.QueryWindowInMin) * time.Minute
	}
	if req.QueryWindowDelayInMin < 0 {
		errs = append(errs, fmt.Errorf("properties.request.queryWindowDelayInMin: must be >= 0, got %d", req.QueryWindowDelayInMin))
	}
	r.delay = time.Duration(req.QueryWindowDelayInMin) * time.Minute
	ep, epErrs := r.newEndpoint("properties", req, &p.Auth, nil, p.Paging, p.Response)
	errs = append(errs, epErrs...)
	r.ep = ep
	if p.StepInfo != nil || len(p.StepCollectorConfigs) > 0 {
		steps, stepErrs := r.compileSteps(p, ep)
		errs = append(errs, stepErrs...)
		r.steps = steps
	}
	var err error
	if r.cp, err = ParseCheckpoint(cfg.Checkpoint); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("connection %s: %w", cfg.Name, err)
	}
	if cfg.RetryInterval <= 0 {
		r.cfg.RetryInterval = min(DefaultRetryInterval, r.window)
	}
	return r, nil
}

// newEndpoint validates one step's request, auth, paging and response and
// builds its endpoint. inherit is the parent's auth for nested steps
// without their own. Errors carry the step's JSON path.
func (r *Runner) newEndpoint(path string, req *resource.Request, a *resource.Auth, inherit *endpoint, pgCfg *resource.Paging, resp resource.Response) (*endpoint, []error) {
	cfg := r.cfg
	f := &endpoint{path: path, req: req}
	var errs []error
	errf := func(format string, args ...any) { errs = append(errs, fmt.Errorf(path+"."+format, args...)) }
	pathErrs := func(err error) { errs = append(errs, prefixPath(path, err)...) }
	if strings.TrimSpace(req.APIEndpoint) == "" {
		errf("request.apiEndpoint: required")
	} else {
		// Step placeholders stand for one path segment or value here. An
		// endpoint that starts with one (Cisco ETD's "$downloadUrl$", a
		// parent's presigned link) is a whole URL and is checked once
		// substituted (buildRequest).
		if loc := reStep.FindStringIndex(strings.TrimSpace(req.APIEndpoint)); loc == nil || loc[0] != 0 {
			probe := reStep.ReplaceAllString(req.APIEndpoint, "x")
			if u, err := url.Parse(probe); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				errf("request.apiEndpoint: %q is not an absolute http(s) URL", req.APIEndpoint)
			}
		}
	}
	switch m := strings.ToUpper(strings.TrimSpace(req.HTTPMethod)); m {
	case "":
		f.method = http.MethodGet
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete:
		f.method = m
	default:
		errf("request.httpMethod: %q is not GET, POST, PUT or DELETE", req.HTTPMethod)
	}
	if req.RetryCount < 0 || req.RetryCount > httpx.MaxRetryCount {
		errf("request.retryCount: must be between 1 and %d, got %d", httpx.MaxRetryCount, req.RetryCount)
	}
	if req.TimeoutInSeconds < 0 || req.TimeoutInSeconds > 180 {
		errf("request.timeoutInSeconds: must be between 1 and 180, got %d", req.TimeoutInSeconds)
	}
	if req.RateLimitQPS < 0 {
		errf("request.rateLimitQPS: must be >= 0, got %v", req.RateLimitQPS)
	}
	rlc, err := httpx.ParseRateLimitConfig(req.RateLimitConfig)
	if err != nil {
		pathErrs(fmt.Errorf("request.%w", err))
	}
	tf, err := timefmt.Compile(req.QueryTimeFormat)
	if err != nil {
		errf("request.queryTimeFormat: %w", err)
	}
	f.tf = tf
	if a != nil && a.Type == "" && a.TypeOrAlias() != "" {
		aliased := *a
		aliased.Type = a.TypeOrAlias()
		a = &aliased
	}
	switch {
	case a == nil && inherit != nil:
		f.auth, f.tmplVars = inherit.auth, inherit.tmplVars
	case a == nil:
		errf("auth: required")
	default:
		if f.auth, err = auth.NewWithOptions(*a, auth.Options{Client: cfg.HTTP, Now: cfg.Now, Store: cfg.TokenStore, StoreKey: cfg.Name}); err != nil {
			pathErrs(err)
		} else {
			f.tmplVars = auth.TemplateVars(f.auth)
		}
	}
	if f.pager, err = paging.NewWithOptions(pgCfg, paging.Options{AzureOffset: cfg.AzureOffset}); err != nil {
		pathErrs(err)
	}
	if f.dec, err = decode.New(resp); err != nil {
		pathErrs(err)
	}
	if req.QueryParametersTemplate != "" && req.IsPostPayloadJSON && tf != nil && f.method != http.MethodGet {
		text := f.windowVars(time.Unix(0, 0), time.Unix(60, 0), nil).Replace(req.QueryParametersTemplate)
		text = strings.NewReplacer(varKeyName, "k", varKey, "v").Replace(text)
		text = reStep.ReplaceAllString(text, "x")
		text = rePagingVar.ReplaceAllString(text, "0") // {_Offset} and other paging variables
		if _, err := jsonBody(text); err != nil {
			errf("request.queryParametersTemplate: not JSON (single quotes allowed): %w", err)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	var secrets []string
	if f.auth != nil {
		secrets = f.auth.Secrets()
	}
	f.client = httpx.New(httpx.Options{
		HTTP: cfg.HTTP, RetryCount: req.RetryCount, Timeout: time.Duration(req.TimeoutInSeconds) * time.Second,
		RateLimitQPS: req.RateLimitQPS, RateLimit: rlc, Secrets: secrets, Now: cfg.Now, Sleep: cfg.Sleep, Trace: cfg.Trace,
		Logger: r.log, BaseBackoff: cfg.Backoff,
	})
	return f, nil
}

// Checkpoint returns the last committed checkpoint.
func (r *Runner) Checkpoint() Checkpoint {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cp
}

// FirstWindow is the window a new connection polls first:
// [now − delay − queryWindowInMin, now − delay), truncated to the second.
func FirstWindow(conn *resource.Connection, now time.Time) (start, end time.Time) {
	w := time.Duration(conn.Properties.Request.QueryWindowInMin) * time.Minute
	if w <= 0 {
		w = DefaultQueryWindow
	}
	d := time.Duration(max(0, conn.Properties.Request.QueryWindowDelayInMin)) * time.Minute
	end = now.UTC().Add(-d).Truncate(time.Second)
	return end.Add(-w), end
}

// next returns the next window and whether it is due at now; when not due,
// at is when it will be.
func (r *Runner) next(now time.Time) (start, end time.Time, due bool, at time.Time) {
	r.mu.Lock()
	cp := r.cp
	r.mu.Unlock()
	if cp.Current != nil {
		return cp.Current.Start, cp.Current.End, true, now
	}
	limit := now.UTC().Add(-r.delay)
	switch {
	case cp.Done != nil:
		start = *cp.Done
	case !r.cfg.Backfill.IsZero():
		start = r.cfg.Backfill.UTC()
	default:
		if r.first.IsZero() {
			r.first, _ = FirstWindow(r.cfg.Conn, now)
		}
		start = r.first
	}
	if oldest := limit.Add(-r.cfg.MaxLookback).Truncate(time.Second); start.Before(oldest) {
		r.log.Warn("skipping data older than the maximum lookback", "from", start, "to", oldest)
		start = oldest
	}
	end = start.Add(r.window)
	if end.After(limit) {
		return start, end, false, end.Add(r.delay)
	}
	return start, end, true, now
}

// Run polls due windows until ctx ends, one window at a time, catching up
// window by window after downtime. It returns nil when ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	for {
		if ctx.Err() != nil {
			return nil
		}
		now := r.cfg.Now()
		start, end, due, at := r.next(now)
		if !due {
			if err := r.cfg.Sleep(ctx, at.Sub(now)); err != nil {
				return nil
			}
			continue
		}
		res, err := r.PollWindow(ctx, start, end)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && !res.Completed {
			r.log.Warn("window failed; retrying later", "start", start, "end", end, "class", res.Class, "error", err, "retryIn", r.cfg.RetryInterval)
			if err := r.cfg.Sleep(ctx, r.cfg.RetryInterval); err != nil {
				return nil
			}
		}
	}
}

func classify(err error) string {
	var he *httpx.Error
	if errors.As(err, &he) {
		switch {
		case he.Status == http.StatusUnauthorized || he.Status == http.StatusForbidden:
			return ClassAuth
		case he.Class == httpx.Throttled:
			return ClassThrottled
		}
	}
	return ClassSource
}

// PollWindow fetches every page of [start, end) and commits each page with
// its checkpoint. When the stored checkpoint has this window in progress it
// resumes at the next page. On a failure the checkpoint stays at the last
// committed page and the error is returned (also in the result).
func (r *Runner) PollWindow(ctx context.Context, start, end time.Time) (res WindowResult, err error) {
	r.inflight.Lock()
	defer r.inflight.Unlock()
	start, end = start.UTC(), end.UTC()
	res = WindowResult{Start: start, End: end}
	defer func() {
		res.Err = err
		if r.cfg.OnWindow != nil {
			r.cfg.OnWindow(res)
		}
	}()
	fail := func(class string, e error) (WindowResult, error) {
		res.Class = class
		return res, e
	}

	var cursor []byte
	pages, events := 0, 0
	cur := r.Checkpoint()
	if c := cur.Current; c != nil && c.Start.Equal(start) && c.End.Equal(end) {
		cursor, pages, events = c.Cursor, c.Pages, c.Events
		res.Resumed = true
	} else if r.ep.pager.Persistent() {
		cursor = cur.Persistent
	}
	pg, err := r.ep.pager.Window(cursor)
	if err != nil {
		return fail(ClassPaging, fmt.Errorf("resuming paging: %w", err))
	}

	// The producer fetches and decodes pages; the consumer below commits.
	// With Prefetch the producer runs ahead (prefetchDepth pages plus the
	// one it is sending) so that the HTTP round trips and decoding of
	// the next pages overlap the commit; without it, it waits for each page
	// to be handled (ack).
	// A window fetched ahead by the previous call is used when it is this
	// one and nothing of it was committed yet (see aheadWindow).
	var items chan pageItem
	var stopProducer context.CancelFunc
	var ack chan struct{}
	next := make(chan *aheadWindow, 1) // the window the producer starts fetching after this one
	if a := r.takeAhead(ctx, start, end, cur); a != nil {
		items, stopProducer, next = a.items, a.cancel, a.next
	} else {
		var pctx context.Context
		pctx, stopProducer = context.WithCancel(ctx)
		items = make(chan pageItem, r.prefetchDepth())
		if !r.cfg.Prefetch {
			ack = make(chan struct{}, 1)
		}
		var warnMu sync.Mutex
		go func() {
			defer close(items)
			clean := r.produce(pctx, start, end, pg, pages, items, ack, func(w []string) {
				warnMu.Lock()
				res.Warnings = append(res.Warnings, w...)
				warnMu.Unlock()
			})
			var a *aheadWindow
			if clean {
				a = r.fetchAhead(ctx, end)
			}
			next <- a
		}()
	}
	defer func() {
		stopProducer()
		for range items { // let the producer finish before returning
		}
		if a := <-next; a != nil {
			if res.Completed && err == nil {
				r.ahead = a
			} else {
				a.discard()
			}
		}
	}()

	var pending []any
	var last pageItem // the newest page in pending
	pendingPages := 0
	for it := range items {
		if err := ctx.Err(); err != nil {
			// Shutdown: pages fetched ahead are dropped (the checkpoint
			// names the next page to fetch), not committed after the fact.
			return fail("", fmt.Errorf("window interrupted before page %d: %w", pages+1, err))
		}
		if it.err == nil {
			pending = append(pending, it.events...)
			pendingPages++
			last = it
		}
		if it.err == nil && !it.stop && len(pending) < r.cfg.MinCommitEvents {
			if ack != nil {
				ack <- struct{}{}
			}
			continue
		}
		if pendingPages > 0 {
			st := &last
			next := r.Checkpoint()
			if st.stop {
				e := end
				next.Done, next.Current = &e, nil
				if r.ep.pager.Persistent() {
					next.Persistent = st.cursor
				}
			} else {
				next.Current = &WindowState{Start: start, End: end, Pages: pages + pendingPages, Events: events + len(pending), Cursor: st.cursor}
			}
			if err := r.cfg.Sink.Commit(ctx, pending, next.Marshal()); err != nil {
				class := ClassDestination
				var ec ErrorClasser
				if errors.As(err, &ec) && ec.ErrorClass() != "" {
					class = ec.ErrorClass()
				}
				return fail(class, fmt.Errorf("committing page %d: %w", pages+pendingPages, err))
			}
			r.mu.Lock()
			r.cp = next
			r.mu.Unlock()
			pages += pendingPages
			events += len(pending)
			res.Pages += pendingPages
			res.Events += len(pending)
			pending, pendingPages = nil, 0
		}
		if it.err != nil {
			if ctx.Err() != nil {
				it.class = ""
			}
			return fail(it.class, it.err)
		}
		if it.stop {
			res.Completed = true
			if it.perr != nil {
				r.log.Warn("paging stopped the window", "start", start, "end", end, "error", it.perr)
				return fail(ClassPaging, fmt.Errorf("paging after page %d: %w", pages, it.perr))
			}
			r.log.Debug("window complete", "start", start, "end", end, "pages", pages, "events", events)
			return res, nil
		}
		if ack != nil {
			ack <- struct{}{}
		}
	}
	if err := ctx.Err(); err != nil {
		return fail("", fmt.Errorf("window interrupted before page %d: %w", pages+1, err))
	}
	return fail(ClassSource, errors.New("internal error: page producer ended early"))
}

// aheadWindow is the window after a completed one, fetched (with Prefetch)
// while the completed window's last batch commits, so that catching up
// window by window keeps the pipeline full. Nothing of it is committed
// until PollWindow is called for it: a call for another window, a
// checkpoint that moved elsewhere, the end of the context it was started
// under or aheadTimeout without a call discard it (its pages are fetched
// again when needed; the source sees them twice, the sink once).
type aheadWindow struct {
	start, end time.Time
	items      chan pageItem
	cancel     context.CancelFunc
	stopParent func() bool // detaches cancel from the starting call's context
	timer      *time.Timer
	// next receives the window after this one once this one is fetched
	// (nil when none is fetched), like PollWindow's own producer.
	next chan *aheadWindow
	mu   sync.Mutex
	ctx  context.Context // the call the window belongs to (for next)
}

// aheadTimeout bounds how long a window fetched ahead waits for its call.
const aheadTimeout = 2 * time.Minute

// fetchAhead starts fetching [start, start+window) when that window is due
// and can be fetched without state from the current one (no persistent
// paging cursor, no nested steps, no per-page callback); nil otherwise.
func (r *Runner) fetchAhead(parent context.Context, start time.Time) *aheadWindow {
	if !r.cfg.Prefetch || r.steps != nil || r.cfg.OnPage != nil || r.ep.pager.Persistent() {
		return nil
	}
	end := start.Add(r.window)
	if end.After(r.cfg.Now().UTC().Add(-r.delay)) {
		return nil
	}
	pg, err := r.ep.pager.Window(nil)
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	a := &aheadWindow{start: start, end: end, items: make(chan pageItem, r.prefetchDepth()), cancel: cancel,
		next: make(chan *aheadWindow, 1), ctx: parent}
	a.stopParent = context.AfterFunc(parent, cancel)
	a.timer = time.AfterFunc(aheadTimeout, cancel)
	go func() {
		clean := r.produce(ctx, start, end, pg, 0, a.items, nil, func([]string) {})
		close(a.items)
		var n *aheadWindow
		if clean {
			a.mu.Lock()
			owner := a.ctx
			a.mu.Unlock()
			n = r.fetchAhead(owner, end)
		}
		a.next <- n
	}()
	return a
}

// takeAhead returns the window fetched ahead when it is [start, end) and
// the checkpoint has no window in progress, bound from now on to ctx; it
// discards any other.
func (r *Runner) takeAhead(ctx context.Context, start, end time.Time, cur Checkpoint) *aheadWindow {
	a := r.ahead
	r.ahead = nil
	if a == nil {
		return nil
	}
	if !a.start.Equal(start) || !a.end.Equal(end) || cur.Current != nil || cur.Done == nil || !cur.Done.Equal(start) {
		a.discard()
		return nil
	}
	// Both detach calls must succeed: otherwise the fetch was cancelled
	// (context ended or timed out) and its pages may be incomplete.
	parentOK := a.stopParent()
	timerOK := a.timer.Stop()
	if !parentOK || !timerOK {
		a.discard()
		return nil
	}
	a.mu.Lock()
	a.ctx = ctx
	a.mu.Unlock()
	stop := context.AfterFunc(ctx, a.cancel)
	cancel := a.cancel
	a.cancel = func() { stop(); cancel() }
	return a
}

// discard cancels the window and whatever it started fetching after it.
func (a *aheadWindow) discard() {
	a.stopParent()
	a.timer.Stop()
	a.cancel()
	go func() {
		for range a.items {
		}
		if n := <-a.next; n != nil {
			n.discard()
		}
	}()
}

// PageInfo is the paging decision after one root page.
type PageInfo struct {
	Page   int    // 1-based page of the window
	URL    string // the page's request URL (unredacted)
	Events int    // events extracted (before nested steps)
	More   bool   // another page follows
	Err    error  // paging error that stopped the window (loop guard, page cap, ...)
}

// pageItem is one fetched page (or the error that ended fetching).
type pageItem struct {
	events []any
	cursor []byte // paging cursor after this page
	stop   bool   // last page of the window
	perr   error  // paging error that stopped the window after this page
	err    error  // fetching, decoding or nested steps failed
	class  string
}

// produce fetches pages from page done+1 on and sends them to items; it
// stops after the last page, on an error or when ctx ends.
func (r *Runner) produce(ctx context.Context, start, end time.Time, pg paging.Paginator, done int, items chan<- pageItem, ack <-chan struct{}, warn func([]string)) (clean bool) {
	send := func(it pageItem) bool {
		select {
		case items <- it:
		case <-ctx.Done():
			return false
		}
		if ack == nil || it.stop || it.err != nil {
			return true
		}
		select {
		case <-ack:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for n := done + 1; ; n++ {
		if err := ctx.Err(); err != nil {
			send(pageItem{err: fmt.Errorf("window interrupted before page %d: %w", n, err)})
			return false
		}
		resp, hr, class, err := r.ep.fetch(ctx, start, end, pg.Request(), nil)
		if err != nil {
			send(pageItem{class: class, err: fmt.Errorf("fetching page %d: %w", n, err)})
			return false
		}
		page, err := r.ep.dec.Decode(resp.Body, resp.Header)
		if err != nil {
			send(pageItem{class: ClassSource, err: fmt.Errorf("decoding page %d: %w", n, err)})
			return false
		}
		parentEvents := len(page.Events)
		if r.steps != nil {
			var wr WindowResult
			out, class, err := r.runSteps(ctx, start, end, page.Events, &wr)
			warn(wr.Warnings)
			if err != nil {
				send(pageItem{class: class, err: fmt.Errorf("nested steps of page %d: %w", n, err)})
				return false
			}
			page.Events = out
		}
		r.addOn(page.Events)
		more, perr := pg.Next(paging.Page{URL: hr.URL.String(), Status: resp.Status, Header: resp.Header, Body: page.Body, Events: parentEvents})
		if perr == nil && more && n >= r.cfg.MaxPages {
			perr = fmt.Errorf("%w: page cap of %d pages per window reached", paging.ErrLoop, r.cfg.MaxPages)
		}
		if r.cfg.OnPage != nil {
			r.cfg.OnPage(PageInfo{Page: n, URL: hr.URL.String(), Events: parentEvents, More: more && perr == nil, Err: perr})
		}
		it := pageItem{events: page.Events, cursor: pg.Cursor(), stop: perr != nil || !more, perr: perr}
		if !send(it) {
			return false
		}
		if it.stop {
			return perr == nil
		}
	}
}

// fetch builds, authenticates and sends one request of f; class is the
// error class on failure.
func (f *endpoint) fetch(ctx context.Context, start, end time.Time, pr paging.Request, steps map[string]string) (*httpx.Response, *http.Request, string, error) {
	hr, err := f.buildRequest(start, end, pr, steps)
	if err != nil {
		return nil, nil, ClassSource, err
	}
	if u := unresolved(hr.URL.String(), true); u != "" && steps != nil {
		return nil, nil, ClassSource, fmt.Errorf("%s.request: unresolved placeholder %q in %s", f.path, u, hr.URL.Redacted())
	}
	hr = hr.WithContext(ctx)
	if err := f.auth.Apply(hr); err != nil {
		return nil, nil, ClassAuth, fmt.Errorf("applying auth: %w", err)
	}
	resp, err := f.client.Do(hr)
	var he *httpx.Error
	if inv, ok := f.auth.(auth.Invalidator); ok && errors.As(err, &he) && he.Status == http.StatusUnauthorized {
		// A token-based auth re-mints once after a 401 (SPEC §4).
		inv.Invalidate(hr)
		hr2, berr := f.buildRequest(start, end, pr, steps)
		if berr != nil {
			return nil, nil, ClassSource, berr
		}
		hr2 = hr2.WithContext(ctx)
		if aerr := f.auth.Apply(hr2); aerr != nil {
			return nil, nil, ClassAuth, fmt.Errorf("applying auth after a 401: %w", aerr)
		}
		hr = hr2
		resp, err = f.client.Do(hr)
	}
	if err != nil {
		return nil, hr, classify(err), err
	}
	return resp, hr, "", nil
}

// addOn adds addOnAttributes to every object event.
func (r *Runner) addOn(events []any) {
	attrs := r.cfg.Conn.Properties.AddOnAttributes
	if len(attrs) == 0 {
		return
	}
	for _, e := range events {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		for k, v := range attrs {
			if v == nil {
				m[k] = nil
			} else {
				m[k] = *v
			}
		}
	}
}

func sortStrings(s []string) { sort.Strings(s) }
