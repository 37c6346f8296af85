package mem_test

import (
	"context"
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
