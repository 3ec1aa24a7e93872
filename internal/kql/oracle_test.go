package kql_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/kql/check"
	"github.com/codeless/codeless/internal/schema"
)

// oracleDir is tools/kqloracle relative to this package.
var oracleDir = filepath.Join("..", "..", "tools", "kqloracle")

type oracleReq struct {
	ID     string                `json:"id"`
	Query  string                `json:"query"`
	Tables map[string][][]string `json:"tables"`
}

type oracleResp struct {
	ID     string `json:"id"`
	Crash  string `json:"crash"`
	Errors []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Start   int    `json:"start"`
	} `json:"errors"`
	Columns []struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"columns"`
}

// oracleCase is one query of the oracle corpus.
type oracleCase struct {
	id      string
	query   string
	valid   bool // expected outcome (the corpus says which file it is in)
	lenient bool // Kusto.Language accepts, we reject on purpose (lenient.kql)
	// schemaDiffers: Kusto.Language's result schema is known to differ
	// from the documented engine behaviour we follow (!oracleschema).
	schemaDiffers bool
	tables        map[string]schema.Schema
}

func (c *oracleCase) request() oracleReq {
	r := oracleReq{ID: c.id, Query: c.query, Tables: map[string][][]string{}}
	for name, s := range c.tables {
		var cols [][]string
		for _, col := range s {
			cols = append(cols, []string{col.Name, string(col.Type)})
		}
		r.Tables[name] = cols
	}
	return r
}

// parseOracleFile reads testdata/oracle/*.kql: "table Name (col:type, ...)"
// lines declare schemas, "=== name" starts a query that runs to the next
// "===" line.
func parseOracleFile(t *testing.T, path string, valid, lenient bool) []*oracleCase {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string]schema.Schema{}
	var out []*oracleCase
	var cur *oracleCase
	var q []string
	flush := func() {
		if cur != nil {
			cur.query = strings.TrimSpace(strings.Join(q, "\n"))
			out = append(out, cur)
		}
		cur, q = nil, nil
	}
	for i, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "table "):
			flush()
			rest := strings.TrimSpace(strings.TrimPrefix(line, "table "))
			open := strings.Index(rest, "(")
			if open < 0 || !strings.HasSuffix(rest, ")") {
				t.Fatalf("%s:%d: table line needs Name (col:type, ...)", path, i+1)
			}
			s, err := parseSchemaList(rest[open+1 : len(rest)-1])
			if err != nil {
				t.Fatalf("%s:%d: %v", path, i+1, err)
			}
			tables[strings.TrimSpace(rest[:open])] = s
		case strings.HasPrefix(line, "=== "):
			flush()
			cur = &oracleCase{id: fmt.Sprintf("%s:%d %s", filepath.Base(path), i+1, strings.TrimSpace(line[4:])), valid: valid, lenient: lenient, tables: tables}
		case cur != nil:
			q = append(q, line)
		case strings.TrimSpace(line) != "" && !strings.HasPrefix(line, "#"):
			t.Fatalf("%s:%d: unexpected line %q", path, i+1, line)
		}
	}
	flush()
	return out
}

// runOracle starts the Node oracle once and sends every case through it.
func runOracle(t *testing.T, cases []*oracleCase) map[string]*oracleResp {
	t.Helper()
	cmd := exec.Command("node", filepath.Join(oracleDir, "oracle.js"))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		enc := json.NewEncoder(stdin)
		for _, c := range cases {
			if err := enc.Encode(c.request()); err != nil {
				break
			}
		}
		stdin.Close()
	}()
	out := map[string]*oracleResp{}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var r oracleResp
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("oracle output %q: %v", sc.Text(), err)
		}
		out[r.ID] = &r
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("oracle: %v\n%s", err, stderr.String())
	}
	return out
}

// oracleAvailable reports why the oracle cannot run ("" when it can).
func oracleAvailable() string {
	if _, err := exec.LookPath("node"); err != nil {
		return "node is not installed"
	}
	if _, err := os.Stat(filepath.Join(oracleDir, "node_modules", "@kusto", "language-service-next", "Kusto.Language.Bridge.js")); err != nil {
		return "the npm package is not installed (run: npm ci --prefix tools/kqloracle)"
	}
	return ""
}

// oracleTypes maps Kusto.Language type names to ours.
var oracleTypes = map[string]schema.Type{
	"string": schema.String, "long": schema.Long, "int": schema.Int, "real": schema.Real, "bool": schema.Bool,
	"datetime": schema.DateTime, "timespan": schema.TimeSpan, "dynamic": schema.Dynamic, "guid": schema.GUID,
	"decimal": schema.Decimal,
}

// TestOracle checks our parser and checker against the official
// Kusto.Language (tools/kqloracle): the same queries are accepted and
// rejected, and accepted queries have the same result schema. The corpus is
// every golden query (valid unless its expected outcome is a query-layer
// error) plus testdata/oracle/{valid,invalid}.kql.
func TestOracle(t *testing.T) {
	if why := oracleAvailable(); why != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("oracle test cannot run in CI: %s", why)
		}
		t.Skipf("skipping the Kusto.Language oracle test: %s", why)
	}
	var cases []*oracleCase
	files, _ := filepath.Glob("testdata/golden/*.kqlt")
	for _, f := range files {
		gcs, _ := parseGoldenFile(t, f)
		for _, g := range gcs {
			if g.transform {
				continue // DCR-subset errors: Kusto.Language accepts the full language
			}
			tables := map[string]schema.Schema{}
			for name, tb := range g.tables {
				tables[name] = tb.schema
			}
			cases = append(cases, &oracleCase{id: fmt.Sprintf("%s:%d %s", g.file, g.line, g.name), query: g.query, valid: g.wantErr == "" || g.lenient, lenient: g.lenient, schemaDiffers: g.oracleSchema, tables: tables})
		}
	}
	cases = append(cases, parseOracleFile(t, "testdata/oracle/valid.kql", true, false)...)
	cases = append(cases, parseOracleFile(t, "testdata/oracle/invalid.kql", false, false)...)
	cases = append(cases, parseOracleFile(t, "testdata/oracle/lenient.kql", true, true)...)
	resps := runOracle(t, cases)

	valid, invalid, schemas, lenient, knownSchemaDiffs := 0, 0, 0, 0, 0
	var problems []string
	for _, c := range cases {
		r := resps[c.id]
		if r == nil || r.Crash != "" {
			problems = append(problems, fmt.Sprintf("%s: oracle gave no answer (%v)", c.id, r))
			continue
		}
		oracleOK := len(r.Errors) == 0
		q, ourErr := check.Check(c.query, check.Options{Mode: check.ModeQuery, Tables: func(name string) (schema.Schema, bool) {
			s, ok := c.tables[name]
			return s, ok
		}})
		oursOK := ourErr == nil
		if c.lenient {
			if !oracleOK || oursOK {
				problems = append(problems, fmt.Sprintf("%s: listed as accepted by Kusto.Language (%v) and rejected by us (%v); update lenient.kql\n    %s", c.id, oracleOK, !oursOK, c.query))
			} else {
				lenient++
			}
			continue
		}
		if oracleOK != c.valid {
			msg := "accepts"
			if !oracleOK {
				msg = fmt.Sprintf("rejects (%s %s)", r.Errors[0].Code, r.Errors[0].Message)
			}
			problems = append(problems, fmt.Sprintf("%s: corpus says valid=%v but Kusto.Language %s\n    %s", c.id, c.valid, msg, c.query))
			continue
		}
		if oursOK != oracleOK {
			if oursOK {
				problems = append(problems, fmt.Sprintf("%s: we accept, Kusto.Language rejects (%s %s)\n    %s", c.id, r.Errors[0].Code, r.Errors[0].Message, c.query))
			} else {
				problems = append(problems, fmt.Sprintf("%s: we reject, Kusto.Language accepts: %v", c.id, ourErr))
			}
			continue
		}
		if !oracleOK {
			invalid++
			continue
		}
		valid++
		var want, got []string
		for _, col := range r.Columns {
			tn, ok := oracleTypes[col.Type]
			if !ok {
				tn = schema.Type("?" + col.Type)
			}
			want = append(want, col.Name+":"+string(tn))
		}
		for _, col := range q.Output {
			got = append(got, col.Name+":"+string(col.Type))
		}
		if c.schemaDiffers {
			if strings.Join(got, ", ") == strings.Join(want, ", ") {
				problems = append(problems, fmt.Sprintf("%s: marked !oracleschema but the schemas are now equal; remove the marker\n    %s", c.id, c.query))
			} else {
				knownSchemaDiffs++
			}
			continue
		}
		if strings.Join(got, ", ") != strings.Join(want, ", ") {
			problems = append(problems, fmt.Sprintf("%s: result schema\n     ours: %s\n   oracle: %s\n    %s", c.id, strings.Join(got, ", "), strings.Join(want, ", "), c.query))
			continue
		}
		schemas++
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
	t.Logf("oracle corpus: %d queries; agreed on %d valid (%d schemas equal, %d known schema errors of Kusto.Language) and %d invalid; %d known leniencies of Kusto.Language; %d disagreements", len(cases), valid, schemas, knownSchemaDiffs, invalid, lenient, len(problems))
	if valid < 200 || invalid < 100 {
		t.Errorf("corpus too small: %d valid and %d invalid queries agreed (issue 3 asks for at least 200 and 100)", valid, invalid)
	}
}
