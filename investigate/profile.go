package investigate

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/typology"
)

// Profile is what the graph says about one node.
type Profile struct {
	Ref graph.NodeRef `json:"ref"`
	// Degree, First and Last are the node's edge count and the times of
	// its oldest and newest transaction.
	Degree int       `json:"degree"`
	First  time.Time `json:"first,omitzero"`
	Last   time.Time `json:"last,omitzero"`
	// Risk is the node's label history.
	Risk RiskHistory `json:"risk"`
	// Linked are the entities that took part in the node's transactions,
	// by kind, in graph.Kinds order (kinds with none are left out).
	Linked []LinkedKind `json:"linked"`
	// Flagged are the entities within two hops that carry a fraud or
	// laundering label or took part in transactions labelled so: nearest
	// first, then most flagged transactions first.
	Flagged []Flagged `json:"flagged"`
	// Typologies are the typology alerts the node takes part in, oldest
	// first.
	Typologies []typology.Alert `json:"typologies"`
	// Recent are the node's most recent transactions, newest first.
	Recent []TxnView `json:"recent"`
	// Truncated is set when a bound (Config.Fanout, Config.MaxNodes) cut
	// the exploration short: counts are then lower bounds.
	Truncated bool `json:"truncated"`
}

// RiskHistory is a node's label history as the graph knows it.
type RiskHistory struct {
	// Label is the node's own latest label ("" when unlabelled) and
	// LabelTime when it became known.
	Label     graph.Class `json:"label,omitempty"`
	LabelTime time.Time   `json:"label_time,omitzero"`
	// Txns counts the node's labelled transactions by class.
	Txns map[graph.Class]int `json:"txns"`
	// Events are the fraud and laundering verdicts: the node's own label
	// and those of its transactions, in the order they became known.
	Events []RiskEvent `json:"events"`
}

// RiskEvent is one fraud or laundering verdict.
type RiskEvent struct {
	// Time is when the verdict became known: the label's time, or the
	// transaction's time for a label that came with the transaction.
	Time  time.Time   `json:"time"`
	Class graph.Class `json:"class"`
	// Txn is the labelled transaction; "" for the node's own label.
	Txn string `json:"txn,omitempty"`
	// TxnTime is the labelled transaction's time.
	TxnTime time.Time `json:"txn_time,omitzero"`
}

// LinkedKind counts the entities of one kind linked to a node.
type LinkedKind struct {
	Kind graph.Kind `json:"kind"`
	// Count is the number of distinct entities of the kind.
	Count int `json:"count"`
	// Top are the entities sharing the most transactions with the node,
	// at most Config.Top.
	Top []Linked `json:"top"`
}

// Linked is one linked entity.
type Linked struct {
	Ref graph.NodeRef `json:"ref"`
	// Txns is the number of the node's transactions it took part in.
	Txns int `json:"txns"`
}

// Flagged is a nearby entity with fraud or laundering against it.
type Flagged struct {
	Ref graph.NodeRef `json:"ref"`
	// Hops is 1 for an entity that shared a transaction with the node,
	// 2 for one that shared a transaction with such an entity.
	Hops int `json:"hops"`
	// Via is the hop-1 entity a hop-2 entity was reached through.
	Via graph.NodeRef `json:"via,omitzero"`
	// Label is the entity's own label, "" when unlabelled.
	Label graph.Class `json:"label,omitempty"`
	// Fraud and Laundering count its transactions labelled so (among the
	// Config.Fanout most recent).
	Fraud      int `json:"fraud_txns"`
	Laundering int `json:"laundering_txns"`
}

func (f Flagged) weight() int {
	w := f.Fraud + f.Laundering
	if f.Label.Positive() {
		w += 1000
	}
	return w
}

// TxnView is a transaction as an investigation shows it.
type TxnView struct {
	ID       string    `json:"id"`
	Time     time.Time `json:"time"`
	Amount   float64   `json:"amount"`
	Currency string    `json:"currency,omitempty"`
	Kind     string    `json:"kind,omitempty"`
	// Role is how the subject took part (FROM, TO, BY, …), "" when the
	// subject is the transaction itself.
	Role     string      `json:"role,omitempty"`
	User     string      `json:"user,omitempty"`
	From     string      `json:"from,omitempty"`
	To       string      `json:"to,omitempty"`
	Merchant string      `json:"merchant,omitempty"`
	Label    graph.Class `json:"label,omitempty"`
}

func viewOf(t *graph.Transaction, role graph.EdgeKind) TxnView {
	v := TxnView{ID: t.ID, Time: t.Time, Amount: t.Amount, Currency: t.Currency, Kind: t.Kind,
		User: t.User, From: t.Account, To: t.Counterparty, Merchant: t.Merchant, Label: t.Label}
	if role != 0 {
		v.Role = role.String()
	}
	return v
}

// role is one of a node's transactions and how the node took part.
type role struct {
	txn  string
	edge graph.EdgeKind
	time time.Time
}

// txnsOf returns the Config.Fanout most recent transactions of ref, newest
// first, one entry per transaction (an account on both sides of a transfer
// gets its FROM role); truncated reports whether there may be more.
func (inv *Investigator) txnsOf(ctx context.Context, ref graph.NodeRef, nb []graph.Neighbor) ([]role, []graph.Neighbor, bool, error) {
	if ref.Kind == graph.KindTransaction {
		n, err := inv.g.Node(ctx, ref)
		if err != nil {
			return nil, nb, false, fmt.Errorf("investigate: %s: %w", ref, err)
		}
		return []role{{txn: ref.ID, time: n.First}}, nb, false, nil
	}
	nb, err := inv.g.Neighbors(ctx, ref, graph.Query{Limit: inv.cfg.Fanout + 1}, nb[:0])
	if err != nil {
		return nil, nb, false, fmt.Errorf("investigate: transactions of %s: %w", ref, err)
	}
	truncated := len(nb) > inv.cfg.Fanout
	if truncated {
		nb = nb[:inv.cfg.Fanout]
	}
	out := make([]role, 0, len(nb))
	seen := make(map[string]int, len(nb))
	for _, n := range nb {
		if i, ok := seen[n.Node.ID]; ok {
			out[i].edge = min(out[i].edge, n.Edge)
			continue
		}
		seen[n.Node.ID] = len(out)
		out = append(out, role{txn: n.Node.ID, edge: n.Edge, time: n.Time})
	}
	return out, nb, truncated, nil
}

// entitiesOf returns the entities a transaction links to, in EdgeKind order.
func entitiesOf(t *graph.Transaction) []graph.NodeRef {
	var out []graph.NodeRef
	for _, e := range graph.EdgeKinds() {
		if id := t.Entity(e); id != "" {
			out = append(out, graph.Ref(e.Target(), id))
		}
	}
	return out
}

// Profile returns what the graph says about ref. An unknown ref is an
// error wrapping graph.ErrNotFound; a malformed one wraps ErrInvalid.
func (inv *Investigator) Profile(ctx context.Context, ref graph.NodeRef) (Profile, error) {
	n, err := inv.node(ctx, ref)
	if err != nil {
		return Profile{}, err
	}
	p := Profile{Ref: ref, Degree: n.Degree, First: n.First, Last: n.Last,
		Risk: RiskHistory{Label: n.Label, LabelTime: n.LabelTime, Txns: map[graph.Class]int{}}}
	if n.Label.Positive() {
		p.Risk.Events = append(p.Risk.Events, RiskEvent{Time: n.LabelTime, Class: n.Label})
	}
	cache := newTxnCache(inv.g)
	roles, nb, truncated, err := inv.txnsOf(ctx, ref, nil)
	if err != nil {
		return p, err
	}
	p.Truncated = truncated

	shared := map[graph.NodeRef]int{}
	var order []graph.NodeRef // hop-1 entities in first-seen order
	for i, r := range roles {
		t, err := cache.txn(ctx, r.txn)
		if err != nil {
			return p, err
		}
		ln, err := cache.label(ctx, r.txn)
		if err != nil {
			return p, err
		}
		if ln.Label != "" {
			p.Risk.Txns[ln.Label]++
		}
		if ln.Label.Positive() {
			at := ln.LabelTime
			if at.IsZero() {
				at = t.Time
			}
			p.Risk.Events = append(p.Risk.Events, RiskEvent{Time: at, Class: ln.Label, Txn: t.ID, TxnTime: t.Time})
		}
		if i < inv.cfg.Recent {
			v := viewOf(t, r.edge)
			v.Label = ln.Label
			p.Recent = append(p.Recent, v)
		}
		for _, e := range entitiesOf(t) {
			if e == ref {
				continue
			}
			if shared[e] == 0 {
				order = append(order, e)
			}
			shared[e]++
		}
	}
	slices.SortStableFunc(p.Risk.Events, func(a, b RiskEvent) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Txn, b.Txn))
	})
	p.Linked = linkedByKind(order, shared, inv.cfg.Top)

	flagged, more, err := inv.flagged(ctx, ref, order, cache, nb)
	if err != nil {
		return p, err
	}
	p.Flagged, p.Truncated = flagged, p.Truncated || more
	if p.Typologies, err = inv.alertsOf(ctx, ref); err != nil {
		return p, err
	}
	return p, nil
}

func linkedByKind(order []graph.NodeRef, shared map[graph.NodeRef]int, top int) []LinkedKind {
	var byKind [graph.NumKinds][]Linked
	for _, e := range order {
		byKind[e.Kind] = append(byKind[e.Kind], Linked{Ref: e, Txns: shared[e]})
	}
	var out []LinkedKind
	for _, k := range graph.Kinds() {
		ls := byKind[k]
		if len(ls) == 0 {
			continue
		}
		slices.SortStableFunc(ls, func(a, b Linked) int {
			return cmp.Or(cmp.Compare(b.Txns, a.Txns), cmp.Compare(a.Ref.ID, b.Ref.ID))
		})
		out = append(out, LinkedKind{Kind: k, Count: len(ls), Top: slices.Clip(ls[:min(top, len(ls))])})
	}
	return out
}

// flagged walks two hops out from ref (hop1 are its linked entities) and
// returns the entities with fraud or laundering against them.
func (inv *Investigator) flagged(ctx context.Context, ref graph.NodeRef, hop1 []graph.NodeRef, cache *txnCache, nb []graph.Neighbor) ([]Flagged, bool, error) {
	type cand struct {
		hops int
		via  graph.NodeRef
	}
	cands := map[graph.NodeRef]cand{ref: {}}
	var order []graph.NodeRef
	truncated := false
	add := func(e graph.NodeRef, c cand) {
		if _, ok := cands[e]; ok {
			return
		}
		if len(order) >= inv.cfg.MaxNodes {
			truncated = true
			return
		}
		cands[e] = c
		order = append(order, e)
	}
	for _, e := range hop1 {
		add(e, cand{hops: 1})
	}
	var out []Flagged
	// Checking a candidate reads its transactions; for a hop-1 entity the
	// same read finds the hop-2 entities.
	for i := 0; i < len(order); i++ {
		e := order[i]
		c := cands[e]
		n, err := inv.g.Node(ctx, e)
		if err != nil {
			return nil, truncated, fmt.Errorf("investigate: %s: %w", e, err)
		}
		var roles []role
		var more bool
		roles, nb, more, err = inv.txnsOf(ctx, e, nb)
		if err != nil {
			return nil, truncated, err
		}
		truncated = truncated || more
		f := Flagged{Ref: e, Hops: c.hops, Via: c.via, Label: n.Label}
		for _, r := range roles {
			ln, err := cache.label(ctx, r.txn)
			if err != nil {
				return nil, truncated, err
			}
			switch ln.Label {
			case graph.ClassFraud:
				f.Fraud++
			case graph.ClassLaundering:
				f.Laundering++
			}
			if c.hops == 1 && !inv.hub[e.Kind] {
				t, err := cache.txn(ctx, r.txn)
				if err != nil {
					return nil, truncated, err
				}
				for _, e2 := range entitiesOf(t) {
					add(e2, cand{hops: 2, via: e})
				}
			}
		}
		if f.weight() > 0 {
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, func(a, b Flagged) int {
		return cmp.Or(cmp.Compare(a.Hops, b.Hops), cmp.Compare(b.weight(), a.weight()), cmp.Compare(a.Ref.String(), b.Ref.String()))
	})
	return out, truncated, nil
}
