package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/resource"
)

type fakeBackend struct {
	connected map[string]bool
	params    map[string]any
}

func (f *fakeBackend) Definitions(context.Context) ([]*resource.ConnectorDefinition, error) {
	d := &resource.ConnectorDefinition{UI: resource.ConnectorUIConfig{
		Title: "Acme <Logs>", Publisher: "Acme", GraphQueriesTableName: "Acme_CL",
		DataTypes: []resource.DataType{{Name: "{{graphQueriesTableName}}", LastDataReceivedQuery: "{{graphQueriesTableName}} | summarize Time = max(TimeGenerated)"}},
		InstructionSteps: []resource.InstructionStep{{Instructions: []resource.Instruction{
			{Type: "Textbox", Parameters: map[string]any{"name": "apiKey", "label": "API key", "type": "password"}},
			{Type: "ContextPane", Parameters: map[string]any{"instructionSteps": []any{map[string]any{"instructions": []any{
				map[string]any{"type": "Textbox", "parameters": map[string]any{"name": "tenant", "label": "Tenant"}}}}}}},
		}}},
	}}
	d.Name = "AcmeDef"
	return []*resource.ConnectorDefinition{d}, nil
}
func (f *fakeBackend) ConnectionsOf(def string) []string {
	if f.connected[def] {
		return []string{"conn1"}
	}
	return nil
}
func (f *fakeBackend) LastErrorOf(string) string { return "" }
func (f *fakeBackend) LastReceived(_ context.Context, q string) (time.Time, error) {
	if q != "Acme_CL | summarize Time = max(TimeGenerated)" {
		return time.Time{}, nil
	}
	return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), nil
}
func (f *fakeBackend) Connect(_ context.Context, def string, p map[string]any) ([]string, error) {
	f.params, f.connected[def] = p, true
	return []string{"conn1"}, nil
}
func (f *fakeBackend) DisconnectName(_ context.Context, n string) ([]string, error) {
	return []string{n}, nil
}
func (f *fakeBackend) Disconnect(_ context.Context, def string) error {
	f.connected[def] = false
	return nil
}
func (f *fakeBackend) Status() any { return []string{"ok"} }

type fakeSessions struct{}

func (fakeSessions) Authenticated(r *http.Request) bool {
	c, err := r.Cookie("s")
	return err == nil && c.Value == "good"
}
func (fakeSessions) Login(w http.ResponseWriter, _ *http.Request, id, secret string) bool {
	if id == "admin" && secret == "pw" {
		http.SetCookie(w, &http.Cookie{Name: "s", Value: "good", Path: "/"})
		return true
	}
	return false
}
func (fakeSessions) Logout(w http.ResponseWriter, _ *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: "s", Value: "", Path: "/", MaxAge: -1})
}

func do(t *testing.T, h http.Handler, method, path string, form url.Values, authed bool) *http.Response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, path, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if authed {
		r.AddCookie(&http.Cookie{Name: "s", Value: "good"})
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func text(r *http.Response) string { b, _ := io.ReadAll(r.Body); return string(b) }

func TestUI(t *testing.T) {
	b := &fakeBackend{connected: map[string]bool{}}
	u, err := New(b, fakeSessions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := do(t, u, "GET", "/", nil, false); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login?next=%2F" {
		t.Fatalf("unauthenticated gallery: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if r := do(t, u, "GET", "/api/v1/status", nil, false); r.StatusCode != 401 {
		t.Fatalf("unauthenticated status API: %d", r.StatusCode)
	}
	r := do(t, u, "POST", "/login", url.Values{"client_id": {"admin"}, "client_secret": {"nope"}}, false)
	if r.StatusCode != 401 || !strings.Contains(text(r), "wrong secret") {
		t.Fatalf("bad login: %d", r.StatusCode)
	}
	r = do(t, u, "POST", "/login", url.Values{"client_id": {"admin"}, "client_secret": {"pw"}, "next": {"//evil.example/"}}, false)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		t.Fatalf("login must not redirect off-site: %d %s", r.StatusCode, r.Header.Get("Location"))
	}

	page := text(do(t, u, "GET", "/", nil, true))
	for _, want := range []string{"Acme &lt;Logs&gt;", "Not connected", "Acme_CL", "2026-01-02 03:04:05Z"} {
		if !strings.Contains(page, want) {
			t.Errorf("gallery lacks %q:\n%s", want, page)
		}
	}
	page = text(do(t, u, "GET", "/connectors/AcmeDef", nil, true))
	if !strings.Contains(page, `name="apiKey" type="password"`) || !strings.Contains(page, `name="tenant"`) {
		t.Fatalf("connect form lacks the inputs (incl. the ContextPane one):\n%s", page)
	}
	r = do(t, u, "POST", "/connectors/AcmeDef/connect", url.Values{"apiKey": {"k"}, "tenant": {"t1"}, "injected": {"x"}}, true)
	if r.StatusCode != http.StatusSeeOther || len(b.params) != 2 || b.params["apiKey"] != "k" || b.params["tenant"] != "t1" {
		t.Fatalf("connect: %d params %v", r.StatusCode, b.params)
	}
	if page := text(do(t, u, "GET", "/", nil, true)); !strings.Contains(page, `<span class="status connected">Connected</span>`) {
		t.Fatalf("gallery after connect:\n%s", page)
	}
	if r := do(t, u, "GET", "/connectors/Nope", nil, true); r.StatusCode != 404 {
		t.Fatalf("unknown connector: %d", r.StatusCode)
	}
}
