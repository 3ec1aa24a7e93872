package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/codeless/codeless/internal/apierr"
	"github.com/codeless/codeless/internal/health"
	"github.com/codeless/codeless/internal/ingest"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/schema"
	"github.com/codeless/codeless/internal/store"
	"github.com/codeless/codeless/internal/store/duckdb"
)

const (
	testClient = "client-1"
	testSecret = "s3cr3t-value-123"
	wsID       = "11111111-2222-3333-4444-555555555555"
	armBase    = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/codeless/providers"
)

// fakeControl is an in-memory Control.
type fakeControl struct {
	mu      sync.Mutex
	items   map[string][]byte
	ifMatch []string
	deploys []string
}

func (f *fakeControl) key(k resource.Kind, n string) string {
	return string(k) + "/" + strings.ToLower(n)
}

func (f *fakeControl) PutResource(_ context.Context, kind resource.Kind, name string, body []byte, ifMatch string) ([]byte, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, false, err
	}
	if _, ok := m["properties"].(map[string]any); !ok {
		return nil, false, apierr.BadRequest("InvalidProperty", "properties", "properties is required")
	}
	f.ifMatch = append(f.ifMatch, ifMatch)
	k := f.key(kind, name)
	_, exists := f.items[k]
	if ifMatch != "" && exists && ifMatch != `"e1"` {
		return nil, false, apierr.Conflict("PreconditionFailed", "etag mismatch")
	}
	m["name"], m["etag"] = name, `"e1"`
	out, _ := json.Marshal(m)
	f.items[k] = out
	return out, !exists, nil
}

func (f *fakeControl) GetResource(_ context.Context, kind resource.Kind, name string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.items[f.key(kind, name)]
	if !ok {
		return nil, fmt.Errorf("getting %s: %w", name, store.ErrNotFound)
	}
	return b, nil
}

func (f *fakeControl) ListResources(_ context.Context, kind resource.Kind) ([][]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out [][]byte
	for k, v := range f.items {
		if strings.HasPrefix(k, string(kind)+"/") {
			out = append(out, v)
		}
	}
	return out, nil
}

func (f *fakeControl) DeleteResource(_ context.Context, kind resource.Kind, name, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := f.key(kind, name)
	if _, ok := f.items[k]; !ok {
		return store.ErrNotFound
	}
	delete(f.items, k)
	return nil
}

func (f *fakeControl) Deploy(_ context.Context, name string, body []byte) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deploys = append(f.deploys, name)
	return []byte(`{"name":"` + name + `","properties":{"provisioningState":"Succeeded"}}`), nil
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	srv     *Server
	h       http.Handler
	db      *duckdb.DB
	ctl     *fakeControl
	clk     *clock
	logs    *bytes.Buffer
	logMu   *sync.Mutex
	pipe    *ingest.Pipeline
	metrics *health.Metrics
}

type syncBuf struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (s syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }

func newEnv(t *testing.T, mod func(*Config, *Deps)) *env {
	t.Helper()
	db, err := duckdb.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	clk := &clock{t: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
	clients := NewKVClients(db)
	clients.cost = bcrypt.MinCost
	if err := clients.Put(context.Background(), testClient, testSecret); err != nil {
		t.Fatal(err)
	}
	logs, mu := &bytes.Buffer{}, &sync.Mutex{}
	logger := slog.New(slog.NewJSONHandler(syncBuf{mu, logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := health.NewMetrics()
	pipe := ingest.New(db, ingest.Options{Now: clk.Now, Logger: logger, Metrics: m})
	ctl := &fakeControl{items: map[string][]byte{}}
	cfg := Config{WorkspaceID: wsID, TokenTTL: time.Hour, Logger: logger, Now: clk.Now}
	deps := Deps{Store: db, Pipeline: pipe, Control: ctl, Metrics: m, Clients: clients}
	if mod != nil {
		mod(&cfg, &deps)
	}
	s, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	return &env{srv: s, h: s.Handler(), db: db, ctl: ctl, clk: clk, logs: logs, logMu: mu, pipe: pipe, metrics: m}
}

func (e *env) do(t *testing.T, method, path string, body []byte, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

func (e *env) token(t *testing.T) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {testClient}, "client_secret": {testSecret}, "scope": {"https://monitor.azure.com//.default"}}
	rec := e.do(t, http.MethodPost, "/mytenant/oauth2/v2.0/token", []byte(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if rec.Code != 200 {
		t.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil {
		t.Fatal(err)
	}
	if tok.TokenType != "Bearer" || tok.ExpiresIn != 3600 || tok.AccessToken == "" {
		t.Fatalf("token response %s", rec.Body)
	}
	return tok.AccessToken
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

type envelope struct {
	Error struct {
		Code    string           `json:"code"`
		Message string           `json:"message"`
		Target  string           `json:"target"`
		Details []map[string]any `json:"details"`
	} `json:"error"`
}

func decodeEnv(t *testing.T, rec *httptest.ResponseRecorder) envelope {
	t.Helper()
	var e envelope
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("not an error envelope: %s", rec.Body)
	}
	if rec.Header().Get("x-ms-error-code") != e.Error.Code {
		t.Fatalf("x-ms-error-code %q vs body %q", rec.Header().Get("x-ms-error-code"), e.Error.Code)
	}
	return e
}

func TestAuthRequired(t *testing.T) {
	e := newEnv(t, nil)
	routes := []struct{ method, path string }{
		{"GET", "/metrics"},
		{"POST", "/dataCollectionRules/dcr-x/streams/Custom-S?api-version=2023-01-01"},
		{"GET", armBase + "/Microsoft.Insights/dataCollectionRules?api-version=2022-06-01"},
		{"PUT", armBase + "/Microsoft.Insights/dataCollectionRules/x?api-version=2022-06-01"},
		{"DELETE", armBase + "/Microsoft.Insights/dataCollectionRules/x?api-version=2022-06-01"},
		{"PUT", armBase + "/Microsoft.Resources/deployments/d?api-version=2021-04-01"},
		{"POST", "/v1/workspaces/codeless/query"},
		{"GET", "/v1/workspaces/codeless/query?query=T"},
		{"GET", "/anything/else"},
	}
	for _, rt := range routes {
		for name, hdr := range map[string]map[string]string{
			"none":    nil,
			"garbage": bearer("garbage"),
			"forged":  bearer("cl1.Y2xpZW50LTF8OTk5OTk5OTk5OXx4.AAAA"),
			"basic":   {"Authorization": "Basic Zm9vOmJhcg=="},
		} {
			rec := e.do(t, rt.method, rt.path, []byte(`{}`), hdr)
			if rt.path == "/anything/else" { // no web UI: 404 before or after auth, never data
				if rec.Code != 404 {
					t.Errorf("%s %s: %d", rt.method, rt.path, rec.Code)
				}
				continue
			}
			if rec.Code != 401 {
				t.Errorf("%s %s (%s): status %d", rt.method, rt.path, name, rec.Code)
				continue
			}
			if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s: WWW-Authenticate %q", rt.method, rt.path, rec.Header().Get("WWW-Authenticate"))
			}
			env := decodeEnv(t, rec)
			want := "InvalidAuthenticationToken"
			if name == "none" {
				want = "AuthenticationFailed"
			}
			if env.Error.Code != want {
				t.Errorf("%s %s (%s): code %q", rt.method, rt.path, name, env.Error.Code)
			}
		}
	}
	rec := e.do(t, "GET", "/healthz", nil, nil)
	if rec.Code != 200 || rec.Body.String() != "ok" {
		t.Fatalf("healthz %d %q", rec.Code, rec.Body)
	}
	tok := e.token(t)
	if rec := e.do(t, "GET", "/metrics", nil, bearer(tok)); rec.Code != 200 || !strings.Contains(rec.Body.String(), "go_goroutines") {
		t.Fatalf("metrics with token: %d", rec.Code)
	}
}

func TestTokenEndpoint(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.Tenant = "my-tenant" })
	form := func(kv ...string) []byte {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return []byte(v.Encode())
	}
	ct := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	cases := []struct {
		name   string
		tenant string
		body   []byte
		hdr    map[string]string
		status int
		code   string
	}{
		{"ok", "my-tenant", form("grant_type", "client_credentials", "client_id", testClient, "client_secret", testSecret), ct, 200, ""},
		{"tenant case-insensitive", "MY-TENANT", form("grant_type", "client_credentials", "client_id", testClient, "client_secret", testSecret), ct, 200, ""},
		{"wrong tenant", "other", form("grant_type", "client_credentials", "client_id", testClient, "client_secret", testSecret), ct, 400, "invalid_request"},
		{"wrong secret", "my-tenant", form("grant_type", "client_credentials", "client_id", testClient, "client_secret", "nope"), ct, 401, "invalid_client"},
		{"unknown client", "my-tenant", form("grant_type", "client_credentials", "client_id", "ghost", "client_secret", testSecret), ct, 401, "invalid_client"},
		{"no secret", "my-tenant", form("grant_type", "client_credentials", "client_id", testClient), ct, 401, "invalid_client"},
		{"no client", "my-tenant", form("grant_type", "client_credentials"), ct, 400, "invalid_request"},
		{"password grant", "my-tenant", form("grant_type", "password", "client_id", testClient, "client_secret", testSecret), ct, 400, "unsupported_grant_type"},
		{"basic auth", "my-tenant", form("grant_type", "client_credentials"),
			map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic " + basic(testClient, testSecret)}, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.do(t, "POST", "/"+tc.tenant+"/oauth2/v2.0/token", tc.body, tc.hdr)
			if rec.Code != tc.status {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if tc.code != "" && (body["error"] != tc.code || body["error_description"] == "") {
				t.Fatalf("body %v", body)
			}
			if tc.code == "" && body["token_type"] != "Bearer" {
				t.Fatalf("body %v", body)
			}
		})
	}
}

func basic(u, p string) string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(u, p)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

func TestTokenExpiry(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.token(t)
	if rec := e.do(t, "GET", "/metrics", nil, bearer(tok)); rec.Code != 200 {
		t.Fatalf("fresh token: %d", rec.Code)
	}
	e.clk.Add(59 * time.Minute)
	if rec := e.do(t, "GET", "/metrics", nil, bearer(tok)); rec.Code != 200 {
		t.Fatalf("token before expiry: %d", rec.Code)
	}
	e.clk.Add(time.Minute)
	rec := e.do(t, "GET", "/metrics", nil, bearer(tok))
	if rec.Code != 401 || !strings.Contains(decodeEnv(t, rec).Error.Message, "expired") {
		t.Fatalf("expired token: %d %s", rec.Code, rec.Body)
	}
	// A token signed by another server (other key) is rejected.
	other := newEnv(t, nil)
	if rec := e.do(t, "GET", "/metrics", nil, bearer(other.token(t))); rec.Code != 401 {
		t.Fatalf("foreign token accepted: %d", rec.Code)
	}
	// The key persists in the store: a new server over the same store accepts old tokens.
	e.clk.Add(-time.Hour)
	s2, err := New(Config{Now: e.clk.Now, TokenTTL: time.Hour}, Deps{Store: e.db})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if !s2.Authenticate(req) {
		t.Fatal("token not accepted after restart")
	}
}

func TestBootstrapAdmin(t *testing.T) {
	hashCost = bcrypt.MinCost
	defer func() { hashCost = bcrypt.DefaultCost }()
	db, err := duckdb.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	gen, err := BootstrapAdmin(ctx, db, "", "")
	if err != nil || len(gen) < 32 {
		t.Fatalf("generated %q %v", gen, err)
	}
	raw, err := db.GetKV(ctx, clientKeyPrefix+DefaultAdminClientID)
	if err != nil || bytes.Contains(raw, []byte(gen)) {
		t.Fatalf("stored %q %v (must be a hash)", raw, err)
	}
	c := NewKVClients(db)
	if ok, _ := c.Verify(ctx, DefaultAdminClientID, gen); !ok {
		t.Fatal("generated secret does not verify")
	}
	again, err := BootstrapAdmin(ctx, db, "", "")
	if err != nil || again != "" {
		t.Fatalf("second bootstrap generated %q %v", again, err)
	}
	if got, err := BootstrapAdmin(ctx, db, "ops", "given-secret"); err != nil || got != "" {
		t.Fatalf("explicit %q %v", got, err)
	}
	if ok, _ := c.Verify(ctx, "ops", "given-secret"); !ok {
		t.Fatal("explicit admin does not verify")
	}
	if ok, _ := c.Verify(ctx, "ops", "wrong"); ok {
		t.Fatal("wrong secret verified")
	}
}

func TestARM(t *testing.T) {
	e := newEnv(t, nil)
	h := bearer(e.token(t))
	dcr := armBase + "/Microsoft.Insights/dataCollectionRules/MyDCR?api-version=2022-06-01"
	body := []byte(`{"location":"x","properties":{"a":1}}`)
	steps := []struct {
		name   string
		method string
		path   string
		body   []byte
		hdr    map[string]string
		status int
		code   string
		target string
		check  string
	}{
		{"create", "PUT", dcr, body, nil, 201, "", "", `"name":"MyDCR"`},
		{"update", "PUT", dcr, body, map[string]string{"If-Match": `"e1"`}, 200, "", "", ""},
		{"etag mismatch", "PUT", dcr, body, map[string]string{"If-Match": `"zz"`}, 409, "PreconditionFailed", "", ""},
		{"get", "GET", dcr, nil, nil, 200, "", "", `"etag":"\"e1\""`},
		{"get lower-case path", "GET", strings.ToLower(dcr), nil, nil, 200, "", "", ""},
		{"rg case-insensitive", "GET", strings.Replace(dcr, "resourceGroups/codeless", "resourcegroups/CODELESS", 1), nil, nil, 200, "", "", ""},
		{"list", "GET", armBase + "/Microsoft.Insights/dataCollectionRules?api-version=2022-06-01", nil, nil, 200, "", "", `{"value":[{`},
		{"control error with target", "PUT", dcr, []byte(`{"location":"x"}`), nil, 400, "InvalidProperty", "properties", ""},
		{"invalid JSON", "PUT", dcr, []byte(`{"location": x}`), nil, 400, "InvalidRequestContent", "", "byte offset 14"},
		{"missing api-version", "GET", strings.Split(dcr, "?")[0], nil, nil, 400, "MissingApiVersionParameter", "api-version", ""},
		{"wrong rg", "GET", strings.Replace(dcr, "/codeless/", "/other/", 1), nil, nil, 404, "ResourceGroupNotFound", "", ""},
		{"wrong subscription", "GET", strings.Replace(dcr, "00000000-0000-0000-0000-000000000000", "11111111-0000-0000-0000-000000000000", 1), nil, nil, 404, "SubscriptionNotFound", "", ""},
		{"unknown type", "GET", armBase + "/Microsoft.Compute/virtualMachines/x?api-version=1", nil, nil, 404, "InvalidResourceType", "", ""},
		{"wrong workspace", "GET", armBase + "/Microsoft.OperationalInsights/workspaces/nope/tables/T_CL?api-version=1", nil, nil, 404, "WorkspaceNotFound", "", ""},
		{"get missing", "GET", armBase + "/Microsoft.Insights/dataCollectionEndpoints/none?api-version=1", nil, nil, 404, "ResourceNotFound", "", ""},
		{"delete", "DELETE", dcr, nil, nil, 200, "", "", ""},
		{"delete again", "DELETE", dcr, nil, nil, 204, "", "", ""},
		{"gone", "GET", dcr, nil, nil, 404, "ResourceNotFound", "", ""},
		{"table", "PUT", armBase + "/Microsoft.OperationalInsights/workspaces/codeless/tables/T_CL?api-version=2022-10-01", body, nil, 201, "", "", ""},
		{"table by workspace id", "GET", armBase + "/Microsoft.OperationalInsights/workspaces/" + wsID + "/tables/T_CL?api-version=2022-10-01", nil, nil, 200, "", "", ""},
		{"definition", "PUT", armBase + "/Microsoft.OperationalInsights/workspaces/codeless/providers/Microsoft.SecurityInsights/dataConnectorDefinitions/Def?api-version=2024-09-01", body, nil, 201, "", "", ""},
		{"connector", "PUT", armBase + "/Microsoft.OperationalInsights/workspaces/codeless/providers/Microsoft.SecurityInsights/dataConnectors/Conn?api-version=2024-09-01", body, nil, 201, "", "", ""},
		{"connector list", "GET", armBase + "/Microsoft.OperationalInsights/workspaces/codeless/providers/Microsoft.SecurityInsights/dataConnectors?api-version=2024-09-01", nil, nil, 200, "", "", `"name":"Conn"`},
		{"dce", "PUT", armBase + "/Microsoft.Insights/dataCollectionEndpoints/codeless?api-version=2022-06-01", body, nil, 201, "", "", ""},
		{"deploy", "PUT", armBase + "/Microsoft.Resources/deployments/dep1?api-version=2021-04-01", []byte(`{"properties":{"template":{},"parameters":{},"mode":"Incremental"}}`), nil, 200, "", "", `"provisioningState":"Succeeded"`},
		{"deploy PATCH not allowed", "PATCH", armBase + "/Microsoft.Resources/deployments/dep1?api-version=2021-04-01", nil, nil, 405, "MethodNotAllowed", "", ""},
		{"deploy GET of an unknown deployment", "GET", armBase + "/Microsoft.Resources/deployments/dep1?api-version=2021-04-01", nil, nil, 404, "ResourceNotFound", "", ""},
		{"POST on resource", "POST", dcr, body, nil, 405, "MethodNotAllowed", "", ""},
	}
	for _, st := range steps {
		hdr := map[string]string{"Authorization": h["Authorization"], "Content-Type": "application/json"}
		for k, v := range st.hdr {
			hdr[k] = v
		}
		rec := e.do(t, st.method, st.path, st.body, hdr)
		if rec.Code != st.status {
			t.Fatalf("%s: status %d, want %d: %s", st.name, rec.Code, st.status, rec.Body)
		}
		if st.code != "" {
			env := decodeEnv(t, rec)
			if env.Error.Code != st.code || env.Error.Target != st.target || env.Error.Message == "" {
				t.Fatalf("%s: envelope %+v", st.name, env.Error)
			}
		}
		if st.check != "" && !strings.Contains(rec.Body.String(), st.check) {
			t.Fatalf("%s: body %s lacks %s", st.name, rec.Body, st.check)
		}
	}
	if e.ctl.ifMatch[1] != `"e1"` {
		t.Fatalf("If-Match not passed: %q", e.ctl.ifMatch)
	}
	if len(e.ctl.deploys) != 1 || e.ctl.deploys[0] != "dep1" {
		t.Fatalf("deploys %v", e.ctl.deploys)
	}
}

func TestIngestThroughServer(t *testing.T) {
	e := newEnv(t, nil)
	tbl := &resource.Table{Meta: resource.Meta{Name: "Ev_CL"}, Columns: schema.Schema{{Name: "TimeGenerated", Type: schema.DateTime}, {Name: "Msg", Type: schema.String}}}
	dcr, err := resource.DecodeDCR([]byte(`{"name":"d","properties":{"immutableId":"dcr-abc","streamDeclarations":{"Custom-Ev":{"columns":[{"name":"TimeGenerated","type":"datetime"},{"name":"Msg","type":"string"}]}},
	 "destinations":{"logAnalytics":[{"name":"ws","workspaceResourceId":"w"}]},"dataFlows":[{"streams":["Custom-Ev"],"destinations":["ws"],"transformKql":"source","outputStream":"Custom-Ev_CL"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.pipe.PutDCR(context.Background(), dcr, []*resource.Table{tbl}); err != nil {
		t.Fatal(err)
	}
	tok := e.token(t)
	hdr := map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
	p := "/dataCollectionRules/dcr-abc/streams/Custom-Ev?api-version=2023-01-01"
	if rec := e.do(t, "POST", p, []byte(`[{"TimeGenerated":"2024-01-02T03:00:00Z","Msg":"hi"}]`), hdr); rec.Code != 204 {
		t.Fatalf("ingest: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(t, "POST", strings.Replace(p, "dcr-abc", "dcr-zzz", 1), []byte(`[]`), hdr); rec.Code != 404 {
		t.Fatalf("unknown DCR: %d", rec.Code)
	}
	// Query it back.
	rec := e.do(t, "POST", "/v1/workspaces/codeless/query", []byte(`{"query":"Ev_CL"}`), hdr)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"rows":[["2024-01-02T03:00:00Z","hi"]]`) {
		t.Fatalf("query: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(t, "GET", "/metrics", nil, hdr); !strings.Contains(rec.Body.String(), `codeless_ingest_rows_total{dcr="dcr-abc",table="Ev_CL"} 1`) {
		t.Fatalf("metrics lack ingestion rows")
	}
}

func seedTable(t *testing.T, db *duckdb.DB) {
	t.Helper()
	ctx := context.Background()
	sc := schema.Schema{{Name: "TimeGenerated", Type: schema.DateTime}, {Name: "Name", Type: schema.String},
		{Name: "N", Type: schema.Long}, {Name: "Bag", Type: schema.Dynamic}, {Name: "R", Type: schema.Real}}
	if _, err := db.EnsureTable(ctx, "Q_CL", sc); err != nil {
		t.Fatal(err)
	}
	b, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := b.Append("Q_CL", [][]any{
		{base.Add(-30 * time.Minute).Add(500 * time.Millisecond), "recent", int64(1), map[string]any{"a": []any{int64(1), "x"}}, 1.5},
		{base.Add(-3 * time.Hour), "old", int64(2), nil, nil},
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestQueryAPI(t *testing.T) {
	e := newEnv(t, nil)
	seedTable(t, e.db)
	hdr := map[string]string{"Authorization": "Bearer " + e.token(t), "Content-Type": "application/json"}
	type result struct {
		Tables []struct {
			Name    string `json:"name"`
			Columns []struct{ Name, Type string }
			Rows    [][]any `json:"rows"`
		} `json:"tables"`
	}
	run := func(method, path string, body string) (*httptest.ResponseRecorder, result) {
		rec := e.do(t, method, path, []byte(body), hdr)
		var r result
		if rec.Code == 200 {
			if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
		}
		return rec, r
	}
	rec, r := run("POST", "/v1/workspaces/codeless/query", `{"query":"Q_CL"}`)
	if rec.Code != 200 || len(r.Tables) != 1 || r.Tables[0].Name != "PrimaryResult" || len(r.Tables[0].Rows) != 2 {
		t.Fatalf("query: %d %s", rec.Code, rec.Body)
	}
	cols := fmt.Sprint(r.Tables[0].Columns)
	if cols != "[{TimeGenerated datetime} {Name string} {N long} {Bag dynamic} {R real}]" {
		t.Fatalf("columns %s", cols)
	}
	body := rec.Body.String()
	for _, want := range []string{`"2024-01-02T02:34:05.5Z"`, `"2024-01-02T00:04:05Z"`, `"{\"a\":[1,\"x\"]}"`} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %s: %s", want, body)
		}
	}
	// timespan: last hour only.
	for _, q := range []string{
		`{"query":"Q_CL","timespan":"PT1H"}`,
		`{"query":"Q_CL","timespan":"2024-01-02T02:00:00Z/2024-01-02T04:00:00Z"}`,
		`{"query":"Q_CL","timespan":"2024-01-02T02:00:00Z/PT2H"}`,
	} {
		rec, r := run("POST", "/v1/workspaces/"+wsID+"/query", q)
		if rec.Code != 200 || len(r.Tables[0].Rows) != 1 || r.Tables[0].Rows[0][1] != "recent" {
			t.Fatalf("%s: %d %s", q, rec.Code, rec.Body)
		}
	}
	// A table whose string column "timegenerated" comes before the
	// datetime TimeGenerated: DuckDB stores the latter as TimeGenerated__2,
	// and the timespan filter must use that column.
	ctx := context.Background()
	if _, err := e.db.EnsureTable(ctx, "Clash_CL", schema.Schema{{Name: "timegenerated", Type: schema.String}, {Name: "TimeGenerated", Type: schema.DateTime}}); err != nil {
		t.Fatal(err)
	}
	b, err := e.db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := b.Append("Clash_CL", [][]any{{"recent", base.Add(-30 * time.Minute)}, {"old", base.Add(-3 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if rec, r := run("POST", "/v1/workspaces/codeless/query", `{"query":"Clash_CL","timespan":"2024-01-02T02:00:00Z/PT2H"}`); rec.Code != 200 || len(r.Tables[0].Rows) != 1 || r.Tables[0].Rows[0][0] != "recent" {
		t.Fatalf("timespan over case-distinct columns: %d %s", rec.Code, rec.Body)
	}
	rec, r = run("GET", "/v1/workspaces/codeless/query?query=Q_CL&timespan=P1D", "")
	if rec.Code != 200 || len(r.Tables[0].Rows) != 2 {
		t.Fatalf("GET: %d %s", rec.Code, rec.Body)
	}
	for _, bad := range []struct{ path, body, code string }{
		{"/v1/workspaces/codeless/query", `{"query":"NoSuchTable"}`, "BadArgumentError"},
		{"/v1/workspaces/codeless/query", `{"query":""}`, "BadArgumentError"},
		{"/v1/workspaces/codeless/query", `{"query":"Q_CL","timespan":"yesterday"}`, "BadArgumentError"},
		{"/v1/workspaces/codeless/query", `not json`, "BadArgumentError"},
		{"/v1/workspaces/other/query", `{"query":"Q_CL"}`, "WorkspaceNotFound"},
	} {
		rec := e.do(t, "POST", bad.path, []byte(bad.body), hdr)
		if rec.Code < 400 || decodeEnv(t, rec).Error.Code != bad.code {
			t.Fatalf("%s: %d %s", bad.body, rec.Code, rec.Body)
		}
	}
}

func TestParseTimespan(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in         string
		start, end string
		err        bool
	}{
		{"PT1H", "2024-05-01T11:00:00Z", "2024-05-01T12:00:00Z", false},
		{"P1D", "2024-04-30T12:00:00Z", "2024-05-01T12:00:00Z", false},
		{"P1DT12H", "2024-04-30T00:00:00Z", "2024-05-01T12:00:00Z", false},
		{"PT30M", "2024-05-01T11:30:00Z", "2024-05-01T12:00:00Z", false},
		{"PT0.5S", "2024-05-01T11:59:59.5Z", "2024-05-01T12:00:00Z", false},
		{"2024-01-01T00:00:00Z/2024-01-02T00:00:00Z", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", false},
		{"2024-01-01T00:00:00Z/PT6H", "2024-01-01T00:00:00Z", "2024-01-01T06:00:00Z", false},
		{"PT6H/2024-01-01T06:00:00Z", "2024-01-01T00:00:00Z", "2024-01-01T06:00:00Z", false},
		{"P", "", "", true}, {"PT", "", "", true}, {"1h", "", "", true}, {"x/y", "", "", true},
		{"2024-01-02T00:00:00Z/2024-01-01T00:00:00Z", "", "", true},
	}
	for _, tc := range cases {
		s, e, err := ParseTimespan(tc.in, now)
		if (err != nil) != tc.err {
			t.Errorf("%q: err %v", tc.in, err)
			continue
		}
		if err == nil && (s.Format(time.RFC3339Nano) != tc.start || e.Format(time.RFC3339Nano) != tc.end) {
			t.Errorf("%q: %v / %v", tc.in, s, e)
		}
	}
}

func TestLoginSession(t *testing.T) {
	e := newEnv(t, nil)
	form := url.Values{"client_id": {testClient}, "client_secret": {testSecret}, "next": {"/connectors"}}
	ct := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	rec := e.do(t, "POST", "/login", []byte(form.Encode()), ct)
	if rec.Code != 303 || rec.Header().Get("Location") != "/connectors" {
		t.Fatalf("login: %d %v", rec.Code, rec.Header())
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != SessionCookieName || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteLaxMode {
		t.Fatalf("cookie %+v", cookies)
	}
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.AddCookie(cookies[0])
	if !e.srv.Authenticate(req) {
		t.Fatal("session cookie not accepted")
	}
	out := httptest.NewRecorder()
	e.h.ServeHTTP(out, req)
	if out.Code != 200 {
		t.Fatalf("metrics with cookie: %d", out.Code)
	}
	form.Set("client_secret", "wrong")
	form.Set("next", "//evil.example/")
	rec = e.do(t, "POST", "/login", []byte(form.Encode()), ct)
	if rec.Code != 303 || rec.Header().Get("Location") != "/login?error=invalid" || len(rec.Result().Cookies()) != 0 {
		t.Fatalf("bad login: %d %v", rec.Code, rec.Header())
	}
	form.Set("client_secret", testSecret)
	rec = e.do(t, "POST", "/login", []byte(form.Encode()), ct)
	if rec.Header().Get("Location") != "/" {
		t.Fatalf("open redirect: %v", rec.Header().Get("Location"))
	}
	rec = e.do(t, "POST", "/logout", nil, nil)
	if c := rec.Result().Cookies(); len(c) != 1 || c[0].MaxAge >= 0 {
		t.Fatalf("logout cookie %+v", c)
	}
}

func TestLogsHaveNoSecrets(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.token(t)
	e.do(t, "GET", "/metrics?token=querysecret", nil, bearer(tok))
	e.do(t, "PUT", armBase+"/Microsoft.Insights/dataCollectionRules/x?api-version=1", []byte(`{"properties":{"auth":{"password":"bodysecret"}}}`), bearer(tok))
	e.logMu.Lock()
	logs := e.logs.String()
	e.logMu.Unlock()
	if !strings.Contains(logs, `"msg":"http request"`) || !strings.Contains(logs, `"client":"client-1"`) {
		t.Fatalf("request logs missing: %s", logs)
	}
	for _, s := range []string{tok, testSecret, "querysecret", "bodysecret"} {
		if strings.Contains(logs, s) {
			t.Fatalf("logs contain %q", s)
		}
	}
}

func TestOpenIDConfiguration(t *testing.T) {
	e := newEnv(t, nil)
	rec := e.do(t, "GET", "/tenant-x/v2.0/.well-known/openid-configuration", nil, nil)
	var m map[string]any
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &m) != nil || m["token_endpoint"] != "http://example.com/tenant-x/oauth2/v2.0/token" {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

func TestRestrictTime(t *testing.T) {
	used := map[string]schema.Schema{
		"A_CL": {{Name: "TimeGenerated", Type: schema.DateTime}},
		"B":    {{Name: "x", Type: schema.String}},
	}
	s := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	got, err := restrictTime("duckdb", `WITH t1 AS (SELECT 1) SELECT * FROM "A_CL"`, used, s, s.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := `WITH "A_CL" AS (SELECT * FROM main."A_CL" WHERE "TimeGenerated" >= TIMESTAMP '2024-01-01 00:00:00' AND "TimeGenerated" < TIMESTAMP '2024-01-01 01:00:00'), t1 AS (SELECT 1) SELECT * FROM "A_CL"`
	if got != want {
		t.Fatalf("\n got %s\nwant %s", got, want)
	}
	if _, err := restrictTime("clickhouse", "SELECT 1", used, s, s); err == nil {
		t.Fatal("clickhouse accepted")
	}
	if got, _ := restrictTime("duckdb", "SELECT 1", map[string]schema.Schema{"B": used["B"]}, s, s); got != "SELECT 1" {
		t.Fatalf("no TimeGenerated table changed: %s", got)
	}
}

func TestQueryKQL(t *testing.T) {
	e := newEnv(t, nil)
	seedTable(t, e.db)
	hdr := map[string]string{"Authorization": "Bearer " + e.token(t), "Content-Type": "application/json"}
	cases := []struct {
		body   string
		status int
		want   string
	}{
		{`{"query":"Q_CL | where N > 1 | project Name"}`, 200, `"columns":[{"name":"Name","type":"string"}],"rows":[["old"]]`},
		{`{"query":"Q_CL | summarize c = count()","timespan":"PT1H"}`, 200, `"rows":[[1]]`},
		{`{"query":"Q_CL | extend d = Bag.a[1] | project d"}`, 200, `"x"`},
		{`{"query":"Q_CL | where"}`, 400, `line 1`},
		{`{"query":"Q_CL | project Nope"}`, 400, `Nope`},
	}
	for _, tc := range cases {
		rec := e.do(t, "POST", "/v1/workspaces/codeless/query", []byte(tc.body), hdr)
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s: %d %s (want %d containing %s)", tc.body, rec.Code, rec.Body, tc.status, tc.want)
		}
		if tc.status == 400 && decodeEnv(t, rec).Error.Code != "BadArgumentError" {
			t.Errorf("%s: code %s", tc.body, rec.Body)
		}
	}
}

func FuzzParseTimespan(f *testing.F) {
	for _, s := range []string{"PT1H", "P1D", "P1DT2H3M4.5S", "2024-01-01T00:00:00Z/PT1H", "PT1H/2024-01-01", "a/b", "P", "/", "P9999999999999D"} {
		f.Add(s)
	}
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		start, end, err := ParseTimespan(s, now)
		if err == nil && end.Before(start) {
			t.Fatalf("%q: end %v before start %v", s, end, start)
		}
	})
}

// TestWebSessions mounts a UI after New (as serve does) that logs in through
// Sessions; API routes keep precedence over the UI.
func TestWebSessions(t *testing.T) {
	e := newEnv(t, nil)
	ss := e.srv.Sessions()
	web := http.NewServeMux()
	web.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if !ss.Login(w, r, r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, "welcome")
	})
	web.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) { ss.Logout(w, r) })
	web.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if !ss.Authenticated(r) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, "page:"+r.URL.Path)
	})
	e.srv.SetWeb(web)
	ct := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	bad := e.do(t, "POST", "/login", []byte(url.Values{"client_id": {testClient}, "client_secret": {"x"}}.Encode()), ct)
	if bad.Code != 401 || len(bad.Result().Cookies()) != 0 {
		t.Fatalf("bad login: %d", bad.Code)
	}
	rec := e.do(t, "POST", "/login", []byte(url.Values{"client_id": {testClient}, "client_secret": {testSecret}}.Encode()), ct)
	if rec.Body.String() != "welcome" || len(rec.Result().Cookies()) != 1 {
		t.Fatalf("login through UI: %d %s", rec.Code, rec.Body)
	}
	cookie := rec.Result().Cookies()[0]
	for path, want := range map[string]string{"/": "page:/", "/connectors/x": "page:/connectors/x"} {
		req := httptest.NewRequest("GET", path, nil)
		req.AddCookie(cookie)
		out := httptest.NewRecorder()
		e.h.ServeHTTP(out, req)
		if out.Body.String() != want {
			t.Fatalf("%s: %d %s", path, out.Code, out.Body)
		}
	}
	if rec := e.do(t, "GET", "/connectors/x", nil, nil); rec.Code != 401 {
		t.Fatalf("UI page without session: %d", rec.Code)
	}
	// API routes are not shadowed by the UI.
	if rec := e.do(t, "GET", "/healthz", nil, nil); rec.Body.String() != "ok" {
		t.Fatalf("healthz: %s", rec.Body)
	}
	if rec := e.do(t, "GET", "/metrics", nil, nil); rec.Code != 401 {
		t.Fatalf("metrics: %d", rec.Code)
	}
	out := e.do(t, "POST", "/logout", nil, nil)
	if c := out.Result().Cookies(); len(c) != 1 || c[0].MaxAge >= 0 {
		t.Fatalf("logout: %+v", c)
	}
	if AdminClientID("") != DefaultAdminClientID || AdminClientID("ops") != "ops" {
		t.Fatal("AdminClientID")
	}
}

// FuzzARMPath sends arbitrary paths under /subscriptions: the answer is
// always an ARM envelope or a success, never a panic or a 500.
func FuzzARMPath(f *testing.F) {
	for _, p := range []string{
		"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/codeless/providers/Microsoft.Insights/dataCollectionRules/x",
		"/subscriptions/x/resourceGroups/y/providers/Microsoft.OperationalInsights/workspaces/codeless/providers/Microsoft.SecurityInsights/dataConnectors",
		"/subscriptions//resourceGroups//providers/",
		"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/codeless/providers/Microsoft.OperationalInsights/workspaces/codeless",
	} {
		f.Add(p)
	}
	db, err := duckdb.Open("")
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	s, err := New(Config{}, Deps{Store: db, Control: &fakeControl{items: map[string][]byte{}}})
	if err != nil {
		f.Fatal(err)
	}
	tok, _ := s.issueToken("c", time.Now())
	f.Fuzz(func(t *testing.T, p string) {
		u := &url.URL{Path: "/subscriptions/" + p, RawQuery: "api-version=1"}
		req := httptest.NewRequest("GET", "/", nil)
		req.URL = u
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%q: %d %s", p, rec.Code, rec.Body)
		}
	})
}
