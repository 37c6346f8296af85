package investigate_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/investigate"
)

// txnIDs flattens money paths to their transaction ids.
func txnIDs(ps []investigate.MoneyPath) []string {
	var out []string
	for _, p := range ps {
		var ids []string
		for _, h := range p.Hops {
			ids = append(ids, h.Txn)
		}
		out = append(out, strings.Join(ids, ">"))
	}
	return out
}

func TestMoneyPaths(t *testing.T) {
	tests := []struct {
		name     string
		from, to graph.NodeRef
		cfg      investigate.Config
		want     []string
		cut      bool
	}{
		// x4 (a2→a4 at 00:30) is before the money arrived in a2 (x1 at
		// 01:00), so a1→a2→a4 can only go through x5.
		{"shortest first, time-respecting", acc("a1"), acc("a4"), investigate.Config{}, []string{"x6", "x1>x5", "x1>x2>x3"}, false},
		{"cycles back to the start", acc("a1"), acc("a1"), investigate.Config{}, []string{"x6>x7", "x1>x5>x7", "x1>x2>x3>x7"}, false},
		{"depth bound", acc("a1"), acc("a4"), investigate.Config{MaxDepth: 2}, []string{"x6", "x1>x5"}, false},
		{"count bound", acc("a1"), acc("a4"), investigate.Config{MaxPaths: 2}, []string{"x6", "x1>x5"}, true},
		{"no way back in time", acc("a3"), acc("a2"), investigate.Config{}, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := newInvestigator(t, tc.cfg)
			p, err := inv.Paths(context.Background(), tc.from, tc.to)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, txnIDs(p.Money)); diff != "" {
				t.Errorf("money paths (-want +got):\n%s", diff)
			}
			if p.Truncated != tc.cut {
				t.Errorf("Truncated = %v, want %v", p.Truncated, tc.cut)
			}
			for _, mp := range p.Money {
				for i := 1; i < len(mp.Hops); i++ {
					if !mp.Hops[i].Time.After(mp.Hops[i-1].Time) || mp.Hops[i].From != mp.Hops[i-1].To {
						t.Errorf("path %v is not a time-respecting chain at hop %d", txnIDs([]investigate.MoneyPath{mp}), i)
					}
				}
			}
		})
	}
}

func TestMoneyPathHops(t *testing.T) {
	inv := newInvestigator(t, investigate.Config{})
	p, err := inv.Paths(context.Background(), acc("a1"), acc("a4"))
	if err != nil {
		t.Fatal(err)
	}
	want := investigate.MoneyPath{Hops: []investigate.Transfer{
		{Txn: "x1", From: acc("a1"), To: acc("a2"), Time: at(time.Hour), Amount: 1000, Currency: "EUR"},
		{Txn: "x5", From: acc("a2"), To: acc("a4"), Time: at(5 * time.Hour), Amount: 500, Currency: "EUR"},
	}}
	if diff := cmp.Diff(want, p.Money[1]); diff != "" {
		t.Errorf("second path (-want +got):\n%s", diff)
	}
	if d := p.Money[1].Duration(); d != 4*time.Hour {
		t.Errorf("duration %v, want 4h", d)
	}
}

func TestSharedPaths(t *testing.T) {
	inv := newInvestigator(t, investigate.Config{})
	p, err := inv.Paths(context.Background(), user("u1"), user("u6"))
	if err != nil {
		t.Fatal(err)
	}
	// The merchant m1 joins u5 and u6 too, but a merchant is not a
	// shared identifier: the path goes through the phone.
	want := []investigate.SharedPath{{
		Nodes: []graph.NodeRef{user("u1"), graph.Ref(graph.KindDevice, "d1"), graph.Ref(graph.KindPhone, "ph1"), user("u6")},
		Links: []investigate.Link{{Txn: "x1", Time: at(time.Hour)}, {Txn: "x8", Time: at(24 * time.Hour)}, {Txn: "x9", Time: at(25 * time.Hour)}},
	}}
	if diff := cmp.Diff(want, p.Shared); diff != "" {
		t.Errorf("shared paths (-want +got):\n%s", diff)
	}
	if len(p.Money) != 0 {
		t.Errorf("money paths between users: %v", p.Money)
	}

	// a4 only ever received or paid without an identifier: receiving is
	// not sharing, so a1 and a4 share nothing.
	p, err = inv.Paths(context.Background(), acc("a1"), acc("a4"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Shared) != 0 {
		t.Errorf("a1–a4 shared paths = %+v, want none", p.Shared)
	}

	// Too shallow to reach.
	inv = newInvestigator(t, investigate.Config{MaxDepth: 2})
	if p, _ = inv.Paths(context.Background(), user("u1"), user("u6")); len(p.Shared) != 0 {
		t.Errorf("with MaxDepth 2 found %+v", p.Shared)
	}
}

func TestPathsErrors(t *testing.T) {
	inv := newInvestigator(t, investigate.Config{})
	ctx := context.Background()
	if _, err := inv.Paths(ctx, acc("a1"), acc("nope")); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("unknown account: %v", err)
	}
	if _, err := inv.Paths(ctx, acc("a1"), graph.Ref(graph.KindTransaction, "x1")); !errors.Is(err, investigate.ErrInvalid) {
		t.Errorf("transaction end: %v", err)
	}
}
