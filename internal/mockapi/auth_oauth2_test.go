package mockapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func tokenCall(t *testing.T, h http.Handler, form url.Values, basic [2]string) (int, map[string]any) {
	t.Helper()
	r := httptest.NewRequest("POST", "/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic[0] != "" {
		r.SetBasicAuth(basic[0], basic[1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var m map[string]any
	json.Unmarshal(w.Body.Bytes(), &m)
	return w.Code, m
}

// The token endpoint enforces what real ones do: client authentication in
// one place, single-use codes, rotation revoking the old refresh token.
func TestOAuth2ServerGrants(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	s := NewOAuth2Server(OAuth2Config{ClientID: "c", ClientSecret: "s", Codes: []string{"code"}, RedirectURI: "https://r", UserName: "u", Password: "p",
		RotateRefresh: true, ExpiresIn: time.Minute, Now: func() time.Time { return now }})
	none := [2]string{}
	cc := url.Values{"grant_type": {"client_credentials"}, "client_id": {"c"}, "client_secret": {"s"}}
	tests := []struct {
		name  string
		form  url.Values
		basic [2]string
		want  int
		err   string
	}{
		{"client credentials in body", cc, none, 200, ""},
		{"client credentials in header", url.Values{"grant_type": {"client_credentials"}}, [2]string{"c", "s"}, 200, ""},
		{"both places", cc, [2]string{"c", "s"}, 401, "invalid_client"},
		{"wrong secret", url.Values{"grant_type": {"client_credentials"}, "client_id": {"c"}, "client_secret": {"x"}}, none, 401, "invalid_client"},
		{"password grant", url.Values{"grant_type": {"password"}, "username": {"u"}, "password": {"p"}, "client_id": {"c"}, "client_secret": {"s"}}, none, 200, ""},
		{"wrong redirect", url.Values{"grant_type": {"authorization_code"}, "code": {"code"}, "redirect_uri": {"https://x"}, "client_id": {"c"}, "client_secret": {"s"}}, none, 400, "invalid_grant"},
		{"code exchange", url.Values{"grant_type": {"authorization_code"}, "code": {"code"}, "redirect_uri": {"https://r"}, "client_id": {"c"}, "client_secret": {"s"}}, none, 200, ""},
		{"code reuse", url.Values{"grant_type": {"authorization_code"}, "code": {"code"}, "redirect_uri": {"https://r"}, "client_id": {"c"}, "client_secret": {"s"}}, none, 400, "invalid_grant"},
		{"unknown grant", url.Values{"grant_type": {"implicit"}, "client_id": {"c"}, "client_secret": {"s"}}, none, 400, "unsupported_grant_type"},
	}
	for _, tc := range tests {
		st, body := tokenCall(t, s, tc.form, tc.basic)
		if st != tc.want || (tc.err != "" && body["error"] != tc.err) {
			t.Errorf("%s: HTTP %d %v, want %d %s", tc.name, st, body, tc.want, tc.err)
		}
	}
	// Rotation: the refresh token issued to the code exchange (tokens are
	// numbered in issue order: body=1, header=2, password=3, code=4)
	// works once.
	rt := "rt-4"
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"c"}, "client_secret": {"s"}}
	if st, b := tokenCall(t, s, refresh, none); st != 200 || b["refresh_token"] != "rt-5" || b["expires_in"] != float64(60) {
		t.Fatalf("refresh: HTTP %d %v", st, b)
	}
	if st, b := tokenCall(t, s, refresh, none); st != 400 || b["error"] != "invalid_grant" {
		t.Fatalf("reusing a rotated refresh token: HTTP %d %v", st, b)
	}
	// Protect accepts live tokens only.
	h := s.Protect("Bearer", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for _, tc := range []struct {
		hdr  string
		want int
	}{{"Bearer at-5", 200}, {"at-5", 401}, {"Bearer at-999", 401}, {"", 401}} {
		r := httptest.NewRequest("GET", "/events", nil)
		r.Header.Set("Authorization", tc.hdr)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("Authorization %q: HTTP %d, want %d", tc.hdr, w.Code, tc.want)
		}
	}
	now = now.Add(2 * time.Minute)
	r := httptest.NewRequest("GET", "/events", nil)
	r.Header.Set("Authorization", "Bearer at-5")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 401 {
		t.Fatalf("expired token accepted: HTTP %d", w.Code)
	}
}
