package investigate

import (
	"fmt"
	"strconv"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// drawing accumulates nodes once each.
type drawing struct {
	d    Drawing
	seen map[string]int
}

func newDrawing(title string) *drawing {
	return &drawing{d: Drawing{Title: title}, seen: map[string]int{}}
}

// node adds ref (once) and returns its ID; a later call can raise its
// class or focus.
func (d *drawing) node(ref graph.NodeRef, class graph.Class, focus bool) string {
	id := ref.String()
	if i, ok := d.seen[id]; ok {
		n := &d.d.Nodes[i]
		if class.Positive() {
			n.Class = class
		}
		n.Focus = n.Focus || focus
		return id
	}
	d.seen[id] = len(d.d.Nodes)
	d.d.Nodes = append(d.d.Nodes, DrawNode{ID: id, Label: ref.Kind.String() + "\n" + ref.ID, Kind: ref.Kind, Class: class, Focus: focus})
	return id
}

func (d *drawing) edge(from, to, label string, dashed bool) {
	d.d.Edges = append(d.d.Edges, DrawEdge{From: from, To: to, Label: label, Dashed: dashed})
}

func money(amount float64, currency string) string {
	s := strconv.FormatFloat(amount, 'f', 2, 64)
	if currency != "" {
		s += " " + currency
	}
	return s
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }

// ProfileDrawing draws a profile: the subject, its top linked entities
// (edges labelled with the transactions they share) and its flagged
// neighbours (hop-2 ones hang, dashed, off the entity they were reached
// through).
func ProfileDrawing(p Profile) Drawing {
	d := newDrawing("profile of " + p.Ref.String())
	focus := d.node(p.Ref, p.Risk.Label, true)
	for _, lk := range p.Linked {
		for _, l := range lk.Top {
			d.edge(focus, d.node(l.Ref, "", false), fmt.Sprintf("%d txns", l.Txns), false)
		}
	}
	for _, f := range p.Flagged {
		class := f.Label
		if !class.Positive() {
			class = graph.ClassFraud
			if f.Laundering > f.Fraud {
				class = graph.ClassLaundering
			}
		}
		_, drawn := d.seen[f.Ref.String()]
		id := d.node(f.Ref, class, false)
		label := fmt.Sprintf("fraud %d, laundering %d", f.Fraud, f.Laundering)
		switch {
		case f.Hops == 1 && !drawn:
			d.edge(focus, id, label, false)
		case f.Hops == 2:
			d.edge(d.node(f.Via, "", false), id, label, true)
		}
	}
	return d.d
}

// PathsDrawing draws money-flow paths as solid edges labelled with amount
// and time, and shared-identifier paths as dashed edges labelled with the
// transaction that links them.
func PathsDrawing(p Paths) Drawing {
	d := newDrawing("paths " + p.From.String() + " → " + p.To.String())
	d.node(p.From, "", true)
	d.node(p.To, "", true)
	drawn := map[string]bool{}
	for _, mp := range p.Money {
		for _, h := range mp.Hops {
			if drawn[h.Txn] {
				continue
			}
			drawn[h.Txn] = true
			d.edge(d.node(h.From, "", false), d.node(h.To, "", false), money(h.Amount, h.Currency)+"\n"+stamp(h.Time)+"\n"+h.Txn, false)
		}
	}
	for _, sp := range p.Shared {
		for i, l := range sp.Links {
			key := sp.Nodes[i].String() + "\x00" + sp.Nodes[i+1].String()
			if drawn[key] {
				continue
			}
			drawn[key] = true
			d.edge(d.node(sp.Nodes[i], "", false), d.node(sp.Nodes[i+1], "", false), l.Txn+"\n"+stamp(l.Time), true)
		}
	}
	return d.d
}

// TimelineDrawing draws a timeline as a chain of events, oldest first.
func TimelineDrawing(t Timeline) Drawing {
	d := Drawing{Title: "timeline of " + t.Ref.String()}
	for i, e := range t.Events {
		n := DrawNode{ID: strconv.Itoa(i), Kind: graph.KindTransaction}
		switch e.Kind {
		case EventTxn:
			n.Label = fmt.Sprintf("%s\n%s %s\n%s", stamp(e.Time), e.Txn.ID, e.Txn.Role, money(e.Txn.Amount, e.Txn.Currency))
			n.Class = e.Txn.Label
		case EventLabel:
			n.Label = fmt.Sprintf("%s\nlabel %s\non %s", stamp(e.Time), e.Label.Class, e.Label.Target)
			n.Class, n.Kind = e.Label.Class, 0
		case EventAlert:
			n.Label = fmt.Sprintf("%s\nalert %s (%s)\n%s", stamp(e.Time), e.Alert.Typology, e.Alert.Severity, e.Alert.Detail)
			n.Class, n.Kind, n.Focus = graph.ClassLaundering, 0, true
		}
		d.Nodes = append(d.Nodes, n)
		if i > 0 {
			d.Edges = append(d.Edges, DrawEdge{From: strconv.Itoa(i - 1), To: n.ID})
		}
	}
	return d
}
