package typology_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/typology"
)

// An Engine warmed from the graph continues the open patterns: the rest
// of a fan-in arriving after a restart completes it, as it would have in
// an Engine that saw everything.
func TestWarmContinuesOpenPatterns(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	txn := func(i int) *graph.Transaction {
		return &graph.Transaction{ID: fmt.Sprintf("w%d", i), Time: t0.Add(time.Duration(i) * time.Minute), Amount: 900,
			Account: fmt.Sprintf("s%d", i), Counterparty: "hub"}
	}
	whole, _ := typology.NewEngine(typology.Config{})
	var want []typology.Alert
	for i := range 40 {
		want = append(want, whole.Observe(txn(i))...)
	}
	if len(want) == 0 {
		t.Fatal("the fan-in raised nothing")
	}
	// The first 5 transfers are in the graph before the restart.
	g := mem.New()
	for i := range 5 {
		if _, err := g.Apply(ctx, graph.Mutation{Txn: txn(i)}); err != nil {
			t.Fatal(err)
		}
	}
	cold, _ := typology.NewEngine(typology.Config{})
	warm, _ := typology.NewEngine(typology.Config{})
	if _, err := typology.Warm(ctx, g, warm); err != nil {
		t.Fatal(err)
	}
	var gotWarm, gotCold []typology.Alert
	for i := 5; i < 40; i++ {
		gotWarm = append(gotWarm, warm.Observe(txn(i))...)
		gotCold = append(gotCold, cold.Observe(txn(i))...)
	}
	if len(gotWarm) != len(want) || gotWarm[0].ID != want[0].ID || !gotWarm[0].Start.Equal(want[0].Start) {
		t.Errorf("warmed engine raised %d alerts (first %+v), want %d like the whole run (first %+v)", len(gotWarm), first(gotWarm), len(want), want[0])
	}
	// A cold engine misses the start: its alert (if any) is another one.
	if len(gotCold) > 0 && gotCold[0].ID == want[0].ID && gotCold[0].Start.Equal(want[0].Start) {
		t.Errorf("a cold engine saw the whole pattern too: the test proves nothing")
	}
}

func first(a []typology.Alert) any {
	if len(a) == 0 {
		return nil
	}
	return a[0]
}

// Replay over a whole history gives as-of counts: a node's hits before a
// pattern completed are 0, after it 1 — what a model trained on the
// history sees at each example's time.
func TestReplayGivesAsOfHits(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	g := mem.New()
	for i := range 40 {
		tx := &graph.Transaction{ID: fmt.Sprintf("r%d", i), Time: t0.Add(time.Duration(i) * time.Minute), Amount: 900,
			Account: fmt.Sprintf("s%d", i), Counterparty: "hub"}
		if _, err := g.Apply(ctx, graph.Mutation{Txn: tx}); err != nil {
			t.Fatal(err)
		}
	}
	e, _ := typology.NewEngine(typology.Config{})
	alerts, err := typology.Replay(ctx, g, e)
	if err != nil || len(alerts) == 0 {
		t.Fatalf("Replay = %d alerts, %v; want the fan-in", len(alerts), err)
	}
	hub := graph.Ref(graph.KindAccount, "hub")
	if h := e.Hits(hub, t0); h != 0 {
		t.Errorf("hits before the pattern: %d, want 0", h)
	}
	if h := e.HitsByTypology(hub, t0.Add(time.Hour), nil); h[typology.FanIn] == 0 {
		t.Errorf("hits after the pattern: %v, want fan_in", h)
	}
}
