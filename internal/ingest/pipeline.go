package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/codeless/codeless/internal/apierr"
	"github.com/codeless/codeless/internal/health"
	"github.com/codeless/codeless/internal/kql/eval"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/schema"
	"github.com/codeless/codeless/internal/store"
)

// DefaultMaxBodyBytes is Azure's per-call limit (after decompression).
const DefaultMaxBodyBytes = 1 << 20

// Azure's TimeGenerated acceptance range (reference/ccf-format.md §7.4).
const (
	maxPast   = 48 * time.Hour
	maxFuture = 24 * time.Hour
)

// Options configures a Pipeline.
type Options struct {
	Now          func() time.Time // default time.Now
	Logger       *slog.Logger     // default slog.Default()
	MaxBodyBytes int64            // default 1 MB
	Metrics      *health.Metrics  // optional
}

// Pipeline holds the compiled DCRs. It is safe for concurrent use.
type Pipeline struct {
	tables store.Tables
	opts   Options
	log    *slog.Logger

	mu   sync.RWMutex
	dcrs map[string]*compiledDCR // by immutable id
}

type compiledDCR struct {
	id      string
	name    string
	streams map[string]*compiledStream
}

type compiledStream struct {
	name    string
	cols    schema.Schema
	index   map[string]int // exact column name → position
	lower   map[string]int // lower-case name → position (fallback)
	flows   []*compiledFlow
	inferTo string // "" or the table name of an undeclared Microsoft-* stream

	inferMu sync.Mutex // guards the inference below
}

type compiledFlow struct {
	path     string
	prog     *eval.Program
	table    string
	tschema  schema.Schema
	mapIdx   []int         // program output column → table column (-1: none)
	convType []schema.Type // conversion target, "" when the types already match
	tgIdx    int           // TimeGenerated in table schema, -1 if none
	strCols  []int         // table columns of type string (never null)
}

// New builds a pipeline over tables.
func New(tables store.Tables, opts Options) *Pipeline {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return &Pipeline{tables: tables, opts: opts, log: opts.Logger.With("component", "ingest"), dcrs: map[string]*compiledDCR{}}
}

// TableRows are the rows produced for one table, aligned with Schema.
type TableRows struct {
	Table  string
	Schema schema.Schema
	Rows   [][]any
}

// Output is the result of Process: rows per table and counters.
type Output struct {
	DCR          string // immutable id
	Stream       string
	Tables       []*TableRows // in data-flow order
	Records      int          // records received
	Invalid      int          // values set to null by coercion (stream or table)
	Rows         int          // rows produced over all tables
	TimeAdjusted int          // TimeGenerated values replaced by now
	Truncated    int          // string values cut to MaxFieldBytes
	Bytes        int64        // request body bytes (HTTP path only)
}

// Table returns the rows for a table, or nil.
func (o *Output) Table(name string) *TableRows {
	for _, t := range o.Tables {
		if t.Table == name {
			return t
		}
	}
	return nil
}

func outputTable(stream string) (table string, custom bool, ok bool) {
	switch {
	case strings.HasPrefix(stream, "Custom-"):
		return stream[len("Custom-"):], true, true
	case strings.HasPrefix(stream, "Microsoft-"):
		return stream[len("Microsoft-"):], false, true
	}
	return "", false, false
}

// PutDCR validates and compiles a DCR and makes it available under its
// immutable id, replacing any previous version. tables are the table
// resources deployed with it (others are looked up in the store). Microsoft-*
// output tables are created in the store.
func (p *Pipeline) PutDCR(ctx context.Context, dcr *resource.DCR, tables []*resource.Table) error {
	if dcr == nil {
		return errors.New("putting DCR: nil DCR")
	}
	if dcr.ImmutableID == "" {
		return &apierr.APIError{Status: http.StatusBadRequest, Code: "InvalidProperty", Target: "properties.immutableId", Message: "the DCR has no immutableId"}
	}
	c := &compiledDCR{id: dcr.ImmutableID, name: dcr.Name, streams: map[string]*compiledStream{}}
	for _, sd := range dcr.StreamDeclarations {
		c.streams[sd.Name] = newStream(sd.Name, sd.Columns)
	}
	var errs []error
	for i, df := range dcr.DataFlows {
		path := df.Path
		if i := strings.Index(path, "properties.dataFlows"); i >= 0 {
			path = path[i:] // relative to the DCR, not to the file holding it
		}
		if path == "" {
			path = fmt.Sprintf("properties.dataFlows[%d]", i)
		}
		if len(df.Streams) == 0 {
			errs = append(errs, pathErr(path+".streams", "a data flow needs at least one stream"))
			continue
		}
		if df.TransformKQL != "" && strings.TrimSpace(df.TransformKQL) != "source" && len(df.Streams) > 1 {
			errs = append(errs, pathErr(path+".streams", "a data flow with a transformKql must have exactly one stream, got %d", len(df.Streams)))
			continue
		}
		for j, sname := range df.Streams {
			cs := c.streams[sname]
			if cs == nil {
				tbl, custom, ok := outputTable(sname)
				if !ok || custom || strings.TrimSpace(df.TransformKQL) != "" && strings.TrimSpace(df.TransformKQL) != "source" {
					errs = append(errs, pathErr(fmt.Sprintf("%s.streams[%d]", path, j), "stream %q is not declared in properties.streamDeclarations", sname))
					continue
				}
				if df.OutputStream != "" && df.OutputStream != sname {
					errs = append(errs, pathErr(path+".outputStream", "undeclared stream %q can only flow to its own table", sname))
					continue
				}
				cs = newStream(sname, nil)
				cs.inferTo = tbl
				c.streams[sname] = cs
				continue
			}
			f, err := p.compileFlow(ctx, path, df, cs, tables)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			cs.flows = append(cs.flows, f)
		}
	}
	if len(errs) > 0 {
		return joinPathErrors(errs)
	}
	p.mu.Lock()
	p.dcrs[c.id] = c
	p.mu.Unlock()
	p.log.Info("DCR loaded", "dcr", c.name, "immutableId", c.id, "streams", len(c.streams), "dataFlows", len(dcr.DataFlows))
	return nil
}

// DeleteDCR forgets a DCR; later calls for it answer 404.
func (p *Pipeline) DeleteDCR(immutableID string) {
	p.mu.Lock()
	delete(p.dcrs, immutableID)
	p.mu.Unlock()
}

func newStream(name string, cols schema.Schema) *compiledStream {
	s := &compiledStream{name: name}
	s.setColumns(cols)
	return s
}

func (s *compiledStream) setColumns(cols schema.Schema) {
	s.cols = cols
	s.index = make(map[string]int, len(cols))
	s.lower = make(map[string]int, len(cols))
	for i, c := range cols {
		s.index[c.Name] = i
		if _, dup := s.lower[strings.ToLower(c.Name)]; !dup {
			s.lower[strings.ToLower(c.Name)] = i
		}
	}
}

// column finds a declared column by exact name (exact=true), else
// case-insensitively (ASCII folding into buf, so that undeclared properties
// cost no allocation; column names are ASCII by Azure's naming rules). j is
// -1 when the property is not declared.
func (s *compiledStream) column(name string, buf *[]byte) (j int, exact bool) {
	if i, ok := s.index[name]; ok {
		return i, true
	}
	i, ok := s.fold(name, buf)
	if !ok {
		return -1, false
	}
	return i, false
}

// fold looks name up case-insensitively.
func (s *compiledStream) fold(name string, buf *[]byte) (int, bool) {
	b := (*buf)[:0]
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	*buf = b
	i, ok := s.lower[string(b)]
	return i, ok
}

func pathErr(path, format string, args ...any) *apierr.APIError {
	return &apierr.APIError{Status: http.StatusBadRequest, Code: "InvalidDataFlow", Target: path, Message: path + ": " + fmt.Sprintf(format, args...)}
}

func joinPathErrors(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	first := apierr.From(errs[0])
	out := &apierr.APIError{Status: http.StatusBadRequest, Code: "InvalidDataCollectionRule", Target: first.Target}
	msgs := make([]string, 0, len(errs))
	for _, e := range errs {
		ae := apierr.From(e)
		out.Details = append(out.Details, *ae)
		msgs = append(msgs, ae.Message)
	}
	out.Message = strings.Join(msgs, "; ")
	return out
}

func (p *Pipeline) compileFlow(ctx context.Context, path string, df resource.DataFlow, cs *compiledStream, tables []*resource.Table) (*compiledFlow, error) {
	src := strings.TrimSpace(df.TransformKQL)
	if src == "" {
		src = "source"
	}
	prog, err := eval.CompileTransform(src, cs.cols)
	if err != nil {
		return nil, pathErr(path+".transformKql", "%v", err)
	}
	out := prog.Output()
	outStream := df.OutputStream
	if outStream == "" {
		outStream = cs.name
	}
	tbl, custom, ok := outputTable(outStream)
	if !ok || tbl == "" {
		return nil, pathErr(path+".outputStream", "output stream %q must be Custom-<Table>_CL or Microsoft-<Table>", outStream)
	}
	tg := out.Index("TimeGenerated")
	if tg < 0 {
		return nil, pathErr(path+".transformKql", "the transform output %s has no TimeGenerated column", out)
	}
	if out[tg].Type != schema.DateTime && out[tg].Type != schema.Dynamic && out[tg].Type != schema.String {
		return nil, pathErr(path+".transformKql", "TimeGenerated is %s, want datetime", out[tg].Type)
	}
	var ts schema.Schema
	if custom {
		if !strings.HasSuffix(tbl, "_CL") {
			return nil, pathErr(path+".outputStream", "custom output stream %q must name a table ending in _CL", outStream)
		}
		ts = findTable(tables, tbl)
		if ts == nil {
			got, err := p.tables.TableSchema(ctx, tbl)
			if errors.Is(err, store.ErrNotFound) {
				return nil, pathErr(path+".outputStream", "table %s does not exist; deploy it with the DCR", tbl)
			}
			if err != nil {
				return nil, fmt.Errorf("%s.outputStream: reading table %s: %w", path, tbl, err)
			}
			ts = got
		}
		if ts.Index("TimeGenerated") < 0 {
			return nil, pathErr(path+".outputStream", "table %s has no TimeGenerated column", tbl)
		}
		var missing, bad []string
		for _, c := range out {
			i := ts.Index(c.Name)
			if i < 0 {
				missing = append(missing, c.Name)
				continue
			}
			if !compatible(c.Type, ts[i].Type) {
				bad = append(bad, fmt.Sprintf("%s (%s into %s)", c.Name, c.Type, ts[i].Type))
			}
		}
		if len(missing) > 0 {
			return nil, pathErr(path+".outputStream", "table %s lacks the transform output column(s) %s", tbl, strings.Join(missing, ", "))
		}
		if len(bad) > 0 {
			return nil, pathErr(path+".outputStream", "table %s has incompatible column type(s): %s", tbl, strings.Join(bad, ", "))
		}
		// Make sure the store has the table as declared (adds missing columns).
		if ts, err = p.tables.EnsureTable(ctx, tbl, ts); err != nil {
			return nil, tableErr(path, tbl, err)
		}
	} else {
		want := append(schema.Schema(nil), out...)
		if want[tg].Type != schema.DateTime {
			want[tg].Type = schema.DateTime
		}
		if ts, err = p.tables.EnsureTable(ctx, tbl, want); err != nil {
			return nil, tableErr(path, tbl, err)
		}
		for _, c := range out {
			if i := ts.Index(c.Name); i >= 0 && !compatible(c.Type, ts[i].Type) {
				return nil, pathErr(path+".outputStream", "table %s column %s is %s; the transform outputs %s", tbl, c.Name, ts[i].Type, c.Type)
			}
		}
	}
	return newFlow(path, prog, out, tbl, ts), nil
}

func newFlow(path string, prog *eval.Program, out schema.Schema, tbl string, ts schema.Schema) *compiledFlow {
	f := &compiledFlow{path: path, prog: prog, table: tbl, tschema: ts, tgIdx: ts.Index("TimeGenerated")}
	f.mapIdx = make([]int, len(out))
	f.convType = make([]schema.Type, len(out))
	for i, c := range out {
		j := ts.Index(c.Name)
		f.mapIdx[i] = j
		if j >= 0 && ts[j].Type != c.Type {
			f.convType[i] = ts[j].Type
		}
	}
	for j, c := range ts {
		if c.Type == schema.String {
			f.strCols = append(f.strCols, j)
		}
	}
	return f
}

// tableErr reports a store refusal to create a table as a 400 naming the
// data flow: the store's message is what the author can act on (for example
// a column the table already has with another type).
func tableErr(path, tbl string, err error) error {
	return &apierr.APIError{Status: http.StatusBadRequest, Code: "InvalidDataFlow", Target: path + ".outputStream",
		Message: fmt.Sprintf("%s.outputStream: creating table %s: %v", path, tbl, err), Err: err}
}

func findTable(tables []*resource.Table, name string) schema.Schema {
	for _, t := range tables {
		if t != nil && t.TableName() == name {
			return t.Columns
		}
	}
	return nil
}

// compatible reports whether a transform output of type from may be stored
// in a table column of type to (converted per row with value.Convert; a value
// that does not convert is stored as null).
func compatible(from, to schema.Type) bool {
	if from == to || to == schema.String || to == schema.Dynamic || from == schema.Dynamic || from == schema.String {
		return true
	}
	num := func(t schema.Type) bool {
		return t == schema.Int || t == schema.Long || t == schema.Real || t == schema.Decimal || t == schema.Bool
	}
	switch {
	case num(from) && num(to):
		return true
	case to == schema.TimeSpan:
		return num(from)
	}
	return false
}

// lookup returns the compiled stream of a DCR.
func (p *Pipeline) lookup(id, stream string) (*compiledDCR, *compiledStream, error) {
	p.mu.RLock()
	d := p.dcrs[id]
	p.mu.RUnlock()
	if d == nil {
		return nil, nil, &apierr.APIError{Status: http.StatusNotFound, Code: "DataCollectionRuleNotFound", Target: "immutableId",
			Message: fmt.Sprintf("data collection rule %q was not found", id)}
	}
	s := d.streams[stream]
	if s == nil {
		names := make([]string, 0, len(d.streams))
		for n := range d.streams {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, nil, &apierr.APIError{Status: http.StatusBadRequest, Code: "InvalidStream", Target: "stream",
			Message: fmt.Sprintf("stream %q is not declared in data collection rule %q (declared: %s)", stream, d.name, strings.Join(names, ", "))}
	}
	return d, s, nil
}

// Streams lists the input streams of a loaded DCR (for the UI and tests).
func (p *Pipeline) Streams(immutableID string) []string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	d := p.dcrs[immutableID]
	if d == nil {
		return nil
	}
	out := make([]string, 0, len(d.streams))
	for n := range d.streams {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Commit writes every table's rows and the checkpoint (skipped when
// checkpointKey is "") in one batch.
func (p *Pipeline) Commit(ctx context.Context, out *Output, checkpointKey string, checkpoint []byte) (err error) {
	b, err := p.tables.Begin(ctx)
	if err != nil {
		return fmt.Errorf("beginning batch: %w", err)
	}
	defer func() {
		if err != nil {
			if rbErr := b.Rollback(); rbErr != nil {
				p.log.Warn("rollback failed", "err", rbErr)
			}
		}
	}()
	if out != nil {
		for _, t := range out.Tables {
			if len(t.Rows) == 0 {
				continue
			}
			if err := b.Append(t.Table, t.Rows); err != nil {
				return fmt.Errorf("appending to %s: %w", t.Table, err)
			}
		}
	}
	if checkpointKey != "" {
		if err := b.PutCheckpoint(checkpointKey, checkpoint); err != nil {
			return fmt.Errorf("storing checkpoint: %w", err)
		}
	}
	if err := b.Commit(); err != nil {
		return fmt.Errorf("committing batch: %w", err)
	}
	if m := p.opts.Metrics; m != nil && out != nil {
		for _, t := range out.Tables {
			m.IngestRows(out.DCR, t.Table, len(t.Rows))
		}
	}
	return nil
}
