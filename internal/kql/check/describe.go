package check

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/codeless/codeless/internal/kql/value"
	"github.com/codeless/codeless/internal/schema"
)

// Describe renders the plan, one stage per line, for debugging and golden
// tests: the source, then each stage with its expressions in prefix form
// and its output schema.
func (q *Query) Describe() string {
	var b strings.Builder
	src := q.Table
	if src == "" {
		src = fmt.Sprintf("rows[%d]", len(q.Rows))
	}
	fmt.Fprintf(&b, "source %s %s\n", src, q.Input)
	in := q.Input
	for _, st := range q.Stages {
		switch s := st.(type) {
		case *Filter:
			fmt.Fprintf(&b, "filter %s\n", DescribeExpr(s.Pred, in))
		case *Project:
			parts := make([]string, len(s.Cols))
			for i, e := range s.Cols {
				parts[i] = s.Schema[i].Name + "=" + DescribeExpr(e, in)
			}
			fmt.Fprintf(&b, "project %s\n", strings.Join(parts, ", "))
		case *MvExpand:
			fmt.Fprintf(&b, "mv-expand cols=%v limit=%d\n", s.Cols, s.Limit)
		case *Summarize:
			var parts []string
			for _, k := range s.Keys {
				parts = append(parts, DescribeExpr(k, in))
			}
			var aggs []string
			for _, a := range s.Aggs {
				var args []string
				for _, e := range a.Args {
					args = append(args, DescribeExpr(e, in))
				}
				aggs = append(aggs, a.Fn+"("+strings.Join(args, ", ")+")")
			}
			fmt.Fprintf(&b, "summarize %s by %s\n", strings.Join(aggs, ", "), strings.Join(parts, ", "))
		case *Sort:
			fmt.Fprintf(&b, "sort %s\n", describeKeys(s.Keys, in))
		case *Top:
			fmt.Fprintf(&b, "top %d %s\n", s.N, describeKeys(s.Keys, in))
		case *Take:
			fmt.Fprintf(&b, "take %d\n", s.N)
		case *Count:
			b.WriteString("count\n")
		case *Distinct:
			var parts []string
			for _, e := range s.Cols {
				parts = append(parts, DescribeExpr(e, in))
			}
			fmt.Fprintf(&b, "distinct %s\n", strings.Join(parts, ", "))
		case *GetSchema:
			b.WriteString("getschema\n")
		case *Union:
			var parts []string
			for _, sub := range s.Inputs {
				parts = append(parts, "("+strings.ReplaceAll(sub.Describe(), "\n", "; ")+")")
			}
			fmt.Fprintf(&b, "union self=%v %s maps=%v\n", s.Self, strings.Join(parts, ", "), s.Maps)
		case *Join:
			fmt.Fprintf(&b, "join kind=%s (%s) left=%v right=%v\n", s.Kind, strings.ReplaceAll(s.Right.Describe(), "\n", "; "), s.LeftKeys, s.RightKeys)
		}
		in = st.Out()
	}
	fmt.Fprintf(&b, "output %s", q.Output)
	if q.Render != "" {
		fmt.Fprintf(&b, " render %s", q.Render)
	}
	return b.String()
}

func describeKeys(keys []SortKey, in schema.Schema) string {
	var parts []string
	for _, k := range keys {
		d := "asc"
		if k.Desc {
			d = "desc"
		}
		n := "last"
		if k.NullsFirst {
			n = "first"
		}
		parts = append(parts, DescribeExpr(k.Expr, in)+" "+d+" nulls "+n)
	}
	return strings.Join(parts, ", ")
}

// DescribeExpr renders an expression in prefix form: columns as $name,
// constants as type(value), calls as (fn args...).
func DescribeExpr(e Expr, in schema.Schema) string {
	switch x := e.(type) {
	case *Column:
		name := x.Name
		if x.Index < len(in) {
			name = in[x.Index].Name
		}
		return "$" + name
	case *Const:
		if x.Value == nil {
			return string(x.T) + "(null)"
		}
		if s, ok := x.Value.(string); ok && x.T == schema.String {
			return strconv.Quote(s)
		}
		return string(x.T) + "(" + value.ToString(x.Value) + ")"
	case *Call:
		parts := []string{x.Fn}
		for _, a := range x.Args {
			parts = append(parts, DescribeExpr(a, in))
		}
		return "(" + strings.Join(parts, " ") + "):" + string(x.T)
	}
	return "?"
}
