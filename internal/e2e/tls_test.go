package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSelfSignedTLS: `serve --tls-self-signed` serves HTTPS with a
// certificate written to the data directory that clients can pin.
func TestSelfSignedTLS(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, data, "--tls-self-signed")
	if !strings.HasPrefix(s.base, "https://") {
		t.Fatalf("base URL %s is not https", s.base)
	}
	pemBytes, err := os.ReadFile(filepath.Join(data, "tls.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatal("tls.crt holds no certificate")
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get(s.base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /healthz over TLS: %v %v", err, resp)
	}
	resp.Body.Close()
	// A client that does not trust the certificate is refused.
	if _, err := http.Get(s.base + "/healthz"); err == nil {
		t.Fatal("an untrusting client connected")
	}
	if fi, err := os.Stat(filepath.Join(data, "tls.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("tls.key: %v %v", err, fi.Mode())
	}
}
