package investigate

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/typology"
)

// Event kinds of a timeline, in the order they sort at equal times.
const (
	EventTxn   = "txn"
	EventLabel = "label"
	EventAlert = "alert"
)

// Event is one thing that happened to a node.
type Event struct {
	Time time.Time `json:"time"`
	// Kind is EventTxn, EventLabel or EventAlert; exactly the matching
	// field below is set.
	Kind  string          `json:"kind"`
	Txn   *TxnView        `json:"txn,omitempty"`
	Label *LabelEvent     `json:"label,omitempty"`
	Alert *typology.Alert `json:"alert,omitempty"`
}

// LabelEvent is a verdict becoming known.
type LabelEvent struct {
	// Target is the labelled node: the subject itself or one of its
	// transactions.
	Target graph.NodeRef `json:"target"`
	Class  graph.Class   `json:"class"`
	// WithRow is set for a label that came with the transaction itself
	// (historical data): its time is the transaction's.
	WithRow bool `json:"with_row,omitempty"`
}

// Timeline is a node's events in time order.
type Timeline struct {
	Ref    graph.NodeRef `json:"ref"`
	Events []Event       `json:"events"`
	// Truncated is set when the node has more than Config.Fanout
	// transactions in the window: only the most recent are listed.
	Truncated bool `json:"truncated"`
}

func eventRank(kind string) int {
	switch kind {
	case EventTxn:
		return 0
	case EventLabel:
		return 1
	}
	return 2
}

// Timeline returns ref's transactions, the verdicts on it and on its
// transactions, and the typology alerts it takes part in, oldest first,
// restricted to window (the zero Window admits everything). Legit
// verdicts that came with their transaction are left out: on historical
// data every row carries one, and they say nothing new.
func (inv *Investigator) Timeline(ctx context.Context, ref graph.NodeRef, window graph.Window) (Timeline, error) {
	out := Timeline{Ref: ref}
	if err := (graph.Query{Window: window}).Validate(); err != nil {
		return out, err
	}
	n, err := inv.node(ctx, ref)
	if err != nil {
		return out, err
	}
	if ref.Kind != graph.KindTransaction && n.Label != "" && window.Contains(n.LabelTime) {
		out.Events = append(out.Events, Event{Time: n.LabelTime, Kind: EventLabel, Label: &LabelEvent{Target: ref, Class: n.Label}})
	}
	cache := newTxnCache(inv.g)
	var roles []role
	if ref.Kind == graph.KindTransaction {
		roles = []role{{txn: ref.ID, time: n.First}}
	} else {
		nb, err := inv.g.Neighbors(ctx, ref, graph.Query{Window: window, Limit: inv.cfg.Fanout + 1}, nil)
		if err != nil {
			return out, err
		}
		if len(nb) > inv.cfg.Fanout {
			nb, out.Truncated = nb[:inv.cfg.Fanout], true
		}
		seen := map[string]bool{}
		for _, x := range nb {
			if !seen[x.Node.ID] {
				seen[x.Node.ID] = true
				roles = append(roles, role{txn: x.Node.ID, edge: x.Edge, time: x.Time})
			}
		}
	}
	for _, r := range roles {
		t, err := cache.txn(ctx, r.txn)
		if err != nil {
			return out, err
		}
		ln, err := cache.label(ctx, r.txn)
		if err != nil {
			return out, err
		}
		v := viewOf(t, r.edge)
		v.Label = ln.Label
		if window.Contains(t.Time) {
			out.Events = append(out.Events, Event{Time: t.Time, Kind: EventTxn, Txn: &v})
		}
		if ln.Label == "" || (ln.LabelTime.IsZero() && !ln.Label.Positive()) {
			continue
		}
		le := LabelEvent{Target: graph.Ref(graph.KindTransaction, t.ID), Class: ln.Label, WithRow: ln.LabelTime.IsZero()}
		at := ln.LabelTime
		if le.WithRow {
			at = t.Time
		}
		if window.Contains(at) {
			out.Events = append(out.Events, Event{Time: at, Kind: EventLabel, Label: &le})
		}
	}
	alerts, err := inv.alertsOf(ctx, ref)
	if err != nil {
		return out, err
	}
	for i := range alerts {
		if window.Contains(alerts[i].At) {
			out.Events = append(out.Events, Event{Time: alerts[i].At, Kind: EventAlert, Alert: &alerts[i]})
		}
	}
	slices.SortStableFunc(out.Events, func(a, b Event) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(eventRank(a.Kind), eventRank(b.Kind)))
	})
	return out, nil
}
