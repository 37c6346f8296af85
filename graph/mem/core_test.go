package mem_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/graphtest"
	"github.com/riskgraph/riskgraph/graph/mem"
)

// TransactionCore is Transaction without attributes, plus Node's label
// time, and allocates nothing.
func TestTransactionCore(t *testing.T) {
	ctx := context.Background()
	s := mem.New()
	txns := graphtest.RandomTxns(4, 300)
	applyAll(t, s, txns, 1)
	known := graphtest.T0.Add(48 * time.Hour)
	if _, err := s.Apply(ctx, graph.Mutation{Label: &graph.Label{Txn: txns[7].ID, Class: graph.ClassFraud, Time: known}}); err != nil {
		t.Fatal(err)
	}
	var got graph.Transaction
	for _, tx := range txns {
		lt, err := s.TransactionCore(ctx, tx.ID, &got)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := s.Transaction(ctx, tx.ID)
		want.Attrs = nil
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("TransactionCore(%s) (-Transaction +core):\n%s", tx.ID, diff)
		}
		n, _ := s.Node(ctx, graph.Ref(graph.KindTransaction, tx.ID))
		if !lt.Equal(n.LabelTime) {
			t.Errorf("%s: label time %v, Node says %v", tx.ID, lt, n.LabelTime)
		}
	}
	if _, err := s.TransactionCore(ctx, "missing", &got); err == nil {
		t.Error("TransactionCore(missing) succeeded")
	}
	if a := testing.AllocsPerRun(100, func() { s.TransactionCore(ctx, txns[9].ID, &got) }); a != 0 {
		t.Errorf("TransactionCore allocates %v times per call, want 0", a)
	}
}

// CountNeighbors agrees with len(Neighbors) on random queries.
func TestCountNeighbors(t *testing.T) {
	ctx := context.Background()
	s := mem.New()
	txns := graphtest.RandomTxns(6, 1500)
	applyAll(t, s, txns, 1)
	refs := []graph.NodeRef{graph.Ref(graph.KindUser, "u3"), graph.Ref(graph.KindAccount, "a7"),
		graph.Ref(graph.KindMerchant, "m2"), graph.Ref(graph.KindTransaction, txns[10].ID)}
	for _, ref := range refs {
		for _, q := range []graph.Query{
			{}, {Limit: 7}, {Edge: graph.EdgeTo}, {Edge: graph.EdgeFrom, Limit: 3},
			{Window: graph.Before(graphtest.T0.Add(90 * time.Minute))},
			{Window: graph.Window{From: graphtest.T0.Add(30 * time.Minute), To: graphtest.T0.Add(100 * time.Minute)}, Limit: 40},
		} {
			nb, err := s.Neighbors(ctx, ref, q, nil)
			if err != nil {
				t.Fatal(err)
			}
			n, err := s.CountNeighbors(ctx, ref, q)
			if err != nil || n != len(nb) {
				t.Errorf("CountNeighbors(%v, %+v) = %d, %v; Neighbors gave %d", ref, q, n, err, len(nb))
			}
		}
	}
}

// RecentCores lists the transactions Neighbors lists (same order, same
// limit), with their times, amounts, labels and entity keys.
func TestRecentCores(t *testing.T) {
	ctx := context.Background()
	s := mem.New()
	txns := graphtest.RandomTxns(5, 400)
	applyAll(t, s, txns, 1)
	known := graphtest.T0.Add(24 * time.Hour)
	if _, err := s.Apply(ctx, graph.Mutation{Label: &graph.Label{Txn: txns[11].ID, Class: graph.ClassFraud, Time: known}}); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, tx := range txns[:60] {
		for _, e := range graph.EdgeKinds() {
			id := tx.Entity(e)
			if id == "" {
				continue
			}
			ref := graph.Ref(e.Target(), id)
			for _, limit := range []int{1, 7, 0} {
				before := tx.Time.Add(time.Hour)
				nb, err := s.Neighbors(ctx, ref, graph.Query{Window: graph.Before(before), Limit: limit}, nil)
				if err != nil {
					t.Fatal(err)
				}
				var got []graph.TxnCore
				self, err := s.RecentCores(ctx, ref, before, limit, func(c *graph.TxnCore) { got = append(got, *c) })
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(nb) {
					t.Fatalf("%v limit %d: %d cores, Neighbors lists %d", ref, limit, len(got), len(nb))
				}
				for i, n := range nb {
					want, _ := s.Transaction(ctx, n.Node.ID)
					c := got[i]
					if c.Time != want.Time.UnixNano() || c.Amount != want.Amount || c.Label != want.Label {
						t.Fatalf("%v #%d: core %+v, transaction %+v", ref, i, c, want)
					}
					node, _ := s.Node(ctx, n.Node)
					if !node.LabelTime.IsZero() && c.LabelTime != node.LabelTime.UnixNano() {
						t.Errorf("%v #%d: label time %d, Node says %v", ref, i, c.LabelTime, node.LabelTime)
					}
					// The entity's own key appears on the edges that reach it.
					if c.Entities[e-1] != self && want.Entity(e) == id {
						t.Errorf("%v #%d: key on %v is %d, want self %d", ref, i, e, c.Entities[e-1], self)
					}
					for k := range c.Entities {
						if (c.Entities[k] == 0) != (want.Entity(graph.EdgeKind(k+1)) == "") {
							t.Errorf("%v #%d: key on edge %d is %d but the entity is %q", ref, i, k+1, c.Entities[k], want.Entity(graph.EdgeKind(k+1)))
						}
					}
				}
				checked++
			}
		}
	}
	if checked < 100 {
		t.Fatalf("only %d queries checked", checked)
	}
	if _, err := s.RecentCores(ctx, graph.Ref(graph.KindUser, "nobody"), graphtest.T0, 5, func(*graph.TxnCore) {}); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("unknown entity: %v, want ErrNotFound", err)
	}
	if _, err := s.RecentCores(ctx, graph.Ref(graph.KindTransaction, txns[0].ID), graphtest.T0, 5, func(*graph.TxnCore) {}); !errors.Is(err, graph.ErrInvalid) {
		t.Errorf("transaction ref: %v, want ErrInvalid", err)
	}
}
