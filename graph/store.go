package graph

import (
	"context"
	"io"
)

// Applied counts what one Apply call did.
type Applied struct {
	Txns       int // transactions added
	Duplicates int // transactions already present, left unchanged
	Labels     int // labels recorded (including pending ones)
}

// Add accumulates b into a.
func (a *Applied) Add(b Applied) {
	a.Txns += b.Txns
	a.Duplicates += b.Duplicates
	a.Labels += b.Labels
}

// Stats are a store's counts.
type Stats struct {
	Nodes   map[Kind]int64     // nodes by kind (transactions included)
	Edges   map[EdgeKind]int64 // edges by kind
	Labels  map[Class]int64    // labelled transactions by class
	LastSeq uint64             // last stream sequence applied
}

// Store is the graph store contract. Implementations are safe for
// concurrent use by many readers and writers; graph/graphtest checks the
// contract.
//
// Errors: ErrNotFound for a missing node, ErrInvalid for malformed input
// (the caller's fault: retrying cannot help), ErrUnavailable for a backend
// that cannot be reached or is overloaded (transient: retry later),
// ErrClosed after Close, ErrCorrupt for a snapshot that fails its checks.
type Store interface {
	// Apply validates every mutation of the batch and then applies them in
	// order. A malformed mutation fails the whole batch before anything is
	// applied (an error wrapping ErrInvalid naming its index). Applying is
	// idempotent: a transaction whose id is present is a duplicate and
	// changes nothing, and re-applying a label leaves the same label. A
	// label on a transaction the store has not seen is kept pending and
	// takes effect when that transaction arrives; a label on an unseen
	// entity creates the entity. The store remembers the largest Seq
	// applied (LastSeq). Apply keeps nothing of the batch after it returns:
	// the caller may reuse the mutations and what they point to.
	Apply(ctx context.Context, batch ...Mutation) (Applied, error)

	// Node returns what the store knows about a node, or an error wrapping
	// ErrNotFound.
	Node(ctx context.Context, ref NodeRef) (Node, error)

	// Transaction returns the stored transaction with the given id, or an
	// error wrapping ErrNotFound. Its Label is the latest known label.
	Transaction(ctx context.Context, id string) (Transaction, error)

	// Neighbors appends to dst the neighbours of ref selected by q, most
	// recent first (ties in time broken by arrival order, later first), and
	// returns the extended slice. A transaction's own edges all carry its
	// time and come in EdgeKind order. An unknown ref is an error wrapping
	// ErrNotFound. The caller owns dst.
	Neighbors(ctx context.Context, ref NodeRef, q Query, dst []Neighbor) ([]Neighbor, error)

	// Nodes calls fn for every node of kind k, in no particular order,
	// until fn returns false.
	Nodes(ctx context.Context, k Kind, fn func(Node) bool) error

	// Stats returns the store's counts.
	Stats(ctx context.Context) (Stats, error)

	// LastSeq returns the largest stream sequence applied so far (0 if none).
	LastSeq(ctx context.Context) (uint64, error)

	// Snapshot writes the store's whole content, with LastSeq and a
	// checksum, to w. Concurrent writes may or may not be included, but
	// every mutation up to the recorded LastSeq is.
	Snapshot(ctx context.Context, w io.Writer) error

	// Restore replaces the store's content with a snapshot read from r.
	// A snapshot that fails its checks returns an error wrapping ErrCorrupt
	// and leaves the store as it was.
	Restore(ctx context.Context, r io.Reader) error

	// Close releases the store's resources. Calls after Close return an
	// error wrapping ErrClosed.
	Close() error
}
