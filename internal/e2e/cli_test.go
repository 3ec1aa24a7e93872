package e2e

import (
	"net/http/httptest"
	"time"

	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/mockapi"
)

// TestCLIAgainstServer drives a running server with the client commands:
// deploy a solution package, then query and status.
func TestCLIAgainstServer(t *testing.T) {
	s := startServer(t, t.TempDir())
	cli := func(args ...string) (string, error) {
		cmd := exec.Command(binPath, append(args, "--server", s.base)...)
		cmd.Env = append(os.Environ(), "CODELESS_CLIENT_ID="+adminID, "CODELESS_CLIENT_SECRET="+adminSecret)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	tmpl := filepath.Join("..", "demo", "solution", "mainTemplate.json")
	out, err := cli("deploy", tmpl, "--name", "example")
	if err != nil {
		t.Fatalf("deploy: %v\n%s", err, out)
	}
	mustContain(t, out, `"provisioningState": "Succeeded"`)
	mustContain(t, out, "dataCollectionRules/ExampleConnectorDCR")

	out, err = cli("query", "ExampleConnectorAlerts_CL | summarize count()", "--format", "csv")
	if err != nil || strings.TrimSpace(out) != "count_\n0" {
		t.Fatalf("query: %v\n%q", err, out)
	}
	out, err = cli("query", "NoSuchTable | take 1")
	if err == nil || !strings.Contains(out, "NoSuchTable") {
		t.Fatalf("query of an unknown table must fail naming it: %v\n%s", err, out)
	}
	out, err = cli("status")
	if err != nil || !strings.Contains(out, `"connections": []`) {
		t.Fatalf("status: %v\n%s", err, out)
	}

	// Connect the deployed connector to a mock source, as the Connect button does.
	mock := mockapi.New(mockapi.Config{Origin: time.Now().UTC().Add(-time.Hour), EventsPerMinute: 60, PageSize: 7,
		Path: "/example/events", Auth: mockapi.Auth{Type: "Basic", UserName: "bob", Password: "connect-pw-123"}})
	src := httptest.NewServer(mock)
	defer src.Close()
	out, err = cli("connect", "ExampleConnectorDefinition", "--param", "apiBaseUrl="+src.URL, "--param", "username=bob", "--param", "password=connect-pw-123", "--param", "nosuch=1")
	if err == nil || !strings.Contains(out, "nosuch") {
		t.Fatalf("connect with an undeclared input must fail naming it: %v\n%s", err, out)
	}
	out, err = cli("connect", "ExampleConnectorDefinition", "--param", "apiBaseUrl="+src.URL, "--param", "username=bob", "--param", "password=connect-pw-123")
	if err != nil || strings.TrimSpace(out) != "ExampleConnectorPolling" {
		t.Fatalf("connect: %v\n%s", err, out)
	}
	tok := s.token()
	eventually(t, 60*time.Second, "rows from the connected source", func() bool { return s.count(tok, "ExampleConnectorAlerts_CL") > 0 })
	out, err = cli("status")
	if err != nil || !strings.Contains(out, `"name": "ExampleConnectorPolling"`) {
		t.Fatalf("status after connect: %v\n%s", err, out)
	}
	out, err = cli("disconnect", "ExampleConnectorDefinition")
	if err != nil || !strings.Contains(out, "deleted ExampleConnectorPolling") {
		t.Fatalf("disconnect: %v\n%s", err, out)
	}
	if n := s.count(tok, "ExampleConnectorAlerts_CL"); n <= 0 {
		t.Fatalf("disconnect lost the data: %d rows", n)
	}
	if out, err = cli("disconnect", "ExampleConnectorDefinition"); err == nil || !strings.Contains(out, "NotFound") {
		t.Fatalf("second disconnect: %v\n%s", err, out)
	}
	// A template error comes back as an ARM error with its path; exit != 0.
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"resources":[{"type":"Microsoft.Insights/dataCollectionRules","name":"[concat('a', nosuchfunction())]"}]}`), 0o600)
	out, err = cli("deploy", bad)
	if err == nil || !strings.Contains(out, "InvalidTemplate") || !strings.Contains(out, "resources[0]") {
		t.Fatalf("bad template: %v\n%s", err, out)
	}
	// Without credentials the client says how to get them.
	cmd := exec.Command(binPath, "status", "--server", s.base)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out2, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out2), "CODELESS_CLIENT_ID") {
		t.Fatalf("status without credentials: %v %s", err, out2)
	}
}
