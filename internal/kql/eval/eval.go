package eval

import (
	"errors"
	"fmt"
	"time"

	"github.com/codeless/codeless/internal/kql/check"
	"github.com/codeless/codeless/internal/kql/syntax"
	"github.com/codeless/codeless/internal/schema"
)

// Options configures compilation.
type Options struct {
	// Placeholder allows mv-expand/mvexpand (stepPlaceholdersParsingKql).
	Placeholder bool
}

// Program is a compiled per-record transformation. It is immutable and
// safe for concurrent Run calls.
type Program struct {
	input  schema.Schema
	output schema.Schema
	stages []stage
	query  *check.Query
}

// rt is the per-Run state.
type rt struct {
	now time.Time
}

// fn evaluates a scalar expression against a row.
type fn func(row []any, r *rt) any

type stage interface {
	run(p *Program, i int, row []any, r *rt, emit func([]any) error) error
}

// CompileTransform compiles a DCR transformKql over `source` with the
// given input columns. Operators and functions outside the DCR subset are
// rejected with a positioned error.
func CompileTransform(src string, input schema.Schema) (*Program, error) {
	return Compile(src, input, Options{})
}

// CompilePlaceholder compiles stepPlaceholdersParsingKql: the transform
// subset plus mv-expand/mvexpand (one row in, N rows out).
func CompilePlaceholder(src string, input schema.Schema) (*Program, error) {
	return Compile(src, input, Options{Placeholder: true})
}

// Compile compiles src over `source` with input columns.
func Compile(src string, input schema.Schema, opts Options) (*Program, error) {
	mode := check.ModeTransform
	if opts.Placeholder {
		mode = check.ModePlaceholder
	}
	q, err := check.Check(src, check.Options{Mode: mode, Input: input})
	if err != nil {
		return nil, err
	}
	p := &Program{input: input, output: q.Output, query: q}
	for _, st := range q.Stages {
		s, err := compileStage(src, st)
		if err != nil {
			return nil, err
		}
		p.stages = append(p.stages, s)
	}
	// A final row must be freshly allocated (the input row belongs to the caller).
	if len(p.stages) == 0 || !freshRows(p.stages[len(p.stages)-1]) {
		p.stages = append(p.stages, copyStage{})
	}
	return p, nil
}

func freshRows(s stage) bool {
	switch s.(type) {
	case *projectStage, *mvExpandStage:
		return true
	}
	return false
}

// Output returns the inferred output schema.
func (p *Program) Output() schema.Schema { return p.output }

// Input returns the input schema the program was compiled for.
func (p *Program) Input() schema.Schema { return p.input }

// Run transforms one input row (aligned with the input schema) and calls
// emit for each output row (aligned with Output()); now is the value of
// now() for this batch. Output rows are freshly allocated. A malformed row
// (wrong length) is an error; values of unexpected Go types evaluate as
// null rather than panicking.
func (p *Program) Run(row []any, now time.Time, emit func(out []any) error) (err error) {
	if len(row) != len(p.input) {
		return fmt.Errorf("running transform: row has %d values, want %d", len(row), len(p.input))
	}
	defer func() {
		if rec := recover(); rec != nil {
			err = fmt.Errorf("running transform: internal error: %v", rec)
		}
	}()
	r := rt{now: now.UTC()}
	return p.next(0, row, &r, emit)
}

func (p *Program) next(i int, row []any, r *rt, emit func([]any) error) error {
	if i == len(p.stages) {
		return emit(row)
	}
	return p.stages[i].run(p, i, row, r, emit)
}

type copyStage struct{}

func (copyStage) run(p *Program, i int, row []any, r *rt, emit func([]any) error) error {
	out := make([]any, len(row))
	copy(out, row)
	return p.next(i+1, out, r, emit)
}

type filterStage struct{ pred fn }

func (s *filterStage) run(p *Program, i int, row []any, r *rt, emit func([]any) error) error {
	if truthy(s.pred(row, r)) {
		return p.next(i+1, row, r, emit)
	}
	return nil
}

type projectStage struct{ cols []fn }

func (s *projectStage) run(p *Program, i int, row []any, r *rt, emit func([]any) error) error {
	out := make([]any, len(s.cols))
	for j, f := range s.cols {
		out[j] = f(row, r)
	}
	return p.next(i+1, out, r, emit)
}

type mvExpandStage struct {
	m *check.MvExpand
}

func (s *mvExpandStage) run(p *Program, i int, row []any, r *rt, emit func([]any) error) error {
	m := s.m
	width := len(m.Schema)
	lists := make([][]any, len(m.Cols))
	n := 0
	for k, c := range m.Cols {
		var items []any
		switch v := row[c].(type) {
		case nil:
			items = []any{nil}
		case []any:
			items = v
		case map[string]any:
			for _, key := range sortedKeys(v) {
				if m.BagArray {
					items = append(items, []any{key, v[key]})
				} else {
					items = append(items, map[string]any{key: v[key]})
				}
			}
		default:
			items = []any{v}
		}
		lists[k] = items
		if len(items) > n {
			n = len(items)
		}
	}
	if int64(n) > m.Limit {
		n = int(m.Limit)
	}
	for j := 0; j < n; j++ {
		out := make([]any, width)
		copy(out, row)
		for k, c := range m.Cols {
			var v any
			if j < len(lists[k]) {
				v = lists[k][j]
			}
			out[c] = convertTo(v, m.Types[k])
		}
		if m.ItemIndex >= 0 {
			out[m.ItemIndex] = int64(j)
		}
		if err := p.next(i+1, out, r, emit); err != nil {
			return err
		}
	}
	return nil
}

func compileStage(src string, st check.Stage) (stage, error) {
	switch s := st.(type) {
	case *check.Filter:
		f, err := compileExpr(s.Pred)
		if err != nil {
			return nil, positioned(src, s.Pred.Span(), err)
		}
		return &filterStage{pred: f}, nil
	case *check.Project:
		cols := make([]fn, len(s.Cols))
		for i, e := range s.Cols {
			f, err := compileExpr(e)
			if err != nil {
				return nil, positioned(src, e.Span(), err)
			}
			cols[i] = f
		}
		return &projectStage{cols: cols}, nil
	case *check.MvExpand:
		return &mvExpandStage{m: s}, nil
	}
	sp := st.Span()
	return nil, syntax.Errorf(src, sp.From, "operator %q cannot run per record", st.OpName())
}

func positioned(src string, sp syntax.Span, err error) error {
	var se *syntax.Error
	if errors.As(err, &se) {
		return err
	}
	return syntax.Errorf(src, sp.From, "%v", err)
}
