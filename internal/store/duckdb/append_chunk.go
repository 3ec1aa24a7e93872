package duckdb

import (
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"unsafe"

	duck "github.com/duckdb/duckdb-go/v2"
	"github.com/duckdb/duckdb-go/v2/mapping"
)

// The commit writes column buffers into DuckDB data chunks through the C
// API (duckdb_append_data_chunk) instead of duckdb-go's Appender.AppendRow:
// AppendRow sets values one at a time, with a cgo call per string
// (duckdb_vector_assign_string_element_len), which was a fifth of the poll
// path's CPU. Here numbers and timestamps are stored straight into the
// vectors' memory, strings of up to 12 bytes are inlined into their
// duckdb_string_t, and longer strings point into one pinned Go arena per
// chunk — DuckDB copies them while appending the chunk (the appender's
// ColumnDataCollection owns its string heap), so the arena is reused for
// the next chunk. That leaves a handful of cgo calls per 2,048 rows.
//
// duckdb-go does not export the C connection of a driver connection; it is
// read from (*duck.Conn).conn by reflection, checked by name and type. When
// that fails (another duckdb-go version) the rows go through duckdb-go's
// Appender as before (appendRowsSlow); TestAppendPaths checks that the fast
// path is the one in use.

// connType is the type of the field holding the C connection.
var connType = reflect.TypeFor[mapping.Connection]()

// rawConn returns the C connection of a duckdb-go driver connection.
func rawConn(dc any) (mapping.Connection, bool) {
	c, ok := dc.(*duck.Conn)
	if !ok || c == nil {
		return mapping.Connection{}, false
	}
	f := reflect.ValueOf(c).Elem().FieldByName("conn")
	if !f.IsValid() || f.Type() != connType || !f.CanAddr() {
		return mapping.Connection{}, false
	}
	mc := *(*mapping.Connection)(unsafe.Pointer(f.UnsafeAddr()))
	return mc, mc.Ptr != nil
}

// vectorSize is DuckDB's rows per data chunk (STANDARD_VECTOR_SIZE).
var vectorSize = int(mapping.VectorSize())

// duckTypeOf is the DuckDB type id a column kind is written as.
func duckTypeOf(k colKind) mapping.Type {
	switch k {
	case kindString:
		return mapping.TypeVarchar
	case kindInt32:
		return mapping.TypeInteger
	case kindInt64:
		return mapping.TypeBigInt
	case kindFloat64:
		return mapping.TypeDouble
	case kindBool:
		return mapping.TypeBoolean
	case kindTimestamp:
		return mapping.TypeTimestamp
	case kindUUID:
		return mapping.TypeUUID
	}
	return mapping.TypeInvalid
}

// errSlowPath means the fast path cannot be used on this connection.
var errSlowPath = errors.New("fast append unavailable")

// appendColumnsFast appends parts (all of table name) through the C API.
// It returns errSlowPath, having written nothing, when the connection or
// the table's column types do not fit.
func appendColumnsFast(dc any, catalog, name string, parts []*columns) (err error) {
	mc, ok := rawConn(dc)
	if !ok {
		return errSlowPath
	}
	var app mapping.Appender
	if mapping.AppenderCreateExt(mc, catalog, "main", name, &app) == mapping.StateError {
		msg := mapping.AppenderError(app)
		mapping.AppenderDestroy(&app)
		return fmt.Errorf("table %q: open appender: %s", name, msg)
	}
	defer func() {
		if mapping.AppenderDestroy(&app) == mapping.StateError && err == nil {
			err = fmt.Errorf("table %q: close appender", name)
		}
	}()
	ncols := int(mapping.AppenderColumnCount(app))
	if len(parts) == 0 || ncols != len(parts[0].cols) {
		return errSlowPath
	}
	types := make([]mapping.LogicalType, ncols)
	defer func() {
		for i := range types {
			mapping.DestroyLogicalType(&types[i])
		}
	}()
	for i := range types {
		types[i] = mapping.AppenderColumnType(app, mapping.IdxT(i))
		if mapping.GetTypeId(types[i]) != duckTypeOf(parts[0].cols[i].kind) {
			return errSlowPath
		}
	}
	chunk := mapping.CreateDataChunk(types)
	defer mapping.DestroyDataChunk(&chunk)
	w := chunkWriter{chunk: chunk, ncols: ncols}

	fill := 0 // rows in the chunk
	flush := func() error {
		if fill == 0 {
			return nil
		}
		mapping.DataChunkSetSize(chunk, mapping.IdxT(fill))
		st := mapping.AppendDataChunk(app, chunk)
		w.unpin()
		if st == mapping.StateError {
			return fmt.Errorf("table %q: append: %s", name, mapping.AppenderError(app))
		}
		mapping.DataChunkReset(chunk)
		fill = 0
		return nil
	}
	for _, p := range parts {
		for from := 0; from < p.n; {
			n := min(p.n-from, vectorSize-fill)
			w.write(p, from, n, fill)
			from += n
			fill += n
			if fill == vectorSize {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if mapping.AppenderClose(app) == mapping.StateError {
		return fmt.Errorf("table %q: flush: %s", name, mapping.AppenderError(app))
	}
	return nil
}

// chunkWriter copies column buffers into one data chunk.
type chunkWriter struct {
	chunk mapping.DataChunk
	ncols int
	// arenas hold the bytes of strings longer than 12 bytes for the
	// chunk being filled; they are pinned until the chunk is appended.
	arenas [][]byte
	spare  [][]byte
	pin    runtime.Pinner
}

const inlineLen = 12 // duckdb_string_t inlines strings up to 12 bytes

// arena returns room for n bytes, pinned until unpin.
func (w *chunkWriter) arena(n int) []byte {
	if k := len(w.arenas); k > 0 {
		a := w.arenas[k-1]
		if cap(a)-len(a) >= n {
			w.arenas[k-1] = a[:len(a)+n]
			return a[len(a) : len(a)+n]
		}
	}
	var a []byte
	for i, s := range w.spare {
		if cap(s) >= n {
			a = s[:0]
			w.spare = append(w.spare[:i], w.spare[i+1:]...)
			break
		}
	}
	if a == nil {
		a = make([]byte, 0, max(n, 256<<10))
	}
	w.pin.Pin(unsafe.SliceData(a[:1]))
	w.arenas = append(w.arenas, a[:n])
	return a[:n]
}

// unpin releases the arenas once DuckDB has copied the chunk.
func (w *chunkWriter) unpin() {
	w.pin.Unpin()
	w.spare = append(w.spare, w.arenas...)
	w.arenas = w.arenas[:0]
}

// write copies rows [from, from+n) of p to chunk rows [at, at+n).
func (w *chunkWriter) write(p *columns, from, n, at int) {
	for ci := range p.cols {
		c := &p.cols[ci]
		vec := mapping.DataChunkGetVector(w.chunk, mapping.IdxT(ci))
		data := mapping.VectorGetData(vec)
		switch c.kind {
		case kindString:
			w.strings(data, c.str[from:from+n], at)
		case kindInt32:
			dst := unsafe.Slice((*int32)(data), at+n)[at:]
			for i, v := range c.i64[from : from+n] {
				dst[i] = int32(v)
			}
		case kindInt64, kindTimestamp:
			copy(unsafe.Slice((*int64)(data), at+n)[at:], c.i64[from:from+n])
		case kindFloat64:
			copy(unsafe.Slice((*float64)(data), at+n)[at:], c.f64[from:from+n])
		case kindBool:
			copy(unsafe.Slice((*bool)(data), at+n)[at:], c.bools[from:from+n])
		case kindUUID:
			dst := unsafe.Slice((*[16]byte)(data), at+n)[at:]
			for i, u := range c.uuid[from : from+n] {
				// DuckDB's UUID is a hugeint (lower, upper) with the
				// sign bit of the upper half flipped.
				binary.LittleEndian.PutUint64(dst[i][0:8], binary.BigEndian.Uint64(u[8:]))
				binary.LittleEndian.PutUint64(dst[i][8:16], binary.BigEndian.Uint64(u[:8])^(1<<63))
			}
		}
		w.validity(vec, c.nulls, from, n, at)
	}
}

// strings writes duckdb_string_t values: {uint32 length; char inlined[12]}
// or {uint32 length; char prefix[4]; char *ptr}.
func (w *chunkWriter) strings(data unsafe.Pointer, vals []string, at int) {
	long := 0
	for _, s := range vals {
		if len(s) > inlineLen {
			long += len(s)
		}
	}
	var a []byte
	if long > 0 {
		a = w.arena(long)
	}
	dst := unsafe.Slice((*[16]byte)(data), at+len(vals))[at:]
	for i, s := range vals {
		e := &dst[i]
		binary.LittleEndian.PutUint32(e[0:4], uint32(len(s)))
		if len(s) <= inlineLen {
			clear(e[4:])
			copy(e[4:], s)
			continue
		}
		copy(e[4:8], s[:4])
		copy(a, s)
		// Stored as an integer: the slot is C memory, and a pointer store
		// would run a GC write barrier over the slot's previous bytes. The
		// arena is pinned and referenced by w.arenas until the append.
		binary.NativeEndian.PutUint64(e[8:], uint64(uintptr(unsafe.Pointer(unsafe.SliceData(a)))))
		a = a[len(s):]
	}
}

// validity sets the validity bits of chunk rows [at, at+n) from nulls
// (nil: no nulls). A vector without a validity mask is all valid.
func (w *chunkWriter) validity(vec mapping.Vector, nulls []bool, from, n, at int) {
	anyNull := false
	if nulls != nil {
		for _, b := range nulls[from : from+n] {
			if b {
				anyNull = true
				break
			}
		}
	}
	if anyNull {
		mapping.VectorEnsureValidityWritable(vec)
	}
	mask := mapping.VectorGetValidity(vec)
	if mask == nil {
		return
	}
	words := unsafe.Slice((*uint64)(mask), (at+n+63)/64)
	for i := range n {
		r := at + i
		if anyNull && nulls[from+i] {
			words[r/64] &^= 1 << (r % 64)
		} else {
			words[r/64] |= 1 << (r % 64)
		}
	}
}

// appendRowsSlow appends parts with duckdb-go's Appender, value by value.
func appendRowsSlow(dc any, catalog, name string, parts []*columns) error {
	dconn, ok := dc.(driver.Conn)
	if !ok {
		return fmt.Errorf("table %q: unexpected driver connection %T", name, dc)
	}
	a, err := duck.NewAppender(dconn, catalog, "main", name)
	if err != nil {
		return fmt.Errorf("table %q: open appender: %w", name, err)
	}
	n := 0
	for _, p := range parts {
		row := make([]driver.Value, len(p.cols))
		for r := range p.n {
			for c := range p.cols {
				v, err := p.value(c, r)
				if err != nil {
					_ = a.Close()
					return fmt.Errorf("table %q: row %d: %w", name, r, err)
				}
				row[c] = v
			}
			if err := a.AppendRow(row...); err != nil {
				_ = a.Close()
				return fmt.Errorf("table %q: row %d: %w", name, r, err)
			}
			n++
		}
	}
	if err := a.Close(); err != nil {
		return fmt.Errorf("table %q: flush %d rows: %w", name, n, err)
	}
	return nil
}
