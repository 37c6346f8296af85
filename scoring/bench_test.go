package scoring_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/gnn"
	"github.com/riskgraph/riskgraph/gnn/defaultmodel"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/rules"
	"github.com/riskgraph/riskgraph/scoring"
	"github.com/riskgraph/riskgraph/synth"
)

// BenchmarkAuthorize measures the whole in-process decision (validate,
// velocity facts, sampling and features, micro-batched GNN, rules) over a
// month of traffic for 5,000 customers, from GOMAXPROCS×8 concurrent
// callers as the NATS service runs it. The log append is left out
// (ingest/stream's BenchmarkGroupAppend measures it); ns/op is CPU cost per
// authorization at saturation.
func BenchmarkAuthorize(b *testing.B) {
	ctx := context.Background()
	g := mem.New()
	tok, _ := ingest.NewTokenizer(make([]byte, 32))
	var traffic []graph.Transaction
	if _, err := synth.Generate(ctx, synth.Config{Seed: 7, Users: 5000, Days: 30}, func(tx *graph.Transaction) error {
		c := *tx
		c.Card = tok.Card(c.Card)
		traffic = append(traffic, c)
		_, err := g.Apply(ctx, graph.Mutation{Txn: &c})
		return err
	}); err != nil {
		b.Fatal(err)
	}
	set, err := rules.Default()
	if err != nil {
		b.Fatal(err)
	}
	batcher, err := scoring.NewBatcher(nil, scoring.BatcherConfig{})
	if err != nil {
		b.Fatal(err)
	}
	defer batcher.Close()
	s, err := scoring.NewScorer(g, scoring.Fixed{Set: set}, batcher, scoring.ScorerConfig{Deadline: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	a, err := defaultmodel.Load()
	if err != nil {
		b.Fatal(err)
	}
	m, err := gnn.New(a.Manifest, a.Tensors)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.SetModel(m, a.Manifest); err != nil {
		b.Fatal(err)
	}
	// Requests replay the last day's transactions as new ones.
	recent := traffic[len(traffic)-len(traffic)/30:]
	var next, degraded atomic.Int64
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			tx := recent[int(i)%len(recent)]
			tx.ID = "bench-" + strconv.FormatInt(i, 10)
			tx.Label = ""
			d, err := s.Authorize(ctx, &tx)
			if err != nil {
				b.Error(err)
				return
			}
			if d.Degraded {
				degraded.Add(1)
			}
		}
	})
	b.ReportMetric(float64(degraded.Load())/float64(b.N), "degraded/op")
}
