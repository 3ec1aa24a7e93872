package poll

import (
	"encoding/json"
	"fmt"
	"time"
)

// CheckpointVersion is the current checkpoint format.
const CheckpointVersion = 1

// Checkpoint is the persisted progress of a connection (versioned JSON).
type Checkpoint struct {
	Version int `json:"v"`
	// Done is the end of the last completed window.
	Done *time.Time `json:"done,omitempty"`
	// Current is the window in progress, when a page of it was committed.
	Current *WindowState `json:"current,omitempty"`
	// Persistent is the paging cursor carried across windows
	// (PersistentToken/PersistentLinkHeader).
	Persistent json.RawMessage `json:"persistent,omitempty"`
}

// WindowState records how far a window got.
type WindowState struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Pages  int       `json:"pages"`  // pages committed
	Events int       `json:"events"` // events committed
	// Cursor is the paging cursor of the next page to request.
	Cursor json.RawMessage `json:"cursor,omitempty"`
}

// ParseCheckpoint decodes a checkpoint; nil or empty input is a new
// connection.
func ParseCheckpoint(b []byte) (Checkpoint, error) {
	if len(b) == 0 {
		return Checkpoint{Version: CheckpointVersion}, nil
	}
	var c Checkpoint
	if err := json.Unmarshal(b, &c); err != nil {
		return Checkpoint{}, fmt.Errorf("reading checkpoint: %w", err)
	}
	if c.Version != CheckpointVersion {
		return Checkpoint{}, fmt.Errorf("reading checkpoint: unsupported version %d (want %d)", c.Version, CheckpointVersion)
	}
	if c.Current != nil && !c.Current.End.After(c.Current.Start) {
		return Checkpoint{}, fmt.Errorf("reading checkpoint: window in progress has end %s not after start %s", c.Current.End, c.Current.Start)
	}
	return c, nil
}

// Marshal encodes the checkpoint.
func (c Checkpoint) Marshal() []byte {
	c.Version = CheckpointVersion
	b, _ := json.Marshal(c) // plain data: cannot fail
	return b
}
