package syntax

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// maxDepth bounds expression nesting so hostile input cannot exhaust the stack.
const maxDepth = 200

// Parse parses a KQL query: `let` statements followed by one tabular
// expression. Errors are *Error values with line, column and a caret line.
func Parse(src string) (*Query, error) {
	toks, lerr := lex(src)
	if lerr != nil {
		return nil, lerr
	}
	p := &parser{src: src, toks: toks}
	q, err := p.query()
	if err != nil {
		return nil, err
	}
	return q, nil
}

// ParseExpr parses a single scalar expression.
func ParseExpr(src string) (Expr, error) {
	toks, lerr := lex(src)
	if lerr != nil {
		return nil, lerr
	}
	p := &parser{src: src, toks: toks}
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	if p.peek().Kind != TokEOF {
		return nil, p.unexpected("end of expression")
	}
	return e, nil
}

type parser struct {
	src   string
	toks  []Token
	i     int
	depth int
}

func (p *parser) peek() Token { return p.toks[p.i] }

func (p *parser) peekN(n int) Token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() Token {
	t := p.toks[p.i]
	if t.Kind != TokEOF {
		p.i++
	}
	return t
}

func (p *parser) isPunct(s string) bool {
	t := p.peek()
	return t.Kind == TokPunct && t.Text == s
}

func (p *parser) isWord(s string) bool {
	t := p.peek()
	return t.Kind == TokIdent && t.Text == s
}

func (p *parser) acceptPunct(s string) bool {
	if p.isPunct(s) {
		p.i++
		return true
	}
	return false
}

func (p *parser) acceptWord(s string) bool {
	if p.isWord(s) {
		p.i++
		return true
	}
	return false
}

func (p *parser) errf(pos Pos, format string, args ...any) *Error {
	return Errorf(p.src, pos, format, args...)
}

func (p *parser) unexpected(want string) *Error {
	t := p.peek()
	return p.errf(t.Pos, "expected %s, got %s", want, t.describe())
}

func (p *parser) expectPunct(s string) (Token, *Error) {
	if !p.isPunct(s) {
		return Token{}, p.unexpected(strconv.Quote(s))
	}
	return p.next(), nil
}

func (p *parser) expectWord(s string) (Token, *Error) {
	if !p.isWord(s) {
		return Token{}, p.unexpected(strconv.Quote(s))
	}
	return p.next(), nil
}

func (p *parser) prevEnd() Pos {
	if p.i == 0 {
		return 0
	}
	return p.toks[p.i-1].End
}

// query := { let ; } pipeline { ; }
func (p *parser) query() (*Query, *Error) {
	q := &Query{Src: p.src}
	for p.isWord("let") {
		l, err := p.letStmt()
		if err != nil {
			return nil, err
		}
		q.Lets = append(q.Lets, l)
		if _, err := p.expectPunct(";"); err != nil {
			return nil, err
		}
		for p.acceptPunct(";") {
		}
	}
	if p.peek().Kind == TokEOF {
		if len(q.Lets) == 0 {
			return nil, p.errf(p.peek().Pos, "empty query")
		}
		return nil, p.errf(p.peek().Pos, "expected a tabular expression after the let statements")
	}
	body, err := p.pipeline()
	if err != nil {
		return nil, err
	}
	q.Body = body
	for p.acceptPunct(";") {
	}
	if p.peek().Kind != TokEOF {
		return nil, p.unexpected(`"|" or end of query`)
	}
	q.From, q.To = 0, Pos(len(p.src))
	return q, nil
}

func (p *parser) letStmt() (*LetStmt, *Error) {
	start := p.next().Pos // let
	name, err := p.name()
	if err != nil {
		return nil, err
	}
	if _, err := p.expectPunct("="); err != nil {
		return nil, err
	}
	l := &LetStmt{Name: name}
	switch {
	case p.isFuncDef():
		f, err := p.funcDef()
		if err != nil {
			return nil, err
		}
		l.Func = f
	case p.startsTabular():
		t, err := p.pipeline()
		if err != nil {
			return nil, err
		}
		l.Tabular = t
	default:
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		l.Expr = e
	}
	l.From, l.To = start, p.prevEnd()
	return l, nil
}

func (p *parser) isFuncDef() bool {
	if !p.isPunct("(") {
		return false
	}
	a, b := p.peekN(1), p.peekN(2)
	if a.Kind == TokPunct && a.Text == ")" {
		return b.Kind == TokPunct && b.Text == "{"
	}
	return a.Kind == TokIdent && b.Kind == TokPunct && b.Text == ":"
}

// startsTabular reports whether the next tokens begin a tabular expression
// in a position where a scalar is also possible (let right-hand sides).
func (p *parser) startsTabular() bool {
	t := p.peek()
	if t.Kind != TokIdent {
		return false
	}
	switch t.Text {
	case "print", "union":
		return true
	case "datatable":
		return p.peekN(1).Kind == TokPunct && p.peekN(1).Text == "("
	}
	n := p.peekN(1)
	return n.Kind == TokPunct && n.Text == "|"
}

func (p *parser) funcDef() (*FuncDef, *Error) {
	start := p.next().Pos // (
	f := &FuncDef{}
	for !p.isPunct(")") {
		ps := p.peek().Pos
		name, err := p.name()
		if err != nil {
			return nil, err
		}
		if _, err := p.expectPunct(":"); err != nil {
			return nil, err
		}
		typ, err := p.typeName()
		if err != nil {
			return nil, err
		}
		prm := &Param{Name: name, Type: typ}
		if p.acceptPunct("=") {
			if prm.Default, err = p.expr(); err != nil {
				return nil, err
			}
		}
		prm.From, prm.To = ps, p.prevEnd()
		f.Params = append(f.Params, prm)
		if !p.acceptPunct(",") {
			break
		}
	}
	if _, err := p.expectPunct(")"); err != nil {
		return nil, err
	}
	if _, err := p.expectPunct("{"); err != nil {
		return nil, err
	}
	for p.isWord("let") {
		l, err := p.letStmt()
		if err != nil {
			return nil, err
		}
		f.Lets = append(f.Lets, l)
		if _, err := p.expectPunct(";"); err != nil {
			return nil, err
		}
	}
	if p.startsTabular() {
		t, err := p.pipeline()
		if err != nil {
			return nil, err
		}
		f.Tab = t
	} else {
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		f.Body = e
	}
	for p.acceptPunct(";") {
	}
	if _, err := p.expectPunct("}"); err != nil {
		return nil, err
	}
	f.From, f.To = start, p.prevEnd()
	return f, nil
}

// typeName reads a scalar type name such as string, long, dynamic.
func (p *parser) typeName() (string, *Error) {
	t := p.peek()
	if t.Kind != TokIdent {
		return "", p.unexpected("a type name")
	}
	switch t.Text {
	case "string", "int", "long", "real", "double", "bool", "boolean", "datetime", "date",
		"timespan", "time", "guid", "uniqueid", "dynamic", "decimal", "int64", "int32":
		p.next()
		return t.Text, nil
	}
	return "", p.errf(t.Pos, "unknown type %q", t.Text)
}

// name reads an identifier or a ['quoted name'].
func (p *parser) name() (*Ident, *Error) {
	t := p.peek()
	if t.Kind == TokIdent && !strings.HasPrefix(t.Text, "!") && !strings.HasSuffix(t.Text, "~") {
		p.next()
		return &Ident{Span: Span{t.Pos, t.End}, Name: t.Text}, nil
	}
	if t.Kind == TokPunct && t.Text == "[" && p.peekN(1).Kind == TokString {
		p.next()
		s := p.next()
		if _, err := p.expectPunct("]"); err != nil {
			return nil, err
		}
		return &Ident{Span: Span{t.Pos, p.prevEnd()}, Name: s.Val, Quoted: true}, nil
	}
	return nil, p.unexpected("a name")
}

func (p *parser) isName() bool {
	t := p.peek()
	if t.Kind == TokIdent {
		return true
	}
	return t.Kind == TokPunct && t.Text == "[" && p.peekN(1).Kind == TokString
}

func (p *parser) pipeline() (*Pipeline, *Error) {
	start := p.peek().Pos
	src, err := p.source()
	if err != nil {
		return nil, err
	}
	pl := &Pipeline{Source: src}
	for p.acceptPunct("|") {
		op, err := p.operator()
		if err != nil {
			return nil, err
		}
		pl.Ops = append(pl.Ops, op)
	}
	pl.From, pl.To = start, p.prevEnd()
	return pl, nil
}

func (p *parser) source() (Source, *Error) {
	t := p.peek()
	if t.Kind == TokPunct && t.Text == "(" {
		p.next()
		pl, err := p.pipeline()
		if err != nil {
			return nil, err
		}
		if _, err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return &ParenSource{Span: Span{t.Pos, p.prevEnd()}, Pipe: pl}, nil
	}
	if t.Kind == TokIdent {
		switch t.Text {
		case "print":
			p.next()
			cols, err := p.namedExprs()
			if err != nil {
				return nil, err
			}
			return &PrintOp{Span: Span{t.Pos, p.prevEnd()}, Cols: cols}, nil
		case "datatable":
			if n := p.peekN(1); n.Kind == TokPunct && n.Text == "(" {
				return p.datatable()
			}
		case "union":
			p.next()
			return p.union(t.Pos)
		}
	}
	if !p.isName() {
		return nil, p.unexpected("a table name")
	}
	name, err := p.name()
	if err != nil {
		return nil, err
	}
	return &TableRef{Span: name.Span, Name: name}, nil
}

func (p *parser) datatable() (*DatatableOp, *Error) {
	start := p.next().Pos
	d := &DatatableOp{}
	if _, err := p.expectPunct("("); err != nil {
		return nil, err
	}
	for !p.isPunct(")") {
		cs := p.peek().Pos
		name, err := p.name()
		if err != nil {
			return nil, err
		}
		if _, err := p.expectPunct(":"); err != nil {
			return nil, err
		}
		typ, err := p.typeName()
		if err != nil {
			return nil, err
		}
		d.Columns = append(d.Columns, &ColumnDecl{Span: Span{cs, p.prevEnd()}, Name: name, Type: typ})
		if !p.acceptPunct(",") {
			break
		}
	}
	if _, err := p.expectPunct(")"); err != nil {
		return nil, err
	}
	if _, err := p.expectPunct("["); err != nil {
		return nil, err
	}
	for !p.isPunct("]") {
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		d.Values = append(d.Values, e)
		if !p.acceptPunct(",") {
			break
		}
	}
	if _, err := p.expectPunct("]"); err != nil {
		return nil, err
	}
	d.From, d.To = start, p.prevEnd()
	return d, nil
}

func (p *parser) union(start Pos) (*UnionOp, *Error) {
	u := &UnionOp{}
	for p.peek().Kind == TokIdent && p.peekN(1).Kind == TokPunct && p.peekN(1).Text == "=" {
		kt := p.next()
		p.next()
		switch kt.Text {
		case "withsource", "source":
			n, err := p.name()
			if err != nil {
				return nil, err
			}
			u.WithSource = n
			continue
		}
		v := p.next()
		if v.Kind != TokIdent && v.Kind != TokLong {
			return nil, p.errf(v.Pos, "expected a value for union parameter %s, got %s", kt.Text, v.describe())
		}
		if kt.Text == "kind" {
			u.Kind = v.Text
			continue
		}
		u.Params = append(u.Params, &UnionParam{Span: Span{From: kt.Pos, To: v.End}, Name: kt.Text, Value: v.Text})
	}
	for {
		ts := p.peek().Pos
		var pl *Pipeline
		if p.isPunct("(") {
			p.next()
			inner, err := p.pipeline()
			if err != nil {
				return nil, err
			}
			if _, err := p.expectPunct(")"); err != nil {
				return nil, err
			}
			pl = inner
		} else {
			name, err := p.name()
			if err != nil {
				return nil, err
			}
			pl = &Pipeline{Span: name.Span, Source: &TableRef{Span: name.Span, Name: name}}
		}
		_ = ts
		u.Tables = append(u.Tables, pl)
		if !p.acceptPunct(",") {
			break
		}
	}
	u.From, u.To = start, p.prevEnd()
	return u, nil
}

// opName reads an operator keyword, joining dashed spellings (project-away).
func (p *parser) opName() (string, Pos, *Error) {
	t := p.peek()
	if t.Kind != TokIdent {
		return "", t.Pos, p.unexpected("a tabular operator")
	}
	p.next()
	name := t.Text
	end := t.End
	for {
		d, n := p.peek(), p.peekN(1)
		if d.Kind == TokPunct && d.Text == "-" && d.Pos == end && n.Kind == TokIdent && n.Pos == d.End {
			p.next()
			p.next()
			name += "-" + n.Text
			end = n.End
			continue
		}
		break
	}
	return name, t.Pos, nil
}

func (p *parser) operator() (Op, *Error) {
	name, start, err := p.opName()
	if err != nil {
		return nil, err
	}
	span := func() Span { return Span{start, p.prevEnd()} }
	switch name {
	case "where", "filter":
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		return &WhereOp{Span: span(), Keyword: name, Pred: e}, nil
	case "project":
		cols, err := p.namedExprs()
		if err != nil {
			return nil, err
		}
		return &ProjectOp{Span: span(), Cols: cols}, nil
	case "extend":
		cols, err := p.namedExprs()
		if err != nil {
			return nil, err
		}
		return &ExtendOp{Span: span(), Cols: cols}, nil
	case "project-rename":
		cols, err := p.namedExprs()
		if err != nil {
			return nil, err
		}
		return &ProjectRenameOp{Span: span(), Cols: cols}, nil
	case "project-away", "project-keep", "project-reorder":
		pats, err := p.namePatterns(name == "project-reorder")
		if err != nil {
			return nil, err
		}
		switch name {
		case "project-away":
			return &ProjectAwayOp{Span: span(), Names: pats}, nil
		case "project-keep":
			return &ProjectKeepOp{Span: span(), Names: pats}, nil
		}
		return &ProjectReorderOp{Span: span(), Names: pats}, nil
	case "summarize":
		p.skipHints()
		s := &SummarizeOp{}
		if !p.isWord("by") {
			if s.Aggs, err = p.namedExprs(); err != nil {
				return nil, err
			}
		}
		if p.acceptWord("by") {
			if s.By, err = p.namedExprs(); err != nil {
				return nil, err
			}
		}
		s.Span = span()
		return s, nil
	case "make-series":
		return p.makeSeries(span)
	case "take", "limit":
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		return &TakeOp{Span: span(), Keyword: name, Count: e}, nil
	case "top":
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expectWord("by"); err != nil {
			return nil, err
		}
		keys, err := p.sortKeys()
		if err != nil {
			return nil, err
		}
		return &TopOp{Span: span(), Count: e, By: keys}, nil
	case "sort", "order":
		if _, err := p.expectWord("by"); err != nil {
			return nil, err
		}
		keys, err := p.sortKeys()
		if err != nil {
			return nil, err
		}
		return &SortOp{Span: span(), Keyword: name, By: keys}, nil
	case "count":
		return &CountOp{Span: span()}, nil
	case "getschema":
		return &GetSchemaOp{Span: span()}, nil
	case "distinct":
		d := &DistinctOp{}
		if p.acceptPunct("*") {
			d.Star = true
		} else {
			for {
				e, err := p.expr()
				if err != nil {
					return nil, err
				}
				d.Cols = append(d.Cols, e)
				if !p.acceptPunct(",") {
					break
				}
			}
		}
		d.Span = span()
		return d, nil
	case "mv-expand", "mvexpand":
		return p.mvExpand(start, name == "mvexpand")
	case "parse":
		return p.parseOp(start)
	case "render":
		r := &RenderOp{}
		t := p.peek()
		if t.Kind != TokIdent {
			return nil, p.unexpected("a chart type")
		}
		p.next()
		r.Chart = t.Text
		if p.acceptWord("with") {
			if _, err := p.expectPunct("("); err != nil {
				return nil, err
			}
			if !p.isPunct(")") {
				if r.With, err = p.namedExprs(); err != nil {
					return nil, err
				}
			}
			if _, err := p.expectPunct(")"); err != nil {
				return nil, err
			}
		}
		r.Span = span()
		return r, nil
	case "join", "lookup":
		j := &JoinOp{Lookup: name == "lookup"}
		for p.peek().Kind == TokIdent && p.peekN(1).Kind == TokPunct && p.peekN(1).Text == "=" && p.peek().Text != "on" {
			k := p.next().Text
			p.next()
			v := p.next()
			if k == "kind" {
				j.Kind = v.Text
			}
		}
		if p.acceptPunct("(") {
			if j.Right, err = p.pipeline(); err != nil {
				return nil, err
			}
			if _, err := p.expectPunct(")"); err != nil {
				return nil, err
			}
		} else {
			n, err := p.name()
			if err != nil {
				return nil, err
			}
			j.Right = &Pipeline{Span: n.Span, Source: &TableRef{Span: n.Span, Name: n}}
		}
		if _, err := p.expectWord("on"); err != nil {
			return nil, err
		}
		for {
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			j.On = append(j.On, e)
			if !p.acceptPunct(",") {
				break
			}
		}
		j.Span = span()
		return j, nil
	case "union":
		return p.union(start)
	case "as":
		n, err := p.name()
		if err != nil {
			return nil, err
		}
		return &AsOp{Span: span(), Name: n}, nil
	}
	return nil, p.errf(start, "unknown tabular operator %q", name)
}

// skipHints skips hint.x = y parameters.
func (p *parser) skipHints() {
	for p.peek().Kind == TokIdent && p.peek().Text == "hint" && p.peekN(1).Kind == TokPunct && p.peekN(1).Text == "." {
		p.next()
		p.next()
		p.next()
		if p.acceptPunct("=") {
			p.next()
		}
	}
}

func (p *parser) namedExprs() ([]*NamedExpr, *Error) {
	var out []*NamedExpr
	for {
		ne, err := p.namedExpr()
		if err != nil {
			return nil, err
		}
		out = append(out, ne)
		if !p.acceptPunct(",") {
			return out, nil
		}
	}
}

func (p *parser) namedExpr() (*NamedExpr, *Error) {
	start := p.peek().Pos
	ne := &NamedExpr{}
	// Name = expr ?
	if p.isName() {
		save := p.i
		n, err := p.name()
		if err == nil && p.isPunct("=") {
			p.next()
			ne.Name = n
		} else {
			p.i = save
		}
	} else if p.isPunct("(") {
		// (a, b) = expr
		save := p.i
		p.next()
		var names []*Ident
		ok := true
		for {
			n, err := p.name()
			if err != nil {
				ok = false
				break
			}
			names = append(names, n)
			if !p.acceptPunct(",") {
				break
			}
		}
		if ok && p.acceptPunct(")") && p.acceptPunct("=") {
			ne.Names = names
		} else {
			p.i = save
		}
	}
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	ne.Expr = e
	ne.From, ne.To = start, p.prevEnd()
	return ne, nil
}

func (p *parser) namePatterns(reorder bool) ([]*NamePattern, *Error) {
	var out []*NamePattern
	for {
		t := p.peek()
		start := t.Pos
		var b strings.Builder
		wild := false
		end := start
		for {
			t := p.peek()
			if b.Len() > 0 && t.Pos != end {
				break
			}
			if t.Kind == TokPunct && t.Text == "*" {
				wild = true
				b.WriteByte('*')
			} else if t.Kind == TokIdent && !strings.HasPrefix(t.Text, "!") {
				b.WriteString(t.Text)
			} else if t.Kind == TokPunct && t.Text == "[" && b.Len() == 0 {
				n, err := p.name()
				if err != nil {
					return nil, err
				}
				b.WriteString(n.Name)
				end = n.To
				break
			} else {
				break
			}
			p.next()
			end = t.End
		}
		if b.Len() == 0 {
			return nil, p.unexpected("a column name")
		}
		out = append(out, &NamePattern{Span: Span{start, end}, Text: b.String(), Wildcard: wild})
		if reorder {
			for _, w := range []string{"asc", "desc", "granny-asc", "granny-desc"} {
				if p.acceptWord(w) {
					break
				}
			}
		}
		if !p.acceptPunct(",") {
			return out, nil
		}
	}
}

func (p *parser) sortKeys() ([]*SortKey, *Error) {
	var out []*SortKey
	for {
		start := p.peek().Pos
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		k := &SortKey{Expr: e, Desc: true}
		if p.acceptWord("asc") {
			k.Desc = false
		} else if p.acceptWord("desc") {
			k.Desc = true
		}
		if p.acceptWord("nulls") {
			switch {
			case p.acceptWord("first"):
				k.Nulls = "first"
			case p.acceptWord("last"):
				k.Nulls = "last"
			default:
				return nil, p.unexpected(`"first" or "last"`)
			}
		}
		k.From, k.To = start, p.prevEnd()
		out = append(out, k)
		if !p.acceptPunct(",") {
			return out, nil
		}
	}
}

func (p *parser) mvExpand(start Pos, legacy bool) (*MvExpandOp, *Error) {
	m := &MvExpandOp{Legacy: legacy}
	for p.peek().Kind == TokIdent && p.peekN(1).Kind == TokPunct && p.peekN(1).Text == "=" {
		k := p.peek().Text
		if k != "kind" && k != "bagexpansion" && k != "with_itemindex" {
			break
		}
		p.next()
		p.next()
		v, err := p.name()
		if err != nil {
			return nil, err
		}
		switch k {
		case "kind", "bagexpansion":
			m.Kind = v.Name
		case "with_itemindex":
			m.ItemIndex = v
		}
	}
	for {
		cs := p.peek().Pos
		ne, err := p.namedExpr()
		if err != nil {
			return nil, err
		}
		c := &MvExpandCol{Name: ne.Name, Expr: ne.Expr}
		if p.acceptWord("to") {
			if _, err := p.expectWord("typeof"); err != nil {
				return nil, err
			}
			if _, err := p.expectPunct("("); err != nil {
				return nil, err
			}
			if c.ToType, err = p.typeName(); err != nil {
				return nil, err
			}
			if _, err := p.expectPunct(")"); err != nil {
				return nil, err
			}
		}
		c.From, c.To = cs, p.prevEnd()
		m.Cols = append(m.Cols, c)
		if !p.acceptPunct(",") {
			break
		}
	}
	if p.acceptWord("limit") {
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		m.Limit = e
	}
	m.From, m.To = start, p.prevEnd()
	return m, nil
}

func (p *parser) parseOp(start Pos) (*ParseOp, *Error) {
	po := &ParseOp{Kind: "simple"}
	for p.peek().Kind == TokIdent && (p.peek().Text == "kind" || p.peek().Text == "flags") &&
		p.peekN(1).Kind == TokPunct && p.peekN(1).Text == "=" {
		k := p.next().Text
		p.next()
		v := p.next()
		if k == "kind" {
			po.Kind = v.Text
		} else {
			po.Flags = v.Text
		}
	}
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	po.Expr = e
	if _, err := p.expectWord("with"); err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		switch {
		case t.Kind == TokPunct && t.Text == "*":
			p.next()
			po.Pattern = append(po.Pattern, &ParsePart{Span: Span{t.Pos, t.End}, Star: true})
			continue
		case t.Kind == TokString:
			lit, err := p.primary()
			if err != nil {
				return nil, err
			}
			po.Pattern = append(po.Pattern, &ParsePart{Span: Span{t.Pos, p.prevEnd()}, Const: lit.(*Literal)})
			continue
		case p.isName() && !(t.Kind == TokIdent && strings.HasPrefix(t.Text, "!")):
			n, err := p.name()
			if err != nil {
				return nil, err
			}
			part := &ParsePart{Col: n, Type: "string"}
			if p.acceptPunct(":") {
				if part.Type, err = p.typeName(); err != nil {
					return nil, err
				}
			}
			part.From, part.To = t.Pos, p.prevEnd()
			po.Pattern = append(po.Pattern, part)
			continue
		}
		break
	}
	if len(po.Pattern) == 0 {
		return nil, p.unexpected("a parse pattern")
	}
	po.From, po.To = start, p.prevEnd()
	return po, nil
}

// ---- expressions ----

func (p *parser) expr() (Expr, *Error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, p.errf(p.peek().Pos, "expression nested too deeply")
	}
	return p.orExpr()
}

func (p *parser) orExpr() (Expr, *Error) {
	l, err := p.andExpr()
	if err != nil {
		return nil, err
	}
	for p.isWord("or") {
		op := p.next()
		r, err := p.andExpr()
		if err != nil {
			return nil, err
		}
		l = &Binary{Span: Span{l.Pos(), r.End()}, Op: "or", OpPos: op.Pos, L: l, R: r}
	}
	return l, nil
}

func (p *parser) andExpr() (Expr, *Error) {
	l, err := p.cmpExpr()
	if err != nil {
		return nil, err
	}
	for p.isWord("and") {
		op := p.next()
		r, err := p.cmpExpr()
		if err != nil {
			return nil, err
		}
		l = &Binary{Span: Span{l.Pos(), r.End()}, Op: "and", OpPos: op.Pos, L: l, R: r}
	}
	return l, nil
}

// stringOps are the comparison-level word operators (with ! and _cs forms).
var stringOps = func() map[string]bool {
	m := map[string]bool{}
	for _, base := range []string{"contains", "has", "hasprefix", "hassuffix", "startswith", "endswith"} {
		for _, s := range []string{base, base + "_cs"} {
			m[s] = true
			m["!"+s] = true
		}
	}
	return m
}()

// cmpOp returns the canonical comparison operator at the cursor, or "".
func (p *parser) cmpOp() string {
	t := p.peek()
	switch t.Kind {
	case TokPunct:
		switch t.Text {
		case "==", "!=", "<", "<=", ">", ">=", "=~", "!~":
			return t.Text
		case "<>":
			return "!="
		}
	case TokIdent:
		switch t.Text {
		case "in", "!in", "in~", "!in~", "has_any", "has_all", "between", "!between", "like", "notlike":
			return t.Text
		case "matches":
			if n := p.peekN(1); n.Kind == TokIdent && n.Text == "regex" {
				return "matches regex"
			}
		}
		if stringOps[t.Text] {
			return t.Text
		}
	}
	return ""
}

func (p *parser) cmpExpr() (Expr, *Error) {
	l, err := p.addExpr()
	if err != nil {
		return nil, err
	}
	op := p.cmpOp()
	if op == "" {
		return l, nil
	}
	opTok := p.next()
	if op == "matches regex" {
		p.next()
	}
	var out Expr
	switch op {
	case "like", "notlike":
		return nil, p.errf(opTok.Pos, "%q is not a KQL operator; use contains, startswith, endswith or matches regex", op)
	case "in", "!in", "in~", "!in~", "has_any", "has_all":
		if _, err := p.expectPunct("("); err != nil {
			return nil, err
		}
		in := &InExpr{Op: op, OpPos: opTok.Pos, X: l}
		for !p.isPunct(")") {
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			in.List = append(in.List, e)
			if !p.acceptPunct(",") {
				break
			}
		}
		if _, err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		in.From, in.To = l.Pos(), p.prevEnd()
		out = in
	case "between", "!between":
		if _, err := p.expectPunct("("); err != nil {
			return nil, err
		}
		lo, err := p.addExpr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expectPunct(".."); err != nil {
			return nil, err
		}
		hi, err := p.addExpr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		out = &Between{Span: Span{l.Pos(), p.prevEnd()}, Not: op == "!between", X: l, Lo: lo, Hi: hi}
	default:
		r, err := p.addExpr()
		if err != nil {
			return nil, err
		}
		out = &Binary{Span: Span{l.Pos(), r.End()}, Op: op, OpPos: opTok.Pos, L: l, R: r}
	}
	if op2 := p.cmpOp(); op2 != "" {
		return nil, p.errf(p.peek().Pos, "comparison operators do not chain: add parentheses around one side of %q", op2)
	}
	return out, nil
}

func (p *parser) addExpr() (Expr, *Error) {
	l, err := p.mulExpr()
	if err != nil {
		return nil, err
	}
	for p.isPunct("+") || p.isPunct("-") {
		op := p.next()
		r, err := p.mulExpr()
		if err != nil {
			return nil, err
		}
		l = &Binary{Span: Span{l.Pos(), r.End()}, Op: op.Text, OpPos: op.Pos, L: l, R: r}
	}
	return l, nil
}

func (p *parser) mulExpr() (Expr, *Error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.isPunct("*") || p.isPunct("/") || p.isPunct("%") {
		op := p.next()
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = &Binary{Span: Span{l.Pos(), r.End()}, Op: op.Text, OpPos: op.Pos, L: l, R: r}
	}
	return l, nil
}

func (p *parser) unary() (Expr, *Error) {
	if p.isPunct("-") || p.isPunct("+") {
		op := p.next()
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			return nil, p.errf(op.Pos, "expression nested too deeply")
		}
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &Unary{Span: Span{op.Pos, x.End()}, Op: op.Text, X: x}, nil
	}
	return p.postfix()
}

func (p *parser) postfix() (Expr, *Error) {
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for {
		switch {
		case p.isPunct("."):
			p.next()
			t := p.peek()
			var n *Ident
			switch {
			case t.Kind == TokIdent && !strings.HasPrefix(t.Text, "!"):
				p.next()
				n = &Ident{Span: Span{t.Pos, t.End}, Name: t.Text}
			case t.Kind == TokLong:
				// d.0 is not KQL; reject clearly
				return nil, p.errf(t.Pos, "use d[%s] to index an array", t.Text)
			case t.Kind == TokPunct && t.Text == "[":
				if n, err = p.name(); err != nil {
					return nil, err
				}
			default:
				return nil, p.unexpected("a property name after \".\"")
			}
			x = &Member{Span: Span{x.Pos(), n.End()}, X: x, Name: n}
		case p.isPunct("["):
			p.next()
			idx, err := p.expr()
			if err != nil {
				return nil, err
			}
			if _, err := p.expectPunct("]"); err != nil {
				return nil, err
			}
			x = &Index{Span: Span{x.Pos(), p.prevEnd()}, X: x, Index: idx}
		default:
			return x, nil
		}
	}
}

func (p *parser) primary() (Expr, *Error) {
	t := p.peek()
	sp := Span{t.Pos, t.End}
	switch t.Kind {
	case TokEOF:
		return nil, p.errf(t.Pos, "expected an expression, got end of query")
	case TokLong:
		p.next()
		n, err := parseIntLit(t.Text)
		if err != nil {
			return nil, p.errf(t.Pos, "invalid number %s: out of range", t.Text)
		}
		return &Literal{Span: sp, Kind: LitLong, Value: n, Raw: t.Text}, nil
	case TokReal:
		p.next()
		f, err := strconv.ParseFloat(t.Text, 64)
		if err != nil && !math.IsInf(f, 0) {
			return nil, p.errf(t.Pos, "invalid number %s", t.Text)
		}
		return &Literal{Span: sp, Kind: LitReal, Value: f, Raw: t.Text}, nil
	case TokTimespan:
		p.next()
		d, ok := timespanLit(t.Text)
		if !ok {
			return nil, p.errf(t.Pos, "invalid timespan %s", t.Text)
		}
		return &Literal{Span: sp, Kind: LitTimespan, Value: d, Raw: t.Text}, nil
	case TokString:
		p.next()
		var b strings.Builder
		b.WriteString(t.Val)
		end := t.End
		for p.peek().Kind == TokString { // adjacent literals concatenate
			n := p.next()
			b.WriteString(n.Val)
			end = n.End
		}
		return &Literal{Span: Span{t.Pos, end}, Kind: LitString, Value: b.String(), Raw: p.src[t.Pos:end]}, nil
	case TokPunct:
		switch t.Text {
		case "(":
			p.next()
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			if _, err := p.expectPunct(")"); err != nil {
				return nil, err
			}
			return &Paren{Span: Span{t.Pos, p.prevEnd()}, X: x}, nil
		case "[":
			if p.peekN(1).Kind == TokString {
				return p.name()
			}
		case "*":
			p.next()
			return &Star{Span: sp}, nil
		}
		return nil, p.unexpected("an expression")
	case TokIdent:
		if strings.HasPrefix(t.Text, "!") || strings.HasSuffix(t.Text, "~") {
			return nil, p.unexpected("an expression")
		}
		switch t.Text {
		case "true", "True", "TRUE", "false", "False", "FALSE":
			p.next()
			return &Literal{Span: sp, Kind: LitBool, Value: strings.EqualFold(t.Text, "true"), Raw: t.Text}, nil
		case "null":
			p.next()
			return &Literal{Span: sp, Kind: LitDynamic, Null: true, Raw: t.Text}, nil
		}
		if n := p.peekN(1); n.Kind == TokRaw {
			return p.rawLiteral()
		}
		if n := p.peekN(1); n.Kind == TokPunct && n.Text == "(" {
			switch t.Text {
			case "int", "long", "real", "double", "bool", "boolean", "decimal":
				return p.typedScalarLiteral()
			}
			return p.call()
		}
		p.next()
		return &Ident{Span: sp, Name: t.Text}, nil
	}
	return nil, p.unexpected("an expression")
}

func parseIntLit(s string) (int64, error) {
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		u, err := strconv.ParseUint(s[2:], 16, 64)
		return int64(u), err
	}
	return strconv.ParseInt(s, 10, 64)
}

func timespanLit(text string) (time.Duration, bool) {
	i := 0
	for i < len(text) && (isDigit(text[i]) || text[i] == '.') {
		i++
	}
	f, err := strconv.ParseFloat(text[:i], 64)
	if err != nil {
		return 0, false
	}
	u, ok := timespanUnit(text[i:])
	if !ok {
		return 0, false
	}
	ticks := f * float64(u/100)
	if ticks > math.MaxInt64/100 {
		return 0, false
	}
	return time.Duration(math.Round(ticks)) * 100, true
}

// rawLiteral handles datetime(...), time(...), timespan(...), guid(...),
// dynamic(...): Raw holds the inner text.
func (p *parser) rawLiteral() (Expr, *Error) {
	kw := p.next()
	raw := p.next()
	inner := strings.TrimSpace(raw.Val)
	lit := &Literal{Span: Span{kw.Pos, raw.End}, Raw: inner, Typed: true}
	switch kw.Text {
	case "datetime", "date":
		lit.Kind = LitDateTime
	case "time", "timespan":
		lit.Kind = LitTimespan
	case "guid":
		lit.Kind = LitGUID
	case "dynamic":
		lit.Kind = LitDynamic
	}
	if inner == "null" {
		lit.Null = true
		return lit, nil
	}
	switch lit.Kind {
	case LitDynamic:
		v, err := ParseDynamicLiteral(inner)
		if err != nil {
			return nil, p.errf(raw.Pos+1, "invalid dynamic literal: %v", err)
		}
		lit.Value = v
	case LitTimespan:
		// A bare number is days; a unit literal or [d.]hh:mm[:ss] is decoded by the checker.
		if d, ok := timespanLit(inner); ok {
			lit.Value = d
		} else if f, err := strconv.ParseFloat(inner, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			lit.Value = time.Duration(math.Round(f * float64(24*time.Hour)))
		}
	}
	if inner == "" {
		return nil, p.errf(raw.Pos, "empty %s literal", kw.Text)
	}
	return lit, nil
}

// typedScalarLiteral handles int(1), long(-2), real(1.5), bool(true), int(null).
func (p *parser) typedScalarLiteral() (Expr, *Error) {
	kw := p.next()
	p.next() // (
	lit := &Literal{Typed: true}
	switch kw.Text {
	case "int":
		lit.Kind = LitInt
	case "long":
		lit.Kind = LitLong
	case "real", "double":
		lit.Kind = LitReal
	case "bool", "boolean":
		lit.Kind = LitBool
	case "decimal":
		lit.Kind = LitDecimal
	}
	neg := false
	if p.acceptPunct("-") {
		neg = true
	} else {
		p.acceptPunct("+")
	}
	t := p.next()
	switch {
	case t.Kind == TokIdent && t.Text == "null" && !neg:
		lit.Null = true
	case lit.Kind == LitBool && t.Kind == TokIdent && (strings.EqualFold(t.Text, "true") || strings.EqualFold(t.Text, "false")) && !neg:
		lit.Value = strings.EqualFold(t.Text, "true")
	case t.Kind == TokLong && lit.Kind != LitBool:
		n, err := parseIntLit(t.Text)
		if err != nil {
			return nil, p.errf(t.Pos, "invalid number %s", t.Text)
		}
		if neg {
			n = -n
		}
		switch lit.Kind {
		case LitInt:
			if n > math.MaxInt32 || n < math.MinInt32 {
				return nil, p.errf(t.Pos, "%s does not fit in int", t.Text)
			}
			lit.Value = n
		case LitLong:
			lit.Value = n
		default:
			lit.Value = float64(n)
		}
	case t.Kind == TokReal && (lit.Kind == LitReal || lit.Kind == LitDecimal):
		f, _ := strconv.ParseFloat(t.Text, 64)
		if neg {
			f = -f
		}
		lit.Value = f
	case t.Kind == TokIdent && (lit.Kind == LitReal) && (t.Text == "nan" || t.Text == "inf" || t.Text == "NaN"):
		if t.Text == "inf" {
			lit.Value = math.Inf(1)
			if neg {
				lit.Value = math.Inf(-1)
			}
		} else {
			lit.Value = math.NaN()
		}
	default:
		return nil, p.errf(t.Pos, "invalid %s literal: got %s", kw.Text, t.describe())
	}
	if _, err := p.expectPunct(")"); err != nil {
		return nil, err
	}
	lit.Span = Span{kw.Pos, p.prevEnd()}
	lit.Raw = p.src[kw.Pos:p.prevEnd()]
	return lit, nil
}

func (p *parser) call() (Expr, *Error) {
	fn := p.next()
	p.next() // (
	c := &Call{Fn: &Ident{Span: Span{fn.Pos, fn.End}, Name: fn.Text}}
	for !p.isPunct(")") {
		a, err := p.expr()
		if err != nil {
			return nil, err
		}
		c.Args = append(c.Args, a)
		if !p.acceptPunct(",") {
			break
		}
	}
	if !p.isPunct(")") {
		return nil, p.unexpected(`")" or ","`)
	}
	p.next()
	c.Span = Span{fn.Pos, p.prevEnd()}
	return c, nil
}

// makeSeries parses the rest of make-series after the operator name.
func (p *parser) makeSeries(span func() Span) (*MakeSeriesOp, *Error) {
	m := &MakeSeriesOp{}
	p.skipHints()
	if p.isWord("kind") && p.peekN(1).Kind == TokPunct && p.peekN(1).Text == "=" {
		p.next()
		p.next()
		v := p.next()
		if v.Kind != TokIdent {
			return nil, p.errf(v.Pos, "expected a make-series kind, got %s", v.describe())
		}
		m.Kind = v.Text
	}
	for {
		ne, err := p.namedExpr()
		if err != nil {
			return nil, err
		}
		m.Aggs = append(m.Aggs, ne)
		var def Expr
		if p.isWord("default") && p.peekN(1).Kind == TokPunct && p.peekN(1).Text == "=" {
			p.next()
			p.next()
			if def, err = p.expr(); err != nil {
				return nil, err
			}
		}
		m.Defaults = append(m.Defaults, def)
		if !p.acceptPunct(",") {
			break
		}
	}
	if _, err := p.expectWord("on"); err != nil {
		return nil, err
	}
	// The axis is a column name (an expression would swallow "in range").
	axis, err := p.name()
	if err != nil {
		return nil, err
	}
	m.Axis = axis
	if p.acceptWord("in") {
		if _, err := p.expectWord("range"); err != nil {
			return nil, err
		}
		if _, err := p.expectPunct("("); err != nil {
			return nil, err
		}
		m.InRange = true
		for i, dst := range []*Expr{&m.From, &m.To, &m.Step} {
			if i > 0 {
				if _, err := p.expectPunct(","); err != nil {
					return nil, err
				}
			}
			if *dst, err = p.expr(); err != nil {
				return nil, err
			}
		}
		if _, err := p.expectPunct(")"); err != nil {
			return nil, err
		}
	} else {
		if p.acceptWord("from") {
			if m.From, err = p.expr(); err != nil {
				return nil, err
			}
		}
		if p.acceptWord("to") {
			if m.To, err = p.expr(); err != nil {
				return nil, err
			}
		}
		if _, err := p.expectWord("step"); err != nil {
			return nil, err
		}
		if m.Step, err = p.expr(); err != nil {
			return nil, err
		}
	}
	if p.acceptWord("by") {
		if m.By, err = p.namedExprs(); err != nil {
			return nil, err
		}
	}
	m.Span = span()
	return m, nil
}
