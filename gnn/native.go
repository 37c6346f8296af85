package gnn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/sampling"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// kernel is the native inference form of the forward pass for one bucket
// of n rows: the same packed weights and the same inputs (filled by fill)
// as a program, multiplied with gonum's BLAS directly instead of through a
// Gorgonia tape machine. It allocates nothing per run. Not safe for
// concurrent use.
//
// With wide = H+1 (the extended weights carry the bias column, see
// packed):
//
//	h0 = relu(z0 · w0)                       [n, wide]
//	h1[r] = relu(z1[r] · w1[r])              [n·K1, H]
//	g[r][i] = Σ_k w1mask[r,i,k] · h1[r][i·K1+k]   [n, H]
//	h2 = relu(h0 · w2 + Σ_r g[r] · nb2[r])   [n, wide]
//	logit = h2 · hd                          [n, 1]
type kernel struct {
	d  artefact.Dims
	p  packed
	in inputs
	// scratch
	h0, h1, g, h2, logit, score []float32
}

func newKernel(d artefact.Dims, p packed, n int) *kernel {
	wide := d.H + 1
	return &kernel{
		d: d, p: p, in: newInputs(d, n),
		h0:    make([]float32, n*wide),
		h1:    make([]float32, n*d.K1*d.H),
		g:     make([]float32, n*d.H),
		h2:    make([]float32, n*wide),
		logit: make([]float32, n),
		score: make([]float32, n),
	}
}

func general(rows, cols int, data []float32) blas32.General {
	return blas32.General{Rows: rows, Cols: cols, Stride: cols, Data: data[:rows*cols]}
}

func relu(x []float32) {
	for i, v := range x {
		if v < 0 {
			x[i] = 0
		}
	}
}

// run computes the forward pass over the kernel's filled inputs and
// returns its own output buffer (scores, or logits), valid until the next
// run.
func (k *kernel) run(logits bool) ([]float32, error) {
	d, p, n := k.d, k.p, k.in.n
	d0, d1 := inDims(d)
	H, R1, K1, wide := d.H, d.R1, d.K1, d.H+1
	z0 := k.in.z0Data
	z1 := k.in.z1Data
	w1 := k.in.w1Data

	// Layer 1, target.
	h0 := general(n, wide, k.h0)
	blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, general(n, d0, z0), general(d0, wide, p.w0), 0, h0)
	relu(k.h0)

	// Layer 2's neighbour term accumulates in h2: Σ_r g[r] · nb2[r].
	h2 := general(n, wide, k.h2)
	clear(k.h2)
	rows := n * K1
	h1 := general(rows, H, k.h1)
	g := general(n, H, k.g)
	for r := range R1 {
		blas32.Gemm(blas.NoTrans, blas.NoTrans, 1,
			general(rows, d1, z1[r*rows*d1:]), general(d1, H, p.w1[r*d1*H:]), 0, h1)
		// Masked mean over K1 of relu(h1); w1 holds the weight repeated
		// H times per slot, the first copy is enough.
		clear(k.g)
		for i := range n {
			gi := k.g[i*H : (i+1)*H]
			for s := range K1 {
				row := i*K1 + s
				wgt := w1[(r*rows+row)*H]
				if wgt == 0 {
					continue
				}
				for h, v := range k.h1[row*H : (row+1)*H] {
					if v > 0 {
						gi[h] += wgt * v
					}
				}
			}
		}
		blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, g, general(H, wide, p.nb2[r*H*wide:]), 1, h2)
	}
	// Layer 2 and the head.
	blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, h0, general(wide, wide, p.w2), 1, h2)
	relu(k.h2)
	blas32.Gemv(blas.NoTrans, 1, h2, blas32.Vector{N: wide, Inc: 1, Data: p.hd}, 0,
		blas32.Vector{N: n, Inc: 1, Data: k.logit})
	if logits {
		return k.logit, nil
	}
	for i, z := range k.logit {
		k.score[i] = sigmoid32(z)
	}
	return k.score, nil
}

func (k *kernel) inputs() inputs { return k.in }

// sigmoid32 is the logistic function in float32, computed (and clamped)
// as Gorgonia's float32 sigmoid is, so both engines give the same score
// for the same logit.
func sigmoid32(x float32) float32 {
	switch {
	case x < -88:
		return 0
	case x > 15:
		return 1
	}
	return float32(1 / (1 + math.Exp(float64(-x))))
}

// crossCheckRows is the size of the probe batch crossCheck scores.
const crossCheckRows = 5

// crossCheck scores a seeded probe batch (random features, about half the
// neighbour slots present) with the native kernel and with the Gorgonia
// program, and reports an error wrapping ErrArchitecture if any logit
// differs by more than float32 summation order explains. It guards the
// hand-written kernel with the reference graph on every model loaded.
func (md *Model) crossCheck() error {
	d := md.d
	rng := rand.New(rand.NewPCG(0x5eed, uint64(d.H)))
	b := &sampling.Batch{B: crossCheckRows, F0: d.F0, F1: d.F1, F2: d.F2, R1: d.R1, R2: d.R2, K1: d.K1, K2: d.K2}
	normal := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	mask := func(n int) []float32 {
		m := make([]float32, n)
		for i := range m {
			m[i] = float32(rng.IntN(2))
		}
		return m
	}
	B := crossCheckRows
	b.X0 = normal(B * d.F0)
	b.X1 = normal(d.R1 * B * d.K1 * d.F1)
	b.M1 = mask(d.R1 * B * d.K1)
	b.X2 = normal(d.R1 * B * d.K1 * d.R2 * d.K2 * d.F2)
	b.M2 = mask(d.R1 * B * d.K1 * d.R2 * d.K2)

	k := newKernel(d, md.p, B)
	pr, err := newProgram(d, md.p, B)
	if err != nil {
		return err
	}
	var got [2][]float32
	for i, f := range []forwarder{k, pr} {
		if err := fill(d, b, 0, B, f.inputs()); err != nil {
			return err
		}
		z, err := f.run(true)
		if err != nil {
			return err
		}
		got[i] = z
	}
	for i := range B {
		n, g := got[0][i], got[1][i]
		if diff := math.Abs(float64(n - g)); diff > 1e-4*max(1, math.Abs(float64(g))) {
			return fmt.Errorf("%w: native engine gives logit %v on probe row %d, Gorgonia %v", ErrArchitecture, n, i, g)
		}
	}
	return nil
}
