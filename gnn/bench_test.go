package gnn_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/riskgraph/riskgraph/gnn"
)

// BenchmarkScore scores txnDims batches with each engine; ns/op and
// allocs/op are per batch, "ns/req" per request.
func BenchmarkScore(b *testing.B) {
	for _, e := range []gnn.Engine{gnn.EngineNative, gnn.EngineGorgonia} {
		b.Run("engine="+e.String(), func(b *testing.B) { benchScore(b, e) })
	}
}

func benchScore(b *testing.B, e gnn.Engine) {
	m := newTestModel(b, txnDims, 1, gnn.WithEngine(e))
	for _, B := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("batch=%d", B), func(b *testing.B) {
			batch := randBatch(rand.New(rand.NewPCG(1, 2)), txnDims, B)
			out := make([]float32, B)
			if _, err := m.Score(batch, out); err != nil { // compile the bucket
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := m.Score(batch, out); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*B), "ns/req")
		})
	}
}
