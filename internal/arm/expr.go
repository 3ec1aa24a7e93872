package arm

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxExprLen is ARM's limit on the length of one expression (ccf-format.md §9.6).
const MaxExprLen = 24576

// Expr is a parsed template expression.
type Expr interface {
	// Pos is the 1-based character position of the node in the JSON string
	// value it was parsed from (the leading '[' is position 1).
	Pos() int
	String() string
}

// StringLit is a '...' literal.
type StringLit struct {
	P     int
	Value string
}

// NumberLit is an integer or decimal literal.
type NumberLit struct {
	P     int
	Value any    // int64 or float64
	Text  string // as written
}

// Call is a function call; Name keeps the spelling of the source.
type Call struct {
	P    int
	Name string
	Args []Expr
}

// Member is property access: X.Name.
type Member struct {
	P    int
	X    Expr
	Name string
}

// Index is indexing: X[Index].
type Index struct {
	P     int
	X     Expr
	Index Expr
}

func (e *StringLit) Pos() int { return e.P }
func (e *NumberLit) Pos() int { return e.P }
func (e *Call) Pos() int      { return e.P }
func (e *Member) Pos() int    { return e.P }
func (e *Index) Pos() int     { return e.P }

func (e *StringLit) String() string { return "'" + strings.ReplaceAll(e.Value, "'", "''") + "'" }
func (e *NumberLit) String() string {
	if e.Text != "" {
		return e.Text
	}
	return fmt.Sprint(e.Value)
}
func (e *Call) String() string {
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		parts[i] = a.String()
	}
	return e.Name + "(" + strings.Join(parts, ", ") + ")"
}
func (e *Member) String() string { return e.X.String() + "." + e.Name }
func (e *Index) String() string  { return e.X.String() + "[" + e.Index.String() + "]" }

// ExprError is a parse or evaluation error at a character position.
type ExprError struct {
	Pos int // 1-based position in the JSON string value
	Msg string
	Err error // optional cause
}

func (e *ExprError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("position %d: %s: %v", e.Pos, e.Msg, e.Err)
	}
	return fmt.Sprintf("position %d: %s", e.Pos, e.Msg)
}

func (e *ExprError) Unwrap() error { return e.Err }

// IsExpression reports whether a JSON string value is a template expression:
// it starts with '[' (but not "[[") and ends with ']'.
func IsExpression(s string) bool {
	return len(s) >= 3 && s[0] == '[' && s[len(s)-1] == ']' && s[1] != '['
}

// IsEscaped reports whether s is an escaped literal "[[...]" that one
// deployment level turns into "[...]".
func IsEscaped(s string) bool {
	return len(s) >= 3 && s[0] == '[' && s[1] == '[' && s[len(s)-1] == ']'
}

// ParseExpr parses a template expression. s may be the whole JSON string
// value ("[concat('a','b')]") or the bare expression ("concat('a','b')").
// Positions in errors and nodes are 1-based and refer to s as given, with the
// brackets when present.
func ParseExpr(s string) (Expr, error) {
	src, off := s, 0
	if IsExpression(s) {
		src, off = s[1:len(s)-1], 1
	}
	if len(src) > MaxExprLen {
		return nil, &ExprError{Pos: 1, Msg: fmt.Sprintf("expression is %d characters long, the limit is %d", len(src), MaxExprLen)}
	}
	p := &parser{src: src, off: off}
	p.next()
	if p.tok.kind == tokEOF {
		return nil, &ExprError{Pos: 1 + off, Msg: "empty expression"}
	}
	e, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind == tokErr {
		return nil, &ExprError{Pos: p.tok.pos, Msg: p.tok.text}
	}
	if p.tok.kind != tokEOF {
		return nil, p.errf("unexpected %s after the end of the expression", p.tok.describe())
	}
	base := e
	for {
		if m, ok := base.(*Member); ok {
			base = m.X
			continue
		}
		if ix, ok := base.(*Index); ok {
			base = ix.X
			continue
		}
		break
	}
	if _, ok := base.(*Call); !ok {
		return nil, &ExprError{Pos: base.Pos(), Msg: "an expression must start with a function call"}
	}
	return e, nil
}

// parseEmbedded parses one expression at the start of src that is closed by
// a ']' and returns it with the number of bytes consumed including the ']'.
// Positions are offset by off.
func parseEmbedded(src string, off int) (Expr, int, error) {
	p := &parser{src: src, off: off}
	p.next()
	e, err := p.parseExpr()
	if err != nil {
		return nil, 0, err
	}
	if p.tok.kind != tokRBrack {
		return nil, 0, p.errf("expected \"]\" to close the embedded expression, got %s", p.tok.describe())
	}
	return e, p.i, nil
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokString
	tokNumber
	tokLParen
	tokRParen
	tokLBrack
	tokRBrack
	tokComma
	tokDot
	tokErr
)

type token struct {
	kind tokKind
	text string // identifier name, decoded string, number text, or error message
	pos  int    // 1-based
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of expression"
	case tokIdent:
		return fmt.Sprintf("identifier %q", t.text)
	case tokString:
		return "string literal"
	case tokNumber:
		return fmt.Sprintf("number %s", t.text)
	case tokLParen:
		return `"("`
	case tokRParen:
		return `")"`
	case tokLBrack:
		return `"["`
	case tokRBrack:
		return `"]"`
	case tokComma:
		return `","`
	case tokDot:
		return `"."`
	}
	return t.text
}

type parser struct {
	src   string
	off   int // added to byte offsets to form positions
	i     int
	tok   token
	depth int
}

const maxDepth = 200

func (p *parser) errf(format string, args ...any) error {
	return &ExprError{Pos: p.tok.pos, Msg: fmt.Sprintf(format, args...)}
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || (c >= '0' && c <= '9')
}

func (p *parser) next() {
	for p.i < len(p.src) && (p.src[p.i] == ' ' || p.src[p.i] == '\t' || p.src[p.i] == '\n' || p.src[p.i] == '\r') {
		p.i++
	}
	pos := p.i + 1 + p.off
	if p.i >= len(p.src) {
		p.tok = token{kind: tokEOF, pos: pos}
		return
	}
	c := p.src[p.i]
	switch c {
	case '(':
		p.i++
		p.tok = token{kind: tokLParen, pos: pos}
	case ')':
		p.i++
		p.tok = token{kind: tokRParen, pos: pos}
	case '[':
		p.i++
		p.tok = token{kind: tokLBrack, pos: pos}
	case ']':
		p.i++
		p.tok = token{kind: tokRBrack, pos: pos}
	case ',':
		p.i++
		p.tok = token{kind: tokComma, pos: pos}
	case '.':
		p.i++
		p.tok = token{kind: tokDot, pos: pos}
	case '\'':
		var b strings.Builder
		j := p.i + 1
		for {
			if j >= len(p.src) {
				p.tok = token{kind: tokErr, text: "unterminated string literal", pos: pos}
				p.i = len(p.src)
				return
			}
			if p.src[j] == '\'' {
				if j+1 < len(p.src) && p.src[j+1] == '\'' {
					b.WriteByte('\'')
					j += 2
					continue
				}
				break
			}
			b.WriteByte(p.src[j])
			j++
		}
		p.i = j + 1
		p.tok = token{kind: tokString, text: b.String(), pos: pos}
	default:
		switch {
		case isIdentStart(c):
			j := p.i + 1
			for j < len(p.src) && isIdentPart(p.src[j]) {
				j++
			}
			p.tok = token{kind: tokIdent, text: p.src[p.i:j], pos: pos}
			p.i = j
		case (c >= '0' && c <= '9') || c == '-' || c == '+':
			j := p.i + 1
			isDigit := func(k int) bool { return k < len(p.src) && p.src[k] >= '0' && p.src[k] <= '9' }
			for isDigit(j) {
				j++
			}
			if j < len(p.src) && p.src[j] == '.' && isDigit(j+1) {
				j++
				for isDigit(j) {
					j++
				}
			}
			p.tok = token{kind: tokNumber, text: p.src[p.i:j], pos: pos}
			p.i = j
		default:
			r, _ := utf8.DecodeRuneInString(p.src[p.i:])
			p.tok = token{kind: tokErr, text: fmt.Sprintf("unexpected character %q", r), pos: pos}
			p.i = len(p.src)
		}
	}
}

func (p *parser) parseExpr() (Expr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, p.errf("expression nested too deeply")
	}
	var e Expr
	t := p.tok
	switch t.kind {
	case tokString:
		e = &StringLit{P: t.pos, Value: t.text}
		p.next()
	case tokNumber:
		n, err := parseNumber(t.text)
		if err != nil {
			return nil, &ExprError{Pos: t.pos, Msg: fmt.Sprintf("invalid number %q", t.text)}
		}
		e = &NumberLit{P: t.pos, Value: n, Text: t.text}
		p.next()
	case tokIdent:
		p.next()
		if p.tok.kind != tokLParen {
			return nil, p.errf("expected \"(\" after function name %q, got %s", t.text, p.tok.describe())
		}
		p.next()
		call := &Call{P: t.pos, Name: t.text}
		if p.tok.kind != tokRParen {
			for {
				a, err := p.parseExpr()
				if err != nil {
					return nil, err
				}
				call.Args = append(call.Args, a)
				if p.tok.kind == tokComma {
					p.next()
					continue
				}
				if p.tok.kind != tokRParen {
					return nil, p.errf("expected \",\" or \")\" in call to %s, got %s", t.text, p.tok.describe())
				}
				break
			}
		}
		p.next()
		e = call
	case tokErr:
		return nil, &ExprError{Pos: t.pos, Msg: t.text}
	default:
		return nil, p.errf("expected a function call, string or number, got %s", t.describe())
	}
	// postfix: .name and [index]
	for {
		switch p.tok.kind {
		case tokDot:
			dot := p.tok
			p.next()
			if p.tok.kind != tokIdent {
				return nil, p.errf("expected a property name after \".\", got %s", p.tok.describe())
			}
			e = &Member{P: dot.pos, X: e, Name: p.tok.text}
			p.next()
		case tokLBrack:
			lb := p.tok
			p.next()
			idx, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			if p.tok.kind != tokRBrack {
				return nil, p.errf("expected \"]\", got %s", p.tok.describe())
			}
			p.next()
			e = &Index{P: lb.pos, X: e, Index: idx}
		default:
			return e, nil
		}
	}
}

func parseNumber(s string) (any, error) {
	if !strings.Contains(s, ".") {
		return strconv.ParseInt(s, 10, 64)
	}
	return strconv.ParseFloat(s, 64)
}

// Context is what an expression can see while it is evaluated.
type Context struct {
	Parameters     map[string]any
	Variables      map[string]any
	Subscription   string // subscription id (a GUID)
	ResourceGroup  string
	Location       string
	DeploymentName string
	// CopyIndex holds the current iteration per copy loop name; the key ""
	// is the loop of the resource (or property) being evaluated.
	CopyIndex map[string]int
	Now       func() time.Time
	NewGUID   func() string
	// TenantID is returned by subscription().tenantId (optional).
	TenantID string
	// Reference implements reference(); nil makes reference() an error.
	Reference func(resourceID, apiVersion string) (any, error)

	// lazy lookups used by deployments (parameters/variables evaluated on
	// first use, with cycle detection); nil means use the maps.
	lookupParam func(name string) (any, bool, error)
	lookupVar   func(name string) (any, bool, error)
	// contentVersion is returned by deployment().properties.template.contentVersion.
	contentVersion string
}

// MissingError is returned when parameters('x') or variables('x') names
// something that is not defined. Kind is "parameter" or "variable".
type MissingError struct {
	Kind, Name string
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("the %s %q is not defined", e.Kind, e.Name)
}

// EvalString evaluates one JSON string value: an expression "[...]" is
// parsed and evaluated; an escaped literal "[[...]" loses one '['; any other
// string is returned unchanged.
func EvalString(s string, ctx *Context) (any, error) {
	if IsEscaped(s) {
		return s[1:], nil
	}
	if !IsExpression(s) {
		return s, nil
	}
	e, err := ParseExpr(s)
	if err != nil {
		return nil, err
	}
	return Eval(e, ctx)
}

// Eval evaluates a parsed expression.
func Eval(e Expr, ctx *Context) (any, error) {
	if ctx == nil {
		ctx = &Context{}
	}
	return ctx.eval(e, 0)
}

func (c *Context) eval(e Expr, depth int) (any, error) {
	if depth > maxDepth {
		return nil, &ExprError{Pos: e.Pos(), Msg: "expression nested too deeply"}
	}
	switch n := e.(type) {
	case *StringLit:
		return n.Value, nil
	case *NumberLit:
		return n.Value, nil
	case *Call:
		name := strings.ToLower(n.Name)
		if name == "if" && len(n.Args) == 3 {
			return c.evalIf(n, depth)
		}
		f, ok := functions[name]
		if !ok {
			return nil, &ExprError{Pos: n.P, Msg: fmt.Sprintf("unsupported function %q", n.Name)}
		}
		args := make([]any, len(n.Args))
		for i, a := range n.Args {
			v, err := c.eval(a, depth+1)
			if err != nil {
				return nil, err
			}
			args[i] = v
		}
		v, err := f(c, args)
		if err != nil {
			var ee *ExprError
			if errors.As(err, &ee) {
				return nil, err
			}
			return nil, &ExprError{Pos: n.P, Msg: n.Name, Err: err}
		}
		return v, nil
	case *Member:
		x, err := c.eval(n.X, depth+1)
		if err != nil {
			return nil, err
		}
		v, err := member(x, n.Name)
		if err != nil {
			return nil, &ExprError{Pos: n.P, Msg: "property access", Err: err}
		}
		return v, nil
	case *Index:
		x, err := c.eval(n.X, depth+1)
		if err != nil {
			return nil, err
		}
		idx, err := c.eval(n.Index, depth+1)
		if err != nil {
			return nil, err
		}
		v, err := index(x, idx)
		if err != nil {
			return nil, &ExprError{Pos: n.P, Msg: "indexing", Err: err}
		}
		return v, nil
	}
	return nil, fmt.Errorf("unknown expression node %T", e)
}

// lookupCI finds key in m, exactly first, then case-insensitively.
func lookupCI(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

func member(x any, name string) (any, error) {
	switch o := x.(type) {
	case map[string]any:
		if v, ok := lookupCI(o, name); ok {
			return v, nil
		}
		return nil, fmt.Errorf("the object has no property %q", name)
	case nil:
		return nil, fmt.Errorf("cannot read property %q of null", name)
	}
	return nil, fmt.Errorf("cannot read property %q of a %s", name, typeName(x))
}

func index(x, idx any) (any, error) {
	switch o := x.(type) {
	case []any:
		i, ok := toInt(idx)
		if !ok {
			return nil, fmt.Errorf("an array index must be an integer, got %s", typeName(idx))
		}
		if i < 0 || i >= int64(len(o)) {
			return nil, fmt.Errorf("index %d is out of range (length %d)", i, len(o))
		}
		return o[i], nil
	case map[string]any:
		k, ok := idx.(string)
		if !ok {
			return nil, fmt.Errorf("an object index must be a string, got %s", typeName(idx))
		}
		return member(o, k)
	case nil:
		return nil, fmt.Errorf("cannot index null")
	}
	return nil, fmt.Errorf("cannot index a %s", typeName(x))
}

// evalIf evaluates only the branch that the condition selects, so that
// if(empty(x), 'none', x[0]) does not fail on the unused branch.
func (c *Context) evalIf(n *Call, depth int) (any, error) {
	cond, err := c.eval(n.Args[0], depth+1)
	if err != nil {
		return nil, err
	}
	b, ok := cond.(bool)
	if !ok {
		return nil, &ExprError{Pos: n.Args[0].Pos(), Msg: fmt.Sprintf("%s: the condition must be a bool, got %s", n.Name, typeName(cond))}
	}
	if b {
		return c.eval(n.Args[1], depth+1)
	}
	return c.eval(n.Args[2], depth+1)
}
