package duckdb

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
	"unsafe"

	duck "github.com/duckdb/duckdb-go/v2"

	"github.com/codeless/codeless/internal/schema"
)

// Rows are converted when they are appended to a batch (so that a bad value
// is reported with its row and column at Append) into one typed buffer per
// column; the commit then copies the buffers into DuckDB data chunks (see
// append_chunk.go). Column buffers instead of a []driver.Value per row save
// one allocation per row and one interface per value, and let the commit
// write whole vectors without a type switch per value.

// colKind is the physical layout of a column buffer and of its DuckDB vector.
type colKind uint8

const (
	kindString    colKind = iota // VARCHAR, JSON: str
	kindInt32                    // INTEGER: i64 (range checked)
	kindInt64                    // BIGINT (long, timespan ticks): i64
	kindFloat64                  // DOUBLE: f64
	kindBool                     // BOOLEAN: bools
	kindTimestamp                // TIMESTAMP: i64 microseconds since the epoch
	kindUUID                     // UUID: uuid
)

func kindOf(t schema.Type) (colKind, error) {
	switch t {
	case schema.String, schema.Dynamic:
		return kindString, nil
	case schema.Int:
		return kindInt32, nil
	case schema.Long, schema.TimeSpan:
		return kindInt64, nil
	case schema.Real, schema.Decimal:
		return kindFloat64, nil
	case schema.Bool:
		return kindBool, nil
	case schema.DateTime:
		return kindTimestamp, nil
	case schema.GUID:
		return kindUUID, nil
	}
	return 0, fmt.Errorf("unsupported column type %q", t)
}

// colBuf holds one column's values of a pending table.
type colBuf struct {
	t     schema.Type
	kind  colKind
	str   []string
	i64   []int64
	f64   []float64
	bools []bool
	uuid  [][16]byte
	// nulls is nil until the first null; then it has one entry per row.
	nulls []bool
	n     int
}

// truncate drops the values after the first n (a failed Append is undone).
func (c *colBuf) truncate(n int) {
	switch c.kind {
	case kindString:
		c.str = c.str[:n]
	case kindInt32, kindInt64, kindTimestamp:
		c.i64 = c.i64[:n]
	case kindFloat64:
		c.f64 = c.f64[:n]
	case kindBool:
		c.bools = c.bools[:n]
	case kindUUID:
		c.uuid = c.uuid[:n]
	}
	if c.nulls != nil {
		c.nulls = c.nulls[:n]
	}
	c.n = n
}

func (c *colBuf) grow(n int) {
	switch c.kind {
	case kindString:
		c.str = growTo(c.str, n)
	case kindInt32, kindInt64, kindTimestamp:
		c.i64 = growTo(c.i64, n)
	case kindFloat64:
		c.f64 = growTo(c.f64, n)
	case kindBool:
		c.bools = growTo(c.bools, n)
	case kindUUID:
		c.uuid = growTo(c.uuid, n)
	}
}

func growTo[T any](s []T, extra int) []T {
	if cap(s)-len(s) >= extra {
		return s
	}
	out := make([]T, len(s), len(s)+max(extra, len(s)))
	copy(out, s)
	return out
}

// setNull records whether the value just added is null.
func (c *colBuf) setNull(null bool) {
	if null && c.nulls == nil {
		c.nulls = make([]bool, c.n, max(c.n+1, cap(c.i64), cap(c.str), cap(c.f64)))
	}
	if c.nulls != nil {
		c.nulls = append(c.nulls, null)
	}
	c.n++
}

// minTimestamp and maxTimestamp bound the years DuckDB's TIMESTAMP holds.
const (
	minTimestampYear = -290307
	maxTimestampYear = 294246
)

// add converts v (schema conventions, see toDriver) and appends it.
func (c *colBuf) add(v any, dyn *[]byte) error {
	switch c.kind {
	case kindString:
		if c.t == schema.String {
			switch x := v.(type) {
			case string:
				c.str = append(c.str, x)
				c.setNull(false)
				return nil
			case nil:
				c.str = append(c.str, "") // KQL strings are never null
				c.setNull(false)
				return nil
			case []byte:
				c.str = append(c.str, string(x))
				c.setNull(false)
				return nil
			}
			return fmt.Errorf("cannot store %T value %s in a %s column", v, short(v), c.t)
		}
		if v == nil {
			c.str = append(c.str, "")
			c.setNull(true)
			return nil
		}
		// Dynamic: JSON text, written into an arena. Bytes already taken
		// are never written again (appends go past them, and a grown
		// arena is a new array), so earlier strings stay valid.
		if cap(*dyn)-len(*dyn) < 1024 {
			*dyn = make([]byte, 0, dynArena)
		}
		start := len(*dyn)
		b, err := appendDynamic(*dyn, v)
		if err != nil {
			return fmt.Errorf("cannot encode %T as JSON for a dynamic column: %w", v, err)
		}
		*dyn = b
		c.str = append(c.str, unsafeString(b[start:]))
		c.setNull(false)
		return nil
	case kindTimestamp:
		if x, ok := v.(time.Time); ok {
			if y := x.Year(); y < minTimestampYear || y > maxTimestampYear {
				return fmt.Errorf("year %d is out of range for a datetime column", y)
			}
			c.i64 = append(c.i64, x.UnixMicro())
			c.setNull(false)
			return nil
		}
	case kindInt64:
		if x, ok := v.(int64); ok && c.t == schema.Long {
			c.i64 = append(c.i64, x)
			c.setNull(false)
			return nil
		}
	}
	dv, err := toDriver(c.t, v)
	if err != nil {
		return err
	}
	if dv == nil {
		switch c.kind {
		case kindString:
			c.str = append(c.str, "")
		case kindInt32, kindInt64, kindTimestamp:
			c.i64 = append(c.i64, 0)
		case kindFloat64:
			c.f64 = append(c.f64, 0)
		case kindBool:
			c.bools = append(c.bools, false)
		case kindUUID:
			c.uuid = append(c.uuid, [16]byte{})
		}
		c.setNull(true)
		return nil
	}
	switch x := dv.(type) {
	case int32:
		c.i64 = append(c.i64, int64(x))
	case int64:
		c.i64 = append(c.i64, x)
	case float64:
		if c.kind != kindFloat64 {
			return errKind(c, dv)
		}
		c.f64 = append(c.f64, x)
	case bool:
		c.bools = append(c.bools, x)
	case time.Time:
		c.i64 = append(c.i64, x.UnixMicro())
	case duck.UUID:
		c.uuid = append(c.uuid, x)
	default:
		return errKind(c, dv)
	}
	c.setNull(false)
	return nil
}

func errKind(c *colBuf, dv any) error {
	return fmt.Errorf("internal error: %T for a %s column", dv, c.t)
}

// dynArena is the size of the arenas holding dynamic columns' JSON text.
const dynArena = 64 << 10

// columns is a pending table's rows, column by column.
type columns struct {
	cols []colBuf
	n    int
	dyn  []byte
}

func newColumns(s schema.Schema) (*columns, error) {
	cs := &columns{cols: make([]colBuf, len(s))}
	for i, c := range s {
		k, err := kindOf(c.Type)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", c.Name, err)
		}
		cs.cols[i] = colBuf{t: c.Type, kind: k}
	}
	return cs, nil
}

// appendRows converts rows (shorter rows are padded with nulls). On an
// error nothing of rows is kept.
func (cs *columns) appendRows(table string, s schema.Schema, rows [][]any) error {
	for i := range cs.cols {
		cs.cols[i].grow(len(rows))
	}
	n0 := cs.n
	var err error
	for ri, row := range rows {
		if len(row) > len(s) {
			err = fmt.Errorf("append to table %q: row %d has %d values, the table has %d columns", table, ri, len(row), len(s))
			break
		}
		for ci := range cs.cols {
			var v any
			if ci < len(row) {
				v = row[ci]
			}
			if e := cs.cols[ci].add(v, &cs.dyn); e != nil {
				err = fmt.Errorf("append to table %q: row %d, column %q (%s): %w", table, ri, s[ci].Name, s[ci].Type, e)
				break
			}
		}
		if err != nil {
			break
		}
		cs.n++
	}
	if err != nil {
		for i := range cs.cols {
			cs.cols[i].truncate(n0)
		}
		cs.n = n0
		return err
	}
	return nil
}

// pad adds the columns of s beyond the buffered ones, null in every row;
// more buffered columns than s has is an error.
func (cs *columns) pad(s schema.Schema) error {
	if len(cs.cols) > len(s) {
		return fmt.Errorf("%d columns buffered, the table has %d", len(cs.cols), len(s))
	}
	for _, c := range s[len(cs.cols):] {
		k, err := kindOf(c.Type)
		if err != nil {
			return fmt.Errorf("column %q: %w", c.Name, err)
		}
		b := colBuf{t: c.Type, kind: k}
		b.grow(cs.n)
		for range cs.n {
			if err := b.add(nil, &cs.dyn); err != nil {
				return fmt.Errorf("column %q: %w", c.Name, err)
			}
		}
		cs.cols = append(cs.cols, b)
	}
	return nil
}

// value returns row r of column c as the duckdb-go appender takes it (the
// fallback path).
func (cs *columns) value(c, r int) (any, error) {
	b := &cs.cols[c]
	if b.nulls != nil && b.nulls[r] {
		return nil, nil
	}
	switch b.kind {
	case kindString:
		if b.t == schema.Dynamic {
			// RawMessage makes duckdb-go store the JSON text as is.
			return json.RawMessage(b.str[r]), nil
		}
		return b.str[r], nil
	case kindInt32:
		if b.i64[r] < math.MinInt32 || b.i64[r] > math.MaxInt32 {
			return nil, errors.New("internal error: int out of range")
		}
		return int32(b.i64[r]), nil
	case kindInt64:
		return b.i64[r], nil
	case kindFloat64:
		return b.f64[r], nil
	case kindBool:
		return b.bools[r], nil
	case kindTimestamp:
		return time.UnixMicro(b.i64[r]).UTC(), nil
	case kindUUID:
		return duck.UUID(b.uuid[r]), nil
	}
	return nil, fmt.Errorf("internal error: column kind %d", b.kind)
}

// unsafeString returns b as a string without copying; b must never be
// written again.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
