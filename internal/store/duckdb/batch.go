package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/codeless/codeless/internal/schema"
	"github.com/codeless/codeless/internal/store"
)

// ErrBatchDone is returned when a batch is used after Commit or Rollback.
var ErrBatchDone = errors.New("batch already committed or rolled back")

type pendingTable struct {
	name string
	cols *columns
}

// batch buffers converted rows and checkpoints until Commit.
type batch struct {
	db  *DB
	ctx context.Context

	mu          sync.Mutex
	done        bool
	tables      []*pendingTable
	byName      map[string]*pendingTable
	checkpoints map[string][]byte
	cpOrder     []string
}

// Begin implements store.Tables.
func (d *DB) Begin(ctx context.Context) (store.Batch, error) {
	if d.isClosed() {
		return nil, ErrClosed
	}
	return &batch{db: d, ctx: ctx, byName: map[string]*pendingTable{}, checkpoints: map[string][]byte{}}, nil
}

// Append implements store.Batch. Rows are converted and checked now, so a
// bad value is reported here (table, row index, column); rows shorter than
// the schema are padded with nulls.
func (b *batch) Append(table string, rows [][]any) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return fmt.Errorf("append to table %q: %w", table, ErrBatchDone)
	}
	s, ok := b.db.schema(table)
	if !ok {
		return fmt.Errorf("append to table %q: %w", table, store.ErrNotFound)
	}
	p := b.byName[table]
	if p == nil {
		cols, err := newColumns(s)
		if err != nil {
			return fmt.Errorf("append to table %q: %w", table, err)
		}
		p = &pendingTable{name: table, cols: cols}
		b.byName[table] = p
		b.tables = append(b.tables, p)
	}
	return p.cols.appendRows(table, s, rows)
}

// PutCheckpoint implements store.Batch; the last value for a key wins.
func (b *batch) PutCheckpoint(key string, value []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return fmt.Errorf("put checkpoint %q: %w", key, ErrBatchDone)
	}
	if key == "" {
		return errors.New("put checkpoint: empty key")
	}
	if _, ok := b.checkpoints[key]; !ok {
		b.cpOrder = append(b.cpOrder, key)
	}
	b.checkpoints[key] = append([]byte{}, value...)
	return nil
}

// Rollback implements store.Batch: nothing was written, so it only discards.
func (b *batch) Rollback() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return ErrBatchDone
	}
	b.done = true
	b.tables, b.byName, b.checkpoints = nil, nil, nil
	return nil
}

// Commit implements store.Batch: all rows and checkpoints in one DuckDB
// transaction. Batches committed at the same time by several goroutines
// share one transaction (group commit, see commitBatch).
func (b *batch) Commit() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return ErrBatchDone
	}
	b.done = true
	defer func() { b.tables, b.byName, b.checkpoints = nil, nil, nil }()
	if err := b.db.commitBatch(b); err != nil {
		return fmt.Errorf("commit batch: %w", err)
	}
	return nil
}

// commitReq is one batch waiting for a writer.
type commitReq struct {
	b        *batch
	err      error
	finished bool
}

// commitBatch queues b and waits for the write lock. Whoever gets the lock
// writes every queued batch in one transaction, so N goroutines committing
// at once pay DuckDB's fixed commit cost (≈ 2 ms CPU, mostly the WAL) once
// instead of N times. Atomicity per batch holds: a group is all or nothing,
// and when a group fails each of its batches is retried alone, so one bad
// batch does not fail the others.
func (d *DB) commitBatch(b *batch) error {
	r := &commitReq{b: b}
	d.groupMu.Lock()
	d.queue = append(d.queue, r)
	d.groupMu.Unlock()

	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	d.groupMu.Lock()
	if r.finished {
		d.groupMu.Unlock()
		return r.err
	}
	// No writer runs while we hold writeMu, so r is still queued.
	group := d.queue
	d.queue = nil
	d.groupMu.Unlock()

	errs := d.writeGroup(group)
	d.groupMu.Lock()
	for i, g := range group {
		g.err, g.finished = errs[i], true
	}
	d.groupMu.Unlock()
	return r.err
}

// writeGroup writes the batches of group; the caller holds writeMu. It
// returns one error per batch.
func (d *DB) writeGroup(group []*commitReq) []error {
	errs := make([]error, len(group))
	var live []int
	for i, g := range group {
		if d.isClosed() {
			errs[i] = ErrClosed
		} else if err := g.b.ctx.Err(); err != nil {
			errs[i] = err
		} else {
			live = append(live, i)
		}
	}
	single := func(i int) {
		b := group[i].b
		errs[i] = d.runTx(b.ctx, func(conn *sql.Conn) error { return d.writeBatches(b.ctx, conn, []*batch{b}) }, nil)
	}
	switch len(live) {
	case 0:
	case 1:
		single(live[0])
	default:
		bs := make([]*batch, len(live))
		for j, i := range live {
			bs[j] = group[i].b
		}
		ctx := context.Background() // the batches' contexts were checked above
		if err := d.runTx(ctx, func(conn *sql.Conn) error { return d.writeBatches(ctx, conn, bs) }, nil); err != nil {
			d.log.Debug("group commit failed, committing its batches one by one", "batches", len(bs), "error", err)
			for _, i := range live {
				single(i)
			}
		}
	}
	return errs
}

// writeBatches appends the rows of bs (one appender per table) and stores
// their checkpoints (a later batch's value for a key wins).
func (d *DB) writeBatches(ctx context.Context, conn *sql.Conn, bs []*batch) error {
	var order []string
	parts := map[string][]*columns{}
	for _, b := range bs {
		for _, p := range b.tables {
			if p.cols.n == 0 {
				continue
			}
			if _, ok := parts[p.name]; !ok {
				order = append(order, p.name)
			}
			parts[p.name] = append(parts[p.name], p.cols)
		}
	}
	for _, name := range order {
		s, ok := d.schema(name)
		if !ok {
			return fmt.Errorf("table %q: %w", name, store.ErrNotFound)
		}
		if err := appendRows(conn, d.catalog, name, parts[name], s); err != nil {
			return err
		}
	}
	var keys []string
	last := map[string][]byte{}
	for _, b := range bs {
		for _, k := range b.cpOrder {
			if _, ok := last[k]; !ok {
				keys = append(keys, k)
			}
			last[k] = b.checkpoints[k]
		}
	}
	for _, k := range keys {
		if err := d.upsert(ctx, conn, "checkpoints", k, last[k]); err != nil {
			return fmt.Errorf("checkpoint %q: %w", k, err)
		}
	}
	return nil
}

// appendRows appends parts to table name through the C API
// (append_chunk.go), or duckdb-go's Appender when that is unavailable.
func appendRows(conn *sql.Conn, catalog, name string, parts []*columns, s schema.Schema) error {
	for _, p := range parts {
		// Columns added to the table since the rows were buffered get
		// nulls ("" for strings).
		if err := p.pad(s); err != nil {
			return fmt.Errorf("table %q: %w", name, err)
		}
	}
	return conn.Raw(func(dc any) error {
		err := appendColumnsFast(dc, catalog, name, parts)
		if errors.Is(err, errSlowPath) {
			return appendRowsSlow(dc, catalog, name, parts)
		}
		return err
	})
}
