package graph

import "errors"

// Sentinel errors of the graph contract. Stores wrap them with context
// (fmt.Errorf("mem: node %s: %w", ref, graph.ErrNotFound)); callers test
// with errors.Is.
var (
	// ErrNotFound: the node or transaction does not exist in the store.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: a reference, event or query is malformed.
	ErrInvalid = errors.New("invalid")
	// ErrCorrupt: a snapshot failed its integrity checks.
	ErrCorrupt = errors.New("corrupt snapshot")
	// ErrClosed: the store has been closed.
	ErrClosed = errors.New("store closed")
	// ErrUnavailable: the store's backend cannot be reached (network stores).
	ErrUnavailable = errors.New("store unavailable")
)
