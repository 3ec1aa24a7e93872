package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/codeless/codeless/internal/schema"
	"github.com/codeless/codeless/internal/store"
)

// duckType is the DuckDB column type that stores a KQL type.
func duckType(t schema.Type) (string, error) {
	switch t {
	case schema.String:
		return "VARCHAR", nil
	case schema.Int:
		return "INTEGER", nil
	case schema.Long:
		return "BIGINT", nil
	case schema.Real, schema.Decimal:
		return "DOUBLE", nil
	case schema.Bool:
		return "BOOLEAN", nil
	case schema.DateTime:
		return "TIMESTAMP", nil
	case schema.TimeSpan:
		return "BIGINT", nil // 100 ns ticks
	case schema.GUID:
		return "UUID", nil
	case schema.Dynamic:
		return "JSON", nil
	}
	return "", fmt.Errorf("unsupported column type %q", t)
}

// checkName validates a table or column name: non-empty, at most 1024
// bytes, valid UTF-8, no control characters.
func checkName(what, s string) error {
	if s == "" {
		return fmt.Errorf("%s name is empty", what)
	}
	if len(s) > 1024 {
		return fmt.Errorf("%s name %.40q...: longer than 1024 bytes", what, s)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s name %q: not valid UTF-8", what, s)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("%s name %q: contains control character %U", what, s, r)
		}
	}
	return nil
}

// caseClash reports whether a and b name the same DuckDB identifier
// without being the same KQL name.
func caseClash(a, b string) bool {
	return a != b && (strings.EqualFold(a, b) || strings.ToLower(a) == strings.ToLower(b))
}

// normalize validates the requested columns and canonicalizes their types.
// Names that differ only by case are distinct columns (KQL is
// case-sensitive); they get distinct SQL names (store.SQLColumnNames).
func normalize(table string, cols schema.Schema) (schema.Schema, error) {
	out := make(schema.Schema, 0, len(cols))
	for i, c := range cols {
		if err := checkName("column", c.Name); err != nil {
			return nil, fmt.Errorf("table %q column %d: %w", table, i, err)
		}
		t, err := schema.ParseType(string(c.Type))
		if err != nil {
			return nil, fmt.Errorf("table %q column %q: %w", table, c.Name, err)
		}
		for _, o := range out {
			if o.Name == c.Name {
				return nil, fmt.Errorf("table %q: column %q declared twice", table, c.Name)
			}
		}
		out = append(out, schema.Column{Name: c.Name, Type: t})
	}
	return out, nil
}

// EnsureTable implements store.Tables. It creates the table or adds the
// missing columns at the end; a column that exists with another type is an
// error (nothing is retyped or dropped).
func (d *DB) EnsureTable(ctx context.Context, name string, cols schema.Schema) (schema.Schema, error) {
	if err := checkName("table", name); err != nil {
		return nil, fmt.Errorf("ensure table: %w", err)
	}
	want, err := normalize(name, cols)
	if err != nil {
		return nil, fmt.Errorf("ensure table: %w", err)
	}
	var result schema.Schema
	err = d.withWriteTx(ctx, func(conn *sql.Conn) error {
		d.schemaMu.RLock()
		existing, ok := d.tables[name]
		var clash string
		if !ok {
			for other := range d.tables {
				if caseClash(other, name) {
					clash = other
				}
			}
		}
		existing = append(schema.Schema(nil), existing...)
		d.schemaMu.RUnlock()
		if clash != "" {
			return fmt.Errorf("table %q differs only by case from existing table %q, which the DuckDB backend cannot store", name, clash)
		}
		if !ok {
			if len(want) == 0 {
				return fmt.Errorf("table %q: a new table needs at least one column", name)
			}
			phys := store.SQLColumnNames(want)
			var b strings.Builder
			b.WriteString("CREATE TABLE ")
			b.WriteString(d.table(name))
			b.WriteString(" (")
			for i, c := range want {
				dt, err := duckType(c.Type)
				if err != nil {
					return fmt.Errorf("table %q column %q: %w", name, c.Name, err)
				}
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(quoteIdent(phys[i]))
				b.WriteByte(' ')
				b.WriteString(dt)
			}
			b.WriteString(")")
			if _, err := conn.ExecContext(ctx, b.String()); err != nil {
				return fmt.Errorf("create table %q: %w", name, err)
			}
			if _, err := conn.ExecContext(ctx, d.q(`INSERT INTO codeless.tables VALUES (?, ?)`), name, d.now().UTC()); err != nil {
				return fmt.Errorf("create table %q: record metadata: %w", name, err)
			}
			for i, c := range want {
				if _, err := conn.ExecContext(ctx, d.q(`INSERT INTO codeless.columns VALUES (?, ?, ?, ?)`), name, i, c.Name, string(c.Type)); err != nil {
					return fmt.Errorf("create table %q: record column %q: %w", name, c.Name, err)
				}
			}
			result = want
			return nil
		}
		result = existing
		for _, c := range want {
			if i := existing.Index(c.Name); i >= 0 {
				if existing[i].Type != c.Type {
					return fmt.Errorf("table %q column %q: exists as %s, requested %s (columns are never retyped)", name, c.Name, existing[i].Type, c.Type)
				}
				continue
			}
			dt, err := duckType(c.Type)
			if err != nil {
				return fmt.Errorf("table %q column %q: %w", name, c.Name, err)
			}
			// The SQL name of an appended column depends only on the
			// columns before it, so existing columns keep theirs.
			phys := store.SQLColumnNames(append(result, c))[len(result)]
			if _, err := conn.ExecContext(ctx, "ALTER TABLE "+d.table(name)+" ADD COLUMN "+quoteIdent(phys)+" "+dt); err != nil {
				return fmt.Errorf("table %q: add column %q (SQL name %q): %w", name, c.Name, phys, err)
			}
			if _, err := conn.ExecContext(ctx, d.q(`INSERT INTO codeless.columns VALUES (?, ?, ?, ?)`), name, len(result), c.Name, string(c.Type)); err != nil {
				return fmt.Errorf("table %q: record column %q: %w", name, c.Name, err)
			}
			result = append(result, c)
		}
		return nil
	}, func() {
		d.schemaMu.Lock()
		d.tables[name] = result
		d.schemaMu.Unlock()
	})
	if err != nil {
		return nil, fmt.Errorf("ensure table: %w", err)
	}
	return append(schema.Schema(nil), result...), nil
}

// TableSchema implements store.Tables.
func (d *DB) TableSchema(ctx context.Context, name string) (schema.Schema, error) {
	if d.isClosed() {
		return nil, ErrClosed
	}
	s, ok := d.schema(name)
	if !ok {
		return nil, fmt.Errorf("table %q: %w", name, store.ErrNotFound)
	}
	return s, nil
}

func (d *DB) schema(name string) (schema.Schema, bool) {
	d.schemaMu.RLock()
	defer d.schemaMu.RUnlock()
	s, ok := d.tables[name]
	if !ok {
		return nil, false
	}
	return append(schema.Schema(nil), s...), true
}

// ListTables implements store.Tables.
func (d *DB) ListTables(ctx context.Context) ([]string, error) {
	if d.isClosed() {
		return nil, ErrClosed
	}
	d.schemaMu.RLock()
	out := make([]string, 0, len(d.tables))
	for n := range d.tables {
		out = append(out, n)
	}
	d.schemaMu.RUnlock()
	sort.Strings(out)
	return out, nil
}
