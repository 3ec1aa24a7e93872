package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/mockapi"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const testDCR = `{"type":"Microsoft.Insights/dataCollectionRules","name":"dcr","location":"x","properties":{
 "streamDeclarations":{"Custom-In":{"columns":[{"name":"id","type":"string"},{"name":"ts","type":"datetime"},{"name":"eventType","type":"string"},{"name":"priority","type":"string"}]}},
 "destinations":{"logAnalytics":[{"name":"ws","workspaceResourceId":"ws"}]},
 "dataFlows":[{"streams":["Custom-In"],"destinations":["ws"],"transformKql":"source | where eventType == 'Alert' | project TimeGenerated = ts, EventId = id, Priority = toint(priority)","outputStream":"Custom-Alerts_CL"}]}}`

const testPoller = `[{"type":"Microsoft.SecurityInsights/dataConnectors","name":"conn","kind":"RestApiPoller","properties":{
 "connectorDefinitionName":"Def","dcrConfig":{"streamName":"Custom-In","dataCollectionEndpoint":"{{dataCollectionEndpoint}}","dataCollectionRuleImmutableId":"{{dataCollectionRuleImmutableId}}"},
 "auth":{"type":"Basic","UserName":"{{user}}","Password":"[[parameters('password')]"},
 "request":{"apiEndpoint":"{{baseUrl}}/events","httpMethod":"Get","queryWindowInMin":5,"queryTimeFormat":"UnixTimestamp","startTimeAttributeName":"t0","endTimeAttributeName":"t1"},
 "paging":{"pagingType":"LinkHeader"},"response":{"EventsJsonPaths":["$"]}}}]`

func TestTestCommand(t *testing.T) {
	mock := mockapi.New(mockapi.Config{Origin: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), EventsPerMinute: 6, PageSize: 4,
		Auth: mockapi.Auth{Type: "Basic", UserName: "alice", Password: "s3cret-pw"}})
	src := httptest.NewServer(mock)
	defer src.Close()
	dir := t.TempDir()
	poller := write(t, dir, "poller.json", testPoller)
	dcr := write(t, dir, "dcr.json", testDCR)

	code, out, errs := run(t, "test", poller, "--dcr", dcr, "--param", "baseUrl="+src.URL, "--param", "user=alice",
		"--param", "password=s3cret-pw", "--window", "2026-01-01T00:00:00Z/2026-01-01T00:05:00Z", "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if strings.Contains(out, "s3cret-pw") {
		t.Fatalf("the password leaked into the output: %s", out)
	}
	var rep struct {
		Requests []struct {
			URL    string `json:"url"`
			Status int    `json:"status"`
			Events int    `json:"events"`
		} `json:"requests"`
		Events   []map[string]any            `json:"events"`
		Rows     map[string][]map[string]any `json:"rows"`
		Warnings []string                    `json:"warnings"`
		Errors   []string                    `json:"errors"`
	}
	dec := json.NewDecoder(strings.NewReader(out))
	var top map[string]json.RawMessage
	if err := dec.Decode(&top); err != nil || dec.More() {
		t.Fatalf("output is not exactly one JSON object: %v\n%s", err, out)
	}
	if len(top) != 5 {
		t.Fatalf("want exactly the keys requests, events, rows, warnings, errors; got %d keys", len(top))
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	// 5 minutes × 6 events = 30 events, 4 per page = 8 pages.
	if len(rep.Events) != 30 || len(rep.Requests) != 8 {
		t.Fatalf("events %d requests %d, want 30 and 8", len(rep.Events), len(rep.Requests))
	}
	if !strings.Contains(rep.Requests[0].URL, "t0=1767225600") || !strings.Contains(rep.Requests[0].URL, "t1=1767225900") {
		t.Fatalf("first request %s lacks the window", rep.Requests[0].URL)
	}
	alerts := rep.Rows["Custom-Alerts_CL"]
	if len(alerts) != 15 {
		t.Fatalf("rows: %d alerts, want 15: %v", len(alerts), rep.Rows)
	}
	if p, ok := alerts[0]["Priority"].(float64); !ok || p < 1 {
		t.Fatalf("Priority not converted to int: %v", alerts[0])
	}
	if len(rep.Warnings) == 0 || !strings.Contains(strings.Join(rep.Warnings, "\n"), "Alerts_CL") {
		t.Fatalf("want a warning that the table was not given, got %v", rep.Warnings)
	}

	// An unresolved placeholder is an error (exit 1) naming it; nothing sent.
	before := len(mock.Requests())
	code, out, _ = run(t, "test", poller, "--dcr", dcr, "--param", "baseUrl="+src.URL, "--param", "password=x", "--output", "json")
	if code != 1 || !strings.Contains(out, `user`) {
		t.Fatalf("unresolved {{user}}: exit %d, output %s", code, out)
	}
	if len(mock.Requests()) != before {
		t.Fatalf("a request was sent with an unresolved placeholder")
	}
	// Usage errors exit 2.
	if code, _, errs := run(t, "test", poller, "--window", "yesterday"); code != 2 || !strings.Contains(errs, "--window") {
		t.Fatalf("bad --window: exit %d %s", code, errs)
	}
}

func TestLintCommand(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "dcr.json", testDCR)
	write(t, dir, "poller.json", strings.Replace(testPoller, `"Custom-In"`, `"Custom-Missing"`, 1))
	code, out, _ := run(t, "lint", dir)
	if code != 1 || !strings.Contains(out, "poller.json") || !strings.Contains(out, "Custom-Missing") {
		t.Fatalf("lint of a stream missing from the DCR: exit %d\n%s", code, out)
	}
	write(t, dir, "poller.json", testPoller)
	if code, out, _ := run(t, "lint", dir); code != 0 {
		t.Fatalf("lint of valid files: exit %d\n%s", code, out)
	}
	if code, _, errs := run(t, "lint", filepath.Join(dir, "nope.json")); code != 2 || errs == "" {
		t.Fatalf("lint of a missing file: exit %d %q", code, errs)
	}
}

func TestServeFlags(t *testing.T) {
	for _, ws := range []string{"a", "-bad", "has space", "x_y"} {
		if code, _, errs := run(t, "serve", "--workspace", ws, "--data", t.TempDir()); code != 2 || !strings.Contains(errs, "--workspace") {
			t.Errorf("workspace %q: exit %d %s", ws, code, errs)
		}
	}
}

func TestBenchCommand(t *testing.T) {
	code, out, errOut := run(t, "bench", "--windows", "2", "--pages", "3", "--per-page", "7")
	if code != 0 {
		t.Fatalf("bench exited %d: %s", code, errOut)
	}
	for _, mode := range []string{"perpage", "engine"} {
		// 2 windows × 3 pages × 7 events, verified against the table.
		if !regexp.MustCompile(`(?m)^` + mode + `\s+42\s`).MatchString(out) {
			t.Errorf("no %s line with 42 events in:\n%s", mode, out)
		}
	}
	if code, _, errOut := run(t, "bench", "--mode", "fast"); code != 2 || !strings.Contains(errOut, `"fast"`) {
		t.Errorf("bad --mode: exit %d, stderr %q; want exit 2 naming the mode", code, errOut)
	}
}

// `codeless query --data` renders values as the query API does (timespans
// as [d.]hh:mm:ss, datetimes ISO 8601, dynamic as JSON) and keeps one line
// per row in table output.
func TestQueryLocalRendering(t *testing.T) {
	dir := t.TempDir()
	kql := "print a = time(1.02:03:04), f = 30s, e = ```multi\nline```, g = dynamic({\"x\":[1,2]}), h = datetime(2024-01-02 03:04:05.5)"
	code, out, errOut := run(t, "query", "--data", dir, "--format", "json", kql)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var tbl struct {
		Columns []struct{ Name, Type string }
		Rows    [][]any
	}
	if err := json.Unmarshal([]byte(out), &tbl); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(tbl.Rows); got != `[[1.02:03:04 00:00:30 multi
line {"x":[1,2]} 2024-01-02T03:04:05.5Z]]` {
		t.Errorf("rows %s", got)
	}
	if got := fmt.Sprint(tbl.Columns); got != "[{a timespan} {f timespan} {e string} {g dynamic} {h datetime}]" {
		t.Errorf("columns %s", got)
	}
	_, out, _ = run(t, "query", "--data", dir, kql)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 3 || !strings.Contains(lines[1], `multi\nline`) {
		t.Errorf("table output:\n%s", out)
	}
}
