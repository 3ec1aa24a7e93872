// Package paging implements CCF paging (SPEC §4 "Paging",
// reference/ccf-format.md §2.6): given the last response of a window it
// decides whether there is a next page and what that request looks like.
//
// All seven CCF types, one file each, each with a config struct with
// Validate() and a constructor, listed in one explicit registry map (no
// init()): LinkHeader and PersistentLinkHeader (Link header per RFC 8288 or
// linkHeaderTokenJsonPath into the body), NextPageToken and PersistentToken
// (token from a body path, rooted or not, or a response header; sent as a
// query parameter, body member, body path or request header; has-next flag;
// SAP BTP's tokenTransform; Slack's JavaScript-like condition), NextPageUrl
// (next URL or cursor, isNextPageTokenRelativeUrl, fixed nextPageUrl with its
// own query parameters and body template), Offset (SPEC: counts events read
// from 0; Options.AzureOffset for Azure's first-request-without-offset;
// offsetEndParaName; VersasecCMS step/maxOffsetPath) and CountBasedPaging.
// Corpus spellings pageSizeParaName are accepted.
//
// Parameter names that are JSON paths ("$.variables.after",
// "$.request_data.search_from") set members of the JSON request body
// (Request.Body, merged with MergeBody); pagingInfoPlacement RequestBody puts
// plain names into the body; otherwise they go to the query string
// ("$skip"/"$top" are plain OData names).
//
// Stop conditions follow reference §2.6.8. Loop guards: a repeated link or
// token in one window, or (Offset, CountBasedPaging) a page identical to the
// previous one, stops with ErrLoop. The page cap per window lives in
// the poll Runner. Persistent types return from Cursor(), after the last page
// of a window, the position to continue from in the next window; the Runner
// saves it in its checkpoint. Cursors are small versionless JSON objects.
//
// We write our own: no Go library models CCF's paging dialect.
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
	// BodyTemplate, when set, replaces request.queryParametersTemplate as
	// the body template of this request (NextPageUrl's
	// nextPageUrlQueryParametersTemplate); the Runner renders it the same
	// way and then applies Body with MergeBody.
	BodyTemplate string
	// Vars are extra template variables for this request, e.g. "_Offset"
	// for "{_Offset}" in queryParametersTemplate (VersasecCMS).
	Vars map[string]string
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

type constructor func(p *resource.Paging, opt Options) (Pager, error)

// plain adapts a constructor that takes no options.
func plain(f func(*resource.Paging) (Pager, error)) constructor {
	return func(p *resource.Paging, _ Options) (Pager, error) { return f(p) }
}

// registry maps lower-cased paging types to constructors.
var registry = map[string]constructor{
	"none":                 plain(func(*resource.Paging) (Pager, error) { return NewNone(NoneConfig{}) }),
	"linkheader":           plain(newLinkHeaderFrom),
	"persistentlinkheader": plain(newPersistentLinkHeaderFrom),
	"nextpagetoken":        plain(newNextPageTokenFrom),
	"persistenttoken":      plain(newPersistentTokenFrom),
	"nextpageurl":          plain(newNextPageURLFrom),
	"offset":               newOffsetFrom,
	"countbasedpaging":     plain(newCountBasedFrom),
}

// Options are runtime choices that are not part of the CCF paging object.
type Options struct {
	// AzureOffset makes Offset paging behave as Azure was observed to:
	// no offset on the first request, events read + 1 afterwards (SPEC
	// §4 compatibility flag). Default: offsets count from 0.
	AzureOffset bool
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

// New builds the Pager for properties.paging (nil = no paging) with default
// Options.
func New(p *resource.Paging) (Pager, error) { return NewWithOptions(p, Options{}) }

// NewWithOptions builds the Pager for properties.paging with opt.
func NewWithOptions(p *resource.Paging, opt Options) (Pager, error) {
	if p == nil || strings.TrimSpace(p.PagingType) == "" {
		return NewNone(NoneConfig{})
	}
	c, ok := registry[strings.ToLower(strings.TrimSpace(p.PagingType))]
	if !ok {
		return nil, fmt.Errorf("paging.pagingType: unsupported paging type %q", p.PagingType)
	}
	return c(p, opt)
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
