package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/codeless/codeless/internal/health"
	"github.com/codeless/codeless/internal/httpx"
	"github.com/codeless/codeless/internal/poll"
	"github.com/codeless/codeless/internal/poll/auth"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/store"
)

// Status is what the engine knows of one connection's polling.
type Status struct {
	Name                    string    `json:"name"`
	ConnectorDefinitionName string    `json:"connectorDefinitionName"`
	DataType                string    `json:"dataType,omitempty"`
	Active                  bool      `json:"active"`
	LastSuccess             time.Time `json:"lastSuccess,omitzero"`
	LastWindowEnd           time.Time `json:"lastWindowEnd,omitzero"`
	LastError               string    `json:"lastError,omitempty"`
	LastErrorClass          string    `json:"lastErrorClass,omitempty"`
	LastErrorTime           time.Time `json:"lastErrorTime,omitzero"`
	Windows                 int64     `json:"windows"`
	Events                  int64     `json:"events"`
}

type pollers struct {
	e      *Engine
	mu     sync.Mutex
	ctx    context.Context
	wg     sync.WaitGroup
	run    map[string]*pollerHandle
	status map[string]*Status

	// Health: SentinelHealth rows and per-connection metrics.
	rec         *health.Recorder
	metrics     *health.Metrics // nil = no metrics
	healthMu    sync.Mutex      // guards tableReady, lastFlush
	tableReady  bool
	lastFlush   time.Time
	flushPeriod time.Duration
}

type pollerHandle struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func newPollers(e *Engine) *pollers {
	return &pollers{e: e, run: map[string]*pollerHandle{}, status: map[string]*Status{},
		rec: health.NewRecorder(), flushPeriod: time.Hour}
}

// SetMetrics makes the pollers feed m (requests, pages, events, retries,
// throttle waits, errors by class, window lag per connection). Call it
// before Start; nil turns metrics off.
func (e *Engine) SetMetrics(m *health.Metrics) {
	e.pollers.mu.Lock()
	e.pollers.metrics = m
	e.pollers.mu.Unlock()
}

func (p *pollers) start(ctx context.Context) {
	p.mu.Lock()
	p.ctx = ctx
	p.mu.Unlock()
}

func (p *pollers) wait() { p.wg.Wait() }

// set (re)starts the poller of a connection: the old one (if any) stops
// before the new one starts, so one window is in flight per connection.
func (p *pollers) set(conn *resource.Connection) {
	p.remove(conn.Name)
	p.mu.Lock()
	defer p.mu.Unlock()
	st := &Status{Name: conn.Name, ConnectorDefinitionName: conn.Properties.ConnectorDefinitionName,
		DataType: conn.Properties.DataType, Active: conn.Properties.Active()}
	if old, ok := p.status[conn.Name]; ok {
		st.LastSuccess, st.LastWindowEnd, st.Windows, st.Events = old.LastSuccess, old.LastWindowEnd, old.Windows, old.Events
	}
	p.status[conn.Name] = st
	if p.ctx == nil || !st.Active {
		return
	}
	ctx, cancel := context.WithCancel(p.ctx)
	h := &pollerHandle{cancel: cancel, done: make(chan struct{})}
	p.run[conn.Name] = h
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(h.done)
		p.runOne(ctx, conn)
	}()
}

// remove stops a connection's poller and waits for it.
func (p *pollers) remove(name string) {
	p.mu.Lock()
	h := p.run[name]
	delete(p.run, name)
	delete(p.status, name)
	m := p.metrics
	p.mu.Unlock()
	p.rec.Forget(name)
	if m != nil {
		m.ForgetConnection(name)
	}
	if h != nil {
		h.cancel()
		<-h.done
	}
}

func (p *pollers) runOne(ctx context.Context, conn *resource.Connection) {
	e := p.e
	log := e.log.With("connection", conn.Name)
	for {
		cp, err := e.st.GetCheckpoint(ctx, checkpointKey(conn.Name))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			// Polling without the checkpoint would start the connection
			// over (duplicates): wait for the store instead.
			p.fail(conn.Name, "internal", err)
			log.Error("reading the checkpoint failed; retrying in 10s", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(10 * time.Second):
			}
			continue
		}
		if errors.Is(err, store.ErrNotFound) || len(cp) == 0 {
			// Pin the first window of a new connection before fetching
			// anything: batched commits may store nothing before a crash,
			// and a restart must not slide the window past events the
			// source already had (SPEC §4 first window).
			start, _ := poll.FirstWindow(conn, e.cfg.Now())
			pinned := poll.Checkpoint{Done: &start}.Marshal()
			if err := e.st.PutCheckpoint(ctx, checkpointKey(conn.Name), pinned); err == nil {
				cp = pinned
			}
		}
		r, err := poll.New(poll.Config{
			Name:        conn.Name,
			Conn:        conn,
			Sink:        &sink{e: e, conn: conn, stream: e.ingestStream(ctx, conn.Properties.DCRConfig)},
			Checkpoint:  cp,
			Now:         e.cfg.Now,
			HTTP:        e.cfg.HTTP,
			Logger:      log,
			MaxLookback: e.cfg.MaxLookback,
			OnWindow:    func(w poll.WindowResult) { p.observe(ctx, conn, w) },
			Trace:       p.tracer(conn.Name),
			TokenStore:  &tokenStore{e: e},
			// Fetch ahead and commit batches (SPEC §9 throughput); a crash
			// re-fetches at most the uncommitted pages.
			Prefetch:        true,
			MinCommitEvents: poll.EngineCommitEvents,
		})
		if err != nil {
			p.fail(conn.Name, "configuration", err)
			p.health(ctx, conn, poll.WindowResult{Err: err, Class: "configuration"})
			log.Error("connection cannot poll", "err", err)
			return
		}
		err = r.Run(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			p.fail(conn.Name, "internal", err)
			log.Error("poller stopped; restarting in 10s", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Second):
		}
	}
}

func (p *pollers) observe(ctx context.Context, conn *resource.Connection, w poll.WindowResult) {
	p.observeStatus(conn.Name, w)
	if w.Err != nil && w.Class == "" {
		return // shutdown: not a source failure
	}
	p.health(ctx, conn, w)
}

func (p *pollers) observeStatus(name string, w poll.WindowResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.status[name]
	if st == nil {
		return
	}
	st.Windows++
	st.Events += int64(w.Events)
	if w.Err != nil {
		st.LastError, st.LastErrorClass, st.LastErrorTime = w.Err.Error(), string(w.Class), p.e.cfg.Now().UTC()
		return
	}
	st.LastSuccess, st.LastWindowEnd = p.e.cfg.Now().UTC(), w.End
	st.LastError, st.LastErrorClass = "", ""
}

func (p *pollers) fail(name, class string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st := p.status[name]; st != nil {
		st.LastError, st.LastErrorClass, st.LastErrorTime = err.Error(), class, p.e.cfg.Now().UTC()
	}
}

// tracer feeds the request, retry and throttle-wait metrics from httpx's
// per-attempt trace.
func (p *pollers) tracer(name string) func(httpx.Trace) {
	return func(t httpx.Trace) {
		p.mu.Lock()
		m := p.metrics
		p.mu.Unlock()
		if m == nil {
			return
		}
		m.Request(name, t.Status)
		if t.RateWait > 0 {
			m.ThrottleWait(name, t.RateWait)
		}
		if t.Wait > 0 {
			m.Retry(name)
			if t.Class == httpx.Throttled {
				m.ThrottleWait(name, t.Wait)
			}
		}
	}
}

// healthReasons maps the poller's error classes to SentinelHealth
// HealthResultType/Reason values (reference/ccf-format.md §8.6).
var healthReasons = map[string]string{
	poll.ClassAuth:        "AuthenticationFailure",
	poll.ClassThrottled:   "Throttled",
	poll.ClassPaging:      "PagingFailure",
	poll.ClassSource:      "SourceFailure",
	poll.ClassTransform:   "TransformFailure",
	poll.ClassDestination: "DestinationFailure",
	"configuration":       "ConfigurationFailure",
}

// health records one window outcome: metrics, and a SentinelHealth
// status-change row (when due) plus the hourly failure summary, committed in
// their own batch (the window's data was committed page by page).
func (p *pollers) health(ctx context.Context, conn *resource.Connection, w poll.WindowResult) {
	e := p.e
	now := e.cfg.Now().UTC()
	p.mu.Lock()
	m := p.metrics
	p.mu.Unlock()
	if m != nil {
		if w.Pages > 0 {
			for range w.Pages - 1 {
				m.Page(conn.Name, 0, 0)
			}
			m.Page(conn.Name, w.Events, 0)
		}
		if w.Err != nil {
			m.Error(conn.Name, health.ErrorClass(w.Class))
		}
		if w.Completed {
			m.WindowLag(conn.Name, now.Sub(w.End))
		}
	}
	ev := health.Event{
		Time: now, Connection: conn.Name, ResourceID: e.resourceID(resource.KindConnection, conn.Name),
		WorkspaceID: e.cfg.WorkspaceID, DestinationTable: conn.Properties.DCRConfig.StreamName,
		Status: health.StatusSuccess, StartTime: w.Start, EndTime: w.End, TotalRecordCount: int64(w.Events),
	}
	if len(w.Warnings) > 0 {
		ev.Description = fmt.Sprintf("%d warning(s): %s", len(w.Warnings), strings.Join(w.Warnings, "; "))
	}
	if w.Err != nil {
		reason := healthReasons[w.Class]
		if reason == "" {
			reason = "InternalFailure"
		}
		code := ""
		var he *httpx.Error
		if errors.As(w.Err, &he) && he.Status > 0 {
			code = strconv.Itoa(he.Status)
		}
		ev.Status, ev.Reason, ev.Description = health.StatusFailure, reason, w.Err.Error()
		ev.Transient = w.Class == poll.ClassThrottled || (errors.As(w.Err, &he) && he.Class != httpx.Permanent)
		ev.Failures = []health.Failure{{HealthResultType: reason, StatusCode: code, StatusMessage: w.Err.Error(), Count: 1}}
	}
	if err := p.writeHealth(ctx, ev, now); err != nil {
		e.log.Warn("writing health rows failed", "connection", conn.Name, "err", err)
	}
}

func (p *pollers) writeHealth(ctx context.Context, ev health.Event, now time.Time) (err error) {
	e := p.e
	p.healthMu.Lock()
	defer p.healthMu.Unlock()
	if !p.tableReady {
		if err := health.EnsureTable(ctx, e.st); err != nil {
			return err
		}
		p.tableReady = true
		p.lastFlush = now
	}
	b, err := e.st.Begin(ctx)
	if err != nil {
		return fmt.Errorf("beginning health batch: %w", err)
	}
	defer func() {
		if err != nil {
			_ = b.Rollback()
		}
	}()
	wrote, err := p.rec.Observe(b, ev)
	if err != nil {
		return err
	}
	n := 0
	if now.Sub(p.lastFlush) >= p.flushPeriod {
		if n, err = p.rec.Flush(b, now); err != nil {
			return err
		}
		p.lastFlush = now
	}
	if !wrote && n == 0 {
		return b.Rollback()
	}
	if err := b.Commit(); err != nil {
		return fmt.Errorf("committing health rows: %w", err)
	}
	return nil
}

// Statuses lists every connection's polling status, sorted by name.
func (e *Engine) Statuses() []Status {
	p := e.pollers
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Status, 0, len(p.status))
	for _, s := range p.status {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// sink delivers a connection's events through the ingestion pipeline and
// commits them with the checkpoint in one batch.
type sink struct {
	e      *Engine
	conn   *resource.Connection
	stream string // the DCR stream the events enter (ingestStream)
}

func (s *sink) Commit(ctx context.Context, events []any, checkpoint []byte) error {
	cfg := s.conn.Properties.DCRConfig
	out, err := s.e.pipe.Process(ctx, cfg.DataCollectionRuleImmutableID, s.stream, events)
	if err != nil {
		return fmt.Errorf("transforming %d events: %w", len(events), err)
	}
	if err := s.e.pipe.Commit(ctx, out, checkpointKey(s.conn.Name), checkpoint); err != nil {
		return fmt.Errorf("committing %d events: %w", len(events), err)
	}
	return nil
}

// ingestStream is the DCR stream a connection's events enter: its
// streamName, or for a built-in stream the DCR does not declare
// (SENTINEL_CROWDSTRIKEALERTS) the Microsoft-* stream of the DCR's
// transform-less flow that carries it (resource.DCR.BuiltinFlow), so the
// events land unchanged in that flow's table.
func (e *Engine) ingestStream(ctx context.Context, cfg resource.DCRConfig) string {
	if strings.HasPrefix(strings.ToLower(cfg.StreamName), "custom-") {
		return cfg.StreamName
	}
	d, err := e.dcrByImmutableID(ctx, cfg.DataCollectionRuleImmutableID)
	if err != nil || d == nil {
		return cfg.StreamName
	}
	if _, s, ok := d.BuiltinFlow(cfg.StreamName); ok {
		return s
	}
	return cfg.StreamName
}

// tokenStore keeps OAuth2 token state (rotated refresh tokens included) in
// the state store, sealed with the engine's key like other secrets; one put
// replaces the whole record.
type tokenStore struct{ e *Engine }

func tokenKey(key string) string { return "auth/" + key }

func (t *tokenStore) Load(ctx context.Context, key string) (auth.Token, bool, error) {
	raw, err := t.e.st.GetCheckpoint(ctx, tokenKey(key))
	if errors.Is(err, store.ErrNotFound) || (err == nil && len(raw) == 0) {
		return auth.Token{}, false, nil
	}
	if err != nil {
		return auth.Token{}, false, fmt.Errorf("loading token state: %w", err)
	}
	plain, err := t.e.keys.Open(string(raw))
	if err != nil {
		return auth.Token{}, false, fmt.Errorf("loading token state: %w", err)
	}
	var tok auth.Token
	if err := json.Unmarshal(plain, &tok); err != nil {
		return auth.Token{}, false, fmt.Errorf("loading token state: %w", err)
	}
	return tok, true, nil
}

func (t *tokenStore) Save(ctx context.Context, key string, tok auth.Token) error {
	plain, err := json.Marshal(tok)
	if err != nil {
		return fmt.Errorf("saving token state: %w", err)
	}
	sealed, err := t.e.keys.Seal(plain)
	if err != nil {
		return fmt.Errorf("saving token state: %w", err)
	}
	if err := t.e.st.PutCheckpoint(ctx, tokenKey(key), []byte(sealed)); err != nil {
		return fmt.Errorf("saving token state: %w", err)
	}
	return nil
}
