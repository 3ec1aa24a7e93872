package paging

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/codeless/codeless/internal/jsonpath"
	"github.com/codeless/codeless/internal/resource"
)

// LinkHeaderConfig is pagingType LinkHeader (reference/ccf-format.md §2.6.3).
type LinkHeaderConfig struct {
	PageSize              int
	PageSizeParameterName string
	// TokenJSONPath selects the next link in the body; "" (or the literal
	// header name "Link", as Cisco Meraki writes it) means the Link header.
	TokenJSONPath string
	// RelName is the rel to follow; "" = "next". "rel=next" is accepted.
	RelName        string
	Placement      string
	QueryParamOnly bool
}

// Validate checks the config; errors name the JSON path.
func (c LinkHeaderConfig) Validate() error {
	var errs []error
	if c.PageSize < 0 {
		errs = append(errs, errors.New("paging.pageSize: must be >= 0"))
	}
	if _, err := placement(c.Placement); err != nil {
		errs = append(errs, err)
	}
	if !c.headerMode() {
		if _, err := jsonpath.Compile(c.TokenJSONPath); err != nil {
			errs = append(errs, fmt.Errorf("paging.linkHeaderTokenJsonPath: %w", err))
		}
	}
	return errors.Join(errs...)
}

func (c LinkHeaderConfig) headerMode() bool {
	p := strings.TrimSpace(c.TokenJSONPath)
	return p == "" || strings.EqualFold(p, "Link")
}

type linkHeader struct {
	c      LinkHeaderConfig
	path   *jsonpath.Path
	rel    string
	inBody bool
	// persistent: PersistentLinkHeader.
	persistent bool
}

// NewLinkHeader validates c and returns the Pager.
func NewLinkHeader(c LinkHeaderConfig) (Pager, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	l := &linkHeader{c: c, rel: "next"}
	if !c.headerMode() {
		l.path, _ = jsonpath.Compile(c.TokenJSONPath)
	}
	if r := strings.TrimSpace(c.RelName); r != "" {
		r = strings.TrimPrefix(strings.ToLower(r), "rel=")
		l.rel = strings.Trim(r, `"'`)
	}
	l.inBody, _ = placement(c.Placement)
	return l, nil
}

func linkConfigFrom(p *resource.Paging) LinkHeaderConfig {
	c := LinkHeaderConfig{
		PageSize: p.PageSize, PageSizeParameterName: p.PageSizeParameterName,
		TokenJSONPath: p.LinkHeaderTokenJSONPath, RelName: p.LinkHeaderRelLinkName,
		Placement: p.PagingInfoPlacement, QueryParamOnly: p.PagingQueryParamOnly,
	}
	if c.PageSizeParameterName == "" {
		// GitHub spells it pageSizeParaName.
		c.PageSizeParameterName, _ = fieldString(p.Fields, "pageSizeParaName")
	}
	return c
}

func newLinkHeaderFrom(p *resource.Paging) (Pager, error) {
	return NewLinkHeader(linkConfigFrom(p))
}

func (l *linkHeader) Persistent() bool { return l.persistent }

type linkCursor struct {
	Next string `json:"next"`
}

func (l *linkHeader) Window(cursor []byte) (Paginator, error) {
	w := &linkWindow{l: l, seen: map[string]bool{}}
	if len(cursor) > 0 {
		var c linkCursor
		if err := json.Unmarshal(cursor, &c); err != nil {
			return nil, fmt.Errorf("reading LinkHeader cursor: %w", err)
		}
		w.next = c.Next
		if w.next != "" {
			w.seen[w.next] = true
		}
	}
	return w, nil
}

type linkWindow struct {
	l    *linkHeader
	next string // "" = first page
	seen map[string]bool
	done bool
}

func (w *linkWindow) Request() Request {
	if w.next != "" {
		return Request{URL: w.next}
	}
	var r Request
	if w.l.c.PageSize > 0 && w.l.c.PageSizeParameterName != "" {
		if w.l.inBody {
			r.Body = map[string]any{w.l.c.PageSizeParameterName: w.l.c.PageSize}
		} else {
			r.Query = map[string]string{w.l.c.PageSizeParameterName: strconv.Itoa(w.l.c.PageSize)}
		}
	}
	return r
}

func (w *linkWindow) Next(p Page) (bool, error) {
	var link string
	if w.l.path != nil {
		if v, ok := w.l.path.First(p.Body); ok {
			if s, ok := v.(string); ok {
				link = strings.TrimSpace(s)
			}
		}
	} else {
		for _, h := range p.Header.Values("Link") {
			if u := ParseLink(h, w.l.rel); u != "" {
				link = u
				break
			}
		}
	}
	if link == "" {
		w.next = ""
		return false, nil
	}
	if base, err := url.Parse(p.URL); err == nil && p.URL != "" {
		if ref, err := url.Parse(link); err == nil {
			link = base.ResolveReference(ref).String()
		}
	}
	if w.l.persistent && p.Events == 0 {
		// Caught up: resume from this link in the next window.
		w.next = link
		w.done = true
		return false, nil
	}
	if w.seen[link] || link == p.URL {
		return false, fmt.Errorf("%w: next link %s was already requested in this window", ErrLoop, link)
	}
	w.seen[link] = true
	w.next = link
	return true, nil
}

func (w *linkWindow) Cursor() []byte {
	if w.next == "" || (w.done && !w.l.persistent) {
		return nil
	}
	b, _ := json.Marshal(linkCursor{Next: w.next})
	return b
}

// ParseLink returns the target of the first link in an RFC 8288 Link header
// value whose rel contains rel (case-insensitive), or "".
func ParseLink(header, rel string) string {
	s := header
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" || s[0] != '<' {
			return ""
		}
		end := strings.IndexByte(s, '>')
		if end < 0 {
			return ""
		}
		target := s[1:end]
		s = s[end+1:]
		// Parameters up to the next top-level comma.
		var params string
		inQuote := false
		i := 0
		for ; i < len(s); i++ {
			c := s[i]
			if c == '"' {
				inQuote = !inQuote
			}
			if c == ',' && !inQuote {
				break
			}
		}
		params, s = s[:i], s[i:]
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(k), "rel") {
				continue
			}
			for _, r := range strings.Fields(strings.Trim(strings.TrimSpace(v), `"`)) {
				if strings.EqualFold(r, rel) {
					return strings.TrimSpace(target)
				}
			}
		}
	}
}
