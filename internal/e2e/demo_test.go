package e2e

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestDemo runs `codeless serve --demo` and checks SPEC §10: within 60 s both
// tables have rows visible through the query API, and the gallery lists the
// connector as connected.
func TestDemo(t *testing.T) {
	s := startServer(t, t.TempDir(), "--demo")
	tok := s.token()

	eventually(t, 60*time.Second, "rows in ExampleConnectorAlerts_CL and ASimFileEventLogs", func() bool {
		return s.count(tok, "ExampleConnectorAlerts_CL") > 0 && s.count(tok, "ASimFileEventLogs") > 0
	})

	// Alerts went through the first data flow: typed columns, Priority an int.
	r, status, body := s.query(tok, "ExampleConnectorAlerts_CL | where Priority >= 0 | project TimeGenerated, SourceIP, Priority | take 3")
	if status != 200 {
		t.Fatalf("query: %d %s", status, body)
	}
	res := r.Tables[0]
	if len(res.Rows) == 0 {
		t.Fatalf("no alert rows with an int Priority: %s", body)
	}
	wantCols := []string{"TimeGenerated:datetime", "SourceIP:string", "Priority:int"}
	for i, c := range res.Columns {
		if got := c.Name + ":" + c.Type; got != wantCols[i] {
			t.Errorf("column %d = %s, want %s", i, got, wantCols[i])
		}
	}
	// File events went through project-rename into the standard table.
	r, status, body = s.query(tok, "ASimFileEventLogs | project EventOriginalType, SrcIpAddr, FileSize | take 1")
	if status != 200 || len(r.Tables[0].Rows) != 1 || r.Tables[0].Rows[0][0] != "File" {
		t.Fatalf("file events: %d %s", status, body)
	}
	// No alert leaked into the file table and vice versa.
	r, _, body = s.query(tok, "ASimFileEventLogs | where EventOriginalType != 'File' | summarize count()")
	if n, _ := r.Tables[0].Rows[0][0].(float64); n != 0 {
		t.Fatalf("non-File rows in ASimFileEventLogs: %s", body)
	}

	// The gallery, after signing in with the admin client.
	jar, _ := cookiejar.New(nil)
	web := &http.Client{Jar: jar}
	resp, err := web.Get(s.base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(resp.Request.URL.Path, "/login") {
		t.Fatalf("the gallery without a session should redirect to /login, got %s:\n%s", resp.Request.URL, page)
	}
	resp, err = web.PostForm(s.base+"/login", url.Values{"client_id": {adminID}, "client_secret": {adminSecret}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("login: %d %s", resp.StatusCode, page)
	}
	html := string(page)
	mustContain(t, html, "Example CCF Data Connector")
	mustContain(t, html, `<span class="status connected">Connected</span>`)
	mustContain(t, html, "ExampleConnectorAlerts_CL")
}
