package auth

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/resource"
)

type failTransport struct{}

func (failTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("no network in fuzzing")
}

// FuzzNew feeds arbitrary auth objects to every type: construction and
// Apply must return errors, never panic or hang.
func FuzzNew(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"ClientId":"c","ClientSecret":"s","GrantType":"client_credentials","TokenEndpoint":"https://x/t","TokenEndpointHeaders":{"a":1}}`,
		`{"userName":{"key":"k","value":"v"},"password":{"key":"p","value":"w"},"TokenEndpoint":"https://x","JwtTokenJsonPath":"$..a[?(@.b)]"}`,
		`{"userName":{"a":"b","c":"d"},"RequestTimeoutInSeconds":"1e3","IsJsonRequest":"yes"}`,
		`{"APIKey":"k","ClientSecret":7,"AccessKeyId":null,"AccessKeySecret":[1]}`,
		`{"sessionLoginRequestUri":"http://%zz","sessionTimeoutInMinutes":-1}`,
	} {
		f.Add(s)
	}
	types := append(Types(), "github", "oracle", "")
	f.Fuzz(func(t *testing.T, raw string) {
		var m map[string]any
		if json.Unmarshal([]byte(raw), &m) != nil {
			return
		}
		for _, typ := range types {
			a := resource.Auth{Type: typ, Fields: m}
			a.UserName, _ = m["userName"].(string)
			a.APIKey, _ = m["APIKey"].(string)
			au, err := NewWithOptions(a, Options{Client: &http.Client{Transport: failTransport{}}})
			if err != nil {
				if err.Error() == "" {
					t.Fatal("empty error")
				}
				continue
			}
			req, _ := http.NewRequest("POST", "https://source.example/p?q=1", strings.NewReader("a=b"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			_ = au.Apply(req)
			_ = au.Secrets()
		}
	})
}

type bodyTransport struct {
	body, ctype string
	status      int
}

func (b bodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: b.status, Header: http.Header{"Content-Type": {b.ctype}, "Authorization": {b.body}},
		Body: io.NopCloser(strings.NewReader(b.body)), Request: r}, nil
}

// FuzzTokenResponse feeds arbitrary token-endpoint answers to OAuth2 and
// JwtToken: an error or a header, never a panic, and never a secret in
// the error.
func FuzzTokenResponse(f *testing.F) {
	f.Add(`{"access_token":"a","expires_in":"60","refresh_token":"r"}`, "application/json", 200)
	f.Add(`access_token=a&expires_in=x`, "application/x-www-form-urlencoded", 200)
	f.Add(`{"error":{"code":1},"error_description":"s3cret-value"}`, "application/json", 400)
	f.Add(`{"token":"a.eyJleHAiOjF9.c"}`, "text/plain", 200)
	f.Fuzz(func(t *testing.T, body, ctype string, status int) {
		if status < 100 || status > 999 {
			return
		}
		client := &http.Client{Transport: bodyTransport{body, ctype, status}}
		o, _ := NewOAuth2(OAuth2Config{ClientID: "c", ClientSecret: "s3cret-value", GrantType: GrantClientCredentials, TokenEndpoint: "https://x/t"}, Options{Client: client})
		j, _ := NewJwtToken(JwtTokenConfig{TokenEndpoint: "https://x/t", UserName: credential{"u", "u", true}, Password: credential{"p", "s3cret-value", true}, JwtTokenJSONPath: "$.token"}, Options{Client: client})
		for _, a := range []Authenticator{o, j} {
			req, _ := http.NewRequest("GET", "https://source.example/", nil)
			if err := a.Apply(req); err != nil && strings.Contains(err.Error(), "s3cret-value") {
				t.Fatalf("error leaks the secret: %v", err)
			}
		}
	})
}

// FuzzJwtExpiry parses arbitrary tokens without panicking.
func FuzzJwtExpiry(f *testing.F) {
	f.Add("a.eyJleHAiOjE3MDAwMDAwMDB9.c")
	f.Add("..")
	f.Add("a.e30.c")
	f.Fuzz(func(t *testing.T, tok string) {
		if exp, ok := jwtExpiry(tok); ok && exp.Unix() <= 0 {
			t.Fatalf("non-positive expiry %v", exp)
		}
	})
}
