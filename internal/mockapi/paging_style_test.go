package mockapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/poll/decode"
	"github.com/codeless/codeless/internal/poll/paging"
	"github.com/codeless/codeless/internal/resource"
)

// styleCase pairs a mock Style with the CCF paging/response config that
// reads it, as a real connector would.
type styleCase struct {
	name     string
	style    Style
	paging   string // CCF paging JSON
	response string // CCF response JSON
	post     bool   // POST with a JSON body holding the window
	base     map[string]any
	pageSize int
}

// client is a minimal poll loop over paging and decode (the real Runner
// lives in internal/poll; this keeps the mock's tests self-contained).
type client struct {
	t     *testing.T
	url   string
	c     styleCase
	pager paging.Pager
	dec   *decode.Decoder
	// persistent cursor carried across windows
	persistent []byte
	got        map[string]int
}

func newClient(t *testing.T, srvURL string, c styleCase) *client {
	t.Helper()
	conn, err := resource.DecodeConnection([]byte(`{"kind":"RestApiPoller","properties":{"paging":` + c.paging + `,"response":` + c.response + `}}`))
	if err != nil {
		t.Fatal(err)
	}
	pg, err := paging.New(conn.Properties.Paging)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := decode.New(conn.Properties.Response)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, url: srvURL + "/events", c: c, pager: pg, dec: dec, got: map[string]int{}}
}

// window polls [t0, t1) to the end and returns the paging error, if any.
func (cl *client) window(t0, t1 time.Time) error {
	var cursor []byte
	if cl.pager.Persistent() {
		cursor = cl.persistent
	}
	w, err := cl.pager.Window(cursor)
	if err != nil {
		return err
	}
	for pages := 0; pages < 1000; pages++ {
		pr := w.Request()
		u, _ := url.Parse(cl.url)
		q := url.Values{}
		var body map[string]any
		if cl.c.post {
			body = map[string]any{"t0": t0.Unix(), "t1": t1.Unix()}
			paging.MergeBody(body, cl.c.base)
		} else {
			q.Set("t0", strconv.FormatInt(t0.Unix(), 10))
			q.Set("t1", strconv.FormatInt(t1.Unix(), 10))
		}
		if pr.OnlyPagingParams {
			q = url.Values{}
		}
		for k, v := range pr.Query {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
		if pr.URL != "" {
			if u, err = u.Parse(pr.URL); err != nil {
				return err
			}
		}
		if len(pr.Body) > 0 {
			if body == nil {
				body = map[string]any{}
			}
			paging.MergeBody(body, pr.Body)
		}
		method := http.MethodGet
		var rd io.Reader
		if body != nil {
			method = http.MethodPost
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, u.String(), rd)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, v := range pr.Headers {
			req.Header.Set(k, v)
		}
		// No transparent decompression: the decoder handles it.
		req.Header.Set("Accept-Encoding", "identity")
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			return err
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d: %s", resp.StatusCode, raw)
		}
		page, err := cl.dec.Decode(raw, resp.Header)
		if err != nil {
			return err
		}
		for _, e := range page.Events {
			m, _ := e.(map[string]any)
			id, _ := m["id"].(string)
			cl.got[id]++
		}
		more, err := w.Next(paging.Page{URL: u.String(), Status: resp.StatusCode, Header: resp.Header, Body: page.Body, Events: len(page.Events)})
		if err != nil || !more {
			if cl.pager.Persistent() {
				cl.persistent = w.Cursor()
			}
			return err
		}
	}
	return errors.New("page cap")
}

func styleCases() []styleCase {
	return []styleCase{
		{name: "NextPageToken body token, page size parameter",
			style:  Style{Paging: PagingStyle{Type: "NextPageToken", EventsPath: "data", TokenPath: "pagination.nextCursor", TokenParam: "cursor", PageSizeParam: "limit"}},
			paging: `{"pagingType":"NextPageToken","nextPageTokenJsonPath":"$.pagination.nextCursor","NextPageParaName":"cursor","pageSize":7,"pageSizeParameterName":"limit"}`, response: `{"eventsJsonPaths":["$.data"]}`},
		{name: "NextPageToken response header with tokenTransform (SAP BTP)",
			style:  Style{Paging: PagingStyle{Type: "NextPageToken", TokenHeader: "paging", TokenHeaderPrefix: "handle=", TokenParam: "handle"}},
			paging: `{"pagingType":"NextPageToken","nextPageParaName":"handle","nextPageTokenResponseHeader":"paging","tokenTransform":{"SliceDelimiter":"=","StringIndex":1,"TransformType":"SplitOnDelimiter"}}`, response: `{"eventsJsonPaths":["$"]}`},
		{name: "NextPageToken GraphQL body (SentinelOne)",
			style:    Style{WindowInBody: true, Paging: PagingStyle{Type: "NextPageToken", EventsPath: "data.alerts.edges", TokenPath: "data.alerts.pageInfo.endCursor", HasNextPath: "data.alerts.pageInfo.hasNextPage", TokenParam: "$.variables.after"}},
			paging:   `{"pagingType":"NextPageToken","nextPageTokenJsonPath":"$.data.alerts.pageInfo.endCursor","NextPageParaName":"$.variables.after","hasNextFlagJsonPath":"$.data.alerts.pageInfo.hasNextPage","pageSize":1000,"pagingInfoPlacement":"RequestBody"}`,
			response: `{"eventsJsonPaths":["$.data.alerts.edges[*]"]}`, post: true, base: map[string]any{"query": "q", "variables": map[string]any{"first": 5}}},
		{name: "NextPageToken Slack condition",
			style:  Style{Paging: PagingStyle{Type: "NextPageToken", EventsPath: "entries", TokenPath: "response_metadata.next_cursor", TokenParam: "cursor"}},
			paging: `{"condition":{"check":"data.response_metadata && data.response_metadata.next_cursor","nextCursorProcessing":"data.response_metadata.next_cursor.replace(/=$/, '%3D')"},"nextPageParaName":"cursor","nextPageTokenJsonPath":"$.response_metadata.next_cursor","pagingType":"NextPageToken"}`, response: `{"eventsJsonPaths":["$.entries"]}`},
		{name: "NextPageToken pagingQueryParamOnly (Dynatrace)",
			style:  Style{Paging: PagingStyle{Type: "NextPageToken", EventsPath: "result.items", TokenPath: "result.nextPageKey", TokenParam: "nextPageKey"}},
			paging: `{"nextPageParaName":"nextPageKey","nextPageTokenJsonPath":"$.result.nextPageKey","pagingQueryParamOnly":true,"pagingType":"NextPageToken"}`, response: `{"eventsJsonPaths":["$.result.items"]}`},
		{name: "NextPageToken unrooted ..scrollCursor",
			style:  Style{Paging: PagingStyle{Type: "NextPageToken", EventsPath: "items", TokenPath: "meta.scrollCursor", TokenParam: "_cursor", PageSizeParam: "_limit"}},
			paging: `{"nextPageParaName":"_cursor","nextPageTokenJsonPath":"..scrollCursor","pageSize":4,"pageSizeParaName":"_limit","pagingType":"NextPageToken"}`, response: `{"eventsJsonPaths":["$.items"]}`},
		{name: "PersistentToken from the last event (Auth0)",
			style:  Style{Paging: PagingStyle{Type: "PersistentToken", TokenInLastEvent: true, TokenParam: "from", PageSizeParam: "take"}},
			paging: `{"PageSize":4,"PageSizeParameterName":"take","nextPageParaName":"from","nextPageTokenJsonPath":"$.[-1:].cursor","pagingType":"PersistentToken"}`, response: `{"eventsJsonPaths":["$"]}`},
		{name: "PersistentToken body position (Box)",
			style:  Style{Paging: PagingStyle{Type: "PersistentToken", EventsPath: "entries", TokenPath: "next_stream_position", TokenParam: "stream_position"}},
			paging: `{"nextPageParaName":"stream_position","nextPageTokenJsonPath":"$.next_stream_position","pagingType":"PersistentToken"}`, response: `{"eventsJsonPaths":["$.entries"]}`},
		{name: "NextPageUrl relative (Salesforce)",
			style:  Style{Paging: PagingStyle{Type: "NextPageUrl", EventsPath: "records", TokenPath: "nextRecordsUrl", RelativeLink: true}},
			paging: `{"pagingType":"NextPageUrl","nextPageUrl":"BASE","nextPageTokenJsonPath":"$.nextRecordsUrl","isNextPageTokenRelativeUrl":true}`, response: `{"eventsJsonPaths":["$.records[*]"]}`},
		{name: "LinkHeader link in the body (@odata.nextLink)",
			style:  Style{Paging: PagingStyle{Type: "LinkHeader", EventsPath: "value", LinkPath: `@odata\.nextLink`}},
			paging: `{"linkHeaderTokenJsonPath":"$.['@odata.nextLink']","pagingType":"LinkHeader"}`, response: `{"eventsJsonPaths":["$.value"]}`},
		{name: "Offset query parameters",
			style:  Style{Paging: PagingStyle{Type: "Offset", OffsetParam: "offset", PageSizeParam: "limit"}},
			paging: `{"OffsetParaName":"offset","PageSize":6,"PageSizeParameterName":"limit","pagingType":"Offset"}`, response: `{"eventsJsonPaths":["$"]}`},
		{name: "Offset body paths with end (Cortex XDR)",
			style:    Style{WindowInBody: true, Paging: PagingStyle{Type: "Offset", EventsPath: "reply.alerts", OffsetParam: "$.request_data.search_from", OffsetEndParam: "$.request_data.search_to"}},
			paging:   `{"offsetParaName":"$.request_data.search_from","pagingType":"Offset","offsetEndParaName":"$.request_data.search_to","pageSize":5}`,
			response: `{"eventsJsonPaths":["$.reply.alerts"]}`, post: true, base: map[string]any{"request_data": map[string]any{"filters": []any{}}}},
		{name: "CountBasedPaging zero-based with counts",
			style:  Style{Paging: PagingStyle{Type: "CountBasedPaging", EventsPath: "items", PageParam: "page", ZeroBased: true, PageSizeParam: "size", TotalPath: "page.totalElements", PageNumberPath: "page.number", PageCountPath: "page.totalPages"}},
			paging: `{"pageCountJsonPath":"$.page.totalPages","pageNumberJsonPath":"$.page.number","pageNumberParaName":"page","pagingType":"CountBasedPaging","totalResultsJsonPath":"$.page.totalElements","zeroBasedIndexing":true,"pageSize":4,"pageSizeParaName":"size"}`, response: `{"eventsJsonPaths":["$.items"]}`},
		{name: "CSV with Link header",
			style:  Style{Paging: PagingStyle{Type: "LinkHeader"}, Format: FormatStyle{Format: "csv"}},
			paging: `{"pagingType":"LinkHeader"}`, response: `{"eventsJsonPaths":["$"],"format":"csv","csvDelimiter":",","hasCsvHeader":true,"csvEscape":"\""}`},
		{name: "CSV semicolon, single quote, gzip without Content-Encoding",
			style:  Style{Paging: PagingStyle{Type: "LinkHeader"}, Format: FormatStyle{Format: "csv", CSVDelimiter: ';', CSVQuote: '\'', Compression: "gzip"}},
			paging: `{"pagingType":"LinkHeader"}`, response: `{"eventsJsonPaths":["$"],"format":"csv","csvDelimiter":";","csvEscape":"'","isGzipCompressed":true}`},
		{name: "XML with a CDATA next link (QualysVM)",
			style:    Style{Paging: PagingStyle{Type: "LinkHeader", EventsPath: "RESPONSE.HOST_LIST.HOST", LinkPath: "RESPONSE.WARNING.URL"}, Format: FormatStyle{Format: "xml", RootElement: "HOST_LIST_VM_DETECTION_OUTPUT", CDATA: true}},
			paging:   `{"linkHeaderTokenJsonPath":"$.HOST_LIST_VM_DETECTION_OUTPUT.RESPONSE.WARNING.URL.#cdata-section","pagingType":"LinkHeader"}`,
			response: `{"eventsJsonPaths":["$.HOST_LIST_VM_DETECTION_OUTPUT.RESPONSE.HOST_LIST.HOST"],"format":"xml"}`},
		{name: "JSON lines with Link header, deflate announced",
			style:  Style{Paging: PagingStyle{Type: "LinkHeader"}, Format: FormatStyle{Format: "jsonlines", Compression: "deflate", ContentEncoding: true}},
			paging: `{"pagingType":"LinkHeader"}`, response: `{"eventsJsonPaths":["$"],"format":"jsonlines"}`},
		{name: "gzip announced, raw deflate configured",
			style:  Style{Paging: PagingStyle{Type: "NextPageToken", EventsPath: "v", TokenPath: "next", TokenParam: "p"}, Format: FormatStyle{Compression: "deflate-raw"}},
			paging: `{"pagingType":"NextPageToken","nextPageTokenJsonPath":"$.next","nextPageParaName":"p"}`, response: `{"eventsJsonPaths":["$.v"],"compressionAlgo":"deflate"}`},
		{name: "multi-gzip members, no paging",
			style:  Style{Paging: PagingStyle{Type: "None", EventsPath: "v"}, Format: FormatStyle{Compression: "multi-gzip", ChunkEvents: 3}},
			paging: `{"pagingType":"None"}`, response: `{"eventsJsonPaths":["$.v"],"compressionAlgo":"multi-gzip"}`},
	}
}

// TestStylesExactlyOnce runs three windows of every style through the real
// paginators and decoders and checks each event arrived exactly once.
func TestStylesExactlyOnce(t *testing.T) {
	origin := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range styleCases() {
		t.Run(c.name, func(t *testing.T) {
			s := New(Config{Origin: origin, EventsPerMinute: 10, PageSize: 4})
			now := origin
			c.style.Now = func() time.Time { return now }
			srv := httptest.NewServer(s.Styled(c.style))
			defer srv.Close()
			c.paging = string(bytes.ReplaceAll([]byte(c.paging), []byte(`"BASE"`), []byte(`"`+srv.URL+`"`)))
			cl := newClient(t, srv.URL, c)
			var want []string
			for i := 0; i < 3; i++ {
				t0, t1 := origin.Add(time.Duration(i)*3*time.Minute), origin.Add(time.Duration(i+1)*3*time.Minute)
				now = t1
				if err := cl.window(t0, t1); err != nil {
					t.Fatalf("window %d: %v", i, err)
				}
				want = append(want, s.Expected(t0, t1)...)
			}
			got := IDs(cl.got)
			sort.Strings(want)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %d ids %v\nwant %d %v", len(got), got, len(want), want)
			}
			for id, n := range cl.got {
				if n != 1 {
					t.Errorf("%s received %d times", id, n)
				}
			}
			for id, n := range s.Ledger() {
				if n != 1 {
					t.Errorf("%s served %d times", id, n)
				}
			}
			if c.style.Paging.Type != "None" && len(s.Requests()) < 4 {
				t.Errorf("only %d requests: the style did not page", len(s.Requests()))
			}
		})
	}
}

func TestStyleFaults(t *testing.T) {
	origin := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	t0, t1 := origin, origin.Add(5*time.Minute)
	t.Run("repeated token is a paging loop", func(t *testing.T) {
		for _, c := range []styleCase{
			{style: Style{Paging: PagingStyle{Type: "NextPageToken", EventsPath: "v", TokenPath: "next", TokenParam: "p"}, Faults: PagingFaults{RepeatTokenAt: 2}},
				paging: `{"pagingType":"NextPageToken","nextPageTokenJsonPath":"$.next","nextPageParaName":"p"}`, response: `{"eventsJsonPaths":["$.v"]}`},
			{style: Style{Paging: PagingStyle{Type: "LinkHeader"}, Faults: PagingFaults{RepeatTokenAt: 1}},
				paging: `{"pagingType":"LinkHeader"}`, response: `{"eventsJsonPaths":["$"]}`},
		} {
			s := New(Config{Origin: origin, EventsPerMinute: 10, PageSize: 4})
			srv := httptest.NewServer(s.Styled(c.style))
			err := newClient(t, srv.URL, c).window(t0, t1)
			srv.Close()
			if !errors.Is(err, paging.ErrLoop) {
				t.Errorf("%s: err = %v, want a paging loop", c.style.Paging.Type, err)
			}
		}
	})
	t.Run("truncated bodies are decode errors and not served", func(t *testing.T) {
		for _, c := range []styleCase{
			{style: Style{Paging: PagingStyle{Type: "None"}, Faults: PagingFaults{TruncateEvery: 1}}, paging: `{"pagingType":"None"}`, response: `{"eventsJsonPaths":["$"]}`},
			{style: Style{Paging: PagingStyle{Type: "None"}, Format: FormatStyle{Compression: "gzip", ContentEncoding: true}, Faults: PagingFaults{TruncateEvery: 1}}, paging: `{"pagingType":"None"}`, response: `{"eventsJsonPaths":["$"]}`},
			{style: Style{Paging: PagingStyle{Type: "None"}, Format: FormatStyle{Format: "xml"}, Faults: PagingFaults{TruncateEvery: 1}}, paging: `{"pagingType":"None"}`, response: `{"eventsJsonPaths":["$.Response.Events.Event"],"format":"xml"}`},
		} {
			s := New(Config{Origin: origin, EventsPerMinute: 10})
			srv := httptest.NewServer(s.Styled(c.style))
			err := newClient(t, srv.URL, c).window(t0, t1)
			srv.Close()
			if !errors.Is(err, decode.ErrSyntax) && !errors.Is(err, decode.ErrDecompress) {
				t.Errorf("%+v: err = %v, want a decode error", c.style.Format, err)
			}
			if len(s.Ledger()) != 0 {
				t.Errorf("truncated events recorded as served")
			}
		}
	})
	t.Run("bad requests", func(t *testing.T) {
		s := New(Config{Origin: origin})
		tests := []struct {
			style Style
			query string
			want  int
		}{
			{Style{Paging: PagingStyle{Type: "NextPageToken", TokenParam: "p"}}, "p=%%%", 400},
			{Style{Paging: PagingStyle{Type: "NextPageToken", TokenParam: "p"}}, "p=bm90YXRva2Vu", 400},
			{Style{Paging: PagingStyle{Type: "Offset", OffsetParam: "o"}}, "t0=0&t1=60&o=-1", 400},
			{Style{Paging: PagingStyle{Type: "CountBasedPaging", PageParam: "page"}}, "t0=0&t1=60&page=0", 400},
			{Style{Paging: PagingStyle{Type: "Offset", OffsetParam: "o"}}, "", 400},
			{Style{Paging: PagingStyle{Type: "PersistentLinkHeader"}}, "", 400},
			{Style{Paging: PagingStyle{Type: "Bogus"}}, "t0=0&t1=60", 400},
		}
		for _, tc := range tests {
			rec := httptest.NewRecorder()
			s.Styled(tc.style).ServeHTTP(rec, httptest.NewRequest("GET", "/events?"+tc.query, nil))
			if rec.Code != tc.want {
				t.Errorf("%s %q: status %d, want %d (%s)", tc.style.Paging.Type, tc.query, rec.Code, tc.want, rec.Body)
			}
		}
	})
}

// TestPersistentLinkHeaderStyle: the server-side cursor carries over windows
// and the Now bound keeps future events unserved.
func TestPersistentLinkHeaderStyle(t *testing.T) {
	origin := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	s := New(Config{Origin: origin, EventsPerMinute: 10, PageSize: 4})
	now := origin.Add(2 * time.Minute)
	srv := httptest.NewServer(s.Styled(Style{Paging: PagingStyle{Type: "PersistentLinkHeader"}, Now: func() time.Time { return now }}))
	defer srv.Close()
	cl := newClient(t, srv.URL, styleCase{paging: `{"pagingType":"PersistentLinkHeader","pageSize":4,"pageSizeParameterName":"limit"}`, response: `{"eventsJsonPaths":["$"]}`})
	if err := cl.window(origin, now); err != nil {
		t.Fatal(err)
	}
	if len(cl.got) != 20 || cl.persistent == nil {
		t.Fatalf("first window: %d events, cursor %s", len(cl.got), cl.persistent)
	}
	now = now.Add(time.Minute)
	if err := cl.window(origin, now); err != nil {
		t.Fatal(err)
	}
	if len(cl.got) != 30 {
		t.Fatalf("second window: %d events in total, want 30", len(cl.got))
	}
	for id, n := range s.Ledger() {
		if n != 1 {
			t.Errorf("%s served %d times", id, n)
		}
	}
}
