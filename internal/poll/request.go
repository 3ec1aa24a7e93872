package poll

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/codeless/codeless/internal/httpx"
	"github.com/codeless/codeless/internal/poll/auth"
	"github.com/codeless/codeless/internal/poll/decode"
	"github.com/codeless/codeless/internal/poll/paging"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/timefmt"
)

// Request variables (reference/ccf-format.md §2.4.1).
const (
	varStart   = "{_QueryWindowStartTime}"
	varEnd     = "{_QueryWindowEndTime}"
	varKeyName = "{_APIKeyName}"
	varKey     = "{_APIKey}"
)

// endpoint is what one step (the root or a nested step) needs to send its
// requests: the request config, method, time format, auth, pager, decoder
// and HTTP client.
type endpoint struct {
	path     string // JSON path of the step ("properties" or "properties.stepCollectorConfigs.x")
	req      *resource.Request
	method   string
	tf       *timefmt.Format
	auth     auth.Authenticator
	tmplVars map[string]string
	pager    paging.Pager
	dec      *decode.Decoder
	client   *httpx.Client
}

// windowVars renders the window bounds with queryTimeFormat; step
// placeholders ($name$) are replaced too.
func (f *endpoint) windowVars(start, end time.Time, steps map[string]string) *strings.Replacer {
	return f.vars(start, end, steps, nil)
}

// vars also replaces the paging variables ({_Offset}) of one request.
func (f *endpoint) vars(start, end time.Time, steps, pagingVars map[string]string) *strings.Replacer {
	pairs := []string{varStart, f.tf.Format(start), varEnd, f.tf.Format(end)}
	for _, k := range sortedStrKeys(steps) {
		pairs = append(pairs, "$"+k+"$", steps[k])
	}
	for _, k := range sortedStrKeys(pagingVars) {
		pairs = append(pairs, "{"+k+"}", pagingVars[k])
	}
	return strings.NewReplacer(pairs...)
}

// paramString renders a queryParameters value (any JSON type).
func paramString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case json.Number:
		return x.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// substitute replaces window variables inside every string of a JSON value.
func substitute(v any, rep *strings.Replacer) any {
	switch x := v.(type) {
	case string:
		return rep.Replace(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = substitute(e, rep)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = substitute(e, rep)
		}
		return out
	}
	return v
}

// pseudoJSON converts CCF's single-quoted pseudo-JSON ("{'a': 'b'}") into
// JSON. Double-quoted strings are kept; single-quoted ones are re-quoted.
func pseudoJSON(s string) string {
	var b strings.Builder
	inDouble, inSingle := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inDouble:
			b.WriteByte(c)
			if c == '\\' && i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			} else if c == '"' {
				inDouble = false
			}
		case inSingle:
			switch c {
			case '\\':
				if i+1 < len(s) && s[i+1] == '\'' {
					b.WriteByte('\'')
					i++
				} else {
					b.WriteByte(c)
				}
			case '"':
				b.WriteString(`\"`)
			case '\'':
				b.WriteByte('"')
				inSingle = false
			default:
				b.WriteByte(c)
			}
		case c == '"':
			inDouble = true
			b.WriteByte(c)
		case c == '\'':
			inSingle = true
			b.WriteByte('"')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// jsonBody parses a rendered template as JSON, accepting single quotes.
func jsonBody(s string) (any, error) {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err == nil {
		return v, nil
	}
	if err := json.Unmarshal([]byte(pseudoJSON(s)), &v); err != nil {
		return nil, err
	}
	return v, nil
}

// buildRequest builds the HTTP request for one page of the window; steps
// are the $name$ placeholder values of a nested step (nil at the root).
func (f *endpoint) buildRequest(start, end time.Time, pr paging.Request, steps map[string]string) (*http.Request, error) {
	req := f.req
	rep := f.vars(start, end, steps, pr.Vars)
	template := req.QueryParametersTemplate
	if pr.BodyTemplate != "" {
		template = pr.BodyTemplate
	}

	base, err := url.Parse(strings.TrimSpace(rep.Replace(req.APIEndpoint)))
	if err != nil {
		return nil, fmt.Errorf("parsing request.apiEndpoint: %w", err)
	}
	if (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("request.apiEndpoint: %q (after placeholders) is not an absolute http(s) URL", base.String())
	}
	u := *base
	q := u.Query()
	postJSONParams := f.method != http.MethodGet && req.IsPostPayloadJSON && template == ""
	var bodyObj map[string]any
	if postJSONParams {
		bodyObj = map[string]any{}
	}
	for _, k := range sortedKeys(req.QueryParameters) {
		v := req.QueryParameters[k]
		if postJSONParams {
			bodyObj[k] = substitute(v, rep)
			continue
		}
		q.Set(k, rep.Replace(paramString(v)))
	}
	s, e := f.tf.Format(start), f.tf.Format(end)
	if req.StartTimeAttributeName != "" {
		q.Set(req.StartTimeAttributeName, s)
	}
	if req.EndTimeAttributeName != "" {
		q.Set(req.EndTimeAttributeName, e)
	}
	if req.QueryTimeIntervalAttributeName != "" {
		q.Set(req.QueryTimeIntervalAttributeName, req.QueryTimeIntervalPrepend+s+req.QueryTimeIntervalDelimiter+e)
	}
	if pr.OnlyPagingParams {
		q = url.Values{}
	}
	for k, v := range pr.Query {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	if pr.URL != "" {
		next, err := base.Parse(pr.URL)
		if err != nil {
			return nil, fmt.Errorf("parsing next page link: %w", err)
		}
		u = *next
	}

	// Body.
	var body []byte
	contentType := ""
	if template != "" && f.method != http.MethodGet {
		text := rep.Replace(template)
		if len(f.tmplVars) > 0 {
			text = strings.NewReplacer(varKeyName, f.tmplVars["_APIKeyName"], varKey, f.tmplVars["_APIKey"]).Replace(text)
		}
		if v, err := jsonBody(text); err == nil {
			if m, ok := v.(map[string]any); ok && len(pr.Body) > 0 {
				paging.MergeBody(m, pr.Body)
			}
			body, _ = json.Marshal(v)
			contentType = "application/json"
		} else if req.IsPostPayloadJSON {
			return nil, fmt.Errorf("request.queryParametersTemplate: not JSON after substitution: %w", err)
		} else {
			body = []byte(text)
			contentType = "application/x-www-form-urlencoded"
		}
	} else if bodyObj != nil || len(pr.Body) > 0 {
		if bodyObj == nil {
			bodyObj = map[string]any{}
		}
		paging.MergeBody(bodyObj, pr.Body)
		body, _ = json.Marshal(bodyObj)
		contentType = "application/json"
	}

	var hr *http.Request
	if body != nil {
		hr, err = http.NewRequest(f.method, u.String(), bytes.NewReader(body))
	} else {
		hr, err = http.NewRequest(f.method, u.String(), nil)
	}
	if err != nil {
		return nil, fmt.Errorf("building request: %w", err)
	}
	for _, k := range sortedStrKeys(req.Headers) {
		hr.Header.Set(k, rep.Replace(req.Headers[k]))
	}
	if contentType != "" && hr.Header.Get("Content-Type") == "" {
		hr.Header.Set("Content-Type", contentType)
	}
	for k, v := range pr.Headers {
		hr.Header.Set(k, v)
	}
	return hr, nil
}

func sortedStrKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}
