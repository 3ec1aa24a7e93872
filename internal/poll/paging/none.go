package paging

// NoneConfig is "no paging": one request per window.
type NoneConfig struct{}

// Validate always succeeds.
func (NoneConfig) Validate() error { return nil }

type none struct{}

// NewNone returns the single-page Pager.
func NewNone(NoneConfig) (Pager, error) { return none{}, nil }

func (none) Window([]byte) (Paginator, error) { return none{}, nil }
func (none) Persistent() bool                 { return false }
func (none) Request() Request                 { return Request{} }
func (none) Next(Page) (bool, error)          { return false, nil }
func (none) Cursor() []byte                   { return nil }
