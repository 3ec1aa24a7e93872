package paging

import (
	"errors"
	"fmt"
	"strings"

	"github.com/codeless/codeless/internal/jsonpath"
	"github.com/codeless/codeless/internal/resource"
)

// CountBasedConfig is pagingType CountBasedPaging (reference §2.6.7): the
// request carries a page number, 1-based unless ZeroBasedIndexing.
//
// Stop when: HasNextJSONPath is false; the page number (PageNumberJSONPath,
// else our own) is the last of PageCountJSONPath; the events read reach
// TotalResultsJSONPath; a page has no events; or, when none of these paths
// is configured and PageSize is set, a page has fewer than PageSize events.
type CountBasedConfig struct {
	PageNumberParamName   string
	PageSize              int
	PageSizeParameterName string
	ZeroBased             bool
	HasNextJSONPath       string
	TotalResultsJSONPath  string
	PageNumberJSONPath    string
	PageCountJSONPath     string
	Placement             string
	QueryParamOnly        bool
}

// Validate checks the config; errors name the JSON path.
func (c CountBasedConfig) Validate() error {
	var errs []error
	if strings.TrimSpace(c.PageNumberParamName) == "" {
		errs = append(errs, errors.New("paging.pageNumberParaName: required"))
	}
	if c.PageSize < 0 {
		errs = append(errs, errors.New("paging.pageSize: must be >= 0"))
	}
	for k, v := range map[string]string{"pageNumberParaName": c.PageNumberParamName, "pageSizeParameterName": c.PageSizeParameterName} {
		if err := checkParam(k, v); err != nil {
			errs = append(errs, err)
		}
	}
	for k, v := range map[string]string{"hasNextFlagJsonPath": c.HasNextJSONPath, "totalResultsJsonPath": c.TotalResultsJSONPath, "pageNumberJsonPath": c.PageNumberJSONPath, "pageCountJsonPath": c.PageCountJSONPath} {
		if _, err := compileOpt(k, v); err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := placement(c.Placement); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

type countPager struct {
	c                           CountBasedConfig
	inBody                      bool
	hasNext, total, num, pCount *jsonpath.Path
}

// NewCountBased validates c and returns the Pager.
func NewCountBased(c CountBasedConfig) (Pager, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	p := &countPager{c: c}
	p.inBody, _ = placement(c.Placement)
	p.hasNext, _ = compileOpt("hasNextFlagJsonPath", c.HasNextJSONPath)
	p.total, _ = compileOpt("totalResultsJsonPath", c.TotalResultsJSONPath)
	p.num, _ = compileOpt("pageNumberJsonPath", c.PageNumberJSONPath)
	p.pCount, _ = compileOpt("pageCountJsonPath", c.PageCountJSONPath)
	return p, nil
}

func newCountBasedFrom(p *resource.Paging) (Pager, error) {
	c := CountBasedConfig{
		PageNumberParamName: strings.TrimSpace(p.PageNumberParaName), PageSize: p.PageSize,
		PageSizeParameterName: p.PageSizeParameterName, ZeroBased: p.ZeroBasedIndexing,
		HasNextJSONPath: p.HasNextFlagJSONPath, TotalResultsJSONPath: p.TotalResultsJSONPath,
		PageNumberJSONPath: p.PageNumberJSONPath, PageCountJSONPath: p.PageCountJSONPath,
		Placement: p.PagingInfoPlacement, QueryParamOnly: p.PagingQueryParamOnly,
	}
	if c.PageSizeParameterName == "" {
		s, err := fieldString(p.Fields, "pageSizeParaName")
		if err != nil {
			return nil, err
		}
		c.PageSizeParameterName = s
	}
	return NewCountBased(c)
}

func (p *countPager) Persistent() bool { return false }

type countCursor struct {
	Page   int64 `json:"page"`
	Events int64 `json:"events"`
}

func (p *countPager) first() int64 {
	if p.c.ZeroBased {
		return 0
	}
	return 1
}

func (p *countPager) Window(cursor []byte) (Paginator, error) {
	w := &countWindow{p: p, page: p.first()}
	if len(cursor) > 0 {
		var c countCursor
		if err := decodeCursor("CountBasedPaging", cursor, &c); err != nil {
			return nil, err
		}
		if c.Page < p.first() || c.Events < 0 {
			return nil, fmt.Errorf("reading CountBasedPaging cursor: page %d or events %d out of range", c.Page, c.Events)
		}
		w.page, w.events = c.Page, c.Events
	}
	return w, nil
}

type countWindow struct {
	p      *countPager
	page   int64 // page number of the next request
	events int64
	done   bool
	last   uint64 // fingerprint of the previous page (0 = none yet)
}

func (w *countWindow) Request() Request {
	var r Request
	c := w.p.c
	r.setParam(c.PageNumberParamName, w.page, w.p.inBody)
	if c.PageSize > 0 && c.PageSizeParameterName != "" {
		r.setParam(c.PageSizeParameterName, c.PageSize, w.p.inBody)
	}
	if w.page != w.p.first() {
		r.OnlyPagingParams = c.QueryParamOnly
	}
	return r
}

func (w *countWindow) Next(pg Page) (bool, error) {
	p := w.p
	if pg.Events > 0 && pg.Body != nil {
		fp := fingerprint(pg.Body)
		if w.last != 0 && fp == w.last {
			w.done = true
			return false, fmt.Errorf("%w: page %d is identical to the previous page (the source ignores %s?)", ErrLoop, w.page, p.c.PageNumberParamName)
		}
		w.last = fp
	}
	w.events += int64(pg.Events)
	cur := w.page
	if p.num != nil {
		if n, ok := numberOf(p.num, pg.Body); ok {
			cur = n
		}
	}
	stop := pg.Events == 0
	indicators := false
	if p.hasNext != nil {
		indicators = true
		if !truthy(p.hasNext.First(pg.Body)) {
			stop = true
		}
	}
	if p.pCount != nil {
		indicators = true
		if n, ok := numberOf(p.pCount, pg.Body); ok {
			last := n // 1-based: the last page is n
			if p.c.ZeroBased {
				last = n - 1
			}
			if cur >= last {
				stop = true
			}
		}
	}
	if p.total != nil {
		indicators = true
		if n, ok := numberOf(p.total, pg.Body); ok && w.events >= n {
			stop = true
		}
	}
	if !indicators && p.c.PageSize > 0 && pg.Events < p.c.PageSize {
		stop = true
	}
	if stop {
		w.done = true
		return false, nil
	}
	// The next page number is ours + 1; the response's page number only
	// feeds the page-count test (servers differ in their own indexing).
	w.page++
	return true, nil
}

func (w *countWindow) Cursor() []byte {
	if w.done || w.page == w.p.first() {
		return nil
	}
	return encodeCursor(countCursor{Page: w.page, Events: w.events})
}
