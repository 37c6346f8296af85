package sampling_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/sampling"
)

func ExampleSampler_Sample() {
	ctx := context.Background()
	s := mem.New()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 4 {
		tx := graph.Transaction{ID: fmt.Sprint("t", i), Time: t0.Add(time.Duration(i) * time.Hour), Amount: 20, User: "u1", Device: "d1", Merchant: "m1"}
		if _, err := s.Apply(ctx, graph.Mutation{Txn: &tx}); err != nil {
			log.Fatal(err)
		}
	}
	sm, err := sampling.New(s, sampling.Config{Target: graph.KindTransaction, K2: 5})
	if err != nil {
		log.Fatal(err)
	}
	var b sampling.Batch
	if err := sm.Sample(ctx, []sampling.Target{{Ref: graph.Ref(graph.KindTransaction, "t3")}}, &b); err != nil {
		log.Fatal(err)
	}
	r1, _ := sm.Config().RelationNames()
	fmt.Println("X0", b.B, b.F0, "X1", b.R1, b.B, b.K1, b.F1, "X2", b.R1, b.B, b.K1, b.R2, b.K2, b.F2)
	fmt.Println(r1[0], b.Hop1[0].ID, "→", b.Hop2[0].ID, b.Hop2[1].ID, b.Hop2[2].ID, b.M2[:5])
	// Output:
	// X0 1 43 X1 9 1 1 32 X2 9 1 1 1 5 43
	// BY u1 → t2 t1 t0 [1 1 1 0 0]
}
