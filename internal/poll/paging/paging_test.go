package paging

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/resource"
)

func TestParseLink(t *testing.T) {
	tests := []struct{ header, rel, want string }{
		{`<https://a/x?page=2>; rel="next"`, "next", "https://a/x?page=2"},
		{`<https://a/1>; rel="prev", <https://a/3>; rel="next"`, "next", "https://a/3"},
		{`<https://a/1>; rel=prev, <https://a/3>; rel=next`, "next", "https://a/3"},
		{`<https://a/x,y>; rel="first", <https://a/n>; title="a, b"; rel="next last"`, "next", "https://a/n"},
		{`<https://a/1>; rel="prev"`, "next", ""},
		{`garbage`, "next", ""},
		{`<https://a/1`, "next", ""},
		{``, "next", ""},
		{`<https://a/1>; REL="Next"`, "next", "https://a/1"},
	}
	for _, tc := range tests {
		if got := ParseLink(tc.header, tc.rel); got != tc.want {
			t.Errorf("ParseLink(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}

func TestLinkHeaderHeaderMode(t *testing.T) {
	for _, jp := range []string{"", "Link"} {
		pg, err := New(&resource.Paging{PagingType: "LinkHeader", PageSize: 50, PageSizeParameterName: "limit", LinkHeaderTokenJSONPath: jp, LinkHeaderRelLinkName: "rel=next"})
		if err != nil {
			t.Fatal(err)
		}
		w, _ := pg.Window(nil)
		if r := w.Request(); !reflect.DeepEqual(r, Request{Query: map[string]string{"limit": "50"}}) {
			t.Fatalf("first request %+v", r)
		}
		more, err := w.Next(Page{URL: "https://api/x?limit=50", Header: http.Header{"Link": {`</x?limit=50&page=2>; rel="next"`}}})
		if err != nil || !more {
			t.Fatalf("more %v err %v", more, err)
		}
		if r := w.Request(); r.URL != "https://api/x?limit=50&page=2" {
			t.Fatalf("next request %+v", r)
		}
		// Resume from the cursor in a fresh window.
		w2, err := pg.Window(w.Cursor())
		if err != nil {
			t.Fatal(err)
		}
		if r := w2.Request(); r.URL != "https://api/x?limit=50&page=2" {
			t.Fatalf("resumed request %+v", r)
		}
		more, err = w.Next(Page{URL: "https://api/x?limit=50&page=2", Header: http.Header{}})
		if err != nil || more {
			t.Fatalf("last page: more %v err %v", more, err)
		}
		if w.Cursor() != nil {
			t.Fatalf("cursor after last page %s", w.Cursor())
		}
	}
}

func TestLinkHeaderBodyMode(t *testing.T) {
	pg, err := New(&resource.Paging{PagingType: "linkheader", LinkHeaderTokenJSONPath: "$.['@odata.nextLink']", PagingInfoPlacement: "RequestBody", PageSize: 10, PageSizeParameterName: "top"})
	if err != nil {
		t.Fatal(err)
	}
	w, _ := pg.Window(nil)
	if r := w.Request(); !reflect.DeepEqual(r.Body, map[string]any{"top": 10}) || r.Query != nil {
		t.Fatalf("first request %+v", r)
	}
	body := map[string]any{"@odata.nextLink": "https://g/next?skip=1", "value": []any{}}
	if more, err := w.Next(Page{URL: "https://g/x", Body: body}); !more || err != nil {
		t.Fatalf("more %v err %v", more, err)
	}
	if more, _ := w.Next(Page{URL: "https://g/next?skip=1", Body: map[string]any{"@odata.nextLink": ""}}); more {
		t.Fatal("empty link must stop")
	}
}

func TestLinkHeaderLoopGuard(t *testing.T) {
	pg, _ := New(&resource.Paging{PagingType: "LinkHeader"})
	w, _ := pg.Window(nil)
	h := http.Header{"Link": {`<https://a/p2>; rel="next"`}}
	if more, err := w.Next(Page{URL: "https://a/p1", Header: h}); !more || err != nil {
		t.Fatal(more, err)
	}
	_, err := w.Next(Page{URL: "https://a/p2", Header: h})
	if !errors.Is(err, ErrLoop) {
		t.Fatalf("err = %v, want loop", err)
	}
	// A page linking to itself.
	w, _ = pg.Window(nil)
	_, err = w.Next(Page{URL: "https://a/p2", Header: h})
	if !errors.Is(err, ErrLoop) {
		t.Fatalf("self link err = %v", err)
	}
}

func TestNone(t *testing.T) {
	for _, p := range []*resource.Paging{nil, {}, {PagingType: "None"}} {
		pg, err := New(p)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := pg.Window(nil)
		if more, err := w.Next(Page{}); more || err != nil || w.Cursor() != nil || pg.Persistent() {
			t.Fatal("none pages once")
		}
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		p    resource.Paging
		want string
	}{
		{resource.Paging{PagingType: "Bogus"}, `paging.pagingType: unsupported paging type "Bogus"`},
		{resource.Paging{PagingType: "LinkHeader", LinkHeaderTokenJSONPath: "$.a["}, "paging.linkHeaderTokenJsonPath: jsonpath"},
		{resource.Paging{PagingType: "LinkHeader", PageSize: -1}, "paging.pageSize: must be >= 0"},
		{resource.Paging{PagingType: "LinkHeader", PagingInfoPlacement: "Header"}, "paging.pagingInfoPlacement"},
	}
	for _, tc := range tests {
		_, err := New(&tc.p)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
	if _, err := (&linkHeader{}).Window([]byte("{")); err == nil {
		t.Error("bad cursor accepted")
	}
}

func FuzzParseLink(f *testing.F) {
	for _, s := range []string{`<https://a/x?page=2>; rel="next"`, `<a>; rel=prev, <b>; rel=next`, `<`, `<x>; rel="`, `, ,<y>;rel=next`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got := ParseLink(s, "next"); got != "" && !strings.Contains(s, got) {
			t.Fatalf("ParseLink(%q) = %q, not part of the input", s, got)
		}
	})
}
