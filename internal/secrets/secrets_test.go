package secrets

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/corpustest"
)

func testKeyring(t *testing.T) *Keyring {
	t.Helper()
	k, err := LoadOrCreateKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestLoadOrCreateKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	k1, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 || st.Size() != 32 {
		t.Fatalf("key file mode %v size %d", st.Mode().Perm(), st.Size())
	}
	sealed, err := k1.Seal([]byte("hunter2"))
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadOrCreateKey(dir) // same key reloaded
	if err != nil {
		t.Fatal(err)
	}
	pt, err := k2.Open(sealed)
	if err != nil || string(pt) != "hunter2" {
		t.Fatalf("reopen: %q %v", pt, err)
	}

	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, KeyFile), []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(bad); err == nil || !strings.Contains(err.Error(), "want 32") {
		t.Fatalf("short key: %v", err)
	}
	open := t.TempDir()
	if err := os.WriteFile(filepath.Join(open, KeyFile), make([]byte, 32), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(open); err == nil || !strings.Contains(err.Error(), "mode") {
		t.Fatalf("world-readable key: %v", err)
	}
}

func TestSealOpen(t *testing.T) {
	k := testKeyring(t)
	other := testKeyring(t)
	for _, pt := range []string{"", "x", "p@ss wörd", strings.Repeat("z", 10000)} {
		s, err := k.Seal([]byte(pt))
		if err != nil {
			t.Fatal(err)
		}
		if !IsSealed(s) || len(pt) > 8 && strings.Contains(s, pt) {
			t.Fatalf("sealed %q = %q", pt, s)
		}
		got, err := k.Open(s)
		if err != nil || string(got) != pt {
			t.Fatalf("open: %q %v", got, err)
		}
		if _, err := other.Open(s); err == nil {
			t.Fatal("opened with another key")
		}
	}
	s, _ := k.Seal([]byte("secret"))
	s2, _ := k.Seal([]byte("secret"))
	if s == s2 {
		t.Fatal("nonce reused")
	}
	tampered := []string{
		s[:len(s)-2] + flip(s[len(s)-2:]),
		s[:len(Prefix)+3] + flip(s[len(Prefix)+3:len(Prefix)+4]) + s[len(Prefix)+4:],
		"secret",
		Prefix + "!!!",
		Prefix + "AAAA",
	}
	for _, x := range tampered {
		if _, err := k.Open(x); err == nil {
			t.Fatalf("tampered %q opened", x)
		}
	}
}

func flip(s string) string {
	b := []byte(s)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

func TestIsSecretKey(t *testing.T) {
	for k, want := range map[string]bool{
		"password": true, "Password": true, "APIKey": true, "apiKey": true, "ClientSecret": true,
		"UserToken": true, "AccessKeySecret": true, "AuthorizationCode": true, "passPhrase": true,
		"pemFile": true, "Authorization": true,
		"apiKeyName": false, "ClientId": false, "userName": false, "TokenEndpoint": false,
		"APIKeyIdentifier": false, "type": false, "scope": false,
	} {
		if IsSecretKey(k) != want {
			t.Errorf("IsSecretKey(%q) = %v", k, !want)
		}
	}
}

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestRedactJSONShapes(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"properties":{"auth":{"type":"Basic","userName":"u","password":"p"}}}`,
			`{"properties":{"auth":{"password":"***","type":"Basic","userName":"u"}}}`},
		{`{"auth":{"type":"APIKey","ApiKey":"k","ApiKeyName":"X-Key","ApiKeyIdentifier":"Bearer"}}`,
			`{"auth":{"ApiKey":"***","ApiKeyIdentifier":"Bearer","ApiKeyName":"X-Key","type":"APIKey"}}`},
		{`{"auth":{"type":"JwtToken","userName":{"key":"user","value":"u"},"password":{"key":"pwd","value":"p"},"Headers":{"Authorization":"Basic abc"}}}`,
			`{"auth":{"Headers":{"Authorization":"***"},"password":{"key":"pwd","value":"***"},"type":"JwtToken","userName":{"key":"user","value":"u"}}}`},
		{`{"auth":{"type":"OAuth2","ClientId":"c","ClientSecret":"[[parameters('secret')]","AuthorizationCode":"code"}}`,
			`{"auth":{"AuthorizationCode":"***","ClientId":"c","ClientSecret":"[[parameters('secret')]","type":"OAuth2"}}`},
		{`{"auth":{"type":"APIKey","ApiKey":"{{apiKey}}"}}`, `{"auth":{"ApiKey":"{{apiKey}}","type":"APIKey"}}`},
		{`{"stepCollectorConfigs":{"s":{"auth":{"type":"Basic","password":"p"}}}}`,
			`{"stepCollectorConfigs":{"s":{"auth":{"password":"***","type":"Basic"}}}}`},
		{`{"parameters":{"k":{"type":"securestring","defaultValue":"d"},"n":{"type":"string","defaultValue":"d"}}}`,
			`{"parameters":{"k":{"defaultValue":"***","type":"securestring"},"n":{"defaultValue":"d","type":"string"}}}`},
		{`{"request":{"password":"not under auth"}}`, `{"request":{"password":"not under auth"}}`},
		{`{"x":["enc:v1:abc"]}`, `{"x":["***"]}`},
	}
	for _, tc := range cases {
		got, err := json.Marshal(RedactJSON(decode(t, tc.in)))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("RedactJSON(%s)\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

func TestSealOpenJSON(t *testing.T) {
	k := testKeyring(t)
	in := decode(t, `{"properties":{"auth":{"type":"OAuth2","ClientId":"c","ClientSecret":"s3cr3t","TokenEndpointHeaders":{"Authorization":"Basic Zm9v"}}},"parameters":{"p":{"type":"SecureString","value":"v4lue"}}}`)
	sealed, err := SealJSON(in, k)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(sealed)
	for _, s := range []string{"s3cr3t", "Zm9v", "v4lue"} {
		if bytes.Contains(b, []byte(s)) {
			t.Fatalf("sealed JSON still contains %q: %s", s, b)
		}
	}
	if !bytes.Contains(b, []byte(`"ClientId":"c"`)) {
		t.Fatalf("non-secret changed: %s", b)
	}
	again, err := SealJSON(sealed, k) // idempotent
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(again)
	if string(b) != string(b2) {
		t.Fatal("sealing twice changed the value")
	}
	opened, err := OpenJSON(sealed, k)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(in)
	got, _ := json.Marshal(opened)
	if string(want) != string(got) {
		t.Fatalf("round trip\n got %s\nwant %s", got, want)
	}
	// tamper one value: OpenJSON names the path.
	m := sealed.(map[string]any)["properties"].(map[string]any)["auth"].(map[string]any)
	s := m["ClientSecret"].(string)
	m["ClientSecret"] = s[:len(s)-3] + flip(s[len(s)-3:])
	if _, err := OpenJSON(sealed, k); err == nil || !strings.Contains(err.Error(), "$.properties.auth.ClientSecret") {
		t.Fatalf("tampered OpenJSON: %v", err)
	}
}

// TestCorpusAuthShapes redacts every auth object found in the corpus poller
// files and checks that no secret-named string survives and nothing else
// changes.
func TestCorpusAuthShapes(t *testing.T) {
	root := corpustest.Dir(t)
	files := []string{
		"Auth0/PollingConfig.json",
		"ZoomReports/PollingConfig.json",
		"Cisco ETD/CiscoETD_PollerConfig.json",
		"GitHub/GitHubAuditLogs_PollerConfig.json",
		"AtlassianConfluenceAudit/AtlassianConfluenceAudit_PollingConfig.json",
		"Alibaba Cloud ActionTrail/AliCloudActionTrail_PollingConfig.json",
		"Oracle Cloud Infrastructure/OCI_DataConnector_PollingConfig.json",
		"GoogleWorkspaceReports/GoogleWorkspaceReports_PollingConfig.json",
		"CiscoDuoSecurity/CiscoDuoTelephony_PollingConfig.json",
	}
	k := testKeyring(t)
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(root, f))
			if err != nil {
				t.Skipf("corpus file missing: %v", err)
			}
			raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				t.Fatalf("decoding: %v", err)
			}
			// Make every secret a literal so that redaction must act on it.
			lit := literalize(v, false)
			red := RedactJSON(lit)
			n := checkAuth(t, red, false, "$")
			if n == 0 {
				t.Fatal("no auth object with secrets found")
			}
			sealed, err := SealJSON(lit, k)
			if err != nil {
				t.Fatal(err)
			}
			opened, err := OpenJSON(sealed, k)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := json.Marshal(lit)
			b, _ := json.Marshal(opened)
			if string(a) != string(b) {
				t.Fatal("seal/open round trip changed the document")
			}
		})
	}
}

// literalize replaces ARM-expression secret values under auth with literal
// strings.
func literalize(v any, inAuth bool) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if inAuth && IsSecretKey(k) {
				if s, ok := val.(string); ok {
					x[k] = "literal-" + strings.ToLower(k)
					_ = s
					continue
				}
			}
			x[k] = literalize(val, inAuth || strings.EqualFold(k, "auth"))
		}
	case []any:
		for i := range x {
			x[i] = literalize(x[i], inAuth)
		}
	}
	return v
}

func checkAuth(t *testing.T, v any, inAuth bool, path string) int {
	n := 0
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if inAuth && IsSecretKey(k) {
				if s, ok := val.(string); ok {
					if s != Redaction {
						t.Errorf("%s.%s not redacted: %q", path, k, s)
					}
					n++
					continue
				}
			}
			n += checkAuth(t, val, inAuth || strings.EqualFold(k, "auth"), path+"."+k)
		}
	case []any:
		for _, e := range x {
			n += checkAuth(t, e, inAuth, path+"[]")
		}
	case string:
		if strings.HasPrefix(x, "literal-") {
			t.Errorf("%s: secret literal survived: %q", path, x)
		}
	}
	return n
}

func TestSlogRedaction(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: ReplaceAttr}))
	log.Info("m", "password", "p1", "apiKeyName", "X-Key", "cfg", map[string]any{"ClientSecret": "p2", "ClientId": "cid"}, "sealed", Prefix+"zzz")
	wrapped := slog.New(NewHandler(slog.NewTextHandler(&buf, nil)))
	wrapped.With("token", "p3").Info("m", slog.Group("g", "apiKey", "p4"), "r", Redacted(map[string]any{"auth": map[string]any{"password": "p5"}}))
	out := buf.String()
	for _, s := range []string{"p1", "p2", "p3", "p4", "p5", Prefix} {
		if strings.Contains(out, s) {
			t.Errorf("log contains %q: %s", s, out)
		}
	}
	for _, s := range []string{"X-Key", "cid"} {
		if !strings.Contains(out, s) {
			t.Errorf("log lost %q: %s", s, out)
		}
	}
}

func FuzzOpen(f *testing.F) {
	k, err := NewKeyring(make([]byte, 32))
	if err != nil {
		f.Fatal(err)
	}
	good, _ := k.Seal([]byte("x"))
	for _, s := range []string{good, Prefix, Prefix + "AAAA", "plain", Prefix + "!!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Only the sealed value (or an equivalent encoding of it) opens.
		pt, err := k.Open(s)
		if err == nil && string(pt) != "x" {
			t.Fatalf("opened %q to %q", s, pt)
		}
	})
}
