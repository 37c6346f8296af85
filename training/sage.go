package training

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/sampling"
)

// The trainer fits hetero-sage-v1 (the forward pass of the doc comment of
// artefact.Dims.Tensors) with a hand-written backward pass. It reads each
// example as a record, the part of a sampling.Batch row the model needs:
// the hop-2 features enter the model only through their masked mean over
// K2, so a record holds that mean instead of the K2 vectors:
//
//	x0                     F0
//	for r < R1, k < K1:    slot = [m1, x1 (F1), a2 (R2 × F2)]
//
// m1 is 1 for a present hop-1 neighbour (0 for a padded slot, whose
// values are then ignored) and a2[s] is the masked mean of the K2 hop-2
// features under relation s (0 when none is present).
//
// Weights live packed so that every layer is one matrix product over a
// concatenation of its inputs:
//
//	layer 1, target   [x0 | a1[0] … a1[R1−1]]   · P0   (F0+R1·F1) × H
//	layer 1, hop-1 r  [x1 | a2[0] … a2[R2−1]]   · P1[r] (F1+R2·F2) × H
//	layer 2           [h0 | g[0] … g[R1−1]]     · P2   (H+R1·H) × H
//
// which are the artefact's tensors stacked row-wise (l1.self0.w over
// l1.nb0.w, and so on); pack and unpack convert.

// blas is gonum's pure-Go BLAS: deterministic for a given input (each
// block of a product is summed in a fixed order whatever the
// parallelism).
var impl gonum.Implementation

// layout is the packed parameter vector's layout for one Dims.
type layout struct {
	d                              artefact.Dims
	in0, in1, in2, slot, rec       int
	p0, b0, p1, b1, p2, b2, hw, hb int // offsets
	size                           int
	weight                         []bool // weight (decayed) or bias
}

func newLayout(d artefact.Dims) *layout {
	l := &layout{d: d}
	H := d.H
	l.in0 = d.F0 + d.R1*d.F1
	l.in1 = d.F1 + d.R2*d.F2
	l.in2 = H + d.R1*H
	l.slot = 1 + l.in1
	l.rec = d.F0 + d.R1*d.K1*l.slot
	off := 0
	next := func(n int) int { o := off; off += n; return o }
	l.p0, l.b0 = next(l.in0*H), next(H)
	l.p1, l.b1 = next(d.R1*l.in1*H), next(d.R1*H)
	l.p2, l.b2 = next(l.in2*H), next(H)
	l.hw, l.hb = next(H), next(1)
	l.size = off
	l.weight = make([]bool, off)
	for _, r := range [][2]int{{l.p0, l.b0}, {l.p1, l.b1}, {l.p2, l.b2}, {l.hw, l.hb}} {
		for i := r[0]; i < r[1]; i++ {
			l.weight[i] = true
		}
	}
	return l
}

// tensorBlocks lists where each artefact tensor lies in the packed
// vector: contiguous runs, in the tensor's row-major order.
func (l *layout) tensorBlocks() map[string][][2]int {
	d, H := l.d, l.d.H
	b := map[string][][2]int{
		"l1.self0.w": {{l.p0, l.p0 + d.F0*H}},
		"l1.self0.b": {{l.b0, l.b0 + H}},
		"l1.nb0.w":   {{l.p0 + d.F0*H, l.p0 + l.in0*H}},
		"l1.self1.b": {{l.b1, l.b1 + d.R1*H}},
		"l2.self.w":  {{l.p2, l.p2 + H*H}},
		"l2.self.b":  {{l.b2, l.b2 + H}},
		"l2.nb.w":    {{l.p2 + H*H, l.p2 + l.in2*H}},
		"head.w":     {{l.hw, l.hw + H}},
		"head.b":     {{l.hb, l.hb + 1}},
	}
	for r := range d.R1 {
		base := l.p1 + r*l.in1*H
		b["l1.self1.w"] = append(b["l1.self1.w"], [2]int{base, base + d.F1*H})
		b["l1.nb1.w"] = append(b["l1.nb1.w"], [2]int{base + d.F1*H, base + l.in1*H})
	}
	return b
}

// unpack returns the packed parameters p as artefact tensors.
func (l *layout) unpack(p []float32) map[string][]float32 {
	out := map[string][]float32{}
	for name, runs := range l.tensorBlocks() {
		var v []float32
		for _, r := range runs {
			v = append(v, p[r[0]:r[1]]...)
		}
		out[name] = v
	}
	return out
}

// pack is the inverse of unpack; w must hold every tensor.
func (l *layout) pack(w map[string][]float32) []float32 {
	p := make([]float32, l.size)
	for name, runs := range l.tensorBlocks() {
		v := w[name]
		for _, r := range runs {
			n := copy(p[r[0]:r[1]], v)
			v = v[n:]
		}
	}
	return p
}

// glorot initialises a packed vector: every matrix of the artefact
// uniform in ±√(6/(fan_in+fan_out)), its last two dims being fan_in and
// fan_out (Glorot & Bengio 2010); biases 0.
func (l *layout) glorot(rng *rand.Rand) []float32 {
	w := map[string][]float32{}
	for _, s := range l.d.Tensors() {
		n := 1
		for _, x := range s.Shape {
			n *= x
		}
		v := make([]float32, n)
		if len(s.Shape) >= 2 && s.Name != "head.b" {
			fin, fout := s.Shape[len(s.Shape)-2], s.Shape[len(s.Shape)-1]
			a := math.Sqrt(6 / float64(fin+fout))
			for i := range v {
				v[i] = float32((2*rng.Float64() - 1) * a)
			}
		}
		w[s.Name] = v
	}
	return l.pack(w)
}

// zeroDead zeroes the weight rows that read the columns flagged in dead
// (X0, X1 and X2 columns; nil slices flag none).
func (l *layout) zeroDead(p []float32, dead [3][]bool) {
	d, H := l.d, l.d.H
	row := func(base, r int) { clear(p[base+r*H : base+(r+1)*H]) }
	for f, x := range dead[0] {
		if x {
			row(l.p0, f)
		}
	}
	for f, x := range dead[1] {
		if !x {
			continue
		}
		for r := range d.R1 {
			row(l.p0, d.F0+r*d.F1+f)
			row(l.p1+r*l.in1*H, f)
		}
	}
	for f, x := range dead[2] {
		if !x {
			continue
		}
		for r := range d.R1 {
			for s := range d.R2 {
				row(l.p1+r*l.in1*H, d.F1+s*d.F2+f)
			}
		}
	}
}

// records converts the rows of a sampling.Batch into trainer records,
// appending them to dst.
func (l *layout) records(b *sampling.Batch, dst []float32) []float32 {
	d := l.d
	for i := range b.B {
		rec := make([]float32, l.rec)
		copy(rec, b.X0[i*d.F0:(i+1)*d.F0])
		for r := range d.R1 {
			for k := range d.K1 {
				s1 := (r*b.B+i)*d.K1 + k
				slot := rec[d.F0+(r*d.K1+k)*l.slot:]
				if b.M1[s1] == 0 {
					continue
				}
				slot[0] = 1
				copy(slot[1:1+d.F1], b.X1[s1*d.F1:(s1+1)*d.F1])
				for s := range d.R2 {
					a2 := slot[1+d.F1+s*d.F2 : 1+d.F1+(s+1)*d.F2]
					var c float32
					for j := range d.K2 {
						s2 := (s1*d.R2+s)*d.K2 + j
						if b.M2[s2] == 0 {
							continue
						}
						c++
						for f, x := range b.X2[s2*d.F2 : (s2+1)*d.F2] {
							a2[f] += x
						}
					}
					if c > 0 {
						for f := range a2 {
							a2[f] /= c
						}
					}
				}
			}
		}
		dst = append(dst, rec...)
	}
	return dst
}

// work is the trainer's scratch space for one mini-batch.
type work struct {
	l         *layout
	n         int
	in0, z0   []float32 // n × in0, n × H
	cnt       []float32 // R1 × n
	slots     [][]int32 // per r: i*K1+k of present slots
	in1, z1   [][]float32
	in2, z2   []float32 // n × in2, n × H
	logit, dz []float32
	dz2, din2 []float32
	dz0, dz1  []float32
	h2        []float32
}

func newWork(l *layout, n int) *work {
	H := l.d.H
	w := &work{l: l, n: n,
		in0: make([]float32, n*l.in0), z0: make([]float32, n*H),
		cnt: make([]float32, l.d.R1*n), slots: make([][]int32, l.d.R1),
		in1: make([][]float32, l.d.R1), z1: make([][]float32, l.d.R1),
		in2: make([]float32, n*l.in2), z2: make([]float32, n*H), h2: make([]float32, n*H),
		logit: make([]float32, n), dz: make([]float32, n),
		dz2: make([]float32, n*H), din2: make([]float32, n*l.in2), dz0: make([]float32, n*H),
	}
	return w
}

// gemm computes c = a·b (+ c when acc): a is m×k (or k×m transposed),
// b is k×n (or n×k transposed), all row-major and dense.
func gemm(ta, tb bool, m, n, k int, a, b, c []float32, acc bool) {
	if m == 0 || n == 0 {
		return
	}
	tA, tB := blas.NoTrans, blas.NoTrans
	lda, ldb := k, n
	if ta {
		tA, lda = blas.Trans, m
	}
	if tb {
		tB, ldb = blas.Trans, k
	}
	var beta float32
	if acc {
		beta = 1
	}
	if k == 0 {
		if !acc {
			clear(c[:m*n])
		}
		return
	}
	impl.Sgemm(tA, tB, m, n, k, 1, a, lda, b, ldb, beta, c, n)
}

// forward computes the logits of the n records in recs (n × rec) into
// w.logit, keeping what backward needs.
func (w *work) forward(p []float32, recs []float32, n int) {
	l, d := w.l, w.l.d
	H := d.H
	w.n = n
	// Layer 1, target: [x0 | a1[r]].
	clear(w.in0[:n*l.in0])
	for i := range n {
		rec := recs[i*l.rec : (i+1)*l.rec]
		row := w.in0[i*l.in0 : (i+1)*l.in0]
		copy(row, rec[:d.F0])
		for r := range d.R1 {
			a1 := row[d.F0+r*d.F1 : d.F0+(r+1)*d.F1]
			var c float32
			for k := range d.K1 {
				slot := rec[d.F0+(r*d.K1+k)*l.slot:]
				if slot[0] == 0 {
					continue
				}
				c++
				for f, x := range slot[1 : 1+d.F1] {
					a1[f] += x
				}
			}
			if c > 0 {
				for f := range a1 {
					a1[f] /= c
				}
			}
			w.cnt[r*n+i] = c
		}
	}
	gemm(false, false, n, H, l.in0, w.in0, p[l.p0:l.b0], w.z0, false)
	addBias(w.z0[:n*H], p[l.b0:l.b0+H])
	// Layer 1, hop-1 neighbours, present slots only; g is their mean.
	clear(w.in2[:n*l.in2])
	for i := range n {
		for h := range H {
			w.in2[i*l.in2+h] = relu(w.z0[i*H+h])
		}
	}
	for r := range d.R1 {
		w.slots[r] = w.slots[r][:0]
		for i := range n {
			rec := recs[i*l.rec : (i+1)*l.rec]
			for k := range d.K1 {
				if rec[d.F0+(r*d.K1+k)*l.slot] != 0 {
					w.slots[r] = append(w.slots[r], int32(i*d.K1+k))
				}
			}
		}
		m := len(w.slots[r])
		w.in1[r] = grow(w.in1[r], m*l.in1)
		w.z1[r] = grow(w.z1[r], m*H)
		for j, ik := range w.slots[r] {
			i, k := int(ik)/d.K1, int(ik)%d.K1
			base := i*l.rec + d.F0 + (r*d.K1+k)*l.slot + 1
			copy(w.in1[r][j*l.in1:(j+1)*l.in1], recs[base:base+l.in1])
		}
		pr := p[l.p1+r*l.in1*H : l.p1+(r+1)*l.in1*H]
		gemm(false, false, m, H, l.in1, w.in1[r], pr, w.z1[r], false)
		addBias(w.z1[r][:m*H], p[l.b1+r*H:l.b1+(r+1)*H])
		for j, ik := range w.slots[r] {
			i := int(ik) / d.K1
			g := w.in2[i*l.in2+H+r*H : i*l.in2+H+(r+1)*H]
			inv := 1 / w.cnt[r*n+i]
			for h, z := range w.z1[r][j*H : (j+1)*H] {
				g[h] += relu(z) * inv
			}
		}
	}
	// Layer 2 and the head.
	gemm(false, false, n, H, l.in2, w.in2, p[l.p2:l.b2], w.z2, false)
	addBias(w.z2[:n*H], p[l.b2:l.b2+H])
	hw, hb := p[l.hw:l.hw+H], p[l.hb]
	for i := range n {
		z := hb
		for h := range H {
			a := relu(w.z2[i*H+h])
			w.h2[i*H+h] = a
			z += a * hw[h]
		}
		w.logit[i] = z
	}
}

// backward accumulates into g the gradient of Σᵢ coef[i]·loss_i where
// dz[i] = ∂loss/∂logit_i (already weighted), after forward on recs.
func (w *work) backward(p, g []float32, recs []float32) {
	l, d, n := w.l, w.l.d, w.n
	H := d.H
	hw := p[l.hw : l.hw+H]
	// Head.
	for i := range n {
		dz := w.dz[i]
		g[l.hb] += dz
		for h := range H {
			g[l.hw+h] += dz * w.h2[i*H+h]
			if w.z2[i*H+h] > 0 {
				w.dz2[i*H+h] = dz * hw[h]
			} else {
				w.dz2[i*H+h] = 0
			}
		}
	}
	// Layer 2.
	gemm(true, false, l.in2, H, n, w.in2, w.dz2, g[l.p2:l.b2], true)
	colSum(g[l.b2:l.b2+H], w.dz2[:n*H], H)
	gemm(false, true, n, l.in2, H, w.dz2, p[l.p2:l.b2], w.din2, false)
	// Layer 1, target.
	for i := range n {
		for h := range H {
			if w.z0[i*H+h] > 0 {
				w.dz0[i*H+h] = w.din2[i*l.in2+h]
			} else {
				w.dz0[i*H+h] = 0
			}
		}
	}
	gemm(true, false, l.in0, H, n, w.in0, w.dz0, g[l.p0:l.b0], true)
	colSum(g[l.b0:l.b0+H], w.dz0[:n*H], H)
	// Layer 1, hop-1 neighbours.
	for r := range d.R1 {
		m := len(w.slots[r])
		if m == 0 {
			continue
		}
		w.dz1 = grow(w.dz1, m*H)
		for j, ik := range w.slots[r] {
			i := int(ik) / d.K1
			inv := 1 / w.cnt[r*n+i]
			dg := w.din2[i*l.in2+H+r*H : i*l.in2+H+(r+1)*H]
			for h := range H {
				if w.z1[r][j*H+h] > 0 {
					w.dz1[j*H+h] = dg[h] * inv
				} else {
					w.dz1[j*H+h] = 0
				}
			}
		}
		gemm(true, false, l.in1, H, m, w.in1[r], w.dz1, g[l.p1+r*l.in1*H:l.p1+(r+1)*l.in1*H], true)
		colSum(g[l.b1+r*H:l.b1+(r+1)*H], w.dz1[:m*H], H)
	}
}

func relu(x float32) float32 { return max(x, 0) }

func addBias(z, b []float32) {
	for i := 0; i < len(z); i += len(b) {
		for h, v := range b {
			z[i+h] += v
		}
	}
}

func colSum(dst, m []float32, cols int) {
	for i := 0; i < len(m); i += cols {
		for h := range cols {
			dst[h] += m[i+h]
		}
	}
}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// sigmoid in float64, for the loss.
func sigmoid(z float32) float64 { return 1 / (1 + math.Exp(-float64(z))) }

// softplus(z) = log(1+e^z), stable for large |z|.
func softplus(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}
