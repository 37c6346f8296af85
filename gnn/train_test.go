package gnn_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/riskgraph/riskgraph/gnn"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/sampling"
)

// separable returns batches whose label is 1 iff some present hop-1
// neighbour has feature 0 above 0.8: learnable only through the graph.
func separable(seed uint64, d artefact.Dims, nb, B int) ([]*sampling.Batch, [][]float32) {
	rng := rand.New(rand.NewPCG(seed, 9))
	var bs []*sampling.Batch
	var ls [][]float32
	for range nb {
		b := randBatch(rng, d, B)
		l := make([]float32, B)
		for r := range d.R1 {
			for i := range B {
				for k := range d.K1 {
					s := (r*B+i)*d.K1 + k
					if b.M1[s] == 1 && b.X1[s*d.F1] > 0.8 {
						l[i] = 1
					}
				}
			}
		}
		bs, ls = append(bs, b), append(ls, l)
	}
	return bs, ls
}

func TestTrain(t *testing.T) {
	d := artefact.Dims{F0: 3, F1: 3, F2: 2, R1: 2, R2: 1, K1: 3, K2: 2, H: 8}
	bs, ls := separable(1, d, 4, 64)
	cfg := gnn.TrainConfig{Dims: d, Epochs: 40, LearnRate: 0.03, Seed: 42}
	run := func() (map[string][]float32, gnn.TrainReport) {
		w, rep, err := gnn.Train(context.Background(), cfg, func(int) ([]*sampling.Batch, [][]float32, error) { return bs, ls, nil })
		if err != nil {
			t.Fatal(err)
		}
		return w, rep
	}
	w, rep := run()
	first, last := rep.Loss[0], rep.Loss[len(rep.Loss)-1]
	t.Logf("pos weight %.2f, loss %.4f → %.4f, train AUC %.4f", rep.PosWeight, first, last, rep.TrainAUC)
	if !(last < 0.7*first) {
		t.Errorf("loss %.4f → %.4f: did not fall by 30%%", first, last)
	}
	if !(rep.TrainAUC > 0.9) {
		t.Errorf("train AUC %.4f, want > 0.9", rep.TrainAUC)
	}
	// Held-out rows from the same rule.
	m, err := gnn.New(testManifest(d), w)
	if err != nil {
		t.Fatal(err)
	}
	tb, tl := separable(2, d, 1, 128)
	s, err := m.Score(tb[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("held-out AUC %.4f", gnn.AUC(s, tl[0]))
	// Deterministic for a seed.
	w2, _ := run()
	for name, v := range w {
		for i := range v {
			if math.Float32bits(v[i]) != math.Float32bits(w2[name][i]) {
				t.Fatalf("%s[%d]: %v then %v: training is not deterministic", name, i, v[i], w2[name][i])
			}
		}
	}
}

func TestAUC(t *testing.T) {
	for _, tc := range []struct {
		name           string
		scores, labels []float32
		want           float64
	}{
		{"perfect", []float32{0.1, 0.2, 0.8, 0.9}, []float32{0, 0, 1, 1}, 1},
		{"inverted", []float32{0.9, 0.8, 0.2, 0.1}, []float32{0, 0, 1, 1}, 0},
		{"ties", []float32{0.5, 0.5, 0.5, 0.5}, []float32{0, 1, 0, 1}, 0.5},
		{"mixed", []float32{0.1, 0.4, 0.35, 0.8}, []float32{0, 0, 1, 1}, 0.75},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := gnn.AUC(tc.scores, tc.labels); math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("AUC = %v, want %v", got, tc.want)
			}
		})
	}
	if !math.IsNaN(gnn.AUC([]float32{1, 2}, []float32{1, 1})) {
		t.Error("AUC with one class: want NaN")
	}
}
