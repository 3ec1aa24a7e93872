package paging

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/codeless/codeless/internal/jsonpath"
	"github.com/codeless/codeless/internal/resource"
)

// NextPageTokenConfig is pagingType NextPageToken (reference/ccf-format.md
// §2.6.5); PersistentToken uses the same fields.
type NextPageTokenConfig struct {
	PageSize              int
	PageSizeParameterName string
	// TokenJSONPath selects the token in the body (rooted or not:
	// "..scrollCursor", "$.[-1:].log_id").
	TokenJSONPath string
	// TokenResponseHeader reads the token from this response header when
	// TokenJSONPath is empty (SAP BTP).
	TokenResponseHeader string
	// ParamName carries the token: a query parameter, a body member with
	// RequestBody placement, or a body path "$.variables.after".
	ParamName string
	// RequestHeader carries the token in a request header ("ETag").
	RequestHeader string
	// HasNextJSONPath selects a has-more flag; a false value stops.
	HasNextJSONPath string
	Placement       string
	// QueryParamOnly: next-page requests send only the paging parameters.
	QueryParamOnly bool
	// Transform post-processes the token (SAP BTP tokenTransform).
	Transform *TokenTransform
	// Condition is Slack's JavaScript-like paging.condition.
	Condition *Condition
}

// Validate checks the config; errors name the JSON path.
func (c NextPageTokenConfig) Validate() error {
	var errs []error
	if c.PageSize < 0 {
		errs = append(errs, errors.New("paging.pageSize: must be >= 0"))
	}
	if _, err := placement(c.Placement); err != nil {
		errs = append(errs, err)
	}
	if _, err := compileOpt("nextPageTokenJsonPath", c.TokenJSONPath); err != nil {
		errs = append(errs, err)
	}
	if _, err := compileOpt("hasNextFlagJsonPath", c.HasNextJSONPath); err != nil {
		errs = append(errs, err)
	}
	if strings.TrimSpace(c.TokenJSONPath) == "" && strings.TrimSpace(c.TokenResponseHeader) == "" && c.Condition == nil {
		errs = append(errs, errors.New("paging.nextPageTokenJsonPath: required (or nextPageTokenResponseHeader)"))
	}
	if c.ParamName == "" && c.RequestHeader == "" && !c.noToken() {
		errs = append(errs, fmt.Errorf("paging.nextPageParaName: %w", errNoParam))
	}
	if err := checkParam("nextPageParaName", c.ParamName); err != nil {
		errs = append(errs, err)
	}
	if err := checkParam("pageSizeParameterName", c.PageSizeParameterName); err != nil {
		errs = append(errs, err)
	}
	if c.Transform != nil {
		if err := c.Transform.validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Condition != nil {
		if err := c.Condition.compile(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// noToken: the connector spells the token path as the text "null" and has
// no other token source (Prisma Cloud CSPM audit): every window is one page,
// as the service would find no token.
func (c NextPageTokenConfig) noToken() bool {
	return strings.TrimSpace(c.TokenJSONPath) == "null" && strings.TrimSpace(c.TokenResponseHeader) == "" && c.Condition == nil
}

// tokenPager implements NextPageToken, PersistentToken and (with urlMode)
// NextPageUrl.
type tokenPager struct {
	typ        string
	c          NextPageTokenConfig
	path       *jsonpath.Path
	hasNext    *jsonpath.Path
	inBody     bool
	persistent bool
	// url is set for NextPageUrl.
	url *NextPageURLConfig
}

// NewNextPageToken validates c and returns the Pager.
func NewNextPageToken(c NextPageTokenConfig) (Pager, error) {
	return newTokenPager("NextPageToken", c, false, nil)
}

func newTokenPager(typ string, c NextPageTokenConfig, persistent bool, u *NextPageURLConfig) (*tokenPager, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	t := &tokenPager{typ: typ, c: c, persistent: persistent, url: u}
	t.path, _ = compileOpt("nextPageTokenJsonPath", c.TokenJSONPath)
	t.hasNext, _ = compileOpt("hasNextFlagJsonPath", c.HasNextJSONPath)
	t.inBody, _ = placement(c.Placement)
	return t, nil
}

// tokenConfigFrom reads the token fields of a paging object, including the
// corpus variants (pageSizeParaName, tokenTransform, condition).
func tokenConfigFrom(p *resource.Paging) (NextPageTokenConfig, error) {
	c := NextPageTokenConfig{
		PageSize: p.PageSize, PageSizeParameterName: p.PageSizeParameterName,
		TokenJSONPath: p.NextPageTokenJSONPath, TokenResponseHeader: p.NextPageTokenResponseHeader,
		ParamName: strings.TrimSpace(p.NextPageParaName), RequestHeader: strings.TrimSpace(p.NextPageRequestHeader),
		HasNextJSONPath: p.HasNextFlagJSONPath, Placement: p.PagingInfoPlacement, QueryParamOnly: p.PagingQueryParamOnly,
	}
	var errs []error
	if c.PageSizeParameterName == "" {
		s, err := fieldString(p.Fields, "pageSizeParaName")
		errs = append(errs, err)
		c.PageSizeParameterName = s
	}
	if v, ok := field(p.Fields, "tokenTransform"); ok && v != nil {
		t, err := parseTokenTransform(v)
		errs = append(errs, err)
		c.Transform = t
	}
	if v, ok := field(p.Fields, "condition"); ok && v != nil {
		cond, err := parseCondition(v)
		errs = append(errs, err)
		c.Condition = cond
	}
	return c, errors.Join(errs...)
}

func newNextPageTokenFrom(p *resource.Paging) (Pager, error) {
	c, err := tokenConfigFrom(p)
	if err != nil {
		return nil, err
	}
	return NewNextPageToken(c)
}

func (t *tokenPager) Persistent() bool { return t.persistent }

type tokenCursor struct {
	// Token is the token of the next request ("" = first page).
	Token string `json:"token,omitempty"`
	// Base is the URL of the page the token came from (NextPageUrl
	// resolves relative tokens against it).
	Base string `json:"base,omitempty"`
}

func (t *tokenPager) Window(cursor []byte) (Paginator, error) {
	w := &tokenWindow{t: t, seen: map[string]bool{}}
	var c tokenCursor
	if err := decodeCursor(t.typ, cursor, &c); err != nil {
		return nil, err
	}
	w.token, w.base = c.Token, c.Base
	if w.token != "" {
		w.seen[w.token] = true
	}
	return w, nil
}

type tokenWindow struct {
	t     *tokenPager
	token string // token for the next request; "" = first page
	base  string
	seen  map[string]bool
	done  bool
}

func (w *tokenWindow) Request() Request {
	var r Request
	c := w.t.c
	if w.t.url != nil && w.token != "" {
		return w.t.url.request(w)
	}
	if c.PageSize > 0 && c.PageSizeParameterName != "" {
		r.setParam(c.PageSizeParameterName, c.PageSize, w.t.inBody)
	}
	if w.token != "" {
		r.setParam(c.ParamName, w.token, w.t.inBody)
		r.setHeader(c.RequestHeader, w.token)
		r.OnlyPagingParams = c.QueryParamOnly
	}
	return r
}

// extract returns the token a page carries ("" = none).
func (w *tokenWindow) extract(p Page) (string, error) {
	c := w.t.c
	if c.Condition != nil {
		return c.Condition.eval(p.Body)
	}
	var tok string
	if w.t.path != nil {
		tok = tokenString(w.t.path.First(p.Body))
	} else if c.TokenResponseHeader != "" {
		tok = strings.TrimSpace(http.Header(p.Header).Get(c.TokenResponseHeader))
	}
	if tok != "" && c.Transform != nil {
		return c.Transform.apply(tok)
	}
	return tok, nil
}

func (w *tokenWindow) Next(p Page) (bool, error) {
	tok, err := w.extract(p)
	if err != nil {
		w.done = true
		return false, err
	}
	hasNext := true
	if w.t.hasNext != nil {
		hasNext = truthy(w.t.hasNext.First(p.Body))
	}
	if tok == "" || !hasNext || p.Events == 0 {
		w.done = true
		if w.t.persistent && tok != "" {
			w.token = tok // resume from here in the next window
		}
		return false, nil
	}
	if w.seen[tok] {
		w.done = true
		return false, fmt.Errorf("%w: %s token %q was already used in this window", ErrLoop, w.t.typ, tok)
	}
	w.seen[tok] = true
	w.token = tok
	if p.URL != "" {
		w.base = p.URL
	}
	return true, nil
}

// Cursor is the token of the next request; after the last page it is nil,
// except for PersistentToken which keeps the newest token for the next
// window.
func (w *tokenWindow) Cursor() []byte {
	if w.token == "" || (w.done && !w.t.persistent) {
		return nil
	}
	return encodeCursor(tokenCursor{Token: w.token, Base: w.base})
}
