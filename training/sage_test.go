package training

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/riskgraph/riskgraph/gnn"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/sampling"
)

// randBatch returns a batch of B rows with random features and masks.
func randBatch(rng *rand.Rand, d artefact.Dims, B int) *sampling.Batch {
	b := &sampling.Batch{B: B, F0: d.F0, F1: d.F1, F2: d.F2, R1: d.R1, R2: d.R2, K1: d.K1, K2: d.K2,
		X0: make([]float32, B*d.F0),
		X1: make([]float32, d.R1*B*d.K1*d.F1), M1: make([]float32, d.R1*B*d.K1),
		X2: make([]float32, d.R1*B*d.K1*d.R2*d.K2*d.F2), M2: make([]float32, d.R1*B*d.K1*d.R2*d.K2)}
	for i := range b.X0 {
		b.X0[i] = float32(rng.NormFloat64())
	}
	for s1 := range b.M1 {
		if rng.IntN(3) == 0 {
			continue
		}
		b.M1[s1] = 1
		for f := range d.F1 {
			b.X1[s1*d.F1+f] = float32(rng.NormFloat64())
		}
		for s := range d.R2 {
			for j := range d.K2 {
				if rng.IntN(2) == 0 {
					continue
				}
				s2 := (s1*d.R2+s)*d.K2 + j
				b.M2[s2] = 1
				for f := range d.F2 {
					b.X2[s2*d.F2+f] = float32(rng.NormFloat64())
				}
			}
		}
	}
	return b
}

func testManifest(d artefact.Dims) artefact.Manifest {
	return artefact.Manifest{FormatVersion: artefact.FormatVersion, Architecture: artefact.ArchHeteroSAGE, Dims: d}
}

var sageDims = []artefact.Dims{
	{F0: 5, F1: 4, F2: 3, R1: 3, R2: 2, K1: 4, K2: 3, H: 8},
	{F0: 7, F1: 6, F2: 7, R1: 9, R2: 1, K1: 1, K2: 10, H: 12},
	{F0: 3, F1: 2, F2: 3, R1: 2, R2: 9, K1: 16, K2: 1, H: 6},
}

// TestForwardParity holds the trainer's forward pass to gnn.Model, the
// serving implementation (itself held to the PyTorch reference): the
// trainer selects epochs with it, so they must agree.
func TestForwardParity(t *testing.T) {
	for _, d := range sageDims {
		rng := rand.New(rand.NewPCG(uint64(d.R1), 5))
		l := newLayout(d)
		p := l.glorot(rng)
		for i := range p {
			p[i] += float32(rng.NormFloat64() * 0.1) // non-zero biases too
		}
		m, err := gnn.New(testManifest(d), l.unpack(p))
		if err != nil {
			t.Fatal(err)
		}
		const B = 37
		b := randBatch(rng, d, B)
		want, err := m.Score(b, nil)
		if err != nil {
			t.Fatal(err)
		}
		recs := l.records(b, nil)
		w := newWork(l, B)
		w.forward(p, recs, B)
		for i := range B {
			got := float32(sigmoid(w.logit[i]))
			// float32 sums in different orders: 1e-5 is what the gnn
			// parity tests allow against PyTorch.
			if math.Abs(float64(got-want[i])) > 1e-5 {
				t.Fatalf("%+v row %d: trainer %v, gnn.Model %v", d, i, got, want[i])
			}
		}
		// pack inverts unpack.
		q := l.pack(l.unpack(p))
		for i := range p {
			if p[i] != q[i] {
				t.Fatalf("pack(unpack(p))[%d] = %v, want %v", i, q[i], p[i])
			}
		}
	}
}

// TestGradient checks the hand-written backward pass against central
// finite differences of the loss, in float64 on a float32 model.
func TestGradient(t *testing.T) {
	for _, d := range sageDims {
		rng := rand.New(rand.NewPCG(uint64(d.F0), 6))
		l := newLayout(d)
		p := l.glorot(rng)
		for i := range p {
			p[i] += float32(rng.NormFloat64() * 0.2)
		}
		const B = 9
		b := randBatch(rng, d, B)
		recs := l.records(b, nil)
		y := make([]float32, B)
		for i := range y {
			y[i] = float32(rng.IntN(2))
		}
		const pw = 3
		w := newWork(l, B)
		loss := func(p []float32) float64 {
			w.forward(p, recs, B)
			var s float64
			for i, z := range w.logit {
				if y[i] == 1 {
					s += pw * softplus(-float64(z))
				} else {
					s += softplus(float64(z))
				}
			}
			return s / B
		}
		loss(p)
		for i, z := range w.logit {
			c := float32(1)
			if y[i] == 1 {
				c = pw
			}
			w.dz[i] = c * (float32(sigmoid(z)) - y[i]) / B
		}
		g := make([]float32, l.size)
		w.backward(p, g, recs)
		q := append([]float32(nil), p...)
		var checked int
		for name, runs := range l.tensorBlocks() {
			for _, r := range runs {
				for k := 0; k < 6; k++ {
					i := r[0] + rng.IntN(r[1]-r[0])
					const h = 2e-3
					mid := loss(q)
					q[i] = p[i] + h
					up := loss(q)
					q[i] = p[i] - h
					down := loss(q)
					q[i] = p[i]
					num := (up - down) / (2 * h)
					if math.Abs((up-mid)-(mid-down)) > 0.05*math.Abs(up-down)+1e-6 {
						continue // a ReLU kink within ±h: the difference is meaningless
					}
					// Tolerance: float32 forward passes (rounding ~1e-7 of
					// the loss, divided by 2h) and the O(h²) truncation.
					if math.Abs(num-float64(g[i])) > 5e-4+0.01*math.Abs(num) {
						t.Errorf("%+v %s[%d]: backward %v, finite difference %v", d, name, i-r[0], g[i], num)
					}
					checked++
				}
			}
		}
		if checked < 40 {
			t.Fatalf("checked %d parameters", checked)
		}
	}
}

// tableSource is a source over precomputed records.
type tableSource struct {
	rec    int
	recs   []float32
	labels []float32
}

func (s *tableSource) Len() int            { return len(s.labels) }
func (s *tableSource) Label(i int) float32 { return s.labels[i] }
func (s *tableSource) Fill(_ context.Context, rows []int, _ int, dst []float32) error {
	for j, i := range rows {
		copy(dst[j*s.rec:(j+1)*s.rec], s.recs[i*s.rec:(i+1)*s.rec])
	}
	return nil
}

// separable labels a row 1 when a present hop-1 neighbour of relation 0
// has feature 0 above 1: learnable only through the graph, at a 10–20%
// positive rate.
func separable(rng *rand.Rand, l *layout, n int) *tableSource {
	d := l.d
	s := &tableSource{rec: l.rec}
	for range (n + 63) / 64 {
		b := randBatch(rng, d, 64)
		for i := range 64 {
			var y float32
			for k := range d.K1 {
				s1 := i*d.K1 + k // relation 0
				if b.M1[s1] == 1 && b.X1[s1*d.F1] > 1 {
					y = 1
				}
			}
			s.labels = append(s.labels, y)
		}
		s.recs = l.records(b, s.recs)
	}
	return s
}

func TestFitLearnsAndIsDeterministic(t *testing.T) {
	d := artefact.Dims{F0: 4, F1: 4, F2: 3, R1: 2, R2: 2, K1: 2, K2: 2, H: 16}
	l := newLayout(d)
	rng := rand.New(rand.NewPCG(1, 2))
	train, val := separable(rng, l, 2048), separable(rng, l, 512)
	cfg := FitConfig{Epochs: 30, LearnRate: 0.01, Seed: 3, Patience: 5}
	var epochs []EpochStats
	w, rep, err := fit(context.Background(), d, cfg, train, val, [3][]bool{}, nil, func(s EpochStats) { epochs = append(epochs, s) })
	if err != nil {
		t.Fatal(err)
	}
	var pos float64
	for _, y := range val.labels {
		pos += float64(y)
	}
	base := pos / float64(len(val.labels))
	bestAP := rep.Epochs[rep.BestEpoch].ValAP
	t.Logf("%d epochs (%s), best %d: val AP %.4f (positive rate %.4f), AUC %.4f, loss %.4f → %.4f",
		len(rep.Epochs), rep.Stopped, rep.BestEpoch, bestAP, base, rep.Epochs[rep.BestEpoch].ValAUC, rep.Epochs[0].Loss, rep.Epochs[len(rep.Epochs)-1].Loss)
	if bestAP < 0.8 || bestAP < 3*base {
		t.Errorf("best validation AP %.4f: want ≥ 0.8 (positive rate %.4f)", bestAP, base)
	}
	if len(epochs) != len(rep.Epochs) {
		t.Errorf("progress called %d times for %d epochs", len(epochs), len(rep.Epochs))
	}
	// The kept weights are the best epoch's: gnn.Model reproduces its AP.
	m, err := gnn.New(testManifest(d), w)
	if err != nil {
		t.Fatal(err)
	}
	scores := make([]float32, val.Len())
	if err := score(context.Background(), l, l.pack(w), val, newWork(l, 64), make([]float32, 64*l.rec), scores); err != nil {
		t.Fatal(err)
	}
	if got := AveragePrecision(scores, val.labels); got != bestAP {
		t.Errorf("AP of the returned weights %v, best epoch's %v", got, bestAP)
	}
	_ = m
	w2, _, err := fit(context.Background(), d, cfg, train, val, [3][]bool{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range w {
		for i := range v {
			if math.Float32bits(v[i]) != math.Float32bits(w2[name][i]) {
				t.Fatalf("%s[%d]: %v then %v: training is not deterministic", name, i, v[i], w2[name][i])
			}
		}
	}
}

func BenchmarkFitStep(b *testing.B) {
	for _, tc := range []struct {
		name string
		d    artefact.Dims
	}{
		{"transaction", artefact.Dims{F0: 30, F1: 40, F2: 30, R1: 9, R2: 1, K1: 1, K2: 10, H: 32}},
		{"account", artefact.Dims{F0: 40, F1: 30, F2: 40, R1: 2, R2: 9, K1: 16, K2: 1, H: 32}},
		{"folder", artefact.Dims{F0: 80, F1: 80, F2: 80, R1: 2, R2: 2, K1: 8, K2: 4, H: 32}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			l := newLayout(tc.d)
			rng := rand.New(rand.NewPCG(1, 1))
			const B = 128
			recs := l.records(randBatch(rng, tc.d, B), nil)
			p := l.glorot(rng)
			g := make([]float32, l.size)
			w := newWork(l, B)
			opt := newAdamW(l, 0.001, 1e-4, 1)
			for b.Loop() {
				w.forward(p, recs, B)
				for i := range B {
					w.dz[i] = (float32(sigmoid(w.logit[i])) - float32(i%2)) / B
				}
				clear(g)
				w.backward(p, g, recs)
				opt.step(p, g)
			}
			b.ReportMetric(float64(b.N*B)/b.Elapsed().Seconds()/float64(runtime.GOMAXPROCS(0)), "targets/s/core")
		})
	}
}
