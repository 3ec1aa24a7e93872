package drytest

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the outcome of one dry run. Errors empty means the connector
// works as far as a dry run can tell (the caller exits 0).
type Report struct {
	Requests []Request                   `json:"requests"`
	Events   []any                       `json:"events"`
	Rows     map[string][]map[string]any `json:"rows"` // output stream -> rows (column name -> value)
	Warnings []string                    `json:"warnings"`
	Errors   []string                    `json:"errors"`

	// columns keeps each output stream's column order for WriteText (the
	// row maps have none).
	columns map[string][]string
}

// Request is one HTTP request sent to the source API (one attempt). URL and
// Error have every known secret redacted.
type Request struct {
	Connection string `json:"connection"`
	Method     string `json:"method"`
	URL        string `json:"url"`
	Status     int    `json:"status"` // 0 when no response arrived
	Attempt    int    `json:"attempt"`
	Events     int    `json:"events"` // events extracted from this response
	LatencyMs  int64  `json:"latencyMs"`
	// Next is the paging decision after this response: "next page",
	// "last page" or "stop: <reason>" ("" for retried attempts and nested
	// requests).
	Next  string `json:"next,omitempty"`
	Error string `json:"error,omitempty"`
}

func newReport() *Report {
	return &Report{
		Requests: []Request{},
		Events:   []any{},
		Rows:     map[string][]map[string]any{},
		Warnings: []string{},
		Errors:   []string{},
	}
}

func (r *Report) errorf(format string, args ...any) {
	r.Errors = append(r.Errors, fmt.Sprintf(format, args...))
}

func (r *Report) warnf(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

// normalized returns a shallow copy whose nil slices and maps are empty, so
// that JSON never carries null for a documented key.
func (r *Report) normalized() *Report {
	c := *r
	if c.Requests == nil {
		c.Requests = []Request{}
	}
	if c.Events == nil {
		c.Events = []any{}
	}
	if c.Rows == nil {
		c.Rows = map[string][]map[string]any{}
	} else {
		rows := make(map[string][]map[string]any, len(c.Rows))
		for k, v := range c.Rows {
			if v == nil {
				v = []map[string]any{}
			}
			rows[k] = v
		}
		c.Rows = rows
	}
	if c.Warnings == nil {
		c.Warnings = []string{}
	}
	if c.Errors == nil {
		c.Errors = []string{}
	}
	return &c
}

// WriteJSON writes the report as exactly one JSON object with the keys
// requests, events, rows, warnings and errors (empty lists, never null),
// followed by a newline.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r.normalized()); err != nil {
		return fmt.Errorf("writing JSON report: %w", err)
	}
	return nil
}

// WriteText writes the report for a human: one line per request (method,
// URL, status, latency, events), the events, the rows per output stream,
// then warnings and errors.
func (r *Report) WriteText(w io.Writer) error {
	r = r.normalized()
	ew := &errWriter{w: w}

	ew.printf("Requests (%d)\n", len(r.Requests))
	if len(r.Requests) > 0 {
		tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  CONNECTION\tMETHOD\tURL\tSTATUS\tLATENCY\tEVENTS\tNEXT\tERROR")
		for _, q := range r.Requests {
			status := "-"
			if q.Status != 0 {
				status = fmt.Sprint(q.Status)
			}
			next := q.Next
			if next == "" {
				next = "-"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", q.Connection, q.Method, q.URL, status,
				(time.Duration(q.LatencyMs) * time.Millisecond).String(), q.Events, next, oneLine(q.Error))
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("writing text report: %w", err)
		}
	}

	ew.printf("\nEvents (%d)\n", len(r.Events))
	for i, e := range r.Events {
		b, err := json.Marshal(e)
		if err != nil {
			b = []byte(fmt.Sprintf("%v", e))
		}
		ew.printf("  %d. %s\n", i+1, b)
	}

	streams := make([]string, 0, len(r.Rows))
	for s := range r.Rows {
		streams = append(streams, s)
	}
	sort.Strings(streams)
	for _, s := range streams {
		rows := r.Rows[s]
		ew.printf("\nRows of %s (%d)\n", s, len(rows))
		cols := r.columns[s]
		if len(cols) == 0 {
			cols = columnsOf(rows)
		}
		if len(cols) == 0 {
			continue
		}
		tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  "+strings.Join(cols, "\t"))
		for _, row := range rows {
			cells := make([]string, len(cols))
			for i, c := range cols {
				cells[i] = cellText(row[c])
			}
			fmt.Fprintln(tw, "  "+strings.Join(cells, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("writing text report: %w", err)
		}
	}

	ew.printf("\nWarnings (%d)\n", len(r.Warnings))
	for _, m := range r.Warnings {
		ew.printf("  warning: %s\n", m)
	}
	ew.printf("\nErrors (%d)\n", len(r.Errors))
	for _, m := range r.Errors {
		ew.printf("  error: %s\n", m)
	}
	if ew.err != nil {
		return fmt.Errorf("writing text report: %w", ew.err)
	}
	return nil
}

// columnsOf lists the columns found in rows, sorted by name with
// TimeGenerated first (used when the output schema's order is unknown).
func columnsOf(rows []map[string]any) []string {
	seen := map[string]bool{}
	var cols []string
	for _, row := range rows {
		for k := range row {
			if !seen[k] {
				seen[k] = true
				cols = append(cols, k)
			}
		}
	}
	sort.Slice(cols, func(i, j int) bool {
		if (cols[i] == "TimeGenerated") != (cols[j] == "TimeGenerated") {
			return cols[i] == "TimeGenerated"
		}
		return cols[i] < cols[j]
	})
	return cols
}

func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return oneLine(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case map[string]any, []any:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	default:
		return fmt.Sprint(x)
	}
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\r", " ")
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "\t", " ")
}

// errWriter remembers the first write error so that the text report does
// not check every line.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) {
	fmt.Fprintf(e, format, args...)
}
