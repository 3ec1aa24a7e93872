package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/codeless/codeless/internal/apierr"
	"github.com/codeless/codeless/internal/kql/sqlgen"
	"github.com/codeless/codeless/internal/kql/value"
	"github.com/codeless/codeless/internal/schema"
	"github.com/codeless/codeless/internal/store"
)

// catalog adapts store.Tables to sqlgen.Catalog and records which tables
// the query references.
type catalog struct {
	ctx  context.Context
	t    store.Tables
	used map[string]schema.Schema
	err  error
}

func (c *catalog) TableSchema(name string) (schema.Schema, bool) {
	s, err := c.t.TableSchema(c.ctx, name)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) && c.err == nil {
			c.err = err
		}
		return nil, false
	}
	if c.used == nil {
		c.used = map[string]schema.Schema{}
	}
	c.used[name] = s
	return s, true
}

type queryRequest struct {
	Query    string `json:"query"`
	Timespan string `json:"timespan"`
}

type queryColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

type queryTable struct {
	Name    string        `json:"name"`
	Columns []queryColumn `json:"columns"`
	Rows    [][]any       `json:"rows"`
}

func (s *Server) handleQuery(w http.ResponseWriter, r *http.Request) {
	res, err := s.serveQuery(w, r)
	if err != nil {
		ae := apierr.Write(w, err)
		if ae.Status >= 500 {
			s.log.Error("query failed", "err", err)
		}
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(map[string]any{"tables": []queryTable{*res}})
}

func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request) (*queryTable, error) {
	ws := pathParam(r, "workspace")
	if !s.isWorkspace(ws) {
		return nil, apierr.New(http.StatusNotFound, "WorkspaceNotFound", "", "workspace %q was not found (use %q or its id)", ws, s.cfg.Workspace)
	}
	var req queryRequest
	switch r.Method {
	case http.MethodGet:
		req.Query, req.Timespan = r.URL.Query().Get("query"), r.URL.Query().Get("timespan")
	case http.MethodPost:
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
		if err := dec.Decode(&req); err != nil {
			return nil, apierr.BadRequest("BadArgumentError", "body", "the request body must be {\"query\": \"...\", \"timespan\": \"...\"}: %v", err)
		}
		if ts := r.URL.Query().Get("timespan"); req.Timespan == "" && ts != "" {
			req.Timespan = ts
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		return nil, apierr.New(http.StatusMethodNotAllowed, "MethodNotAllowed", "", "use GET or POST")
	}
	if strings.TrimSpace(req.Query) == "" {
		return nil, apierr.BadRequest("BadArgumentError", "query", "the query is empty")
	}
	now := s.now().UTC()
	var start, end time.Time
	if req.Timespan != "" {
		var err error
		if start, end, err = ParseTimespan(req.Timespan, now); err != nil {
			return nil, apierr.BadRequest("BadArgumentError", "timespan", "%v", err)
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.QueryTimeout)
	defer cancel()
	cat := &catalog{ctx: ctx, t: s.deps.Store}
	q, err := sqlgen.ToSQL(req.Query, cat, sqlgen.Options{Now: now})
	if cat.err != nil {
		return nil, fmt.Errorf("reading table schemas: %w", cat.err)
	}
	if err != nil {
		return nil, &apierr.APIError{Status: http.StatusBadRequest, Code: "BadArgumentError", Target: "query", Message: err.Error(), Err: err}
	}
	sqlText := q.SQL
	if req.Timespan != "" {
		if sqlText, err = restrictTime(s.deps.Store.Dialect(), sqlText, cat.used, start, end); err != nil {
			return nil, apierr.BadRequest("BadArgumentError", "timespan", "%v", err)
		}
	}
	res, err := s.deps.Store.Query(ctx, sqlText, q.Args...)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, apierr.New(http.StatusGatewayTimeout, "GatewayTimeout", "", "the query ran longer than %s", s.cfg.QueryTimeout)
		}
		return nil, &apierr.APIError{Status: http.StatusBadRequest, Code: "BadArgumentError", Target: "query", Message: "executing the query: " + err.Error(), Err: err}
	}
	cols := q.Columns
	if len(cols) != len(res.Columns) {
		cols = res.Columns
	}
	return renderTable(cols, res.Rows), nil
}

// renderTable converts rows to Log Analytics' JSON conventions: datetime as
// ISO 8601 UTC (fraction only when non-zero), timespan as [-][d.]hh:mm:ss[.f],
// dynamic objects/arrays as JSON text, non-finite reals as strings.
func renderTable(cols schema.Schema, rows [][]any) *queryTable {
	t := &queryTable{Name: "PrimaryResult", Columns: make([]queryColumn, len(cols)), Rows: make([][]any, len(rows))}
	for i, c := range cols {
		t.Columns[i] = queryColumn{Name: c.Name, Type: string(c.Type)}
	}
	for i, r := range rows {
		out := make([]any, len(r))
		for j, v := range r {
			var typ schema.Type
			if j < len(cols) {
				typ = cols[j].Type
			}
			out[j] = RenderValue(v, typ)
		}
		t.Rows[i] = out
	}
	return t
}

// RenderValue converts one stored value of a column of type typ to the Log
// Analytics JSON convention (see renderTable); `codeless query --data` uses
// it so local and remote answers look the same.
func RenderValue(v any, typ schema.Type) any {
	switch x := v.(type) {
	case nil:
		return nil
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case time.Duration:
		return value.FormatTimespan(x)
	case int64:
		if typ == schema.TimeSpan { // stored as 100 ns ticks
			return value.FormatTimespan(time.Duration(x) * value.Tick)
		}
		return x
	case float64:
		switch {
		case math.IsNaN(x):
			return "NaN"
		case math.IsInf(x, 1):
			return "Infinity"
		case math.IsInf(x, -1):
			return "-Infinity"
		}
		return x
	case map[string]any, []any:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
	return v
}

var isoDuration = regexp.MustCompile(`^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$`)

// parseISODuration parses ISO 8601 durations without years/months (PT1H,
// P1D, P1DT12H, PT0.5S, P2W).
func parseISODuration(s string) (time.Duration, bool) {
	m := isoDuration.FindStringSubmatch(strings.ToUpper(strings.TrimSpace(s)))
	if m == nil || s == "P" || strings.HasSuffix(strings.ToUpper(s), "T") {
		return 0, false
	}
	units := []time.Duration{7 * 24 * time.Hour, 24 * time.Hour, time.Hour, time.Minute, time.Second}
	var d float64
	any := false
	for i, u := range units {
		if m[i+1] == "" {
			continue
		}
		f, err := strconv.ParseFloat(m[i+1], 64)
		if err != nil {
			return 0, false
		}
		d += f * float64(u)
		any = true
	}
	if !any || d > float64(math.MaxInt64) {
		return 0, false
	}
	return time.Duration(d), true
}

func parseInstant(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	return value.ParseDateTime(s)
}

// ParseTimespan parses the query API's timespan: an ISO 8601 duration
// ("PT1H": the last hour up to now), "start/end", "start/duration" or
// "duration/end". The range is [start, end).
func ParseTimespan(s string, now time.Time) (start, end time.Time, err error) {
	s = strings.TrimSpace(s)
	a, b, two := strings.Cut(s, "/")
	if !two {
		d, ok := parseISODuration(s)
		if !ok {
			return start, end, fmt.Errorf("timespan %q is not an ISO 8601 duration (PT1H, P1D) or start/end interval", s)
		}
		return now.Add(-d), now, nil
	}
	ta, okA := parseInstant(a)
	tb, okB := parseInstant(b)
	switch {
	case okA && okB:
		start, end = ta, tb
	case okA:
		d, ok := parseISODuration(b)
		if !ok {
			return start, end, fmt.Errorf("timespan %q: %q is neither a datetime nor a duration", s, b)
		}
		start, end = ta, ta.Add(d)
	case okB:
		d, ok := parseISODuration(a)
		if !ok {
			return start, end, fmt.Errorf("timespan %q: %q is neither a datetime nor a duration", s, a)
		}
		start, end = tb.Add(-d), tb
	default:
		return start, end, fmt.Errorf("timespan %q is not a valid interval", s)
	}
	if end.Before(start) {
		return start, end, fmt.Errorf("timespan %q ends before it starts", s)
	}
	return start, end, nil
}

// restrictTime applies a time range by prefixing the generated SQL with one
// CTE per referenced table that has a TimeGenerated column, named like the
// table so that it shadows it: WITH "T" AS (SELECT * FROM main."T" WHERE
// "TimeGenerated" >= start AND "TimeGenerated" < end) <query>. Tables
// without TimeGenerated are left whole (as Log Analytics does). Timestamps
// are inlined as literals formatted from time.Time (no user text reaches the
// SQL).
func restrictTime(dialect, sqlText string, used map[string]schema.Schema, start, end time.Time) (string, error) {
	names := make([]string, 0, len(used))
	tgCol := map[string]string{} // table -> its TimeGenerated column's SQL name
	for n, sc := range used {
		if i := sc.Index("TimeGenerated"); i >= 0 && sc[i].Type == schema.DateTime {
			names = append(names, n)
			tgCol[n] = store.SQLColumnNames(sc)[i]
		}
	}
	if len(names) == 0 {
		return sqlText, nil
	}
	if dialect != "duckdb" {
		return "", fmt.Errorf("timespan is not supported on the %s backend; filter on TimeGenerated in the query instead", dialect)
	}
	sort.Strings(names)
	lit := func(t time.Time) string { return "TIMESTAMP '" + t.UTC().Format("2006-01-02 15:04:05.999999") + "'" }
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		q := `"` + strings.ReplaceAll(n, `"`, `""`) + `"`
		tg := `"` + strings.ReplaceAll(tgCol[n], `"`, `""`) + `"`
		fmt.Fprintf(&b, `%s AS (SELECT * FROM main.%s WHERE %s >= %s AND %s < %s)`, q, q, tg, lit(start), tg, lit(end))
	}
	trimmed := strings.TrimSpace(sqlText)
	upper := strings.ToUpper(trimmed)
	switch {
	case strings.HasPrefix(upper, "WITH RECURSIVE "):
		return "WITH RECURSIVE " + b.String() + ", " + trimmed[len("WITH RECURSIVE "):], nil
	case strings.HasPrefix(upper, "WITH "):
		return "WITH " + b.String() + ", " + trimmed[len("WITH "):], nil
	}
	return "WITH " + b.String() + " " + trimmed, nil
}
