package apierr

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/codeless/codeless/internal/store"
)

func TestWrite(t *testing.T) {
	cases := []struct {
		name       string
		err        error
		status     int
		code       string
		target     string
		mustNotHas string
	}{
		{"api error", BadRequest("InvalidPayload", "properties.dataFlows[0]", "bad %s", "flow"), 400, "InvalidPayload", "properties.dataFlows[0]", ""},
		{"wrapped api error", fmt.Errorf("putting: %w", Conflict("PreconditionFailed", "etag mismatch")), 409, "PreconditionFailed", "", ""},
		{"not found", fmt.Errorf("getting x: %w", store.ErrNotFound), 404, "NotFound", "", ""},
		{"internal", errors.New("duckdb: secret path /var/lib/x"), 500, "InternalServerError", "", "/var/lib/x"},
		{"zero status", &APIError{Code: "X", Message: "m"}, 400, "X", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Write(rec, tc.err)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
			if got := rec.Header().Get("x-ms-error-code"); got != tc.code {
				t.Fatalf("x-ms-error-code %q, want %q", got, tc.code)
			}
			var body struct {
				Error map[string]any `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if body.Error["code"] != tc.code {
				t.Fatalf("code %v", body.Error["code"])
			}
			if tc.target != "" && body.Error["target"] != tc.target {
				t.Fatalf("target %v", body.Error["target"])
			}
			if tc.target == "" {
				if _, ok := body.Error["target"]; ok {
					t.Fatalf("unexpected target in %s", rec.Body)
				}
			}
			if tc.mustNotHas != "" && contains(rec.Body.String(), tc.mustNotHas) {
				t.Fatalf("body leaks %q: %s", tc.mustNotHas, rec.Body)
			}
		})
	}
	_ = http.StatusOK
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
