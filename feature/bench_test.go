package feature_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/feature"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/synth"
)

var benchGraph struct {
	once sync.Once
	s    *mem.Store
	txns []graph.Transaction // every 97th row of the last week
	err  error
}

// loadBench builds a synth graph of 4,000 users over 30 days (~100,000
// rows) once per process.
func loadBench(b *testing.B) {
	benchGraph.once.Do(func() {
		ctx := context.Background()
		benchGraph.s = mem.New()
		cut := time.Date(2026, 1, 24, 0, 0, 0, 0, time.UTC)
		n := 0
		_, benchGraph.err = synth.Generate(ctx, synth.Config{Seed: 5, Users: 4000, Days: 30}, func(tx *graph.Transaction) error {
			if n++; n%97 == 0 && tx.Time.After(cut) {
				benchGraph.txns = append(benchGraph.txns, *tx)
			}
			_, err := benchGraph.s.Apply(ctx, graph.Mutation{Txn: tx})
			return err
		})
	})
	if benchGraph.err != nil {
		b.Fatal(benchGraph.err)
	}
}

func BenchmarkEncodeTransaction(b *testing.B) {
	loadBench(b)
	x := make([]float32, feature.TxnWidth)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		feature.EncodeTransaction(x, &benchGraph.txns[i%len(benchGraph.txns)])
	}
}

// BenchmarkEntity encodes the 9 entities of one transaction as of its time
// (the hop-1 vectors of a Transaction target), with a cold cache.
func BenchmarkEntity(b *testing.B) {
	loadBench(b)
	ctx := context.Background()
	enc, err := feature.NewEncoder(benchGraph.s, feature.Config{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	x := make([]float32, feature.EntityWidth)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		tx := &benchGraph.txns[i%len(benchGraph.txns)]
		enc.Reset()
		for _, e := range graph.EdgeKinds() {
			if id := tx.Entity(e); id != "" {
				if err := enc.Entity(ctx, x, graph.Ref(e.Target(), id), tx.Time); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}
