// Package apierr defines APIError, the error value every layer (control
// plane, ingestion, query) returns when the HTTP answer must carry a specific
// status and an Azure-shaped error body, and the one function that renders
// any error in Azure's envelope.
//
// It implements the error part of SPEC §3 ("Errors use ARM's envelope
// {"error":{"code","message","target","details"}}; target is the JSON path at
// fault") and reference/ccf-format.md §6.2 (x-ms-error-code header). It does
// no routing and no logging; lower layers import it without importing
// internal/server.
package apierr

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/codeless/codeless/internal/store"
)

// APIError is an error with an HTTP status and an ARM error body.
type APIError struct {
	Status  int        `json:"-"`
	Code    string     `json:"code"`
	Message string     `json:"message"`
	Target  string     `json:"target,omitempty"`
	Details []APIError `json:"details,omitempty"`
	// Err is an optional cause kept for errors.Is/As; never rendered.
	Err error `json:"-"`
}

func (e *APIError) Error() string {
	if e.Target != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Target, e.Message)
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the cause.
func (e *APIError) Unwrap() error { return e.Err }

// New builds an APIError.
func New(status int, code, target, format string, args ...any) *APIError {
	return &APIError{Status: status, Code: code, Target: target, Message: fmt.Sprintf(format, args...)}
}

// Common constructors.
func BadRequest(code, target, format string, args ...any) *APIError {
	return New(http.StatusBadRequest, code, target, format, args...)
}

// NotFound is a 404 with code NotFound (or ResourceNotFound style codes given
// by the caller through New).
func NotFound(format string, args ...any) *APIError {
	return New(http.StatusNotFound, "NotFound", "", format, args...)
}

// Conflict is a 409, used for etag mismatches.
func Conflict(code, format string, args ...any) *APIError {
	return New(http.StatusConflict, code, "", format, args...)
}

// From converts any error into an APIError: an APIError anywhere in the chain
// is returned as is; store.ErrNotFound becomes 404 NotFound; anything else is
// 500 InternalServerError with a generic message (internals never leak).
func From(err error) *APIError {
	if err == nil {
		return nil
	}
	var ae *APIError
	if errors.As(err, &ae) {
		if ae.Status == 0 {
			c := *ae
			c.Status = http.StatusBadRequest
			return &c
		}
		return ae
	}
	if errors.Is(err, store.ErrNotFound) {
		return &APIError{Status: http.StatusNotFound, Code: "NotFound", Message: "The requested resource was not found.", Err: err}
	}
	return &APIError{Status: http.StatusInternalServerError, Code: "InternalServerError", Message: "The server encountered an internal error; see the server log.", Err: err}
}

// Write renders err as {"error":{...}} with the x-ms-error-code header and
// returns the APIError written (for logging by the caller).
func Write(w http.ResponseWriter, err error) *APIError {
	ae := From(err)
	body, mErr := json.Marshal(struct {
		Error *APIError `json:"error"`
	}{ae})
	if mErr != nil { // cannot happen with string fields; keep a valid body anyway
		body = []byte(`{"error":{"code":"InternalServerError","message":"error rendering error"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("x-ms-error-code", ae.Code)
	w.WriteHeader(ae.Status)
	_, _ = w.Write(body)
	return ae
}
