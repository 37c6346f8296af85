package gnn_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/riskgraph/riskgraph/gnn"
	"github.com/riskgraph/riskgraph/graph"
)

func TestExplain(t *testing.T) {
	for _, tc := range []struct {
		name string
		hop2 bool
	}{{"hop1", false}, {"hop1+hop2", true}} {
		t.Run(tc.name, func(t *testing.T) {
			d := acctDims
			m := newTestModel(t, d, 5, gnn.WithHop2Occlusion(tc.hop2), gnn.WithBuckets(1, 8, 32))
			b := randBatch(rand.New(rand.NewPCG(5, 5)), d, 4)
			for i := range b.B {
				b.Targets = append(b.Targets, graph.Ref(graph.KindAccount, fmt.Sprint("a", i)))
			}
			for i := range b.M1 {
				b.Hop1 = append(b.Hop1, graph.Ref(graph.KindTransaction, fmt.Sprint("t", i)))
			}
			const i = 2
			ex, err := m.Explain(b, i)
			if err != nil {
				t.Fatal(err)
			}
			alone, _ := m.Score(rows(b, i), nil)
			// Explain's sigmoid is float64, Score's float32: 1e-6 apart at most.
			if math.Abs(float64(ex.Score-alone[0])) > 1e-6 || ex.Target != b.Targets[i] {
				t.Errorf("Explain: score %v target %v, want %v %v", ex.Score, ex.Target, alone[0], b.Targets[i])
			}
			want1, want2 := 0, 0
			for r := range d.R1 {
				for k := range d.K1 {
					want1 += int(b.M1[(r*b.B+i)*d.K1+k])
				}
				n2 := d.K1 * d.R2 * d.K2
				for q := range n2 {
					want2 += int(b.M2[(r*b.B+i)*n2+q])
				}
			}
			if !tc.hop2 {
				want2 = 0
			}
			got1, got2 := 0, 0
			for j, nc := range ex.Neighbours {
				if j > 0 && abs(ex.Neighbours[j-1].Delta) < abs(nc.Delta) {
					t.Errorf("neighbours not sorted at %d", j)
				}
				if nc.Hop == 2 {
					got2++
					continue
				}
				got1++
				if nc.Node != b.Hop1[nc.Slot] {
					t.Errorf("hop-1 slot %d: node %v, want %v", nc.Slot, nc.Node, b.Hop1[nc.Slot])
				}
				// The same occlusion, done by hand.
				occ := rows(b, i)
				r, k := nc.Slot/d.K1/b.B, nc.Slot%d.K1
				occ.M1[r*d.K1+k] = 0
				s, _ := m.Score(occ, nil)
				// Deltas are in log-odds; recovering them from float32 scores
				// costs precision, hence the tolerance.
				if got, want := float64(nc.Delta), logOdds(alone[0])-logOdds(s[0]); math.Abs(got-want) > 1e-3*max(1, math.Abs(want)) {
					t.Errorf("hop-1 slot %d (%s): Δ %v, by hand %v", nc.Slot, nc.Relation, got, want)
				}
			}
			if got1 != want1 || got2 != want2 {
				t.Errorf("got %d hop-1 and %d hop-2 contributions, want %d and %d", got1, got2, want1, want2)
			}
			if got, want := len(ex.Features), d.F0+d.F1+d.F2; got != want {
				t.Errorf("%d feature contributions, want %d", got, want)
			}
			for _, f := range ex.Features {
				if f.Group == gnn.FeatureTarget && f.Name != m.Manifest().Features.Target[f.Index].Name {
					t.Errorf("target feature %d named %q", f.Index, f.Name)
				}
			}
		})
	}
	m := newTestModel(t, acctDims, 5)
	if _, err := m.Explain(randBatch(rand.New(rand.NewPCG(1, 1)), acctDims, 2), 2); !errors.Is(err, gnn.ErrBatch) {
		t.Errorf("Explain of row 2 of 2: %v, want ErrBatch", err)
	}
}

func abs(x float32) float32 { return float32(math.Abs(float64(x))) }

func logOdds(p float32) float64 { return math.Log(float64(p) / (1 - float64(p))) }

// BenchmarkExplain explains one transaction (hop-1 neighbours and
// features: about 100 occluded rows).
func BenchmarkExplain(b *testing.B) {
	m := newTestModel(b, txnDims, 1)
	batch := randBatch(rand.New(rand.NewPCG(1, 2)), txnDims, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Explain(batch, 0); err != nil {
			b.Fatal(err)
		}
	}
}
