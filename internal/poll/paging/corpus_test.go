package paging

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/codeless/codeless/internal/corpustest"
	"github.com/codeless/codeless/internal/resource"
)

// corpusObjects returns every object under key (case-insensitive) in the
// corpus JSON files, with its file.
func corpusObjects(t *testing.T, key string) (objs []map[string]any, files []string) {
	return corpustest.Objects(t, key)
}

// resolvePlaceholders stands in for connect-time resolution: ARM
// expressions and {{x}} placeholders become a URL.
func resolvePlaceholders(v any) any {
	switch x := v.(type) {
	case string:
		if strings.HasPrefix(x, "[") || strings.Contains(x, "{{") {
			return "https://resolved.example"
		}
	case map[string]any:
		for k, e := range x {
			x[k] = resolvePlaceholders(e)
		}
	}
	return v
}

// TestCorpusPagingBuilds: every paging object of a RestApiPoller in the
// corpus builds a Pager (no type or field is rejected), and every type the
// corpus uses is covered.
func TestCorpusPagingBuilds(t *testing.T) {
	objs, files := corpusObjects(t, "paging")
	types := map[string]int{}
	for i, m := range objs {
		if _, ok := m["pagingType"]; !ok {
			if _, ok := m["type"]; !ok {
				continue // OCI's stream cursor object is not CCF paging
			}
		}
		b, _ := json.Marshal(resolvePlaceholders(m))
		conn, err := resource.DecodeConnection([]byte(`{"kind":"RestApiPoller","properties":{"paging":` + string(b) + `}}`))
		if err != nil {
			t.Errorf("%s: decoding %s: %v", files[i], b, err)
			continue
		}
		pg, err := New(conn.Properties.Paging)
		if err != nil {
			t.Errorf("%s: %s: %v", files[i], b, err)
			continue
		}
		if _, err := pg.Window(nil); err != nil {
			t.Errorf("%s: first window: %v", files[i], err)
		}
		types[strings.ToLower(conn.Properties.Paging.PagingType)]++
	}
	var got []string
	for k := range types {
		got = append(got, k)
	}
	sort.Strings(got)
	t.Logf("paging objects per type: %v", types)
	for _, want := range []string{"countbasedpaging", "linkheader", "nextpagetoken", "nextpageurl", "offset", "persistenttoken"} {
		if types[want] == 0 {
			t.Errorf("corpus has no %s paging (found %v): the corpus changed", want, got)
		}
	}
}
