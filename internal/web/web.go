package web

import (
	"context"
	"embed"
	"encoding/json"
	"html/template"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/codeless/codeless/internal/apierr"
	"github.com/codeless/codeless/internal/resource"
)

//go:embed templates/*.html
var templatesFS embed.FS

// Connector is one gallery entry.
type Connector struct {
	Name        string
	Title       string
	Publisher   string
	Description string
	Logo        string
	Connected   bool
	Connections []string
	DataTypes   []DataTypeStatus
	Inputs      []Input
	LastError   string
}

// DataTypeStatus is a data type with the time its last row arrived.
type DataTypeStatus struct {
	Name         string
	LastReceived time.Time
	Error        string
}

// Input is a connect-form field (a Textbox or Dropdown of the definition).
type Input struct {
	Name, Label, Placeholder, Type string
}

// Backend is what the UI needs from the runtime.
type Backend interface {
	Definitions(ctx context.Context) ([]*resource.ConnectorDefinition, error)
	ConnectionsOf(definition string) []string
	LastErrorOf(definition string) string
	LastReceived(ctx context.Context, query string) (time.Time, error)
	Connect(ctx context.Context, definition string, params map[string]any) ([]string, error)
	Disconnect(ctx context.Context, definition string) error
	// DisconnectName deletes a definition's connections, or one connection
	// when name is a connection's name; it returns what it deleted.
	DisconnectName(ctx context.Context, name string) ([]string, error)
	// Status is the polling status of every connection, as JSON-able data.
	Status() any
}

// Sessions authenticates browser users.
type Sessions interface {
	// Authenticated reports whether the request carries a valid session
	// (or bearer token).
	Authenticated(r *http.Request) bool
	// Login checks client credentials and sets a session cookie.
	Login(w http.ResponseWriter, r *http.Request, clientID, clientSecret string) bool
	// Logout clears the session.
	Logout(w http.ResponseWriter, r *http.Request)
}

// UI is the web UI handler.
type UI struct {
	b    Backend
	s    Sessions
	log  *slog.Logger
	tmpl *template.Template
	mux  *http.ServeMux
}

// New builds the UI.
func New(b Backend, s Sessions, log *slog.Logger) (*UI, error) {
	if log == nil {
		log = slog.Default()
	}
	t, err := template.New("").Funcs(template.FuncMap{
		"ago": func(t time.Time) string {
			if t.IsZero() {
				return "never"
			}
			return t.UTC().Format("2006-01-02 15:04:05Z")
		},
	}).ParseFS(templatesFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	u := &UI{b: b, s: s, log: log.With("component", "web"), tmpl: t, mux: http.NewServeMux()}
	u.mux.HandleFunc("GET /login", u.loginPage)
	u.mux.HandleFunc("POST /login", u.login)
	u.mux.HandleFunc("POST /logout", u.logout)
	u.mux.HandleFunc("GET /{$}", u.auth(u.gallery))
	u.mux.HandleFunc("GET /connectors/{name}", u.auth(u.connector))
	u.mux.HandleFunc("POST /connectors/{name}/connect", u.auth(u.connect))
	u.mux.HandleFunc("POST /connectors/{name}/disconnect", u.auth(u.disconnect))
	u.mux.HandleFunc("GET /api/v1/status", u.apiAuth(u.status))
	u.mux.HandleFunc("POST /api/v1/connectors/{name}/connect", u.apiAuth(u.apiConnect))
	u.mux.HandleFunc("POST /api/v1/disconnect/{name}", u.apiAuth(u.apiDisconnect))
	return u, nil
}

func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) { u.mux.ServeHTTP(w, r) }

func (u *UI) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !u.s.Authenticated(r) {
			http.Redirect(w, r, "/login?next="+template.URLQueryEscaper(r.URL.Path), http.StatusSeeOther)
			return
		}
		h(w, r)
	}
}

// apiAuth answers 401 with an ARM error body instead of redirecting.
func (u *UI) apiAuth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !u.s.Authenticated(r) {
			w.Header().Set("WWW-Authenticate", "Bearer")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":{"code":"AuthenticationFailed","message":"a valid bearer token or session is required"}}`))
			return
		}
		h(w, r)
	}
}

func (u *UI) status(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"connections": u.b.Status()})
}

// apiConnect is the Connect button as JSON: {"parameters":{name:value}} →
// {"connections":[names]}.
func (u *UI) apiConnect(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Parameters map[string]any `json:"parameters"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	if err := dec.Decode(&body); err != nil {
		apierr.Write(w, apierr.BadRequest("InvalidRequestContent", "parameters", "the body must be {\"parameters\":{...}}: %v", err))
		return
	}
	names, err := u.b.Connect(r.Context(), r.PathValue("name"), body.Parameters)
	if err != nil {
		apierr.Write(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"connections": names})
}

func (u *UI) apiDisconnect(w http.ResponseWriter, r *http.Request) {
	names, err := u.b.DisconnectName(r.Context(), r.PathValue("name"))
	if err != nil {
		apierr.Write(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"deleted": names})
}

func (u *UI) render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:")
	if err := u.tmpl.ExecuteTemplate(w, name, data); err != nil {
		u.log.Error("rendering page", "page", name, "err", err)
	}
}

func (u *UI) loginPage(w http.ResponseWriter, r *http.Request) {
	u.render(w, "login.html", map[string]any{"Next": safeNext(r.URL.Query().Get("next")), "Failed": false})
}

func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	if !u.s.Login(w, r, r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")) {
		w.WriteHeader(http.StatusUnauthorized)
		u.render(w, "login.html", map[string]any{"Next": next, "Failed": true})
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (u *UI) logout(w http.ResponseWriter, r *http.Request) {
	u.s.Logout(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// safeNext keeps redirects on this site.
func safeNext(p string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return "/"
	}
	return p
}

func (u *UI) gallery(w http.ResponseWriter, r *http.Request) {
	cs, err := u.connectors(r.Context())
	if err != nil {
		u.log.Error("listing connectors", "err", err)
		http.Error(w, "could not list connectors; see the server log", http.StatusInternalServerError)
		return
	}
	u.render(w, "gallery.html", map[string]any{"Connectors": cs})
}

func (u *UI) connectors(ctx context.Context) ([]Connector, error) {
	defs, err := u.b.Definitions(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Connector, 0, len(defs))
	for _, d := range defs {
		out = append(out, u.describe(ctx, d))
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Title) < strings.ToLower(out[j].Title) })
	return out, nil
}

func (u *UI) describe(ctx context.Context, d *resource.ConnectorDefinition) Connector {
	ui := d.UI
	c := Connector{Name: d.Name, Title: ui.Title, Publisher: ui.Publisher, Description: ui.DescriptionMarkdown, Logo: ui.Logo}
	if c.Title == "" {
		c.Title = d.Name
	}
	c.Connections = u.b.ConnectionsOf(d.Name)
	c.Connected = len(c.Connections) > 0
	c.LastError = u.b.LastErrorOf(d.Name)
	for _, dt := range ui.DataTypes {
		name := strings.ReplaceAll(dt.Name, "{{graphQueriesTableName}}", ui.GraphQueriesTableName)
		q := strings.ReplaceAll(dt.LastDataReceivedQuery, "{{graphQueriesTableName}}", ui.GraphQueriesTableName)
		st := DataTypeStatus{Name: name}
		if q != "" {
			t, err := u.b.LastReceived(ctx, q)
			if err != nil {
				st.Error = err.Error()
			}
			st.LastReceived = t
		}
		c.DataTypes = append(c.DataTypes, st)
	}
	c.Inputs = inputs(ui.InstructionSteps)
	return c
}

// inputs collects the connect-form fields of instruction steps (Textbox,
// Dropdown, OAuthForm, and those inside ContextPane/InstructionStepsGroup).
func inputs(steps []resource.InstructionStep) []Input {
	var out []Input
	var walk func([]resource.InstructionStep)
	walk = func(steps []resource.InstructionStep) {
		for _, s := range steps {
			for _, in := range s.Instructions {
				p := in.Parameters
				str := func(k string) string { v, _ := p[k].(string); return v }
				switch strings.ToLower(in.Type) {
				case "textbox", "dropdown":
					typ := str("type")
					if typ == "" {
						typ = "text"
					}
					out = append(out, Input{Name: str("name"), Label: str("label"), Placeholder: str("placeholder"), Type: typ})
				case "oauthform":
					out = append(out,
						Input{Name: "ClientId", Label: "Client ID", Type: "text"},
						Input{Name: "ClientSecret", Label: "Client secret", Type: "password"},
						Input{Name: "AuthorizationCode", Label: "Authorization code", Type: "password"})
				}
				if nested, ok := p["instructionSteps"].([]any); ok {
					walk(decodeSteps(nested))
				}
			}
			walk(s.InnerSteps)
		}
	}
	walk(steps)
	return out
}

func decodeSteps(raw []any) []resource.InstructionStep {
	var out []resource.InstructionStep
	for _, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		var s resource.InstructionStep
		if ins, ok := m["instructions"].([]any); ok {
			for _, i := range ins {
				im, ok := i.(map[string]any)
				if !ok {
					continue
				}
				t, _ := im["type"].(string)
				p, _ := im["parameters"].(map[string]any)
				s.Instructions = append(s.Instructions, resource.Instruction{Type: t, Parameters: p})
			}
		}
		out = append(out, s)
	}
	return out
}

func (u *UI) find(ctx context.Context, name string) (*resource.ConnectorDefinition, error) {
	defs, err := u.b.Definitions(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range defs {
		if d.Name == name {
			return d, nil
		}
	}
	return nil, nil
}

func (u *UI) connector(w http.ResponseWriter, r *http.Request) {
	d, err := u.find(r.Context(), r.PathValue("name"))
	if err != nil || d == nil {
		http.NotFound(w, r)
		return
	}
	u.render(w, "connector.html", map[string]any{"C": u.describe(r.Context(), d), "Message": r.URL.Query().Get("msg")})
}

func (u *UI) connect(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	d, err := u.find(r.Context(), name)
	if err != nil || d == nil {
		http.NotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	params := map[string]any{}
	for _, in := range inputs(d.UI.InstructionSteps) {
		if v := r.PostForm.Get(in.Name); v != "" {
			params[in.Name] = v
		}
	}
	msg := "Connected."
	if _, err := u.b.Connect(r.Context(), name, params); err != nil {
		msg = "Connect failed: " + err.Error()
	}
	http.Redirect(w, r, "/connectors/"+template.URLQueryEscaper(name)+"?msg="+template.URLQueryEscaper(msg), http.StatusSeeOther)
}

func (u *UI) disconnect(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	msg := "Disconnected; tables and data are kept."
	if err := u.b.Disconnect(r.Context(), name); err != nil {
		msg = "Disconnect failed: " + err.Error()
	}
	http.Redirect(w, r, "/connectors/"+template.URLQueryEscaper(name)+"?msg="+template.URLQueryEscaper(msg), http.StatusSeeOther)
}
