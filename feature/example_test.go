package feature_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/riskgraph/riskgraph/feature"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
)

func ExampleEncoder_Entity() {
	ctx := context.Background()
	s := mem.New()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, u := range []string{"u1", "u2", "u3"} {
		tx := graph.Transaction{ID: fmt.Sprint("t", i), Time: t0.Add(time.Duration(i) * time.Hour), Amount: 50, User: u, Device: "d1"}
		if _, err := s.Apply(ctx, graph.Mutation{Txn: &tx}); err != nil {
			log.Fatal(err)
		}
	}
	enc, err := feature.NewEncoder(s, feature.Config{}, nil)
	if err != nil {
		log.Fatal(err)
	}
	x := make([]float32, feature.EntityWidth)
	// As of 90 minutes in: two transactions, two users on the device.
	if err := enc.Entity(ctx, x, graph.Ref(graph.KindDevice, "d1"), t0.Add(90*time.Minute)); err != nil {
		log.Fatal(err)
	}
	for i, name := range feature.EntityNames() {
		if name == "degree_log" || name == "distinct_users" {
			fmt.Printf("%s %.3f\n", name, x[i])
		}
	}
	// Output:
	// degree_log 1.099
	// distinct_users 1.099
}
