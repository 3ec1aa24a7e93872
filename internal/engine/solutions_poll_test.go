package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/corpustest"
	"github.com/codeless/codeless/internal/ingest"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/schema"
	"github.com/codeless/codeless/internal/secrets"
	"github.com/codeless/codeless/internal/store/duckdb"
)

// seenRequest is one request the simulated source received.
type seenRequest struct {
	host, method, path string
	header             http.Header
	body               string
}

// wrapAt nests events where eventsJsonPath finds them (corpustest.WrapEvents),
// with the paging fields the corpus solutions read set to "one page" on
// every object reply.
func wrapAt(path string, events []any) any {
	v := corpustest.WrapEvents(path, events)
	if m, ok := v.(map[string]any); ok {
		m["maxCount"] = len(events)
		m["page"] = map[string]any{"totalPages": 1, "number": 0, "totalElements": len(events)}
	}
	return v
}

// TestCorpusSolutionsPoll installs each real solution, connects it with the
// fake inputs of TestCorpusSolutionsConnect and lets its pollers run
// against a loopback source that answers every host: each connection must
// send its configured auth (API key header with its identifier, or an
// OAuth2 client-credentials token then the bearer), poll a window without
// error, and land its event in the solution's tables.
func TestCorpusSolutionsPoll(t *testing.T) {
	root := corpustest.Dir(t)
	for sol, inputs := range connectInputs {
		t.Run(sol, func(t *testing.T) {
			now := time.Now().UTC()
			var mu sync.Mutex
			var seen []seenRequest
			var events []any // set once the DCR is deployed
			src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				seen = append(seen, seenRequest{r.Header.Get("X-Original-Host"), r.Method, r.URL.Path, r.Header.Clone(), string(b)})
				evs := events
				mu.Unlock()
				w.Header().Set("Content-Type", "application/json")
				if strings.Contains(string(b), "grant_type=") {
					fmt.Fprint(w, `{"access_token":"minted-token","token_type":"Bearer","expires_in":3600}`)
					return
				}
				paths := map[string]string{"Quokka": "$", "VersasecCMS": "$.rows", "meshStack": "$._embedded.meshEventLogs[*]"}
				if strings.Contains(r.URL.RawQuery, "page=1") || strings.Contains(string(b), `"resultPosition": 100`) {
					evs = nil // one page per window
				}
				json.NewEncoder(w).Encode(wrapAt(paths[sol], evs))
			}))
			defer src.Close()
			target, _ := url.Parse(src.URL)

			st, err := duckdb.Open("")
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			keys, _ := secrets.LoadOrCreateKey(t.TempDir())
			e := New(Config{Subscription: "00000000-0000-0000-0000-000000000000", ResourceGroup: "rg", Workspace: "ws",
				IngestURL: "https://codeless.example.test", Logger: slog.New(slog.DiscardHandler),
				HTTP: &http.Client{Transport: corpustest.Redirect{Target: target}}},
				st, ingest.New(st, ingest.Options{Logger: slog.New(slog.DiscardHandler)}), keys)
			ctx, cancel := context.WithCancel(context.Background())
			defer func() { cancel(); e.Wait() }()
			if err := e.Start(ctx); err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(filepath.Join(root, sol, "mainTemplate.json"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.DeployTemplate(ctx, "solution", raw, map[string]any{"workspace": "ws", "workspace-location": "local"}); err != nil {
				t.Fatal(err)
			}
			// The source serves one event per stream column set of the
			// solution's DCR; tables are the DCR's output streams.
			dcrs, err := e.ListResources(ctx, resource.KindDataCollectionRule)
			if err != nil || len(dcrs) == 0 {
				t.Fatalf("DCRs: %v %d", err, len(dcrs))
			}
			tables := map[string]bool{}
			var cols schema.Schema
			for _, b := range dcrs {
				d, err := resource.DecodeDCR(b)
				if err != nil {
					t.Fatal(err)
				}
				for _, sd := range d.StreamDeclarations {
					cols = append(cols, sd.Columns...)
				}
				for _, f := range d.DataFlows {
					if name, ok := strings.CutPrefix(f.OutputStream, "Custom-"); ok {
						tables[name] = true
					}
				}
			}
			mu.Lock()
			events = []any{corpustest.SampleEvent(cols, now)}
			mu.Unlock()

			defs, _ := e.Definitions(ctx)
			names, err := e.Connect(ctx, defs[0].Name, inputs)
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			polled := func() (done bool, why string) {
				st := map[string]Status{}
				for _, s := range e.Statuses() {
					st[s.Name] = s
				}
				for _, n := range names {
					s := st[n]
					if s.LastError != "" {
						return false, fmt.Sprintf("%s: %s (%s)", n, s.LastError, s.LastErrorClass)
					}
					if s.Windows < 1 || s.Events < 1 {
						return false, fmt.Sprintf("%s: %d windows, %d events", n, s.Windows, s.Events)
					}
				}
				return true, ""
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				ok, why := polled()
				if ok {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("connections did not poll a window with events within 30 s: %s", why)
				}
				time.Sleep(50 * time.Millisecond)
			}

			// Each connection's requests carry its auth.
			mu.Lock()
			reqs := append([]seenRequest(nil), seen...)
			mu.Unlock()
			for _, n := range names {
				body, err := e.GetResource(ctx, resource.KindConnection, n)
				if err != nil {
					t.Fatal(err)
				}
				var c struct {
					Properties struct {
						Auth    map[string]any `json:"auth"`
						Request map[string]any `json:"request"`
					} `json:"properties"`
				}
				json.Unmarshal(body, &c)
				ep, _ := url.Parse(fmt.Sprint(lookup(c.Properties.Request, "apiEndpoint")))
				var header, want string
				switch typ := fmt.Sprint(lookup(c.Properties.Auth, "type")); typ {
				case "APIKey":
					header = fmt.Sprint(lookup(c.Properties.Auth, "ApiKeyName"))
					want = fmt.Sprint(inputs[map[string]string{"Quokka": "apiKey", "VersasecCMS": "apiToken"}[sol]])
					if id := lookup(c.Properties.Auth, "ApiKeyIdentifier"); id != nil {
						want = fmt.Sprint(id) + " " + want
					}
				case "OAuth2":
					header, want = "Authorization", "Bearer minted-token"
					tokenSeen := false
					for _, r := range reqs {
						if strings.Contains(r.body, "grant_type=client_credentials") && strings.Contains(r.body, "mesh-client") {
							tokenSeen = true
						}
					}
					if !tokenSeen {
						t.Errorf("%s: no client-credentials token request with its client id", n)
					}
				default:
					t.Fatalf("%s: auth type %q not covered by this test", n, typ)
				}
				got := 0
				for _, r := range reqs {
					if r.host == ep.Host && r.path == ep.Path {
						got++
						if v := r.header.Get(header); v != want {
							t.Errorf("%s: request to %s%s has %s = %q, want %q", n, r.host, r.path, header, v, want)
						}
					}
				}
				if got == 0 {
					t.Errorf("%s: no request reached %s%s", n, ep.Host, ep.Path)
				}
			}
			rows := 0
			for tbl := range tables {
				res, err := e.Query(ctx, tbl+" | count")
				if err != nil {
					t.Fatalf("query %s: %v", tbl, err)
				}
				var n int64
				fmt.Sscan(fmt.Sprint(res.Rows[0][0]), &n)
				rows += int(n)
			}
			if rows < len(names) {
				t.Errorf("tables %v hold %d rows after %d connections polled one event each", tables, rows, len(names))
			}
		})
	}
}

// lookup reads a key of a decoded JSON object case-insensitively (CCF keys
// come in any casing).
func lookup(m map[string]any, key string) any {
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}
