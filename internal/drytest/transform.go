package drytest

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/codeless/codeless/internal/kql/eval"
	"github.com/codeless/codeless/internal/kql/value"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/schema"
)

// Azure replaces TimeGenerated values older than 2 days or more than 1 day
// ahead with the ingestion time (SPEC §5).
const (
	maxPast   = 48 * time.Hour
	maxFuture = 24 * time.Hour
	// maxRunErrors caps the per-event errors reported for one data flow.
	maxRunErrors = 5
)

// flowRun is one compiled data flow of the connection's stream.
type flowRun struct {
	path   string // JSON path of the data flow in the DCR file
	output string // output stream (Custom-X_CL / Microsoft-X)
	prog   *eval.Program
	out    schema.Schema
	table  schema.Schema // the --table schema for the output, nil when not given
	broken bool          // output does not fit its table: no rows are produced
}

// transformer turns events of one input stream into rows per output stream,
// with the semantics of ingestion (SPEC §5): the stream declaration coerces
// each record (declared columns only, undeclared properties dropped,
// unparsable values null), then every data flow of the stream runs its
// transformKql.
type transformer struct {
	file   string
	stream string
	decl   *resource.StreamDeclaration
	flows  []*flowRun
	// passTo is set for a built-in stream (SENTINEL_*, ILUMIO_INSIGHTS)
	// that a transform-less DCR flow takes under its Microsoft-* name: the
	// events go to that output unchanged (builtinFlow).
	passTo string
}

// builtinFlow finds the transform-less data flow that carries a built-in
// stream the DCRs do not declare (resource.DCR.BuiltinFlow). It returns the
// flow's JSON path and its output stream.
func builtinFlow(dcrs []*resource.DCR, stream string) (path, output string) {
	for _, d := range dcrs {
		i, s, ok := d.BuiltinFlow(stream)
		if !ok {
			continue
		}
		f := d.DataFlows[i]
		path = f.Path
		if path == "" {
			path = fmt.Sprintf("%s.properties.dataFlows[%d]", d.Path, i)
		}
		if f.OutputStream != "" {
			return path, f.OutputStream
		}
		return path, s
	}
	return "", ""
}

// prepareTransform finds the DCR that declares stream, compiles its data
// flows and checks each output against the given tables. Problems go to
// rep; nil means no rows can be produced for this stream.
func prepareTransform(dcrs []*resource.DCR, dcrFile string, tables []*resource.Table, stream, conn string, rep *Report) *transformer {
	if stream == "" {
		rep.errorf("connection %s: properties.dcrConfig.streamName is empty; events cannot be sent to the DCR", conn)
		return nil
	}
	var dcr *resource.DCR
	var decl *resource.StreamDeclaration
	var declared []string
	for _, d := range dcrs {
		if s, ok := d.Stream(stream); ok {
			dcr, decl = d, s
			break
		}
		for _, s := range d.StreamDeclarations {
			declared = append(declared, s.Name)
		}
	}
	if dcr == nil && !strings.HasPrefix(stream, "Custom-") {
		if path, out := builtinFlow(dcrs, stream); out != "" {
			table, _ := tableOf(out)
			rep.warnf("%s: stream %q (properties.dcrConfig.streamName of connection %s) is a built-in Sentinel stream; %s takes it as %s without a transform, so its events go unchanged to table %s",
				dcrFile, stream, conn, path, out, table)
			return &transformer{file: dcrFile, stream: stream, passTo: out}
		}
		rep.warnf("%s: stream %q (properties.dcrConfig.streamName of connection %s) is a built-in stream the DCR does not declare; its events were not transformed",
			dcrFile, stream, conn)
		return nil
	}
	if dcr == nil {
		rep.errorf("%s: stream %q (properties.dcrConfig.streamName of connection %s) is not declared in the DCR (declared: %s)",
			dcrFile, stream, conn, listOrNone(declared))
		return nil
	}
	t := &transformer{file: dcrFile, stream: stream, decl: decl}
	readers := 0
	for i, f := range dcr.DataFlows {
		if !contains(f.Streams, stream) {
			continue
		}
		readers++
		path := f.Path
		if path == "" {
			path = fmt.Sprintf("%s.properties.dataFlows[%d]", dcr.Path, i)
		}
		src := f.TransformKQL
		if strings.TrimSpace(src) == "" {
			src = "source"
		}
		prog, err := eval.CompileTransform(src, decl.Columns)
		if err != nil {
			rep.errorf("%s: %s.transformKql: %v", dcrFile, path, err)
			continue
		}
		output := f.OutputStream
		if output == "" {
			output = stream // no outputStream: the stream's own table
		}
		fr := &flowRun{path: path, output: output, prog: prog, out: prog.Output()}
		checkOutput(fr, dcrFile, tables, rep)
		t.flows = append(t.flows, fr)
	}
	if readers == 0 {
		rep.errorf("%s: no data flow of the DCR reads stream %q; its events would be dropped", dcrFile, stream)
	}
	return t
}

// checkOutput checks a data flow's output schema: TimeGenerated is present,
// and for an output whose table was given with --table, every column exists
// in the table with a compatible type.
func checkOutput(fr *flowRun, dcrFile string, tables []*resource.Table, rep *Report) {
	if i := fr.out.Index("TimeGenerated"); i < 0 {
		rep.errorf("%s: %s: the transform's output has no TimeGenerated column (output %s: %s)", dcrFile, fr.path, fr.output, fr.out)
	} else if ty := fr.out[i].Type; ty != schema.DateTime && ty != schema.Dynamic && ty != schema.String {
		rep.errorf("%s: %s: TimeGenerated is %s in the transform's output; it must be a datetime", dcrFile, fr.path, ty)
	}
	tableName, custom := tableOf(fr.output)
	if tableName == "" {
		rep.errorf("%s: %s.outputStream: %q is neither Custom-<Table> nor Microsoft-<Table>", dcrFile, fr.path, fr.output)
		return
	}
	tbl := findTable(tables, tableName)
	if tbl == nil {
		if custom {
			rep.warnf("table %s not given (--table); checked the transform's output schema only", tableName)
		}
		return
	}
	fr.table = tbl.Columns
	for _, c := range fr.out {
		j := tbl.Columns.Index(c.Name)
		if j < 0 {
			rep.errorf("%s: %s: the transform outputs column %s, which table %s does not have (table columns: %s)",
				dcrFile, fr.path, c.Name, tableName, strings.Join(tbl.Columns.Names(), ", "))
			fr.broken = true
			continue
		}
		if want := tbl.Columns[j].Type; !compatible(c.Type, want) {
			rep.errorf("%s: %s: column %s is %s in the transform's output but %s in table %s",
				dcrFile, fr.path, c.Name, c.Type, want, tableName)
			fr.broken = true
		}
	}
}

// tableOf maps an output stream to its table name: Custom-X_CL → X_CL
// (custom), Microsoft-X → X.
func tableOf(output string) (name string, custom bool) {
	switch {
	case len(output) > len("Custom-") && strings.EqualFold(output[:len("Custom-")], "Custom-"):
		return output[len("Custom-"):], true
	case len(output) > len("Microsoft-") && strings.EqualFold(output[:len("Microsoft-")], "Microsoft-"):
		return output[len("Microsoft-"):], false
	}
	return "", false
}

func findTable(tables []*resource.Table, name string) *resource.Table {
	for _, t := range tables {
		if t.TableName() == name {
			return t
		}
	}
	for _, t := range tables {
		if strings.EqualFold(t.TableName(), name) {
			return t
		}
	}
	return nil
}

// compatible reports whether a transform output column of type from can be
// stored in a table column of type to. Values are converted at ingestion
// (a string "5" into an int column; a value that does not convert is stored
// as null), so only pairs no value can bridge are incompatible. Same rule
// as internal/ingest's PutDCR.
func compatible(from, to schema.Type) bool {
	if from == to || to == schema.String || to == schema.Dynamic || from == schema.Dynamic || from == schema.String {
		return true
	}
	num := func(t schema.Type) bool {
		return t == schema.Int || t == schema.Long || t == schema.Real || t == schema.Decimal || t == schema.Bool
	}
	switch {
	case num(from) && num(to):
		return true
	case to == schema.TimeSpan:
		return num(from)
	}
	return false
}

// coercion counts what the stream declaration did to the records.
type coercion struct {
	undeclared map[string]bool
	bad        map[string]int // column -> values that did not convert
	badExample map[string]any
	notObject  int
}

// run pushes events through the stream declaration and every data flow and
// appends rows to rep.Rows. now is the ingestion time (now() in transforms).
func (t *transformer) run(events []any, now time.Time, rep *Report, cols map[string][]string) {
	if t.passTo != "" {
		t.runPass(events, now, rep, cols)
		return
	}
	co := coercion{undeclared: map[string]bool{}, bad: map[string]int{}, badExample: map[string]any{}}
	runErrs := make([]int, len(t.flows))
	tableBad := map[string]int{}
	replaced := map[string]int{}

	for i, ev := range events {
		row, ok := t.coerce(ev, &co)
		if !ok {
			continue
		}
		for fi, fr := range t.flows {
			if fr.broken {
				continue
			}
			err := fr.prog.Run(row, now, func(out []any) error {
				m := make(map[string]any, len(out))
				for ci, c := range fr.out {
					v := out[ci]
					if fr.table != nil {
						if j := fr.table.Index(c.Name); j >= 0 {
							cv, ok := value.Convert(v, fr.table[j].Type)
							if !ok {
								tableBad[fr.output+"."+c.Name]++
							}
							v = cv
						}
					}
					m[c.Name] = jsonValue(v)
				}
				if fixTimeGenerated(m, now) {
					replaced[fr.output]++
				}
				rep.Rows[fr.output] = append(rep.Rows[fr.output], m)
				return nil
			})
			if err != nil {
				runErrs[fi]++
				if runErrs[fi] <= maxRunErrors {
					rep.errorf("%s: %s: event %d: %v", t.file, fr.path, i+1, err)
				}
			}
		}
	}

	for _, fr := range t.flows {
		if _, ok := rep.Rows[fr.output]; !ok && !fr.broken {
			rep.Rows[fr.output] = []map[string]any{}
		}
		if _, ok := cols[fr.output]; !ok {
			cols[fr.output] = fr.out.Names()
		}
	}
	for fi, n := range runErrs {
		if n > maxRunErrors {
			rep.errorf("%s: %s: %d more events failed", t.file, t.flows[fi].path, n-maxRunErrors)
		}
	}
	if co.notObject > 0 {
		rep.errorf("stream %s: %d events are not JSON objects; the Logs Ingestion API rejects them", t.stream, co.notObject)
	}
	if len(co.undeclared) > 0 {
		rep.warnf("stream %s: event properties not declared in the stream are dropped: %s", t.stream, strings.Join(sortedSet(co.undeclared), ", "))
	}
	for _, c := range sortedCounts(co.bad) {
		rep.warnf("stream %s: column %s: %d values could not be converted to %s (first: %s); they become null",
			t.stream, c, co.bad[c], t.decl.Columns[t.decl.Columns.Index(c)].Type, describe(co.badExample[c]))
	}
	for _, c := range sortedCounts(tableBad) {
		rep.warnf("%s: %d values could not be converted to the table's column type; they become null", c, tableBad[c])
	}
	for _, o := range sortedCounts(replaced) {
		rep.warnf("%s: %d rows had TimeGenerated null, older than 2 days or more than 1 day ahead; it was set to the ingestion time, as Azure does", o, replaced[o])
	}
}

// coerce turns one event into a row aligned with the stream declaration.
func (t *transformer) coerce(ev any, co *coercion) ([]any, bool) {
	obj, ok := ev.(map[string]any)
	if !ok {
		co.notObject++
		return nil, false
	}
	cols := t.decl.Columns
	row := make([]any, len(cols))
	used := make(map[string]bool, len(cols))
	for i, c := range cols {
		key, v, found := field(obj, c.Name)
		if found {
			used[key] = true
		}
		cv, ok := value.Convert(v, c.Type)
		if !ok {
			if co.bad[c.Name] == 0 {
				co.badExample[c.Name] = v
			}
			co.bad[c.Name]++
		}
		row[i] = cv
	}
	for k := range obj {
		if !used[k] {
			co.undeclared[k] = true
		}
	}
	return row, true
}

// field finds a record property by column name: the exact name first, then
// case-insensitively.
func field(obj map[string]any, name string) (string, any, bool) {
	if v, ok := obj[name]; ok {
		return name, v, true
	}
	for k, v := range obj {
		if strings.EqualFold(k, name) {
			return k, v, true
		}
	}
	return "", nil, false
}

// fixTimeGenerated applies Azure's TimeGenerated rule to one output row and
// reports whether it replaced the value.
func fixTimeGenerated(m map[string]any, now time.Time) bool {
	v, ok := m["TimeGenerated"]
	if !ok {
		return false
	}
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case string:
		p, ok := value.ParseDateTime(x)
		if !ok {
			m["TimeGenerated"] = now.UTC()
			return true
		}
		t = p
	case nil:
		m["TimeGenerated"] = now.UTC()
		return true
	default:
		return false
	}
	if t.Before(now.Add(-maxPast)) || t.After(now.Add(maxFuture)) {
		m["TimeGenerated"] = now.UTC()
		return true
	}
	return false
}

// jsonValue renders a schema value for the JSON report: timespans as KQL
// text ("01:00:00"), everything else as is (time.Time marshals as RFC 3339).
func jsonValue(v any) any {
	if d, ok := v.(time.Duration); ok {
		return value.ToString(d)
	}
	return v
}

func describe(v any) string {
	s := fmt.Sprintf("%v", v)
	if str, ok := v.(string); ok {
		s = fmt.Sprintf("%q", str)
	}
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedCounts(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// runPass stores the events of a built-in stream unchanged (a copy of each
// object), with TimeGenerated set to the ingestion time when it is missing,
// null, unparsable or out of range, as Azure does for its own tables.
func (t *transformer) runPass(events []any, now time.Time, rep *Report, cols map[string][]string) {
	rows := rep.Rows[t.passTo]
	if rows == nil {
		rows = []map[string]any{}
	}
	seen := map[string]bool{}
	for _, c := range cols[t.passTo] {
		seen[c] = true
	}
	names := cols[t.passTo]
	replaced, notObject := 0, 0
	for _, ev := range events {
		obj, ok := ev.(map[string]any)
		if !ok {
			notObject++
			continue
		}
		m := make(map[string]any, len(obj)+1)
		for k, v := range obj {
			m[k] = v
		}
		if _, ok := m["TimeGenerated"]; !ok {
			m["TimeGenerated"] = nil
		}
		if fixTimeGenerated(m, now) {
			replaced++
		}
		for _, k := range sortedKeys(m) {
			if !seen[k] {
				seen[k] = true
				names = append(names, k)
			}
		}
		rows = append(rows, m)
	}
	rep.Rows[t.passTo] = rows
	cols[t.passTo] = names
	if notObject > 0 {
		rep.errorf("stream %s: %d events are not JSON objects; the Logs Ingestion API rejects them", t.stream, notObject)
	}
	if replaced > 0 {
		rep.warnf("%s: %d rows had TimeGenerated missing, null, older than 2 days or more than 1 day ahead; it was set to the ingestion time, as Azure does", t.passTo, replaced)
	}
}
