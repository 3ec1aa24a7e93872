package e2e

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecurity checks SPEC §3's rules on a running server: only /healthz
// answers without a token; secrets are encrypted at rest, redacted in GET
// responses and never logged.
func TestSecurity(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, data, "--log-level", "debug")

	resp, err := http.Get(s.base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/healthz without a token: %v %v", err, resp)
	}
	resp.Body.Close()

	routes := []struct{ method, path string }{
		{"GET", wsBase + "/tables" + api},
		{"PUT", wsBase + "/tables/X_CL" + api},
		{"GET", armBase + "/Microsoft.Insights/dataCollectionRules" + api},
		{"PUT", armBase + "/Microsoft.Insights/dataCollectionRules/x" + api},
		{"DELETE", armBase + "/Microsoft.Insights/dataCollectionRules/x" + api},
		{"GET", wsBase + "/providers/Microsoft.SecurityInsights/dataConnectors" + api},
		{"PUT", wsBase + "/providers/Microsoft.SecurityInsights/dataConnectors/x" + api},
		{"GET", wsBase + "/providers/Microsoft.SecurityInsights/dataConnectorDefinitions" + api},
		{"PUT", armBase + "/Microsoft.Resources/deployments/x?api-version=2021-04-01"},
		{"POST", "/dataCollectionRules/dcr-00000000000000000000000000000000/streams/Custom-X?api-version=2023-01-01"},
		{"POST", "/v1/workspaces/codeless/query"},
		{"GET", "/metrics"},
		{"GET", "/api/v1/status"},
	}
	for _, r := range routes {
		for _, tok := range []string{"", "not-a-valid-token"} {
			st, body := s.call(r.method, r.path, tok, map[string]any{})
			if st != http.StatusUnauthorized {
				t.Errorf("%s %s with token %q: status %d, want 401: %s", r.method, r.path, tok, st, body)
			}
		}
	}

	tok := s.token()
	dcrID := deployE2E(t, s, tok)
	const password = "pa55-W0rd-that-must-never-leak"
	conn := basicConnection("secretconn", "http://127.0.0.1:9", dcrID, "user1", password)
	path := wsBase + "/providers/Microsoft.SecurityInsights/dataConnectors/secretconn" + api
	st, body := s.call("PUT", path, tok, conn)
	if st/100 != 2 {
		t.Fatalf("PUT connection: %d %s", st, body)
	}
	if bytes.Contains(body, []byte(password)) {
		t.Fatalf("PUT response echoes the password: %s", body)
	}
	st, body = s.call("GET", path, tok, nil)
	if st != 200 || bytes.Contains(body, []byte(password)) || !bytes.Contains(body, []byte("user1")) {
		t.Fatalf("GET connection: %d %s", st, body)
	}
	st, body = s.call("GET", wsBase+"/providers/Microsoft.SecurityInsights/dataConnectors"+api, tok, nil)
	if st != 200 || bytes.Contains(body, []byte(password)) || !bytes.Contains(body, []byte("secretconn")) {
		t.Fatalf("list connections: %d %s", st, body)
	}

	s.stop()
	if strings.Contains(s.out.String(), password) {
		t.Fatalf("the server log contains the password")
	}
	err = filepath.Walk(data, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(password)) {
			t.Errorf("%s holds the password in plain text", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
