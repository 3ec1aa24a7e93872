package check

import (
	"fmt"
	"math"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/codeless/codeless/internal/kql/syntax"
	"github.com/codeless/codeless/internal/kql/value"
	"github.com/codeless/codeless/internal/schema"
)

// Mode selects which KQL layer a query is checked against.
type Mode int

// Modes.
const (
	// ModeQuery is the UI/query layer: tables from Options.Tables, all operators.
	ModeQuery Mode = iota
	// ModeTransform is the DCR transformKql subset over `source`.
	ModeTransform
	// ModePlaceholder is ModeTransform plus mv-expand/mvexpand (stepPlaceholdersParsingKql).
	ModePlaceholder
)

// Options configures Check.
type Options struct {
	Mode Mode
	// Input is the schema of `source` (ModeTransform, ModePlaceholder).
	Input schema.Schema
	// Tables resolves table names (ModeQuery).
	Tables func(name string) (schema.Schema, bool)
}

// Check parses and checks src.
func Check(src string, opts Options) (*Query, error) {
	q, err := syntax.Parse(src)
	if err != nil {
		return nil, err
	}
	return CheckQuery(q, opts)
}

// CheckQuery resolves names and types of a parsed query and lowers it to
// stages. Errors are *syntax.Error with the position of the offending token.
func CheckQuery(q *syntax.Query, opts Options) (*Query, error) {
	c := &checker{src: q.Src, opts: opts, scalars: map[string]Expr{}, tabs: map[string]*syntax.Pipeline{}, funcs: map[string]*syntax.FuncDef{}}
	out, err := c.query(q)
	if err != nil {
		return nil, err
	}
	if err := c.sizeCheck(out); err != nil {
		return nil, err
	}
	return out, nil
}

// maxNodes bounds the expanded size of a query's expressions. Let-bound
// expressions are shared, so `let x1 = x0 + x0; let x2 = x1 + x1; ...`
// doubles the work at each step; later stages walk expressions as trees.
const maxNodes = 200000

// sizeCheck rejects queries whose expressions expand beyond maxNodes.
func (c *checker) sizeCheck(q *Query) *syntax.Error {
	budget := maxNodes
	var visit func(e Expr) bool
	visit = func(e Expr) bool {
		budget--
		if budget < 0 {
			return false
		}
		if call, ok := e.(*Call); ok {
			for _, a := range call.Args {
				if !visit(a) {
					return false
				}
			}
		}
		return true
	}
	for _, row := range q.Rows {
		for _, e := range row {
			if !visit(e) {
				return c.errf(e.Span().From, "query is too large once let statements are expanded (more than %d expression nodes)", maxNodes)
			}
		}
	}
	for _, st := range q.Stages {
		var exprs []Expr
		switch s := st.(type) {
		case *Filter:
			exprs = []Expr{s.Pred}
		case *Project:
			exprs = s.Cols
		case *Summarize:
			exprs = append(exprs, s.Keys...)
			for _, a := range s.Aggs {
				exprs = append(exprs, a.Args...)
			}
		case *Sort:
			for _, k := range s.Keys {
				exprs = append(exprs, k.Expr)
			}
		case *Top:
			for _, k := range s.Keys {
				exprs = append(exprs, k.Expr)
			}
		case *Distinct:
			exprs = s.Cols
		}
		for _, e := range exprs {
			if !visit(e) {
				return c.errf(st.Span().From, "query is too large once let statements are expanded (more than %d expression nodes)", maxNodes)
			}
		}
	}
	return nil
}

type checker struct {
	src      string
	opts     Options
	scalars  map[string]Expr
	tabs     map[string]*syntax.Pipeline
	funcs    map[string]*syntax.FuncDef
	depth    int
	inlined  int // user function expansions so far (bounded)
	operands int // union/join operands checked so far (bounded)
}

func (c *checker) errf(pos syntax.Pos, format string, args ...any) *syntax.Error {
	return syntax.Errorf(c.src, pos, format, args...)
}

func (c *checker) query(q *syntax.Query) (*Query, *syntax.Error) {
	for _, l := range q.Lets {
		name := l.Name.Name
		switch {
		case l.Func != nil:
			c.funcs[name] = l.Func
		case l.Tabular != nil:
			if c.opts.Mode != ModeQuery {
				return nil, c.errf(l.Pos(), "tabular let statements are not supported in DCR transformations")
			}
			c.tabs[name] = l.Tabular
		default:
			// A bare name may be a table alias.
			if id, ok := l.Expr.(*syntax.Ident); ok {
				if _, isScalar := c.scalars[id.Name]; !isScalar {
					if _, ok := c.tableSchema(id.Name); ok {
						c.tabs[name] = &syntax.Pipeline{Span: id.Span, Source: &syntax.TableRef{Span: id.Span, Name: id}}
						continue
					}
				}
			}
			e, err := c.expr(l.Expr, &scope{})
			if err != nil {
				return nil, err
			}
			c.scalars[name] = e
		}
	}
	return c.pipeline(q.Body, true)
}

func (c *checker) tableSchema(name string) (schema.Schema, bool) {
	if c.opts.Mode != ModeQuery {
		if name == "source" {
			return c.opts.Input, true
		}
		return nil, false
	}
	if c.opts.Tables == nil {
		return nil, false
	}
	return c.opts.Tables(name)
}

// scope is the set of columns an expression may reference. When pending is
// set, column i of the visible schema is pending[i] expressed over the
// materialised row (substitution of cheap projections).
type scope struct {
	cols    schema.Schema
	pending []Expr
}

// builder accumulates stages and a pending (not yet materialised) projection.
type builder struct {
	c       *checker
	stages  []Stage
	base    schema.Schema // schema of the materialised row
	cols    schema.Schema // visible schema
	pending []Expr        // visible column i = pending[i] over base
}

func newBuilder(c *checker, in schema.Schema) *builder {
	b := &builder{c: c, base: in}
	b.reset(in)
	return b
}

func (b *builder) reset(s schema.Schema) {
	b.base = s
	b.cols = append(schema.Schema(nil), s...)
	b.pending = make([]Expr, len(s))
	for i, col := range s {
		b.pending[i] = &Column{Index: i, Name: col.Name, T: col.Type}
	}
}

func (b *builder) identity() bool {
	if len(b.pending) != len(b.base) {
		return false
	}
	for i, e := range b.pending {
		col, ok := e.(*Column)
		if !ok || col.Index != i || b.cols[i].Name != b.base[i].Name {
			return false
		}
	}
	return true
}

// flush materialises the pending projection as a Project stage.
func (b *builder) flush(sp syntax.Span, op string) {
	if b.identity() {
		return
	}
	out := append(schema.Schema(nil), b.cols...)
	b.stages = append(b.stages, &Project{Base: Base{Schema: out, Sp: sp, Op: op}, Cols: b.pending})
	b.reset(out)
}

func (b *builder) scope() *scope { return &scope{cols: b.cols, pending: b.pending} }

// needsFlush reports whether expression e references a visible column whose
// pending expression is not cheap (so substituting would duplicate work).
func (b *builder) needsFlush(e syntax.Expr) bool {
	found := false
	walkIdents(e, func(name string) {
		if i := b.cols.Index(name); i >= 0 {
			switch b.pending[i].(type) {
			case *Column, *Const:
			default:
				found = true
			}
		}
	})
	return found
}

func walkIdents(e syntax.Expr, f func(string)) {
	switch x := e.(type) {
	case *syntax.Ident:
		f(x.Name)
	case *syntax.Paren:
		walkIdents(x.X, f)
	case *syntax.Unary:
		walkIdents(x.X, f)
	case *syntax.Binary:
		walkIdents(x.L, f)
		walkIdents(x.R, f)
	case *syntax.InExpr:
		walkIdents(x.X, f)
		for _, a := range x.List {
			walkIdents(a, f)
		}
	case *syntax.Between:
		walkIdents(x.X, f)
		walkIdents(x.Lo, f)
		walkIdents(x.Hi, f)
	case *syntax.Call:
		for _, a := range x.Args {
			walkIdents(a, f)
		}
	case *syntax.Member:
		walkIdents(x.X, f)
	case *syntax.Index:
		walkIdents(x.X, f)
		walkIdents(x.Index, f)
	}
}

func (c *checker) pipeline(pl *syntax.Pipeline, top bool) (*Query, *syntax.Error) {
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > 20 {
		return nil, c.errf(pl.Pos(), "tabular expressions nested too deeply")
	}
	q := &Query{}
	var b *builder
	switch s := pl.Source.(type) {
	case *syntax.TableRef:
		name := s.Name.Name
		if t, ok := c.tabs[name]; ok {
			inner, err := c.pipeline(t, false)
			if err != nil {
				return nil, err
			}
			q.Table, q.Input, q.Rows = inner.Table, inner.Input, inner.Rows
			b = newBuilder(c, inner.Output)
			b.stages = inner.Stages
		} else {
			sch, ok := c.tableSchema(name)
			if !ok {
				if c.opts.Mode != ModeQuery {
					return nil, c.errf(s.Pos(), "unknown table %q: a transformation reads from \"source\"", name)
				}
				return nil, c.errf(s.Pos(), "unknown table %q", name)
			}
			q.Table, q.Input = name, sch
			b = newBuilder(c, sch)
		}
	case *syntax.PrintOp:
		if c.opts.Mode != ModeQuery {
			return nil, c.errf(s.Pos(), "a transformation must start from \"source\"")
		}
		var row []Expr
		var sch schema.Schema
		for i, ne := range s.Cols {
			if err := c.declName(ne.Name); err != nil {
				return nil, err
			}
			e, err := c.expr(ne.Expr, &scope{})
			if err != nil {
				return nil, err
			}
			name := fmt.Sprintf("print_%d", i)
			if ne.Name != nil {
				name = ne.Name.Name
			} else if n, ok := derivedName(ne.Expr); ok {
				name = n
			}
			row = append(row, e)
			sch = append(sch, schema.Column{Name: uniqueName(sch, name), Type: e.Type()})
		}
		q.Input, q.Rows = sch, [][]Expr{row}
		b = newBuilder(c, sch)
	case *syntax.DatatableOp:
		if c.opts.Mode != ModeQuery {
			return nil, c.errf(s.Pos(), "a transformation must start from \"source\"")
		}
		var sch schema.Schema
		for _, cd := range s.Columns {
			t, err := schema.ParseType(cd.Type)
			if err != nil {
				return nil, c.errf(cd.Pos(), "%v", err)
			}
			sch = append(sch, schema.Column{Name: cd.Name.Name, Type: t})
		}
		if len(sch) == 0 || len(s.Values)%len(sch) != 0 {
			return nil, c.errf(s.Pos(), "datatable has %d values for %d columns", len(s.Values), len(sch))
		}
		for i := 0; i < len(s.Values); i += len(sch) {
			var row []Expr
			for j := range sch {
				e, err := c.expr(s.Values[i+j], &scope{})
				if err != nil {
					return nil, err
				}
				k, ok := e.(*Const)
				if !ok {
					return nil, c.errf(s.Values[i+j].Pos(), "datatable values must be constants")
				}
				v, ok := value.Convert(k.Value, sch[j].Type)
				if !ok {
					return nil, c.errf(s.Values[i+j].Pos(), "value does not convert to %s", sch[j].Type)
				}
				row = append(row, &Const{Value: v, T: sch[j].Type, Sp: k.Sp})
			}
			q.Rows = append(q.Rows, row)
		}
		q.Input = sch
		b = newBuilder(c, sch)
	case *syntax.UnionOp:
		if c.opts.Mode != ModeQuery {
			return nil, c.errf(s.Pos(), "a transformation must start from \"source\"")
		}
		inner, err := c.pipeline(s.Tables[0], false)
		if err != nil {
			return nil, err
		}
		q.Table, q.Input, q.Rows = inner.Table, inner.Input, inner.Rows
		b = newBuilder(c, inner.Output)
		b.stages = inner.Stages
		if len(s.Tables) > 1 || s.WithSource != nil || len(s.Params) > 0 || s.Kind != "" {
			rest := &syntax.UnionOp{Span: s.Span, Kind: s.Kind, WithSource: s.WithSource, Params: s.Params, Tables: s.Tables[1:]}
			if err := c.union(b, rest, s.Tables[0]); err != nil {
				return nil, err
			}
		}
	case *syntax.ParenSource:
		inner, err := c.pipeline(s.Pipe, false)
		if err != nil {
			return nil, err
		}
		q.Table, q.Input, q.Rows = inner.Table, inner.Input, inner.Rows
		b = newBuilder(c, inner.Output)
		b.stages = inner.Stages
	default:
		return nil, c.errf(pl.Source.Pos(), "%s is not supported yet", pl.Source.(syntax.Op).OpName())
	}
	for i, op := range pl.Ops {
		if q.Render != "" {
			return nil, c.errf(op.Pos(), "render must be the last operator")
		}
		if r, ok := op.(*syntax.RenderOp); ok {
			if c.opts.Mode != ModeQuery {
				return nil, c.opNotAllowed(op)
			}
			if !top || i != len(pl.Ops)-1 {
				return nil, c.errf(op.Pos(), "render must be the last operator")
			}
			q.Render = r.Chart
			continue
		}
		if err := c.op(b, op); err != nil {
			return nil, err
		}
	}
	b.flush(pl.Span, "project")
	q.Stages = b.stages
	q.Output = b.cols
	return q, nil
}

func (c *checker) opNotAllowed(op syntax.Op) *syntax.Error {
	name := op.OpName()
	if m, ok := op.(*syntax.MvExpandOp); ok && m.Legacy {
		name = "mvexpand"
	}
	if c.opts.Mode == ModeTransform {
		if _, ok := op.(*syntax.MvExpandOp); ok {
			return c.errf(op.Pos(), "operator %q is not supported in DCR transformations (only in stepPlaceholdersParsingKql)", name)
		}
		return c.errf(op.Pos(), "operator %q is not supported in DCR transformations (each record is transformed on its own)", name)
	}
	return c.errf(op.Pos(), "operator %q is not supported in stepPlaceholdersParsingKql", name)
}

func (c *checker) op(b *builder, op syntax.Op) *syntax.Error {
	rowwise := false
	switch op.(type) {
	case *syntax.WhereOp, *syntax.ProjectOp, *syntax.ExtendOp, *syntax.ProjectAwayOp,
		*syntax.ProjectRenameOp, *syntax.ProjectKeepOp, *syntax.ProjectReorderOp, *syntax.ParseOp:
		rowwise = true
	case *syntax.MvExpandOp:
		rowwise = c.opts.Mode != ModeTransform
	}
	if c.opts.Mode != ModeQuery && !rowwise {
		return c.opNotAllowed(op)
	}
	switch o := op.(type) {
	case *syntax.WhereOp:
		if b.needsFlush(o.Pred) {
			b.flush(o.Span, "extend")
		}
		e, err := c.expr(o.Pred, b.scope())
		if err != nil {
			return err
		}
		if t := e.Type(); t != schema.Bool && t != schema.Dynamic {
			return c.errf(o.Pred.Pos(), "where needs a bool predicate, got %s", t)
		}
		e = asBool(e)
		// The filter runs on the materialised row, before the pending projection.
		b.stages = append(b.stages, &Filter{Base: Base{Schema: append(schema.Schema(nil), b.base...), Sp: o.Span, Op: "where"}, Pred: e})
		return nil
	case *syntax.ExtendOp:
		return c.extend(b, o.Cols)
	case *syntax.ProjectOp:
		return c.project(b, o)
	case *syntax.ProjectRenameOp:
		for _, ne := range o.Cols {
			if ne.Name == nil {
				return c.errf(ne.Pos(), "project-rename needs New = Old")
			}
			if err := c.declName(ne.Name); err != nil {
				return err
			}
			old, ok := ne.Expr.(*syntax.Ident)
			if !ok {
				return c.errf(ne.Expr.Pos(), "project-rename only renames columns; use extend/project for expressions")
			}
			i := b.cols.Index(old.Name)
			if i < 0 {
				return c.unknownColumn(old, b.cols)
			}
			if j := b.cols.Index(ne.Name.Name); j >= 0 && j != i {
				return c.errf(ne.Name.Pos(), "project-rename: column %q already exists", ne.Name.Name)
			}
			b.cols = append(schema.Schema(nil), b.cols...)
			b.cols[i].Name = ne.Name.Name
		}
		return nil
	case *syntax.ProjectAwayOp, *syntax.ProjectKeepOp:
		var pats []*syntax.NamePattern
		keep := false
		if a, ok := o.(*syntax.ProjectAwayOp); ok {
			pats = a.Names
		} else {
			pats = o.(*syntax.ProjectKeepOp).Names
			keep = true
		}
		match := make([]bool, len(b.cols))
		for _, p := range pats {
			hit := false
			for i, col := range b.cols {
				if p.Wildcard {
					if ok, _ := path.Match(escapeGlob(p.Text), col.Name); ok {
						match[i], hit = true, true
					}
				} else if col.Name == p.Text {
					match[i], hit = true, true
				}
			}
			if !hit && !p.Wildcard {
				return c.errf(p.Pos(), "%s: unknown column %q", op.OpName(), p.Text)
			}
		}
		var cols schema.Schema
		var pend []Expr
		for i := range b.cols {
			if match[i] == keep {
				cols = append(cols, b.cols[i])
				pend = append(pend, b.pending[i])
			}
		}
		if len(cols) == 0 {
			return c.errf(op.Pos(), "%s removes every column", op.OpName())
		}
		b.cols, b.pending = cols, pend
		return nil
	case *syntax.ProjectReorderOp:
		var cols schema.Schema
		var pend []Expr
		used := make([]bool, len(b.cols))
		for _, p := range o.Names {
			hit := false
			for i, col := range b.cols {
				ok := col.Name == p.Text
				if p.Wildcard {
					ok, _ = path.Match(escapeGlob(p.Text), col.Name)
				}
				if ok && !used[i] {
					used[i], hit = true, true
					cols = append(cols, col)
					pend = append(pend, b.pending[i])
				}
			}
			if !hit && !p.Wildcard {
				return c.errf(p.Pos(), "project-reorder: unknown column %q", p.Text)
			}
		}
		for i := range b.cols {
			if !used[i] {
				cols = append(cols, b.cols[i])
				pend = append(pend, b.pending[i])
			}
		}
		b.cols, b.pending = cols, pend
		return nil
	case *syntax.ParseOp:
		return c.parseOp(b, o)
	case *syntax.GetSchemaOp:
		b.flush(o.Span, "project")
		out := schema.Schema{{Name: "ColumnName", Type: schema.String}, {Name: "ColumnOrdinal", Type: schema.Long},
			{Name: "DataType", Type: schema.String}, {Name: "ColumnType", Type: schema.String}}
		b.stages = append(b.stages, &GetSchema{Base: Base{Schema: out, Sp: o.Span, Op: "getschema"}, In: b.cols})
		b.reset(out)
		return nil
	case *syntax.UnionOp:
		return c.union(b, o, nil)
	case *syntax.JoinOp:
		return c.join(b, o)
	case *syntax.MvExpandOp:
		return c.mvExpand(b, o)
	case *syntax.SummarizeOp:
		return c.summarize(b, o)
	case *syntax.MakeSeriesOp:
		return c.makeSeries(b, o)
	case *syntax.TakeOp:
		n, err := c.constCount(o.Count)
		if err != nil {
			return err
		}
		b.flush(o.Span, "project")
		b.stages = append(b.stages, &Take{Base: Base{Schema: b.cols, Sp: o.Span, Op: "take"}, N: n})
		return nil
	case *syntax.TopOp:
		n, err := c.constCount(o.Count)
		if err != nil {
			return err
		}
		b.flush(o.Span, "project")
		keys, err := c.sortKeys(b, o.By)
		if err != nil {
			return err
		}
		b.stages = append(b.stages, &Top{Base: Base{Schema: b.cols, Sp: o.Span, Op: "top"}, N: n, Keys: keys})
		return nil
	case *syntax.SortOp:
		b.flush(o.Span, "project")
		keys, err := c.sortKeys(b, o.By)
		if err != nil {
			return err
		}
		b.stages = append(b.stages, &Sort{Base: Base{Schema: b.cols, Sp: o.Span, Op: "sort"}, Keys: keys})
		return nil
	case *syntax.CountOp:
		b.flush(o.Span, "project")
		out := schema.Schema{{Name: "Count", Type: schema.Long}}
		b.stages = append(b.stages, &Count{Base: Base{Schema: out, Sp: o.Span, Op: "count"}})
		b.reset(out)
		return nil
	case *syntax.DistinctOp:
		b.flush(o.Span, "project")
		var cols []Expr
		var out schema.Schema
		if o.Star {
			for i, col := range b.cols {
				if col.Type == schema.Dynamic {
					return c.errf(o.Pos(), "distinct: column %q is dynamic, which cannot be compared; project it away or convert it first", col.Name)
				}
				cols = append(cols, &Column{Index: i, Name: col.Name, T: col.Type})
			}
			out = append(out, b.cols...)
		} else {
			for _, x := range o.Cols {
				e, err := c.expr(x, b.scope())
				if err != nil {
					return err
				}
				if e.Type() == schema.Dynamic {
					return c.errf(x.Pos(), "distinct on a dynamic value is not allowed; convert it first")
				}
				name, ok := derivedName(x)
				if !ok {
					name = "Column1"
				}
				cols = append(cols, e)
				out = append(out, schema.Column{Name: uniqueName(out, name), Type: e.Type()})
			}
		}
		b.stages = append(b.stages, &Distinct{Base: Base{Schema: out, Sp: o.Span, Op: "distinct"}, Cols: cols})
		b.reset(out)
		return nil
	}
	return c.errf(op.Pos(), "operator %q is not supported yet", op.OpName())
}

func escapeGlob(p string) string {
	return strings.NewReplacer("[", `\[`, "]", `\]`, "?", `\?`, `\`, `\\`).Replace(p)
}

func (c *checker) constCount(e syntax.Expr) (int64, *syntax.Error) {
	hasNames := false
	walkIdents(e, func(name string) {
		if _, ok := c.scalars[name]; !ok {
			hasNames = true
		}
	})
	if hasNames {
		return 0, c.errf(e.Pos(), "expected a constant row count")
	}
	x, err := c.expr(e, &scope{})
	if err != nil {
		return 0, err
	}
	k, ok := x.(*Const)
	if !ok {
		return 0, c.errf(e.Pos(), "expected a constant row count")
	}
	n, ok := k.Value.(int64)
	if !ok || n < 0 {
		return 0, c.errf(e.Pos(), "expected a non-negative whole number")
	}
	return n, nil
}

func (c *checker) sortKeys(b *builder, keys []*syntax.SortKey) ([]SortKey, *syntax.Error) {
	var out []SortKey
	for _, k := range keys {
		e, err := c.expr(k.Expr, b.scope())
		if err != nil {
			return nil, err
		}
		nf := !k.Desc // asc: nulls first; desc: nulls last
		switch k.Nulls {
		case "first":
			nf = true
		case "last":
			nf = false
		}
		out = append(out, SortKey{Expr: e, Desc: k.Desc, NullsFirst: nf})
	}
	return out, nil
}

func (c *checker) unknownColumn(id *syntax.Ident, cols schema.Schema) *syntax.Error {
	return c.errf(id.Pos(), "unknown column %q (columns: %s)", id.Name, shortList(cols.Names()))
}

func shortList(names []string) string {
	if len(names) > 12 {
		return strings.Join(names[:12], ", ") + fmt.Sprintf(", ... %d more", len(names)-12)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func (c *checker) extend(b *builder, cols []*syntax.NamedExpr) *syntax.Error {
	// Every expression of one extend sees the operator's input columns
	// (Kusto.Language: a column defined earlier in the same extend is not
	// in scope, and `extend N = N * 2, y = N` reads the old N).
	for _, ne := range cols {
		if b.needsFlush(ne.Expr) {
			b.flush(ne.Span, "extend")
			break
		}
	}
	sc := b.scope()
	declared := map[string]bool{}
	for idx, ne := range cols {
		if len(ne.Names) > 0 {
			return c.errf(ne.Pos(), "multi-column assignment is not supported")
		}
		if err := c.declName(ne.Name); err != nil {
			return err
		}
		e, err := c.expr(ne.Expr, sc)
		if err != nil {
			return err
		}
		name := ""
		if ne.Name != nil {
			name = ne.Name.Name
		} else if n, ok := derivedName(ne.Expr); ok {
			name = n
		} else {
			name = nextColumnName(b.cols, idx)
		}
		if declared[name] {
			return c.errf(ne.Pos(), "a column with the name %q is already declared in this extend", name)
		}
		declared[name] = true
		b.cols = append(schema.Schema(nil), b.cols...)
		if i := b.cols.Index(name); i >= 0 {
			b.cols[i].Type = e.Type()
			b.pending = append([]Expr(nil), b.pending...)
			b.pending[i] = e
		} else {
			b.cols = append(b.cols, schema.Column{Name: name, Type: e.Type()})
			b.pending = append(append([]Expr(nil), b.pending...), e)
		}
	}
	return nil
}

func nextColumnName(cols schema.Schema, _ int) string {
	for n := 1; ; n++ {
		name := "Column" + strconv.Itoa(n)
		if cols.Index(name) < 0 {
			return name
		}
	}
}

func (c *checker) project(b *builder, o *syntax.ProjectOp) *syntax.Error {
	for _, ne := range o.Cols {
		if b.needsFlush(ne.Expr) {
			// Only flush when the reference would be duplicated or computed
			// twice; a single plain reference is moved, not duplicated.
			if _, plain := ne.Expr.(*syntax.Ident); !plain {
				b.flush(o.Span, "extend")
				break
			}
		}
	}
	sc := b.scope()
	var cols schema.Schema
	var pend []Expr
	for _, ne := range o.Cols {
		if len(ne.Names) > 0 {
			return c.errf(ne.Pos(), "multi-column assignment is not supported")
		}
		if err := c.declName(ne.Name); err != nil {
			return err
		}
		e, err := c.expr(ne.Expr, sc)
		if err != nil {
			return err
		}
		name := ""
		if ne.Name != nil {
			name = ne.Name.Name
		} else if n, ok := derivedName(ne.Expr); ok {
			name = n
		} else {
			name = nextColumnName(cols, 0)
		}
		if cols.Index(name) >= 0 {
			if _, plain := ne.Expr.(*syntax.Ident); ne.Name != nil || plain {
				return c.errf(ne.Pos(), "project: a column with the name %q is already declared", name)
			}
			name = uniqueName(cols, name)
		}
		cols = append(cols, schema.Column{Name: name, Type: e.Type()})
		pend = append(pend, e)
	}
	b.cols, b.pending = cols, pend
	return nil
}

func uniqueName(cols schema.Schema, name string) string {
	if cols.Index(name) < 0 {
		return name
	}
	for n := 1; ; n++ {
		cand := name + strconv.Itoa(n)
		if cols.Index(cand) < 0 {
			return cand
		}
	}
}

// derivedName implements Kusto's result naming for unnamed expressions
// (reference/kql.md §2.6): a column keeps its name, d.a / d['a'] gives d_a,
// conversion functions and bin/floor take the name of their first argument.
func derivedName(e syntax.Expr) (string, bool) {
	switch x := e.(type) {
	case *syntax.Ident:
		return x.Name, true
	case *syntax.Paren:
		return derivedName(x.X)
	case *syntax.Member:
		base, ok := derivedName(x.X)
		if !ok {
			return "", false
		}
		return base + "_" + x.Name.Name, true
	case *syntax.Index:
		base, ok := derivedName(x.X)
		if !ok {
			return "", false
		}
		if l, ok := x.Index.(*syntax.Literal); ok {
			switch v := l.Value.(type) {
			case string:
				return base + "_" + v, true
			case int64:
				return base + "_" + strconv.FormatInt(v, 10), true
			}
		}
		return "", false
	case *syntax.Call:
		// Result-name kinds of Kusto.Language's function symbols, measured
		// with tools/kqloracle: these take their first argument's name...
		switch x.Fn.Name {
		case "tostring", "toint", "tolong", "todouble", "toreal", "tobool", "toboolean", "todatetime",
			"totimespan", "totime", "toguid", "todynamic", "toobject", "todecimal", "bin", "floor",
			"abs", "ceiling", "round", "sqrt", "exp", "exp2", "exp10", "log", "log2", "log10", "pow",
			"binary_and", "binary_or", "binary_xor", "binary_not", "binary_shift_left", "binary_shift_right",
			"make_datetime", "make_timespan", "parse_json", "parse_xml", "split", "startofday",
			"format_datetime", "format_timespan", "bin_at":
			if len(x.Args) > 0 {
				return derivedName(x.Args[0])
			}
		case "strlen", "gettype":
			// ...and these a prefix plus the first argument's name.
			prefix := map[string]string{"strlen": "strlen_", "gettype": "type_"}[x.Fn.Name]
			if len(x.Args) > 0 {
				n, _ := derivedName(x.Args[0])
				return prefix + n, true
			}
		}
	}
	return "", false
}

func (c *checker) mvExpand(b *builder, o *syntax.MvExpandOp) *syntax.Error {
	// Name = expr forms extend first.
	var ext []*syntax.NamedExpr
	for _, col := range o.Cols {
		if col.Name != nil {
			ext = append(ext, &syntax.NamedExpr{Span: col.Span, Name: col.Name, Expr: col.Expr})
		} else if _, ok := col.Expr.(*syntax.Ident); !ok {
			return c.errf(col.Expr.Pos(), "mv-expand needs a column name or Name = expression")
		}
	}
	if len(ext) > 0 {
		if err := c.extend(b, ext); err != nil {
			return err
		}
	}
	b.flush(o.Span, "extend")
	m := &MvExpand{Limit: math.MaxInt32, ItemIndex: -1}
	if o.Legacy {
		m.Limit = 128
	}
	if o.Limit != nil {
		n, err := c.constCount(o.Limit)
		if err != nil {
			return err
		}
		m.Limit = n
	}
	switch o.Kind {
	case "", "bag":
	case "array":
		m.BagArray = true
	default:
		return c.errf(o.Pos(), "mv-expand: unknown kind %q (want bag or array)", o.Kind)
	}
	out := append(schema.Schema(nil), b.cols...)
	for _, col := range o.Cols {
		name := ""
		if col.Name != nil {
			name = col.Name.Name
		} else {
			name = col.Expr.(*syntax.Ident).Name
		}
		i := out.Index(name)
		if i < 0 {
			return c.unknownColumn(col.Expr.(*syntax.Ident), out)
		}
		if out[i].Type != schema.Dynamic {
			return c.errf(col.Expr.Pos(), "mv-expand needs a dynamic column; %q is %s", name, out[i].Type)
		}
		t := schema.Dynamic
		if col.ToType != "" {
			var err error
			if t, err = schema.ParseType(col.ToType); err != nil {
				return c.errf(col.Pos(), "%v", err)
			}
		}
		out[i].Type = t
		m.Cols = append(m.Cols, i)
		m.Types = append(m.Types, t)
	}
	if o.ItemIndex != nil {
		m.ItemIndex = len(out)
		out = append(out, schema.Column{Name: o.ItemIndex.Name, Type: schema.Long})
	}
	m.Base = Base{Schema: out, Sp: o.Span, Op: "mv-expand"}
	b.stages = append(b.stages, m)
	b.reset(out)
	return nil
}

// parseOp lowers `parse expr with pattern` to an extend of a hidden
// parse_pattern() call and one column per captured field.
func (c *checker) parseOp(b *builder, o *syntax.ParseOp) *syntax.Error {
	if o.Kind != "simple" && o.Kind != "regex" && o.Kind != "relaxed" {
		return c.errf(o.Pos(), "parse: unknown kind %q (want simple, regex or relaxed)", o.Kind)
	}
	if c.opts.Mode != ModeQuery {
		n := 0
		for _, p := range o.Pattern {
			if p.Col != nil {
				n++
			}
		}
		if n > 10 {
			return c.errf(o.Pos(), "parse extracts %d columns; DCR transformations allow at most 10 per parse", n)
		}
	}
	if b.needsFlush(o.Expr) {
		b.flush(o.Span, "extend")
	}
	in, err := c.expr(o.Expr, b.scope())
	if err != nil {
		return err
	}
	re, types, names, perr := parsePatternRegex(o)
	if perr != "" {
		return c.errf(o.Pos(), "parse: %s", perr)
	}
	if _, err := regexp.Compile(re); err != nil {
		return c.errf(o.Pos(), "parse: invalid pattern: %v", err)
	}
	hidden := fmt.Sprintf("__parse_%d", o.Pos())
	call := &Call{Fn: "parse_pattern", Args: []Expr{in, &Const{Value: re, T: schema.String}}, T: schema.Dynamic, Sp: o.Span}
	b.cols = append(append(schema.Schema(nil), b.cols...), schema.Column{Name: hidden, Type: schema.Dynamic})
	b.pending = append(append([]Expr(nil), b.pending...), call)
	b.flush(o.Span, "parse")
	hi := len(b.cols) - 1
	tmp := &Column{Index: hi, Name: hidden, T: schema.Dynamic}
	for i, name := range names {
		e := &Call{Fn: "convert", Args: []Expr{&Call{Fn: "index", Args: []Expr{tmp, &Const{Value: int64(i), T: schema.Long}}, T: schema.Dynamic}}, T: types[i], Sp: o.Span}
		if j := b.cols.Index(name); j >= 0 {
			b.cols[j].Type = types[i]
			b.pending[j] = e
		} else {
			b.cols = append(b.cols, schema.Column{Name: name, Type: types[i]})
			b.pending = append(b.pending, e)
		}
	}
	// drop the hidden column
	b.cols = append(b.cols[:hi:hi], b.cols[hi+1:]...)
	b.pending = append(b.pending[:hi:hi], b.pending[hi+1:]...)
	return nil
}

// parsePatternRegex builds the regular expression for a parse pattern.
func parsePatternRegex(o *syntax.ParseOp) (string, []schema.Type, []string, string) {
	var sb strings.Builder
	if o.Kind == "regex" && o.Flags != "" {
		sb.WriteString("(?" + strings.ReplaceAll(o.Flags, "U", "U") + ")")
	}
	sb.WriteString("^")
	if o.Kind == "regex" {
		sb.Reset()
		if o.Flags != "" {
			sb.WriteString("(?" + o.Flags + ")")
		}
	}
	var types []schema.Type
	var names []string
	for i, p := range o.Pattern {
		switch {
		case p.Star:
			sb.WriteString("(?:.*?)")
		case p.Const != nil:
			s, _ := p.Const.Value.(string)
			if o.Kind == "regex" {
				sb.WriteString(s)
			} else {
				sb.WriteString(regexp.QuoteMeta(s))
			}
		default:
			t, err := schema.ParseType(p.Type)
			if err != nil {
				return "", nil, nil, err.Error()
			}
			last := i == len(o.Pattern)-1
			switch t {
			case schema.Int, schema.Long:
				sb.WriteString(`(-?\d+)`)
			case schema.Real:
				sb.WriteString(`(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)`)
			default:
				if last {
					sb.WriteString("(.*)")
				} else {
					sb.WriteString("(.*?)")
				}
			}
			types = append(types, t)
			names = append(names, p.Col.Name)
		}
	}
	if o.Kind == "simple" {
		sb.WriteString("$")
	}
	if len(names) == 0 {
		return "", nil, nil, "the pattern extracts no columns"
	}
	return sb.String(), types, names, ""
}

// byKeys checks the by-clause of summarize or make-series (op names it in
// errors) and returns the key expressions and their output columns.
func (c *checker) byKeys(op string, by []*syntax.NamedExpr, sc *scope) ([]Expr, schema.Schema, *syntax.Error) {
	var keys []Expr
	var out schema.Schema
	for _, k := range by {
		if err := c.declName(k.Name); err != nil {
			return nil, nil, err
		}
		e, err := c.expr(k.Expr, sc)
		if err != nil {
			return nil, nil, err
		}
		name := ""
		if k.Name != nil {
			name = k.Name.Name
		} else if n, ok := derivedName(k.Expr); ok {
			name = n
		} else {
			name = nextColumnName(out, 0)
		}
		if e.Type() == schema.Dynamic {
			return nil, nil, c.errf(k.Expr.Pos(), "%s by a dynamic value is not allowed; convert it with tostring() or tolong() first", op)
		}
		if k.Name != nil && out.Index(name) >= 0 {
			return nil, nil, c.errf(k.Name.Pos(), "%s: a column with the name %q is already declared", op, name)
		}
		keys = append(keys, e)
		out = append(out, schema.Column{Name: uniqueName(out, name), Type: e.Type()})
	}
	return keys, out, nil
}

func (c *checker) summarize(b *builder, o *syntax.SummarizeOp) *syntax.Error {
	b.flush(o.Span, "project")
	sc := b.scope()
	s := &Summarize{}
	keys, out, err := c.byKeys("summarize", o.By, sc)
	if err != nil {
		return err
	}
	s.Keys = keys
	for _, a := range o.Aggs {
		if err := c.declName(a.Name); err != nil {
			return err
		}
		call, ok := a.Expr.(*syntax.Call)
		if !ok {
			return c.errf(a.Expr.Pos(), "summarize needs an aggregation function such as count() or max(x)")
		}
		// Aggregations with several output columns.
		var aggs []*Aggregate
		var names []string
		var multiErr *syntax.Error
		multi := true
		switch call.Fn.Name {
		case "arg_max", "arg_min":
			aggs, names, multiErr = c.argMax(call, sc, out)
		case "percentiles":
			aggs, names, multiErr = c.percentiles(call, sc)
		default:
			multi = false
		}
		if multiErr != nil {
			return multiErr
		}
		if multi {
			if a.Name != nil {
				names[0] = a.Name.Name
			}
			if err := c.tupleNames(a, names); err != nil {
				return err
			}
			for i, agg := range aggs {
				s.Aggs = append(s.Aggs, agg)
				out = append(out, schema.Column{Name: uniqueName(out, names[i]), Type: agg.T})
			}
			continue
		}
		agg, name, err := c.aggregate(call, sc)
		if err != nil {
			return err
		}
		one := []string{name}
		if err := c.tupleNames(a, one); err != nil {
			return err
		}
		name = one[0]
		if a.Name != nil {
			name = a.Name.Name
			if out.Index(name) >= 0 {
				return c.errf(a.Name.Pos(), "summarize: a column with the name %q is already declared", name)
			}
		}
		s.Aggs = append(s.Aggs, agg)
		out = append(out, schema.Column{Name: uniqueName(out, name), Type: agg.T})
	}
	if len(s.Aggs) == 0 && len(s.Keys) == 0 {
		return c.errf(o.Pos(), "summarize needs an aggregation or a by clause")
	}
	s.Base = Base{Schema: out, Sp: o.Span, Op: "summarize"}
	b.stages = append(b.stages, s)
	b.reset(out)
	return nil
}

// tupleNames applies `(a, b) = f(...)` names to the first output columns
// of an aggregation (KS150 when there are more names than values).
func (c *checker) tupleNames(a *syntax.NamedExpr, names []string) *syntax.Error {
	if len(a.Names) > len(names) {
		return c.errf(a.Names[len(names)].Pos(), "the name %q has no corresponding value (%d names for %d values)", a.Names[len(names)].Name, len(a.Names), len(names))
	}
	for i, n := range a.Names {
		if err := c.declName(n); err != nil {
			return err
		}
		names[i] = n.Name
	}
	return nil
}

func (c *checker) aggregate(call *syntax.Call, sc *scope) (*Aggregate, string, *syntax.Error) {
	fn := call.Fn.Name
	lim, ok := aggregates[fn]
	if !ok {
		if _, scalar := functions[fn]; scalar {
			return nil, "", c.errf(call.Pos(), "%s is not an aggregation function", fn)
		}
		return nil, "", c.errf(call.Pos(), "unknown aggregation function %q", fn)
	}
	if len(call.Args) < lim[0] || lim[1] >= 0 && len(call.Args) > lim[1] {
		return nil, "", c.errf(call.Pos(), "%s takes %s", fn, argCount(lim[0], lim[1]))
	}
	agg := &Aggregate{Fn: fn, Sp: call.Span}
	for _, a := range call.Args {
		if _, star := a.(*syntax.Star); star && fn == "count" {
			continue
		}
		e, err := c.expr(a, sc)
		if err != nil {
			return nil, "", err
		}
		agg.Args = append(agg.Args, e)
	}
	argName := ""
	if len(call.Args) > 0 {
		argName, _ = derivedName(call.Args[0])
	}
	name := fn + "_" + argName
	switch fn {
	case "count", "countif":
		agg.T = schema.Long
		name = fn + "_"
		if fn == "count" && len(agg.Args) == 1 {
			// count(predicate) is the legacy spelling of countif
			// (Kusto.Language: KS107 unless the argument is bool).
			name = "count_" + argName
			if t := agg.Args[0].Type(); t != schema.Bool && t != schema.Dynamic {
				return nil, "", c.errf(call.Args[0].Pos(), "count(x) counts rows where x is true and needs a bool; use count() or countif(predicate)")
			}
			agg.Fn = "countif"
			agg.Args[0] = asBool(agg.Args[0])
		}
	case "dcount":
		agg.T = schema.Long
	case "sum", "sumif":
		t := agg.Args[0].Type()
		switch {
		case t == schema.Int || t == schema.Long:
			agg.T = schema.Long
		case t == schema.Real || t == schema.Decimal || t == schema.Dynamic:
			agg.T = schema.Real
		case t == schema.TimeSpan:
			agg.T = schema.TimeSpan
		default:
			return nil, "", c.errf(call.Args[0].Pos(), "%s needs a number, got %s", fn, t)
		}
	case "avg":
		if t := agg.Args[0].Type(); !isNumeric(t) && t != schema.Dynamic && t != schema.TimeSpan {
			return nil, "", c.errf(call.Args[0].Pos(), "avg needs a number, got %s", t)
		}
		agg.T = schema.Real
		if agg.Args[0].Type() == schema.TimeSpan {
			agg.T = schema.TimeSpan
		}
	case "min", "max":
		agg.T = agg.Args[0].Type()
	case "take_any":
		agg.T = agg.Args[0].Type()
		name = argName
	case "any":
		agg.T = agg.Args[0].Type()
	case "make_list":
		agg.T = schema.Dynamic
		name = "list_" + argName
	case "make_set":
		agg.T = schema.Dynamic
		name = "set_" + argName
	case "percentile":
		t := agg.Args[0].Type()
		if !isNumeric(t) && t != schema.DateTime && t != schema.TimeSpan {
			return nil, "", c.errf(call.Args[0].Pos(), "percentile needs a number, datetime or timespan, got %s", t)
		}
		p, err := c.percentArg(call.Args[1], agg.Args[1], "percentile")
		if err != nil {
			return nil, "", err
		}
		agg.T, agg.P = t, p
		agg.Args = agg.Args[:1]
		name = percentileName(argName, p)
	case "percentiles_array":
		t := agg.Args[0].Type()
		if !isNumeric(t) && t != schema.DateTime && t != schema.TimeSpan {
			return nil, "", c.errf(call.Args[0].Pos(), "percentiles_array needs a number, datetime or timespan, got %s", t)
		}
		if k, ok := agg.Args[1].(*Const); ok && len(agg.Args) == 2 && k.T == schema.Dynamic {
			arr, ok := k.Value.([]any)
			if !ok || len(arr) == 0 {
				return nil, "", c.errf(call.Args[1].Pos(), "percentiles_array needs constant percentiles or a dynamic array of them")
			}
			for _, v := range arr {
				p, err := c.percentArg(call.Args[1], &Const{Value: v, T: schema.Real}, "percentiles_array")
				if err != nil {
					return nil, "", err
				}
				agg.Ps = append(agg.Ps, p)
			}
		} else {
			for i := 1; i < len(agg.Args); i++ {
				p, err := c.percentArg(call.Args[i], agg.Args[i], "percentiles_array")
				if err != nil {
					return nil, "", err
				}
				agg.Ps = append(agg.Ps, p)
			}
		}
		agg.T = schema.Dynamic
		agg.Args = agg.Args[:1]
		name = "percentiles_" + argName
	case "stdev", "stdevp", "variance", "variancep", "stdevif", "varianceif":
		if t := agg.Args[0].Type(); !isNumeric(t) {
			return nil, "", c.errf(call.Args[0].Pos(), "%s needs a number, got %s", fn, t)
		}
		agg.T = schema.Real
	case "avgif":
		t := agg.Args[0].Type()
		if !isNumeric(t) && t != schema.TimeSpan {
			return nil, "", c.errf(call.Args[0].Pos(), "avgif needs a number or timespan, got %s", t)
		}
		agg.T = schema.Real
		if t == schema.TimeSpan {
			agg.T = schema.TimeSpan
		}
	case "maxif", "minif":
		t := agg.Args[0].Type()
		if t == schema.Dynamic || t == schema.GUID {
			return nil, "", c.errf(call.Args[0].Pos(), "%s needs a number, timespan, datetime, string or bool, got %s", fn, t)
		}
		agg.T = t
	case "dcountif":
		agg.T = schema.Long
		if len(agg.Args) == 3 {
			agg.Args = agg.Args[:2] // accuracy: dcount is exact here
		}
	case "make_bag", "make_bag_if":
		if t := agg.Args[0].Type(); t != schema.Dynamic {
			return nil, "", c.errf(call.Args[0].Pos(), "%s needs a dynamic property bag, got %s", fn, t)
		}
		agg.T = schema.Dynamic
		name = "bag_" + argName
	case "make_list_if", "make_set_if":
		agg.T = schema.Dynamic
		name = map[string]string{"make_list_if": "list_", "make_set_if": "set_"}[fn] + argName
	}
	if fn == "make_bag" && len(agg.Args) == 2 || (fn == "make_bag_if" || fn == "make_list_if" || fn == "make_set_if") && len(agg.Args) == 3 {
		return nil, "", c.errf(call.Args[len(call.Args)-1].Pos(), "%s with a maximum size is not supported", fn)
	}
	switch fn {
	case "stdevif", "varianceif", "avgif", "maxif", "minif", "dcountif", "make_bag_if", "make_list_if", "make_set_if":
		pred := 1
		if t := agg.Args[pred].Type(); t != schema.Bool && t != schema.Dynamic {
			return nil, "", c.errf(call.Args[pred].Pos(), "%s needs a bool predicate, got %s", fn, t)
		}
		agg.Args[pred] = asBool(agg.Args[pred])
	}
	if fn == "countif" || fn == "sumif" {
		last := len(agg.Args) - 1
		if t := agg.Args[last].Type(); t != schema.Bool && t != schema.Dynamic {
			return nil, "", c.errf(call.Args[len(call.Args)-1].Pos(), "%s needs a bool predicate, got %s", fn, t)
		}
		agg.Args[last] = asBool(agg.Args[last])
	}
	if argName == "" && fn == "take_any" {
		name = "Column1"
	}
	return agg, name, nil
}

// typeofConversions maps typeof(T) to the conversion function applied to
// extract's match.
var typeofConversions = map[schema.Type]string{
	schema.String: "tostring", schema.Int: "toint", schema.Long: "tolong", schema.Real: "todouble",
	schema.Decimal: "todouble", schema.Bool: "tobool", schema.DateTime: "todatetime",
	schema.TimeSpan: "totimespan", schema.GUID: "toguid", schema.Dynamic: "parse_json",
}

// extractTyped checks extract(regex, group, text, typeof(T)): the match
// converted to T (null when it does not convert), as the conversion
// function of T applied to the three-argument extract.
func (c *checker) extractTyped(x *syntax.Call, sc *scope) (Expr, *syntax.Error) {
	tc, ok := x.Args[3].(*syntax.Call)
	var id *syntax.Ident
	if ok && tc.Fn.Name == "typeof" && len(tc.Args) == 1 {
		id, ok = tc.Args[0].(*syntax.Ident)
	} else {
		ok = false
	}
	if !ok {
		return nil, c.errf(x.Args[3].Pos(), "extract's fourth argument must be typeof(T), such as typeof(long)")
	}
	t, err := schema.ParseType(id.Name)
	conv := typeofConversions[t]
	if err != nil || conv == "" {
		return nil, c.errf(id.Pos(), "typeof(%s): unknown type", id.Name)
	}
	inner := *x
	inner.Args = x.Args[:3]
	e, serr := c.call(&inner, sc)
	if serr != nil {
		return nil, serr
	}
	rt := t
	if rt == schema.Decimal {
		rt = schema.Real
	}
	return &Call{Fn: conv, Args: []Expr{e}, T: rt, Sp: x.Span}, nil
}

// percentArg reads a constant percentile between 0 and 100.
func (c *checker) percentArg(src syntax.Expr, e Expr, fn string) (float64, *syntax.Error) {
	k, ok := e.(*Const)
	var p float64
	switch v := k.valueOrNil().(type) {
	case int64:
		p = float64(v)
	case float64:
		p = v
	default:
		ok = false
	}
	if !ok || p < 0 || p > 100 {
		return 0, c.errf(src.Pos(), "%s needs a constant between 0 and 100", fn)
	}
	return p, nil
}

// percentileName is Kusto's column name for percentile(x, p):
// percentile_x_95, with "." in p written "_" (99.5 → 99_5).
func percentileName(argName string, p float64) string {
	return "percentile_" + argName + "_" + strings.ReplaceAll(strconv.FormatFloat(p, 'f', -1, 64), ".", "_")
}

// percentiles expands percentiles(x, p1, p2, ...) into one percentile
// aggregate per p, named percentile_x_p1, percentile_x_p2, ...
func (c *checker) percentiles(call *syntax.Call, sc *scope) ([]*Aggregate, []string, *syntax.Error) {
	if len(call.Args) < 2 {
		return nil, nil, c.errf(call.Pos(), "percentiles takes at least 2 arguments")
	}
	x, err := c.expr(call.Args[0], sc)
	if err != nil {
		return nil, nil, err
	}
	t := x.Type()
	if !isNumeric(t) && t != schema.DateTime && t != schema.TimeSpan {
		return nil, nil, c.errf(call.Args[0].Pos(), "percentiles needs a number, datetime or timespan, got %s", t)
	}
	argName, _ := derivedName(call.Args[0])
	var aggs []*Aggregate
	var names []string
	for _, a := range call.Args[1:] {
		e, err := c.expr(a, sc)
		if err != nil {
			return nil, nil, err
		}
		p, err := c.percentArg(a, e, "percentiles")
		if err != nil {
			return nil, nil, err
		}
		aggs = append(aggs, &Aggregate{Fn: "percentile", Args: []Expr{x}, T: t, Sp: call.Span, P: p})
		names = append(names, percentileName(argName, p))
	}
	return aggs, names, nil
}

func argCount(min, max int) string {
	switch {
	case max < 0:
		return fmt.Sprintf("at least %d arguments", min)
	case min == max:
		if min == 1 {
			return "1 argument"
		}
		return fmt.Sprintf("%d arguments", min)
	}
	return fmt.Sprintf("%d to %d arguments", min, max)
}

// ---- scalar expressions ----

func (c *checker) expr(e syntax.Expr, sc *scope) (Expr, *syntax.Error) {
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > 400 {
		return nil, c.errf(e.Pos(), "expression nested too deeply")
	}
	sp := syntax.Span{From: e.Pos(), To: e.End()}
	switch x := e.(type) {
	case *syntax.Ident:
		if i := sc.cols.Index(x.Name); i >= 0 {
			if sc.pending != nil {
				return sc.pending[i], nil
			}
			return &Column{Index: i, Name: x.Name, T: sc.cols[i].Type, Sp: sp}, nil
		}
		if v, ok := c.scalars[x.Name]; ok {
			return v, nil
		}
		return nil, c.unknownColumn(x, sc.cols)
	case *syntax.Literal:
		return c.literal(x)
	case *syntax.Paren:
		return c.expr(x.X, sc)
	case *syntax.Star:
		return nil, c.errf(x.Pos(), "\"*\" is only allowed in count(*) and similar aggregations")
	case *syntax.Unary:
		in, err := c.expr(x.X, sc)
		if err != nil {
			return nil, err
		}
		t := in.Type()
		if !isNumeric(t) && t != schema.TimeSpan && t != schema.Dynamic {
			return nil, c.errf(x.Pos(), "cannot apply unary %q to %s", x.Op, t)
		}
		if x.Op == "+" {
			return in, nil
		}
		if k, ok := in.(*Const); ok {
			switch v := k.Value.(type) {
			case int64:
				return &Const{Value: -v, T: k.T, Sp: sp}, nil
			case float64:
				return &Const{Value: -v, T: k.T, Sp: sp}, nil
			case time.Duration:
				return &Const{Value: -v, T: k.T, Sp: sp}, nil
			}
		}
		return &Call{Fn: "neg", Args: []Expr{in}, T: t, Sp: sp}, nil
	case *syntax.Binary:
		return c.binary(x, sc)
	case *syntax.InExpr:
		in, err := c.expr(x.X, sc)
		if err != nil {
			return nil, err
		}
		args := []Expr{in}
		for _, a := range x.List {
			ae, err := c.expr(a, sc)
			if err != nil {
				return nil, err
			}
			if x.Op != "has_any" && x.Op != "has_all" {
				if err := c.comparable(a.Pos(), x.Op, in.Type(), ae.Type()); err != nil {
					return nil, err
				}
			}
			args = append(args, ae)
		}
		return &Call{Fn: x.Op, Args: args, T: schema.Bool, Sp: sp}, nil
	case *syntax.Between:
		var args []Expr
		for _, a := range []syntax.Expr{x.X, x.Lo, x.Hi} {
			ae, err := c.expr(a, sc)
			if err != nil {
				return nil, err
			}
			args = append(args, ae)
		}
		for _, bound := range args[1:] {
			if err := c.comparable(x.X.Pos(), "between", args[0].Type(), bound.Type()); err != nil {
				return nil, err
			}
		}
		fn := "between"
		if x.Not {
			fn = "!between"
		}
		return &Call{Fn: fn, Args: args, T: schema.Bool, Sp: sp}, nil
	case *syntax.Member:
		in, err := c.expr(x.X, sc)
		if err != nil {
			return nil, err
		}
		if in.Type() != schema.Dynamic {
			return nil, c.errf(x.Name.Pos(), "cannot read property %q of a %s value; only dynamic values have properties (use parse_json)", x.Name.Name, in.Type())
		}
		return &Call{Fn: "getprop", Args: []Expr{in, &Const{Value: x.Name.Name, T: schema.String}}, T: schema.Dynamic, Sp: sp}, nil
	case *syntax.Index:
		in, err := c.expr(x.X, sc)
		if err != nil {
			return nil, err
		}
		idx, err := c.expr(x.Index, sc)
		if err != nil {
			return nil, err
		}
		if in.Type() != schema.Dynamic {
			return nil, c.errf(x.Index.Pos(), "cannot index a %s value; only dynamic values have elements", in.Type())
		}
		switch t := idx.Type(); {
		case t == schema.String:
			return &Call{Fn: "getprop", Args: []Expr{in, idx}, T: schema.Dynamic, Sp: sp}, nil
		case t == schema.Int || t == schema.Long || t == schema.Dynamic:
			return &Call{Fn: "index", Args: []Expr{in, idx}, T: schema.Dynamic, Sp: sp}, nil
		default:
			return nil, c.errf(x.Index.Pos(), "an index must be a string or a whole number, got %s", t)
		}
	case *syntax.Call:
		return c.call(x, sc)
	}
	return nil, c.errf(e.Pos(), "unsupported expression")
}

func (c *checker) literal(l *syntax.Literal) (Expr, *syntax.Error) {
	sp := l.Span
	t, err := schema.ParseType(string(l.Kind))
	if err != nil {
		return nil, c.errf(l.Pos(), "%v", err)
	}
	if t == schema.Decimal {
		t = schema.Real
	}
	if l.Null {
		return &Const{T: t, Sp: sp}, nil
	}
	switch l.Kind {
	case syntax.LitDateTime:
		tm, ok := value.ParseDateTime(l.Raw)
		if !ok {
			return nil, c.errf(l.Pos(), "invalid datetime literal %q", l.Raw)
		}
		return &Const{Value: tm, T: t, Sp: sp}, nil
	case syntax.LitTimespan:
		if d, ok := l.Value.(time.Duration); ok {
			return &Const{Value: d, T: t, Sp: sp}, nil
		}
		d, ok := value.ParseTimespan(l.Raw)
		if !ok {
			return nil, c.errf(l.Pos(), "invalid timespan literal %q", l.Raw)
		}
		return &Const{Value: d, T: t, Sp: sp}, nil
	case syntax.LitGUID:
		g, ok := value.ParseGUID(l.Raw)
		if !ok {
			return nil, c.errf(l.Pos(), "invalid guid literal %q", l.Raw)
		}
		return &Const{Value: g, T: t, Sp: sp}, nil
	case syntax.LitDynamic:
		return &Const{Value: value.ToDynamic(l.Value), T: t, Sp: sp}, nil
	}
	return &Const{Value: l.Value, T: t, Sp: sp}, nil
}

var stringPredicates = map[string]bool{
	"=~": true, "!~": true, "matches regex": true,
}

func init() {
	for _, base := range []string{"contains", "has", "hasprefix", "hassuffix", "startswith", "endswith"} {
		for _, s := range []string{base, base + "_cs"} {
			stringPredicates[s] = true
			stringPredicates["!"+s] = true
		}
	}
}

func (c *checker) comparable(pos syntax.Pos, op string, a, b schema.Type) *syntax.Error {
	if (op == "<" || op == "<=" || op == ">" || op == ">=") && (a == schema.String || b == schema.String) && a != schema.Dynamic && b != schema.Dynamic {
		return c.errf(pos, "the operator %q is not defined for strings", op)
	}
	switch {
	case a == b, a == schema.Dynamic, b == schema.Dynamic:
		return nil
	case isNumeric(a) && isNumeric(b):
		return nil
	case (a == schema.GUID && b == schema.String) || (a == schema.String && b == schema.GUID):
		return nil
	}
	return c.errf(pos, "cannot compare %s with %s using %q", a, b, op)
}

func (c *checker) binary(x *syntax.Binary, sc *scope) (Expr, *syntax.Error) {
	l, err := c.expr(x.L, sc)
	if err != nil {
		return nil, err
	}
	r, err := c.expr(x.R, sc)
	if err != nil {
		return nil, err
	}
	sp := x.Span
	lt, rt := l.Type(), r.Type()
	mk := func(t schema.Type) (Expr, *syntax.Error) {
		return &Call{Fn: x.Op, Args: []Expr{l, r}, T: t, Sp: sp}, nil
	}
	switch x.Op {
	case "and", "or":
		for _, side := range []Expr{l, r} {
			if t := side.Type(); t != schema.Bool && t != schema.Dynamic {
				return nil, c.errf(side.Span().From, "%q needs bool operands, got %s", x.Op, t)
			}
		}
		return &Call{Fn: x.Op, Args: []Expr{asBool(l), asBool(r)}, T: schema.Bool, Sp: sp}, nil
	case "==", "!=", "<", "<=", ">", ">=":
		if err := c.comparable(x.OpPos, x.Op, lt, rt); err != nil {
			return nil, err
		}
		if x.Op != "==" && x.Op != "!=" && (lt == schema.Bool || rt == schema.Bool) {
			return nil, c.errf(x.OpPos, "cannot order bool values with %q", x.Op)
		}
		return mk(schema.Bool)
	case "matches regex":
		if k, ok := r.(*Const); ok {
			if s, ok := k.Value.(string); ok {
				if _, err := regexp.Compile(s); err != nil {
					return nil, c.errf(x.R.Pos(), "invalid regular expression: %v", err)
				}
			}
		}
		return mk(schema.Bool)
	}
	if stringPredicates[x.Op] {
		return mk(schema.Bool)
	}
	// arithmetic
	t, ok := arithType(x.Op, lt, rt)
	if !ok {
		return nil, c.errf(x.OpPos, "cannot apply %q to %s and %s", x.Op, lt, rt)
	}
	return mk(t)
}

// arithType gives the result type of an arithmetic operator.
func arithType(op string, a, b schema.Type) (schema.Type, bool) {
	if a == schema.Dynamic || b == schema.Dynamic {
		return schema.Dynamic, true
	}
	num := func() schema.Type {
		if a == schema.Real || b == schema.Real || a == schema.Decimal || b == schema.Decimal {
			return schema.Real
		}
		// int op int is long (Kusto.Language, measured with tools/kqloracle).
		return schema.Long
	}
	dt, ts := schema.DateTime, schema.TimeSpan
	switch op {
	case "+":
		switch {
		case isNumeric(a) && isNumeric(b):
			return num(), true
		case a == dt && b == ts, a == ts && b == dt:
			return dt, true
		case a == ts && b == ts:
			return ts, true
		}
	case "-":
		switch {
		case isNumeric(a) && isNumeric(b):
			return num(), true
		case a == dt && b == dt:
			return ts, true
		case a == dt && b == ts:
			return dt, true
		case a == ts && b == ts:
			return ts, true
		}
	case "*":
		switch {
		case isNumeric(a) && isNumeric(b):
			return num(), true
		case a == ts && isNumeric(b), isNumeric(a) && b == ts:
			return ts, true
		}
	case "/":
		switch {
		case isNumeric(a) && isNumeric(b):
			return num(), true
		case a == ts && b == ts:
			return schema.Real, true
		case a == ts && isNumeric(b):
			return ts, true
		}
	case "%":
		switch {
		case isNumeric(a) && isNumeric(b):
			return num(), true
		case a == ts && b == ts:
			return ts, true
		}
	}
	return "", false
}

func (c *checker) call(x *syntax.Call, sc *scope) (Expr, *syntax.Error) {
	name := x.Fn.Name
	sp := x.Span
	if f, ok := c.funcs[name]; ok {
		return c.userCall(x, f, sc)
	}
	switch name {
	case "columnifexists", "column_ifexists":
		if len(x.Args) != 2 {
			return nil, c.errf(x.Pos(), "%s takes 2 arguments", name)
		}
		lit, ok := x.Args[0].(*syntax.Literal)
		var col string
		if ok {
			col, ok = lit.Value.(string)
		}
		if !ok || lit.Kind != syntax.LitString {
			return nil, c.errf(x.Args[0].Pos(), "%s needs a constant column name", name)
		}
		def, err := c.expr(x.Args[1], sc)
		if err != nil {
			return nil, err
		}
		if i := sc.cols.Index(col); i >= 0 {
			if sc.pending != nil {
				return sc.pending[i], nil
			}
			return &Column{Index: i, Name: col, T: sc.cols[i].Type, Sp: sp}, nil
		}
		return def, nil
	case "geo_location":
		return nil, c.errf(x.Pos(), "geo_location is not available: no IP geolocation database is configured")
	case "extract":
		if len(x.Args) == 4 {
			return c.extractTyped(x, sc)
		}
	}
	sig, ok := functions[name]
	if !ok {
		if _, agg := aggregates[name]; agg {
			return nil, c.errf(x.Pos(), "aggregation function %s() is only allowed in summarize", name)
		}
		return nil, c.errf(x.Pos(), "unknown function %q", name)
	}
	if c.opts.Mode != ModeQuery && !sig.dcr {
		return nil, c.errf(x.Pos(), "function %q is not supported in DCR transformations", name)
	}
	if len(x.Args) < sig.min || (sig.max >= 0 && len(x.Args) > sig.max) {
		return nil, c.errf(x.Pos(), "%s takes %s, got %d", name, argCount(sig.min, sig.max), len(x.Args))
	}
	args := make([]Expr, len(x.Args))
	for i, a := range x.Args {
		e, err := c.expr(a, sc)
		if err != nil {
			return nil, err
		}
		args[i] = e
	}
	if err := c.checkArgs(name, x, args); err != nil {
		return nil, err
	}
	switch name {
	case "iif":
		name = "iff"
	case "toreal":
		name = "todouble"
	case "toboolean":
		name = "tobool"
	case "todynamic", "toobject":
		name = "parse_json"
	case "totime":
		name = "totimespan"
	case "base64_encode_tostring":
		name = "base64_encodestring"
	case "base64_decode_tostring":
		name = "base64_decodestring"
	case "bag_pack":
		name = "pack"
	case "todecimal":
		name = "todouble"
	case "floor":
		name = "bin"
	}
	if name == "case" && len(args)%2 == 0 {
		return nil, c.errf(x.Pos(), "case takes pairs of predicate, value and a final else value (odd argument count)")
	}
	if name == "pack" && len(args)%2 != 0 {
		return nil, c.errf(x.Pos(), "pack takes key/value pairs (even argument count)")
	}
	t, err := sig.result(c, x, args)
	if err != nil {
		return nil, err
	}
	switch name {
	case "iff", "not":
		args[0] = asBool(args[0])
	case "case":
		for i := 0; i+1 < len(args); i += 2 {
			args[i] = asBool(args[i])
		}
	}
	return &Call{Fn: name, Args: args, T: t, Sp: sp}, nil
}

// userCall inlines a let-bound scalar function.
func (c *checker) userCall(x *syntax.Call, f *syntax.FuncDef, sc *scope) (Expr, *syntax.Error) {
	if f.Body == nil {
		return nil, c.errf(x.Pos(), "tabular function %q cannot be used in a scalar expression", x.Fn.Name)
	}
	c.inlined++
	if c.inlined > 10000 {
		return nil, c.errf(x.Pos(), "too many user function expansions (more than 10000)")
	}
	if len(x.Args) > len(f.Params) {
		return nil, c.errf(x.Pos(), "%s takes %d arguments, got %d", x.Fn.Name, len(f.Params), len(x.Args))
	}
	saved := c.scalars
	bound := make(map[string]Expr, len(saved)+len(f.Params))
	for k, v := range saved {
		bound[k] = v
	}
	for i, p := range f.Params {
		var a Expr
		var err *syntax.Error
		switch {
		case i < len(x.Args):
			a, err = c.expr(x.Args[i], sc)
		case p.Default != nil:
			a, err = c.expr(p.Default, &scope{})
		default:
			return nil, c.errf(x.Pos(), "%s: missing argument %q", x.Fn.Name, p.Name.Name)
		}
		if err != nil {
			return nil, err
		}
		pt, perr := schema.ParseType(p.Type)
		if perr != nil {
			return nil, c.errf(p.Pos(), "%v", perr)
		}
		if a.Type() != pt && !isNullConst(a) {
			if _, ok := unify(pt, a.Type(), false); !ok {
				return nil, c.errf(x.Args[i].Pos(), "%s: argument %q must be %s, got %s", x.Fn.Name, p.Name.Name, pt, a.Type())
			}
		}
		bound[p.Name.Name] = a
	}
	c.scalars = bound
	defer func() { c.scalars = saved }()
	for _, l := range f.Lets {
		if l.Expr == nil {
			return nil, c.errf(l.Pos(), "only scalar let statements are supported inside functions")
		}
		e, err := c.expr(l.Expr, &scope{})
		if err != nil {
			return nil, err
		}
		c.scalars[l.Name.Name] = e
	}
	return c.expr(f.Body, &scope{})
}

// asBool wraps a dynamic expression used as a predicate in tobool(), so
// every backend sees a bool (a non-bool dynamic value is null, i.e. false).
func asBool(e Expr) Expr {
	if e.Type() != schema.Dynamic {
		return e
	}
	return &Call{Fn: "tobool", Args: []Expr{e}, T: schema.Bool, Sp: e.Span()}
}

// valueOrNil returns the constant's value (nil for a nil *Const).
func (k *Const) valueOrNil() any {
	if k == nil {
		return nil
	}
	return k.Value
}

// argMax checks arg_max/arg_min(ExprToMaximize, * | Expr, ...): one
// aggregate per output column, the maximised expression first.
func (c *checker) argMax(call *syntax.Call, sc *scope, keys schema.Schema) ([]*Aggregate, []string, *syntax.Error) {
	fn := call.Fn.Name
	if len(call.Args) == 0 {
		return nil, nil, c.errf(call.Pos(), "%s takes at least 1 argument", fn)
	}
	if _, star := call.Args[0].(*syntax.Star); star {
		return nil, nil, c.errf(call.Args[0].Pos(), "%s needs an expression to maximise first", fn)
	}
	by, err := c.expr(call.Args[0], sc)
	if err != nil {
		return nil, nil, err
	}
	if by.Type() == schema.Dynamic || by.Type() == schema.Bool {
		return nil, nil, c.errf(call.Args[0].Pos(), "%s cannot order by a %s value", fn, by.Type())
	}
	byName, ok := derivedName(call.Args[0])
	if !ok {
		byName = strings.TrimPrefix(fn, "arg_") + "_"
	}
	exprs := []Expr{by}
	names := []string{byName}
	for _, a := range call.Args[1:] {
		if _, star := a.(*syntax.Star); star {
			for i, col := range sc.cols {
				if col.Name == byName || keys.Index(col.Name) >= 0 {
					continue // * means the columns not already in the output
				}
				var e Expr = &Column{Index: i, Name: col.Name, T: col.Type}
				if sc.pending != nil {
					e = sc.pending[i]
				}
				exprs = append(exprs, e)
				names = append(names, col.Name)
			}
			continue
		}
		e, err := c.expr(a, sc)
		if err != nil {
			return nil, nil, err
		}
		name, ok := derivedName(a)
		if !ok {
			name = "Column1"
		}
		exprs = append(exprs, e)
		names = append(names, name)
	}
	aggs := make([]*Aggregate, len(exprs))
	for i, e := range exprs {
		aggs[i] = &Aggregate{Fn: fn, Args: exprs, T: e.Type(), Sp: call.Span, Field: i}
	}
	return aggs, names, nil
}

// DotNetTypeName is the DataType column of getschema.
func DotNetTypeName(t schema.Type) string {
	switch t {
	case schema.String:
		return "System.String"
	case schema.Int:
		return "System.Int32"
	case schema.Long:
		return "System.Int64"
	case schema.Real:
		return "System.Double"
	case schema.Decimal:
		return "System.Data.SqlTypes.SqlDecimal"
	case schema.Bool:
		return "System.SByte"
	case schema.DateTime:
		return "System.DateTime"
	case schema.TimeSpan:
		return "System.TimeSpan"
	case schema.GUID:
		return "System.Guid"
	}
	return "System.Object"
}

// maxOperands bounds the tabular operands of union/join checked in one
// query: let-bound tables are re-checked at every reference, so
// `let b = a | union a` chains would otherwise grow exponentially.
const maxOperands = 256

func (c *checker) operand(pl *syntax.Pipeline) (*Query, *syntax.Error) {
	c.operands++
	if c.operands > maxOperands {
		return nil, c.errf(pl.Pos(), "query has too many union/join operands once let statements are expanded (more than %d)", maxOperands)
	}
	return c.pipeline(pl, false)
}

// sourceTableName returns the table name union withsource= reports for an
// operand: the name of a plain table reference (not a let-bound tabular).
func (c *checker) sourceTableName(pl *syntax.Pipeline) (string, bool) {
	tr, ok := pl.Source.(*syntax.TableRef)
	if !ok || len(pl.Ops) > 0 {
		return "", false
	}
	if _, let := c.tabs[tr.Name.Name]; let {
		return "", false
	}
	return tr.Name.Name, true
}

// union checks `| union A, (B | ...)` and, with first set, the source
// form `union first, A, ...` (first already built into b). kind=outer
// (the default) outputs every column name in order of first appearance; a
// name with several types becomes one column per type, named name_type
// (a_long, a_string), in order of appearance. kind=inner keeps the columns
// every operand has (same name and type). withsource=C adds a first string
// column with the operand's table name.
func (c *checker) union(b *builder, o *syntax.UnionOp, first *syntax.Pipeline) *syntax.Error {
	kind := strings.ToLower(o.Kind)
	if kind != "" && kind != "outer" && kind != "inner" {
		return c.errf(o.Pos(), "union kind=%s is not supported (kind=outer, the default, and kind=inner are)", o.Kind)
	}
	for _, prm := range o.Params {
		if strings.ToLower(prm.Name) == "isfuzzy" && strings.ToLower(prm.Value) == "false" {
			continue
		}
		return c.errf(prm.Pos(), "union parameter %s=%s is not supported", prm.Name, prm.Value)
	}
	var srcNames []string
	if o.WithSource != nil {
		if first == nil {
			return c.errf(o.WithSource.Pos(), "union withsource= after a pipe is not supported; write union withsource=%s A, B with table names", o.WithSource.Name)
		}
		if err := c.declName(o.WithSource); err != nil {
			return err
		}
		for _, pl := range append([]*syntax.Pipeline{first}, o.Tables...) {
			name, ok := c.sourceTableName(pl)
			if !ok {
				return c.errf(pl.Pos(), "union withsource= needs table names as operands (Kusto names other operands union_argN); this operand is an expression")
			}
			srcNames = append(srcNames, name)
		}
	}
	b.flush(o.Span, "project")
	schemas := []schema.Schema{b.cols}
	var inputs []*Query
	for _, pl := range o.Tables {
		q, err := c.operand(pl)
		if err != nil {
			return err
		}
		inputs = append(inputs, q)
		schemas = append(schemas, q.Output)
	}
	// Column names in order of first appearance, each with its types in
	// order of appearance.
	var names []string
	types := map[string][]schema.Type{}
	for _, s := range schemas {
		for _, col := range s {
			ts, seen := types[col.Name]
			if !seen {
				names = append(names, col.Name)
			}
			if !slices.Contains(ts, col.Type) {
				types[col.Name] = append(ts, col.Type)
			}
		}
	}
	var out schema.Schema
	maps := make([][]int, len(schemas))
	if srcNames != nil {
		out = append(out, schema.Column{Name: o.WithSource.Name, Type: schema.String})
		for i := range maps {
			maps[i] = append(maps[i], -1)
		}
	}
	for _, name := range names {
		ts := types[name]
		if kind == "inner" {
			if len(ts) > 1 {
				return c.errf(o.Pos(), "union kind=inner: column %q is %s in one operand and %s in another; convert one of them", name, ts[0], ts[1])
			}
			everywhere := true
			for _, s := range schemas {
				everywhere = everywhere && s.Index(name) >= 0
			}
			if !everywhere {
				continue
			}
		}
		for _, t := range ts {
			colName := name
			if len(ts) > 1 {
				colName = name + "_" + string(t)
			}
			if out.Index(colName) >= 0 || srcNames != nil && colName == o.WithSource.Name {
				return c.errf(o.Pos(), "union: the output would have two columns named %q", colName)
			}
			out = append(out, schema.Column{Name: colName, Type: t})
			for i, s := range schemas {
				j := s.Index(name)
				if j >= 0 && s[j].Type != t {
					j = -1
				}
				maps[i] = append(maps[i], j)
			}
		}
	}
	if len(out) == 0 {
		return c.errf(o.Pos(), "union kind=inner: the operands have no column in common")
	}
	b.stages = append(b.stages, &Union{Base: Base{Schema: out, Sp: o.Span, Op: "union"}, Self: true, Inputs: inputs, Maps: maps, SourceNames: srcNames})
	b.reset(out)
	return nil
}

// join checks `| join kind=K (right) on key, $left.a == $right.b`.
func (c *checker) join(b *builder, o *syntax.JoinOp) *syntax.Error {
	kind := strings.ToLower(o.Kind)
	if o.Lookup {
		switch kind {
		case "":
			kind = "leftouter" // lookup's default
		case "leftouter", "inner":
		default:
			return c.errf(o.Pos(), "lookup kind=%s is not supported (leftouter, the default, and inner are)", o.Kind)
		}
	}
	switch kind {
	case "inner", "innerunique", "leftouter", "leftanti", "leftsemi", "rightouter", "fullouter", "rightanti", "rightsemi":
	case "":
		kind = "innerunique" // Kusto's default
	case "anti", "leftantisemi":
		kind = "leftanti"
	case "rightantisemi":
		kind = "rightanti"
	default:
		return c.errf(o.Pos(), "join kind=%s is not supported (innerunique, inner, leftouter, rightouter, fullouter, leftanti, rightanti, leftsemi and rightsemi are)", o.Kind)
	}
	b.flush(o.Span, "project")
	right, err := c.operand(o.Right)
	if err != nil {
		return err
	}
	left := b.cols
	j := &Join{Kind: kind, Right: right}
	side := func(e syntax.Expr) (string, string, bool) {
		m, ok := e.(*syntax.Member)
		if !ok {
			return "", "", false
		}
		id, ok := m.X.(*syntax.Ident)
		if !ok || (id.Name != "$left" && id.Name != "$right") {
			return "", "", false
		}
		return id.Name, m.Name.Name, true
	}
	for _, k := range o.On {
		var ln, rn string
		switch x := k.(type) {
		case *syntax.Ident:
			ln, rn = x.Name, x.Name
		case *syntax.Binary:
			s1, n1, ok1 := side(x.L)
			s2, n2, ok2 := side(x.R)
			if x.Op != "==" || !ok1 || !ok2 || s1 == s2 {
				return c.errf(k.Pos(), "join keys must be column names or $left.a == $right.b")
			}
			if s1 == "$left" {
				ln, rn = n1, n2
			} else {
				ln, rn = n2, n1
			}
		default:
			return c.errf(k.Pos(), "join keys must be column names or $left.a == $right.b")
		}
		li, ri := left.Index(ln), right.Output.Index(rn)
		if li < 0 {
			return c.errf(k.Pos(), "join: the left side has no column %q", ln)
		}
		if ri < 0 {
			return c.errf(k.Pos(), "join: the right side has no column %q", rn)
		}
		if left[li].Type != right.Output[ri].Type {
			return c.errf(k.Pos(), "join: key %q is %s on the left and %s on the right", ln, left[li].Type, right.Output[ri].Type)
		}
		if left[li].Type == schema.Dynamic {
			return c.errf(k.Pos(), "join: key %q is dynamic; convert it first", ln)
		}
		j.LeftKeys = append(j.LeftKeys, li)
		j.RightKeys = append(j.RightKeys, ri)
	}
	out := append(schema.Schema(nil), left...)
	switch kind {
	case "inner", "innerunique", "leftouter", "rightouter", "fullouter":
		for i, col := range right.Output {
			if o.Lookup && slices.Contains(j.RightKeys, i) {
				continue // lookup does not repeat the right key columns
			}
			j.RightCols = append(j.RightCols, i)
			out = append(out, schema.Column{Name: uniqueName(out, col.Name), Type: col.Type})
		}
	case "rightanti", "rightsemi":
		out = append(schema.Schema(nil), right.Output...)
	}
	j.Base = Base{Schema: out, Sp: o.Span, Op: map[bool]string{false: "join", true: "lookup"}[o.Lookup]}
	b.stages = append(b.stages, j)
	b.reset(out)
	return nil
}

// reservedNames are type keywords Kusto.Language refuses as unbracketed
// declared column names (KS228, measured with tools/kqloracle).
var reservedNames = map[string]bool{"boolean": true, "int": true, "int64": true, "long": true, "real": true,
	"double": true, "float": true, "decimal": true, "string": true, "datetime": true, "date": true,
	"timespan": true, "time": true, "dynamic": true}

// declName checks a declared column name (Name = ...).
func (c *checker) declName(id *syntax.Ident) *syntax.Error {
	if id != nil && !id.Quoted && reservedNames[id.Name] {
		return c.errf(id.Pos(), "the name %q is a type keyword and must be bracketed as ['%s']", id.Name, id.Name)
	}
	return nil
}

// seriesFuncs are the aggregations make-series accepts (numeric results).
var seriesFuncs = map[string]bool{"count": true, "countif": true, "sum": true, "sumif": true, "avg": true,
	"avgif": true, "min": true, "max": true, "minif": true, "maxif": true, "dcount": true, "dcountif": true,
	"stdev": true, "stdevif": true, "stdevp": true, "variance": true, "varianceif": true, "variancep": true}

// makeSeries checks make-series with explicit from and to (Kusto derives
// missing bounds per series from the data; that is refused).
func (c *checker) makeSeries(b *builder, o *syntax.MakeSeriesOp) *syntax.Error {
	if o.Kind != "" {
		return c.errf(o.Pos(), "make-series kind=%s is not supported", o.Kind)
	}
	if o.From == nil || o.To == nil {
		return c.errf(o.Pos(), "make-series needs explicit from and to bounds here (Kusto derives missing bounds per series from the data)")
	}
	b.flush(o.Span, "project")
	sc := b.scope()
	m := &MakeSeries{}
	keys, out, err := c.byKeys("make-series", o.By, sc)
	if err != nil {
		return err
	}
	m.Keys = keys
	noCols := &scope{}
	for i, a := range o.Aggs {
		if err := c.declName(a.Name); err != nil {
			return err
		}
		call, ok := a.Expr.(*syntax.Call)
		if !ok || !seriesFuncs[call.Fn.Name] {
			return c.errf(a.Expr.Pos(), "make-series needs an aggregation with a numeric result (count, sum, avg, min, max, dcount, stdev, variance and their *if forms)")
		}
		agg, name, err := c.aggregate(call, sc)
		if err != nil {
			return err
		}
		if t := agg.T; t != schema.Int && t != schema.Long && t != schema.Real {
			return c.errf(a.Expr.Pos(), "make-series needs a numeric aggregation result, %s gives %s", call.Fn.Name, t)
		}
		one := []string{name}
		if err := c.tupleNames(a, one); err != nil {
			return err
		}
		name = one[0]
		if a.Name != nil {
			name = a.Name.Name
		}
		var def any = int64(0)
		if d := o.Defaults[i]; d != nil {
			e, err := c.expr(d, noCols)
			if err != nil {
				return err
			}
			k, ok := e.(*Const)
			switch {
			case !ok:
				return c.errf(d.Pos(), "make-series default needs a constant")
			case k.Value == nil:
				def = nil
			case isNumeric(k.T):
				def = k.Value
			default:
				return c.errf(d.Pos(), "make-series default needs a number or null, got %s", k.T)
			}
		}
		m.Aggs = append(m.Aggs, agg)
		m.Defaults = append(m.Defaults, def)
		out = append(out, schema.Column{Name: uniqueName(out, name), Type: schema.Dynamic})
	}
	axis, err := c.expr(o.Axis, sc)
	if err != nil {
		return err
	}
	at := axis.Type()
	if at != schema.DateTime && at != schema.TimeSpan && !isNumeric(at) {
		return c.errf(o.Axis.Pos(), "make-series needs a datetime, timespan or numeric axis, got %s", at)
	}
	bound := func(x syntax.Expr, want schema.Type, what string) (Expr, *syntax.Error) {
		e, err := c.expr(x, noCols)
		if err != nil {
			return nil, c.errf(x.Pos(), "make-series %s must not depend on the rows: %s", what, err.Msg)
		}
		if t := e.Type(); t != want && !(isNumeric(want) && isNumeric(t)) {
			return nil, c.errf(x.Pos(), "make-series %s needs a %s, got %s", what, want, t)
		}
		return e, nil
	}
	stepType := schema.TimeSpan
	if isNumeric(at) {
		stepType = schema.Real
	}
	if m.From, err = bound(o.From, at, "from"); err != nil {
		return err
	}
	if m.To, err = bound(o.To, at, "to"); err != nil {
		return err
	}
	if m.Step, err = bound(o.Step, stepType, "step"); err != nil {
		return err
	}
	if k, ok := m.Step.(*Const); ok {
		positive := false
		switch v := k.Value.(type) {
		case time.Duration:
			positive = v >= time.Microsecond || at == schema.TimeSpan && v > 0
		case int64:
			positive = v > 0
		case float64:
			positive = v > 0
		}
		if !positive {
			return c.errf(o.Step.Pos(), "make-series step must be positive")
		}
	}
	m.Axis, m.AxisType = axis, at
	axisName, _ := derivedName(o.Axis)
	out = append(out, schema.Column{Name: uniqueName(out, axisName), Type: schema.Dynamic})
	m.Base = Base{Schema: out, Sp: o.Span, Op: "make-series"}
	b.stages = append(b.stages, m)
	b.reset(out)
	return nil
}
