package syntax

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Format renders a query in canonical form: one line, single spaces,
// minimal parentheses. Parsing the output gives an equivalent tree.
func Format(q *Query) string {
	var b strings.Builder
	for _, l := range q.Lets {
		b.WriteString(formatLet(l))
		b.WriteString("; ")
	}
	b.WriteString(FormatPipeline(q.Body))
	return b.String()
}

func formatLet(l *LetStmt) string {
	s := "let " + FormatName(l.Name.Name) + " = "
	switch {
	case l.Func != nil:
		var ps []string
		for _, p := range l.Func.Params {
			x := FormatName(p.Name.Name) + ":" + p.Type
			if p.Default != nil {
				x += " = " + FormatExpr(p.Default)
			}
			ps = append(ps, x)
		}
		s += "(" + strings.Join(ps, ", ") + ") { "
		for _, inner := range l.Func.Lets {
			s += formatLet(inner) + "; "
		}
		if l.Func.Tab != nil {
			s += FormatPipeline(l.Func.Tab)
		} else {
			s += FormatExpr(l.Func.Body)
		}
		return s + " }"
	case l.Tabular != nil:
		return s + FormatPipeline(l.Tabular)
	}
	return s + FormatExpr(l.Expr)
}

// FormatPipeline renders a tabular expression.
func FormatPipeline(pl *Pipeline) string {
	var b strings.Builder
	b.WriteString(formatSource(pl.Source))
	for _, op := range pl.Ops {
		b.WriteString(" | ")
		b.WriteString(FormatOp(op))
	}
	return b.String()
}

func formatSource(s Source) string {
	switch x := s.(type) {
	case *TableRef:
		return FormatName(x.Name.Name)
	case *ParenSource:
		return "(" + FormatPipeline(x.Pipe) + ")"
	case Op:
		return FormatOp(x)
	}
	return "?"
}

func namedList(cols []*NamedExpr) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = formatNamed(c)
	}
	return strings.Join(parts, ", ")
}

func formatNamed(c *NamedExpr) string {
	switch {
	case c.Name != nil:
		return FormatName(c.Name.Name) + " = " + FormatExpr(c.Expr)
	case len(c.Names) > 0:
		ns := make([]string, len(c.Names))
		for i, n := range c.Names {
			ns[i] = FormatName(n.Name)
		}
		return "(" + strings.Join(ns, ", ") + ") = " + FormatExpr(c.Expr)
	}
	return FormatExpr(c.Expr)
}

func patterns(ps []*NamePattern) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		if p.Wildcard {
			parts[i] = p.Text
		} else {
			parts[i] = FormatName(p.Text)
		}
	}
	return strings.Join(parts, ", ")
}

func sortKeys(keys []*SortKey) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		s := FormatExpr(k.Expr)
		if k.Desc {
			s += " desc"
		} else {
			s += " asc"
		}
		if k.Nulls != "" {
			s += " nulls " + k.Nulls
		}
		parts[i] = s
	}
	return strings.Join(parts, ", ")
}

func exprList(es []Expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = FormatExpr(e)
	}
	return strings.Join(parts, ", ")
}

// FormatOp renders one tabular operator.
func FormatOp(op Op) string {
	switch x := op.(type) {
	case *WhereOp:
		return "where " + FormatExpr(x.Pred)
	case *ProjectOp:
		return "project " + namedList(x.Cols)
	case *ExtendOp:
		return "extend " + namedList(x.Cols)
	case *ProjectRenameOp:
		return "project-rename " + namedList(x.Cols)
	case *ProjectAwayOp:
		return "project-away " + patterns(x.Names)
	case *ProjectKeepOp:
		return "project-keep " + patterns(x.Names)
	case *ProjectReorderOp:
		return "project-reorder " + patterns(x.Names)
	case *SummarizeOp:
		s := "summarize"
		if len(x.Aggs) > 0 {
			s += " " + namedList(x.Aggs)
		}
		if len(x.By) > 0 {
			s += " by " + namedList(x.By)
		}
		return s
	case *MakeSeriesOp:
		s := "make-series"
		if x.Kind != "" {
			s += " kind=" + x.Kind
		}
		for i, a := range x.Aggs {
			if i > 0 {
				s += ","
			}
			s += " " + namedList([]*NamedExpr{a})
			if x.Defaults[i] != nil {
				s += " default=" + FormatExpr(x.Defaults[i])
			}
		}
		s += " on " + FormatExpr(x.Axis)
		if x.InRange {
			s += " in range(" + FormatExpr(x.From) + ", " + FormatExpr(x.To) + ", " + FormatExpr(x.Step) + ")"
		} else {
			if x.From != nil {
				s += " from " + FormatExpr(x.From)
			}
			if x.To != nil {
				s += " to " + FormatExpr(x.To)
			}
			s += " step " + FormatExpr(x.Step)
		}
		if len(x.By) > 0 {
			s += " by " + namedList(x.By)
		}
		return s
	case *TakeOp:
		return "take " + FormatExpr(x.Count)
	case *TopOp:
		return "top " + FormatExpr(x.Count) + " by " + sortKeys(x.By)
	case *SortOp:
		return "sort by " + sortKeys(x.By)
	case *CountOp:
		return "count"
	case *GetSchemaOp:
		return "getschema"
	case *DistinctOp:
		if x.Star {
			return "distinct *"
		}
		return "distinct " + exprList(x.Cols)
	case *MvExpandOp:
		s := "mv-expand"
		if x.Legacy {
			s = "mvexpand"
		}
		if x.Kind != "" {
			s += " kind=" + x.Kind
		}
		if x.ItemIndex != nil {
			s += " with_itemindex=" + FormatName(x.ItemIndex.Name)
		}
		parts := make([]string, len(x.Cols))
		for i, c := range x.Cols {
			p := FormatExpr(c.Expr)
			if c.Name != nil {
				p = FormatName(c.Name.Name) + " = " + p
			}
			if c.ToType != "" {
				p += " to typeof(" + c.ToType + ")"
			}
			parts[i] = p
		}
		s += " " + strings.Join(parts, ", ")
		if x.Limit != nil {
			s += " limit " + FormatExpr(x.Limit)
		}
		return s
	case *ParseOp:
		s := "parse"
		if x.Kind != "" && x.Kind != "simple" {
			s += " kind=" + x.Kind
		}
		if x.Flags != "" {
			s += " flags=" + x.Flags
		}
		s += " " + FormatExpr(x.Expr) + " with"
		for _, p := range x.Pattern {
			switch {
			case p.Star:
				s += " *"
			case p.Const != nil:
				s += " " + FormatExpr(p.Const)
			default:
				s += " " + FormatName(p.Col.Name)
				if p.Type != "" && p.Type != "string" {
					s += ":" + p.Type
				}
			}
		}
		return s
	case *RenderOp:
		s := "render " + x.Chart
		if len(x.With) > 0 {
			s += " with (" + namedList(x.With) + ")"
		}
		return s
	case *JoinOp:
		s := "join"
		if x.Lookup {
			s = "lookup"
		}
		if x.Kind != "" {
			s += " kind=" + x.Kind
		}
		return s + " (" + FormatPipeline(x.Right) + ") on " + exprList(x.On)
	case *UnionOp:
		s := "union"
		if x.Kind != "" {
			s += " kind=" + x.Kind
		}
		if x.WithSource != nil {
			s += " withsource=" + FormatName(x.WithSource.Name)
		}
		for _, prm := range x.Params {
			s += " " + prm.Name + "=" + prm.Value
		}
		parts := make([]string, len(x.Tables))
		for i, t := range x.Tables {
			if tr, ok := t.Source.(*TableRef); ok && len(t.Ops) == 0 {
				parts[i] = FormatName(tr.Name.Name)
			} else {
				parts[i] = "(" + FormatPipeline(t) + ")"
			}
		}
		return s + " " + strings.Join(parts, ", ")
	case *PrintOp:
		return "print " + namedList(x.Cols)
	case *DatatableOp:
		cols := make([]string, len(x.Columns))
		for i, c := range x.Columns {
			cols[i] = FormatName(c.Name.Name) + ":" + c.Type
		}
		return "datatable(" + strings.Join(cols, ", ") + ") [" + exprList(x.Values) + "]"
	case *AsOp:
		return "as " + FormatName(x.Name.Name)
	}
	return "?"
}

// keywords that must be bracket-quoted when used as names.
var reserved = map[string]bool{
	"and": true, "or": true, "by": true, "true": true, "false": true, "null": true, "let": true,
	"with": true, "on": true, "asc": true, "desc": true, "nulls": true, "to": true, "limit": true,
	"in": true, "has": true, "contains": true, "between": true, "where": true, "project": true,
	"extend": true, "print": true, "datatable": true, "union": true, "matches": true,
	"datetime": true, "time": true, "date": true, "timespan": true, "guid": true, "dynamic": true,
	"int": true, "long": true, "real": true, "double": true, "bool": true, "boolean": true, "decimal": true,
}

// FormatName renders a column name, bracket-quoting it when needed.
func FormatName(n string) string {
	ok := n != "" && isIdentStart(n[0]) && !reserved[n] && !stringOps[n]
	for i := 0; ok && i < len(n); i++ {
		ok = isIdentPart(n[i])
	}
	if ok {
		return n
	}
	return "['" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(n) + "']"
}

// precedence levels for printing.
func prec(e Expr) int {
	switch x := e.(type) {
	case *Binary:
		switch x.Op {
		case "or":
			return 1
		case "and":
			return 2
		case "+", "-":
			return 4
		case "*", "/", "%":
			return 5
		}
		return 3
	case *InExpr, *Between:
		return 3
	case *Unary:
		return 6
	}
	return 7
}

// FormatExpr renders a scalar expression.
func FormatExpr(e Expr) string {
	switch x := e.(type) {
	case *Ident:
		return FormatName(x.Name)
	case *Literal:
		return formatLiteral(x)
	case *Paren:
		return "(" + FormatExpr(x.X) + ")"
	case *Star:
		return "*"
	case *Unary:
		return x.Op + wrap(x.X, 6, false)
	case *Binary:
		pr := prec(x)
		// comparisons are non-associative: parenthesise both sides at equal level
		rightStrict := true
		leftStrict := pr == 3
		return wrap(x.L, pr, leftStrict) + " " + x.Op + " " + wrap(x.R, pr, rightStrict)
	case *InExpr:
		return wrap(x.X, 3, true) + " " + x.Op + " (" + exprList(x.List) + ")"
	case *Between:
		op := "between"
		if x.Not {
			op = "!between"
		}
		return wrap(x.X, 3, true) + " " + op + " (" + FormatExpr(x.Lo) + " .. " + FormatExpr(x.Hi) + ")"
	case *Call:
		return x.Fn.Name + "(" + exprList(x.Args) + ")"
	case *Member:
		return wrap(x.X, 7, false) + "." + memberName(x.Name.Name)
	case *Index:
		return wrap(x.X, 7, false) + "[" + FormatExpr(x.Index) + "]"
	}
	return "?"
}

func memberName(n string) string {
	ok := n != "" && isIdentStart(n[0])
	for i := 0; ok && i < len(n); i++ {
		ok = isIdentPart(n[i])
	}
	if ok {
		return n
	}
	return FormatName(n)
}

// wrap parenthesises e when its precedence is below min (or equal and strict).
func wrap(e Expr, min int, strict bool) string {
	p := prec(e)
	if p < min || (strict && p == min) {
		return "(" + FormatExpr(e) + ")"
	}
	return FormatExpr(e)
}

func formatLiteral(l *Literal) string {
	if l.Null {
		if l.Kind == LitDynamic && !l.Typed {
			return "dynamic(null)"
		}
		return litKeyword(l.Kind) + "(null)"
	}
	switch l.Kind {
	case LitString:
		return QuoteString(l.Value.(string))
	case LitBool:
		if l.Typed {
			return "bool(" + strconv.FormatBool(l.Value.(bool)) + ")"
		}
		return strconv.FormatBool(l.Value.(bool))
	case LitLong, LitInt:
		s := strconv.FormatInt(l.Value.(int64), 10)
		if l.Typed || l.Kind == LitInt {
			return litKeyword(l.Kind) + "(" + s + ")"
		}
		return s
	case LitReal, LitDecimal:
		f := l.Value.(float64)
		s := strconv.FormatFloat(f, 'g', -1, 64)
		if math.IsNaN(f) {
			s = "nan"
		} else if math.IsInf(f, 1) {
			s = "inf"
		} else if math.IsInf(f, -1) {
			s = "-inf"
		}
		if l.Typed || l.Kind == LitDecimal || math.IsNaN(f) || math.IsInf(f, 0) {
			return litKeyword(l.Kind) + "(" + s + ")"
		}
		if !strings.ContainsAny(s, ".e") {
			s += ".0"
		}
		return s
	case LitTimespan:
		if d, ok := l.Value.(time.Duration); ok {
			if d%100 == 0 && d >= 0 {
				return formatTimespanLit(d)
			}
			return "time(" + l.Raw + ")"
		}
		return "time(" + l.Raw + ")"
	case LitDateTime:
		return "datetime(" + l.Raw + ")"
	case LitGUID:
		return "guid(" + l.Raw + ")"
	case LitDynamic:
		return "dynamic(" + formatDynamic(l.Value) + ")"
	}
	return l.Raw
}

func litKeyword(k LitKind) string {
	switch k {
	case LitTimespan:
		return "time"
	}
	return string(k)
}

func formatDynamic(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = QuoteString(k) + ": " + formatDynamic(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = formatDynamic(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case string:
		return QuoteString(x)
	case float64:
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eE") {
			s += ".0"
		}
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// QuoteString renders s as a double-quoted KQL string literal.
func QuoteString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 || r == 0x7f || r == 0xfffd {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// formatTimespanLit renders a non-negative duration with the largest unit
// that divides it: 2d, 1h, 30m, 10s, 100ms, 10microsecond, 1tick.
func formatTimespanLit(d time.Duration) string {
	units := []struct {
		name string
		d    time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second},
		{"ms", time.Millisecond}, {"microsecond", time.Microsecond}, {"tick", 100}}
	for _, u := range units {
		if d%u.d == 0 && (d != 0 || u.name == "s") {
			return strconv.FormatInt(int64(d/u.d), 10) + u.name
		}
	}
	return strconv.FormatInt(int64(d/100), 10) + "tick"
}
