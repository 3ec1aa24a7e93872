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
// transaction.
func (b *batch) Commit() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return ErrBatchDone
	}
	b.done = true
	defer func() { b.tables, b.byName, b.checkpoints = nil, nil, nil }()
	err := b.db.withWriteTx(b.ctx, func(conn *sql.Conn) error {
		for _, p := range b.tables {
			if len(p.rows) == 0 {
				continue
			}
			s, ok := b.db.schema(p.name)
			if !ok {
				return fmt.Errorf("table %q: %w", p.name, store.ErrNotFound)
			}
			if err := appendRows(conn, b.db.catalog, p, s); err != nil {
				return err
			}
		}
		for _, k := range b.cpOrder {
			if err := b.db.upsert(b.ctx, conn, "checkpoints", k, b.checkpoints[k]); err != nil {
				return fmt.Errorf("checkpoint %q: %w", k, err)
			}
		}
		return nil
	}, nil)
	if err != nil {
		return fmt.Errorf("commit batch: %w", err)
	}
	return nil
}

func appendRows(conn *sql.Conn, catalog string, p *pendingTable, s schema.Schema) error {
	return conn.Raw(func(dc any) error {
		dconn, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("table %q: unexpected driver connection %T", p.name, dc)
		}
		a, err := duck.NewAppender(dconn, catalog, "main", p.name)
		if err != nil {
			return fmt.Errorf("table %q: open appender: %w", p.name, err)
		}
		full := make([]driver.Value, len(s))
		for ri, row := range p.rows {
			n := copy(full, row)
			for i := n; i < len(s); i++ {
				full[i] = nil
				if s[i].Type == schema.String {
					full[i] = ""
				}
			}
			if err := a.AppendRow(full...); err != nil {
				_ = a.Close()
				return fmt.Errorf("table %q: row %d: %w", p.name, ri, err)
			}
		}
		if err := a.Close(); err != nil {
			return fmt.Errorf("table %q: flush %d rows: %w", p.name, len(p.rows), err)
		}
		return nil
	})
}
