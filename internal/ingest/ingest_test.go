package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/codeless/codeless/internal/apierr"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/schema"
	"github.com/codeless/codeless/internal/store/duckdb"
)

var testNow = time.Date(2023, 3, 7, 0, 0, 0, 0, time.UTC)

func openDB(t testing.TB) *duckdb.DB {
	t.Helper()
	db, err := duckdb.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func newPipeline(t testing.TB, db *duckdb.DB) *Pipeline {
	return New(db, Options{Now: func() time.Time { return testNow }, MaxBodyBytes: 4096})
}

// demoDCR is reference/ccf-format.md Appendix D.5 (the seed's split-routing
// DCR), decoded by the resource package.
const demoDCR = `{"name":"demo-dcr","location":"x","properties":{"immutableId":"dcr-demo",
 "streamDeclarations":{"Custom-ExampleConnectorInput":{"columns":[
  {"name":"ts","type":"datetime"},{"name":"eventType","type":"string"},{"name":"deviceMac","type":"string"},
  {"name":"clientMac","type":"string"},{"name":"srcIp","type":"string"},{"name":"destIp","type":"string"},
  {"name":"protocol","type":"string"},{"name":"priority","type":"string"},{"name":"message","type":"string"},
  {"name":"fileType","type":"string"},{"name":"fileSizeBytes","type":"int"},{"name":"disposition","type":"string"},
  {"name":"extra","type":"dynamic"}]}},
 "destinations":{"logAnalytics":[{"workspaceResourceId":"/subscriptions/s/resourcegroups/r/providers/microsoft.operationalinsights/workspaces/w","name":"ws"}]},
 "dataFlows":[
  {"streams":["Custom-ExampleConnectorInput"],"destinations":["ws"],
   "transformKql":"source | where eventType == \"Alert\" | project TimeGenerated = ts, SourceIP = srcIp, DestIP = destIp, Message = message, Priority = priority \n",
   "outputStream":"Custom-ExampleConnectorAlerts_CL"},
  {"streams":["Custom-ExampleConnectorInput"],"destinations":["ws"],
   "transformKql":"source | where eventType == \"File\" | project-rename TimeGenerated = ts, EventOriginalType = eventType, SrcIpAddr = srcIp, DstIpAddr = destIp, FileContentType = fileType, FileSize = fileSizeBytes, EventOriginalSeverity = disposition \n",
   "outputStream":"Microsoft-ASimFileEventLogs"}]}}`

var alertsTable = &resource.Table{Meta: resource.Meta{Name: "ExampleConnectorAlerts_CL"}, Columns: schema.Schema{
	{Name: "TimeGenerated", Type: schema.DateTime}, {Name: "SourceIP", Type: schema.String}, {Name: "DestIP", Type: schema.String},
	{Name: "Message", Type: schema.String}, {Name: "Priority", Type: schema.Int},
}}

func decodeDCR(t testing.TB, s string) *resource.DCR {
	t.Helper()
	d, err := resource.DecodeDCR([]byte(s))
	if err != nil {
		t.Fatalf("decoding DCR: %v", err)
	}
	return d
}

func loadDemo(t testing.TB) (*Pipeline, *duckdb.DB) {
	t.Helper()
	db := openDB(t)
	p := newPipeline(t, db)
	if err := p.PutDCR(context.Background(), decodeDCR(t, demoDCR), []*resource.Table{alertsTable}); err != nil {
		t.Fatalf("PutDCR: %v", err)
	}
	return p, db
}

const demoRecords = `[
 {"ts":"3/6/2023 8:15:15 AM","eventType":"Alert","srcIp":"10.0.0.1","destIp":"10.0.0.2","priority":"5","message":"m1","undeclared":"x"},
 {"ts":"2023-03-06T09:00:00Z","eventType":"File","srcIp":"10.0.0.3","destIp":"10.0.0.4","fileType":"pdf","fileSizeBytes":1234,"disposition":"Blocked","extra":{"a":[1,2.5]}},
 {"ts":"2020-01-01T00:00:00Z","eventType":"Alert","srcIp":"10.0.0.5","priority":"high","message":"old"},
 {"ts":"not a date","eventType":"Other","fileSizeBytes":"abc"}
]`

func TestProcessDemo(t *testing.T) {
	p, db := loadDemo(t)
	ctx := context.Background()
	var recs []any
	if err := json.Unmarshal([]byte(demoRecords), &recs); err != nil {
		t.Fatal(err)
	}
	fromMaps, err := p.Process(ctx, "dcr-demo", "Custom-ExampleConnectorInput", recs)
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, err := p.ProcessJSON(ctx, "dcr-demo", "Custom-ExampleConnectorInput", []byte(demoRecords))
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]*Output{"Process": fromMaps, "ProcessJSON": fromJSON} {
		t.Run(name, func(t *testing.T) {
			if out.Records != 4 || out.Rows != 3 {
				t.Fatalf("records %d rows %d", out.Records, out.Rows)
			}
			// "high" → Priority null, "not a date" → ts null, "abc" → fileSizeBytes null.
			if out.Invalid != 3 {
				t.Fatalf("invalid = %d, want 3", out.Invalid)
			}
			// 2020 alert: TimeGenerated older than 2 days → now.
			if out.TimeAdjusted != 1 {
				t.Fatalf("time adjusted = %d", out.TimeAdjusted)
			}
			alerts := out.Table("ExampleConnectorAlerts_CL")
			if alerts == nil || len(alerts.Rows) != 2 {
				t.Fatalf("alerts %+v", alerts)
			}
			got := fmt.Sprint(alerts.Rows)
			want := fmt.Sprint([][]any{
				{time.Date(2023, 3, 6, 8, 15, 15, 0, time.UTC), "10.0.0.1", "10.0.0.2", "m1", int64(5)},
				{testNow, "10.0.0.5", "", "old", nil},
			})
			if got != want {
				t.Fatalf("alert rows\n got %s\nwant %s", got, want)
			}
			files := out.Table("ASimFileEventLogs")
			if files == nil || len(files.Rows) != 1 {
				t.Fatalf("files %+v", files)
			}
			row := files.Rows[0]
			check := map[string]any{
				"TimeGenerated": time.Date(2023, 3, 6, 9, 0, 0, 0, time.UTC), "EventOriginalType": "File",
				"FileSize": int64(1234), "EventOriginalSeverity": "Blocked", "SrcIpAddr": "10.0.0.3", "priority": "",
			}
			for k, v := range check {
				i := files.Schema.Index(k)
				if i < 0 || fmt.Sprint(row[i]) != fmt.Sprint(v) {
					t.Errorf("%s = %v, want %v (schema %s)", k, row[i], v, files.Schema)
				}
			}
			if i := files.Schema.Index("extra"); i < 0 || fmt.Sprint(row[i]) != "map[a:[1 2.5]]" {
				t.Errorf("extra dynamic = %v", row)
			}
			if files.Schema.Index("undeclared") >= 0 {
				t.Error("undeclared property reached the table")
			}
		})
	}
	if err := p.Commit(ctx, fromJSON, "conn/x", []byte("cp1")); err != nil {
		t.Fatal(err)
	}
	res, err := db.Query(ctx, `SELECT count(*) FROM "ExampleConnectorAlerts_CL"`)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(res.Rows) != "[[2]]" {
		t.Fatalf("stored rows %v", res.Rows)
	}
	cp, err := db.GetCheckpoint(ctx, "conn/x")
	if err != nil || string(cp) != "cp1" {
		t.Fatalf("checkpoint %q %v", cp, err)
	}
}

func TestPutDCRErrors(t *testing.T) {
	base := func(flows string, decl string) string {
		if decl == "" {
			decl = `{"Custom-In":{"columns":[{"name":"TimeGenerated","type":"datetime"},{"name":"a","type":"string"},{"name":"n","type":"long"}]}}`
		}
		return `{"name":"d","properties":{"immutableId":"dcr-1","streamDeclarations":` + decl +
			`,"destinations":{"logAnalytics":[{"name":"ws","workspaceResourceId":"w"}]},"dataFlows":` + flows + `}}`
	}
	tbl := &resource.Table{Meta: resource.Meta{Name: "T_CL"}, Columns: schema.Schema{
		{Name: "TimeGenerated", Type: schema.DateTime}, {Name: "a", Type: schema.String}}}
	noTG := &resource.Table{Meta: resource.Meta{Name: "U_CL"}, Columns: schema.Schema{{Name: "a", Type: schema.String}}}
	cases := []struct {
		name   string
		dcr    string
		tables []*resource.Table
		target string
		msg    string
	}{
		{"undeclared stream", base(`[{"streams":["Custom-Nope"],"destinations":["ws"],"outputStream":"Custom-T_CL"}]`, ""), nil,
			"properties.dataFlows[0].streams[0]", `stream "Custom-Nope" is not declared`},
		{"bad transform", base(`[{"streams":["Custom-In"],"destinations":["ws"],"transformKql":"source | project TimeGenerated, a","outputStream":"Custom-T_CL"},
			{"streams":["Custom-In"],"destinations":["ws"],"transformKql":"source | summarize count()","outputStream":"Custom-T_CL"}]`, ""), []*resource.Table{tbl},
			"properties.dataFlows[1].transformKql", "properties.dataFlows[1].transformKql: "},
		{"missing columns", base(`[{"streams":["Custom-In"],"destinations":["ws"],"transformKql":"source","outputStream":"Custom-T_CL"}]`, ""), []*resource.Table{tbl},
			"properties.dataFlows[0].outputStream", "lacks the transform output column(s) n"},
		{"missing table", base(`[{"streams":["Custom-In"],"destinations":["ws"],"outputStream":"Custom-Missing_CL"}]`, ""), nil,
			"properties.dataFlows[0].outputStream", "table Missing_CL does not exist"},
		{"table without TimeGenerated", base(`[{"streams":["Custom-In"],"destinations":["ws"],"transformKql":"source | project a","outputStream":"Custom-U_CL"}]`, ""), []*resource.Table{noTG},
			"properties.dataFlows[0].transformKql", "no TimeGenerated"},
		{"output without TimeGenerated", base(`[{"streams":["Custom-In"],"destinations":["ws"],"transformKql":"source | project a","outputStream":"Custom-T_CL"}]`, ""), []*resource.Table{tbl},
			"properties.dataFlows[0].transformKql", "no TimeGenerated"},
		{"incompatible type", base(`[{"streams":["Custom-In"],"destinations":["ws"],"transformKql":"source | project TimeGenerated, a = now()","outputStream":"Custom-V_CL"}]`, ""),
			[]*resource.Table{{Meta: resource.Meta{Name: "V_CL"}, Columns: schema.Schema{{Name: "TimeGenerated", Type: schema.DateTime}, {Name: "a", Type: schema.Bool}}}},
			"properties.dataFlows[0].outputStream", "a (datetime into bool)"},
		{"bad output stream", base(`[{"streams":["Custom-In"],"destinations":["ws"],"outputStream":"Other-T"}]`, ""), nil,
			"properties.dataFlows[0].outputStream", "must be Custom-<Table>_CL or Microsoft-<Table>"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newPipeline(t, openDB(t))
			err := p.PutDCR(context.Background(), decodeDCR(t, tc.dcr), tc.tables)
			if err == nil {
				t.Fatal("accepted")
			}
			ae := apierr.From(err)
			found := false
			for _, d := range append([]apierr.APIError{*ae}, ae.Details...) {
				if d.Target == tc.target && strings.Contains(d.Message, tc.msg) {
					found = true
				}
			}
			if !found || ae.Status != 400 {
				t.Fatalf("error %d %+v\nwant target %q containing %q", ae.Status, ae, tc.target, tc.msg)
			}
			if _, err := p.Process(context.Background(), "dcr-1", "Custom-In", nil); err == nil {
				t.Fatal("a rejected DCR was loaded")
			}
		})
	}
}

func TestUndeclaredMicrosoftStream(t *testing.T) {
	db := openDB(t)
	p := newPipeline(t, db)
	dcr := `{"name":"d","properties":{"immutableId":"dcr-ms","destinations":{"logAnalytics":[{"name":"ws","workspaceResourceId":"w"}]},
	  "dataFlows":[{"streams":["Microsoft-Syslog2"],"destinations":["ws"]}]}}`
	if err := p.PutDCR(context.Background(), decodeDCR(t, dcr), nil); err != nil {
		t.Fatal(err)
	}
	out, err := p.ProcessJSON(context.Background(), "dcr-ms", "Microsoft-Syslog2", []byte(`[{"Computer":"h1","Severity":3,"Ok":true,"Bag":{"x":1}},{"Computer":"h2","Ratio":0.5}]`))
	if err != nil {
		t.Fatal(err)
	}
	tr := out.Table("Syslog2")
	if tr == nil || len(tr.Rows) != 2 {
		t.Fatalf("%+v", out)
	}
	want := "(TimeGenerated:datetime, Bag:dynamic, Computer:string, Ok:bool, Severity:long, Ratio:real)"
	if tr.Schema.String() != want {
		t.Fatalf("schema %s, want %s", tr.Schema, want)
	}
	if err := p.Commit(context.Background(), out, "", nil); err != nil {
		t.Fatal(err)
	}
	got, err := db.TableSchema(context.Background(), "Syslog2")
	if err != nil || got.String() != want {
		t.Fatalf("stored schema %s %v", got, err)
	}
}

func TestTimeGeneratedRange(t *testing.T) {
	db := openDB(t)
	p := newPipeline(t, db)
	dcr := `{"name":"d","properties":{"immutableId":"dcr-t","streamDeclarations":{"Custom-T":{"columns":[{"name":"TimeGenerated","type":"datetime"}]}},
	  "destinations":{"logAnalytics":[{"name":"ws","workspaceResourceId":"w"}]},"dataFlows":[{"streams":["Custom-T"],"destinations":["ws"],"outputStream":"Microsoft-TT"}]}}`
	if err := p.PutDCR(context.Background(), decodeDCR(t, dcr), nil); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		in   string
		want time.Time
	}{
		{`"2023-03-06T00:00:01Z"`, time.Date(2023, 3, 6, 0, 0, 1, 0, time.UTC)},
		{`"2023-03-04T23:59:59Z"`, testNow}, // > 2 days old
		{`"2023-03-05T00:00:00Z"`, time.Date(2023, 3, 5, 0, 0, 0, 0, time.UTC)},
		{`"2023-03-08T00:00:00Z"`, time.Date(2023, 3, 8, 0, 0, 0, 0, time.UTC)},
		{`"2023-03-08T00:00:01Z"`, testNow}, // > 1 day ahead
		{`null`, testNow},
	}
	for _, tc := range cases {
		out, err := p.ProcessJSON(context.Background(), "dcr-t", "Custom-T", []byte(`[{"TimeGenerated":`+tc.in+`}]`))
		if err != nil {
			t.Fatal(err)
		}
		if got := out.Tables[0].Rows[0][0]; got != tc.want {
			t.Errorf("%s → %v, want %v", tc.in, got, tc.want)
		}
	}
}

func post(t testing.TB, h http.Handler, path string, body []byte, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

func TestHandler(t *testing.T) {
	p, db := loadDemo(t)
	h := p.Handler()
	const path = "/dataCollectionRules/dcr-demo/streams/Custom-ExampleConnectorInput?api-version=2023-01-01"
	big := []byte("[" + strings.Repeat(`{"eventType":"Alert"},`, 300) + `{"eventType":"Alert"}]`) // > 4096 bytes
	cases := []struct {
		name   string
		path   string
		body   []byte
		hdr    map[string]string
		status int
		code   string
		msg    string
	}{
		{"ok", path, []byte(demoRecords), nil, 204, "", ""},
		{"ok preview api", strings.Replace(path, "2023-01-01", "2021-11-01-preview", 1), []byte(`[]`), nil, 204, "", ""},
		{"gzip", path, gz([]byte(demoRecords)), map[string]string{"Content-Encoding": "gzip"}, 204, "", ""},
		{"bad gzip", path, []byte("nope"), map[string]string{"Content-Encoding": "gzip"}, 400, "InvalidContentEncoding", ""},
		{"invalid JSON", path, []byte(`[{"eventType":"Alert"},{"eventType": }]`), nil, 400, "InvalidJson", "byte offset 37"},
		{"not an array", path, []byte(`{"eventType":"Alert"}`), nil, 400, "InvalidPayload", "JSON array"},
		{"array of non-objects", path, []byte(`[{"eventType":"Alert"}, 3]`), nil, 400, "InvalidPayload", "record 1 is number"},
		{"unknown DCR", "/dataCollectionRules/dcr-nope/streams/Custom-ExampleConnectorInput?api-version=2023-01-01", []byte(`[]`), nil, 404, "DataCollectionRuleNotFound", "dcr-nope"},
		{"unknown stream", "/dataCollectionRules/dcr-demo/streams/Custom-Nope?api-version=2023-01-01", []byte(`[]`), nil, 400, "InvalidStream", `"Custom-Nope"`},
		{"too large", path, big, nil, 413, "ContentLengthLimitExceeded", ""},
		{"too large gzip", path, gz(big), map[string]string{"Content-Encoding": "gzip"}, 413, "ContentLengthLimitExceeded", ""},
		{"too large compressed", path, gz(incompressible(5000)), map[string]string{"Content-Encoding": "gzip"}, 413, "ContentLengthLimitExceeded", ""},
		{"missing api-version", "/dataCollectionRules/dcr-demo/streams/Custom-ExampleConnectorInput", []byte(`[]`), nil, 400, "MissingApiVersionParameter", ""},
		{"wrong content type", path, []byte(`[]`), map[string]string{"Content-Type": "text/plain"}, 415, "UnsupportedMediaType", ""},
		{"bad path", "/dataCollectionRules/dcr-demo?api-version=2023-01-01", []byte(`[]`), nil, 404, "NotFound", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := post(t, h, tc.path, tc.body, tc.hdr)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.code == "" {
				if rec.Body.Len() != 0 {
					t.Fatalf("204 with body %s", rec.Body)
				}
				return
			}
			if rec.Header().Get("x-ms-error-code") != tc.code {
				t.Fatalf("x-ms-error-code %q", rec.Header().Get("x-ms-error-code"))
			}
			var body struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Code != tc.code || !strings.Contains(body.Error.Message, tc.msg) {
				t.Fatalf("body %s (%v)", rec.Body, err)
			}
		})
	}
	// 2 accepted demo calls × 2 alerts; failed calls stored nothing.
	res, err := db.Query(context.Background(), `SELECT count(*) FROM "ExampleConnectorAlerts_CL"`)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(res.Rows) != "[[4]]" {
		t.Fatalf("stored %v", res.Rows)
	}
}

// TestNoPartialCommit: a record failing midway leaves nothing stored.
func TestNoPartialCommit(t *testing.T) {
	p, db := loadDemo(t)
	body := []byte(`[{"eventType":"Alert","message":"a"},{"eventType":"Alert"},7]`)
	rec := post(t, p.Handler(), "/dataCollectionRules/dcr-demo/streams/Custom-ExampleConnectorInput?api-version=2023-01-01", body, nil)
	if rec.Code != 400 {
		t.Fatalf("status %d", rec.Code)
	}
	res, err := db.Query(context.Background(), `SELECT count(*) FROM "ExampleConnectorAlerts_CL"`)
	if err != nil || fmt.Sprint(res.Rows) != "[[0]]" {
		t.Fatalf("stored %v %v", res, err)
	}
}

func TestDeleteDCR(t *testing.T) {
	p, _ := loadDemo(t)
	p.DeleteDCR("dcr-demo")
	_, err := p.Process(context.Background(), "dcr-demo", "Custom-ExampleConnectorInput", nil)
	if ae := apierr.From(err); ae.Status != 404 {
		t.Fatalf("after delete: %v", err)
	}
}

func FuzzProcessJSON(f *testing.F) {
	for _, s := range []string{demoRecords, `[]`, `[{}]`, `{"a":1}`, `[{"ts":1e400}]`, `[{"fileSizeBytes":99999999999}]`, `[{"extra":[[[{}]]]}]`, `[`, `nul`} {
		f.Add([]byte(s))
	}
	p, _ := loadDemo(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		out, err := p.ProcessJSON(context.Background(), "dcr-demo", "Custom-ExampleConnectorInput", body)
		if err == nil && out == nil {
			t.Fatal("nil output without error")
		}
		if err != nil {
			if ae := apierr.From(err); ae.Status != 400 {
				t.Fatalf("non-400 error %v", err)
			}
		}
	})
}

func TestFieldTruncation(t *testing.T) {
	p, _ := loadDemo(t)
	long := strings.Repeat("é", MaxFieldBytes/2) + "xyz" // 64 KB + 3 bytes, multi-byte runes
	body, _ := json.Marshal([]map[string]any{{"eventType": "Alert", "message": long, "ts": "2023-03-06T00:00:00Z"}})
	out, err := p.ProcessJSON(context.Background(), "dcr-demo", "Custom-ExampleConnectorInput", body)
	if err != nil {
		t.Fatal(err)
	}
	msg := out.Table("ExampleConnectorAlerts_CL").Rows[0][3].(string)
	if len(msg) != MaxFieldBytes || out.Truncated != 1 || !utf8.ValidString(msg) {
		t.Fatalf("len %d truncated %d valid %v", len(msg), out.Truncated, utf8.ValidString(msg))
	}
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{{"abc", 5, "abc"}, {"abcdef", 3, "abc"}, {"aé", 2, "a"}, {"a€b", 3, "a"}, {"a€b", 4, "a€"}, {"€", 0, ""}} {
		if got := truncateUTF8(tc.s, tc.n); got != tc.want {
			t.Errorf("truncateUTF8(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}

// TestPropertyMatching: exact names win, else ASCII case-insensitive; the
// order of properties may change between records (position prediction).
func TestPropertyMatching(t *testing.T) {
	p, _ := loadDemo(t)
	body := `[{"EVENTTYPE":"Alert","Message":"a","ts":"2023-03-06T00:00:00Z","x":1},
	          {"ts":"2023-03-06T00:00:01Z","x":2,"message":"b","eventType":"Alert"},
	          {"eventType":"Alert","eventtype":"File","message":"c","ts":"2023-03-06T00:00:02Z"}]`
	var recs []any
	if err := json.Unmarshal([]byte(body), &recs); err != nil {
		t.Fatal(err)
	}
	fromMaps, err := p.Process(context.Background(), "dcr-demo", "Custom-ExampleConnectorInput", recs[:2])
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, err := p.ProcessJSON(context.Background(), "dcr-demo", "Custom-ExampleConnectorInput", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]*Output{"maps": fromMaps, "json": fromJSON} {
		a := out.Table("ExampleConnectorAlerts_CL")
		var msgs []string
		for _, r := range a.Rows {
			msgs = append(msgs, r[3].(string))
		}
		want := "a,b"
		if name == "json" {
			want = "a,b,c" // record 3: exact "eventType" wins over "eventtype" whatever the order
		}
		if strings.Join(msgs, ",") != want {
			t.Errorf("%s: messages %v, want %s", name, msgs, want)
		}
	}
}

// incompressible returns a JSON array holding n bytes of pseudo-random text.
func incompressible(n int) []byte {
	b := make([]byte, 0, n+8)
	b = append(b, `["`...)
	x := uint32(2463534242)
	for len(b) < n {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b = append(b, 'a'+byte(x%26))
	}
	return append(b, `"]`...)
}

// TestCompressedLimitChunked: a gzip body over the limit with no
// Content-Length (chunked) is refused while reading it.
func TestCompressedLimitChunked(t *testing.T) {
	p, _ := loadDemo(t)
	// 4090 random bytes: within the limit decompressed, over it compressed.
	raw := make([]byte, 4090)
	x := uint32(88172645)
	for i := range raw {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		raw[i] = byte(x)
	}
	body := gz(raw)
	if len(body) <= 4096 {
		t.Fatalf("test body compresses to %d bytes; want > 4096", len(body))
	}
	req := httptest.NewRequest(http.MethodPost, "/dataCollectionRules/dcr-demo/streams/Custom-ExampleConnectorInput?api-version=2023-01-01", io.NopCloser(bytes.NewReader(body)))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	rec := httptest.NewRecorder()
	p.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
}

// TestConcurrentCalls runs calls in parallel (for -race) while the DCR is
// replaced.
func TestConcurrentCalls(t *testing.T) {
	p, db := loadDemo(t)
	done := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			for i := 0; i < 20; i++ {
				out, err := p.ProcessJSON(context.Background(), "dcr-demo", "Custom-ExampleConnectorInput", []byte(demoRecords))
				if err != nil {
					done <- err
					return
				}
				if out.Rows != 3 {
					done <- fmt.Errorf("rows %d", out.Rows)
					return
				}
				if err := p.Commit(context.Background(), out, "", nil); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for i := 0; i < 3; i++ {
		if err := p.PutDCR(context.Background(), decodeDCR(t, demoDCR), []*resource.Table{alertsTable}); err != nil {
			t.Fatal(err)
		}
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	res, err := db.Query(context.Background(), `SELECT count(*) FROM "ExampleConnectorAlerts_CL"`)
	if err != nil || fmt.Sprint(res.Rows) != "[[320]]" {
		t.Fatalf("stored %v %v", res, err)
	}
}
