package graph

import (
	"fmt"
	"strings"
	"time"
)

// NodeRef names a node: its kind and its external string id. The string
// form is "KIND:ID", e.g. "User:u-17" or "Transaction:t-0001".
type NodeRef struct {
	Kind Kind
	ID   string
}

// Ref is shorthand for NodeRef{Kind: k, ID: id}.
func Ref(k Kind, id string) NodeRef { return NodeRef{Kind: k, ID: id} }

// String returns "KIND:ID".
func (r NodeRef) String() string { return r.Kind.String() + ":" + r.ID }

// Valid reports whether the kind is valid and the id non-empty.
func (r NodeRef) Valid() bool { return r.Kind.Valid() && r.ID != "" }

// ParseRef parses "KIND:ID". The kind is matched case-insensitively; the id
// is everything after the first colon and may itself contain colons.
func ParseRef(s string) (NodeRef, error) {
	k, id, ok := strings.Cut(s, ":")
	if !ok || id == "" {
		return NodeRef{}, fmt.Errorf("graph: node reference %q: want KIND:ID: %w", s, ErrInvalid)
	}
	kind, err := ParseKind(k)
	if err != nil {
		return NodeRef{}, fmt.Errorf("graph: node reference %q: %w", s, err)
	}
	return NodeRef{Kind: kind, ID: id}, nil
}

// MarshalText implements encoding.TextMarshaler ("KIND:ID").
func (r NodeRef) MarshalText() ([]byte, error) {
	if !r.Valid() {
		return nil, fmt.Errorf("graph: marshal node reference %q: %w", r.ID, ErrInvalid)
	}
	return []byte(r.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *NodeRef) UnmarshalText(b []byte) error {
	v, err := ParseRef(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Node is what a store knows about one node.
type Node struct {
	Ref NodeRef
	// Degree is the number of edges at the node, all kinds together.
	Degree int
	// First and Last are the times of the node's oldest and newest edge
	// (for a transaction, both are its time). Zero when Degree is 0.
	First, Last time.Time
	// Label is the node's latest label, "" when unlabelled; LabelTime is
	// when that label became known (zero when it came with the row).
	Label     Class
	LabelTime time.Time
}

// Neighbor is one node reached across one edge.
type Neighbor struct {
	Edge EdgeKind
	Node NodeRef
	// Time is the edge's time: the time of the transaction on the edge.
	Time time.Time
}

// Window is a half-open time interval [From, To). A zero From or To leaves
// that side unbounded, so the zero Window admits every time.
type Window struct {
	From, To time.Time
}

// Contains reports whether t lies in the window.
func (w Window) Contains(t time.Time) bool {
	if !w.From.IsZero() && t.Before(w.From) {
		return false
	}
	return w.To.IsZero() || t.Before(w.To)
}

// Before is the window of everything strictly before t: what the graph knew
// just before an event at t.
func Before(t time.Time) Window { return Window{To: t} }

// Query selects the neighbours of a node.
type Query struct {
	// Edge restricts the result to one edge kind; 0 means every kind.
	Edge EdgeKind
	// Window restricts the result to edges whose time lies in it.
	Window Window
	// Limit caps the number of neighbours returned; 0 means no cap. With a
	// cap, the most recent neighbours are the ones returned.
	Limit int
}

// Validate reports a malformed query (unknown edge kind, negative limit,
// inverted window) as an error wrapping ErrInvalid.
func (q Query) Validate() error {
	switch {
	case q.Edge != 0 && !q.Edge.Valid():
		return fmt.Errorf("graph: query edge kind %d: %w", q.Edge, ErrInvalid)
	case q.Limit < 0:
		return fmt.Errorf("graph: query limit %d < 0: %w", q.Limit, ErrInvalid)
	case !q.Window.From.IsZero() && !q.Window.To.IsZero() && q.Window.To.Before(q.Window.From):
		return fmt.Errorf("graph: query window ends (%v) before it starts (%v): %w", q.Window.To, q.Window.From, ErrInvalid)
	}
	return nil
}
