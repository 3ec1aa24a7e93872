package check

import (
	"github.com/codeless/codeless/internal/kql/syntax"
	"github.com/codeless/codeless/internal/schema"
)

// Expr is a typed, resolved scalar expression.
type Expr interface {
	Type() schema.Type
	Span() syntax.Span
}

// Column reads input column Index of the stage's input row.
type Column struct {
	Index int
	Name  string
	T     schema.Type
	Sp    syntax.Span
}

// Const is a constant of type T (Value follows the schema conventions; nil
// is a typed null; strings are never nil).
type Const struct {
	Value any
	T     schema.Type
	Sp    syntax.Span
}

// Call applies a scalar function or operator. Fn is the canonical name:
// function names ("tostring", "iff", ...) and operator names ("==", "!=",
// "<", "and", "or", "+", "-", "*", "/", "%", "neg", "has", "!has",
// "contains_cs", "matches regex", "in", "!in", "in~", "!in~", "has_any",
// "has_all", "between", "!between", "getprop" (x, const key), "index"
// (x, i)). "now" has no arguments; "ago" takes a timespan.
type Call struct {
	Fn   string
	Args []Expr
	T    schema.Type
	Sp   syntax.Span
}

// Type implementations.
func (c *Column) Type() schema.Type { return c.T }
func (c *Const) Type() schema.Type  { return c.T }
func (c *Call) Type() schema.Type   { return c.T }

// Span implementations.
func (c *Column) Span() syntax.Span { return c.Sp }
func (c *Const) Span() syntax.Span  { return c.Sp }
func (c *Call) Span() syntax.Span   { return c.Sp }

// Stage is one pipe stage of a checked query. Each stage reads rows of the
// previous stage's Out (or the input) and produces rows of its own Out.
type Stage interface {
	Out() schema.Schema
	Span() syntax.Span
	OpName() string
}

// Base carries the output schema and position of a stage.
type Base struct {
	Schema schema.Schema
	Sp     syntax.Span
	Op     string
}

// Out returns the stage's output schema.
func (b *Base) Out() schema.Schema { return b.Schema }

// Span returns the operator's source span.
func (b *Base) Span() syntax.Span { return b.Sp }

// OpName returns the KQL operator the stage came from.
func (b *Base) OpName() string { return b.Op }

// Filter keeps rows whose Pred is true (where).
type Filter struct {
	Base
	Pred Expr
}

// Project computes each output column from the input row (project,
// extend, project-rename, project-away, project-keep, project-reorder).
type Project struct {
	Base
	Cols []Expr
}

// MvExpand expands dynamic arrays/bags in columns Cols (lockstep).
type MvExpand struct {
	Base
	Cols      []int         // input column indexes to expand (output keeps positions)
	Types     []schema.Type // per expanded column: the "to typeof" type, or dynamic
	Limit     int64
	BagArray  bool // kind=array: bags expand to [key, value]
	ItemIndex int  // output index of with_itemindex column, or -1
}

// Aggregate is one aggregation call.
type Aggregate struct {
	// Fn is count, countif, sum, sumif, min, max, avg, dcount, make_list,
	// make_set, take_any, any, percentile, arg_max, arg_min,
	// percentiles_array, stdev, stdevp, variance, variancep, stdevif,
	// varianceif, avgif, maxif, minif, dcountif, make_bag, make_bag_if,
	// make_list_if, make_set_if (percentiles(x, p...) becomes one
	// percentile per p). The *if forms carry the predicate as Args[1].
	Fn   string
	Args []Expr
	T    schema.Type
	Sp   syntax.Span
	// Field is used by arg_max/arg_min, which give one output column per
	// argument: Args[0] is the expression maximised, Args are the values
	// of the chosen row, and this aggregate's column is Args[Field].
	Field int
	// P is the percentile (0..100) of percentile(x, P).
	P float64
	// Ps are the percentiles of percentiles_array(x, Ps...).
	Ps []float64
}

// Summarize groups by keys and aggregates. Output: keys then aggregates.
type Summarize struct {
	Base
	Keys []Expr
	Aggs []*Aggregate
}

// MakeSeries (make-series) outputs one row per group with data in
// [From, To): the Keys, one dynamic array per aggregate over the bins
// From + k*Step (k = 0.. while < To; a bin without rows holds
// Defaults[i]), then the array of bin values of the axis. From, To and
// Step do not depend on the rows.
type MakeSeries struct {
	Base
	Keys     []Expr
	Aggs     []*Aggregate
	Defaults []any // per aggregate: int64, float64 or nil
	Axis     Expr
	AxisType schema.Type
	From, To Expr
	Step     Expr
}

// SortKey orders rows.
type SortKey struct {
	Expr       Expr
	Desc       bool
	NullsFirst bool
}

// Sort orders rows (sort/order by).
type Sort struct {
	Base
	Keys []SortKey
}

// Take keeps the first N rows (take/limit).
type Take struct {
	Base
	N int64
}

// Top is sort + take.
type Top struct {
	Base
	N    int64
	Keys []SortKey
}

// Count replaces the rows by one row with the row count (column Count).
type Count struct {
	Base
}

// Distinct keeps distinct combinations of Cols.
type Distinct struct {
	Base
	Cols []Expr
}

// GetSchema replaces the rows by one row per input column (getschema):
// ColumnName, ColumnOrdinal, DataType (.NET name), ColumnType.
type GetSchema struct {
	Base
	In schema.Schema
}

// Union concatenates rows (union, kind=outer or inner): the piped input first when
// Self, then each of Inputs. Out has every column name in order of first
// appearance; Maps[i][j] is the column of operand i feeding output column
// j, or -1 (null, or "" for strings).
type Union struct {
	Base
	Self   bool
	Inputs []*Query
	Maps   [][]int
	// SourceNames (withsource=) are the operands' table names, piped
	// input first; output column 0 then holds them.
	SourceNames []string
}

// Join joins the piped input (left) with Right on equality of
// LeftKeys[i] and RightKeys[i]. Kind is innerunique (Kusto's default: one
// left row per key value, chosen arbitrarily, then inner), inner,
// leftouter, rightouter, fullouter, leftanti, leftsemi, rightanti or
// rightsemi. The inner and outer kinds output the left columns then the
// right ones (names made unique with 1, 2 suffixes; unmatched sides are
// null, "" for strings); leftanti/leftsemi output the left columns,
// rightanti/rightsemi the right ones. The lookup operator is a Join of kind
// leftouter or inner whose output leaves out the right key columns.
type Join struct {
	Base
	Kind      string
	Right     *Query
	LeftKeys  []int
	RightKeys []int
	// RightCols are the right columns output after the left ones by the
	// inner and outer kinds (all of them for join; lookup leaves out the
	// right key columns).
	RightCols []int
}

// Query is a checked query: the source, the stages and the result schema.
type Query struct {
	Table  string        // source table name ("" for print/datatable)
	Input  schema.Schema // columns of the source
	Rows   [][]Expr      // constant source rows for print/datatable (nil otherwise)
	Stages []Stage
	Output schema.Schema
	Render string // render chart kind, "" when none
}
