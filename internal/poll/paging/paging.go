// Package paging implements CCF paging (SPEC §4 "Paging",
// reference/ccf-format.md §2.6): given the last response of a window it
// decides whether there is a next page and what that request looks like.
//
// One file per paging type; each has a config struct with Validate() and a
// constructor, listed in one explicit registry map (no init()). Implemented:
// no paging and LinkHeader (Link header per RFC 8288 or
// linkHeaderTokenJsonPath into the body). NextPageToken, PersistentToken,
// PersistentLinkHeader, NextPageUrl, Offset and CountBasedPaging are rejected
// as unsupported for now; the interfaces already carry what they need
// (response headers, parsed body, event count, a persistent cursor).
//
// The page cap per window lives in the poll Runner; loop guards that need
// type knowledge (a repeated link) live in the paginator.
package paging

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/codeless/codeless/internal/resource"
)

// Request is the paging part of the next request of a window; the Runner
// merges it into the base request.
type Request struct {
	// URL, when set, replaces the base URL and its query string (a next
	// link). It may be relative to the previous request's URL.
	URL string
	// Query parameters to set on the request.
	Query map[string]string
	// Headers to set on the request.
	Headers map[string]string
	// Body fields to set in a JSON request body (pagingInfoPlacement
	// RequestBody).
	Body map[string]any
	// OnlyPagingParams drops the base query parameters
	// (pagingQueryParamOnly).
	OnlyPagingParams bool
}

// Page is what a paginator sees of a response.
type Page struct {
	URL    string // the URL that was requested
	Status int
	Header http.Header
	Body   any // parsed document (nil when not JSON or empty)
	Events int // events extracted from this page
}

// Paginator pages through one window.
type Paginator interface {
	// Request returns the paging part of the next request to send.
	Request() Request
	// Next consumes the response to the last Request; more=false ends the
	// window. An error stops the window (paging error class).
	Next(p Page) (more bool, err error)
	// Cursor is the state from which Request can be rebuilt (saved in the
	// checkpoint after each committed page). nil means "first page".
	Cursor() []byte
}

// Pager creates a Paginator per window.
type Pager interface {
	// Window starts a window; cursor is a saved Cursor() to resume from
	// (mid-window after a restart, or carried over for Persistent types).
	Window(cursor []byte) (Paginator, error)
	// Persistent reports whether the cursor carries over between windows.
	Persistent() bool
}

type constructor func(p *resource.Paging) (Pager, error)

// registry maps lower-cased paging types to constructors.
var registry = map[string]constructor{
	"none":       func(*resource.Paging) (Pager, error) { return NewNone(NoneConfig{}) },
	"linkheader": newLinkHeaderFrom,
}

// Types lists supported paging types (lower case, sorted).
func Types() []string {
	out := make([]string, 0, len(registry))
	for k := range registry {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// New builds the Pager for properties.paging (nil = no paging).
func New(p *resource.Paging) (Pager, error) {
	if p == nil || strings.TrimSpace(p.PagingType) == "" {
		return NewNone(NoneConfig{})
	}
	c, ok := registry[strings.ToLower(strings.TrimSpace(p.PagingType))]
	if !ok {
		return nil, fmt.Errorf("paging.pagingType: unsupported paging type %q", p.PagingType)
	}
	return c(p)
}

// ErrLoop marks a loop-guard stop.
var ErrLoop = errors.New("paging loop")

// placement validates pagingInfoPlacement.
func placement(s string) (body bool, err error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "querystring":
		return false, nil
	case "requestbody":
		return true, nil
	}
	return false, fmt.Errorf("paging.pagingInfoPlacement: %q is not QueryString or RequestBody", s)
}
