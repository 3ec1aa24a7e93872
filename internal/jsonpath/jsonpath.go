// Package jsonpath evaluates JSONPath expressions with Json.NET semantics over
// Go JSON values (map[string]any, []any, string, bool, nil and the numeric
// types int64, float64, int and json.Number).
//
// It implements the JSONPath dialect CCF uses for eventsJsonPaths, paging
// token paths and successStatusJsonPath (SPEC §4 "Responses",
// reference/ccf-format.md §2.5). Supported: "$", "" (the root), "@", unrooted
// paths ("a.b", "..x"), ".name", "['name']"/`["name"]` (several names
// separated by commas), "[n]" (negative counts from the end, several indexes
// allowed), "[a:b:c]" slices, "[*]", ".*", ".." recursive descent, and filters
// "[?(...)]" with == != < <= > >=, && || and parentheses over @/$ paths and
// literals (strings, numbers, true, false, null).
//
// We write our own because RFC 9535 libraries reject forms CCF connectors use
// (unrooted "..x", "$.[-1:]", "$.['@odata.nextLink']", the empty path).
// Lookups are lenient like Json.NET's default: a missing key, an index out of
// range or a type mismatch selects nothing rather than failing. Object members
// are visited in sorted key order (Go maps carry no order). Script
// expressions "[(...)]" and regular-expression matches are not supported.
package jsonpath

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Path is a compiled JSONPath.
type Path struct {
	src  string
	sels []selector
}

// String returns the source text.
func (p *Path) String() string { return p.src }

// Error is a compile error with the byte offset it refers to.
type Error struct {
	Path string
	Pos  int
	Msg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("jsonpath %q: position %d: %s", e.Path, e.Pos, e.Msg)
}

// Compile parses a JSONPath.
func Compile(path string) (*Path, error) {
	p := &parser{src: path}
	sels, err := p.parsePath(false)
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.src) {
		return nil, p.errf("unexpected %q", p.src[p.pos])
	}
	return &Path{src: path, sels: sels}, nil
}

// MustCompile is Compile for constant paths in code; it panics on error.
func MustCompile(path string) *Path {
	p, err := Compile(path)
	if err != nil {
		panic(err)
	}
	return p
}

// Select returns every value the path selects in v, in document order.
func (p *Path) Select(v any) []any {
	nodes := []any{v}
	for _, s := range p.sels {
		var next []any
		for _, n := range nodes {
			next = s.apply(n, v, next)
		}
		nodes = next
		if len(nodes) == 0 {
			return nil
		}
	}
	return nodes
}

// First returns the first selected value and whether there was one.
func (p *Path) First(v any) (any, bool) {
	r := p.Select(v)
	if len(r) == 0 {
		return nil, false
	}
	return r[0], true
}

// ---- selectors

type selector interface {
	apply(node, root any, out []any) []any
}

type nameSel struct{ names []string }

func (s nameSel) apply(node, _ any, out []any) []any {
	if m, ok := node.(map[string]any); ok {
		for _, n := range s.names {
			if v, ok := m[n]; ok {
				out = append(out, v)
			}
		}
	}
	return out
}

type wildSel struct{}

func (wildSel) apply(node, _ any, out []any) []any {
	switch n := node.(type) {
	case []any:
		out = append(out, n...)
	case map[string]any:
		for _, k := range sortedKeys(n) {
			out = append(out, n[k])
		}
	}
	return out
}

type indexSel struct{ idx []int }

func (s indexSel) apply(node, _ any, out []any) []any {
	a, ok := node.([]any)
	if !ok {
		return out
	}
	for _, i := range s.idx {
		if i < 0 {
			i += len(a)
		}
		if i >= 0 && i < len(a) {
			out = append(out, a[i])
		}
	}
	return out
}

type sliceSel struct {
	start, end, step *int
}

func (s sliceSel) apply(node, _ any, out []any) []any {
	a, ok := node.([]any)
	if !ok {
		return out
	}
	n := len(a)
	step := 1
	if s.step != nil {
		step = *s.step
	}
	norm := func(p *int, def int) int {
		if p == nil {
			return def
		}
		i := *p
		if i < 0 {
			i += n
		}
		return i
	}
	if step > 0 {
		lo := max(0, min(n, norm(s.start, 0)))
		hi := max(0, min(n, norm(s.end, n)))
		for i := lo; i < hi; i += step {
			out = append(out, a[i])
		}
	} else if step < 0 {
		hi := max(-1, min(n-1, norm(s.start, n-1)))
		lo := max(-1, min(n-1, norm(s.end, -1)))
		if s.end == nil {
			lo = -1
		}
		for i := hi; i > lo; i += step {
			out = append(out, a[i])
		}
	}
	return out
}

type filterSel struct{ e expr }

func (s filterSel) apply(node, root any, out []any) []any {
	switch n := node.(type) {
	case []any:
		for _, v := range n {
			if s.e.truthy(v, root) {
				out = append(out, v)
			}
		}
	case map[string]any:
		for _, k := range sortedKeys(n) {
			if s.e.truthy(n[k], root) {
				out = append(out, n[k])
			}
		}
	}
	return out
}

// recursiveSel applies inner to the node and every descendant, pre-order.
type recursiveSel struct{ inner selector }

func (s recursiveSel) apply(node, root any, out []any) []any {
	out = s.inner.apply(node, root, out)
	switch n := node.(type) {
	case []any:
		for _, v := range n {
			out = s.apply(v, root, out)
		}
	case map[string]any:
		for _, k := range sortedKeys(n) {
			out = s.apply(n[k], root, out)
		}
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ---- parser

type parser struct {
	src string
	pos int
}

func (p *parser) errf(format string, args ...any) error {
	return &Error{Path: p.src, Pos: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t') {
		p.pos++
	}
}

// parsePath parses an optional root and a sequence of segments. In a filter
// (inFilter) the path ends at whitespace, ')' or an operator.
func (p *parser) parsePath(inFilter bool) ([]selector, error) {
	var sels []selector
	switch c := p.peek(); {
	case c == '$' || c == '@':
		p.pos++
	case c == 0 || c == '.' || c == '[':
	default:
		// Unrooted: a leading member name.
		name := p.name(inFilter)
		if name == "" {
			return nil, p.errf("unexpected %q", c)
		}
		sels = append(sels, nameSel{names: []string{name}})
	}
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '.' && strings.HasPrefix(p.src[p.pos:], ".."):
			p.pos += 2
			var inner selector
			switch p.peek() {
			case '*':
				p.pos++
				inner = wildSel{}
			case '[':
				s, err := p.bracket()
				if err != nil {
					return nil, err
				}
				inner = s
			default:
				name := p.name(inFilter)
				if name == "" {
					return nil, p.errf("expected a member name after '..'")
				}
				inner = nameSel{names: []string{name}}
			}
			sels = append(sels, recursiveSel{inner: inner})
		case c == '.':
			p.pos++
			switch p.peek() {
			case '*':
				p.pos++
				sels = append(sels, wildSel{})
			case '[': // Json.NET accepts "$.[0]" and "$.['x']"
				s, err := p.bracket()
				if err != nil {
					return nil, err
				}
				sels = append(sels, s)
			default:
				name := p.name(inFilter)
				if name == "" {
					return nil, p.errf("expected a member name after '.'")
				}
				sels = append(sels, nameSel{names: []string{name}})
			}
		case c == '[':
			s, err := p.bracket()
			if err != nil {
				return nil, err
			}
			sels = append(sels, s)
		default:
			if inFilter {
				return sels, nil
			}
			return nil, p.errf("unexpected %q (expected '.', '..' or '[')", c)
		}
	}
	return sels, nil
}

func (p *parser) name(inFilter bool) string {
	start := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '.' || c == '[' || c == ']' || c == '(' || c == ')' {
			break
		}
		if inFilter && strings.IndexByte(" \t=!<>&|,", c) >= 0 {
			break
		}
		p.pos++
	}
	return p.src[start:p.pos]
}

func (p *parser) bracket() (selector, error) {
	open := p.pos
	p.pos++ // '['
	p.skipSpace()
	var sel selector
	switch c := p.peek(); {
	case c == '*':
		p.pos++
		sel = wildSel{}
	case c == '?':
		p.pos++
		p.skipSpace()
		if p.peek() != '(' {
			return nil, p.errf("expected '(' after '?'")
		}
		p.pos++
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.peek() != ')' {
			return nil, p.errf("expected ')' to close the filter")
		}
		p.pos++
		sel = filterSel{e: e}
	case c == '(':
		return nil, p.errf("script expressions are not supported")
	case c == '\'' || c == '"':
		var names []string
		for {
			if q := p.peek(); q != '\'' && q != '"' {
				return nil, p.errf("expected a quoted name")
			}
			s, err := p.quoted()
			if err != nil {
				return nil, err
			}
			names = append(names, s)
			p.skipSpace()
			if p.peek() != ',' {
				break
			}
			p.pos++
			p.skipSpace()
		}
		sel = nameSel{names: names}
	case c == '-' || c == ':' || (c >= '0' && c <= '9'):
		s, err := p.indexOrSlice()
		if err != nil {
			return nil, err
		}
		sel = s
	case c == 0:
		p.pos = open
		return nil, p.errf("unterminated '['")
	default:
		return nil, p.errf("unexpected %q in brackets", c)
	}
	p.skipSpace()
	if p.peek() != ']' {
		if p.pos >= len(p.src) {
			p.pos = open
			return nil, p.errf("unterminated '['")
		}
		return nil, p.errf("expected ']'")
	}
	p.pos++
	return sel, nil
}

func (p *parser) quoted() (string, error) {
	q := p.src[p.pos]
	start := p.pos
	p.pos++
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == q:
			p.pos++
			return b.String(), nil
		case c == '\\' && p.pos+1 < len(p.src):
			p.pos++
			switch e := p.src[p.pos]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
		p.pos++
	}
	p.pos = start
	return "", p.errf("unterminated string")
}

func (p *parser) int() (*int, error) {
	p.skipSpace()
	start := p.pos
	if p.peek() == '-' {
		p.pos++
	}
	for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
		p.pos++
	}
	if p.pos == start {
		return nil, nil
	}
	n, err := strconv.Atoi(p.src[start:p.pos])
	if err != nil {
		p.pos = start
		return nil, p.errf("invalid integer %q", p.src[start:p.pos])
	}
	p.skipSpace()
	return &n, nil
}

func (p *parser) indexOrSlice() (selector, error) {
	first, err := p.int()
	if err != nil {
		return nil, err
	}
	if p.peek() == ':' {
		p.pos++
		end, err := p.int()
		if err != nil {
			return nil, err
		}
		var step *int
		if p.peek() == ':' {
			p.pos++
			if step, err = p.int(); err != nil {
				return nil, err
			}
			if step != nil && *step == 0 {
				return nil, p.errf("slice step cannot be 0")
			}
		}
		return sliceSel{start: first, end: end, step: step}, nil
	}
	if first == nil {
		return nil, p.errf("expected an index")
	}
	idx := []int{*first}
	for p.peek() == ',' {
		p.pos++
		n, err := p.int()
		if err != nil {
			return nil, err
		}
		if n == nil {
			return nil, p.errf("expected an index after ','")
		}
		idx = append(idx, *n)
	}
	return indexSel{idx: idx}, nil
}

// ---- filter expressions

type expr interface {
	// eval returns the operand values (paths may select several).
	truthy(cur, root any) bool
}

type orExpr struct{ l, r expr }

func (e orExpr) truthy(c, r any) bool { return e.l.truthy(c, r) || e.r.truthy(c, r) }

type andExpr struct{ l, r expr }

func (e andExpr) truthy(c, r any) bool { return e.l.truthy(c, r) && e.r.truthy(c, r) }

type operand struct {
	rooted bool // $ rather than @
	path   []selector
	lit    any
	isLit  bool
}

func (o operand) values(cur, root any) []any {
	if o.isLit {
		return []any{o.lit}
	}
	start := cur
	if o.rooted {
		start = root
	}
	nodes := []any{start}
	for _, s := range o.path {
		var next []any
		for _, n := range nodes {
			next = s.apply(n, root, next)
		}
		nodes = next
	}
	return nodes
}

// existsExpr is a bare path: true when it selects something (Json.NET also
// treats a selected false as existing).
type existsExpr struct{ o operand }

func (e existsExpr) truthy(c, r any) bool {
	if e.o.isLit {
		b, ok := e.o.lit.(bool)
		return ok && b
	}
	return len(e.o.values(c, r)) > 0
}

type cmpExpr struct {
	op   string
	l, r operand
}

func (e cmpExpr) truthy(c, r any) bool {
	lv := e.l.values(c, r)
	rv := e.r.values(c, r)
	for _, a := range lv {
		for _, b := range rv {
			if compare(e.op, a, b) {
				return true
			}
		}
	}
	return false
}

func (p *parser) parseOr() (expr, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		if !strings.HasPrefix(p.src[p.pos:], "||") {
			return l, nil
		}
		p.pos += 2
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = orExpr{l, r}
	}
}

func (p *parser) parseAnd() (expr, error) {
	l, err := p.parseAtom()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		if !strings.HasPrefix(p.src[p.pos:], "&&") {
			return l, nil
		}
		p.pos += 2
		r, err := p.parseAtom()
		if err != nil {
			return nil, err
		}
		l = andExpr{l, r}
	}
}

var cmpOps = []string{"==", "!=", "<=", ">=", "<", ">"}

func (p *parser) parseAtom() (expr, error) {
	p.skipSpace()
	if p.peek() == '(' {
		p.pos++
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.peek() != ')' {
			return nil, p.errf("expected ')'")
		}
		p.pos++
		return e, nil
	}
	l, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	for _, op := range cmpOps {
		if strings.HasPrefix(p.src[p.pos:], op) {
			p.pos += len(op)
			r, err := p.parseOperand()
			if err != nil {
				return nil, err
			}
			return cmpExpr{op: op, l: l, r: r}, nil
		}
	}
	if strings.HasPrefix(p.src[p.pos:], "=~") {
		return nil, p.errf("regular-expression matches (=~) are not supported")
	}
	if l.isLit {
		if _, ok := l.lit.(bool); !ok {
			return nil, p.errf("expected a comparison operator after a literal")
		}
	}
	return existsExpr{o: l}, nil
}

func (p *parser) parseOperand() (operand, error) {
	p.skipSpace()
	c := p.peek()
	switch {
	case c == '@' || c == '$':
		rooted := c == '$'
		sels, err := p.parsePath(true)
		if err != nil {
			return operand{}, err
		}
		return operand{rooted: rooted, path: sels}, nil
	case c == '\'' || c == '"':
		s, err := p.quoted()
		if err != nil {
			return operand{}, err
		}
		return operand{isLit: true, lit: s}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.pos
		p.pos++
		for p.pos < len(p.src) && strings.IndexByte("0123456789.eE+-", p.src[p.pos]) >= 0 {
			p.pos++
		}
		text := p.src[start:p.pos]
		if i, err := strconv.ParseInt(text, 10, 64); err == nil {
			return operand{isLit: true, lit: i}, nil
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			p.pos = start
			return operand{}, p.errf("invalid number %q", text)
		}
		return operand{isLit: true, lit: f}, nil
	}
	for _, kw := range []struct {
		s string
		v any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if strings.HasPrefix(p.src[p.pos:], kw.s) {
			p.pos += len(kw.s)
			return operand{isLit: true, lit: kw.v}, nil
		}
	}
	if c == 0 {
		return operand{}, p.errf("unexpected end of filter")
	}
	return operand{}, p.errf("unexpected %q in filter", c)
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	case int:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func compare(op string, a, b any) bool {
	if ai, ok := a.(int64); ok {
		if bi, ok := b.(int64); ok {
			return ordered(op, cmp3(ai, bi))
		}
	}
	if af, ok := toFloat(a); ok {
		if bf, ok := toFloat(b); ok {
			return ordered(op, cmp3(af, bf))
		}
		// Json.NET compares a number with a numeric string by value.
		if bs, ok := b.(string); ok {
			if bf, err := strconv.ParseFloat(bs, 64); err == nil {
				return ordered(op, cmp3(af, bf))
			}
		}
		return op == "!="
	}
	switch av := a.(type) {
	case string:
		if bs, ok := b.(string); ok {
			return ordered(op, strings.Compare(av, bs))
		}
		if bf, ok := toFloat(b); ok {
			if af, err := strconv.ParseFloat(av, 64); err == nil {
				return ordered(op, cmp3(af, bf))
			}
		}
	case bool:
		if bb, ok := b.(bool); ok {
			if op == "==" {
				return av == bb
			}
			if op == "!=" {
				return av != bb
			}
			return false
		}
	case nil:
		if b == nil {
			return op == "==" || op == "<=" || op == ">="
		}
	}
	return op == "!="
}

func cmp3[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func ordered(op string, c int) bool {
	switch op {
	case "==":
		return c == 0
	case "!=":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}
