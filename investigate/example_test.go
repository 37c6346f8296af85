package investigate_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/investigate"
)

// Money moved a1 → a2 → a3; an earlier a2 → a3 transfer cannot be part of
// the chain, because a2 did not have the money yet.
func ExampleInvestigator_Paths() {
	ctx := context.Background()
	s := mem.New()
	defer s.Close()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i, t := range []graph.Transaction{
		{ID: "early", Time: t0, Amount: 10, Account: "a2", Counterparty: "a3"},
		{ID: "in", Time: t0.Add(time.Hour), Amount: 5000, Account: "a1", Counterparty: "a2"},
		{ID: "out", Time: t0.Add(2 * time.Hour), Amount: 4900, Account: "a2", Counterparty: "a3"},
	} {
		s.Apply(ctx, graph.Mutation{Seq: uint64(i + 1), Txn: &t})
	}
	inv, _ := investigate.New(s, nil, investigate.Config{})
	p, _ := inv.Paths(ctx, graph.Ref(graph.KindAccount, "a1"), graph.Ref(graph.KindAccount, "a3"))
	for _, mp := range p.Money {
		for _, h := range mp.Hops {
			fmt.Printf("%s %s → %s %.2f\n", h.Txn, h.From, h.To, h.Amount)
		}
	}
	investigate.WriteDOT(os.Stdout, investigate.Drawing{Title: "a1", Nodes: []investigate.DrawNode{{ID: `say "hi"`}}})
	// Output:
	// in Account:a1 → Account:a2 5000.00
	// out Account:a2 → Account:a3 4900.00
	// digraph "a1" {
	// 	graph [charset="UTF-8", rankdir=LR, labelloc=t, fontname="Helvetica", label="a1"];
	// 	node [fontname="Helvetica", fontsize=10, style=filled];
	// 	edge [fontname="Helvetica", fontsize=9];
	// 	n0 [label="say \"hi\"", tooltip="say \"hi\"", shape=box, fillcolor="#ffffff"];
	// }
}
