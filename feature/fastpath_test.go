package feature_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/feature"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/synth"
)

// plain exposes only the Graph methods, hiding graph/mem's fast paths
// (TransactionCore, CountNeighbors).
type plain struct{ g feature.Graph }

func (p plain) Node(ctx context.Context, r graph.NodeRef) (graph.Node, error) {
	return p.g.Node(ctx, r)
}
func (p plain) Transaction(ctx context.Context, id string) (graph.Transaction, error) {
	return p.g.Transaction(ctx, id)
}
func (p plain) Neighbors(ctx context.Context, r graph.NodeRef, q graph.Query, dst []graph.Neighbor) ([]graph.Neighbor, error) {
	return p.g.Neighbors(ctx, r, q, dst)
}

// The fast paths are an optimisation only: every entity vector is the
// same, bit for bit, with and without them — including busy merchants
// whose counts hit DegreeCap and labels known at different times.
func TestFastPathsChangeNothing(t *testing.T) {
	ctx := context.Background()
	s := mem.New()
	tok, _ := ingest.NewTokenizer(make([]byte, 32))
	var last time.Time
	var refs []graph.NodeRef
	_, err := synth.Generate(ctx, synth.Config{Seed: 9, Users: 300, Days: 14}, func(tx *graph.Transaction) error {
		c := *tx
		c.Card = tok.Card(c.Card)
		last = c.Time
		if len(refs) < 400 {
			for _, e := range graph.EdgeKinds() {
				if id := c.Entity(e); id != "" {
					refs = append(refs, graph.Ref(e.Target(), id))
				}
			}
		}
		_, err := s.Apply(ctx, graph.Mutation{Txn: &c})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// A chargeback known mid-period, so label timing matters.
	s.Apply(ctx, graph.Mutation{Label: &graph.Label{Txn: "t00000100", Class: graph.ClassFraud, Time: last.Add(-72 * time.Hour)}})
	cfg := feature.Config{DegreeCap: 64}.WithDefaults()
	fast, _ := feature.NewEncoder(s, cfg, nil)
	slow, _ := feature.NewEncoder(plain{s}, cfg, nil)
	a, b := make([]float32, feature.EntityWidth), make([]float32, feature.EntityWidth)
	checked := 0
	for i, ref := range refs {
		for _, when := range []time.Time{last, last.Add(-5 * 24 * time.Hour), last.Add(-time.Duration(i%200) * time.Hour)} {
			if err := fast.Entity(ctx, a, ref, when); err != nil {
				t.Fatal(err)
			}
			if err := slow.Entity(ctx, b, ref, when); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(b, a); diff != "" {
				t.Fatalf("%v at %v: fast path differs (-plain +fast):\n%s", ref, when, diff)
			}
			checked++
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d vectors compared", checked)
	}
}
