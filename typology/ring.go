package typology

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/riskgraph/riskgraph/graph"
)

// Ring is the ring of users around an entity: the users linked to it
// through shared identifiers, the identifiers that link them, and what
// they did. It is what an investigator looks at next to an alert. Every
// slice is sorted (users first, then identifiers by kind and id) and owned
// by the caller.
type Ring struct {
	// Seed is the entity the ring was asked for.
	Seed graph.NodeRef `json:"seed"`
	// Members are the ring's users and the identifiers that link two of
	// them or more.
	Members []graph.NodeRef `json:"members"`
	// Shared are the identifiers used by two users of the ring or more,
	// each with those users.
	Shared []SharedID `json:"shared"`
	// Edges are the user–identifier pairs of the ring (for the linking
	// identifiers).
	Edges []Link `json:"edges"`
	// TotalAmount and Txns are the total and number of the transactions
	// made by the ring's users (in RingConfig.Window).
	TotalAmount float64 `json:"total_amount"`
	Txns        int     `json:"txns"`
	// Labels counts those transactions by label class (fraud, legit,
	// laundering); unlabelled ones are not counted.
	Labels map[string]int `json:"labels"`
	// Flagged are the members whose own node label is fraud or laundering.
	Flagged []graph.NodeRef `json:"flagged"`
	// Community is true when the connected group was larger than
	// RingConfig.MaxMembers users and the ring is the seed's Louvain
	// community within it; false when it is the whole group.
	Community bool `json:"community"`
	// Public lists identifiers met on the way that link more than
	// RingConfig.MaxUsersPerID users and were not followed.
	Public []graph.NodeRef `json:"public,omitempty"`
	// Truncated reports that the exploration stopped at
	// RingConfig.MaxVisit nodes or transactions: the ring may be larger.
	Truncated bool `json:"truncated"`
}

// SharedID is one identifier shared within a ring, with its users.
type SharedID struct {
	Ref   graph.NodeRef   `json:"ref"`
	Users []graph.NodeRef `json:"users"`
}

// Link is one user–identifier pair of a ring, with the first transaction
// seen linking them.
type Link struct {
	User graph.NodeRef `json:"user"`
	ID   graph.NodeRef `json:"id"`
	Txn  string        `json:"txn"`
}

// RingAround returns the ring around ref: starting from it, it follows
// users to the identifiers of cfg.Kinds in their transactions and those
// identifiers to their other users, skipping public identifiers (more
// than cfg.MaxUsersPerID users), until the connected group is complete or
// cfg.MaxVisit nodes were seen. A group with more than cfg.MaxMembers
// users is cut down to the seed's Louvain community (Ring.Community).
//
// The seed may be a User, an identifier (Device, Card, Phone, Email, IP:
// of any kind, whatever cfg.Kinds), an Account (its paying users) or a
// Transaction (its user); a Merchant is an error wrapping ErrSeed. An
// unknown seed is an error wrapping graph.ErrNotFound. A seed with no
// shared identifier gives a ring of its users alone. An invalid cfg is
// reported by RingConfig.Validate's error; store errors are returned
// wrapped.
func RingAround(ctx context.Context, g Reader, ref graph.NodeRef, cfg RingConfig) (Ring, error) {
	if err := cfg.Validate(); err != nil {
		return Ring{}, err
	}
	if !ref.Valid() || ref.Kind == graph.KindMerchant {
		return Ring{}, fmt.Errorf("%w: %s cannot anchor a ring: want a user, an account, a transaction or an identifier", ErrSeed, ref)
	}
	if _, err := g.Node(ctx, ref); err != nil {
		return Ring{}, fmt.Errorf("typology: ring around %s: %w", ref, err)
	}
	w := &ringWalk{g: g, cfg: cfg.withDefaults(), b: newBipartite(), txns: make(map[string]*ringTxn), done: make(map[int64]bool)}
	ring, err := w.run(ctx, ref)
	if err != nil {
		return Ring{}, fmt.Errorf("typology: ring around %s: %w", ref, err)
	}
	return ring, nil
}

// ringWalk is one RingAround exploration.
type ringWalk struct {
	g      Reader
	cfg    RingConfig
	b      *bipartite
	txns   map[string]*ringTxn // transactions read
	done   map[int64]bool      // nodes expanded
	queue  []int64
	public []graph.NodeRef
	nb     []graph.Neighbor
	trunc  bool
}

// ringTxn is what the walk keeps of a transaction.
type ringTxn struct {
	user  string
	amt   float64
	label graph.Class
	ids   []graph.NodeRef // identifiers of cfg.Kinds
}

func (w *ringWalk) run(ctx context.Context, seed graph.NodeRef) (Ring, error) {
	start, err := w.starts(ctx, seed)
	if err != nil {
		return Ring{}, err
	}
	w.queue = append(w.queue, start...)
	for len(w.queue) > 0 {
		if len(w.done) >= w.cfg.MaxVisit {
			w.trunc = true
			break
		}
		n := w.queue[0]
		w.queue = w.queue[1:]
		if w.done[n] {
			continue
		}
		w.done[n] = true
		var err error
		if w.b.refs[n].Kind == graph.KindUser {
			err = w.expandUser(ctx, n)
		} else {
			err = w.expandID(ctx, n)
		}
		if err != nil {
			return Ring{}, err
		}
	}
	keep := int64(-1)
	if i, ok := w.b.index[seed]; ok {
		keep = i
	} else if len(start) > 0 {
		keep = start[0]
	}
	grps := w.b.groups(1, w.cfg.MaxMembers, w.cfg.Resolution, w.cfg.Seed, keep)
	ring := Ring{Seed: seed, Labels: map[string]int{}, Public: w.public, Truncated: w.trunc}
	for _, grp := range grps {
		if slices.Contains(grp.nodes, keep) {
			return w.describe(ctx, ring, grp)
		}
	}
	return ring, nil
}

// starts resolves the seed to the nodes the walk starts from.
func (w *ringWalk) starts(ctx context.Context, seed graph.NodeRef) ([]int64, error) {
	switch seed.Kind {
	case graph.KindUser:
		return []int64{w.b.node(seed)}, nil
	case graph.KindAccount:
		var out []int64
		nb, err := w.g.Neighbors(ctx, seed, graph.Query{Edge: graph.EdgeFrom, Window: w.cfg.Window, Limit: w.cfg.MaxVisit}, w.nb[:0])
		if err != nil {
			return nil, err
		}
		for _, n := range nb {
			t, err := w.txn(ctx, n.Node.ID)
			if err != nil {
				return nil, err
			}
			if t.user != "" {
				u := w.b.node(graph.Ref(graph.KindUser, t.user))
				if !slices.Contains(out, u) {
					out = append(out, u)
				}
			}
		}
		return out, nil
	case graph.KindTransaction:
		t, err := w.txn(ctx, seed.ID)
		if err != nil || t.user == "" {
			return nil, err
		}
		return []int64{w.b.node(graph.Ref(graph.KindUser, t.user))}, nil
	}
	return []int64{w.b.node(seed)}, nil
}

// txn reads a transaction once.
func (w *ringWalk) txn(ctx context.Context, id string) (*ringTxn, error) {
	if t, ok := w.txns[id]; ok {
		return t, nil
	}
	full, err := w.g.Transaction(ctx, id)
	if err != nil {
		return nil, err
	}
	t := &ringTxn{user: full.User, amt: full.Amount, label: full.Label}
	for _, k := range w.cfg.Kinds {
		if v := full.Entity(identifierEdge(k)); v != "" {
			t.ids = append(t.ids, graph.Ref(k, v))
		}
	}
	w.txns[id] = t
	return t, nil
}

// expandUser links user n to the identifiers of its transactions.
func (w *ringWalk) expandUser(ctx context.Context, n int64) error {
	nb, err := w.g.Neighbors(ctx, w.b.refs[n], graph.Query{Edge: graph.EdgeBy, Window: w.cfg.Window, Limit: w.cfg.MaxVisit}, w.nb[:0])
	w.nb = nb[:0]
	if err != nil {
		return ignoreNotFound(err)
	}
	if len(nb) == w.cfg.MaxVisit {
		w.trunc = true
	}
	for _, x := range nb {
		t, err := w.txn(ctx, x.Node.ID)
		if err != nil {
			return err
		}
		for _, id := range t.ids {
			i := w.b.node(id)
			w.b.links = append(w.b.links, link{user: n, id: i, txn: x.Node.ID, t: x.Time.UnixNano(), amt: t.amt})
			if !w.done[i] {
				w.queue = append(w.queue, i)
			}
		}
	}
	return nil
}

// expandID links identifier n to its users, unless it is public.
func (w *ringWalk) expandID(ctx context.Context, n int64) error {
	ref := w.b.refs[n]
	e := identifierEdge(ref.Kind)
	nb, err := w.g.Neighbors(ctx, ref, graph.Query{Edge: e, Window: w.cfg.Window, Limit: w.cfg.MaxVisit}, w.nb[:0])
	w.nb = nb[:0]
	if err != nil {
		return ignoreNotFound(err)
	}
	if len(nb) == w.cfg.MaxVisit {
		w.trunc = true
	}
	var users []int64
	for _, x := range nb {
		t, err := w.txn(ctx, x.Node.ID)
		if err != nil {
			return err
		}
		if t.user == "" {
			continue
		}
		u := w.b.node(graph.Ref(graph.KindUser, t.user))
		if !slices.Contains(users, u) {
			users = append(users, u)
			if len(users) > w.cfg.MaxUsersPerID {
				w.public = append(w.public, ref)
				// Unlink it: a public identifier links nobody.
				w.b.links = slices.DeleteFunc(w.b.links, func(l link) bool { return l.id == n })
				return nil
			}
		}
		w.b.links = append(w.b.links, link{user: u, id: n, txn: x.Node.ID, t: x.Time.UnixNano(), amt: t.amt})
	}
	for _, u := range users {
		if !w.done[u] {
			w.queue = append(w.queue, u)
		}
	}
	return nil
}

func ignoreNotFound(err error) error {
	if errors.Is(err, graph.ErrNotFound) {
		return nil
	}
	return err
}

// describe fills the ring from its group of nodes.
func (w *ringWalk) describe(ctx context.Context, ring Ring, grp group) (Ring, error) {
	b := w.b
	ring.Community = grp.community
	in := make(map[int64]bool, len(grp.nodes))
	for _, n := range grp.nodes {
		in[n] = true
	}
	// Links within the ring: one per pair, the earliest transaction.
	first := make(map[[2]int64]link)
	for _, l := range b.links {
		if !in[l.user] || !in[l.id] {
			continue
		}
		k := [2]int64{l.user, l.id}
		if f, ok := first[k]; !ok || l.t < f.t || (l.t == f.t && l.txn < f.txn) {
			first[k] = l
		}
	}
	usersOf := make(map[int64][]graph.NodeRef)
	for _, l := range first {
		usersOf[l.id] = append(usersOf[l.id], b.refs[l.user])
	}
	// Members: the users, and the identifiers that link two of them or
	// more (an identifier of one user links nobody).
	for _, n := range grp.nodes {
		if n < int64(len(b.refs)) && (b.refs[n].Kind == graph.KindUser || len(usersOf[n]) >= 2) {
			ring.Members = append(ring.Members, b.refs[n])
		}
	}
	for _, l := range first {
		if len(usersOf[l.id]) >= 2 {
			ring.Edges = append(ring.Edges, Link{User: b.refs[l.user], ID: b.refs[l.id], Txn: l.txn})
		}
	}
	slices.SortFunc(ring.Edges, func(x, y Link) int {
		if c := compareRefs(x.User, y.User); c != 0 {
			return c
		}
		return compareRefs(x.ID, y.ID)
	})
	for _, n := range grp.nodes[grp.users:] {
		if us := usersOf[n]; len(us) >= 2 {
			slices.SortFunc(us, compareRefs)
			ring.Shared = append(ring.Shared, SharedID{Ref: b.refs[n], Users: us})
		}
	}
	// The members' transactions: every transaction read with a member user.
	for _, t := range w.txns {
		if t.user == "" {
			continue
		}
		if i, ok := b.index[graph.Ref(graph.KindUser, t.user)]; !ok || !in[i] {
			continue
		}
		ring.Txns++
		ring.TotalAmount += t.amt
		if t.label != "" {
			ring.Labels[string(t.label)]++
		}
	}
	ring.TotalAmount = roundCents(ring.TotalAmount)
	for _, m := range ring.Members {
		n, err := w.g.Node(ctx, m)
		if err != nil {
			if errors.Is(err, graph.ErrNotFound) {
				continue
			}
			return Ring{}, err
		}
		if n.Label.Positive() {
			ring.Flagged = append(ring.Flagged, m)
		}
	}
	return ring, nil
}
