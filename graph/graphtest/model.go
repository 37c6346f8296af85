package graphtest

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// T0 is the time origin of generated fixtures.
var T0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// RandomTxns returns n transactions over a small population of entities so
// that nodes have many shared neighbours, with times drawn out of order
// (ties included) so stores must sort. The same seed gives the same slice.
func RandomTxns(seed uint64, n int) []graph.Transaction {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	pick := func(prefix string, pop int, pNone float64) string {
		if r.Float64() < pNone {
			return ""
		}
		return fmt.Sprintf("%s%d", prefix, r.IntN(pop))
	}
	out := make([]graph.Transaction, n)
	for i := range out {
		t := graph.Transaction{
			ID:       fmt.Sprintf("t%05d", i),
			Time:     T0.Add(time.Duration(r.IntN(200)) * time.Minute),
			Amount:   float64(r.IntN(100000)) / 100,
			Currency: []string{"EUR", "USD", "GBP"}[r.IntN(3)],
			Kind:     []string{"card", "bnpl", "transfer"}[r.IntN(3)],
			User:     pick("u", 20, 0.05),
			Account:  pick("a", 25, 0.3),
			Card:     pick("c", 15, 0.4),
			Device:   pick("d", 12, 0.2),
			IP:       pick("10.0.0.", 10, 0.2),
			Email:    pick("e", 8, 0.6),
			Phone:    pick("p", 8, 0.6),
			Merchant: pick("m", 10, 0.3),
			MCC:      pick("", 5, 0.5),
			Country:  []string{"DE", "FR", ""}[r.IntN(3)],
			Channel:  []string{"web", "app", "pos"}[r.IntN(3)],
		}
		if t.Kind == "transfer" {
			t.Counterparty = pick("a", 25, 0)
		}
		if r.IntN(4) == 0 {
			t.Attrs = map[string]string{"pattern": []string{"normal", "ato"}[r.IntN(2)], "score": fmt.Sprint(r.IntN(9))}
		}
		if r.IntN(3) == 0 {
			t.Label = []graph.Class{graph.ClassFraud, graph.ClassLegit, graph.ClassLaundering}[r.IntN(3)]
		}
		out[i] = t
	}
	return out
}

// model is the brute-force reference: transactions in arrival order.
type model struct {
	txns []graph.Transaction
	seen map[string]bool
}

func newModel() *model { return &model{seen: map[string]bool{}} }

func (m *model) apply(t graph.Transaction) {
	if m.seen[t.ID] {
		return
	}
	m.seen[t.ID] = true
	m.txns = append(m.txns, t)
}

// neighbors answers a query the slow, obvious way.
func (m *model) neighbors(ref graph.NodeRef, q graph.Query) []graph.Neighbor {
	type hit struct {
		n       graph.Neighbor
		arrival int
	}
	var hits []hit
	for i, t := range m.txns {
		if !q.Window.Contains(t.Time) {
			continue
		}
		for _, e := range graph.EdgeKinds() {
			if q.Edge != 0 && q.Edge != e {
				continue
			}
			id := t.Entity(e)
			if id == "" {
				continue
			}
			switch {
			case ref.Kind == graph.KindTransaction && ref.ID == t.ID:
				hits = append(hits, hit{graph.Neighbor{Edge: e, Node: graph.Ref(e.Target(), id), Time: t.Time}, -int(e)})
			case ref.Kind == e.Target() && ref.ID == id:
				hits = append(hits, hit{graph.Neighbor{Edge: e, Node: graph.Ref(graph.KindTransaction, t.ID), Time: t.Time}, i})
			}
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int {
		if c := b.n.Time.Compare(a.n.Time); c != 0 {
			return c
		}
		return cmp.Compare(b.arrival, a.arrival)
	})
	if q.Limit > 0 && len(hits) > q.Limit {
		hits = hits[:q.Limit]
	}
	out := make([]graph.Neighbor, len(hits))
	for i, h := range hits {
		out[i] = h.n
	}
	return out
}

// refs returns every node of the model, sorted.
func (m *model) refs() []graph.NodeRef {
	set := map[graph.NodeRef]bool{}
	for _, t := range m.txns {
		set[graph.Ref(graph.KindTransaction, t.ID)] = true
		for _, e := range graph.EdgeKinds() {
			if id := t.Entity(e); id != "" {
				set[graph.Ref(e.Target(), id)] = true
			}
		}
	}
	out := make([]graph.NodeRef, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b graph.NodeRef) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID))
	})
	return out
}
