package engine

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/codeless/codeless/internal/poll"
	"github.com/codeless/codeless/internal/resource"
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
}

type pollerHandle struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func newPollers(e *Engine) *pollers {
	return &pollers{e: e, run: map[string]*pollerHandle{}, status: map[string]*Status{}}
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
	p.mu.Unlock()
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
		if err != nil {
			cp = nil
		}
		r, err := poll.New(poll.Config{
			Name:        conn.Name,
			Conn:        conn,
			Sink:        &sink{e: e, conn: conn},
			Checkpoint:  cp,
			Now:         e.cfg.Now,
			HTTP:        e.cfg.HTTP,
			Logger:      log,
			MaxLookback: e.cfg.MaxLookback,
			OnWindow:    func(w poll.WindowResult) { p.observe(conn.Name, w) },
		})
		if err != nil {
			p.fail(conn.Name, "configuration", err)
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

func (p *pollers) observe(name string, w poll.WindowResult) {
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
	e    *Engine
	conn *resource.Connection
}

func (s *sink) Commit(ctx context.Context, events []any, checkpoint []byte) error {
	cfg := s.conn.Properties.DCRConfig
	out, err := s.e.pipe.Process(ctx, cfg.DataCollectionRuleImmutableID, cfg.StreamName, events)
	if err != nil {
		return fmt.Errorf("transforming %d events: %w", len(events), err)
	}
	if err := s.e.pipe.Commit(ctx, out, checkpointKey(s.conn.Name), checkpoint); err != nil {
		return fmt.Errorf("committing %d events: %w", len(events), err)
	}
	return nil
}
