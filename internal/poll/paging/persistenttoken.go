package paging

import "github.com/codeless/codeless/internal/resource"

// NewPersistentToken returns the PersistentToken Pager (reference
// §2.6.5): NextPageToken whose token carries over to the next window and
// across restarts (the Runner saves Cursor() as the persistent checkpoint).
// A window ends as NextPageToken does (no token, has-next false, or an empty
// page); the newest token seen is kept, so the next window continues where
// this one stopped (Box stream_position, Auth0 "from" log_id, Druva
// tracker). Without a token yet, the first request carries none.
func NewPersistentToken(c NextPageTokenConfig) (Pager, error) {
	return newTokenPager("PersistentToken", c, true, nil)
}

func newPersistentTokenFrom(p *resource.Paging) (Pager, error) {
	c, err := tokenConfigFrom(p)
	if err != nil {
		return nil, err
	}
	return NewPersistentToken(c)
}
