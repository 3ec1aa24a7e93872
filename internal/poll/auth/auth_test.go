package auth

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/resource"
)

func sp(s string) *string { return &s }

func TestAPIKeyHeaders(t *testing.T) {
	tests := []struct {
		name       string
		a          resource.Auth
		wantHeader string
		wantValue  string
	}{
		{"defaults", resource.Auth{Type: "APIKey", APIKey: "123123123"}, "Authorization", "token 123123123"},
		{"custom header and identifier", resource.Auth{Type: "APIKey", APIKey: "K", APIKeyName: sp("X-MyApp-Auth-Header"), APIKeyIdentifier: sp("Bearer")}, "X-Myapp-Auth-Header", "Bearer K"},
		{"explicit empty identifier", resource.Auth{Type: "APIKey", APIKey: "K", APIKeyIdentifier: sp("")}, "Authorization", "K"},
		{"custom header no identifier", resource.Auth{Type: "apikey", APIKey: "K", APIKeyName: sp("x-functions-key")}, "X-Functions-Key", "K"},
		{"authorization spelled lower", resource.Auth{Type: "APIKey", APIKey: "K", APIKeyName: sp("authorization")}, "Authorization", "token K"},
		{"explicit empty name means Authorization", resource.Auth{Type: "APIKey", APIKey: "K", APIKeyName: sp("")}, "Authorization", "token K"},
		{"okta SSWS", resource.Auth{Type: "APIKey", APIKey: "K", APIKeyIdentifier: sp("SSWS")}, "Authorization", "SSWS K"},
		{"identifier ending in =", resource.Auth{Type: "APIKey", APIKey: "K", APIKeyName: sp("Cookie"), APIKeyIdentifier: sp("access_token=")}, "Cookie", "access_token=K"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := New(tc.a, nil)
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("GET", "http://x", nil)
			if err := a.Apply(req); err != nil {
				t.Fatal(err)
			}
			if len(req.Header) != 1 {
				t.Fatalf("headers %v", req.Header)
			}
			if got := req.Header.Get(tc.wantHeader); got != tc.wantValue {
				t.Fatalf("%s = %q, want %q (all: %v)", tc.wantHeader, got, tc.wantValue, req.Header)
			}
			if !reflect.DeepEqual(a.Secrets(), []string{"K"}) && tc.a.APIKey == "K" {
				t.Errorf("secrets %v", a.Secrets())
			}
		})
	}
}

func TestAPIKeyInPostPayload(t *testing.T) {
	a, err := New(resource.Auth{Type: "APIKey", APIKey: "K", APIKeyName: sp("key"), IsAPIKeyInPostPayload: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", "http://x", nil)
	if err := a.Apply(req); err != nil {
		t.Fatal(err)
	}
	if len(req.Header) != 0 {
		t.Fatalf("headers set: %v", req.Header)
	}
	want := map[string]string{"_APIKeyName": "key", "_APIKey": "K"}
	if got := TemplateVars(a); !reflect.DeepEqual(got, want) {
		t.Fatalf("vars %v", got)
	}
}

func TestBasic(t *testing.T) {
	a, err := New(resource.Auth{Type: "basic", UserName: "u", Password: "p@ss"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "http://x", nil)
	a.Apply(req)
	u, p, ok := req.BasicAuth()
	if !ok || u != "u" || p != "p@ss" {
		t.Fatalf("basic auth %q %q %v", u, p, ok)
	}
	if s := a.Secrets(); len(s) != 2 || s[0] != "p@ss" || s[1] != "dTpwQHNz" {
		t.Fatalf("secrets %v", s)
	}
	if TemplateVars(a) != nil {
		t.Fatal("basic has no template vars")
	}
}

func TestNone(t *testing.T) {
	a, err := New(resource.Auth{Type: "None"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "http://x", nil)
	a.Apply(req)
	if len(req.Header) != 0 || a.Secrets() != nil {
		t.Fatal("None must not add anything")
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		a    resource.Auth
		want string
	}{
		{resource.Auth{Type: "OAuth3"}, `auth.type: unsupported auth type "OAuth3"`},
		{resource.Auth{}, "auth.type: required"},
		{resource.Auth{Type: "Basic", Password: "x"}, "auth.userName: required"},
		{resource.Auth{Type: "APIKey"}, "auth.apiKey: required"},
		{resource.Auth{Type: "APIKey", APIKey: "k", APIKeyName: sp("Bad: Header")}, "auth.apiKeyName: not a valid header name"},
	}
	for _, tc := range tests {
		_, err := New(tc.a, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) err = %v, want %q", tc.a, err, tc.want)
		}
	}
}

func TestTypes(t *testing.T) {
	if got := Types(); !reflect.DeepEqual(got, []string{"alicloudslsv1", "apikey", "basic", "ciscoduo", "jwttoken", "none", "oauth2", "session"}) {
		t.Fatalf("Types = %v", got)
	}
}
