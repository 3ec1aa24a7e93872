package poll

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/codeless/codeless/internal/poll/paging"
	"github.com/codeless/codeless/internal/resource"
)

type nopSink struct{}

func (nopSink) Commit(context.Context, []any, []byte) error { return nil }

func sp(s string) *string { return &s }

func conn(req resource.Request, a resource.Auth) *resource.Connection {
	if a.Type == "" {
		a.Type = "None"
	}
	return &resource.Connection{Meta: resource.Meta{Name: "c"}, Properties: resource.PollerProperties{
		Auth: a, Request: req, Response: resource.Response{EventsJSONPaths: []string{"$"}},
	}}
}

func TestBuildRequest(t *testing.T) {
	start := time.Date(2024, 1, 2, 3, 4, 0, 0, time.UTC)
	end := start.Add(5 * time.Minute)
	tests := []struct {
		name       string
		req        resource.Request
		auth       resource.Auth
		pr         paging.Request
		wantMethod string
		wantURL    string
		wantBody   string
		wantHeader map[string]string
	}{
		{
			name:       "t0/t1 unix",
			req:        resource.Request{APIEndpoint: "https://api.example.com/events", HTTPMethod: "Get", QueryTimeFormat: "UnixTimestamp", StartTimeAttributeName: "t0", EndTimeAttributeName: "t1"},
			wantMethod: "GET", wantURL: "https://api.example.com/events?t0=1704164640&t1=1704164940",
		},
		{
			name: "queryParameters of every JSON type with window variables",
			req: resource.Request{APIEndpoint: "https://api.example.com/x?fixed=1", QueryTimeFormat: "yyyy-MM-ddTHH:mm:ssZ",
				QueryParameters: map[string]any{"filter": "created gt {_QueryWindowStartTime} and created lt {_QueryWindowEndTime}", "limit": float64(100), "nullable": false, "ratio": 0.5}},
			wantMethod: "GET",
			wantURL:    "https://api.example.com/x?filter=created+gt+2024-01-02T03%3A04%3A00Z+and+created+lt+2024-01-02T03%3A09%3A00Z&fixed=1&limit=100&nullable=false&ratio=0.5",
		},
		{
			name:       "interval attribute, default ISO format",
			req:        resource.Request{APIEndpoint: "https://x/y", QueryTimeIntervalAttributeName: "interval", QueryTimeIntervalPrepend: "time:", QueryTimeIntervalDelimiter: ".."},
			wantMethod: "GET", wantURL: "https://x/y?interval=time%3A2024-01-02T03%3A04%3A00.0000000Z..2024-01-02T03%3A09%3A00.0000000Z",
		},
		{
			name: "POST pseudo-JSON template with API key in payload",
			req: resource.Request{APIEndpoint: "https://x/report", HTTPMethod: "post", IsPostPayloadJSON: true, QueryTimeFormat: "UnixTimestampInMills",
				QueryParametersTemplate: "{'cid': 1234567, 'data': { 'from': '{_QueryWindowStartTime}', 'to': '{_QueryWindowEndTime}'}, '{_APIKeyName}': '{_APIKey}', 'q': \"it's\"}"},
			auth:       resource.Auth{Type: "APIKey", APIKey: "SECRET", APIKeyName: sp("token"), IsAPIKeyInPostPayload: true},
			wantMethod: "POST", wantURL: "https://x/report",
			wantBody:   `{"cid":1234567,"data":{"from":"1704164640000","to":"1704164940000"},"q":"it's","token":"SECRET"}`,
			wantHeader: map[string]string{"Content-Type": "application/json"},
		},
		{
			name: "POST queryParameters as JSON body",
			req: resource.Request{APIEndpoint: "https://x/graphql", HTTPMethod: "POST", IsPostPayloadJSON: true,
				QueryParameters: map[string]any{"query": "q", "variables": map[string]any{"after": "{_QueryWindowStartTime}"}}},
			wantMethod: "POST", wantURL: "https://x/graphql",
			wantBody: `{"query":"q","variables":{"after":"2024-01-02T03:04:00.0000000Z"}}`,
		},
		{
			name:       "headers, content type kept",
			req:        resource.Request{APIEndpoint: "https://x/y", HTTPMethod: "POST", QueryParametersTemplate: `{"a":1}`, Headers: map[string]string{"Accept": "application/json", "Content-Type": "application/vnd+json"}},
			wantMethod: "POST", wantURL: "https://x/y", wantBody: `{"a":1}`,
			wantHeader: map[string]string{"Accept": "application/json", "Content-Type": "application/vnd+json"},
		},
		{
			name:       "paging link replaces the URL",
			req:        resource.Request{APIEndpoint: "https://x/y", StartTimeAttributeName: "since"},
			pr:         paging.Request{URL: "/y?page=2"},
			wantMethod: "GET", wantURL: "https://x/y?page=2",
		},
		{
			name:       "paging query and only-paging-params",
			req:        resource.Request{APIEndpoint: "https://x/y", StartTimeAttributeName: "since"},
			pr:         paging.Request{Query: map[string]string{"limit": "50"}, OnlyPagingParams: true, Headers: map[string]string{"ETag": "abc"}},
			wantMethod: "GET", wantURL: "https://x/y?limit=50", wantHeader: map[string]string{"Etag": "abc"},
		},
		{
			name:       "paging body fields merged into JSON body",
			req:        resource.Request{APIEndpoint: "https://x/y", HTTPMethod: "POST", QueryParametersTemplate: `{"a":1}`},
			pr:         paging.Request{Body: map[string]any{"limit": 10}},
			wantMethod: "POST", wantURL: "https://x/y", wantBody: `{"a":1,"limit":10}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(Config{Conn: conn(tc.req, tc.auth), Sink: nopSink{}})
			if err != nil {
				t.Fatal(err)
			}
			hr, err := r.ep.buildRequest(start, end, tc.pr, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.ep.auth.Apply(hr); err != nil {
				t.Fatal(err)
			}
			if hr.Method != tc.wantMethod || hr.URL.String() != tc.wantURL {
				t.Fatalf("%s %s, want %s %s", hr.Method, hr.URL, tc.wantMethod, tc.wantURL)
			}
			var body []byte
			if hr.Body != nil {
				body, _ = io.ReadAll(hr.Body)
			}
			if tc.wantBody != "" {
				var got, want any
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatalf("body %s: %v", body, err)
				}
				json.Unmarshal([]byte(tc.wantBody), &want)
				gb, _ := json.Marshal(got)
				wb, _ := json.Marshal(want)
				if string(gb) != string(wb) {
					t.Fatalf("body %s, want %s", gb, wb)
				}
			} else if len(body) != 0 {
				t.Fatalf("unexpected body %s", body)
			}
			for k, v := range tc.wantHeader {
				if got := hr.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if tc.auth.IsAPIKeyInPostPayload && hr.Header.Get("Authorization") != "" {
				t.Error("API key leaked into a header")
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	ok := resource.Request{APIEndpoint: "https://x/y"}
	tests := []struct {
		name string
		mod  func(c *resource.Connection)
		want []string
	}{
		{"unresolved mustache", func(c *resource.Connection) { c.Properties.Request.APIEndpoint = "{{BaseUrl}}/api" },
			[]string{`properties.request.apiEndpoint: unresolved placeholder "{{BaseUrl}}"`}},
		{"unresolved ARM", func(c *resource.Connection) {
			c.Properties.Auth = resource.Auth{Type: "Basic", UserName: "[[parameters('user')]", Password: "p"}
		},
			[]string{`properties.auth.userName: unresolved placeholder "[[parameters('user')]"`}},
		{"plain ARM expression", func(c *resource.Connection) {
			c.Properties.Request.Headers = map[string]string{"X-Key": "[parameters('k')]"}
		}, []string{`properties.request.headers.X-Key: unresolved placeholder "[parameters('k')]"`}},
		{"step placeholder at the root", func(c *resource.Connection) {
			c.Properties.Request.APIEndpoint = "https://x/networks/$networkId$/clients"
		},
			[]string{`properties.request.apiEndpoint: unresolved placeholder "$networkId$"`}},
		{"query parameter", func(c *resource.Connection) {
			c.Properties.Request.QueryParameters = map[string]any{"tenant": "{{tenantId}}"}
		}, []string{`properties.request.queryParameters.tenant: unresolved placeholder "{{tenantId}}"`}},
		{"addOnAttributes", func(c *resource.Connection) {
			c.Properties.AddOnAttributes = map[string]*string{"Tenant": sp("{{tenant}}")}
		},
			[]string{`properties.addOnAttributes.Tenant: unresolved placeholder`}},
		{"several at once", func(c *resource.Connection) {
			c.Properties.Request.HTTPMethod = "PATCH"
			c.Properties.Request.RetryCount = 9
			c.Properties.Request.TimeoutInSeconds = 600
			c.Properties.Request.QueryTimeFormat = "yyyy 'x"
			c.Properties.Auth.Type = "OAuth9"
			c.Properties.Paging = &resource.Paging{PagingType: "Scroll"}
			c.Properties.Response.EventsJSONPaths = []string{"$["}
		}, []string{
			`properties.request.httpMethod: "PATCH" is not GET`,
			`properties.request.retryCount: must be between 1 and 6, got 9`,
			`properties.request.timeoutInSeconds: must be between 1 and 180, got 600`,
			`properties.request.queryTimeFormat:`,
			`properties.auth.type: unsupported auth type "OAuth9"`,
			`properties.paging.pagingType: unsupported paging type "Scroll"`,
			`properties.response.eventsJsonPaths[0]:`,
		}},
		{"relative endpoint", func(c *resource.Connection) { c.Properties.Request.APIEndpoint = "/events" },
			[]string{`properties.request.apiEndpoint: "/events" is not an absolute http(s) URL`}},
		{"bad template", func(c *resource.Connection) {
			c.Properties.Request.HTTPMethod = "POST"
			c.Properties.Request.IsPostPayloadJSON = true
			c.Properties.Request.QueryParametersTemplate = "{'a': "
		}, []string{`properties.request.queryParametersTemplate: not JSON`}},
		{"bad rateLimitConfig", func(c *resource.Connection) {
			c.Properties.Request.RateLimitConfig = map[string]any{"evaluation": map[string]any{"checkMode": "Never"}}
		}, []string{`properties.request.rateLimitConfig.evaluation.checkMode: "Never" is not OnlyWhen429`}},
		{"nested step missing", func(c *resource.Connection) {
			c.Properties.StepInfo = &resource.StepInfo{StepType: "Nested", NextSteps: []resource.NextStep{{StepID: "details", StepPlaceholdersParsingKQL: "source"}}}
			c.Properties.StepCollectorConfigs = map[string]*resource.Step{"other": {Request: resource.Request{APIEndpoint: "https://x/z"}}}
		}, []string{`properties.stepInfo.nextSteps[0].stepId: step "details" is missing from properties.stepCollectorConfigs (have: other)`}},
		{"nested step errors", func(c *resource.Connection) {
			c.Properties.StepInfo = &resource.StepInfo{StepType: "Chained", NextSteps: []resource.NextStep{
				{StepID: "a", StepPlaceholdersParsingKQL: "source | project id = parse_json(data).id"},
				{StepID: "b", StepPlaceholdersParsingKQL: "source | summarize count()"},
				{StepID: "c", StepPlaceholdersParsingKQL: ""},
			}}
			c.Properties.StepCollectorConfigs = map[string]*resource.Step{
				"a": {Request: resource.Request{APIEndpoint: "https://x/items/$id$/$nope$", Headers: map[string]string{"X-Org": "$org$"}, HTTPMethod: "PATCH"},
					ShouldJoinNestedData: true},
				"b": {Request: resource.Request{APIEndpoint: "https://x/b"}, Paging: &resource.Paging{PagingType: "Scroll"}},
				"c": {Request: resource.Request{APIEndpoint: "https://x/c"}},
			}
		}, []string{
			`properties.stepInfo.stepType: "Chained" is not Nested`,
			`properties.stepCollectorConfigs.a.request.apiEndpoint: placeholder $nope$ is produced by no stepPlaceholdersParsingKql of this step or its ancestors (available: $id$)`,
			`properties.stepCollectorConfigs.a.request.headers.X-Org: placeholder $org$`,
			`properties.stepCollectorConfigs.a.request.httpMethod: "PATCH" is not GET`,
			`properties.stepCollectorConfigs.a.joinedDataStepName: required when shouldJoinNestedData is true`,
			`properties.stepInfo.nextSteps[1].stepPlaceholdersParsingKql:`,
			`properties.stepInfo.nextSteps[2].stepPlaceholdersParsingKql: required`,
		}},
		{"nested step paging", func(c *resource.Connection) {
			c.Properties.StepInfo = &resource.StepInfo{NextSteps: []resource.NextStep{{StepID: "b", StepPlaceholdersParsingKQL: "source"}}}
			c.Properties.StepCollectorConfigs = map[string]*resource.Step{
				"b": {Request: resource.Request{APIEndpoint: "https://x/b"}, Paging: &resource.Paging{PagingType: "Scroll"}},
			}
		}, []string{`properties.stepCollectorConfigs.b.paging.pagingType: unsupported paging type "Scroll"`}},
		{"nested steps too deep", func(c *resource.Connection) {
			c.Properties.StepInfo = &resource.StepInfo{NextSteps: []resource.NextStep{{StepID: "s1", StepPlaceholdersParsingKQL: "source"}}}
			c.Properties.StepCollectorConfigs = map[string]*resource.Step{}
			for i := 1; i <= 6; i++ {
				st := &resource.Step{Request: resource.Request{APIEndpoint: "https://x/s"}, Response: resource.Response{EventsJSONPaths: []string{"$"}}}
				if i < 6 {
					st.StepInfo = &resource.StepInfo{NextSteps: []resource.NextStep{{StepID: fmt.Sprintf("s%d", i+1), StepPlaceholdersParsingKQL: "source"}}}
				}
				c.Properties.StepCollectorConfigs[fmt.Sprintf("s%d", i)] = st
			}
		}, []string{`properties.stepCollectorConfigs.s5.stepInfo.nextSteps[0].stepId: step "s6" is nested 6 levels deep (at most 5)`}},
		{"nested step cycle", func(c *resource.Connection) {
			c.Properties.StepInfo = &resource.StepInfo{NextSteps: []resource.NextStep{{StepID: "a", StepPlaceholdersParsingKQL: "source"}}}
			c.Properties.StepCollectorConfigs = map[string]*resource.Step{
				"a": {Request: resource.Request{APIEndpoint: "https://x/a"}, Response: resource.Response{EventsJSONPaths: []string{"$"}}, StepInfo: &resource.StepInfo{NextSteps: []resource.NextStep{{StepID: "a", StepPlaceholdersParsingKQL: "source"}}}},
			}
		}, []string{`properties.stepCollectorConfigs.a.stepInfo.nextSteps[0].stepId: step "a" is its own ancestor (a → a)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := conn(ok, resource.Auth{})
			tc.mod(c)
			_, err := New(Config{Conn: c, Sink: nopSink{}})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	if _, err := New(Config{Conn: conn(ok, resource.Auth{}), Sink: nopSink{}, Checkpoint: []byte(`{"v":7}`)}); err == nil || !strings.Contains(err.Error(), "unsupported version 7") {
		t.Errorf("checkpoint version: %v", err)
	}
	// JSONPath "$" in eventsJsonPaths and "$.x" are not step placeholders.
	c := conn(ok, resource.Auth{})
	c.Properties.Response.EventsJSONPaths = []string{"$.value[?(@.a == '$x$')]"}
	if _, err := New(Config{Conn: c, Sink: nopSink{}}); err != nil {
		t.Errorf("eventsJsonPaths must not be checked for $x$: %v", err)
	}
}

func TestPseudoJSON(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{'a': 'b'}`, `{"a": "b"}`},
		{`{"a": "it's"}`, `{"a": "it's"}`},
		{`{'a': 'say "hi"'}`, `{"a": "say \"hi\""}`},
		{`{'a': 'x\'y'}`, `{"a": "x'y"}`},
		{`{'n': 1, 'b': true}`, `{"n": 1, "b": true}`},
	}
	for _, tc := range tests {
		if got := pseudoJSON(tc.in); got != tc.want {
			t.Errorf("pseudoJSON(%s) = %s, want %s", tc.in, got, tc.want)
		}
		var v any
		if err := json.Unmarshal([]byte(pseudoJSON(tc.in)), &v); err != nil {
			t.Errorf("%s: %v", tc.in, err)
		}
	}
}

func TestFirstWindow(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 30, 500, time.UTC)
	c := conn(resource.Request{APIEndpoint: "https://x", QueryWindowInMin: 10, QueryWindowDelayInMin: 2}, resource.Auth{})
	s, e := FirstWindow(c, now)
	if !e.Equal(time.Date(2024, 5, 1, 11, 58, 30, 0, time.UTC)) || e.Sub(s) != 10*time.Minute {
		t.Fatalf("first window %v - %v", s, e)
	}
	c = conn(resource.Request{APIEndpoint: "https://x"}, resource.Auth{})
	s, e = FirstWindow(c, now)
	if e.Sub(s) != 5*time.Minute || !e.Equal(now.Truncate(time.Second)) {
		t.Fatalf("default window %v - %v", s, e)
	}
}

func FuzzPseudoJSON(f *testing.F) {
	for _, s := range []string{`{'a': 'b'}`, `{"a": "it's"}`, `{'a': 'x\'y'}`, `'`, `"\`, `{"a":[1,"\"'"]}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := pseudoJSON(s)
		if json.Valid([]byte(s)) && out != s {
			t.Fatalf("valid JSON changed: %q -> %q", s, out)
		}
	})
}
