package gnn_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkScore scores txnDims batches; ns/op and allocs/op are per
// batch, "ns/req" per request (target ≤ 150 µs at 1, ≤ 40 µs at 64).
func BenchmarkScore(b *testing.B) {
	m := newTestModel(b, txnDims, 1)
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
