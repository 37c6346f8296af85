package sampling

import (
	"github.com/riskgraph/riskgraph/feature"
	"github.com/riskgraph/riskgraph/graph"
)

// Batch is B sampled targets as fixed-shape, row-major float32 tensors, in
// the layout the gnn package and the JAX/PyTorch references consume. With
// R1 hop-1 relations of fanout K1 and, under each hop-1 node, R2 hop-2
// relations of fanout K2:
//
//	X0 [B, F0]                  target features
//	X1 [R1, B, K1, F1]          hop-1 node features (zero where padded)
//	M1 [R1, B, K1]              1 where a hop-1 neighbour exists, else 0
//	X2 [R1, B, K1, R2, K2, F2]  hop-2 node features (zero where padded)
//	M2 [R1, B, K1, R2, K2]      1 where a hop-2 neighbour exists, else 0
//
// Neighbours fill slots most recent first. Refs name the sampled nodes for
// explanations: Targets[b], Hop1[((r*B)+b)*K1+k], Hop2 likewise in X2's
// order; a padded slot holds the zero NodeRef.
type Batch struct {
	B, F0, F1, F2, R1, R2, K1, K2 int

	X0, X1, M1, X2, M2 []float32

	Targets []graph.NodeRef
	Hop1    []graph.NodeRef
	Hop2    []graph.NodeRef
}

// hop1 is the index of hop-1 slot (relation r, row b, neighbour k) in M1
// and Hop1; X1's row of F1 floats starts at hop1·F1.
func (b *Batch) hop1(r, row, k int) int { return (r*b.B+row)*b.K1 + k }

// hop2 is the index of hop-2 slot (r, row, k, relation r2, neighbour j) in
// M2 and Hop2; X2's row starts at hop2·F2.
func (b *Batch) hop2(r, row, k, r2, j int) int {
	return ((b.hop1(r, row, k)*b.R2)+r2)*b.K2 + j
}

// reset shapes b for B rows, reusing its memory, and zeroes every tensor
// and ref.
func (b *Batch) reset(B, f0, f1, f2, r1, r2, k1, k2 int) {
	b.B, b.F0, b.F1, b.F2, b.R1, b.R2, b.K1, b.K2 = B, f0, f1, f2, r1, r2, k1, k2
	n1 := r1 * B * k1
	n2 := n1 * r2 * k2
	b.X0 = resize(b.X0, B*f0)
	b.X1 = resize(b.X1, n1*f1)
	b.M1 = resize(b.M1, n1)
	b.X2 = resize(b.X2, n2*f2)
	b.M2 = resize(b.M2, n2)
	b.Targets = resize(b.Targets, B)
	b.Hop1 = resize(b.Hop1, n1)
	b.Hop2 = resize(b.Hop2, n2)
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// Accumulate adds b's target rows and present hop-1 and hop-2 rows to the
// per-position statistics (for the manifest's normalisation). Use it on
// batches sampled without Config.Spec, i.e. raw features.
func (b *Batch) Accumulate(target, hop1, hop2 *feature.Stats) {
	for i := 0; i < b.B; i++ {
		target.Add(b.X0[i*b.F0 : (i+1)*b.F0])
	}
	for h, m := range b.M1 {
		if m != 0 {
			hop1.Add(b.X1[h*b.F1 : (h+1)*b.F1])
		}
	}
	for h, m := range b.M2 {
		if m != 0 {
			hop2.Add(b.X2[h*b.F2 : (h+1)*b.F2])
		}
	}
}
