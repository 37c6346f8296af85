package investigate

import (
	"context"
	"fmt"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// Paths are the connections between two nodes.
type Paths struct {
	From graph.NodeRef `json:"from"`
	To   graph.NodeRef `json:"to"`
	// Money are time-respecting money-flow paths from From to To, shortest
	// first, then earliest first. Empty unless both are accounts.
	Money []MoneyPath `json:"money"`
	// Shared are the shortest shared-identifier paths between them.
	Shared []SharedPath `json:"shared"`
	// Truncated is set when a bound (Config.Fanout, MaxNodes, MaxPaths)
	// cut the search short: more paths may exist.
	Truncated bool `json:"truncated"`
}

// Transfer is one hop of a money-flow path.
type Transfer struct {
	Txn      string        `json:"txn"`
	From     graph.NodeRef `json:"from"`
	To       graph.NodeRef `json:"to"`
	Time     time.Time     `json:"time"`
	Amount   float64       `json:"amount"`
	Currency string        `json:"currency,omitempty"`
}

// MoneyPath is a chain of transfers, each strictly later than the one
// before it.
type MoneyPath struct {
	Hops []Transfer `json:"hops"`
}

// Duration is the time from the first transfer to the last.
func (p MoneyPath) Duration() time.Duration {
	if len(p.Hops) == 0 {
		return 0
	}
	return p.Hops[len(p.Hops)-1].Time.Sub(p.Hops[0].Time)
}

// Link joins two entities that took part, on the same side, in Txn.
type Link struct {
	Txn  string    `json:"txn"`
	Time time.Time `json:"time"`
}

// SharedPath is a chain of entities, each used together with the next on
// one transaction: Links[i] joins Nodes[i] and Nodes[i+1].
type SharedPath struct {
	Nodes []graph.NodeRef `json:"nodes"`
	Links []Link          `json:"links"`
}

// Paths returns the money-flow and shared-identifier paths between a and
// b (see the package documentation). Unknown nodes are errors wrapping
// graph.ErrNotFound.
func (inv *Investigator) Paths(ctx context.Context, a, b graph.NodeRef) (Paths, error) {
	out := Paths{From: a, To: b}
	for _, r := range []graph.NodeRef{a, b} {
		if _, err := inv.node(ctx, r); err != nil {
			return out, err
		}
		if r.Kind == graph.KindTransaction {
			return out, fmt.Errorf("%w: %s: paths join entities, not transactions", ErrInvalid, r)
		}
	}
	cache := newTxnCache(inv.g)
	if a.Kind == graph.KindAccount && b.Kind == graph.KindAccount {
		m, more, err := inv.moneyPaths(ctx, a, b, cache)
		if err != nil {
			return out, err
		}
		out.Money, out.Truncated = m, more
	}
	if a != b {
		s, more, err := inv.sharedPaths(ctx, a, b, cache)
		if err != nil {
			return out, err
		}
		out.Shared, out.Truncated = s, out.Truncated || more
	}
	return out, nil
}

// moneySearch is the state of one money-path search.
type moneySearch struct {
	inv    *Investigator
	cache  *txnCache
	to     graph.NodeRef
	dist   map[graph.NodeRef]int // transfers to `to`, ignoring time
	nb     []graph.Neighbor
	out    []MoneyPath
	stack  []Transfer
	onPath map[graph.NodeRef]bool
	budget int // node expansions left
	cut    bool
}

// moneyPaths finds time-respecting transfer chains from a to b by
// iterative deepening, so the shortest come first; a backward search from
// b bounds which accounts are worth entering at each depth.
func (inv *Investigator) moneyPaths(ctx context.Context, a, b graph.NodeRef, cache *txnCache) ([]MoneyPath, bool, error) {
	s := &moneySearch{inv: inv, cache: cache, to: b, onPath: map[graph.NodeRef]bool{a: true},
		budget: inv.cfg.MaxNodes * inv.cfg.MaxDepth}
	if err := s.distances(ctx); err != nil {
		return nil, false, err
	}
	if _, ok := s.dist[a]; !ok && a != b {
		return nil, s.cut, nil
	}
	for depth := 1; depth <= inv.cfg.MaxDepth && len(s.out) < inv.cfg.MaxPaths; depth++ {
		if err := s.walk(ctx, a, time.Time{}, depth); err != nil {
			return nil, false, err
		}
	}
	// Stopping at MaxPaths leaves the rest of the search undone.
	s.cut = s.cut || len(s.out) >= inv.cfg.MaxPaths
	return s.out, s.cut, nil
}

// distances fills dist by a breadth-first search backwards from the
// destination over incoming transfers, MaxDepth levels deep.
func (s *moneySearch) distances(ctx context.Context) error {
	s.dist = map[graph.NodeRef]int{s.to: 0}
	level := []graph.NodeRef{s.to}
	for d := 1; d <= s.inv.cfg.MaxDepth && len(level) > 0; d++ {
		var next []graph.NodeRef
		for _, acc := range level {
			var err error
			s.nb, err = s.inv.g.Neighbors(ctx, acc, graph.Query{Edge: graph.EdgeTo, Limit: s.inv.cfg.Fanout + 1}, s.nb[:0])
			if err != nil {
				return fmt.Errorf("investigate: transfers into %s: %w", acc, err)
			}
			if len(s.nb) > s.inv.cfg.Fanout {
				s.nb, s.cut = s.nb[:s.inv.cfg.Fanout], true
			}
			for _, n := range s.nb {
				t, err := s.cache.txn(ctx, n.Node.ID)
				if err != nil {
					return err
				}
				if t.Account == "" {
					continue
				}
				src := graph.Ref(graph.KindAccount, t.Account)
				if _, ok := s.dist[src]; ok {
					continue
				}
				if len(s.dist) >= s.inv.cfg.MaxNodes {
					s.cut = true
					return nil
				}
				s.dist[src] = d
				next = append(next, src)
			}
		}
		level = next
	}
	return nil
}

// walk extends the path on the stack from acc, whose last transfer was at
// after, by transfers strictly later, recording paths of exactly depth
// transfers that end at the destination.
func (s *moneySearch) walk(ctx context.Context, acc graph.NodeRef, after time.Time, depth int) error {
	if len(s.out) >= s.inv.cfg.MaxPaths {
		s.cut = true
		return nil
	}
	if s.budget--; s.budget < 0 {
		s.cut = true
		return nil
	}
	q := graph.Query{Edge: graph.EdgeFrom, Limit: s.inv.cfg.Fanout + 1}
	if !after.IsZero() {
		q.Window.From = after.Add(time.Nanosecond)
	}
	var err error
	s.nb, err = s.inv.g.Neighbors(ctx, acc, q, s.nb[:0])
	if err != nil {
		return fmt.Errorf("investigate: transfers out of %s: %w", acc, err)
	}
	if len(s.nb) > s.inv.cfg.Fanout {
		s.nb, s.cut = s.nb[:s.inv.cfg.Fanout], true
	}
	// Oldest first, so paths come out in time order; copy, as recursion
	// reuses s.nb.
	ids := make([]string, len(s.nb))
	for i, n := range s.nb {
		ids[len(ids)-1-i] = n.Node.ID
	}
	left := depth - len(s.stack) - 1 // transfers still to make after this one
	for _, id := range ids {
		t, err := s.cache.txn(ctx, id)
		if err != nil {
			return err
		}
		if t.Counterparty == "" || !t.Time.After(after) {
			continue
		}
		dst := graph.Ref(graph.KindAccount, t.Counterparty)
		hop := Transfer{Txn: t.ID, From: acc, To: dst, Time: t.Time, Amount: t.Amount, Currency: t.Currency}
		if dst == s.to {
			if left == 0 {
				s.out = append(s.out, MoneyPath{Hops: append(append([]Transfer(nil), s.stack...), hop)})
				if len(s.out) >= s.inv.cfg.MaxPaths {
					return nil
				}
			}
			continue
		}
		if d, ok := s.dist[dst]; !ok || d > left || s.onPath[dst] {
			continue
		}
		s.stack = append(s.stack, hop)
		s.onPath[dst] = true
		err = s.walk(ctx, dst, t.Time, depth)
		s.onPath[dst] = false
		s.stack = s.stack[:len(s.stack)-1]
		if err != nil || len(s.out) >= s.inv.cfg.MaxPaths {
			return err
		}
	}
	return nil
}
