package sampling_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/sampling"
	"github.com/riskgraph/riskgraph/synth"
)

// row is everything a Batch holds about one target.
type row struct {
	Target     graph.NodeRef
	X0, X1, X2 []float32
	M1, M2     []float32
	Hop1, Hop2 []graph.NodeRef
}

func rowOf(b *sampling.Batch, i int) row {
	r := row{Target: b.Targets[i], X0: b.X0[i*b.F0 : (i+1)*b.F0]}
	for rel := 0; rel < b.R1; rel++ {
		lo := (rel*b.B + i) * b.K1
		hi := lo + b.K1
		r.M1 = append(r.M1, b.M1[lo:hi]...)
		r.Hop1 = append(r.Hop1, b.Hop1[lo:hi]...)
		r.X1 = append(r.X1, b.X1[lo*b.F1:hi*b.F1]...)
		w := b.R2 * b.K2
		r.M2 = append(r.M2, b.M2[lo*w:hi*w]...)
		r.Hop2 = append(r.Hop2, b.Hop2[lo*w:hi*w]...)
		r.X2 = append(r.X2, b.X2[lo*w*b.F2:hi*w*b.F2]...)
	}
	return r
}

var small struct {
	once sync.Once
	s    *mem.Store
	txns []string // every 50th transaction id of the last week
	accs []string
	end  graph.Transaction
	err  error
}

// smallGraph is a synth graph of 1,000 users over 21 days (~18,000 rows).
func smallGraph(t testing.TB) {
	small.once.Do(func() {
		ctx := context.Background()
		small.s = mem.New()
		n := 0
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // synth's default
		_, small.err = synth.Generate(ctx, synth.Config{Seed: 3, Users: 1000, Days: 21}, func(tx *graph.Transaction) error {
			n++
			if tx.Time.Sub(start) >= 14*24*time.Hour {
				if n%50 == 0 {
					small.txns = append(small.txns, tx.ID)
				}
				if tx.Account != "" && n%7 == 0 && len(small.accs) < 40 {
					small.accs = append(small.accs, tx.Account)
				}
			}
			small.end = *tx
			_, err := small.s.Apply(ctx, graph.Mutation{Txn: tx})
			return err
		})
	})
	if small.err != nil {
		t.Fatal(small.err)
	}
}

func TestDeterminism(t *testing.T) {
	smallGraph(t)
	asOf := small.end.Time
	tests := []struct {
		name    string
		cfg     sampling.Config
		targets []sampling.Target
	}{
		{"transaction", sampling.Config{Target: graph.KindTransaction}, nil},
		{"account recent", sampling.Config{Target: graph.KindAccount, K1: 8}, nil},
		{"account uniform", sampling.Config{Target: graph.KindAccount, K1: 4, Hop1: sampling.Hop1Uniform, Seed: 11}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var targets []sampling.Target
			if tc.cfg.Target == graph.KindTransaction {
				for _, id := range small.txns[:min(30, len(small.txns))] {
					targets = append(targets, txnTarget(id))
				}
			} else {
				for _, id := range small.accs[:min(30, len(small.accs))] {
					targets = append(targets, sampling.Target{Ref: graph.Ref(graph.KindAccount, id), At: asOf})
				}
			}
			if len(targets) < 10 {
				t.Fatalf("only %d targets", len(targets))
			}
			a := sample(t, newSampler(t, small.s, tc.cfg), targets...)
			// The same sampler again, reusing a dirty batch.
			sm := newSampler(t, small.s, tc.cfg)
			b := sample(t, sm, targets[3:5]...)
			if err := sm.Sample(context.Background(), targets, b); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(a, b); diff != "" {
				t.Fatalf("same seed, same graph, different batch:\n%s", diff)
			}
			// Another composition: reversed, a subset, duplicates.
			var other []sampling.Target
			var pos []int
			for i := len(targets) - 1; i >= 0; i -= 2 {
				other = append(other, targets[i], targets[i])
				pos = append(pos, i, i)
			}
			c := sample(t, sm, other...)
			for j, i := range pos {
				if diff := cmp.Diff(rowOf(a, i), rowOf(c, j)); diff != "" {
					t.Fatalf("target %d differs in another batch:\n%s", i, diff)
				}
			}
			present := 0
			for _, m := range a.M2 {
				present += int(m)
			}
			if present == 0 {
				t.Error("no hop-2 neighbours at all: the test is vacuous")
			}
		})
	}
}
