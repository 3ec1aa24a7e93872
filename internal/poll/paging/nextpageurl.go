package paging

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/codeless/codeless/internal/resource"
)

// NextPageURLConfig is pagingType NextPageUrl (reference §2.6.4): the body
// carries a next-page URL or cursor, and next-page requests may go to a
// fixed URL with their own query parameters and body template.
type NextPageURLConfig struct {
	NextPageTokenConfig
	// URL is nextPageUrl: the URL of next-page requests, or with
	// RelativeToken the base a relative token is appended to.
	URL string
	// QueryParameters are added to every next-page request
	// (nextPageUrlQueryParameters; values rendered like queryParameters).
	QueryParameters map[string]any
	// BodyTemplate is nextPageUrlQueryParametersTemplate, the body template
	// of next-page requests (GraphQL).
	BodyTemplate string
	// RelativeToken is isNextPageTokenRelativeUrl: the token is a path
	// ("/services/data/v66.0/query/01g…-2000") appended to URL (or, when
	// URL is empty, resolved against the previous request's URL).
	RelativeToken bool
}

// Validate checks the config; errors name the JSON path.
func (c NextPageURLConfig) Validate() error {
	tc := c.NextPageTokenConfig
	var errs []error
	if tc.ParamName == "" && tc.RequestHeader == "" {
		// The token itself is the next URL: satisfy the token check.
		tc.ParamName = "-"
	}
	if err := tc.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.URL != "" {
		if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			errs = append(errs, fmt.Errorf("paging.nextPageUrl: %q is not an http(s) URL", c.URL))
		}
	}
	return errors.Join(errs...)
}

// urlMode: the token is the URL unless a parameter or header carries it.
func (c *NextPageURLConfig) tokenIsURL() bool {
	return c.RelativeToken || (c.ParamName == "" && c.RequestHeader == "")
}

// NewNextPageURL validates c and returns the Pager.
func NewNextPageURL(c NextPageURLConfig) (Pager, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	tc := c.NextPageTokenConfig
	if tc.ParamName == "" && tc.RequestHeader == "" {
		tc.ParamName = "-" // never used: the token is the URL
	}
	cc := c
	return newTokenPager("NextPageUrl", tc, false, &cc)
}

func newNextPageURLFrom(p *resource.Paging) (Pager, error) {
	tc, err := tokenConfigFrom(p)
	if err != nil {
		return nil, err
	}
	rel, err := fieldBool(p.Fields, "isNextPageTokenRelativeUrl")
	if err != nil {
		return nil, err
	}
	return NewNextPageURL(NextPageURLConfig{
		NextPageTokenConfig: tc, URL: strings.TrimSpace(p.NextPageURL),
		QueryParameters: p.NextPageURLQueryParameters, BodyTemplate: p.NextPageURLQueryParametersTemplate,
		RelativeToken: rel,
	})
}

// request builds a next-page request (token set).
func (c *NextPageURLConfig) request(w *tokenWindow) Request {
	var r Request
	inBody := w.t.inBody
	q := map[string]string{}
	for k, v := range c.QueryParameters {
		q[k] = scalarString(v)
	}
	if c.PageSize > 0 && c.PageSizeParameterName != "" && !isBodyPath(c.PageSizeParameterName) && !inBody {
		q[c.PageSizeParameterName] = scalarString(c.PageSize)
	} else if c.PageSize > 0 && c.PageSizeParameterName != "" {
		r.setParam(c.PageSizeParameterName, c.PageSize, inBody)
	}
	target := c.URL
	if c.tokenIsURL() {
		target = joinURL(c.URL, w.base, w.token, c.RelativeToken)
	} else {
		if isBodyPath(c.ParamName) || inBody {
			r.setParam(c.ParamName, w.token, inBody)
		} else if c.ParamName != "-" {
			q[c.ParamName] = w.token
		}
		r.setHeader(c.RequestHeader, w.token)
	}
	r.BodyTemplate = c.BodyTemplate
	if target == "" {
		// Same endpoint: parameters go through Query.
		if len(q) > 0 {
			r.Query = q
		}
		r.OnlyPagingParams = c.QueryParamOnly
		return r
	}
	u, err := withQuery(target, q)
	if err != nil {
		u = target // the Runner reports the unparsable URL
	}
	r.URL = u
	return r
}

// joinURL builds the next URL from the token: an absolute token is used as
// is; a relative one is appended to base (nextPageUrl) or resolved against
// the previous request's URL.
func joinURL(base, prev, tok string, relative bool) string {
	if t, err := url.Parse(tok); err == nil && t.IsAbs() {
		return tok
	}
	if base != "" {
		if relative {
			return strings.TrimRight(base, "/") + "/" + strings.TrimLeft(tok, "/")
		}
		if b, err := url.Parse(base); err == nil {
			if t, err := url.Parse(tok); err == nil {
				return b.ResolveReference(t).String()
			}
		}
	}
	if prev != "" {
		if b, err := url.Parse(prev); err == nil {
			if t, err := url.Parse(tok); err == nil {
				return b.ResolveReference(t).String()
			}
		}
	}
	return tok
}
