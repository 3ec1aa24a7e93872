package engine

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/codeless/codeless/internal/corpustest"
	"github.com/codeless/codeless/internal/ingest"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/secrets"
	"github.com/codeless/codeless/internal/store/duckdb"
)

var update = flag.Bool("update", false, "rewrite golden files")

// connectInputs are the connector-page inputs given to each corpus
// solution's Connect (fake values, chosen by hand).
var connectInputs = map[string]map[string]any{
	"Quokka":      {"organizationId": "org-1234", "apiKey": "quokka-secret-key"},
	"VersasecCMS": {"managementUrl": "https://cms.example.test", "apiBasePath": "/api/v1", "apiToken": "vsec-token", "pollingInterval": "10"},
	"meshStack":   {"ApiUrl": "https://federation.mesh.example.test", "ClientId": "mesh-client", "ClientSecret": "mesh-secret"},
}

var (
	etagRE = regexp.MustCompile(`"etag":"[0-9a-f-]{36}"`)
	dcrRE  = regexp.MustCompile(`dcr-[0-9a-f]{32}`)
)

// TestCorpusSolutionsConnect installs each real solution, connects it twice
// (two connections: the multi-connection pattern, names made unique by
// guidValue) with fake inputs, compares the resolved connection resources
// with a golden file per solution (reviewed by hand: every [[...]]
// expression resolved as Azure resolves it at connect time), then deletes one
// connection by name.
func TestCorpusSolutionsConnect(t *testing.T) {
	root := corpustest.Dir(t)
	for sol, inputs := range connectInputs {
		t.Run(sol, func(t *testing.T) {
			st, err := duckdb.Open("")
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			keys, _ := secrets.LoadOrCreateKey(t.TempDir())
			n := 0
			e := New(Config{Subscription: "00000000-0000-0000-0000-000000000000", ResourceGroup: "rg", Workspace: "ws",
				IngestURL: "https://codeless.example.test", Logger: slog.New(slog.DiscardHandler),
				NewGUID: func() string { n++; return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }},
				st, ingest.New(st, ingest.Options{Logger: slog.New(slog.DiscardHandler)}), keys)
			raw, err := os.ReadFile(filepath.Join(root, sol, "mainTemplate.json"))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if _, err := e.DeployTemplate(ctx, "solution", raw, map[string]any{"workspace": "ws", "workspace-location": "local"}); err != nil {
				t.Fatal(err)
			}
			defs, _ := e.Definitions(ctx)
			if len(defs) != 1 {
				t.Fatalf("definitions: %d", len(defs))
			}
			first, err := e.Connect(ctx, defs[0].Name, inputs)
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			second, err := e.Connect(ctx, defs[0].Name, inputs)
			if err != nil {
				t.Fatalf("second connect: %v", err)
			}
			if len(second) != len(first) || second[0] == first[0] {
				t.Fatalf("the second connect must add connections with new names: %v then %v", first, second)
			}
			list, err := e.ListResources(ctx, resource.KindConnection)
			if err != nil || len(list) != 2*len(first) {
				t.Fatalf("connections: %v %d", err, len(list))
			}
			var golden []byte
			for _, name := range first {
				c, err := e.GetResource(ctx, resource.KindConnection, name)
				if err != nil {
					t.Fatal(err)
				}
				c = etagRE.ReplaceAll(c, []byte(`"etag":"ETAG"`))
				c = dcrRE.ReplaceAll(c, []byte(`dcr-IMMUTABLEID`))
				golden = append(append(golden, c...), '\n')
			}
			path := filepath.Join("testdata", "solutions", sol+".golden.json")
			if *update {
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, golden, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update once and review the file)", err)
			}
			if string(want) != string(golden) {
				t.Fatalf("resolved connections differ from %s:\n got %s\nwant %s", path, golden, want)
			}
			deleted, err := e.DisconnectName(ctx, second[0])
			if err != nil || len(deleted) != 1 {
				t.Fatalf("deleting one connection: %v %v", deleted, err)
			}
			if list, _ := e.ListResources(ctx, resource.KindConnection); len(list) != 2*len(first)-1 {
				t.Fatalf("after deleting one: %d connections", len(list))
			}
		})
	}
}
