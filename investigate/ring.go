package investigate

import (
	"context"
	"fmt"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/typology"
)

// Ring returns the ring of users around ref, linked by shared
// identifiers (typology.RingAround over the Investigator's graph). An
// unknown ref is an error wrapping graph.ErrNotFound; a ref that cannot
// anchor a ring (a merchant) wraps ErrInvalid.
func (inv *Investigator) Ring(ctx context.Context, ref graph.NodeRef, cfg typology.RingConfig) (typology.Ring, error) {
	if _, err := inv.node(ctx, ref); err != nil {
		return typology.Ring{}, err
	}
	if ref.Kind == graph.KindMerchant {
		return typology.Ring{}, fmt.Errorf("%w: %s: a merchant joins unrelated customers and cannot anchor a ring", ErrInvalid, ref)
	}
	r, err := typology.RingAround(ctx, inv.g, ref, cfg)
	if err != nil {
		return r, fmt.Errorf("investigate: %w", err)
	}
	return r, nil
}

// RingDrawing draws a ring: its users and identifiers, an edge from each
// user to each identifier it used (labelled with the first transaction
// seen), flagged members filled.
func RingDrawing(r typology.Ring) Drawing {
	d := newDrawing("ring around " + r.Seed.String())
	flagged := map[graph.NodeRef]bool{}
	for _, f := range r.Flagged {
		flagged[f] = true
	}
	for _, m := range r.Members {
		class := graph.Class("")
		if flagged[m] {
			class = graph.ClassFraud
		}
		d.node(m, class, m == r.Seed)
	}
	if _, ok := d.seen[r.Seed.String()]; !ok {
		d.node(r.Seed, "", true)
	}
	for _, e := range r.Edges {
		d.edge(d.node(e.User, "", false), d.node(e.ID, "", false), e.Txn, true)
	}
	return d.d
}

// AlertsDrawing draws typology alerts: each alert's focus with an edge to
// each other member, labelled with the typology; one node per entity, so
// alerts that share members show how they connect.
func AlertsDrawing(alerts []typology.Alert) Drawing {
	d := newDrawing(fmt.Sprintf("%d typology alerts", len(alerts)))
	for _, a := range alerts {
		focus := d.node(a.Focus, graph.ClassLaundering, true)
		for _, m := range a.Members {
			if m != a.Focus {
				d.edge(focus, d.node(m, "", false), a.Typology, false)
			}
		}
	}
	return d.d
}
