package paging

import (
	"github.com/codeless/codeless/internal/resource"
)

// NewPersistentLinkHeader returns the PersistentLinkHeader Pager (reference
// §2.6.3): LinkHeader whose next link carries over to the next window and
// across restarts. A window ends on a page without a next link, or on a page
// with no events (server-side cursor APIs keep returning a link to "more
// later"). The link to resume from is kept: the newest next link seen; when
// the last page had none, the cursor is cleared and the next window starts
// from the configured request (its time parameters bound it).
func NewPersistentLinkHeader(c LinkHeaderConfig) (Pager, error) {
	p, err := NewLinkHeader(c)
	if err != nil {
		return nil, err
	}
	l := p.(*linkHeader)
	l.persistent = true
	return l, nil
}

func newPersistentLinkHeaderFrom(p *resource.Paging) (Pager, error) {
	return NewPersistentLinkHeader(linkConfigFrom(p))
}
