package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"github.com/valyala/fastjson"

	"github.com/codeless/codeless/internal/apierr"
	"github.com/codeless/codeless/internal/kql/eval"
	"github.com/codeless/codeless/internal/kql/value"
	"github.com/codeless/codeless/internal/schema"
)

// MaxFieldBytes is Azure's field value limit: longer string values are
// truncated, not rejected (reference/ccf-format.md §6.3).
const MaxFieldBytes = 64 << 10

// truncateUTF8 cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 { // s[n] continues a sequence: back up to its start
		n--
	}
	return s[:n]
}

// slabRows is how many rows' worth of values are allocated at once.
const slabRows = 256

// run is the state of one Process call.
type run struct {
	s     *compiledStream
	out   *Output
	now   time.Time
	row   []any
	exact []bool      // per column: set by an exact property name in this record
	times []time.Time // slab for boxTime
	flows []*flowOut
	// JSON path
	scratch  []byte
	arena    []byte
	fieldPos int
	pred     []predicted
}

type flowOut struct {
	r    *run
	f    *compiledFlow
	dest *TableRows
	slab []any
	emit func([]any) error
}

func (p *Pipeline) newRun(d *compiledDCR, s *compiledStream) *run {
	return newRunAt(d, s, p.opts.Now().UTC())
}

func newRunAt(d *compiledDCR, s *compiledStream, now time.Time) *run {
	out := &Output{DCR: d.id, Stream: s.name}
	r := &run{s: s, out: out, now: now, row: make([]any, len(s.cols)), exact: make([]bool, len(s.cols))}
	for _, f := range s.flows {
		dest := out.Table(f.table)
		if dest == nil {
			dest = &TableRows{Table: f.table, Schema: f.tschema}
			out.Tables = append(out.Tables, dest)
		}
		fo := &flowOut{r: r, f: f, dest: dest}
		fo.emit = fo.emitRow
		r.flows = append(r.flows, fo)
	}
	return r
}

func (fo *flowOut) emitRow(o []any) error {
	f := fo.f
	n := len(f.tschema)
	if len(fo.slab) < n {
		fo.slab = make([]any, n*slabRows)
	}
	r := fo.slab[:n:n]
	fo.slab = fo.slab[n:]
	m := min(len(o), len(f.mapIdx))
	for i := 0; i < m; i++ {
		j := f.mapIdx[i]
		if j < 0 {
			continue
		}
		v := o[i]
		if t := f.convType[i]; t != "" && v != nil {
			cv, ok := value.Convert(v, t)
			if !ok {
				fo.r.out.Invalid++
			}
			v = cv
		}
		r[j] = v
	}
	for _, j := range f.strCols {
		switch v := r[j].(type) {
		case nil:
			r[j] = ""
		case string:
			if len(v) > MaxFieldBytes {
				r[j] = truncateUTF8(v, MaxFieldBytes)
				fo.r.out.Truncated++
			}
		}
	}
	if f.tgIdx >= 0 {
		now := fo.r.now
		t, ok := r[f.tgIdx].(time.Time)
		if !ok || t.Before(now.Add(-maxPast)) || t.After(now.Add(maxFuture)) {
			r[f.tgIdx] = now
			fo.r.out.TimeAdjusted++
		}
	}
	fo.dest.Rows = append(fo.dest.Rows, r)
	fo.r.out.Rows++
	return nil
}

// runRecord runs every data flow over r.row.
func (r *run) runRecord(ctx context.Context, idx int) error {
	r.out.Records++
	for _, fo := range r.flows {
		if err := fo.f.prog.Run(r.row, r.now, fo.emit); err != nil {
			return &apierr.APIError{Status: http.StatusBadRequest, Code: "TransformFailed", Target: fmt.Sprintf("[%d]", idx),
				Message: fmt.Sprintf("record %d: %s: %v", idx, fo.f.path+".transformKql", err), Err: err}
		}
	}
	if idx&1023 == 1023 {
		return ctx.Err()
	}
	return nil
}

// Process validates, coerces and transforms records (each a
// map[string]any as decoded from JSON) sent to a DCR stream. Nothing is
// stored: pass the Output to Commit.
func (p *Pipeline) Process(ctx context.Context, immutableID, stream string, records []any) (*Output, error) {
	d, s, err := p.lookup(immutableID, stream)
	if err != nil {
		return nil, err
	}
	if s.inferTo != "" {
		s.inferMu.Lock()
		defer s.inferMu.Unlock()
		if err := p.infer(ctx, s, records); err != nil {
			return nil, err
		}
	}
	now := p.opts.Now().UTC()
	if w := processWorkers(len(records)); w > 1 && s.inferTo == "" {
		return processParallel(ctx, d, s, now, records, w)
	}
	r := newRunAt(d, s, now)
	if err := r.records(ctx, records, 0); err != nil {
		return nil, err
	}
	return r.out, nil
}

// records runs records (the first has index base in the call).
func (r *run) records(ctx context.Context, records []any, base int) error {
	for i, rec := range records {
		m, ok := rec.(map[string]any)
		if !ok {
			return apierr.BadRequest("InvalidPayload", fmt.Sprintf("[%d]", base+i), "record %d is %s, want a JSON object", base+i, jsonKind(rec))
		}
		r.fromMap(m)
		r.fillStrings()
		if err := r.runRecord(ctx, base+i); err != nil {
			return err
		}
	}
	return nil
}

// fromMap sets r.row from one record. Declared columns are looked up by
// their exact names first; only when some column is missing and the
// record has other properties (which may match it case-insensitively) are
// the record's properties matched one by one.
func (r *run) fromMap(m map[string]any) {
	s := r.s
	clear(r.row)
	found := 0
	for j := range s.cols {
		if v, ok := m[s.cols[j].Name]; ok {
			r.row[j] = r.coerce(v, s.cols[j].Type)
			found++
		}
	}
	if found == len(s.cols) || found == len(m) {
		return
	}
	clear(r.row)
	clear(r.exact)
	for k, v := range m {
		j, exact := s.column(k, &r.scratch)
		if j < 0 || !exact && r.exact[j] {
			continue // undeclared, or a case-insensitive match of an exactly matched column
		}
		if exact {
			r.exact[j] = true
		}
		r.row[j] = r.coerce(v, s.cols[j].Type)
	}
}

// parallelMinRecords is the smallest share of a Process call given to a
// goroutine of its own.
const parallelMinRecords = 1000

// processWorkers is how many goroutines transform n records: one per
// parallelMinRecords records, at most GOMAXPROCS.
func processWorkers(n int) int {
	return min(runtime.GOMAXPROCS(0), n/parallelMinRecords)
}

// processParallel transforms records in w contiguous shares at once (the
// compiled programs are safe for concurrent use) and concatenates the
// outputs in record order, so the result is the sequential one: the same
// rows in the same order, and the error of the first failing record.
func processParallel(ctx context.Context, d *compiledDCR, s *compiledStream, now time.Time, records []any, w int) (*Output, error) {
	runs := make([]*run, w)
	errs := make([]error, w)
	var wg sync.WaitGroup
	for k := range w {
		lo, hi := k*len(records)/w, (k+1)*len(records)/w
		runs[k] = newRunAt(d, s, now)
		wg.Go(func() { errs[k] = runs[k].records(ctx, records[lo:hi], lo) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	out := runs[0].out
	for _, r := range runs[1:] {
		o := r.out
		out.Records += o.Records
		out.Invalid += o.Invalid
		out.Rows += o.Rows
		out.TimeAdjusted += o.TimeAdjusted
		out.Truncated += o.Truncated
		for i, t := range o.Tables { // same flows, same table order
			out.Tables[i].Rows = append(out.Tables[i].Rows, t.Rows...)
		}
	}
	return out, nil
}

func (r *run) fillStrings() {
	for j, c := range r.s.cols {
		if r.row[j] == nil && c.Type == schema.String {
			r.row[j] = ""
		}
	}
}

func (r *run) coerce(v any, t schema.Type) any {
	switch t {
	case schema.String:
		if _, ok := v.(string); ok {
			return v // already boxed: returning s would box it again
		}
		switch v.(type) {
		case map[string]any, []any:
			b, err := json.Marshal(v)
			if err != nil {
				r.out.Invalid++
				return ""
			}
			return string(b)
		}
	case schema.Bool:
		if _, ok := v.(bool); ok {
			return v
		}
	case schema.DateTime:
		if s, ok := v.(string); ok {
			if tm, ok := isoUTC(s); ok {
				return r.boxTime(tm)
			}
		}
	}
	cv, ok := value.Convert(v, t)
	if !ok {
		r.out.Invalid++
		return nil
	}
	return cv
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "a number"
}

// infer extends an undeclared Microsoft-* stream's schema with the
// properties of records and (re)compiles its pass-through flow.
func (p *Pipeline) infer(ctx context.Context, s *compiledStream, records []any) error {
	cols := append(schema.Schema(nil), s.cols...)
	if cols.Index("TimeGenerated") < 0 {
		cols = append(cols, schema.Column{Name: "TimeGenerated", Type: schema.DateTime})
	}
	changed := len(cols) != len(s.cols)
	for _, rec := range records {
		m, ok := rec.(map[string]any)
		if !ok {
			continue
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sortStrings(keys)
		for _, k := range keys {
			if cols.Index(k) >= 0 {
				continue
			}
			cols = append(cols, schema.Column{Name: k, Type: inferType(m[k])})
			changed = true
		}
	}
	if !changed && len(s.flows) > 0 {
		return nil
	}
	ts, err := p.tables.EnsureTable(ctx, s.inferTo, cols)
	if err != nil {
		return fmt.Errorf("creating table %s for stream %s: %w", s.inferTo, s.name, err)
	}
	// The stream takes the table's types for columns the table already had.
	for i, c := range cols {
		if j := ts.Index(c.Name); j >= 0 {
			cols[i].Type = ts[j].Type
		}
	}
	prog, err := eval.CompileTransform("source", cols)
	if err != nil {
		return fmt.Errorf("compiling pass-through for stream %s: %w", s.name, err)
	}
	s.setColumns(cols)
	s.flows = []*compiledFlow{newFlow("properties.dataFlows", prog, prog.Output(), s.inferTo, ts)}
	return nil
}

func inferType(v any) schema.Type {
	switch x := v.(type) {
	case bool:
		return schema.Bool
	case float64:
		if x == float64(int64(x)) {
			return schema.Long
		}
		return schema.Real
	case int64, int:
		return schema.Long
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return schema.Long
		}
		return schema.Real
	case map[string]any, []any:
		return schema.Dynamic
	}
	return schema.String
}

func sortStrings(a []string) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

var parserPool fastjson.ParserPool

// ProcessJSON is Process over a JSON body (an array of objects), parsed
// straight into the declared columns. Errors are *apierr.APIError with the
// byte offset of invalid JSON or the index of a bad record.
func (p *Pipeline) ProcessJSON(ctx context.Context, immutableID, stream string, body []byte) (*Output, error) {
	d, s, err := p.lookup(immutableID, stream)
	if err != nil {
		return nil, err
	}
	parser := parserPool.Get()
	defer parserPool.Put(parser)
	v, perr := parser.ParseBytes(body)
	if perr != nil {
		return nil, jsonError(body, perr)
	}
	if v.Type() != fastjson.TypeArray {
		return nil, apierr.BadRequest("InvalidPayload", "", "the request body must be a JSON array of objects, got %s", v.Type())
	}
	arr, _ := v.Array()
	if s.inferTo != "" {
		recs := make([]any, len(arr))
		for i, e := range arr {
			recs[i] = toGo(e)
		}
		out, err := p.Process(ctx, immutableID, stream, recs)
		if out != nil {
			out.Bytes = int64(len(body))
		}
		return out, err
	}
	r := p.newRun(d, s)
	r.out.Bytes = int64(len(body))
	visit := r.visitField
	for i, e := range arr {
		o, err := e.Object()
		if err != nil {
			return nil, apierr.BadRequest("InvalidPayload", fmt.Sprintf("[%d]", i), "record %d is %s, want a JSON object", i, e.Type())
		}
		clear(r.row)
		clear(r.exact)
		r.fieldPos = 0
		o.Visit(visit)
		r.fillStrings()
		if err := r.runRecord(ctx, i); err != nil {
			return nil, err
		}
	}
	return r.out, nil
}

// visitField stores one property of the current record. Records of one call
// usually list their properties in the same order, so the column found at
// each position is remembered and checked first (a byte comparison instead
// of a map lookup).
func (r *run) visitField(key []byte, v *fastjson.Value) {
	k := r.fieldPos
	r.fieldPos++
	var j int
	var exact bool
	if k < len(r.pred) && string(key) == r.pred[k].key {
		j, exact = r.pred[k].col, r.pred[k].exact
	} else {
		name := string(key)
		j, exact = r.s.column(name, &r.scratch)
		if k < maxPredicted {
			for len(r.pred) <= k {
				r.pred = append(r.pred, predicted{col: -1})
			}
			r.pred[k] = predicted{key: name, col: j, exact: exact}
		}
	}
	if j < 0 || !exact && r.exact[j] {
		return // undeclared, or a case-insensitive match of an exactly matched column
	}
	if exact {
		r.exact[j] = true
	}
	r.row[j] = r.coerceJSON(v, r.s.cols[j].Type)
}

// maxPredicted bounds the remembered property positions per call.
const maxPredicted = 256

type predicted struct {
	key   string
	col   int // -1: not a declared column
	exact bool
}

// str copies b into the call's string arena: one allocation per 64 KB of
// string data instead of one per value. Strings stay valid as long as they
// are referenced (the arena is never written twice).
func (r *run) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(r.arena)-len(r.arena) < len(b) {
		r.arena = make([]byte, 0, max(arenaSize, len(b)))
	}
	start := len(r.arena)
	r.arena = append(r.arena, b...)
	return unsafe.String(&r.arena[start], len(b))
}

const arenaSize = 64 << 10

func (r *run) coerceJSON(v *fastjson.Value, t schema.Type) any {
	switch v.Type() {
	case fastjson.TypeNull:
		if t == schema.String {
			return ""
		}
		return nil
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		switch t {
		case schema.String, schema.Dynamic:
			return r.str(b)
		case schema.DateTime:
			if tm, ok := value.ParseDateTime(string(b)); ok {
				return tm
			}
			r.out.Invalid++
			return nil
		}
		return r.coerce(string(b), t)
	case fastjson.TypeTrue, fastjson.TypeFalse:
		b := v.Type() == fastjson.TypeTrue
		if t == schema.Bool || t == schema.Dynamic {
			return b
		}
		return r.coerce(b, t)
	case fastjson.TypeNumber:
		r.scratch = v.MarshalTo(r.scratch[:0])
		num := r.number(r.scratch)
		switch t {
		case schema.String:
			return r.str(r.scratch)
		case schema.Dynamic:
			return num
		}
		return r.coerce(num, t)
	default: // object, array
		if t == schema.String {
			r.scratch = v.MarshalTo(r.scratch[:0])
			return r.str(r.scratch)
		}
		return r.coerce(toGo(v), t)
	}
}

// number decodes a JSON number: int64 when integral and in range, else
// float64.
func (r *run) number(b []byte) any {
	integral := true
	for _, c := range b {
		if c == '.' || c == 'e' || c == 'E' {
			integral = false
			break
		}
	}
	if integral {
		if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
			return n
		}
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return nil
	}
	return f
}

// toGo converts a fastjson value to the dynamic conventions.
func toGo(v *fastjson.Value) any {
	switch v.Type() {
	case fastjson.TypeNull:
		return nil
	case fastjson.TypeTrue:
		return true
	case fastjson.TypeFalse:
		return false
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return string(b)
	case fastjson.TypeNumber:
		var r run
		return r.number(v.MarshalTo(nil))
	case fastjson.TypeArray:
		a, _ := v.Array()
		out := make([]any, len(a))
		for i, e := range a {
			out[i] = toGo(e)
		}
		return out
	case fastjson.TypeObject:
		o, _ := v.Object()
		out := make(map[string]any, o.Len())
		o.Visit(func(k []byte, e *fastjson.Value) { out[string(k)] = toGo(e) })
		return out
	}
	return nil
}

// jsonError reports invalid JSON with its byte offset (found again with
// encoding/json, which reports offsets; only on the error path).
func jsonError(body []byte, perr error) error {
	var x any
	err := json.Unmarshal(body, &x)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off := se.Offset - 1 // Offset counts the offending byte; report its 0-based position
		if off < 0 {
			off = 0
		}
		return &apierr.APIError{Status: http.StatusBadRequest, Code: "InvalidJson", Target: "body",
			Message: fmt.Sprintf("invalid JSON at byte offset %d: %s", off, se.Error()), Err: perr}
	}
	if err != nil {
		return &apierr.APIError{Status: http.StatusBadRequest, Code: "InvalidJson", Target: "body",
			Message: fmt.Sprintf("invalid JSON at byte offset %d: %v", len(body), err), Err: perr}
	}
	return &apierr.APIError{Status: http.StatusBadRequest, Code: "InvalidJson", Target: "body", Message: "invalid JSON: " + perr.Error(), Err: perr}
}
