package corpustest

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/codeless/codeless/internal/schema"
)

// SampleEvent builds one source event carrying every column of a stream
// declaration with a value of its type (datetimes a minute before now).
func SampleEvent(cols schema.Schema, now time.Time) map[string]any {
	ev := map[string]any{}
	for _, c := range cols {
		switch c.Type {
		case schema.Int, schema.Long:
			ev[c.Name] = 7
		case schema.Real:
			ev[c.Name] = 1.5
		case schema.Bool:
			ev[c.Name] = true
		case schema.DateTime:
			ev[c.Name] = now.Add(-time.Minute).UTC().Format(time.RFC3339)
		case schema.Dynamic:
			ev[c.Name] = map[string]any{"k": "v"}
		default:
			ev[c.Name] = "value-" + c.Name
		}
	}
	return ev
}

// PathSteps splits an eventsJsonPath made of names and [*] ($, $.a.b,
// $.a[*].b, $[*].event) into steps ("*" for [*]); ok is false for any
// other JSONPath (filters, recursive descent, indexes, quotes).
func PathSteps(p string) (steps []string, ok bool) {
	rest, found := strings.CutPrefix(p, "$")
	if !found {
		return nil, false
	}
	for rest != "" {
		switch {
		case strings.HasPrefix(rest, "[*]"):
			steps, rest = append(steps, "*"), rest[3:]
		case strings.HasPrefix(rest, ".") && !strings.HasPrefix(rest, ".."):
			name := rest[1:]
			if k := strings.IndexAny(name, ".["); k >= 0 {
				name = name[:k]
			}
			if name == "" || strings.ContainsAny(name, "?*()'\"@") {
				return nil, false
			}
			steps, rest = append(steps, name), rest[1+len(name):]
		default:
			return nil, false
		}
	}
	return steps, true
}

// WrapEvents places the events list where a PathSteps path selects it, each
// [*] becoming a one-element array.
func WrapEvents(path string, events []any) any {
	steps, _ := PathSteps(path)
	var v any = events
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i] == "*" {
			v = []any{v}
		} else {
			v = map[string]any{steps[i]: v}
		}
	}
	return v
}

// Redirect is an http.RoundTripper that sends every request to Target
// whatever host it names (a loopback source standing for every vendor),
// keeping the original host in X-Original-Host.
type Redirect struct{ Target *url.URL }

// RoundTrip implements http.RoundTripper.
func (r Redirect) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.Header.Set("X-Original-Host", req.URL.Host)
	out.URL.Scheme, out.URL.Host, out.Host = r.Target.Scheme, r.Target.Host, r.Target.Host
	return http.DefaultTransport.RoundTrip(out)
}
