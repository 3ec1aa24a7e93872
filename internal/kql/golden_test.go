package kql_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/codeless/codeless/internal/kql/eval"
	"github.com/codeless/codeless/internal/kql/sqlgen"
	"github.com/codeless/codeless/internal/kql/value"
	"github.com/codeless/codeless/internal/schema"
)

var update = flag.Bool("update", false, "rewrite the expected sections of testdata/golden/*.kqlt from the engine's output (review the diff before committing)")

// goldenNow is now() for every golden case.
var goldenNow = time.Date(2024, 5, 6, 12, 0, 0, 0, time.UTC)

// A golden file (testdata/golden/*.kqlt) is a list of table definitions and
// cases:
//
//	# comment
//	table T (s:string, n:long)        declares an input table; one JSON array
//	["a", 1]                          per row follows, until a blank line
//
//	=== name [!nosql reason] [!noeval] [!transform]
//	T | where n > 0                   the query (one or more lines)
//	---                               expected: a header and JSON rows,
//	s:string, n:long                  or "--- error: substring"
//	["a", 1]
//
// Values are JSON: datetimes and timespans as KQL strings
// ("2024-05-06T10:00:00Z", "01:00:00"), reals may be "NaN". Rows compare
// in order when the query sorts (sort/order by, top), as multisets
// otherwise. !nosql marks a construct the SQL translation refuses (the
// reason is documented); !noeval skips the evaluator; !transform checks an
// error case against the DCR transform subset instead of the query layer;
// !lenient marks an error case that Kusto.Language accepts (we refuse on
// purpose; TestOracle checks that it still accepts); !oracleschema marks a
// valid case whose result schema Kusto.Language gets wrong (union
// kind=inner: it keeps every column), checked to still differ.

type goldenTable struct {
	name   string
	schema schema.Schema
	rows   [][]any // Go values per the schema conventions
}

type goldenCase struct {
	file      string
	line      int
	name      string
	query     string
	noSQL     string
	noEval    bool
	transform bool
	lenient   bool // an error case Kusto.Language accepts (see TestOracle)
	// oracleSchema: Kusto.Language's result schema is known to differ
	// from the engine's documented one (see TestOracle).
	oracleSchema bool
	wantErr      string
	wantCols     schema.Schema
	wantRows     [][]any // raw JSON values
	hdrLine      int     // index of the "---" line in the file
	endLine      int     // index after the last expected line
	tables       map[string]*goldenTable
}

func parseSchemaList(s string) (schema.Schema, error) {
	var out schema.Schema
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		i := strings.LastIndex(part, ":")
		if i < 0 {
			return nil, fmt.Errorf("column %q has no type", part)
		}
		t, err := schema.ParseType(strings.TrimSpace(part[i+1:]))
		if err != nil {
			return nil, err
		}
		out = append(out, schema.Column{Name: strings.TrimSpace(part[:i]), Type: t})
	}
	return out, nil
}

func decodeRow(line string, n int) ([]any, error) {
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	var row []any
	if err := dec.Decode(&row); err != nil {
		return nil, err
	}
	if len(row) != n {
		return nil, fmt.Errorf("row has %d values, header has %d columns", len(row), n)
	}
	return row, nil
}

// goValue converts a JSON value of a golden file to a Go value of type t.
func goValue(v any, t schema.Type) (any, error) {
	if v == nil {
		if t == schema.String {
			return "", nil
		}
		return nil, nil
	}
	switch t {
	case schema.Dynamic:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		return value.ParseJSON(string(b)), nil
	case schema.Real, schema.Decimal:
		if s, ok := v.(string); ok {
			f, err := strconv.ParseFloat(s, 64)
			return f, err
		}
		return strconv.ParseFloat(string(v.(json.Number)), 64)
	case schema.Long, schema.Int:
		n, ok := v.(json.Number)
		if !ok {
			return nil, fmt.Errorf("%v is not a number", v)
		}
		return strconv.ParseInt(string(n), 10, 64)
	case schema.DateTime:
		s, _ := v.(string)
		d, ok := value.ParseDateTime(s)
		if !ok {
			return nil, fmt.Errorf("%v is not a datetime", v)
		}
		return d, nil
	case schema.TimeSpan:
		s, _ := v.(string)
		d, ok := value.ParseTimespan(s)
		if !ok {
			return nil, fmt.Errorf("%v is not a timespan", v)
		}
		return d, nil
	case schema.Bool:
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("%v is not a bool", v)
		}
		return b, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("%v is not a string", v)
	}
	return s, nil
}

// canon renders a value of type t from either backend or the expectation.
func canon(v any, t schema.Type) string {
	if v == nil {
		return "null"
	}
	switch t {
	case schema.String, schema.GUID:
		switch x := v.(type) {
		case string:
			return strconv.Quote(x)
		case []byte:
			return strconv.Quote(string(x))
		}
	case schema.Long, schema.Int:
		switch x := v.(type) {
		case int64:
			return strconv.FormatInt(x, 10)
		case int32:
			return strconv.FormatInt(int64(x), 10)
		case int:
			return strconv.Itoa(x)
		}
	case schema.Real, schema.Decimal:
		if x, ok := v.(float64); ok {
			switch {
			case math.IsNaN(x):
				return "NaN"
			case math.IsInf(x, 1):
				return "+Inf"
			case math.IsInf(x, -1):
				return "-Inf"
			}
			return strconv.FormatFloat(x, 'g', 12, 64)
		}
	case schema.Bool:
		if x, ok := v.(bool); ok {
			return strconv.FormatBool(x)
		}
	case schema.DateTime:
		if x, ok := v.(time.Time); ok {
			// DuckDB keeps microseconds; KQL 100 ns (documented difference).
			return x.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.000000Z")
		}
	case schema.TimeSpan:
		switch x := v.(type) {
		case time.Duration:
			return value.FormatTimespan(x)
		case int64:
			return value.FormatTimespan(time.Duration(x) * value.Tick)
		}
	case schema.Dynamic:
		switch x := v.(type) {
		case []byte:
			return value.JSON(value.ParseJSON(string(x)))
		case string:
			// DuckDB returns JSON text; eval returns a dynamic string.
			if p := value.ParseJSON(x); p != nil || x == "null" {
				if _, isDynString := p.(string); !isDynString || strings.HasPrefix(strings.TrimSpace(x), `"`) {
					return value.JSON(p)
				}
			}
			return value.JSON(x)
		}
		return value.JSON(value.ParseJSON(value.JSON(v)))
	}
	return fmt.Sprintf("<%T %v>", v, v)
}

// jsonValue renders a result value for -update.
func jsonValue(v any, t schema.Type) string {
	c := canon(v, t)
	switch t {
	case schema.DateTime:
		if c != "null" {
			x := v.(time.Time).UTC()
			return strconv.Quote(value.FormatDateTime(x))
		}
	case schema.TimeSpan, schema.Real:
		if c != "null" && (t == schema.TimeSpan || c == "NaN" || strings.HasSuffix(c, "Inf")) {
			return strconv.Quote(c)
		}
	}
	return c
}

var directive = regexp.MustCompile(`\s!(nosql|noeval|transform|lenient|oracleschema)\b`)

func parseGoldenFile(t *testing.T, path string) ([]*goldenCase, []string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	tables := map[string]*goldenTable{}
	var cases []*goldenCase
	fail := func(i int, format string, a ...any) {
		t.Fatalf("%s:%d: %s", filepath.Base(path), i+1, fmt.Sprintf(format, a...))
	}
	for i := 0; i < len(lines); {
		line := lines[i]
		switch {
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
			i++
		case strings.HasPrefix(line, "table "):
			rest := strings.TrimSpace(strings.TrimPrefix(line, "table "))
			open := strings.Index(rest, "(")
			if open < 0 || !strings.HasSuffix(rest, ")") {
				fail(i, "table line needs Name (col:type, ...)")
			}
			sch, err := parseSchemaList(rest[open+1 : len(rest)-1])
			if err != nil {
				fail(i, "%v", err)
			}
			tb := &goldenTable{name: strings.TrimSpace(rest[:open]), schema: sch}
			i++
			for ; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
				raw, err := decodeRow(lines[i], len(sch))
				if err != nil {
					fail(i, "%v", err)
				}
				row := make([]any, len(sch))
				for j, c := range sch {
					if row[j], err = goValue(raw[j], c.Type); err != nil {
						fail(i, "column %s: %v", c.Name, err)
					}
				}
				tb.rows = append(tb.rows, row)
			}
			// Cases see the tables declared so far (copy: later tables may shadow).
			next := map[string]*goldenTable{}
			for k, v := range tables {
				next[k] = v
			}
			next[tb.name] = tb
			tables = next
		case strings.HasPrefix(line, "=== "):
			c := &goldenCase{file: filepath.Base(path), line: i + 1, tables: tables}
			head := line[4:]
			if m := regexp.MustCompile(`!nosql\s+(.*)$`).FindStringSubmatch(head); m != nil {
				c.noSQL = m[1]
				head = head[:strings.Index(head, "!nosql")]
			}
			c.noEval = strings.Contains(head, "!noeval")
			c.transform = strings.Contains(head, "!transform")
			c.lenient = strings.Contains(head, "!lenient")
			c.oracleSchema = strings.Contains(head, "!oracleschema")
			c.name = strings.TrimSpace(directive.ReplaceAllString(" "+head, ""))
			i++
			var q []string
			for ; i < len(lines) && !strings.HasPrefix(lines[i], "---"); i++ {
				q = append(q, lines[i])
			}
			if i == len(lines) {
				fail(c.line-1, "case %q has no --- line", c.name)
			}
			c.query = strings.TrimSpace(strings.Join(q, "\n"))
			c.hdrLine = i
			if rest := strings.TrimSpace(strings.TrimPrefix(lines[i], "---")); rest != "" {
				if !strings.HasPrefix(rest, "error:") {
					fail(i, "expected \"---\" or \"--- error: substring\"")
				}
				c.wantErr = strings.TrimSpace(strings.TrimPrefix(rest, "error:"))
				i++
				c.endLine = i
				cases = append(cases, c)
				continue
			}
			i++
			if i == len(lines) {
				fail(i-1, "case %q has no header", c.name)
			}
			sch, err := parseSchemaList(lines[i])
			if err != nil {
				fail(i, "%v", err)
			}
			c.wantCols = sch
			i++
			for ; i < len(lines) && strings.HasPrefix(lines[i], "["); i++ {
				raw, err := decodeRow(lines[i], len(sch))
				if err != nil {
					fail(i, "%v", err)
				}
				c.wantRows = append(c.wantRows, raw)
			}
			c.endLine = i
			cases = append(cases, c)
		default:
			fail(i, "unexpected line %q", line)
		}
	}
	return cases, lines
}

func openGoldenDB(t *testing.T, tables map[string]*goldenTable) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := sqlgen.RegisterFunctions(context.Background(), conn); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	for _, tb := range tables {
		var cols, marks []string
		for _, c := range tb.schema {
			cols = append(cols, sqlgen.Quote(c.Name)+" "+sqlgen.SQLType(c.Type))
			if c.Type == schema.Dynamic {
				marks = append(marks, "CAST(? AS JSON)")
			} else {
				marks = append(marks, "?")
			}
		}
		if _, err := db.Exec("CREATE TABLE " + sqlgen.Quote(tb.name) + " (" + strings.Join(cols, ", ") + ")"); err != nil {
			t.Fatal(err)
		}
		ins := "INSERT INTO " + sqlgen.Quote(tb.name) + " VALUES (" + strings.Join(marks, ", ") + ")"
		for _, row := range tb.rows {
			args := make([]any, len(row))
			for j, v := range row {
				switch x := v.(type) {
				case time.Duration:
					args[j] = int64(x / value.Tick)
				default:
					if tb.schema[j].Type == schema.Dynamic && v != nil {
						args[j] = value.JSON(v)
					} else {
						args[j] = v
					}
				}
			}
			if _, err := db.Exec(ins, args...); err != nil {
				t.Fatalf("table %s: %v", tb.name, err)
			}
		}
	}
	return db
}

type goldenCatalog map[string]*goldenTable

func (c goldenCatalog) TableSchema(name string) (schema.Schema, bool) {
	if t, ok := c[name]; ok {
		return t.schema, true
	}
	return nil, false
}

var sortsRows = regexp.MustCompile(`\b(sort|order)\s+by\b|\|\s*top\b`)

// result is one backend's output.
type result struct {
	cols schema.Schema
	rows [][]any
}

func (r *result) canonRows(ordered bool) []string {
	var out []string
	for _, row := range r.rows {
		parts := make([]string, len(row))
		for j, v := range row {
			parts[j] = canon(v, r.cols[j].Type)
		}
		out = append(out, "["+strings.Join(parts, ", ")+"]")
	}
	if !ordered {
		sort.Strings(out)
	}
	return out
}

func schemaString(s schema.Schema) string {
	var parts []string
	for _, c := range s {
		parts = append(parts, c.Name+":"+string(c.Type))
	}
	return strings.Join(parts, ", ")
}

func runSQLCase(db *sql.DB, c *goldenCase) (*result, error) {
	q, err := sqlgen.ToSQL(c.query, goldenCatalog(c.tables), sqlgen.Options{Now: goldenNow, UDFs: true})
	if err != nil {
		return nil, err
	}
	rows, err := db.Query(q.SQL, q.Args...)
	if err != nil {
		return nil, fmt.Errorf("executing %s: %w", q.SQL, err)
	}
	defer rows.Close()
	res := &result{cols: q.Columns}
	for rows.Next() {
		vals := make([]any, len(q.Columns))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		res.rows = append(res.rows, vals)
	}
	return res, rows.Err()
}

// evalQuery rewrites a query over a single table T into one over `source`.
func evalQuery(c *goldenCase) (string, *goldenTable, bool) {
	for name, tb := range c.tables {
		if strings.HasPrefix(c.query, name) {
			rest := c.query[len(name):]
			if rest == "" || rest[0] == ' ' || rest[0] == '|' || rest[0] == '\n' {
				return "source" + rest, tb, true
			}
		}
	}
	return "", nil, false
}

func runEvalCase(c *goldenCase) (*result, bool, error) {
	src, tb, ok := evalQuery(c)
	if !ok {
		return nil, false, nil
	}
	p, err := eval.CompilePlaceholder(src, tb.schema)
	if err != nil {
		return nil, false, nil // outside the per-record subset
	}
	res := &result{cols: p.Output()}
	for _, row := range tb.rows {
		in := append([]any(nil), row...)
		err := p.Run(in, goldenNow, func(out []any) error {
			res.rows = append(res.rows, append([]any(nil), out...))
			return nil
		})
		if err != nil {
			return nil, true, err
		}
	}
	return res, true, nil
}

func (c *goldenCase) want(t *testing.T) *result {
	res := &result{cols: c.wantCols}
	for _, raw := range c.wantRows {
		row := make([]any, len(raw))
		for j, v := range raw {
			var err error
			if row[j], err = goValue(v, c.wantCols[j].Type); err != nil {
				t.Fatalf("%s:%d: expected column %s: %v", c.file, c.line, c.wantCols[j].Name, err)
			}
		}
		res.rows = append(res.rows, row)
	}
	return res
}

func compare(what string, got, want *result, ordered bool) string {
	if g, w := schemaString(got.cols), schemaString(want.cols); g != w {
		return fmt.Sprintf("%s schema\n   got: %s\n  want: %s", what, g, w)
	}
	g, w := got.canonRows(ordered), want.canonRows(ordered)
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		return fmt.Sprintf("%s rows\n   got: %s\n  want: %s", what, strings.Join(g, "\n        "), strings.Join(w, "\n        "))
	}
	return ""
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.kqlt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	total, bySQL, byEval, both := 0, 0, 0, 0
	for _, path := range files {
		cases, lines := parseGoldenFile(t, path)
		var all map[string]*goldenTable
		if len(cases) > 0 {
			all = cases[len(cases)-1].tables
		}
		db := openGoldenDB(t, all)
		replace := map[int][]string{} // hdrLine → new expected lines (for -update)
		for _, c := range cases {
			total++
			ordered := sortsRows.MatchString(c.query)
			t.Run(strings.TrimSuffix(c.file, ".kqlt")+"/"+c.name, func(t *testing.T) {
				loc := fmt.Sprintf("%s:%d", c.file, c.line)
				if c.wantErr != "" {
					var err error
					if c.transform {
						// Every reference to the case's table becomes `source`.
						var tb *goldenTable
						src := c.query
						for name, x := range c.tables {
							re := regexp.MustCompile(`\b` + regexp.QuoteMeta(name) + `\b`)
							if re.MatchString(src) {
								tb, src = x, re.ReplaceAllString(src, "source")
								break
							}
						}
						if tb == nil {
							t.Fatalf("%s: !transform case must read one table", loc)
						}
						_, err = eval.CompileTransform(src, tb.schema)
					} else {
						_, err = sqlgen.ToSQL(c.query, goldenCatalog(c.tables), sqlgen.Options{Now: goldenNow, UDFs: true})
					}
					if err == nil || !strings.Contains(err.Error(), c.wantErr) {
						t.Errorf("%s: want error containing %q, got %v", loc, c.wantErr, err)
					}
					return
				}
				want := c.want(t)
				var sqlRes, evalRes *result
				if c.noSQL == "" {
					res, err := runSQLCase(db, c)
					if err != nil {
						t.Errorf("%s: sql: %v", loc, err)
					} else {
						bySQL++
						sqlRes = res
						if d := compare("sql", res, want, ordered); d != "" && !*update {
							t.Errorf("%s: %s\n  query: %s", loc, d, c.query)
						}
					}
				} else if _, err := sqlgen.ToSQL(c.query, goldenCatalog(c.tables), sqlgen.Options{Now: goldenNow, UDFs: true}); err == nil {
					// A !nosql marker must be removed once the translation exists.
					if res, err := runSQLCase(db, c); err == nil && compare("sql", res, want, ordered) == "" {
						t.Errorf("%s: marked !nosql (%s) but SQL now gives the expected result; remove the marker", loc, c.noSQL)
					}
				}
				if !c.noEval {
					res, ran, err := runEvalCase(c)
					switch {
					case err != nil:
						t.Errorf("%s: eval: %v", loc, err)
					case ran:
						byEval++
						evalRes = res
						if sqlRes != nil {
							both++
						}
						if d := compare("eval", res, want, ordered); d != "" && !*update {
							t.Errorf("%s: %s\n  query: %s", loc, d, c.query)
						}
					}
				}
				if sqlRes == nil && evalRes == nil {
					t.Errorf("%s: neither backend ran the case", loc)
				}
				if *update {
					got := sqlRes
					if got == nil {
						got = evalRes
					}
					if got != nil {
						out := []string{"---", schemaString(got.cols)}
						for _, row := range got.rows {
							parts := make([]string, len(row))
							for j, v := range row {
								parts[j] = jsonValue(v, got.cols[j].Type)
							}
							out = append(out, "["+strings.Join(parts, ", ")+"]")
						}
						replace[c.hdrLine] = out
					}
				}
			})
		}
		if *update && len(replace) > 0 {
			var buf bytes.Buffer
			skipTo := -1
			for i, l := range lines {
				if i < skipTo {
					continue
				}
				if r, ok := replace[i]; ok {
					for _, c := range cases {
						if c.hdrLine == i {
							skipTo = c.endLine
						}
					}
					for _, x := range r {
						buf.WriteString(x + "\n")
					}
					continue
				}
				buf.WriteString(l + "\n")
			}
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("%d golden cases: %d ran through SQL, %d through eval, %d through both", total, bySQL, byEval, both)
	if total < 300 {
		t.Errorf("only %d golden cases (issue 3 asks for at least 300)", total)
	}
}
