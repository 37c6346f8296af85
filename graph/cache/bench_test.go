package cache_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/cache"
	"github.com/riskgraph/riskgraph/graph/graphtest"
	"github.com/riskgraph/riskgraph/graph/mem"
)

// workload is n transactions one second apart over populations of
// realistic skew: 2,000 users with their own cards and devices, 200
// merchants, 50 IPs shared by many.
func workload(n int) []graph.Transaction {
	r := rand.New(rand.NewPCG(5, 5))
	out := make([]graph.Transaction, n)
	for i := range out {
		u := r.IntN(2000)
		out[i] = graph.Transaction{
			ID: fmt.Sprintf("t%06d", i), Time: graphtest.T0.Add(time.Duration(i) * time.Second), Amount: 10,
			User: fmt.Sprintf("u%d", u), Account: fmt.Sprintf("a%d", u), Card: fmt.Sprintf("c%d", u),
			Device: fmt.Sprintf("d%d", u), IP: fmt.Sprintf("ip%d", r.IntN(50)), Merchant: fmt.Sprintf("m%d", r.IntN(200)),
		}
	}
	return out
}

// scoringQueries are the sampler's hop-2 reads: the 10 most recent
// transactions of each entity of a transaction, strictly before its time.
func scoringQueries(txns []graph.Transaction) (refs []graph.NodeRef, qs []graph.Query) {
	for i := range txns {
		tx := &txns[i]
		for _, e := range graph.EdgeKinds() {
			if id := tx.Entity(e); id != "" {
				refs = append(refs, graph.Ref(e.Target(), id))
				qs = append(qs, graph.Query{Edge: e, Window: graph.Before(tx.Time), Limit: 10})
			}
		}
	}
	return refs, qs
}

func benchNeighbors(b *testing.B, g cache.Graph) {
	ctx := context.Background()
	txns := workload(20000)
	s := mem.New()
	apply(b, s, txns)
	if g == nil {
		g = s
	} else {
		g = newCache(b, s, cache.Config{})
	}
	refs, qs := scoringQueries(txns[len(txns)-500:])
	var dst []graph.Neighbor
	for i := range refs { // warm
		dst, _ = g.Neighbors(ctx, refs[i], qs[i], dst[:0])
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		var err error
		if dst, err = g.Neighbors(ctx, refs[i], qs[i], dst[:0]); err != nil {
			b.Fatal(err)
		}
		if i++; i == len(refs) {
			i = 0
		}
	}
	if c, ok := g.(*cache.Cache); ok {
		st := c.Stats()
		b.ReportMetric(float64(st.Hits)/float64(st.Hits+st.Misses), "hit-ratio")
	}
}

// BenchmarkNeighborsHit is the cache's hit latency on the sampler's query.
func BenchmarkNeighborsHit(b *testing.B) { benchNeighbors(b, &cache.Cache{}) }

// BenchmarkNeighborsEmbedded is the same query on the embedded store, for
// comparison: the cache does not make the embedded store faster; it is for
// stores across a network.
func BenchmarkNeighborsEmbedded(b *testing.B) { benchNeighbors(b, nil) }

func BenchmarkNeighborsHitParallel(b *testing.B) {
	ctx := context.Background()
	txns := workload(20000)
	s := mem.New()
	apply(b, s, txns)
	c := newCache(b, s, cache.Config{})
	refs, qs := scoringQueries(txns[len(txns)-500:])
	for i := range refs {
		c.Neighbors(ctx, refs[i], qs[i], nil)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var dst []graph.Neighbor
		i := 0
		for pb.Next() {
			dst, _ = c.Neighbors(ctx, refs[i], qs[i], dst[:0])
			if i++; i == len(refs) {
				i = 0
			}
		}
	})
}
