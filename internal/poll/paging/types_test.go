package paging

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/resource"
)

// step is one page of a scripted window: the request the paginator must
// build, the response it then sees, and its decision.
type step struct {
	want     Request
	page     Page
	more     bool
	loop     bool // Next must fail with ErrLoop
	errMatch string
}

// pagingOf decodes a paging object as a connector file spells it, through
// the resource decoder (case-insensitive keys, Fields for the rarer keys).
func pagingOf(t *testing.T, js string) *resource.Paging {
	t.Helper()
	c, err := resource.DecodeConnection([]byte(`{"kind":"RestApiPoller","properties":{"paging":` + js + `}}`))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	if c.Properties.Paging == nil {
		t.Fatalf("%s: no paging decoded", js)
	}
	return c.Properties.Paging
}

// run drives a window through steps; after every page it also checks that
// a window rebuilt from Cursor() asks for the same next request (resume
// after a restart).
func run(t *testing.T, pg Pager, cursor []byte, steps []step) Paginator {
	t.Helper()
	w, err := pg.Window(cursor)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range steps {
		got := w.Request()
		if !reflect.DeepEqual(got, s.want) {
			t.Fatalf("page %d request:\n got %#v\nwant %#v", i+1, got, s.want)
		}
		more, err := w.Next(s.page)
		switch {
		case s.loop:
			if !errors.Is(err, ErrLoop) {
				t.Fatalf("page %d: err = %v, want loop", i+1, err)
			}
		case s.errMatch != "":
			if err == nil || !strings.Contains(err.Error(), s.errMatch) {
				t.Fatalf("page %d: err = %v, want %q", i+1, err, s.errMatch)
			}
		case err != nil:
			t.Fatalf("page %d: %v", i+1, err)
		}
		if more != s.more {
			t.Fatalf("page %d: more = %v, want %v", i+1, more, s.more)
		}
		if more {
			w2, err := pg.Window(w.Cursor())
			if err != nil {
				t.Fatalf("page %d: resume: %v", i+1, err)
			}
			if a, b := w2.Request(), w.Request(); !reflect.DeepEqual(a, b) {
				t.Fatalf("page %d: resumed request %#v, live %#v", i+1, a, b)
			}
		}
	}
	return w
}

func body(js string) any {
	var v any
	if err := json.Unmarshal([]byte(js), &v); err != nil {
		panic(err)
	}
	return v
}

func q(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestPagingTypes(t *testing.T) {
	tests := []struct {
		name   string
		paging string
		opt    Options
		steps  []step
		cursor string // Cursor() after the last step ("" = nil)
	}{
		{
			name:   "NextPageToken query param and page size on every request",
			paging: `{"pagingType":"NextPageToken","nextPageTokenJsonPath":"$.pagination.nextCursor","NextPageParaName":"cursor","pageSize":2,"pageSizeParameterName":"limit"}`,
			steps: []step{
				{want: Request{Query: q("limit", "2")}, page: Page{Body: body(`{"pagination":{"nextCursor":"c1"}}`), Events: 2}, more: true},
				{want: Request{Query: q("limit", "2", "cursor", "c1")}, page: Page{Body: body(`{"pagination":{"nextCursor":null}}`), Events: 1}},
			},
		},
		{
			name:   "NextPageToken has-next false stops although a token is present",
			paging: `{"pagingType":"NextPageToken","hasNextFlagJsonPath":"$.hasMore","nextPageParaName":"continuationToken","nextPageTokenJsonPath":"$.continuationToken"}`,
			steps: []step{
				{want: Request{}, page: Page{Body: body(`{"hasMore":true,"continuationToken":"t1"}`), Events: 5}, more: true},
				{want: Request{Query: q("continuationToken", "t1")}, page: Page{Body: body(`{"hasMore":false,"continuationToken":"t2"}`), Events: 5}},
			},
		},
		{
			name:   "NextPageToken OneLogin next_link string as has-next flag",
			paging: `{"pagingType":"NextPageToken","hasNextFlagJsonPath":"$.pagination.next_link","nextPageParaName":"after_cursor","nextPageTokenJsonPath":"$.pagination.after_cursor"}`,
			steps: []step{
				{want: Request{}, page: Page{Body: body(`{"pagination":{"next_link":"https://x/?after_cursor=a","after_cursor":"a"}}`), Events: 1}, more: true},
				{want: Request{Query: q("after_cursor", "a")}, page: Page{Body: body(`{"pagination":{"next_link":null,"after_cursor":"b"}}`), Events: 1}},
			},
		},
		{
			name:   "NextPageToken empty page stops",
			paging: `{"pagingType":"NextPageToken","nextPageTokenJsonPath":"$.next","nextPageParaName":"p"}`,
			steps: []step{
				{want: Request{}, page: Page{Body: body(`{"next":"x"}`), Events: 0}},
			},
		},
		{
			name:   "NextPageToken repeated token is a loop",
			paging: `{"pagingType":"NextPageToken","nextPageTokenJsonPath":"$.next","nextPageParaName":"p"}`,
			steps: []step{
				{want: Request{}, page: Page{Body: body(`{"next":"x"}`), Events: 1}, more: true},
				{want: Request{Query: q("p", "x")}, page: Page{Body: body(`{"next":"y"}`), Events: 1}, more: true},
				{want: Request{Query: q("p", "y")}, page: Page{Body: body(`{"next":"x"}`), Events: 1}, loop: true},
			},
		},
		{
			name:   "NextPageToken numeric token (next_offset)",
			paging: `{"pagingType":"NextPageToken","nextPageTokenJsonPath":"$.response.metadata.next_offset","nextPageParaName":"offset"}`,
			steps: []step{
				{want: Request{}, page: Page{Body: body(`{"response":{"metadata":{"next_offset":100}}}`), Events: 100}, more: true},
				{want: Request{Query: q("offset", "100")}, page: Page{Body: body(`{"response":{"metadata":{}}}`), Events: 3}},
			},
		},
		{
			name:   "NextPageToken SAP BTP header token with tokenTransform",
			paging: `{"pagingType":"NextPageToken","nextPageParaName":"handle","nextPageTokenResponseHeader":"paging","tokenTransform":{"SliceDelimiter":"=","StringIndex":1,"TransformType":"SplitOnDelimiter"}}`,
			steps: []step{
				{want: Request{}, page: Page{Header: http.Header{"Paging": {"handle=H1"}}, Events: 1}, more: true},
				{want: Request{Query: q("handle", "H1")}, page: Page{Header: http.Header{}, Events: 1}},
			},
		},
		{
			name:   "NextPageToken ETag request and response header",
			paging: `{"pagingType":"NextPageToken","nextPageRequestHeader":"ETag","nextPageTokenResponseHeader":"ETag"}`,
			steps: []step{
				{want: Request{}, page: Page{Header: http.Header{"Etag": {`"v1"`}}, Events: 1}, more: true},
				{want: Request{Headers: q("ETag", `"v1"`)}, page: Page{Header: http.Header{}, Events: 1}},
			},
		},
		{
			name:   "NextPageToken Slack condition",
			paging: `{"condition":{"check":"data.response_metadata && data.response_metadata.next_cursor","nextCursorProcessing":"data.response_metadata.next_cursor.replace(/=$/, '%3D')"},"nextPageParaName":"cursor","nextPageTokenJsonPath":"$.response_metadata.next_cursor","pagingType":"NextPageToken"}`,
			steps: []step{
				// The runner URL-encodes: "dXNlcjpV=" goes out as dXNlcjpV%3D.
				{want: Request{}, page: Page{Body: body(`{"response_metadata":{"next_cursor":"dXNlcjpV="}}`), Events: 1}, more: true},
				{want: Request{Query: q("cursor", "dXNlcjpV=")}, page: Page{Body: body(`{"response_metadata":{"next_cursor":""}}`), Events: 1}},
			},
		},
		{
			name:   "NextPageToken Slack condition without response_metadata",
			paging: `{"condition":{"check":"data.response_metadata && data.response_metadata.next_cursor"},"nextPageParaName":"cursor","pagingType":"NextPageToken"}`,
			steps: []step{
				{want: Request{}, page: Page{Body: body(`{"entries":[1]}`), Events: 1}},
			},
		},
		{
			name:   "NextPageToken GraphQL body path (SentinelOne)",
			paging: `{"pagingType":"NextPageToken","nextPageTokenJsonPath":"$.data.alerts.pageInfo.endCursor","NextPageParaName":"$.variables.after","hasNextFlagJsonPath":"$.data.alerts.pageInfo.hasNextPage","pageSize":1000,"pagingInfoPlacement":"RequestBody"}`,
			steps: []step{
				{want: Request{}, page: Page{Body: body(`{"data":{"alerts":{"pageInfo":{"endCursor":"E1","hasNextPage":true}}}}`), Events: 1000}, more: true},
				{want: Request{Body: map[string]any{"variables": map[string]any{"after": "E1"}}}, page: Page{Body: body(`{"data":{"alerts":{"pageInfo":{"endCursor":"E2","hasNextPage":false}}}}`), Events: 7}},
			},
		},
		{
			name:   "NextPageToken body path without placement (Cortex Xpanse)",
			paging: `{"pagingType":"NextPageToken","NextPageTokenJsonPath":"$.reply.next_page_token","NextPageParaName":"$.request_data.next_page_token"}`,
			steps: []step{
				{want: Request{}, page: Page{Body: body(`{"reply":{"next_page_token":"N"}}`), Events: 1}, more: true},
				{want: Request{Body: map[string]any{"request_data": map[string]any{"next_page_token": "N"}}}, page: Page{Body: body(`{"reply":{}}`), Events: 1}},
			},
		},
		{
			name:   "NextPageToken unrooted ..scrollCursor and pageSizeParaName",
			paging: `{"nextPageParaName":"_cursor","nextPageTokenJsonPath":"..scrollCursor","pageSize":400,"pageSizeParaName":"_limit","pagingType":"NextPageToken"}`,
			steps: []step{
				{want: Request{Query: q("_limit", "400")}, page: Page{Body: body(`{"items":[],"meta":{"scrollCursor":"S"}}`), Events: 400}, more: true},
				{want: Request{Query: q("_limit", "400", "_cursor", "S")}, page: Page{Body: body(`{"meta":{"scrollCursor":""}}`), Events: 2}},
			},
		},
		{
			name:   "NextPageToken pagingQueryParamOnly (Dynatrace)",
			paging: `{"nextPageParaName":"nextPageKey","nextPageTokenJsonPath":"$.result.nextPageKey","pagingQueryParamOnly":true,"pagingType":"NextPageToken"}`,
			steps: []step{
				{want: Request{}, page: Page{Body: body(`{"result":{"nextPageKey":"K"}}`), Events: 1}, more: true},
				{want: Request{Query: q("nextPageKey", "K"), OnlyPagingParams: true}, page: Page{Body: body(`{}`), Events: 1}},
			},
		},
		{
			name:   "NextPageToken path \"null\" without a parameter is one page (Prisma Cloud audit)",
			paging: `{"NextPageTokenJsonPath":"null","pagingType":"NextPageToken"}`,
			steps: []step{
				{want: Request{}, page: Page{Body: body(`{"null":"x"}`), Events: 5}},
			},
		},
		{
			name:   "PersistentToken keeps the newest token (Auth0 [-1:])",
			paging: `{"PageSize":100,"PageSizeParameterName":"take","nextPageParaName":"from","nextPageTokenJsonPath":"$.[-1:].log_id","pagingType":"PersistentToken"}`,
			steps: []step{
				{want: Request{Query: q("take", "100")}, page: Page{Body: body(`[{"log_id":"1"},{"log_id":"2"}]`), Events: 2}, more: true},
				{want: Request{Query: q("take", "100", "from", "2")}, page: Page{Body: body(`[]`), Events: 0}},
			},
			cursor: `{"token":"2"}`,
		},
		{
			name:   "PersistentToken caught up page with the same position (Box)",
			paging: `{"nextPageParaName":"stream_position","nextPageTokenJsonPath":"$.next_stream_position","pagingType":"PersistentToken"}`,
			steps: []step{
				{want: Request{}, page: Page{Body: body(`{"next_stream_position":7}`), Events: 3}, more: true},
				{want: Request{Query: q("stream_position", "7")}, page: Page{Body: body(`{"next_stream_position":9}`), Events: 0}},
			},
			cursor: `{"token":"9"}`,
		},
		{
			name:   "NextPageUrl relative token (Salesforce)",
			paging: `{"pagingType":"NextPageUrl","nextPageUrl":"https://sf.example/","nextPageTokenJsonPath":"$.nextRecordsUrl","isNextPageTokenRelativeUrl":true}`,
			steps: []step{
				{want: Request{}, page: Page{URL: "https://sf.example/services/data/v66.0/query?q=x", Body: body(`{"nextRecordsUrl":"/services/data/v66.0/query/01g-2000"}`), Events: 2000}, more: true},
				{want: Request{URL: "https://sf.example/services/data/v66.0/query/01g-2000"}, page: Page{Body: body(`{"done":true}`), Events: 5}},
			},
		},
		{
			name:   "NextPageUrl absolute token with extra query parameters",
			paging: `{"pagingType":"NextPageUrl","nextPageTokenJsonPath":"$.next","nextPageUrlQueryParameters":{"api-version":"2"}}`,
			steps: []step{
				{want: Request{}, page: Page{URL: "https://a/x", Body: body(`{"next":"https://b/y?c=1"}`), Events: 1}, more: true},
				{want: Request{URL: "https://b/y?api-version=2&c=1"}, page: Page{Body: body(`{}`), Events: 1}},
			},
		},
		{
			name:   "NextPageUrl GraphQL cursor to a fixed URL with a body template",
			paging: `{"pagingType":"NextPageUrl","nextPageTokenJsonPath":"$.data.repository.pageInfo.endCursor","hasNextFlagJsonPath":"$.data.repository.pageInfo.hasNextPage","nextPageUrl":"https://api.github.com/graphql","nextPageUrlQueryParametersTemplate":"{'query':'q'}","nextPageParaName":"$.variables.after"}`,
			steps: []step{
				{want: Request{}, page: Page{Body: body(`{"data":{"repository":{"pageInfo":{"endCursor":"C","hasNextPage":true}}}}`), Events: 1}, more: true},
				{want: Request{URL: "https://api.github.com/graphql", BodyTemplate: "{'query':'q'}", Body: map[string]any{"variables": map[string]any{"after": "C"}}}, page: Page{Body: body(`{"data":{"repository":{"pageInfo":{"endCursor":"D","hasNextPage":false}}}}`), Events: 1}},
			},
		},
		{
			name:   "Offset counts events from 0 and stops on a short page",
			paging: `{"OffsetParaName":"offset","PageSize":2,"PageSizeParameterName":"limit","pagingType":"Offset"}`,
			steps: []step{
				{want: Request{Query: q("limit", "2", "offset", "0"), Vars: q("_Offset", "0")}, page: Page{Events: 2}, more: true},
				{want: Request{Query: q("limit", "2", "offset", "2"), Vars: q("_Offset", "2")}, page: Page{Events: 2}, more: true},
				{want: Request{Query: q("limit", "2", "offset", "4"), Vars: q("_Offset", "4")}, page: Page{Events: 1}},
			},
		},
		{
			name:   "Offset Azure compatibility: no offset first, then read+1",
			paging: `{"offsetParaName":"offset","pageSize":2,"pagingType":"Offset","pagingQueryParamOnly":true}`,
			opt:    Options{AzureOffset: true},
			steps: []step{
				{want: Request{Vars: q("_Offset", "0")}, page: Page{Events: 2}, more: true},
				{want: Request{Query: q("offset", "3"), Vars: q("_Offset", "3"), OnlyPagingParams: true}, page: Page{Events: 0}},
			},
		},
		{
			name:   "Offset body paths with an end parameter (Cortex XDR)",
			paging: `{"offsetParaName":"$.request_data.search_from","pagingType":"Offset","offsetEndParaName":"$.request_data.search_to","pageSize":100}`,
			steps: []step{
				{want: Request{Body: map[string]any{"request_data": map[string]any{"search_from": 0, "search_to": 100}}, Vars: q("_Offset", "0")}, page: Page{Events: 100}, more: true},
				{want: Request{Body: map[string]any{"request_data": map[string]any{"search_from": 100, "search_to": 200}}, Vars: q("_Offset", "100")}, page: Page{Events: 0}},
			},
		},
		{
			name:   "Offset OData names stay query parameters (ESET)",
			paging: `{"offsetParaName":"$skip","pageSize":1,"pageSizeParameterName":"$top","pagingType":"Offset"}`,
			steps: []step{
				{want: Request{Query: q("$top", "1", "$skip", "0"), Vars: q("_Offset", "0")}, page: Page{Events: 1}, more: true},
				{want: Request{Query: q("$top", "1", "$skip", "1"), Vars: q("_Offset", "1")}, page: Page{Events: 0}},
			},
		},
		{
			name:   "Offset step and maxOffsetPath (VersasecCMS)",
			paging: `{"pagingType":"Offset","offsetParaName":"resultPosition","step":2,"maxOffsetPath":"$.maxCount","pagingInfoPlacement":"RequestBody"}`,
			steps: []step{
				{want: Request{Body: map[string]any{"resultPosition": 0}, Vars: q("_Offset", "0")}, page: Page{Body: body(`{"maxCount":4,"rows":[1,2]}`), Events: 2}, more: true},
				{want: Request{Body: map[string]any{"resultPosition": 2}, Vars: q("_Offset", "2")}, page: Page{Body: body(`{"maxCount":4,"rows":[3,4]}`), Events: 2}},
			},
		},
		{
			name:   "CountBasedPaging documented example (zero-based, has-next, page count)",
			paging: `{"pagingType":"CountBasedPaging","pageNumberParaName":"page","pageSize":10,"zeroBasedIndexing":true,"hasNextFlagJsonPath":"$.hasNext","totalResultsJsonPath":"$.totalResults","pageNumberJsonPath":"$.pageNumber","pageCountJsonPath":"$.pageCount"}`,
			steps: []step{
				{want: Request{Query: q("page", "0")}, page: Page{Body: body(`{"hasNext":true,"totalResults":25,"pageNumber":0,"pageCount":3}`), Events: 10}, more: true},
				{want: Request{Query: q("page", "1")}, page: Page{Body: body(`{"hasNext":true,"totalResults":25,"pageNumber":1,"pageCount":3}`), Events: 10}, more: true},
				{want: Request{Query: q("page", "2")}, page: Page{Body: body(`{"hasNext":true,"totalResults":25,"pageNumber":2,"pageCount":3}`), Events: 5}},
			},
		},
		{
			name:   "CountBasedPaging total results reached",
			paging: `{"pagingType":"CountBasedPaging","pageNumberParaName":"page","pageSize":2,"pageSizeParaName":"size","totalResultsJsonPath":"$.page.totalElements"}`,
			steps: []step{
				{want: Request{Query: q("page", "1", "size", "2")}, page: Page{Body: body(`{"page":{"totalElements":4},"items":["a","b"]}`), Events: 2}, more: true},
				{want: Request{Query: q("page", "2", "size", "2")}, page: Page{Body: body(`{"page":{"totalElements":4},"items":["c","d"]}`), Events: 2}},
			},
		},
		{
			name:   "CountBasedPaging short page without indicators (Salesforce Marketing Cloud $page)",
			paging: `{"pageNumberJsonPath":"$.page","pageNumberParaName":"$page","pageSize":50,"pagingType":"CountBasedPaging","zeroBasedIndexing":false}`,
			steps: []step{
				{want: Request{Query: q("$page", "1")}, page: Page{Body: body(`{"page":1}`), Events: 50}, more: true},
				{want: Request{Query: q("$page", "2")}, page: Page{Body: body(`{"page":2}`), Events: 49}},
			},
		},
		{
			name:   "Offset identical page is a loop",
			paging: `{"offsetParaName":"o","pageSize":1,"pagingType":"Offset"}`,
			steps: []step{
				{want: Request{Query: q("o", "0"), Vars: q("_Offset", "0")}, page: Page{Body: body(`[{"id":1,"b":{"x":[1,2]}}]`), Events: 1}, more: true},
				{want: Request{Query: q("o", "1"), Vars: q("_Offset", "1")}, page: Page{Body: body(`[{"b":{"x":[1,2]},"id":1}]`), Events: 1}, loop: true},
			},
		},
		{
			name:   "Offset pages that differ in one nested value go on",
			paging: `{"offsetParaName":"o","pageSize":1,"pagingType":"Offset"}`,
			steps: []step{
				{want: Request{Query: q("o", "0"), Vars: q("_Offset", "0")}, page: Page{Body: body(`[{"id":1,"b":{"x":[1,2]}}]`), Events: 1}, more: true},
				{want: Request{Query: q("o", "1"), Vars: q("_Offset", "1")}, page: Page{Body: body(`[{"id":1,"b":{"x":[2,1]}}]`), Events: 1}, more: true},
				{want: Request{Query: q("o", "2"), Vars: q("_Offset", "2")}, page: Page{Body: body(`[]`), Events: 0}},
			},
		},
		{
			name:   "CountBasedPaging identical page is a loop",
			paging: `{"pagingType":"CountBasedPaging","pageNumberParaName":"p"}`,
			steps: []step{
				{want: Request{Query: q("p", "1")}, page: Page{Body: body(`{"v":[{"a":"x"}]}`), Events: 1}, more: true},
				{want: Request{Query: q("p", "2")}, page: Page{Body: body(`{"v":[{"a":"x"}]}`), Events: 1}, loop: true},
			},
		},
		{
			name:   "CountBasedPaging empty page stops",
			paging: `{"pagingType":"CountBasedPaging","pageNumberParaName":"p","hasNextFlagJsonPath":"$.more"}`,
			steps: []step{
				{want: Request{Query: q("p", "1")}, page: Page{Body: body(`{"more":true}`), Events: 0}},
			},
		},
		{
			name:   "PersistentLinkHeader keeps the link of a caught-up page",
			paging: `{"pagingType":"PersistentLinkHeader","pageSizeParameterName":"limit","pageSize":500}`,
			steps: []step{
				{want: Request{Query: q("limit", "500")}, page: Page{URL: "https://a/e?limit=500", Header: http.Header{"Link": {`<https://a/e?cursor=2>; rel="next"`}}, Events: 500}, more: true},
				{want: Request{URL: "https://a/e?cursor=2"}, page: Page{URL: "https://a/e?cursor=2", Header: http.Header{"Link": {`<https://a/e?cursor=3>; rel="next"`}}, Events: 0}},
			},
			cursor: `{"next":"https://a/e?cursor=3"}`,
		},
		{
			name:   "PersistentLinkHeader without a last link clears the cursor",
			paging: `{"pagingType":"PersistentLinkHeader"}`,
			steps: []step{
				{want: Request{}, page: Page{URL: "https://a/e", Header: http.Header{}, Events: 3}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pg, err := NewWithOptions(pagingOf(t, tc.paging), tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			w := run(t, pg, nil, tc.steps)
			if got := string(w.Cursor()); got != tc.cursor {
				t.Fatalf("final cursor %q, want %q", got, tc.cursor)
			}
		})
	}
}

// TestPersistentAcrossWindows: the cursor left by one window starts the
// next window at the saved position.
func TestPersistentAcrossWindows(t *testing.T) {
	tests := []struct {
		paging string
		want   Request
	}{
		{`{"nextPageParaName":"from","nextPageTokenJsonPath":"$.next_checkpoint","pageSize":100,"pageSizeParameterName":"limit","pagingType":"PersistentToken"}`, Request{Query: q("limit", "100", "from", "T")}},
		{`{"pagingType":"PersistentLinkHeader"}`, Request{URL: "https://a/T"}},
	}
	for _, tc := range tests {
		pg, err := New(pagingOf(t, tc.paging))
		if err != nil {
			t.Fatal(err)
		}
		if !pg.Persistent() {
			t.Fatal("not persistent")
		}
		w, _ := pg.Window(nil)
		if more, err := w.Next(Page{URL: "https://a/1", Body: body(`{"next_checkpoint":"T"}`), Header: http.Header{"Link": {"<https://a/T>; rel=next"}}, Events: 0}); more || err != nil {
			t.Fatal(more, err)
		}
		w2, err := pg.Window(w.Cursor())
		if err != nil {
			t.Fatal(err)
		}
		if got := w2.Request(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: next window request %#v, want %#v", tc.paging, got, tc.want)
		}
	}
}

func TestTypesConfigErrors(t *testing.T) {
	tests := []struct {
		paging string
		want   string
	}{
		{`{"pagingType":"NextPageToken","nextPageParaName":"p"}`, "paging.nextPageTokenJsonPath: required"},
		{`{"pagingType":"NextPageToken","nextPageTokenJsonPath":"$.a"}`, "paging.nextPageParaName: nowhere to send the token"},
		{`{"pagingType":"NextPageToken","nextPageTokenJsonPath":"$.a[","nextPageParaName":"p"}`, "paging.nextPageTokenJsonPath: jsonpath"},
		{`{"pagingType":"NextPageToken","nextPageTokenJsonPath":"$.a","nextPageParaName":"$.a b"}`, "paging.nextPageParaName: \"$.a b\""},
		{`{"pagingType":"NextPageToken","nextPageTokenJsonPath":"$.a","nextPageParaName":"p","hasNextFlagJsonPath":"$[?("}`, "paging.hasNextFlagJsonPath"},
		{`{"pagingType":"NextPageToken","nextPageTokenResponseHeader":"h","nextPageParaName":"p","tokenTransform":{"TransformType":"Regex"}}`, "paging.tokenTransform.TransformType"},
		{`{"pagingType":"NextPageToken","nextPageTokenResponseHeader":"h","nextPageParaName":"p","tokenTransform":"x"}`, "paging.tokenTransform: want an object"},
		{`{"pagingType":"NextPageToken","nextPageParaName":"p","condition":{"check":"window.x()"}}`, "paging.condition.check"},
		{`{"pagingType":"NextPageToken","nextPageParaName":"p","condition":{"nextCursorProcessing":"data.a.b.toUpperCase()"}}`, "paging.condition.nextCursorProcessing"},
		{`{"pagingType":"NextPageToken","nextPageParaName":"p","condition":{"nextCursorProcessing":"data.a.replace(/(/, 'x')"}}`, "regex"},
		{`{"pagingType":"NextPageUrl","nextPageTokenJsonPath":"$.n","nextPageUrl":"ftp://x"}`, "paging.nextPageUrl"},
		{`{"pagingType":"NextPageUrl","nextPageTokenJsonPath":"$.n","isNextPageTokenRelativeUrl":"maybe"}`, "paging.isNextPageTokenRelativeUrl"},
		{`{"pagingType":"Offset","pageSize":10}`, "paging.offsetParaName: required"},
		{`{"pagingType":"Offset","offsetParaName":"o","offsetEndParaName":"e"}`, "paging.offsetEndParaName: needs pageSize"},
		{`{"pagingType":"Offset","offsetParaName":"o","maxOffsetPath":"$.["}`, "paging.maxOffsetPath"},
		{`{"pagingType":"Offset","offsetParaName":"o","step":"ten"}`, "paging.step: want an integer"},
		{`{"pagingType":"Offset","offsetParaName":"o","pagingInfoPlacement":"Header"}`, "paging.pagingInfoPlacement"},
		{`{"pagingType":"CountBasedPaging","pageSize":10}`, "paging.pageNumberParaName: required"},
		{`{"pagingType":"CountBasedPaging","pageNumberParaName":"p","pageCountJsonPath":"$..["}`, "paging.pageCountJsonPath"},
		{`{"pagingType":"PersistentLinkHeader","linkHeaderTokenJsonPath":"$.["}`, "paging.linkHeaderTokenJsonPath"},
	}
	for _, tc := range tests {
		_, err := New(pagingOf(t, tc.paging))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.paging, err, tc.want)
		}
	}
}

func TestBadCursors(t *testing.T) {
	for _, js := range []string{
		`{"pagingType":"NextPageToken","nextPageTokenJsonPath":"$.a","nextPageParaName":"p"}`,
		`{"pagingType":"Offset","offsetParaName":"o"}`,
		`{"pagingType":"CountBasedPaging","pageNumberParaName":"p"}`,
		`{"pagingType":"PersistentLinkHeader"}`,
	} {
		pg, err := New(pagingOf(t, js))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []string{`{`, `[1]`} {
			if _, err := pg.Window([]byte(c)); err == nil || !strings.Contains(err.Error(), "cursor") {
				t.Errorf("%s cursor %s: err = %v", js, c, err)
			}
		}
	}
	pg, _ := New(pagingOf(t, `{"pagingType":"Offset","offsetParaName":"o"}`))
	if _, err := pg.Window([]byte(`{"offset":-1}`)); err == nil {
		t.Error("negative offset accepted")
	}
	pg, _ = New(pagingOf(t, `{"pagingType":"CountBasedPaging","pageNumberParaName":"p"}`))
	if _, err := pg.Window([]byte(`{"page":0}`)); err == nil {
		t.Error("page 0 accepted for 1-based paging")
	}
}

func TestTokenTransformOutOfRange(t *testing.T) {
	pg, err := New(pagingOf(t, `{"pagingType":"NextPageToken","nextPageParaName":"handle","nextPageTokenResponseHeader":"paging","tokenTransform":{"SliceDelimiter":"=","StringIndex":1,"TransformType":"SplitOnDelimiter"}}`))
	if err != nil {
		t.Fatal(err)
	}
	run(t, pg, nil, []step{{want: Request{}, page: Page{Header: http.Header{"Paging": {"nodelimiter"}}, Events: 1}, errMatch: "StringIndex 1 is out of range"}})
}

func TestMergeBody(t *testing.T) {
	dst := map[string]any{"query": "q", "variables": map[string]any{"first": 10, "filters": []any{1}}}
	MergeBody(dst, map[string]any{"variables": map[string]any{"after": "C"}, "limit": 5})
	want := map[string]any{"query": "q", "limit": 5, "variables": map[string]any{"first": 10, "filters": []any{1}, "after": "C"}}
	if !reflect.DeepEqual(dst, want) {
		t.Fatalf("got %#v", dst)
	}
	// A scalar is replaced by an object and the source is not aliased.
	src := map[string]any{"a": map[string]any{"b": 1}}
	dst = map[string]any{"a": "x"}
	MergeBody(dst, src)
	dst["a"].(map[string]any)["b"] = 2
	if src["a"].(map[string]any)["b"] != 1 {
		t.Fatal("MergeBody aliases src")
	}
}

func TestTypesListed(t *testing.T) {
	want := []string{"countbasedpaging", "linkheader", "nextpagetoken", "nextpageurl", "none", "offset", "persistentlinkheader", "persistenttoken"}
	if got := Types(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Types() = %v", got)
	}
}

func FuzzCondition(f *testing.F) {
	f.Add("data.a && data.a.b", "data.a.b.replace(/=$/, '%3D')", `{"a":{"b":"x="}}`)
	f.Add("data.x || data.y", "", `{"y":1}`)
	f.Fuzz(func(t *testing.T, check, proc, js string) {
		c := &Condition{Check: check, Processing: proc}
		if err := c.compile(); err != nil {
			return
		}
		var v any
		if json.Unmarshal([]byte(js), &v) != nil {
			return
		}
		_, _ = c.eval(v) // must not panic
	})
}
