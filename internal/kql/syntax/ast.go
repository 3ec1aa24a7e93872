package syntax

import "time"

// Pos is a byte offset into the query source.
type Pos int

// Node is any syntax tree node.
type Node interface {
	Pos() Pos // first byte
	End() Pos // byte after the last
}

// Span is embedded in every node to carry its source range.
type Span struct {
	From, To Pos
}

// Pos returns the start offset.
func (s Span) Pos() Pos { return s.From }

// End returns the end offset.
func (s Span) End() Pos { return s.To }

// Query is a whole query: let statements followed by one tabular expression.
type Query struct {
	Span
	Src  string
	Lets []*LetStmt
	Body *Pipeline
}

// LetStmt is `let Name = value;`. Exactly one of Expr, Tabular, Func is set.
type LetStmt struct {
	Span
	Name    *Ident
	Expr    Expr
	Tabular *Pipeline
	Func    *FuncDef
}

// FuncDef is a user-defined function `(a:string, b:long) { body }`.
type FuncDef struct {
	Span
	Params []*Param
	Lets   []*LetStmt
	Body   Expr // scalar body
	Tab    *Pipeline
}

// Param is one function parameter.
type Param struct {
	Span
	Name    *Ident
	Type    string
	Default Expr
}

// Pipeline is a source followed by `| op` stages.
type Pipeline struct {
	Span
	Source Source
	Ops    []Op
}

// Source starts a pipeline: *TableRef, *PrintOp, *DatatableOp, *UnionOp, *ParenSource.
type Source interface {
	Node
	sourceNode()
}

// Op is a tabular operator after a pipe.
type Op interface {
	Node
	OpName() string // canonical spelling, e.g. "project-away"
}

// TableRef names a table (or a let-bound tabular value).
type TableRef struct {
	Span
	Name *Ident
}

// ParenSource is a parenthesised pipeline used as a source.
type ParenSource struct {
	Span
	Pipe *Pipeline
}

// NamedExpr is `Name = Expr` or a bare `Expr` (Name nil). Names may be a
// parenthesised list for multi-value assignments; Names holds them.
type NamedExpr struct {
	Span
	Name  *Ident
	Names []*Ident // (a, b) = expr form
	Expr  Expr
}

// NamePattern is a column name or wildcard pattern (project-away a*, b).
type NamePattern struct {
	Span
	Text     string
	Wildcard bool
}

// SortKey is one `expr [asc|desc] [nulls first|last]`.
type SortKey struct {
	Span
	Expr  Expr
	Desc  bool // default true (KQL sorts descending by default)
	Nulls string
}

// Operators.
type (
	// WhereOp is where/filter.
	WhereOp struct {
		Span
		Keyword string
		Pred    Expr
	}
	// ProjectOp is project.
	ProjectOp struct {
		Span
		Cols []*NamedExpr
	}
	// ExtendOp is extend.
	ExtendOp struct {
		Span
		Cols []*NamedExpr
	}
	// ProjectAwayOp is project-away.
	ProjectAwayOp struct {
		Span
		Names []*NamePattern
	}
	// ProjectKeepOp is project-keep.
	ProjectKeepOp struct {
		Span
		Names []*NamePattern
	}
	// ProjectRenameOp is project-rename; Cols are kept as general
	// assignments so that the checker can reject expression forms (KS109).
	ProjectRenameOp struct {
		Span
		Cols []*NamedExpr
	}
	// ProjectReorderOp is project-reorder.
	ProjectReorderOp struct {
		Span
		Names []*NamePattern
	}
	// SummarizeOp is summarize aggs [by keys].
	SummarizeOp struct {
		Span
		Aggs []*NamedExpr
		By   []*NamedExpr
	}
	// MakeSeriesOp is make-series [kind=K] aggs on Axis (from S to E step
	// St | in range(S, E, St)) [by keys]. From and To may be nil.
	MakeSeriesOp struct {
		Span
		Kind     string
		Aggs     []*NamedExpr
		Defaults []Expr // per aggregate: default=value, or nil
		Axis     Expr
		From, To Expr
		Step     Expr
		InRange  bool // written as "in range(from, to, step)"
		By       []*NamedExpr
	}
	// TakeOp is take/limit.
	TakeOp struct {
		Span
		Keyword string
		Count   Expr
	}
	// TopOp is top N by keys.
	TopOp struct {
		Span
		Count Expr
		By    []*SortKey
	}
	// SortOp is sort/order by.
	SortOp struct {
		Span
		Keyword string
		By      []*SortKey
	}
	// CountOp is count.
	CountOp struct{ Span }
	// DistinctOp is distinct cols (or *).
	DistinctOp struct {
		Span
		Star bool
		Cols []Expr
	}
	// MvExpandOp is mv-expand/mvexpand.
	MvExpandOp struct {
		Span
		Legacy    bool // mvexpand spelling
		Kind      string
		ItemIndex *Ident
		Cols      []*MvExpandCol
		Limit     Expr
	}
	// ParseOp is parse [kind=...] expr with pattern.
	ParseOp struct {
		Span
		Kind    string
		Flags   string
		Expr    Expr
		Pattern []*ParsePart
	}
	// RenderOp is render chart [with (...)].
	RenderOp struct {
		Span
		Chart string
		With  []*NamedExpr
	}
	// GetSchemaOp is getschema.
	GetSchemaOp struct{ Span }
	// JoinOp is join [kind=...] (right) on keys.
	JoinOp struct {
		Span
		Kind   string
		Lookup bool // the lookup operator (right key columns are not output)
		Right  *Pipeline
		On     []Expr
	}
	// UnionOp is union (as operator or source).
	UnionOp struct {
		Span
		Kind       string
		WithSource *Ident        // withsource=Name (nil when absent)
		Params     []*UnionParam // other name=value parameters (isfuzzy, ...), for the checker to judge
		Tables     []*Pipeline
	}
	// UnionParam is a union parameter other than kind and withsource.
	UnionParam struct {
		Span
		Name, Value string
	}
	// PrintOp is print cols (a source).
	PrintOp struct {
		Span
		Cols []*NamedExpr
	}
	// DatatableOp is datatable(schema)[values] (a source).
	DatatableOp struct {
		Span
		Columns []*ColumnDecl
		Values  []Expr
	}
	// AsOp is `as Name`.
	AsOp struct {
		Span
		Name *Ident
	}
)

// MvExpandCol is one expanded column.
type MvExpandCol struct {
	Span
	Name   *Ident // for Name = expr
	Expr   Expr
	ToType string // "to typeof(T)"
}

// ParsePart is one element of a parse pattern: `*`, a string constant or a column.
type ParsePart struct {
	Span
	Star  bool
	Const *Literal
	Col   *Ident
	Type  string
}

// ColumnDecl is `name:type`.
type ColumnDecl struct {
	Span
	Name *Ident
	Type string
}

func (*TableRef) sourceNode()    {}
func (*ParenSource) sourceNode() {}
func (*PrintOp) sourceNode()     {}
func (*DatatableOp) sourceNode() {}
func (*UnionOp) sourceNode()     {}

// OpName implementations.
func (o *WhereOp) OpName() string        { return "where" }
func (*ProjectOp) OpName() string        { return "project" }
func (*ExtendOp) OpName() string         { return "extend" }
func (*ProjectAwayOp) OpName() string    { return "project-away" }
func (*ProjectKeepOp) OpName() string    { return "project-keep" }
func (*ProjectRenameOp) OpName() string  { return "project-rename" }
func (*ProjectReorderOp) OpName() string { return "project-reorder" }
func (*SummarizeOp) OpName() string      { return "summarize" }
func (*MakeSeriesOp) OpName() string     { return "make-series" }
func (o *TakeOp) OpName() string         { return "take" }
func (*TopOp) OpName() string            { return "top" }
func (o *SortOp) OpName() string         { return "sort" }
func (*CountOp) OpName() string          { return "count" }
func (*DistinctOp) OpName() string       { return "distinct" }
func (o *MvExpandOp) OpName() string     { return "mv-expand" }
func (*ParseOp) OpName() string          { return "parse" }
func (*RenderOp) OpName() string         { return "render" }
func (*GetSchemaOp) OpName() string      { return "getschema" }
func (o *JoinOp) OpName() string {
	if o.Lookup {
		return "lookup"
	}
	return "join"
}
func (*UnionOp) OpName() string     { return "union" }
func (*PrintOp) OpName() string     { return "print" }
func (*DatatableOp) OpName() string { return "datatable" }
func (*AsOp) OpName() string        { return "as" }

// Expr is a scalar expression.
type Expr interface {
	Node
	exprNode()
}

// Ident is a name: a column, function, let variable. Quoted reports that
// it was written as ['name'].
type Ident struct {
	Span
	Name   string
	Quoted bool
}

// LitKind is the type of a literal as written.
type LitKind string

// Literal kinds (KQL type names).
const (
	LitLong     LitKind = "long"
	LitInt      LitKind = "int"
	LitReal     LitKind = "real"
	LitString   LitKind = "string"
	LitBool     LitKind = "bool"
	LitDateTime LitKind = "datetime"
	LitTimespan LitKind = "timespan"
	LitGUID     LitKind = "guid"
	LitDynamic  LitKind = "dynamic"
	LitDecimal  LitKind = "decimal"
)

// Literal is a constant. Value holds: int64 (long/int), float64 (real),
// string, bool, time.Duration (timespan literals with units), or nil for a
// typed null. For datetime(...), guid(...), dynamic(...) and time(...)/
// typed literals whose text needs type-specific parsing, Raw holds the text
// between the parentheses and Value is nil unless Null is false and the
// parser could decode it; the checker converts Raw.
type Literal struct {
	Span
	Kind  LitKind
	Value any
	Raw   string
	Null  bool // typed null, e.g. int(null)
	Typed bool // written as T(...)
}

// Unary is -x or +x.
type Unary struct {
	Span
	Op string
	X  Expr
}

// Binary is L op R. Op is the canonical lower-case operator text
// ("==", "and", "has", "!contains_cs", "matches regex", ...).
type Binary struct {
	Span
	Op    string
	OpPos Pos
	L, R  Expr
}

// InExpr is X in (list) and its relatives (!in, in~, !in~, has_any, has_all).
type InExpr struct {
	Span
	Op    string
	OpPos Pos
	X     Expr
	List  []Expr
}

// Between is X between (Lo .. Hi) (Not for !between).
type Between struct {
	Span
	Not    bool
	X      Expr
	Lo, Hi Expr
}

// Call is Fn(args).
type Call struct {
	Span
	Fn   *Ident
	Args []Expr
}

// Member is X.Name.
type Member struct {
	Span
	X    Expr
	Name *Ident
}

// Index is X[Index].
type Index struct {
	Span
	X     Expr
	Index Expr
}

// Paren is (X).
type Paren struct {
	Span
	X Expr
}

// Star is `*` as a function argument (count(*), arg_max(x, *)).
type Star struct{ Span }

func (*Ident) exprNode()   {}
func (*Literal) exprNode() {}
func (*Unary) exprNode()   {}
func (*Binary) exprNode()  {}
func (*InExpr) exprNode()  {}
func (*Between) exprNode() {}
func (*Call) exprNode()    {}
func (*Member) exprNode()  {}
func (*Index) exprNode()   {}
func (*Paren) exprNode()   {}
func (*Star) exprNode()    {}

// timespanUnit maps literal units to durations (stdlib-only copy of the
// unit table; value.TimespanUnit is the shared one for strings).
func timespanUnit(u string) (time.Duration, bool) {
	switch u {
	case "d", "day", "days":
		return 24 * time.Hour, true
	case "h", "hr", "hrs", "hour", "hours":
		return time.Hour, true
	case "m", "min", "minute", "minutes":
		return time.Minute, true
	case "s", "sec", "second", "seconds":
		return time.Second, true
	case "ms", "milli", "millis", "millisecond", "milliseconds":
		return time.Millisecond, true
	case "microsecond", "microseconds":
		return time.Microsecond, true
	case "tick", "ticks":
		return 100 * time.Nanosecond, true
	}
	return 0, false
}
