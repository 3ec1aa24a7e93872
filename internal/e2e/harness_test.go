package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "codeless-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "codeless")
	build := exec.Command("go", "build", "-o", binPath, "github.com/codeless/codeless/cmd/codeless")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building codeless:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	adminID     = "e2e-admin"
	adminSecret = "e2e-admin-secret-0123456789"
)

// server is one running `codeless serve` child process.
type server struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string
	out  *syncBuffer
	done chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listenRE = regexp.MustCompile(`listening on (https?://[0-9.:]+)`)

// startServer runs `codeless serve --listen 127.0.0.1:0 --data DIR args...`
// and waits until it prints its address.
func startServer(t *testing.T, data string, args ...string) *server {
	t.Helper()
	cmd := exec.Command(binPath, append([]string{"serve", "--listen", "127.0.0.1:0", "--data", data}, args...)...)
	cmd.Env = append(os.Environ(), "CODELESS_ADMIN_CLIENT_ID="+adminID, "CODELESS_ADMIN_CLIENT_SECRET="+adminSecret)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, cmd: cmd, out: logs, done: make(chan struct{})}
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			logs.Write([]byte(sc.Text() + "\n"))
			select {
			case lines <- sc.Text():
			default:
			}
		}
		close(lines)
	}()
	go func() { _ = cmd.Wait(); close(s.done) }()
	deadline := time.After(60 * time.Second)
	for s.base == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("codeless serve exited before listening:\n%s", logs.String())
			}
			if m := listenRE.FindStringSubmatch(l); m != nil {
				s.base = m[1]
			}
		case <-deadline:
			s.kill()
			t.Fatalf("codeless serve did not start within 60s:\n%s", logs.String())
		}
	}
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("server output:\n%s", logs.String())
		}
	})
	return s
}

// kill sends SIGKILL and waits for the process to end.
func (s *server) kill() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

// stop asks the server to shut down cleanly (SIGINT), then kills it.
func (s *server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		s.kill()
	}
}

// token gets a bearer token with the admin client.
func (s *server) token() string {
	s.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {adminID}, "client_secret": {adminSecret}, "scope": {"codeless/.default"}}
	resp, err := http.PostForm(s.base+"/common/oauth2/v2.0/token", form)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   any    `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 || tok.AccessToken == "" {
		s.t.Fatalf("token: HTTP %d %v %+v", resp.StatusCode, err, tok)
	}
	if tok.TokenType != "Bearer" {
		s.t.Fatalf("token_type = %q, want Bearer", tok.TokenType)
	}
	return tok.AccessToken
}

// call sends a request with the token and returns status and body.
func (s *server) call(method, path, token string, body any) (int, []byte) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

type queryResult struct {
	Tables []struct {
		Name    string `json:"name"`
		Columns []struct {
			Name string `json:"name"`
			Type string `json:"type"`
		} `json:"columns"`
		Rows [][]any `json:"rows"`
	} `json:"tables"`
}

// query runs KQL through the query API.
func (s *server) query(token, kql string) (queryResult, int, string) {
	s.t.Helper()
	status, body := s.call("POST", "/v1/workspaces/codeless/query", token, map[string]any{"query": kql})
	var r queryResult
	if status == 200 {
		if err := json.Unmarshal(body, &r); err != nil {
			s.t.Fatalf("query %q: %v: %s", kql, err, body)
		}
	}
	return r, status, string(body)
}

// count returns `T | summarize count()` or -1 when the query fails.
func (s *server) count(token, table string) int64 {
	r, status, _ := s.query(token, table+" | summarize count()")
	if status != 200 || len(r.Tables) == 0 || len(r.Tables[0].Rows) == 0 {
		return -1
	}
	n, _ := r.Tables[0].Rows[0][0].(float64)
	return int64(n)
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func mustContain(t *testing.T, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Fatalf("%q not found in:\n%s", sub, s)
	}
}
