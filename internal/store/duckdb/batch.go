package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"

	duck "github.com/duckdb/duckdb-go/v2"

	"github.com/codeless/codeless/internal/schema"
	"github.com/codeless/codeless/internal/store"
)

// ErrBatchDone is returned when a batch is used after Commit or Rollback.
var ErrBatchDone = errors.New("batch already committed or rolled back")

type pendingTable struct {
	name string
	rows [][]driver.Value
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
	conv := make([][]driver.Value, 0, len(rows))
	for ri, row := range rows {
		if len(row) > len(s) {
			return fmt.Errorf("append to table %q: row %d has %d values, the table has %d columns", table, ri, len(row), len(s))
		}
		out := make([]driver.Value, len(row))
		for ci, v := range row {
			dv, err := toDriver(s[ci].Type, v)
			if err != nil {
				return fmt.Errorf("append to table %q: row %d, column %q (%s): %w", table, ri, s[ci].Name, s[ci].Type, err)
			}
			out[ci] = dv
		}
		conv = append(conv, out)
	}
	p := b.byName[table]
	if p == nil {
		p = &pendingTable{name: table}
		b.byName[table] = p
		b.tables = append(b.tables, p)
	}
	p.rows = append(p.rows, conv...)
	return nil
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
	parts := map[string][]*pendingTable{}
	for _, b := range bs {
		for _, p := range b.tables {
			if len(p.rows) == 0 {
				continue
			}
			if _, ok := parts[p.name]; !ok {
				order = append(order, p.name)
			}
			parts[p.name] = append(parts[p.name], p)
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

func appendRows(conn *sql.Conn, catalog, name string, parts []*pendingTable, s schema.Schema) error {
	return conn.Raw(func(dc any) error {
		dconn, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("table %q: unexpected driver connection %T", name, dc)
		}
		a, err := duck.NewAppender(dconn, catalog, "main", name)
		if err != nil {
			return fmt.Errorf("table %q: open appender: %w", name, err)
		}
		full := make([]driver.Value, len(s))
		n := 0
		for _, p := range parts {
			for ri, row := range p.rows {
				c := copy(full, row)
				for i := c; i < len(s); i++ {
					full[i] = nil
					if s[i].Type == schema.String {
						full[i] = ""
					}
				}
				if err := a.AppendRow(full...); err != nil {
					_ = a.Close()
					return fmt.Errorf("table %q: row %d: %w", name, ri, err)
				}
				n++
			}
		}
		if err := a.Close(); err != nil {
			return fmt.Errorf("table %q: flush %d rows: %w", name, n, err)
		}
		return nil
	})
}
