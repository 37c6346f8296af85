package gnn_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/riskgraph/riskgraph/gnn"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/sampling"
)

// Benchmark and test shapes.
var (
	// txnDims is the production transaction-target shape.
	txnDims = artefact.Dims{F0: 32, F1: 32, F2: 32, R1: 9, R2: 1, K1: 1, K2: 10, H: 64}
	// acctDims is an account-target-like shape with K1 > 1 and R2 > 1.
	acctDims = artefact.Dims{F0: 6, F1: 5, F2: 7, R1: 2, R2: 3, K1: 4, K2: 3, H: 8}
)

func testManifest(d artefact.Dims) artefact.Manifest {
	stats := func(p string, n int) []artefact.FeatureStat {
		s := make([]artefact.FeatureStat, n)
		for i := range s {
			s[i] = artefact.FeatureStat{Name: p + string(rune('a'+i%26)), Std: 1}
		}
		return s
	}
	rel := func(n int) []string {
		s := make([]string, n)
		for i := range s {
			s[i] = "REL" + string(rune('A'+i))
		}
		return s
	}
	return artefact.Manifest{
		FormatVersion: artefact.FormatVersion, Architecture: artefact.ArchHeteroSAGE,
		ID: "test", Target: "Transaction", Dims: d,
		Relations1: rel(d.R1), Relations2: rel(d.R2),
		Features: artefact.FeatureSpec{Version: "t", Target: stats("t", d.F0), Hop1: stats("h", d.F1), Hop2: stats("g", d.F2)},
	}
}

func randWeights(rng *rand.Rand, d artefact.Dims) map[string][]float32 {
	w := map[string][]float32{}
	for _, s := range d.Tensors() {
		fanIn := s.Shape[0]
		if len(s.Shape) >= 2 {
			fanIn = s.Shape[len(s.Shape)-2]
		}
		n := 1
		for _, v := range s.Shape {
			n *= v
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * 1.5 / math.Sqrt(float64(fanIn)))
		}
		w[s.Name] = v
	}
	return w
}

// randBatch is a batch of B random targets with realistic masks: each
// relation has a random prefix of its slots present, some none.
func randBatch(rng *rand.Rand, d artefact.Dims, B int) *sampling.Batch {
	b := &sampling.Batch{B: B, F0: d.F0, F1: d.F1, F2: d.F2, R1: d.R1, R2: d.R2, K1: d.K1, K2: d.K2,
		X0: make([]float32, B*d.F0),
		X1: make([]float32, d.R1*B*d.K1*d.F1), M1: make([]float32, d.R1*B*d.K1),
		X2: make([]float32, d.R1*B*d.K1*d.R2*d.K2*d.F2), M2: make([]float32, d.R1*B*d.K1*d.R2*d.K2)}
	for i := range b.X0 {
		b.X0[i] = float32(rng.NormFloat64())
	}
	for rb := range d.R1 * B {
		n1 := rng.IntN(d.K1 + 1)
		for k := range n1 {
			i1 := rb*d.K1 + k
			b.M1[i1] = 1
			for f := range d.F1 {
				b.X1[i1*d.F1+f] = float32(rng.NormFloat64())
			}
			for s := range d.R2 {
				n2 := rng.IntN(d.K2 + 1)
				for j := range n2 {
					i2 := (i1*d.R2+s)*d.K2 + j
					b.M2[i2] = 1
					for f := range d.F2 {
						b.X2[i2*d.F2+f] = float32(rng.NormFloat64())
					}
				}
			}
		}
	}
	return b
}

// rows returns a new batch of b's rows idx, in order.
func rows(b *sampling.Batch, idx ...int) *sampling.Batch {
	out := &sampling.Batch{B: len(idx), F0: b.F0, F1: b.F1, F2: b.F2, R1: b.R1, R2: b.R2, K1: b.K1, K2: b.K2}
	n1, n2 := b.K1, b.K1*b.R2*b.K2
	for _, i := range idx {
		out.X0 = append(out.X0, b.X0[i*b.F0:(i+1)*b.F0]...)
	}
	for r := range b.R1 {
		for _, i := range idx {
			o := r*b.B + i
			out.X1 = append(out.X1, b.X1[o*n1*b.F1:(o+1)*n1*b.F1]...)
			out.M1 = append(out.M1, b.M1[o*n1:(o+1)*n1]...)
			out.X2 = append(out.X2, b.X2[o*n2*b.F2:(o+1)*n2*b.F2]...)
			out.M2 = append(out.M2, b.M2[o*n2:(o+1)*n2]...)
		}
	}
	return out
}

func newTestModel(t testing.TB, d artefact.Dims, seed uint64, opts ...gnn.Option) *gnn.Model {
	t.Helper()
	m, err := gnn.New(testManifest(d), randWeights(rand.New(rand.NewPCG(seed, 1)), d), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestScoreBuckets checks that a row's score does not depend on the batch
// it is scored in (bucket, padding, position, chunking) nor on the run.
// Tolerance 1e-6 as specified, though the products are row-independent and
// the scores come out bit-identical.
func TestScoreBuckets(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    artefact.Dims
		B    int
	}{
		{"txn/64", txnDims, 64},
		{"acct/100-chunked", acctDims, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 7))
			m := newTestModel(t, tc.d, 3)
			b := randBatch(rng, tc.d, tc.B)
			all, err := m.Score(b, nil)
			if err != nil {
				t.Fatal(err)
			}
			again, err := m.Score(b, make([]float32, 0, tc.B))
			if err != nil {
				t.Fatal(err)
			}
			for i := range all {
				if math.Float32bits(all[i]) != math.Float32bits(again[i]) {
					t.Errorf("row %d: run 1 %v, run 2 %v: not bit-identical", i, all[i], again[i])
				}
			}
			for _, idx := range [][]int{{0}, {tc.B - 1}, {5, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}} {
				got, err := m.Score(rows(b, idx...), nil)
				if err != nil {
					t.Fatal(err)
				}
				for j, i := range idx {
					if d := math.Abs(float64(got[j] - all[i])); d > 1e-6 {
						t.Errorf("row %d alone in a batch of %d: %v, in the batch of %d: %v", i, len(idx), got[j], tc.B, all[i])
					}
				}
			}
		})
	}
}

func TestScoreErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	m := newTestModel(t, acctDims, 1)
	good := func() *sampling.Batch { return randBatch(rng, acctDims, 3) }
	for _, tc := range []struct {
		name      string
		b         func() *sampling.Batch
		wantShape bool
	}{
		{"nil", func() *sampling.Batch { return nil }, false},
		{"wrong dims", func() *sampling.Batch { b := good(); b.K2++; return b }, true},
		{"short X2", func() *sampling.Batch { b := good(); b.X2 = b.X2[1:]; return b }, true},
		{"mask 0.5", func() *sampling.Batch { b := good(); b.M1[2] = 0.5; return b }, false},
		{"mask NaN", func() *sampling.Batch { b := good(); b.M2[0] = float32(math.NaN()); return b }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.Score(tc.b(), nil)
			if !errors.Is(err, gnn.ErrBatch) {
				t.Fatalf("err = %v, want ErrBatch", err)
			}
			var se *gnn.ShapeError
			if got := errors.As(err, &se); got != tc.wantShape {
				t.Errorf("errors.As(ShapeError) = %v, want %v (%v)", got, tc.wantShape, err)
			}
		})
	}
	if got, err := m.Score(randBatch(rng, acctDims, 0), nil); err != nil || len(got) != 0 {
		t.Errorf("empty batch: %v, %v; want no scores, nil", got, err)
	}
}

// TestScoreConcurrent scores from several goroutines (run with -race).
func TestScoreConcurrent(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	m := newTestModel(t, acctDims, 2, gnn.WithMaxIdle(2))
	b := randBatch(rng, acctDims, 5)
	want, err := m.Score(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			out := make([]float32, 5)
			for range 20 {
				got, err := m.Score(b, out)
				if err != nil {
					t.Error(err)
					return
				}
				for i := range got {
					if got[i] != want[i] {
						t.Errorf("concurrent score[%d] = %v, want %v", i, got[i], want[i])
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

func TestNewErrors(t *testing.T) {
	d := acctDims
	for _, tc := range []struct {
		name string
		edit func(*artefact.Manifest, map[string][]float32)
		want error
	}{
		{"architecture", func(m *artefact.Manifest, _ map[string][]float32) { m.Architecture = "gat" }, gnn.ErrArchitecture},
		{"format", func(m *artefact.Manifest, _ map[string][]float32) { m.FormatVersion = 2 }, gnn.ErrArchitecture},
		{"dims", func(m *artefact.Manifest, _ map[string][]float32) { m.Dims.K1 = 0 }, gnn.ErrArchitecture},
		{"missing", func(_ *artefact.Manifest, w map[string][]float32) { delete(w, "head.b") }, gnn.ErrWeights},
		{"unknown", func(_ *artefact.Manifest, w map[string][]float32) { w["extra"] = []float32{1} }, gnn.ErrWeights},
		{"short", func(_ *artefact.Manifest, w map[string][]float32) { w["l1.nb1.w"] = w["l1.nb1.w"][1:] }, gnn.ErrWeights},
		{"inf", func(_ *artefact.Manifest, w map[string][]float32) { w["l2.self.w"][3] = float32(math.Inf(1)) }, gnn.ErrWeights},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, w := testManifest(d), randWeights(rand.New(rand.NewPCG(1, 1)), d)
			tc.edit(&m, w)
			if _, err := gnn.New(m, w); !errors.Is(err, tc.want) {
				t.Errorf("New: %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := gnn.New(testManifest(d), randWeights(rand.New(rand.NewPCG(1, 1)), d), gnn.WithBuckets(0, 4)); !errors.Is(err, gnn.ErrConfig) {
		t.Errorf("WithBuckets(0, 4): %v, want ErrConfig", err)
	}
}

// Gorgonia's graph construction mutates package-level state: two models
// compiling their first programs at once must not race (run with -race).
func TestConcurrentFirstUseOfTwoModels(t *testing.T) {
	a, b := newTestModel(t, txnDims, 1, gnn.WithEngine(gnn.EngineGorgonia)), newTestModel(t, txnDims, 2, gnn.WithEngine(gnn.EngineGorgonia))
	var wg sync.WaitGroup
	for w := range 8 {
		m := a
		if w%2 == 1 {
			m = b
		}
		batch := randBatch(rand.New(rand.NewPCG(uint64(w), 1)), txnDims, 1+w)
		wg.Go(func() {
			if _, err := m.Score(batch, nil); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}
