package gnn

import (
	"fmt"
	"slices"

	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/sampling"
)

// Score returns the fraud score in (0, 1) of each of b's B targets, in
// order. It reuses out when cap(out) >= b.B and otherwise allocates; the
// result is out[:b.B]. b is only read. A batch whose dims differ from the
// model's, whose arrays have the wrong lengths (*ShapeError) or whose masks
// hold anything but 0 and 1 is refused with an error wrapping ErrBatch.
// Each row's score depends on that row alone: scoring a row alone or
// within any batch gives the same value.
func (md *Model) Score(b *sampling.Batch, out []float32) ([]float32, error) {
	if err := checkBatch(md.d, b); err != nil {
		return nil, err
	}
	if cap(out) < b.B {
		out = make([]float32, b.B)
	}
	out = out[:b.B]
	maxB := md.opts.buckets[len(md.opts.buckets)-1]
	for lo := 0; lo < b.B; lo += maxB {
		hi := min(lo+maxB, b.B)
		if err := md.scoreRows(b, lo, hi, out[lo:hi], false); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// logits is Score before the sigmoid: log-odds, which keep differences
// visible where the score itself saturates at 0 or 1.
func (md *Model) logits(b *sampling.Batch) ([]float32, error) {
	if err := checkBatch(md.d, b); err != nil {
		return nil, err
	}
	out := make([]float32, b.B)
	maxB := md.opts.buckets[len(md.opts.buckets)-1]
	for lo := 0; lo < b.B; lo += maxB {
		hi := min(lo+maxB, b.B)
		if err := md.scoreRows(b, lo, hi, out[lo:hi], true); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (md *Model) scoreRows(b *sampling.Batch, lo, hi int, out []float32, logits bool) error {
	bi := md.bucketFor(hi - lo)
	pr, err := md.get(bi)
	if err != nil {
		return err
	}
	defer md.put(bi, pr)
	if err := fill(md.d, b, lo, hi, pr.inputs()); err != nil {
		return err
	}
	s, err := pr.run(logits)
	if err != nil {
		return err
	}
	copy(out, s[:hi-lo])
	return nil
}

// bucketFor returns the index of the smallest bucket holding n rows; n is
// at most the largest bucket.
func (md *Model) bucketFor(n int) int {
	for i, s := range md.opts.buckets {
		if s >= n {
			return i
		}
	}
	panic(fmt.Sprintf("gnn: %d rows exceed the largest bucket", n))
}

// forwarder runs the forward pass over inputs it owns: a compiled
// Gorgonia program or a native kernel.
type forwarder interface {
	inputs() inputs
	run(logits bool) ([]float32, error)
}

func (md *Model) get(bi int) (forwarder, error) {
	select {
	case pr := <-md.pools[bi]:
		return pr, nil
	default:
		return md.newForwarder(md.opts.engine, md.opts.buckets[bi])
	}
}

func (md *Model) newForwarder(e Engine, n int) (forwarder, error) {
	if e == EngineNative {
		return newKernel(md.d, md.p, n), nil
	}
	return newProgram(md.d, md.p, n)
}

func (md *Model) put(bi int, pr forwarder) {
	select {
	case md.pools[bi] <- pr:
	default: // enough idle programs: let this one go
	}
}

// checkBatch checks b's dims against d and its array lengths.
func checkBatch(d artefact.Dims, b *sampling.Batch) error {
	if b == nil {
		return fmt.Errorf("%w: nil batch", ErrBatch)
	}
	// Arrays, cloned only into an error: the check allocates nothing on
	// the scoring path.
	got := [...]int{b.F0, b.F1, b.F2, b.R1, b.R2, b.K1, b.K2}
	want := [...]int{d.F0, d.F1, d.F2, d.R1, d.R2, d.K1, d.K2}
	if got != want {
		return &ShapeError{Name: "batch dims (F0 F1 F2 R1 R2 K1 K2)", Want: slices.Clone(want[:]), Got: slices.Clone(got[:]), kind: ErrBatch}
	}
	if b.B < 0 {
		return fmt.Errorf("%w: B = %d", ErrBatch, b.B)
	}
	B := b.B
	for _, a := range [...]struct {
		name  string
		data  []float32
		shape [6]int // the first rank dims
		rank  int
	}{
		{"X0", b.X0, [6]int{B, d.F0}, 2},
		{"X1", b.X1, [6]int{d.R1, B, d.K1, d.F1}, 4},
		{"M1", b.M1, [6]int{d.R1, B, d.K1}, 3},
		{"X2", b.X2, [6]int{d.R1, B, d.K1, d.R2, d.K2, d.F2}, 6},
		{"M2", b.M2, [6]int{d.R1, B, d.K1, d.R2, d.K2}, 5},
	} {
		if shape := a.shape[:a.rank]; len(a.data) != numel(shape) {
			return &ShapeError{Name: a.name, Want: slices.Clone(shape), Got: []int{len(a.data)}, kind: ErrBatch}
		}
	}
	return nil
}

// fill writes rows [lo, hi) of b into in (see inputs), zeroing the padding
// rows up to in.n. It checks that every mask value it reads is 0 or 1.
func fill(d artefact.Dims, b *sampling.Batch, lo, hi int, in inputs) error {
	d0, d1 := inDims(d)
	F0, F1, F2, R1, R2, K1, K2, H := d.F0, d.F1, d.F2, d.R1, d.R2, d.K1, d.K2, d.H
	B, n, rows := b.B, in.n, hi-lo
	z0 := in.z0Data
	z1 := in.z1Data
	w1 := in.w1Data
	clear(z0[rows*d0:])

	for i := range rows {
		bb := lo + i
		row := z0[i*d0 : (i+1)*d0]
		copy(row, b.X0[bb*F0:(bb+1)*F0])
		clear(row[F0:])
		row[d0-1] = 1
		for r := range R1 {
			// Hop-1 masked mean a1[r] and the weights for g.
			base := (r*B + bb) * K1
			m := b.M1[base : base+K1]
			cnt, err := count(m, "M1")
			if err != nil {
				return err
			}
			a1 := row[F0+r*F1 : F0+(r+1)*F1]
			for k, mk := range m {
				wrow := w1[((r*n+i)*K1+k)*H : ((r*n+i)*K1+k+1)*H]
				for h := range wrow {
					wrow[h] = mk / cnt
				}
				if mk != 0 {
					axpy(a1, 1/cnt, b.X1[(base+k)*F1:(base+k+1)*F1])
				}
			}
			// Hop-1 node rows: x1 | a2[r][s]… | 1.
			for k := range K1 {
				zr := z1[((r*n+i)*K1+k)*d1 : ((r*n+i)*K1+k+1)*d1]
				copy(zr, b.X1[(base+k)*F1:(base+k+1)*F1])
				clear(zr[F1:])
				zr[d1-1] = 1
				for s := range R2 {
					mb := ((base+k)*R2 + s) * K2
					m2 := b.M2[mb : mb+K2]
					c2, err := count(m2, "M2")
					if err != nil {
						return err
					}
					a2 := zr[F1+s*F2 : F1+(s+1)*F2]
					for j, mj := range m2 {
						if mj != 0 {
							axpy(a2, 1/c2, b.X2[(mb+j)*F2:(mb+j+1)*F2])
						}
					}
				}
			}
		}
	}
	// Padding rows: zero, so stale inputs never reach the graph.
	for r := range R1 {
		clear(z1[(r*n+rows)*K1*d1 : (r+1)*n*K1*d1])
		clear(w1[(r*n+rows)*K1*H : (r+1)*n*K1*H])
	}
	return nil
}

// count returns max(1, Σ m), checking that each m is 0 or 1.
func count(m []float32, name string) (float32, error) {
	var c float32
	for _, v := range m {
		switch v {
		case 0:
		case 1:
			c++
		default:
			return 0, fmt.Errorf("%w: %s holds %v, want 0 or 1", ErrBatch, name, v)
		}
	}
	return max(c, 1), nil
}

// axpy: dst += a·x.
func axpy(dst []float32, a float32, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] += a * v
	}
}
