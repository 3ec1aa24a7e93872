package sqlgen

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/codeless/codeless/internal/kql/check"
	"github.com/codeless/codeless/internal/kql/syntax"
	"github.com/codeless/codeless/internal/kql/value"
	"github.com/codeless/codeless/internal/schema"
	"github.com/codeless/codeless/internal/store"
)

// Catalog resolves table names to schemas.
type Catalog interface {
	// TableSchema returns the table's columns in storage order (as
	// store.Tables.TableSchema does): the generated SQL reads column i by
	// store.SQLColumnNames(schema)[i], so "id" and "Id" of one table are
	// read from "id" and "Id__2".
	TableSchema(name string) (schema.Schema, bool)
}

// Options configures translation.
type Options struct {
	// Now is the value of now() (and the origin of ago()); it is bound as a
	// parameter, never read from the database clock.
	Now time.Time
	// UDFs says RegisterFunctions was called on the database: todatetime()
	// of strings then accepts every KQL format (kql_todatetime), not only
	// ISO 8601.
	UDFs bool
}

// Query is a translated query.
type Query struct {
	SQL     string
	Args    []any
	Columns schema.Schema
	Render  string // render hint ("timechart", ...), "" if none
}

// SQLType returns the DuckDB column type used to store a KQL type.
// Timespans are stored as BIGINT 100 ns ticks.
func SQLType(t schema.Type) string {
	switch t {
	case schema.String, schema.GUID:
		return "VARCHAR"
	case schema.Int:
		return "INTEGER"
	case schema.Long, schema.TimeSpan:
		return "BIGINT"
	case schema.Real, schema.Decimal:
		return "DOUBLE"
	case schema.Bool:
		return "BOOLEAN"
	case schema.DateTime:
		return "TIMESTAMP"
	case schema.Dynamic:
		return "JSON"
	}
	return "VARCHAR"
}

// col is the internal name of column i inside the CTE chain. KQL names are
// case-sensitive while DuckDB matches identifiers case-insensitively, so
// the chain uses positional names and only the final SELECT applies the
// KQL names.
func col(i int) string { return `"c` + strconv.Itoa(i) + `"` }

// Quote quotes an identifier for DuckDB.
func Quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// ToSQL translates a KQL query over the catalog's tables into one DuckDB
// statement: a chain of CTEs, one per stage. Errors are positioned
// *syntax.Error values naming the construct that has no translation.
func ToSQL(src string, cat Catalog, opts Options) (*Query, error) {
	q, err := check.Check(src, check.Options{Mode: check.ModeQuery, Tables: cat.TableSchema})
	if err != nil {
		return nil, err
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	g := &gen{src: src, now: now.UTC(), udfs: opts.UDFs}
	out, gerr := g.query(q)
	if gerr != nil {
		return nil, gerr
	}
	return out, nil
}

type gen struct {
	src  string
	now  time.Time
	args []any
	udfs bool
}

// unsupported is an error carrying a source position.
func (g *gen) errf(sp syntax.Span, format string, a ...any) error {
	return syntax.Errorf(g.src, sp.From, format, a...)
}

// bind adds a parameter and returns its positional placeholder ($n), so an
// expression text that is repeated still refers to one argument.
func (g *gen) bind(v any) string {
	g.args = append(g.args, v)
	return "$" + strconv.Itoa(len(g.args))
}

func tsLiteral(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05.999999")
}

// nullableString marks an argument already converted from dynamic to a
// VARCHAR that may be NULL (strT turns it into ”, strTNull keeps NULL).
const nullableString schema.Type = "string?"

// sqlString renders s as a SQL string literal.
func sqlString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// constSQL renders a constant as a typed SQL literal. Only now()/ago() are
// bound as parameters, so generated text stays readable and a literal never
// leaves a parameter unused.
func (g *gen) constSQL(v any, t schema.Type) string {
	if v == nil {
		if t == schema.String {
			return "''"
		}
		return "CAST(NULL AS " + SQLType(t) + ")"
	}
	switch x := v.(type) {
	case bool:
		if x {
			return "true"
		}
		return "false"
	case time.Time:
		return "CAST(" + sqlString(tsLiteral(x)) + " AS TIMESTAMP)"
	case time.Duration:
		return "CAST(" + strconv.FormatInt(int64(x/value.Tick), 10) + " AS BIGINT)"
	case int64:
		return "CAST(" + strconv.FormatInt(x, 10) + " AS " + SQLType(t) + ")"
	case float64:
		return "CAST(" + sqlString(strconv.FormatFloat(x, 'g', -1, 64)) + " AS DOUBLE)"
	case string:
		if t == schema.Dynamic {
			return "CAST(" + sqlString(value.JSON(x)) + " AS JSON)"
		}
		return sqlString(x)
	}
	return "CAST(" + sqlString(value.JSON(v)) + " AS JSON)"
}

// nowSQL binds a point in time as a parameter.
func (g *gen) nowSQL(t time.Time) string {
	return "CAST(" + g.bind(tsLiteral(t)) + " AS TIMESTAMP)"
}

func (g *gen) query(q *check.Query) (*Query, error) {
	ctes, last, err := g.chain(q, "_s")
	if err != nil {
		return nil, err
	}
	var final []string
	for i, c := range q.Output {
		final = append(final, col(i)+" AS "+Quote(c.Name))
	}
	sql := "WITH " + strings.Join(ctes, ",\n") + "\nSELECT " + strings.Join(final, ", ") + " FROM " + last
	return &Query{SQL: sql, Args: g.args, Columns: q.Output, Render: q.Render}, nil
}

// chain translates a checked query (the whole query or an operand of
// union/join) into CTEs named prefix0, prefix1, ...; it returns them (with
// the CTEs of sub-queries first) and the name of the last one, whose
// columns are the positional c0, c1, ... of q.Output.
func (g *gen) chain(q *check.Query, prefix string) ([]string, string, error) {
	var ctes []string
	name := func(i int) string { return prefix + strconv.Itoa(i) }
	switch {
	case q.Rows != nil:
		var sel []string
		for _, row := range q.Rows {
			var cols []string
			for j, e := range row {
				s, err := g.expr(e, q.Input)
				if err != nil {
					return nil, "", err
				}
				cols = append(cols, s+" AS "+col(j))
			}
			if len(cols) == 0 {
				return nil, "", errors.New("translating query: a source without columns")
			}
			sel = append(sel, "SELECT "+strings.Join(cols, ", "))
		}
		if len(sel) == 0 {
			// An empty datatable: typed columns, no rows.
			var cols []string
			for j, c := range q.Input {
				cols = append(cols, "CAST(NULL AS "+SQLType(c.Type)+") AS "+col(j))
			}
			sel = append(sel, "SELECT "+strings.Join(cols, ", ")+" WHERE false")
		}
		ctes = append(ctes, name(0)+" AS ("+strings.Join(sel, " UNION ALL ")+")")
	default:
		// Table columns are read by their SQL names, which differ from
		// the KQL names where names differ only by case.
		var cols []string
		for i, n := range store.SQLColumnNames(q.Input) {
			cols = append(cols, Quote(n)+" AS "+col(i))
		}
		if len(cols) == 0 {
			return nil, "", fmt.Errorf("translating query: table %q has no columns", q.Table)
		}
		ctes = append(ctes, name(0)+" AS (SELECT "+strings.Join(cols, ", ")+" FROM "+Quote(q.Table)+")")
	}
	in := q.Input
	for i, st := range q.Stages {
		body, sub, err := g.stageWithOperands(st, in, name(i), prefix+strconv.Itoa(i+1)+"_")
		if err != nil {
			return nil, "", err
		}
		ctes = append(ctes, sub...)
		ctes = append(ctes, name(i+1)+" AS ("+body+")")
		in = st.Out()
	}
	return ctes, name(len(q.Stages)), nil
}

// stageWithOperands translates union, join and getschema stages (which
// bring their own CTEs) and delegates the others to stage.
func (g *gen) stageWithOperands(st check.Stage, in schema.Schema, from, prefix string) (string, []string, error) {
	switch s := st.(type) {
	case *check.GetSchema:
		var rows []string
		for i, c := range s.In {
			rows = append(rows, "("+sqlString(c.Name)+", CAST("+strconv.Itoa(i)+" AS BIGINT), "+sqlString(check.DotNetTypeName(c.Type))+", "+sqlString(string(c.Type))+")")
		}
		return "SELECT * FROM (VALUES " + strings.Join(rows, ", ") + ") AS _t(" + col(0) + ", " + col(1) + ", " + col(2) + ", " + col(3) + ")", nil, nil
	case *check.Union:
		var ctes, parts []string
		operand := func(srcName string, srcCols schema.Schema, m []int, k int) string {
			cols := make([]string, len(s.Out()))
			for j, c := range s.Out() {
				if j == 0 && s.SourceNames != nil {
					cols[j] = sqlString(s.SourceNames[k]) + " AS " + col(j)
					continue
				}
				if m[j] < 0 {
					if c.Type == schema.String {
						cols[j] = "'' AS " + col(j)
					} else {
						cols[j] = "CAST(NULL AS " + SQLType(c.Type) + ") AS " + col(j)
					}
					continue
				}
				cols[j] = col(m[j]) + " AS " + col(j)
			}
			return "SELECT " + strings.Join(cols, ", ") + " FROM " + srcName
		}
		k := 0
		if s.Self {
			parts = append(parts, operand(from, in, s.Maps[0], 0))
			k = 1
		}
		for i, sub := range s.Inputs {
			sc, last, err := g.chain(sub, prefix+strconv.Itoa(i)+"_")
			if err != nil {
				return "", nil, err
			}
			ctes = append(ctes, sc...)
			parts = append(parts, operand(last, sub.Output, s.Maps[k+i], k+i))
		}
		return strings.Join(parts, " UNION ALL "), ctes, nil
	case *check.Join:
		sc, right, err := g.chain(s.Right, prefix+"r")
		if err != nil {
			return "", nil, err
		}
		var on []string
		for i := range s.LeftKeys {
			on = append(on, "l."+col(s.LeftKeys[i])+" = r."+col(s.RightKeys[i]))
		}
		cond := strings.Join(on, " AND ")
		nl := len(in)
		switch s.Kind {
		case "leftanti", "leftsemi":
			var cols []string
			for j := range in {
				cols = append(cols, "l."+col(j)+" AS "+col(j))
			}
			not := map[bool]string{true: "NOT ", false: ""}[s.Kind == "leftanti"]
			return "SELECT " + strings.Join(cols, ", ") + " FROM " + from + " AS l WHERE " + not + "EXISTS (SELECT 1 FROM " + right + " AS r WHERE " + cond + ")", sc, nil
		case "rightanti", "rightsemi":
			var cols []string
			for j := range s.Right.Output {
				cols = append(cols, "r."+col(j)+" AS "+col(j))
			}
			not := map[bool]string{true: "NOT ", false: ""}[s.Kind == "rightanti"]
			return "SELECT " + strings.Join(cols, ", ") + " FROM " + right + " AS r WHERE " + not + "EXISTS (SELECT 1 FROM " + from + " AS l WHERE " + cond + ")", sc, nil
		}
		// Unmatched sides of outer joins are null, "" for strings.
		leftMay := s.Kind == "rightouter" || s.Kind == "fullouter"
		rightMay := s.Kind == "leftouter" || s.Kind == "fullouter"
		var cols []string
		for j, c := range in {
			x := "l." + col(j)
			if c.Type == schema.String && leftMay {
				x = "coalesce(" + x + ", '')"
			}
			cols = append(cols, x+" AS "+col(j))
		}
		for k, j := range s.RightCols {
			x := "r." + col(j)
			if s.Right.Output[j].Type == schema.String && rightMay {
				x = "coalesce(" + x + ", '')"
			}
			cols = append(cols, x+" AS "+col(nl+k))
		}
		kind := map[string]string{"inner": "JOIN", "innerunique": "JOIN", "leftouter": "LEFT JOIN", "rightouter": "RIGHT JOIN", "fullouter": "FULL OUTER JOIN"}[s.Kind]
		left := from
		if s.Kind == "innerunique" {
			// One left row per key value (Kusto picks any; so do we).
			var keys, all []string
			for _, k := range s.LeftKeys {
				keys = append(keys, col(k))
			}
			for j := range in {
				all = append(all, col(j))
			}
			left = "(SELECT " + strings.Join(all, ", ") + " FROM (SELECT *, row_number() OVER (PARTITION BY " + strings.Join(keys, ", ") + ") AS _rn FROM " + from + ") WHERE _rn = 1)"
		}
		return "SELECT " + strings.Join(cols, ", ") + " FROM " + left + " AS l " + kind + " " + right + " AS r ON " + cond, sc, nil
	}
	body, err := g.stage(st, in, from)
	return body, nil, err
}

func (g *gen) stage(st check.Stage, in schema.Schema, from string) (string, error) {
	switch s := st.(type) {
	case *check.Filter:
		p, err := g.expr(s.Pred, in)
		if err != nil {
			return "", err
		}
		return "SELECT * FROM " + from + " WHERE " + p, nil
	case *check.Project:
		var cols []string
		for i, e := range s.Cols {
			x, err := g.expr(e, in)
			if err != nil {
				return "", err
			}
			cols = append(cols, x+" AS "+col(i))
		}
		return "SELECT " + strings.Join(cols, ", ") + " FROM " + from, nil
	case *check.Summarize:
		var cols, groups []string
		for i, k := range s.Keys {
			x, err := g.expr(k, in)
			if err != nil {
				return "", err
			}
			cols = append(cols, x+" AS "+col(i))
			groups = append(groups, strconv.Itoa(i+1))
		}
		for i, a := range s.Aggs {
			x, err := g.aggregate(a, in, len(s.Keys) == 0)
			if err != nil {
				return "", err
			}
			cols = append(cols, x+" AS "+col(len(s.Keys)+i))
		}
		sql := "SELECT " + strings.Join(cols, ", ") + " FROM " + from
		if len(groups) > 0 {
			sql += " GROUP BY " + strings.Join(groups, ", ")
		}
		return sql, nil
	case *check.Sort:
		ob, err := g.orderBy(s.Keys, in)
		if err != nil {
			return "", err
		}
		if ob == "" {
			return "SELECT * FROM " + from, nil
		}
		return "SELECT * FROM " + from + " ORDER BY " + ob, nil
	case *check.Top:
		ob, err := g.orderBy(s.Keys, in)
		if err != nil {
			return "", err
		}
		if ob != "" {
			ob = " ORDER BY " + ob
		}
		return "SELECT * FROM " + from + ob + " LIMIT " + strconv.FormatInt(s.N, 10), nil
	case *check.Take:
		return "SELECT * FROM " + from + " LIMIT " + strconv.FormatInt(s.N, 10), nil
	case *check.Count:
		return "SELECT count(*) AS " + col(0) + " FROM " + from, nil
	case *check.Distinct:
		var cols []string
		for i, e := range s.Cols {
			x, err := g.expr(e, in)
			if err != nil {
				return "", err
			}
			cols = append(cols, x+" AS "+col(i))
		}
		return "SELECT DISTINCT " + strings.Join(cols, ", ") + " FROM " + from, nil
	case *check.MvExpand:
		return g.mvExpand(s, in, from)
	case *check.MakeSeries:
		return g.makeSeries(s, in, from)
	}
	return "", g.errf(st.Span(), "operator %q is not supported in queries yet", st.OpName())
}

// mvExpand unnests JSON arrays in lockstep (DuckDB zips several unnest()
// calls in one select list, padding with NULL). A null keeps one row, an
// empty array or bag drops it; a bag expands to single-key bags (or
// [key, value] arrays with kind=array), keys sorted as in the evaluator.
func (g *gen) mvExpand(m *check.MvExpand, in schema.Schema, from string) (string, error) {
	expanded := map[int]int{}
	for k, c := range m.Cols {
		expanded[c] = k
	}
	limit := strconv.FormatInt(m.Limit, 10)
	list := func(x string) string {
		return "(CASE WHEN " + x + " IS NULL THEN [CAST(NULL AS JSON)] " +
			"WHEN json_type(" + x + ") = 'ARRAY' THEN CAST(" + x + " AS JSON[])[1:" + limit + "] " +
			"WHEN json_type(" + x + ") = 'OBJECT' THEN " + bagList(x, m.BagArray) + "[1:" + limit + "] " +
			"ELSE [" + x + "] END)"
	}
	var cols []string
	var lens []string
	for i := range m.Schema {
		if i == m.ItemIndex {
			continue
		}
		q := col(i)
		k, ok := expanded[i]
		if !ok {
			cols = append(cols, q)
			continue
		}
		x := "unnest(" + list(q) + ")"
		if t := m.Types[k]; t != schema.Dynamic {
			x = "TRY_CAST(json_extract_string(" + x + ", '$') AS " + SQLType(t) + ")"
			if t == schema.String {
				x = "coalesce(" + x + ", '')"
			}
		}
		cols = append(cols, x+" AS "+col(i))
		lens = append(lens, "len("+list(q)+")")
	}
	if m.ItemIndex >= 0 {
		n := lens[0]
		if len(lens) > 1 {
			n = "greatest(" + strings.Join(lens, ", ") + ")"
		}
		_ = n
		longest := list(col(m.Cols[0]))
		for _, c := range m.Cols[1:] {
			l := list(col(c))
			longest = "(CASE WHEN len(" + l + ") > len(" + longest + ") THEN " + l + " ELSE " + longest + " END)"
		}
		cols = append(cols, "CAST(generate_subscripts("+longest+", 1) - 1 AS BIGINT) AS "+col(m.ItemIndex))
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM " + from, nil
}

func (g *gen) orderBy(keys []check.SortKey, in schema.Schema) (string, error) {
	var parts []string
	for _, k := range keys {
		if isConst(k.Expr) {
			continue // ordering by a constant has no effect
		}
		x, err := g.expr(k.Expr, in)
		if err != nil {
			return "", err
		}
		dir := " ASC"
		if k.Desc {
			dir = " DESC"
		}
		nulls := " NULLS LAST"
		if k.NullsFirst {
			nulls = " NULLS FIRST"
		}
		parts = append(parts, x+dir+nulls)
	}
	return strings.Join(parts, ", "), nil
}

func (g *gen) aggregate(a *check.Aggregate, in schema.Schema, noGroups bool) (string, error) {
	args := make([]string, len(a.Args))
	for i, e := range a.Args {
		x, err := g.expr(e, in)
		if err != nil {
			return "", err
		}
		args[i] = x
	}
	switch a.Fn {
	case "count":
		if len(args) == 0 {
			return "count(*)", nil
		}
		return "count(" + args[0] + ")", nil
	case "countif":
		return "count(*) FILTER (WHERE " + args[0] + ")", nil
	case "sum":
		return "CAST(coalesce(sum(" + args[0] + "), 0) AS " + SQLType(a.T) + ")", nil
	case "sumif":
		return "CAST(coalesce(sum(" + args[0] + ") FILTER (WHERE " + args[1] + "), 0) AS " + SQLType(a.T) + ")", nil
	case "avg":
		if a.T == schema.TimeSpan {
			return "CAST(round(avg(" + args[0] + ")) AS BIGINT)", nil
		}
		return "coalesce(avg(" + args[0] + "), 'NaN'::DOUBLE)", nil
	case "min", "max":
		return a.Fn + "(" + args[0] + ")", nil
	case "dcount":
		return "count(DISTINCT " + args[0] + ")", nil
	case "take_any", "any":
		return "any_value(" + args[0] + ")", nil
	case "make_list":
		return "coalesce(CAST(to_json(list(" + args[0] + ") FILTER (WHERE " + args[0] + " IS NOT NULL)) AS JSON), CAST('[]' AS JSON))", nil
	case "make_set":
		return "coalesce(CAST(to_json(list(DISTINCT " + args[0] + ") FILTER (WHERE " + args[0] + " IS NOT NULL)) AS JSON), CAST('[]' AS JSON))", nil
	case "percentile":
		// Nearest-rank percentile over the non-null values (exact).
		sorted := "list_sort(list(" + args[0] + ") FILTER (WHERE " + args[0] + " IS NOT NULL))"
		rank := "greatest(CAST(ceil(" + strconv.FormatFloat(a.P/100, 'g', -1, 64) + " * count(" + args[0] + ")) AS BIGINT), 1)"
		return sorted + "[" + rank + "]", nil
	case "percentiles_array":
		sorted := "list_sort(list(" + args[0] + ") FILTER (WHERE " + args[0] + " IS NOT NULL))"
		var elems []string
		for _, p := range a.Ps {
			rank := "greatest(CAST(ceil(" + strconv.FormatFloat(p/100, 'g', -1, 64) + " * count(" + args[0] + ")) AS BIGINT), 1)"
			elems = append(elems, jsonValue(a.Args[0].Type(), sorted+"["+rank+"]", g))
		}
		return "CAST(json_array(" + strings.Join(elems, ", ") + ") AS JSON)", nil
	case "stdev", "stdevp", "variance", "variancep", "stdevif", "varianceif":
		// Kusto gives 0 where the sample statistic is undefined (0 or 1 values).
		f := map[string]string{"stdev": "stddev_samp", "stdevp": "stddev_pop", "variance": "var_samp", "variancep": "var_pop",
			"stdevif": "stddev_samp", "varianceif": "var_samp"}[a.Fn]
		return "coalesce(" + f + "(CAST(" + args[0] + " AS DOUBLE))" + ifFilter(a, args) + ", 0)", nil
	case "avgif":
		if a.T == schema.TimeSpan {
			return "CAST(round(avg(" + args[0] + ")" + ifFilter(a, args) + ") AS BIGINT)", nil
		}
		return "coalesce(avg(" + args[0] + ")" + ifFilter(a, args) + ", 'NaN'::DOUBLE)", nil
	case "maxif", "minif":
		x := strings.TrimSuffix(a.Fn, "if") + "(" + args[0] + ")" + ifFilter(a, args)
		if a.T == schema.String {
			x = "coalesce(" + x + ", '')"
		}
		return x, nil
	case "dcountif":
		return "count(DISTINCT " + args[0] + ")" + ifFilter(a, args), nil
	case "make_list_if", "make_set_if":
		distinct := map[bool]string{true: "DISTINCT ", false: ""}[a.Fn == "make_set_if"]
		return "coalesce(CAST(to_json(list(" + distinct + args[0] + ") FILTER (WHERE " + args[0] + " IS NOT NULL AND " + args[1] + ")) AS JSON), CAST('[]' AS JSON))", nil
	case "make_bag", "make_bag_if":
		// Property bags merge key by key (a later bag's value wins for a
		// key present in several; Kusto picks any); non-bags are skipped.
		cond := "json_type(" + args[0] + ") = 'OBJECT'"
		if a.Fn == "make_bag_if" {
			cond += " AND " + args[1]
		}
		maps := "coalesce(list(CAST(CASE WHEN " + cond + " THEN " + args[0] + " END AS MAP(VARCHAR, JSON))) FILTER (WHERE " + cond + "), [])"
		return "CAST(to_json(list_reduce(" + maps + ", (m1, m2) -> map_concat(m1, m2), MAP {}::MAP(VARCHAR, JSON))) AS JSON)", nil
	case "arg_max", "arg_min":
		// One struct per group so every output column comes from the same row.
		fields := make([]string, len(args))
		for i, x := range args {
			fields[i] = "f" + strconv.Itoa(i) + " := " + x
		}
		return "(" + a.Fn + "(struct_pack(" + strings.Join(fields, ", ") + "), " + args[0] + ")).f" + strconv.Itoa(a.Field), nil
	}
	return "", g.errf(a.Sp, "aggregation %s() is not supported in queries yet", a.Fn)
}

// ifFilter is the FILTER clause of an aggregate's *if form (predicate in Args[1]).
func ifFilter(a *check.Aggregate, args []string) string {
	if strings.HasSuffix(a.Fn, "if") && len(args) > 1 {
		return " FILTER (WHERE " + args[1] + ")"
	}
	return ""
}

// ---- scalar expressions ----

func (g *gen) expr(e check.Expr, in schema.Schema) (string, error) {
	switch x := e.(type) {
	case *check.Column:
		return col(x.Index), nil
	case *check.Const:
		return g.constSQL(x.Value, x.T), nil
	case *check.Call:
		return g.call(x, in)
	}
	return "", g.errf(e.Span(), "expression has no SQL translation")
}

func (g *gen) argList(c *check.Call, in schema.Schema) ([]string, error) {
	out := make([]string, len(c.Args))
	for i, a := range c.Args {
		s, err := g.expr(a, in)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// isConst reports whether e is a non-null constant.
func isConst(e check.Expr) bool {
	k, ok := e.(*check.Const)
	return ok && (k.Value != nil || k.T == schema.String)
}

func constString(e check.Expr) (string, bool) {
	if k, ok := e.(*check.Const); ok {
		s, ok := k.Value.(string)
		return s, ok
	}
	return "", false
}

// strSQL renders an argument as VARCHAR with KQL tostring semantics.
func (g *gen) strSQL(e check.Expr, s string) string { return g.strT(e.Type(), s) }

// strTNull is strT without turning null into ”: for operators whose KQL
// semantics distinguish a null operand.
func (g *gen) strTNull(t schema.Type, s string) string {
	switch t {
	case schema.String, schema.GUID, nullableString:
		return s
	case schema.Real:
		return realText(s)
	case schema.Bool:
		return "(CASE WHEN " + s + " THEN 'True' WHEN NOT " + s + " THEN 'False' END)"
	case schema.DateTime:
		return "(strftime(" + s + ", '%Y-%m-%dT%H:%M:%S.%f') || '0Z')"
	case schema.Dynamic:
		return "(CASE WHEN json_type(" + s + ") = 'VARCHAR' THEN json_extract_string(" + s + ", '$') ELSE CAST(" + s + " AS VARCHAR) END)"
	case schema.TimeSpan:
		return timespanText(s)
	}
	return "CAST(" + s + " AS VARCHAR)"
}

// timespanText renders BIGINT ticks as [-][d.]hh:mm:ss[.fffffff].
func timespanText(s string) string {
	a := "abs(" + s + ")"
	two := func(x string) string { return "lpad(CAST(" + x + " AS VARCHAR), 2, '0')" }
	return "(CASE WHEN " + s + " IS NULL THEN NULL ELSE " +
		"(CASE WHEN " + s + " < 0 THEN '-' ELSE '' END) || " +
		"(CASE WHEN " + a + " >= 864000000000 THEN CAST(" + a + " // 864000000000 AS VARCHAR) || '.' ELSE '' END) || " +
		two("("+a+" // 36000000000) % 24") + " || ':' || " + two("("+a+" // 600000000) % 60") + " || ':' || " + two("("+a+" // 10000000) % 60") + " || " +
		"(CASE WHEN " + a + " % 10000000 <> 0 THEN '.' || lpad(CAST(" + a + " % 10000000 AS VARCHAR), 7, '0') ELSE '' END) END)"
}

// strT renders a value of type t as VARCHAR with KQL tostring semantics.
func (g *gen) strT(t schema.Type, s string) string {
	switch t {
	case schema.String:
		return s
	case schema.GUID, nullableString:
		return "coalesce(" + s + ", '')"
	case schema.Real:
		return "coalesce(" + realText(s) + ", '')"
	case schema.Bool:
		return "(CASE WHEN " + s + " THEN 'True' WHEN NOT " + s + " THEN 'False' ELSE '' END)"
	case schema.DateTime:
		return "coalesce(strftime(" + s + ", '%Y-%m-%dT%H:%M:%S.%f') || '0Z', '')"
	case schema.Dynamic:
		return "coalesce((CASE WHEN json_type(" + s + ") = 'VARCHAR' THEN json_extract_string(" + s + ", '$') ELSE CAST(" + s + " AS VARCHAR) END), '')"
	case schema.TimeSpan:
		return "coalesce(" + timespanText(s) + ", '')"
	}
	return "coalesce(CAST(" + s + " AS VARCHAR), '')"
}

// hasPattern builds the RE2 pattern for has-family operators.
func hasPattern(needle string, cs, before, after bool) string {
	p := regexp.QuoteMeta(needle)
	first, _ := utf8.DecodeRuneInString(needle)
	last, _ := utf8.DecodeLastRuneInString(needle)
	alnum := func(r rune) bool {
		return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= utf8.RuneSelf
	}
	if before && needle != "" && alnum(first) {
		p = `(?:^|[^\p{L}\p{N}])` + p
	}
	if after && needle != "" && alnum(last) {
		p += `(?:[^\p{L}\p{N}]|$)`
	}
	if !cs {
		p = "(?i)" + p
	}
	return p
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func (g *gen) call(c *check.Call, in schema.Schema) (string, error) {
	s, err := g.call1(c, in)
	if err != nil || c.T != schema.String {
		return s, err
	}
	// KQL strings are never null.
	return "coalesce(" + s + ", '')", nil
}

func (g *gen) call1(c *check.Call, in schema.Schema) (string, error) {
	fn := c.Fn
	// String predicates (with negation and null semantics).
	if base, neg, ok := stringPredicate(fn); ok {
		return g.stringPred(c, in, base, neg)
	}
	switch fn {
	case "in", "!in", "in~", "!in~", "has_any", "has_all":
		return g.inList(c, in)
	}
	a, err := g.argList(c, in)
	if err != nil {
		return "", err
	}
	// Dynamic arguments of functions that expect a scalar are converted;
	// ts holds the argument types after conversion.
	ts := make([]schema.Type, len(c.Args))
	for i, e := range c.Args {
		ts[i] = e.Type()
		if ts[i] != schema.Dynamic {
			continue
		}
		to := map[byte]schema.Type{'S': schema.String, 'N': schema.Real, 'D': schema.DateTime, 'T': schema.TimeSpan, 'B': schema.Bool}[check.ArgKind(fn, i, c.Args)]
		if to == "" {
			continue
		}
		if to == schema.String {
			a[i] = g.strTNull(schema.Dynamic, a[i])
			to = nullableString
		} else {
			a[i] = fromJSON(a[i], to)
		}
		ts[i] = to
	}
	t0 := schema.Type("")
	if len(c.Args) > 0 {
		t0 = ts[0]
	}
	switch fn {
	case "and", "or":
		return "(" + a[0] + " " + strings.ToUpper(fn) + " " + a[1] + ")", nil
	case "not":
		return "(NOT " + a[0] + ")", nil
	case "==", "!=":
		l, r := g.coerceDynamic(c.Args[0], a[0], c.Args[1], a[1])
		both := "(" + a[0] + ") IS NULL AND (" + a[1] + ") IS NULL"
		if fn == "==" {
			if isConst(c.Args[0]) || isConst(c.Args[1]) {
				return "coalesce(" + l + " = " + r + ", false)", nil
			}
			return "(CASE WHEN " + both + " THEN NULL ELSE coalesce(" + l + " = " + r + ", false) END)", nil
		}
		if isConst(c.Args[0]) || isConst(c.Args[1]) {
			return "coalesce(" + l + " <> " + r + ", true)", nil
		}
		return "(CASE WHEN " + both + " THEN NULL ELSE coalesce(" + l + " <> " + r + ", true) END)", nil
	case "<", "<=", ">", ">=":
		if ts[0] == schema.Dynamic && ts[1] == schema.Dynamic {
			return "", g.errf(c.Sp, "ordering two dynamic values has no SQL translation; convert one side first")
		}
		l, r := g.coerceDynamic(c.Args[0], a[0], c.Args[1], a[1])
		return "(" + l + " " + fn + " " + r + ")", nil
	case "between", "!between":
		if ts[0] == schema.Dynamic && (ts[1] == schema.Dynamic || ts[2] == schema.Dynamic) {
			return "", g.errf(c.Sp, "between on dynamic values has no SQL translation; convert first")
		}
		x1, lo := g.coerceDynamic(c.Args[0], a[0], c.Args[1], a[1])
		x2, hi := g.coerceDynamic(c.Args[0], a[0], c.Args[2], a[2])
		s := "(" + x1 + " >= " + lo + " AND " + x2 + " <= " + hi + ")"
		if fn == "!between" {
			s = "(NOT " + s + ")"
		}
		return s, nil
	case "+", "-", "*", "/", "%":
		return g.arith(c, a)
	case "neg":
		if t0 == schema.Dynamic {
			return "", g.errf(c.Sp, "arithmetic on dynamic values has no SQL translation; convert with tolong()/todouble() first")
		}
		return "(-" + a[0] + ")", nil
	case "getprop":
		key, ok := constString(c.Args[1])
		if !ok {
			return "", g.errf(c.Sp, "a computed property name has no SQL translation")
		}
		return "json_extract(" + a[0] + ", " + sqlString("$."+jsonKey(key)) + ")", nil
	case "index":
		var n int64
		k, ok := c.Args[1].(*check.Const)
		if ok {
			n, ok = k.Value.(int64)
		}
		if !ok {
			return "", g.errf(c.Sp, "a computed array index has no SQL translation")
		}
		path := "$[" + strconv.FormatInt(n, 10) + "]"
		if n < 0 {
			path = "$[#" + strconv.FormatInt(n, 10) + "]"
		}
		return "json_extract(" + a[0] + ", " + sqlString(path) + ")", nil
	case "tostring":
		return g.strT(ts[0], a[0]), nil
	case "toint", "tolong", "todouble", "tobool":
		if fn == "tobool" && t0 == schema.Dynamic {
			return fromJSON(a[0], schema.Bool), nil
		}
		if fn == "tobool" && t0 == schema.String {
			return "(CASE lower(trim(" + a[0] + ")) WHEN 'true' THEN true WHEN 'false' THEN false END)", nil
		}
		target := map[string]string{"toint": "INTEGER", "tolong": "BIGINT", "todouble": "DOUBLE", "tobool": "BOOLEAN"}[fn]
		src := a[0]
		if t0 == schema.Dynamic {
			src = "json_extract_string(" + a[0] + ", '$')"
		}
		if (fn == "toint" || fn == "tolong") && (t0 == schema.Real || t0 == schema.String || t0 == schema.Dynamic) {
			return "TRY_CAST(trunc(TRY_CAST(" + src + " AS DOUBLE)) AS " + target + ")", nil
		}
		return "TRY_CAST(" + src + " AS " + target + ")", nil
	case "todatetime":
		switch t0 {
		case schema.DateTime:
			return a[0], nil
		case schema.Dynamic:
			return g.stringToTimestamp("json_extract_string(" + a[0] + ", '$')"), nil
		case schema.String:
			return g.stringToTimestamp(a[0]), nil
		}
		return "CAST(NULL AS TIMESTAMP)", nil
	case "parse_json":
		if t0 == schema.Dynamic {
			return a[0], nil
		}
		if ts[0] != schema.String {
			if ts[0] == schema.DateTime || ts[0] == schema.TimeSpan || ts[0] == schema.GUID {
				return "CAST(to_json(" + g.strTNull(ts[0], a[0]) + ") AS JSON)", nil
			}
			return "CAST(to_json(" + a[0] + ") AS JSON)", nil
		}
		s := a[0]
		return "(CASE WHEN json_valid(" + s + ") THEN json(" + s + ") END)", nil
	case "isnull":
		return "(" + a[0] + " IS NULL)", nil
	case "isnotnull":
		return "(" + a[0] + " IS NOT NULL)", nil
	case "isempty":
		if t0 == schema.String {
			return "(" + a[0] + " IS NULL OR " + a[0] + " = '')", nil
		}
		if t0 == schema.Dynamic {
			return "(" + a[0] + " IS NULL OR json_extract_string(" + a[0] + ", '$') = '')", nil
		}
		return "(" + a[0] + " IS NULL)", nil
	case "isnotempty":
		if t0 == schema.String {
			return "(" + a[0] + " IS NOT NULL AND " + a[0] + " <> '')", nil
		}
		if t0 == schema.Dynamic {
			return "(" + a[0] + " IS NOT NULL AND coalesce(json_extract_string(" + a[0] + ", '$'), 'x') <> '')", nil
		}
		return "(" + a[0] + " IS NOT NULL)", nil
	case "iff":
		return "(CASE WHEN " + a[0] + " THEN " + g.cast(c.Args[1], a[1], c.T) + " ELSE " + g.cast(c.Args[2], a[2], c.T) + " END)", nil
	case "case":
		var b strings.Builder
		b.WriteString("(CASE")
		for i := 0; i+1 < len(a); i += 2 {
			b.WriteString(" WHEN " + a[i] + " THEN " + g.cast(c.Args[i+1], a[i+1], c.T))
		}
		b.WriteString(" ELSE " + g.cast(c.Args[len(a)-1], a[len(a)-1], c.T) + " END)")
		return b.String(), nil
	case "coalesce":
		parts := make([]string, len(a))
		for i := range a {
			parts[i] = g.cast(c.Args[i], a[i], c.T)
			if c.T == schema.String {
				parts[i] = "NULLIF(" + parts[i] + ", '')"
			}
		}
		s := "coalesce(" + strings.Join(parts, ", ") + ")"
		if c.T == schema.String {
			s = "coalesce(" + s + ", '')"
		}
		return s, nil
	case "max_of", "min_of":
		f := "greatest"
		if fn == "min_of" {
			f = "least"
		}
		parts := make([]string, len(a))
		for i := range a {
			parts[i] = g.cast(c.Args[i], a[i], c.T)
		}
		return f + "(" + strings.Join(parts, ", ") + ")", nil
	case "now":
		if len(c.Args) == 1 {
			if k, ok := c.Args[0].(*check.Const); ok {
				d, _ := k.Value.(time.Duration)
				return g.nowSQL(g.now.Add(d)), nil
			}
			return "", g.errf(c.Sp, "now() needs a constant offset in queries")
		}
		return g.nowSQL(g.now), nil
	case "ago":
		if k, ok := c.Args[0].(*check.Const); ok {
			d, _ := k.Value.(time.Duration)
			return g.nowSQL(g.now.Add(-d)), nil
		}
		return "(" + g.nowSQL(g.now) + " - to_microseconds(CAST(" + a[0] + " // 10 AS BIGINT)))", nil
	case "strcat":
		parts := make([]string, len(a))
		for i := range a {
			parts[i] = g.strT(ts[i], a[i])
		}
		return "concat(" + strings.Join(parts, ", ") + ")", nil
	case "strcat_delim":
		parts := make([]string, len(a))
		for i := range a {
			parts[i] = g.strT(ts[i], a[i])
		}
		return "concat_ws(" + strings.Join(parts, ", ") + ")", nil
	case "tolower", "toupper":
		f := map[string]string{"tolower": "lower", "toupper": "upper"}[fn]
		return f + "(" + g.strT(ts[0], a[0]) + ")", nil
	case "strlen":
		return "CAST(length(" + g.strTNull(ts[0], a[0]) + ") AS BIGINT)", nil
	case "substring":
		s := "substring(" + g.strT(ts[0], a[0]) + ", greatest(CAST(" + a[1] + " AS BIGINT), 0) + 1"
		if len(a) > 2 {
			s += ", coalesce(CAST(" + a[2] + " AS BIGINT), 2147483647)"
		}
		return s + ")", nil
	case "replace_string":
		return "replace(" + g.strT(ts[0], a[0]) + ", " + g.strT(ts[1], a[1]) + ", " + g.strT(ts[2], a[2]) + ")", nil
	case "bin":
		return g.bin(c, a)
	case "startofday", "startofmonth", "startofyear", "startofweek":
		return startOf(strings.TrimPrefix(fn, "startof"), a), nil
	case "datetime_add":
		part, ok := constString(c.Args[0])
		f := map[string]string{"year": "to_years", "month": "to_months", "week": "to_weeks", "day": "to_days",
			"hour": "to_hours", "minute": "to_minutes", "second": "to_seconds", "millisecond": "to_milliseconds",
			"microsecond": "to_microseconds"}[strings.ToLower(part)]
		if !ok || f == "" {
			return "", g.errf(c.Sp, "datetime_add needs a constant part (year, month, week, day, hour, minute, second, millisecond, microsecond)")
		}
		return "(" + a[2] + " + " + f + "(CAST(trunc(" + a[1] + ") AS " + map[bool]string{true: "INTEGER", false: "BIGINT"}[f == "to_years" || f == "to_months" || f == "to_weeks" || f == "to_days"] + ")))", nil
	case "getyear", "getmonth", "dayofmonth", "hourofday":
		part := map[string]string{"getyear": "year", "getmonth": "month", "dayofmonth": "day", "hourofday": "hour"}[fn]
		return "CAST(date_part('" + part + "', " + a[0] + ") AS INTEGER)", nil
	case "array_length":
		return "(CASE WHEN json_type(" + a[0] + ") = 'ARRAY' THEN CAST(json_array_length(" + a[0] + ") AS BIGINT) END)", nil
	case "abs":
		return "abs(" + a[0] + ")", nil
	case "round":
		if len(a) > 1 {
			return "round(" + a[0] + ", CAST(" + a[1] + " AS INTEGER))", nil
		}
		return "round(" + a[0] + ")", nil
	case "split":
		if len(a) > 2 {
			item := "string_split(" + g.strTNull(ts[0], a[0]) + ", " + g.strT(ts[1], a[1]) + ")[CAST(" + a[2] + " AS BIGINT) + 1]"
			return "(CASE WHEN " + item + " IS NULL THEN CAST('[]' AS JSON) ELSE CAST(to_json([" + item + "]) AS JSON) END)", nil
		}
		return "CAST(to_json(string_split(" + g.strTNull(ts[0], a[0]) + ", " + g.strT(ts[1], a[1]) + ")) AS JSON)", nil
	case "reverse":
		return "reverse(" + g.strT(ts[0], a[0]) + ")", nil
	case "bag_keys":
		// Keys in the JSON text's order: Kusto's order for parse_json of a
		// string; ingested bags are stored with sorted keys (value.JSON).
		return "(CASE WHEN json_type(" + a[0] + ") = 'OBJECT' THEN CAST(to_json(json_keys(" + a[0] + ")) AS JSON) END)", nil
	case "strcat_array":
		// Each element as tostring() renders it (strings unquoted, null as
		// ""), joined; "" when the value is not an array.
		elem := "coalesce(CASE WHEN json_type(e) = 'VARCHAR' THEN json_extract_string(e, '$') WHEN json_type(e) = 'NULL' THEN '' ELSE CAST(e AS VARCHAR) END, '')"
		return "(CASE WHEN json_type(" + a[0] + ") = 'ARRAY' THEN array_to_string(list_transform(CAST(" + a[0] + " AS JSON[]), e -> " + elem + "), " + g.strT(ts[1], a[1]) + ") ELSE '' END)", nil
	case "bin_at":
		// fixed + floor((x - fixed) / size) * size; null for a size <= 0.
		x, size, fixed := a[0], a[1], a[2]
		switch t0 {
		case schema.DateTime:
			x, size, fixed = "epoch_us("+x+")", "("+size+" // 10)", "epoch_us("+fixed+")"
		case schema.Real, schema.Decimal:
			return "(CASE WHEN " + size + " > 0 THEN floor((" + x + " - " + fixed + ") / " + size + ") * " + size + " + " + fixed + " END)", nil
		}
		v := "(CASE WHEN " + size + " > 0 THEN CAST(floor((" + x + " - " + fixed + ") / CAST(" + size + " AS DOUBLE)) * " + size + " + " + fixed + " AS BIGINT) END)"
		if t0 == schema.DateTime {
			return "make_timestamp(" + v + ")", nil
		}
		return v, nil
	case "parse_cef_dictionary", "parse_xml":
		if !g.udfs {
			return "", g.errf(c.Sp, "%s needs the Codeless DuckDB functions (sqlgen.RegisterFunctions and Options.UDFs)", fn)
		}
		udf := map[string]string{"parse_cef_dictionary": udfParseCEF, "parse_xml": udfParseXML}[fn]
		return "CAST(" + udf + "(" + g.strTNull(ts[0], a[0]) + ") AS JSON)", nil
	case "trim", "trim_start", "trim_end":
		re, ok := constString(c.Args[0])
		if !ok {
			return "", g.errf(c.Sp, "%s needs a constant regular expression in queries", fn)
		}
		s := g.strT(ts[1], a[1])
		if fn != "trim_end" {
			s = "regexp_replace(" + s + ", " + sqlString("^(?:"+re+")+") + ", '')"
		}
		if fn != "trim_start" {
			s = "regexp_replace(" + s + ", " + sqlString("(?:"+re+")+$") + ", '')"
		}
		return s, nil
	case "format_datetime", "format_timespan":
		f, ok := constString(c.Args[1])
		if !ok {
			return "", g.errf(c.Sp, "%s needs a constant format", fn)
		}
		return formatSQL(f, fn == "format_timespan", a[0])
	case "replace_regex", "replace", "extract":
		pi := map[string]int{"replace_regex": 1, "replace": 0, "extract": 0}[fn]
		if _, ok := constString(c.Args[pi]); !ok {
			return "", g.errf(c.Sp, "%s needs a constant regular expression in queries", fn)
		}
	}
	switch fn {
	case "replace_regex":
		return "regexp_replace(" + g.strT(ts[0], a[0]) + ", " + a[1] + ", " + g.strT(ts[2], a[2]) + ", 'g')", nil
	case "replace":
		return "regexp_replace(" + g.strT(ts[2], a[2]) + ", " + a[0] + ", " + g.strT(ts[1], a[1]) + ", 'g')", nil
	case "extract":
		grp, ok := c.Args[1].(*check.Const)
		if !ok || len(a) > 3 {
			return "", g.errf(c.Sp, "extract needs a constant group number (and no type argument) in queries")
		}
		return "coalesce(regexp_extract(" + g.strT(ts[2], a[2]) + ", " + a[0] + ", " + value.ToString(grp.Value) + "), '')", nil
	case "indexof":
		if len(a) == 3 {
			start := "greatest(CAST(" + a[2] + " AS BIGINT), 0)"
			p := "strpos(substring(" + g.strTNull(ts[0], a[0]) + ", " + start + " + 1), " + g.strTNull(ts[1], a[1]) + ")"
			return "(CASE WHEN " + p + " = 0 THEN CAST(-1 AS BIGINT) ELSE CAST(" + p + " - 1 + " + start + " AS BIGINT) END)", nil
		}
		if len(a) > 3 {
			return "", g.errf(c.Sp, "indexof with length/occurrence is not supported in queries yet")
		}
		return "CAST(strpos(" + g.strTNull(ts[0], a[0]) + ", " + g.strTNull(ts[1], a[1]) + ") - 1 AS BIGINT)", nil
	case "hash_sha256":
		return "sha256(" + g.strT(ts[0], a[0]) + ")", nil
	case "base64_encodestring":
		return "to_base64(encode(" + g.strT(ts[0], a[0]) + "))", nil
	case "endofday", "endofmonth", "endofyear", "endofweek":
		unit := strings.TrimPrefix(fn, "endof")
		return "CAST(" + startOf(unit, a) + " + INTERVAL 1 " + unit + " - INTERVAL 1 MICROSECOND AS TIMESTAMP)", nil
	case "dayofweek":
		return "(CAST(dayofweek(" + a[0] + ") AS BIGINT) * 864000000000)", nil
	case "dayofyear", "weekofyear":
		return "CAST(" + fn + "(" + a[0] + ") AS INTEGER)", nil
	case "datetime_diff":
		part, ok := constString(c.Args[0])
		switch strings.ToLower(part) {
		case "year", "quarter", "month", "day", "hour", "minute", "second", "millisecond", "microsecond":
		default:
			ok = false
		}
		if !ok {
			return "", g.errf(c.Sp, "datetime_diff needs a constant part (year, quarter, month, day, hour, minute, second, millisecond, microsecond) in queries")
		}
		return "CAST(date_diff(" + sqlString(strings.ToLower(part)) + ", " + a[2] + ", " + a[1] + ") AS BIGINT)", nil
	case "unixtime_seconds_todatetime":
		return "make_timestamp(CAST(round(" + a[0] + " * 1000000) AS BIGINT))", nil
	case "unixtime_milliseconds_todatetime":
		return "make_timestamp(CAST(round(" + a[0] + " * 1000) AS BIGINT))", nil
	case "pack_array":
		parts := make([]string, len(a))
		for i := range a {
			parts[i] = jsonValue(ts[i], a[i], g)
		}
		return "CAST(json_array(" + strings.Join(parts, ", ") + ") AS JSON)", nil
	case "pack":
		for i := 0; i < len(a); i += 2 {
			a[i] = "coalesce(" + g.strT(ts[i], a[i]) + ", '')"
			if i+1 < len(a) {
				a[i+1] = jsonValue(ts[i+1], a[i+1], g)
			}
		}
		return "CAST(json_object(" + strings.Join(a, ", ") + ") AS JSON)", nil
	case "ceiling":
		return "ceil(" + a[0] + ")", nil
	case "exp", "sqrt", "log10", "log2", "isnan", "isinf", "isfinite":
		return fn + "(" + a[0] + ")", nil
	case "sign":
		return "CAST(sign(" + a[0] + ") AS " + SQLType(c.T) + ")", nil
	case "exp2":
		return "pow(2, " + a[0] + ")", nil
	case "exp10":
		return "pow(10, " + a[0] + ")", nil
	case "log":
		return "ln(" + a[0] + ")", nil
	case "pow":
		return "pow(" + a[0] + ", " + a[1] + ")", nil
	case "binary_and":
		return "(" + a[0] + " & " + a[1] + ")", nil
	case "binary_or":
		return "(" + a[0] + " | " + a[1] + ")", nil
	case "binary_xor":
		return "xor(" + a[0] + ", " + a[1] + ")", nil
	case "binary_not":
		return "(~" + a[0] + ")", nil
	case "binary_shift_left":
		return "(" + a[0] + " << " + a[1] + ")", nil
	case "binary_shift_right":
		return "(" + a[0] + " >> " + a[1] + ")", nil
	case "parse_pattern":
		re, ok := constString(c.Args[1])
		rx, err := regexp.Compile(re)
		if !ok || err != nil {
			return "", g.errf(c.Sp, "parse needs a constant pattern")
		}
		src := g.strTNull(ts[0], a[0])
		groups := make([]string, rx.NumSubexp())
		for i := range groups {
			groups[i] = "regexp_extract(" + src + ", " + sqlString(re) + ", " + strconv.Itoa(i+1) + ")"
		}
		return "(CASE WHEN regexp_matches(" + src + ", " + sqlString(re) + ") THEN CAST(to_json([" + strings.Join(groups, ", ") + "]) AS JSON) END)", nil
	case "convert":
		if t0 != schema.Dynamic {
			return g.cast(c.Args[0], a[0], c.T), nil
		}
		if c.T == schema.String {
			return "coalesce(json_extract_string(" + a[0] + ", '$'), '')", nil
		}
		if c.T == schema.Dynamic {
			return a[0], nil
		}
		return fromJSON(a[0], c.T), nil
	case "base64_decodestring", "base64_decode_tostring":
		return "coalesce(TRY(decode(from_base64(" + g.strT(ts[0], a[0]) + "))), '')", nil
	case "extract_all":
		re, ok := constString(c.Args[0])
		rx, err := regexp.Compile(re)
		if !ok || err != nil || len(a) != 2 || rx.NumSubexp() > 1 {
			return "", g.errf(c.Sp, "extract_all needs a constant regular expression with at most one group (and no group list) in queries")
		}
		l := "regexp_extract_all(" + g.strT(ts[1], a[1]) + ", " + a[0] + ", " + strconv.Itoa(rx.NumSubexp()) + ")"
		return "(CASE WHEN len(" + l + ") = 0 THEN NULL ELSE CAST(to_json(" + l + ") AS JSON) END)", nil
	case "datetime_part":
		part, ok := constString(c.Args[0])
		f := map[string]string{"year": "year", "quarter": "quarter", "month": "month", "week_of_year": "weekofyear",
			"day": "day", "dayofyear": "dayofyear", "hour": "hour", "minute": "minute", "second": "second",
			"millisecond": "millisecond", "microsecond": "microsecond"}[strings.ToLower(part)]
		if !ok || f == "" {
			return "", g.errf(c.Sp, "datetime_part needs a constant part (year, quarter, month, week_of_year, day, dayofyear, hour, minute, second, millisecond, microsecond)")
		}
		x := "date_part('" + f + "', " + a[1] + ")"
		switch f {
		case "millisecond":
			x = "(" + x + " % 1000)"
		case "microsecond":
			x = "(" + x + " % 1000000)"
		}
		return "CAST(" + x + " AS INTEGER)", nil
	case "make_datetime":
		parts := []string{"0", "0", "0", "0", "0", "0"}
		for i := range a {
			if i < 5 {
				parts[i] = "CAST(" + a[i] + " AS BIGINT)"
			} else {
				parts[i] = "CAST(" + a[i] + " AS DOUBLE)"
			}
		}
		return "TRY(make_timestamp(" + strings.Join(parts, ", ") + "))", nil
	case "make_timespan":
		units := map[int][]int64{2: {36000000000, 600000000}, 3: {36000000000, 600000000, 10000000}, 4: {864000000000, 36000000000, 600000000, 10000000}}[len(a)]
		var sum []string
		for i, u := range units {
			sum = append(sum, "CAST(round(CAST("+a[i]+" AS DOUBLE) * "+strconv.FormatInt(u, 10)+") AS BIGINT)")
		}
		if len(sum) == 0 {
			return "", g.errf(c.Sp, "make_timespan takes 2 to 4 arguments")
		}
		return "(" + strings.Join(sum, " + ") + ")", nil
	case "totimespan":
		switch t0 {
		case schema.TimeSpan:
			return a[0], nil
		case nullableString, schema.String:
			return stringToTicks(a[0]), nil
		}
		return "CAST(NULL AS BIGINT)", nil
	case "array_concat":
		var conds, lists []string
		for i := range a {
			if ts[i] != schema.Dynamic {
				return "CAST(NULL AS JSON)", nil
			}
			conds = append(conds, "json_type("+a[i]+") = 'ARRAY'")
			lists = append(lists, "CAST("+a[i]+" AS JSON[])")
		}
		return "(CASE WHEN " + strings.Join(conds, " AND ") + " THEN CAST(to_json(flatten([" + strings.Join(lists, ", ") + "])) AS JSON) END)", nil
	case "countof":
		kind := "normal"
		if len(a) > 2 {
			k, ok := constString(c.Args[2])
			if !ok {
				return "", g.errf(c.Sp, "countof needs a constant kind (normal or regex)")
			}
			kind = k
		}
		src, sub := g.strT(ts[0], a[0]), g.strT(ts[1], a[1])
		if kind == "regex" {
			if _, ok := constString(c.Args[1]); !ok {
				return "", g.errf(c.Sp, "countof needs a constant regular expression in queries")
			}
			return "CAST(len(regexp_extract_all(" + src + ", " + sub + ")) AS BIGINT)", nil
		}
		// Plain matches may overlap (countof("aaaa", "aa") is 3).
		return "(CASE WHEN length(" + sub + ") = 0 THEN CAST(0 AS BIGINT) ELSE CAST(len(list_filter(range(1, length(" + src + ") - length(" + sub + ") + 2), " +
			"i -> substring(" + src + ", i, length(" + sub + ")) = " + sub + ")) AS BIGINT) END)", nil
	case "zip":
		var conds, lens, items []string
		for i := range a {
			if ts[i] != schema.Dynamic {
				return "CAST(NULL AS JSON)", nil
			}
			conds = append(conds, "json_type("+a[i]+") = 'ARRAY'")
			lens = append(lens, "json_array_length("+a[i]+")")
			items = append(items, "json_extract("+a[i]+", '$[' || i || ']')")
		}
		n := lens[0]
		if len(lens) > 1 {
			n = "greatest(" + strings.Join(lens, ", ") + ")"
		}
		return "(CASE WHEN " + strings.Join(conds, " AND ") + " THEN CAST(to_json(list_transform(range(CAST(" + n + " AS BIGINT)), i -> json_array(" + strings.Join(items, ", ") + "))) AS JSON) END)", nil
	case "gettype":
		if t0 != schema.Dynamic {
			name := map[schema.Type]string{schema.Long: "long", schema.Int: "int", schema.Real: "real", schema.Decimal: "decimal",
				schema.String: "string", schema.Bool: "bool", schema.DateTime: "datetime", schema.TimeSpan: "timespan", schema.GUID: "guid"}[t0]
			if t0 == schema.String {
				return sqlString(name), nil
			}
			return "(CASE WHEN " + a[0] + " IS NULL THEN 'null' ELSE " + sqlString(name) + " END)", nil
		}
		return "(CASE json_type(" + a[0] + ") WHEN 'ARRAY' THEN 'array' WHEN 'OBJECT' THEN 'dictionary' WHEN 'BIGINT' THEN 'long' " +
			"WHEN 'UBIGINT' THEN 'long' WHEN 'DOUBLE' THEN 'real' WHEN 'VARCHAR' THEN 'string' WHEN 'BOOLEAN' THEN 'bool' ELSE 'null' END)", nil
	case "toguid":
		return "(CASE WHEN regexp_full_match(lower(" + g.strT(ts[0], a[0]) + "), '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}') THEN lower(" + g.strT(ts[0], a[0]) + ") END)", nil
	}
	return "", g.errf(c.Sp, "function %q is not supported in queries yet", fn)
}

// cast converts an argument to the call's result type when they differ.
func (g *gen) cast(e check.Expr, s string, t schema.Type) string {
	if e.Type() == t {
		return s
	}
	if t == schema.Dynamic {
		switch e.Type() {
		case schema.String:
			return "to_json(" + s + ")"
		case schema.DateTime, schema.TimeSpan, schema.GUID:
			return "CAST(to_json(" + g.strTNull(e.Type(), s) + ") AS JSON)"
		}
		return "CAST(to_json(" + s + ") AS JSON)"
	}
	return "CAST(" + s + " AS " + SQLType(t) + ")"
}

func jsonKey(k string) string {
	ok := k != ""
	for _, r := range k {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			ok = false
		}
	}
	if ok {
		return k
	}
	return `"` + strings.ReplaceAll(k, `"`, `\"`) + `"`
}

func stringPredicate(fn string) (string, bool, bool) {
	neg := false
	base := fn
	if fn == "!~" {
		base, neg = "=~", true
	} else if strings.HasPrefix(fn, "!") {
		base, neg = fn[1:], true
	}
	switch base {
	case "=~", "matches regex":
		return base, neg, true
	}
	for _, b := range []string{"contains", "has", "hasprefix", "hassuffix", "startswith", "endswith"} {
		if base == b || base == b+"_cs" {
			return base, neg, true
		}
	}
	return "", false, false
}

func (g *gen) stringPred(c *check.Call, in schema.Schema, base string, neg bool) (string, error) {
	a, err := g.argList(c, in)
	if err != nil {
		return "", err
	}
	l := g.strTNull(c.Args[0].Type(), a[0])
	r := g.strTNull(c.Args[1].Type(), a[1])
	var x string
	switch base {
	case "=~":
		x = "lower(" + l + ") = lower(" + r + ")"
	case "contains":
		x = "contains(lower(" + l + "), lower(" + r + "))"
	case "contains_cs":
		x = "contains(" + l + ", " + r + ")"
	case "startswith":
		x = "starts_with(lower(" + l + "), lower(" + r + "))"
	case "startswith_cs":
		x = "starts_with(" + l + ", " + r + ")"
	case "endswith":
		x = "ends_with(lower(" + l + "), lower(" + r + "))"
	case "endswith_cs":
		x = "ends_with(" + l + ", " + r + ")"
	case "matches regex":
		if _, ok := constString(c.Args[1]); !ok {
			return "", g.errf(c.Sp, "matches regex needs a constant regular expression in queries")
		}
		x = "regexp_matches(" + l + ", " + r + ")"
	default: // has family
		needle, ok := constString(c.Args[1])
		if !ok {
			return "", g.errf(c.Sp, "%q needs a constant string on the right in queries", c.Fn)
		}
		cs := strings.HasSuffix(base, "_cs")
		kind := strings.TrimSuffix(base, "_cs")
		pat := hasPattern(needle, cs, kind != "hassuffix", kind != "hasprefix")
		x = "regexp_matches(" + l + ", " + sqlString(pat) + ")"
	}
	both := "(" + l + ") IS NULL AND (" + r + ") IS NULL"
	if neg {
		return "(CASE WHEN " + both + " THEN NULL ELSE coalesce(NOT (" + x + "), true) END)", nil
	}
	return "(CASE WHEN " + both + " THEN NULL ELSE coalesce(" + x + ", false) END)", nil
}

func (g *gen) inList(c *check.Call, in schema.Schema) (string, error) {
	x, err := g.expr(c.Args[0], in)
	if err != nil {
		return "", err
	}
	base := strings.TrimPrefix(c.Fn, "!")
	neg := base != c.Fn
	var items, needles, extra []string
	for _, e := range c.Args[1:] {
		k, ok := e.(*check.Const)
		if !ok {
			s, err := g.expr(e, in)
			if err != nil {
				return "", err
			}
			if base == "has_any" || base == "has_all" {
				return "", g.errf(c.Sp, "%s needs constant values in queries", base)
			}
			if e.Type() == schema.Dynamic && (base == "in" || base == "in~") {
				// Membership in a dynamic array (or equality with a dynamic scalar).
				lower := map[bool]string{true: "lower", false: ""}[base == "in~"]
				lhsStr := lower + "(" + g.strTNull(c.Args[0].Type(), x) + ")"
				elems := "list_transform(CAST(" + s + " AS JSON[]), v -> " + lower + "(json_extract_string(v, '$')))"
				extra = append(extra, "(CASE WHEN json_type("+s+") = 'ARRAY' THEN list_contains("+elems+", "+lhsStr+") "+
					"ELSE "+lower+"(json_extract_string("+s+", '$')) = "+lhsStr+" END)")
				continue
			}
			switch lt := c.Args[0].Type(); {
			case lt == schema.Dynamic:
				s = g.strTNull(e.Type(), s)
			case e.Type() == schema.Dynamic:
				s = fromJSON(s, lt)
			}
			items = append(items, s)
			continue
		}
		vals := []any{k.Value}
		if arr, ok := k.Value.([]any); ok {
			vals = arr
		}
		for _, v := range vals {
			if base == "has_any" || base == "has_all" {
				needles = append(needles, value.ToString(v))
				continue
			}
			t := c.Args[0].Type()
			if t == schema.Dynamic {
				t = schema.String
				if k.T != schema.Dynamic {
					v = value.ToString(v)
				}
			}
			if !sameKind(v, t) {
				continue // values of another kind never equal the left side
			}
			if isNumericType(t) {
				items = append(items, g.constSQL(v, map[bool]schema.Type{true: schema.Real, false: schema.Long}[isFloat(v)]))
				continue
			}
			cv, ok := value.Convert(v, t)
			if !ok {
				continue
			}
			items = append(items, g.constSQL(cv, t))
		}
	}
	lhs := x
	if c.Args[0].Type() == schema.Dynamic {
		lhs = g.strTNull(schema.Dynamic, x)
	}
	var expr string
	switch base {
	case "in", "in~":
		if len(items) == 0 && len(extra) == 0 {
			expr = "false"
			break
		}
		if base == "in~" {
			for i := range items {
				items[i] = "lower(" + items[i] + ")"
			}
			lhs = "lower(" + g.strSQL(c.Args[0], x) + ")"
		}
		var parts []string
		if len(items) > 0 {
			parts = append(parts, lhs+" IN ("+strings.Join(items, ", ")+")")
		}
		expr = "(" + strings.Join(append(parts, extra...), " OR ") + ")"
	default:
		if len(needles) == 0 {
			expr = map[bool]string{true: "true", false: "false"}[base == "has_all"]
			break
		}
		s := g.strSQL(c.Args[0], x)
		var parts []string
		for _, n := range needles {
			parts = append(parts, "regexp_matches("+s+", "+sqlString(hasPattern(n, false, true, true))+")")
		}
		op := " OR "
		if base == "has_all" {
			op = " AND "
		}
		expr = "(" + strings.Join(parts, op) + ")"
	}
	if neg {
		return "coalesce(NOT (" + expr + "), true)", nil
	}
	return "coalesce(" + expr + ", false)", nil
}

func (g *gen) arith(c *check.Call, a []string) (string, error) {
	lt, rt := c.Args[0].Type(), c.Args[1].Type()
	op := c.Fn
	dt, ts := schema.DateTime, schema.TimeSpan
	toInterval := func(s string) string { return "to_microseconds(CAST(" + s + " // 10 AS BIGINT))" }
	switch {
	case lt == dt && rt == ts:
		return "(" + a[0] + " " + op + " " + toInterval(a[1]) + ")", nil
	case lt == ts && rt == dt && op == "+":
		return "(" + a[1] + " + " + toInterval(a[0]) + ")", nil
	case lt == dt && rt == dt && op == "-":
		return "((epoch_us(" + a[0] + ") - epoch_us(" + a[1] + ")) * 10)", nil
	case lt == ts && rt == ts && op == "/":
		return "(CASE WHEN " + a[1] + " = 0 THEN NULL ELSE CAST(" + a[0] + " AS DOUBLE) / " + a[1] + " END)", nil
	case lt == schema.Dynamic || rt == schema.Dynamic:
		return "", g.errf(c.Sp, "arithmetic on dynamic values has no SQL translation; convert with tolong()/todouble() first")
	case (lt == ts) != (rt == ts) && (op == "*" || op == "/"):
		return "CAST(round(" + a[0] + " " + op + " " + a[1] + ") AS BIGINT)", nil
	}
	intOp := (lt == schema.Int || lt == schema.Long || lt == ts) && (rt == schema.Int || rt == schema.Long || rt == ts)
	switch op {
	case "/":
		if intOp {
			return "(CASE WHEN " + a[1] + " = 0 THEN NULL ELSE CAST(trunc(" + a[0] + " / " + a[1] + ") AS BIGINT) END)", nil
		}
		return "(" + a[0] + " / " + a[1] + ")", nil
	case "%":
		if intOp {
			return "(CASE WHEN " + a[1] + " = 0 THEN NULL ELSE ((" + a[0] + " % " + a[1] + ") + " + a[1] + ") % " + a[1] + " END)", nil
		}
		return "(CASE WHEN " + a[1] + " = 0 THEN 'NaN'::DOUBLE ELSE ((fmod(" + a[0] + ", " + a[1] + ") + " + a[1] + ") % " + a[1] + ") END)", nil
	}
	return "(" + a[0] + " " + op + " " + a[1] + ")", nil
}

// tickOffsetMicros is the distance from 0001-01-01 to the Unix epoch in µs;
// datetime bins are aligned to 0001-01-01 like KQL ticks.
const tickOffsetMicros = 62135596800000000

func (g *gen) bin(c *check.Call, a []string) (string, error) {
	t := c.Args[0].Type()
	if t == schema.Dynamic || c.Args[1].Type() == schema.Dynamic {
		return "", g.errf(c.Sp, "bin needs typed arguments in queries; convert dynamic values first")
	}
	k, isC := c.Args[1].(*check.Const)
	switch t {
	case schema.DateTime:
		var d time.Duration
		ok := false
		if isC {
			d, ok = k.Value.(time.Duration)
		}
		if !ok || d <= 0 || d%time.Microsecond != 0 {
			return "", g.errf(c.Sp, "bin on datetime needs a constant positive timespan of whole microseconds")
		}
		us := strconv.FormatInt(int64(d/time.Microsecond), 10)
		off := strconv.FormatInt(tickOffsetMicros, 10)
		return "make_timestamp(((epoch_us(" + a[0] + ") + " + off + ") // " + us + ") * " + us + " - " + off + ")", nil
	case schema.TimeSpan:
		return "(CASE WHEN " + a[1] + " > 0 THEN (floor(" + a[0] + " / " + a[1] + ") * " + a[1] + ")::BIGINT END)", nil
	case schema.Int, schema.Long:
		if c.Args[1].Type() == schema.Real {
			return "(CASE WHEN " + a[1] + " > 0 THEN floor(" + a[0] + " / " + a[1] + ") * " + a[1] + " END)", nil
		}
		return "(CASE WHEN " + a[1] + " > 0 THEN CAST(floor(" + a[0] + " / " + a[1] + ") * " + a[1] + " AS BIGINT) END)", nil
	case schema.Real:
		return "(CASE WHEN " + a[1] + " > 0 THEN floor(" + a[0] + " / " + a[1] + ") * " + a[1] + " END)", nil
	}
	return "", g.errf(c.Sp, "bin on %s is not supported in queries", t)
}

// coerceDynamic makes both sides of a comparison comparable in SQL: a
// dynamic side is converted to the other side's type (both dynamic:
// compared as their tostring() text).
func (g *gen) coerceDynamic(le check.Expr, l string, re check.Expr, r string) (string, string) {
	lt, rt := le.Type(), re.Type()
	switch {
	case lt == schema.Dynamic && rt == schema.Dynamic:
		return g.strSQL(le, l), g.strSQL(re, r)
	case lt == schema.Dynamic:
		return cmpJSON(l, rt), r
	case rt == schema.Dynamic:
		return l, cmpJSON(r, lt)
	}
	return l, r
}

// fromJSON converts a JSON value to a scalar SQL type (null when it does not convert).
func fromJSON(s string, t schema.Type) string {
	str := "json_extract_string(" + s + ", '$')"
	switch t {
	case schema.String, schema.GUID:
		return "(CASE WHEN json_type(" + s + ") = 'VARCHAR' THEN " + str + " END)"
	case schema.Bool:
		return "(CASE WHEN json_type(" + s + ") IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN TRY_CAST(" + str + " AS DOUBLE) <> 0 " +
			"WHEN lower(" + str + ") = 'true' THEN true WHEN lower(" + str + ") = 'false' THEN false END)"
	case schema.TimeSpan:
		return "TRY_CAST(" + str + " AS BIGINT)"
	}
	return "TRY_CAST(" + str + " AS " + SQLType(t) + ")"
}

// jsonValue prepares a value for json_array/json_object: datetimes,
// timespans and guids become their KQL string form.
func jsonValue(t schema.Type, s string, g *gen) string {
	switch t {
	case schema.DateTime, schema.TimeSpan:
		return g.strTNull(t, s)
	}
	return s
}

// realText renders a DOUBLE like .NET: whole numbers without ".0".
func realText(s string) string {
	return "(CASE WHEN " + s + " = trunc(" + s + ") AND abs(" + s + ") < 1e15 THEN CAST(CAST(" + s + " AS BIGINT) AS VARCHAR) ELSE CAST(" + s + " AS VARCHAR) END)"
}

// cmpJSON converts a JSON value for comparison with type t: only a JSON
// value of the matching kind converts, anything else is NULL (no match).
func cmpJSON(s string, t schema.Type) string {
	str := "json_extract_string(" + s + ", '$')"
	switch {
	case t == schema.Bool:
		return "(CASE WHEN json_type(" + s + ") = 'BOOLEAN' THEN TRY_CAST(" + str + " AS BOOLEAN) END)"
	case isNumericType(t):
		return "(CASE WHEN json_type(" + s + ") IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN TRY_CAST(" + str + " AS " + SQLType(t) + ") END)"
	}
	return fromJSON(s, t)
}

func isNumericType(t schema.Type) bool {
	return t == schema.Int || t == schema.Long || t == schema.Real || t == schema.Decimal
}

func isFloat(v any) bool {
	_, ok := v.(float64)
	return ok
}

// sameKind reports whether constant v can equal a value of type t.
func sameKind(v any, t schema.Type) bool {
	switch v.(type) {
	case nil:
		return false
	case bool:
		return t == schema.Bool
	case int64, float64:
		return isNumericType(t)
	case string:
		return t == schema.String || t == schema.GUID || t == schema.DateTime
	case time.Time:
		return t == schema.DateTime
	case time.Duration:
		return t == schema.TimeSpan
	}
	return false
}

// startOf truncates a[0] to the start of a day/week/month/year, moved by
// the optional offset a[1] (in units). Weeks start on Sunday.
func startOf(unit string, a []string) string {
	var x string
	if unit == "week" {
		x = "(date_trunc('week', " + a[0] + " + INTERVAL 1 DAY) - INTERVAL 1 DAY)"
	} else {
		x = "date_trunc('" + unit + "', " + a[0] + ")"
	}
	if len(a) > 1 {
		x = "(" + x + " + to_" + unit + "s(CAST(" + a[1] + " AS INTEGER)))"
	}
	return "CAST(" + x + " AS TIMESTAMP)"
}

// stringToTimestamp converts a string to a UTC TIMESTAMP: ISO 8601 forms
// (TRY_CAST), with a trailing +hh:mm/-hh:mm offset converted to UTC.
// Other forms todatetime() accepts in the evaluator (RFC 822/850, US
// month-first dates) give null unless Options.UDFs is set, in which case
// the registered kql_todatetime (value.ParseDateTime) does the parsing.
func (g *gen) stringToTimestamp(s string) string {
	if g.udfs {
		return udfToDatetime + "(" + s + ")"
	}
	const off = `'([+-])(\d\d):?(\d\d)$'`
	local := "TRY_CAST(regexp_replace(" + s + ", " + off + ", '') AS TIMESTAMP)"
	minutes := "(CAST(regexp_extract(" + s + ", " + off + ", 2) AS INTEGER) * 60 + CAST(regexp_extract(" + s + ", " + off + ", 3) AS INTEGER))"
	sign := "(CASE regexp_extract(" + s + ", " + off + ", 1) WHEN '-' THEN -1 ELSE 1 END)"
	return "(CASE WHEN regexp_matches(" + s + ", '\\d[T ]\\d.*' || " + off + ") THEN " + local + " - to_minutes(" + sign + " * " + minutes + ") ELSE TRY_CAST(" + s + " AS TIMESTAMP) END)"
}

// stringToTicks parses a KQL timespan string ([-][d.]hh:mm[:ss[.fffffff]])
// into 100 ns ticks; anything else is null.
func stringToTicks(s string) string {
	const re = `'^\s*(-)?(?:(\d+)\.)?(\d+):(\d+)(?::(\d+)(?:\.(\d{1,7}))?)?\s*$'`
	grp := func(i int) string { return "regexp_extract(" + s + ", " + re + ", " + strconv.Itoa(i) + ")" }
	num := func(i int) string { return "coalesce(TRY_CAST(" + grp(i) + " AS BIGINT), 0)" }
	frac := "coalesce(TRY_CAST(rpad(" + grp(6) + ", 7, '0') AS BIGINT), 0)"
	sum := "(" + num(2) + " * 864000000000 + " + num(3) + " * 36000000000 + " + num(4) + " * 600000000 + " + num(5) + " * 10000000 + " + frac + ")"
	return "(CASE WHEN regexp_matches(" + s + ", " + re + ") THEN (CASE " + grp(1) + " WHEN '-' THEN -1 ELSE 1 END) * " + sum + " END)"
}

// bagList turns a JSON object into a list of single-key objects (or of
// [key, value] arrays), keys sorted.
func bagList(x string, asArray bool) string {
	val := `json_extract(` + x + `, '$."' || replace(k, '"', '\"') || '"')`
	item := "json_object(k, " + val + ")"
	if asArray {
		item = "json_array(k, " + val + ")"
	}
	return "list_transform(list_sort(json_keys(" + x + ")), k -> CAST(" + item + " AS JSON))"
}

// formatSQL translates format_datetime (x a TIMESTAMP) or format_timespan
// (x BIGINT ticks) into a concatenation of the formatted parts, as
// value.FormatDateTimeWith/FormatTimespanWith do.
func formatSQL(f string, span bool, x string) (string, error) {
	parse := value.ParseDateTimeFormat
	if span {
		parse = value.ParseTimespanFormat
	}
	elems, err := parse(f)
	if err != nil {
		return "", err
	}
	num := func(v string, n int) string {
		// printf pads to at least n digits and never truncates (lpad does).
		return "printf('%0" + strconv.Itoa(n) + "d', CAST(" + v + " AS BIGINT))"
	}
	var frac7, abs string
	if span {
		abs = "abs(" + x + ")"
		frac7 = "lpad(CAST(" + abs + " % 10000000 AS VARCHAR), 7, '0')"
	} else {
		frac7 = "lpad(CAST((microsecond(" + x + ") % 1000000) * 10 AS VARCHAR), 7, '0')"
	}
	secs := "(" + abs + " // 10000000)"
	var parts []string
	if span {
		parts = append(parts, "(CASE WHEN "+x+" < 0 THEN '-' ELSE '' END)")
	}
	for _, e := range elems {
		var p string
		switch e.Spec {
		case 0:
			p = sqlString(e.Lit)
		case 'f', 'F':
			p = "substr(" + frac7 + ", 1, " + strconv.Itoa(e.N) + ")"
			if e.Spec == 'F' {
				p = "rtrim(" + p + ", '0')"
			}
		case 'd':
			if span {
				p = num(secs+" // 86400", e.N)
			} else {
				p = num("day("+x+")", e.N)
			}
		case 'h', 'H':
			switch {
			case span:
				p = num(secs+" // 3600 % 24", e.N)
			case e.Spec == 'h':
				p = num("(hour("+x+") + 11) % 12 + 1", e.N)
			default:
				p = num("hour("+x+")", e.N)
			}
		case 'm':
			if span {
				p = num(secs+" // 60 % 60", e.N)
			} else {
				p = num("minute("+x+")", e.N)
			}
		case 's':
			if span {
				p = num(secs+" % 60", e.N)
			} else {
				p = num("second("+x+")", e.N)
			}
		case 'M':
			p = num("month("+x+")", e.N)
		case 'y':
			if e.N == 4 {
				p = num("year("+x+")", 4)
			} else {
				p = num("year("+x+") % 100", e.N)
			}
		case 't':
			p = "(CASE WHEN hour(" + x + ") < 12 THEN 'AM' ELSE 'PM' END)"
		}
		parts = append(parts, p)
	}
	return "(CASE WHEN " + x + " IS NULL THEN '' ELSE concat(" + strings.Join(parts, ", ") + ") END)", nil
}

// makeSeries translates make-series: rows in [from, to) get a bin index
// (axis - from) / step; a first GROUP BY aggregates per group and bin, a
// second collects the bins of each group into lists, and the final
// select spreads them over range(0, n) with the defaults. Axis positions
// are epoch microseconds for datetimes, ticks for timespans, DOUBLE for
// numbers; at most 2^20 bins (Kusto's limit).
func (g *gen) makeSeries(m *check.MakeSeries, in schema.Schema, from string) (string, error) {
	axis, err := g.expr(m.Axis, in)
	if err != nil {
		return "", err
	}
	lo, err := g.expr(m.From, in)
	if err != nil {
		return "", err
	}
	hi, err := g.expr(m.To, in)
	if err != nil {
		return "", err
	}
	st, err := g.expr(m.Step, in)
	if err != nil {
		return "", err
	}
	pos := func(x string) string { return "CAST(" + x + " AS DOUBLE)" }
	switch m.AxisType {
	case schema.DateTime:
		pos = func(x string) string { return "CAST(epoch_us(" + x + ") AS DOUBLE)" }
		st = "(" + st + " / 10)" // ticks → µs
	case schema.TimeSpan:
	}
	S, E, ST := pos(lo), pos(hi), "CAST("+st+" AS DOUBLE)"
	n := "least(CASE WHEN " + E + " > " + S + " THEN CAST(ceil((" + E + " - " + S + ") / " + ST + ") AS BIGINT) ELSE 0 END, 1048576)"
	// Innermost: the rows in range with their bin index.
	inner := "SELECT *, CAST(floor((" + pos(axis) + " - " + S + ") / " + ST + ") AS BIGINT) AS _i FROM " + from +
		" WHERE " + pos(axis) + " >= " + S + " AND " + pos(axis) + " < " + E
	// Per group and bin.
	var sel1, grp1, sel2, grp2, final []string
	for i, k := range m.Keys {
		x, err := g.expr(k, in)
		if err != nil {
			return "", err
		}
		gk := "_g" + strconv.Itoa(i)
		sel1 = append(sel1, x+" AS "+gk)
		grp1 = append(grp1, strconv.Itoa(i+1))
		sel2 = append(sel2, gk)
		grp2 = append(grp2, gk)
		final = append(final, gk+" AS "+col(i))
	}
	sel1 = append(sel1, "_i")
	grp1 = append(grp1, strconv.Itoa(len(m.Keys)+1))
	sel2 = append(sel2, "list(_i ORDER BY _i) AS _ix")
	for j, a := range m.Aggs {
		x, err := g.aggregate(a, in, false)
		if err != nil {
			return "", err
		}
		v := "_a" + strconv.Itoa(j)
		sel1 = append(sel1, x+" AS "+v)
		sel2 = append(sel2, "list("+v+" ORDER BY _i) AS _v"+strconv.Itoa(j))
		def := "NULL"
		switch d := m.Defaults[j].(type) {
		case int64:
			def = strconv.FormatInt(d, 10)
		case float64:
			def = strconv.FormatFloat(d, 'g', -1, 64) + "::DOUBLE"
		}
		elem := "coalesce(list_extract(_v" + strconv.Itoa(j) + ", list_position(_ix, i)), " + def + ")"
		if a.T == schema.Real {
			elem = "CAST(" + elem + " AS DOUBLE)"
		}
		final = append(final, "CAST(to_json(list_transform(range(0, "+n+"), i -> "+elem+")) AS JSON) AS "+col(len(m.Keys)+j))
	}
	var bin string
	switch m.AxisType {
	case schema.DateTime:
		bin = g.strTNull(schema.DateTime, "make_timestamp(CAST("+S+" + i * "+ST+" AS BIGINT))")
	case schema.TimeSpan:
		bin = g.strTNull(schema.TimeSpan, "CAST("+S+" + i * "+ST+" AS BIGINT)")
	case schema.Real, schema.Decimal:
		bin = "(" + S + " + i * " + ST + ")"
	default:
		bin = "CAST(" + S + " + i * " + ST + " AS BIGINT)"
	}
	final = append(final, "CAST(to_json(list_transform(range(0, "+n+"), i -> "+bin+")) AS JSON) AS "+col(len(m.Keys)+len(m.Aggs)))
	level1 := "SELECT " + strings.Join(sel1, ", ") + " FROM (" + inner + ") GROUP BY " + strings.Join(grp1, ", ")
	level2 := "SELECT " + strings.Join(sel2, ", ") + " FROM (" + level1 + ")"
	if len(grp2) > 0 {
		level2 += " GROUP BY " + strings.Join(grp2, ", ")
	} else {
		level2 += " HAVING count(*) > 0"
	}
	return "SELECT " + strings.Join(final, ", ") + " FROM (" + level2 + ")", nil
}
