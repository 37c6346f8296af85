package investigate_test

import (
	"context"
	"testing"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/investigate"
	"github.com/riskgraph/riskgraph/synth"
)

// synthGraph loads 2,000 customers × 14 days of synthetic traffic
// (about 24,000 transactions) and returns the store and the account at
// the start of the first laundering cycle.
func synthGraph(b *testing.B) (*mem.Store, graph.NodeRef, graph.NodeRef) {
	b.Helper()
	ctx := context.Background()
	s := mem.New()
	b.Cleanup(func() { s.Close() })
	var batch []graph.Mutation
	var cycle, hub graph.NodeRef
	fanIn := map[string]int{}
	_, err := synth.Generate(ctx, synth.Config{Seed: 7, Users: 2000, Days: 14}, func(t *graph.Transaction) error {
		c := *t
		batch = append(batch, graph.Mutation{Seq: uint64(len(batch) + 1), Txn: &c})
		switch t.Attrs["pattern"] {
		case "aml_cycle":
			if cycle.ID == "" {
				cycle = graph.Ref(graph.KindAccount, t.Account)
			}
		case "aml_fan_in":
			fanIn[t.Counterparty]++
			if fanIn[t.Counterparty] > fanIn[hub.ID] {
				hub = graph.Ref(graph.KindAccount, t.Counterparty)
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Apply(ctx, batch...); err != nil {
		b.Fatal(err)
	}
	if cycle.ID == "" || hub.ID == "" {
		b.Fatal("the synthetic data has no laundering cycle or fan-in")
	}
	return s, cycle, hub
}

func BenchmarkProfile(b *testing.B) {
	s, _, hub := synthGraph(b)
	inv, err := investigate.New(s, nil, investigate.Config{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := inv.Profile(ctx, hub)
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Flagged) == 0 {
			b.Fatal("a fan-in hub with no flagged neighbours")
		}
	}
}

func BenchmarkPathsCycle(b *testing.B) {
	s, start, _ := synthGraph(b)
	inv, err := investigate.New(s, nil, investigate.Config{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := inv.Paths(ctx, start, start)
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Money) == 0 {
			b.Fatal("no money path around a laundering cycle")
		}
	}
}

func BenchmarkTimeline(b *testing.B) {
	s, _, hub := synthGraph(b)
	inv, err := investigate.New(s, nil, investigate.Config{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := inv.Timeline(ctx, hub, graph.Window{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkQuote(b *testing.B) {
	s := "User:\"Zoë\" \\ paid 1,200.00 EUR\nto Account:a-17 → 北京"
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		investigate.Quote(s)
	}
}
