package poll

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/corpustest"

	"github.com/codeless/codeless/internal/poll/paging"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/timefmt"
)

// corpusRequests returns every RestApiPoller "request" object (keys as
// written) with its file.
func corpusRequests(t *testing.T) (reqs []map[string]any, files []string) {
	return corpustest.Objects(t, "request")
}

func get(m map[string]any, key string) (any, bool) {
	for k, v := range m {
		if strings.EqualFold(strings.TrimSpace(k), key) {
			return v, true
		}
	}
	return nil, false
}

// TestCorpusTemplates renders every queryParametersTemplate of a POST
// connector that asks for a JSON payload (JSON text or single-quoted
// pseudo-JSON, not an ARM expression) and checks it becomes valid JSON.
func TestCorpusTemplates(t *testing.T) {
	reqs, files := corpusRequests(t)
	n := 0
	for i, m := range reqs {
		tv, ok := get(m, "queryParametersTemplate")
		tmpl, isStr := tv.(string)
		if !ok || !isStr {
			continue
		}
		jv, _ := get(m, "isPostPayloadJson")
		if b, _ := jv.(bool); !b {
			continue
		}
		trim := strings.TrimSpace(tmpl)
		if strings.HasPrefix(trim, "[") || strings.Contains(trim, "{{") {
			continue // ARM expression or packaging placeholder: resolved earlier
		}
		n++
		fv, _ := get(m, "queryTimeFormat")
		fs, _ := fv.(string)
		tf, err := timefmt.Compile(fs)
		if err != nil {
			t.Errorf("%s: %v", files[i], err)
			continue
		}
		at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		text := strings.NewReplacer(varStart, tf.Format(at), varEnd, tf.Format(at.Add(5*time.Minute)), varKeyName, "key", varKey, "secret").Replace(tmpl)
		if _, err := jsonBody(text); err != nil {
			t.Errorf("%s: template %q: %v", files[i], tmpl, err)
		}
	}
	if n == 0 {
		t.Fatal("no JSON templates found in the corpus; walker broken?")
	}
	t.Logf("%d corpus templates render to JSON", n)
}

// TestCorpusRequestsBuild builds the first-page request of every corpus
// request whose strings are free of placeholders, with a literal endpoint.
func TestCorpusRequestsBuild(t *testing.T) {
	reqs, files := corpusRequests(t)
	built := 0
	for i, m := range reqs {
		b, _ := json.Marshal(m)
		if strings.Contains(string(b), "{{") || strings.Contains(string(b), "[[") || strings.Contains(string(b), "[parameters") {
			continue
		}
		var req resource.Request
		// encoding/json matches struct fields case-insensitively; keys are
		// trimmed first ("EventsJsonPaths " occurs).
		lower := map[string]any{}
		for k, v := range m {
			lower[strings.TrimSpace(k)] = v
		}
		lb, _ := json.Marshal(lower)
		if err := json.Unmarshal(lb, &req); err != nil {
			continue // e.g. queryWindowInMin given as a string
		}
		if req.APIEndpoint == "" || strings.Contains(req.APIEndpoint, "$") {
			continue
		}
		c := &resource.Connection{Meta: resource.Meta{Name: files[i]}, Properties: resource.PollerProperties{
			Auth: resource.Auth{Type: "None"}, Request: req, Response: resource.Response{EventsJSONPaths: []string{"$"}},
		}}
		r, err := New(Config{Conn: c, Sink: nopSink{}})
		if err != nil {
			t.Errorf("%s: %v", files[i], err)
			continue
		}
		start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		hr, err := r.ep.buildRequest(start, start.Add(r.window), paging.Request{}, nil)
		if err != nil {
			t.Errorf("%s: building request: %v", files[i], err)
			continue
		}
		if u, _ := url.QueryUnescape(hr.URL.String()); strings.Contains(u, "{_QueryWindow") {
			t.Errorf("%s: variable left in URL %s", files[i], u)
		}
		built++
	}
	t.Logf("built %d corpus requests", built)
}
