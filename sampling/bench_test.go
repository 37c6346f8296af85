package sampling_test

import (
	"context"
	"flag"
	"sync"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/sampling"
	"github.com/riskgraph/riskgraph/synth"
)

var benchUsers = flag.Int("sampling.users", 40_000, "synth users (× 30 days) of the benchmark graph: 40,000 ≈ 1M transactions")

var big struct {
	once sync.Once
	s    *mem.Store
	rows int
	txns []string // targets: every 101st transaction of the last 3 days
	accs []string
	asOf time.Time
	err  error
}

// bigGraph builds the benchmark graph once per process.
func bigGraph(b *testing.B) {
	big.once.Do(func() {
		ctx := context.Background()
		cfg := synth.Config{Seed: 1, Users: *benchUsers, Days: 30}
		cut := time.Date(2026, 1, 28, 0, 0, 0, 0, time.UTC) // synth starts on 2026-01-01
		big.s = mem.New()
		batch := make([]graph.Transaction, 0, 1024)
		muts := make([]graph.Mutation, 0, 1024)
		flush := func() error {
			muts = muts[:0]
			for i := range batch {
				muts = append(muts, graph.Mutation{Txn: &batch[i]})
			}
			_, err := big.s.Apply(ctx, muts...)
			batch = batch[:0]
			return err
		}
		_, big.err = synth.Generate(ctx, cfg, func(tx *graph.Transaction) error {
			big.rows++
			if tx.Time.After(cut) && big.rows%101 == 0 {
				big.txns = append(big.txns, tx.ID)
				if tx.Account != "" {
					big.accs = append(big.accs, tx.Account)
				}
			}
			big.asOf = tx.Time
			if batch = append(batch, *tx); len(batch) == cap(batch) {
				return flush()
			}
			return nil
		})
		if big.err == nil {
			big.err = flush()
		}
	})
	if big.err != nil {
		b.Fatal(big.err)
	}
}

func benchSample(b *testing.B, cfg sampling.Config, structureOnly bool) {
	benchSampleWith(b, cfg, structureOnly, false)
}

// benchSampleWith: with supplied, Transaction targets carry their content
// (Target.Txn), as in serving, where the transaction being authorised is
// in hand and not read back from the store.
func benchSampleWith(b *testing.B, cfg sampling.Config, structureOnly, supplied bool) {
	bigGraph(b)
	ctx := context.Background()
	sm, err := sampling.New(big.s, cfg)
	if err != nil {
		b.Fatal(err)
	}
	var targets []sampling.Target
	if cfg.Target == graph.KindTransaction {
		for _, id := range big.txns {
			tg := sampling.Target{Ref: graph.Ref(graph.KindTransaction, id)}
			if supplied {
				tx, err := big.s.Transaction(ctx, id)
				if err != nil {
					b.Fatal(err)
				}
				tg.Txn = &tx
			}
			targets = append(targets, tg)
		}
	} else {
		for _, id := range big.accs {
			targets = append(targets, sampling.Target{Ref: graph.Ref(graph.KindAccount, id), At: big.asOf})
		}
	}
	var batch sampling.Batch
	one := make([]sampling.Target, 1)
	edges := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		one[0] = targets[i%len(targets)]
		if structureOnly {
			err = sm.Structure(ctx, one, &batch)
		} else {
			err = sm.Sample(ctx, one, &batch)
		}
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range batch.M2 {
			edges += int(m)
		}
	}
	b.ReportMetric(float64(edges)/float64(b.N), "hop2/op")
	b.ReportMetric(float64(big.rows), "graph-txns")
}

// BenchmarkSampleTransaction: structure and features of one Transaction
// target (9 entities × up to 10 hop-2 transactions) on a ~1M-row graph.
func BenchmarkSampleTransaction(b *testing.B) {
	benchSample(b, sampling.Config{Target: graph.KindTransaction}, false)
}

// BenchmarkStructureTransaction: the same without the feature encoders.
func BenchmarkStructureTransaction(b *testing.B) {
	benchSample(b, sampling.Config{Target: graph.KindTransaction}, true)
}

// BenchmarkStructureTransactionServing: sampling only, the transaction
// supplied by the caller (the authorization path).
func BenchmarkStructureTransactionServing(b *testing.B) {
	benchSampleWith(b, sampling.Config{Target: graph.KindTransaction}, true, true)
}

// BenchmarkSampleTransactionServing: structure and features, the
// transaction supplied by the caller.
func BenchmarkSampleTransactionServing(b *testing.B) {
	benchSampleWith(b, sampling.Config{Target: graph.KindTransaction}, false, true)
}

func BenchmarkSampleAccount(b *testing.B) {
	benchSample(b, sampling.Config{Target: graph.KindAccount}, false)
}

func BenchmarkStructureAccount(b *testing.B) {
	benchSample(b, sampling.Config{Target: graph.KindAccount}, true)
}
