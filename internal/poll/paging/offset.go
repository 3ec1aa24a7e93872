package paging

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/codeless/codeless/internal/jsonpath"
	"github.com/codeless/codeless/internal/resource"
)

// OffsetConfig is pagingType Offset (reference §2.6.6, SPEC §4).
//
// The offset counts the events already read in the window, starting at 0:
// requests carry offset 0, n1, n1+n2, … The window ends on a page with no
// events, a page with fewer than PageSize events (when PageSize is set) or,
// with MaxOffsetJSONPath, once the offset reaches that total.
//
// AzureFirstRequest is the compatibility flag for Azure's observed
// behaviour (reference ISSUE #13013 and "all events ingested + 1"): the
// first request carries no offset and later ones carry events read + 1.
type OffsetConfig struct {
	PageSize              int
	PageSizeParameterName string
	// ParamName is offsetParaName: a query parameter, a body member with
	// RequestBody placement, or a body path "$.request_data.search_from".
	ParamName string
	// EndParamName is offsetEndParaName (Cortex XDR search_to): it carries
	// offset + PageSize.
	EndParamName string
	// MaxOffsetJSONPath selects the total number of events (VersasecCMS
	// maxOffsetPath).
	MaxOffsetJSONPath string
	Placement         string
	QueryParamOnly    bool
	AzureFirstRequest bool
}

// Validate checks the config; errors name the JSON path.
func (c OffsetConfig) Validate() error {
	var errs []error
	if c.PageSize < 0 {
		errs = append(errs, errors.New("paging.pageSize: must be >= 0"))
	}
	if c.ParamName == "" && !c.usesVar() {
		errs = append(errs, errors.New("paging.offsetParaName: required"))
	}
	if c.EndParamName != "" && c.PageSize == 0 {
		errs = append(errs, errors.New("paging.offsetEndParaName: needs pageSize"))
	}
	for k, v := range map[string]string{"offsetParaName": c.ParamName, "offsetEndParaName": c.EndParamName, "pageSizeParameterName": c.PageSizeParameterName} {
		if err := checkParam(k, v); err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := placement(c.Placement); err != nil {
		errs = append(errs, err)
	}
	if _, err := compileOpt("maxOffsetPath", c.MaxOffsetJSONPath); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (c OffsetConfig) usesVar() bool { return false }

type offsetPager struct {
	c      OffsetConfig
	inBody bool
	max    *jsonpath.Path
}

// NewOffset validates c and returns the Pager.
func NewOffset(c OffsetConfig) (Pager, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	o := &offsetPager{c: c}
	o.inBody, _ = placement(c.Placement)
	o.max, _ = compileOpt("maxOffsetPath", c.MaxOffsetJSONPath)
	return o, nil
}

func newOffsetFrom(p *resource.Paging, opt Options) (Pager, error) {
	c := OffsetConfig{
		PageSize: p.PageSize, PageSizeParameterName: p.PageSizeParameterName, ParamName: p.OffsetParaName,
		Placement: p.PagingInfoPlacement, QueryParamOnly: p.PagingQueryParamOnly, AzureFirstRequest: opt.AzureOffset,
	}
	var errs []error
	var err error
	if c.PageSizeParameterName == "" {
		c.PageSizeParameterName, err = fieldString(p.Fields, "pageSizeParaName")
		errs = append(errs, err)
	}
	c.EndParamName, err = fieldString(p.Fields, "offsetEndParaName")
	errs = append(errs, err)
	c.MaxOffsetJSONPath, err = fieldString(p.Fields, "maxOffsetPath")
	errs = append(errs, err)
	if c.PageSize == 0 {
		// VersasecCMS spells the page size "step".
		c.PageSize, err = fieldInt(p.Fields, "step")
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return NewOffset(c)
}

func (o *offsetPager) Persistent() bool { return false }

type offsetCursor struct {
	Offset int `json:"offset"`
	Pages  int `json:"pages"`
}

func (o *offsetPager) Window(cursor []byte) (Paginator, error) {
	w := &offsetWindow{o: o}
	var c offsetCursor
	if err := decodeCursor("Offset", cursor, &c); err != nil {
		return nil, err
	}
	if c.Offset < 0 || c.Pages < 0 {
		return nil, fmt.Errorf("reading Offset cursor: negative offset %d or pages %d", c.Offset, c.Pages)
	}
	w.read, w.pages = c.Offset, c.Pages
	return w, nil
}

type offsetWindow struct {
	o     *offsetPager
	read  int // events read in this window so far
	pages int // pages read
	done  bool
	last  uint64 // fingerprint of the previous page
}

// Offset returns the offset value of the next request and whether it is
// sent at all.
func (w *offsetWindow) offset() (int, bool) {
	if w.o.c.AzureFirstRequest {
		if w.pages == 0 {
			return 0, false
		}
		return w.read + 1, true
	}
	return w.read, true
}

func (w *offsetWindow) Request() Request {
	var r Request
	c := w.o.c
	if c.PageSize > 0 && c.PageSizeParameterName != "" {
		r.setParam(c.PageSizeParameterName, c.PageSize, w.o.inBody)
	}
	off, send := w.offset()
	if send {
		r.setParam(c.ParamName, off, w.o.inBody)
		if c.EndParamName != "" {
			r.setParam(c.EndParamName, off+c.PageSize, w.o.inBody)
		}
	}
	r.Vars = map[string]string{"_Offset": strconv.Itoa(off)}
	if w.pages > 0 {
		r.OnlyPagingParams = c.QueryParamOnly
	}
	return r
}

func (w *offsetWindow) Next(p Page) (bool, error) {
	if p.Events > 0 && p.Body != nil {
		fp := fingerprint(p.Body)
		if w.pages > 0 && fp == w.last {
			w.done = true
			return false, fmt.Errorf("%w: Offset page %d is identical to the previous page (the source ignores %s?)", ErrLoop, w.pages+1, w.o.c.ParamName)
		}
		w.last = fp
	}
	w.pages++
	w.read += p.Events
	c := w.o.c
	stop := p.Events == 0 || (c.PageSize > 0 && p.Events < c.PageSize)
	if w.o.max != nil {
		if n, ok := numberOf(w.o.max, p.Body); ok && int64(w.read) >= n {
			stop = true
		}
	}
	if stop {
		w.done = true
		return false, nil
	}
	return true, nil
}

func (w *offsetWindow) Cursor() []byte {
	if w.done || w.pages == 0 {
		return nil
	}
	return encodeCursor(offsetCursor{Offset: w.read, Pages: w.pages})
}
