package gnn

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/sampling"
)

// Explanation says why a target scored what it did, by occlusion: each
// Delta is the target's log-odds minus its log-odds with one thing removed,
// so a positive Delta pushed the score up (towards fraud) and a negative
// one down. Log-odds rather than the score itself: a score near 0 or 1
// hardly moves when one thing is removed, but its log-odds still do.
type Explanation struct {
	Target graph.NodeRef // Batch.Targets[i], or the zero NodeRef
	Score  float32
	// Neighbours: every present hop-1 neighbour (and, with
	// WithHop2Occlusion, every present hop-2 one), masked out one at a
	// time; by |Delta| descending, ties in slot order.
	Neighbours []NeighbourContribution
	// Features: each feature set to 0 (its training mean, features being
	// normalised) for the target, or for all hop-1 or all hop-2 nodes at
	// once; by |Delta| descending, ties in group then index order.
	Features []FeatureContribution
}

// NeighbourContribution is the effect of one sampled neighbour.
type NeighbourContribution struct {
	Node graph.NodeRef // from Batch.Hop1 / Batch.Hop2; zero if the batch has no refs
	Hop  int           // 1 or 2
	// Relation is the manifest's Relations1[r] for hop 1, and
	// "Relations1[r]/Relations2[s]" for hop 2.
	Relation string
	// Slot indexes Batch.Hop1 (hop 1) or Batch.Hop2 (hop 2).
	Slot  int
	Delta float32
}

// FeatureGroup says whose feature a FeatureContribution occludes.
type FeatureGroup uint8

// Feature groups, in the manifest's FeatureSpec order.
const (
	FeatureTarget FeatureGroup = iota + 1 // FeatureSpec.Target, X0
	FeatureHop1                           // FeatureSpec.Hop1, X1 of every hop-1 node
	FeatureHop2                           // FeatureSpec.Hop2, X2 of every hop-2 node
)

func (g FeatureGroup) String() string {
	switch g {
	case FeatureTarget:
		return "target"
	case FeatureHop1:
		return "hop1"
	case FeatureHop2:
		return "hop2"
	}
	return fmt.Sprintf("FeatureGroup(%d)", uint8(g))
}

// FeatureContribution is the effect of one feature.
type FeatureContribution struct {
	Group FeatureGroup
	Index int    // into the group's feature vector
	Name  string // from the manifest's FeatureSpec; "" if it has none
	Delta float32
}

// occlusion is one edit of a copy of the explained row.
type occlusion struct {
	kind  uint8 // 1 hop-1 slot, 2 hop-2 slot, 3 feature
	slot  int   // hop-1 index (r,k) or hop-2 index (r,k,s,q) within the row
	group FeatureGroup
	index int
}

// Explain explains the score of b's row i (0 ≤ i < b.B). All occluded
// copies of the row are scored together, in as few forwards as the
// buckets allow (the largest bucket's rows per forward). Errors wrap
// ErrBatch.
func (md *Model) Explain(b *sampling.Batch, i int) (Explanation, error) {
	if err := checkBatch(md.d, b); err != nil {
		return Explanation{}, err
	}
	if i < 0 || i >= b.B {
		return Explanation{}, fmt.Errorf("%w: row %d of a batch of %d", ErrBatch, i, b.B)
	}
	d := md.d
	n1, n2 := d.K1, d.K1*d.R2*d.K2 // hop-1 and hop-2 slots per (relation, row)
	occ := []occlusion{{}}         // row 0: unedited
	for r := range d.R1 {
		for k := range n1 {
			if b.M1[(r*b.B+i)*n1+k] != 0 {
				occ = append(occ, occlusion{kind: 1, slot: r*n1 + k})
			}
		}
	}
	if md.opts.hop2 {
		for r := range d.R1 {
			for q := range n2 {
				if b.M2[(r*b.B+i)*n2+q] != 0 {
					occ = append(occ, occlusion{kind: 2, slot: r*n2 + q})
				}
			}
		}
	}
	for _, g := range []struct {
		group FeatureGroup
		n     int
	}{{FeatureTarget, d.F0}, {FeatureHop1, d.F1}, {FeatureHop2, d.F2}} {
		for f := range g.n {
			occ = append(occ, occlusion{kind: 3, group: g.group, index: f})
		}
	}

	ob := repeatRow(b, i, len(occ))
	for j, o := range occ {
		editRow(ob, j, o)
	}
	z, err := md.logits(ob)
	if err != nil {
		return Explanation{}, err
	}
	ex := Explanation{Score: sigmoid(z[0])}
	if i < len(b.Targets) {
		ex.Target = b.Targets[i]
	}
	for j, o := range occ[1:] {
		delta := z[0] - z[j+1]
		switch o.kind {
		case 1, 2:
			ex.Neighbours = append(ex.Neighbours, md.neighbour(b, i, o, delta))
		case 3:
			ex.Features = append(ex.Features, FeatureContribution{
				Group: o.group, Index: o.index, Name: md.featureName(o.group, o.index), Delta: delta})
		}
	}
	byMagnitude := func(a, b float32) int { return cmp.Compare(abs32(b), abs32(a)) }
	slices.SortStableFunc(ex.Neighbours, func(a, b NeighbourContribution) int { return byMagnitude(a.Delta, b.Delta) })
	slices.SortStableFunc(ex.Features, func(a, b FeatureContribution) int { return byMagnitude(a.Delta, b.Delta) })
	return ex, nil
}

func (md *Model) neighbour(b *sampling.Batch, i int, o occlusion, delta float32) NeighbourContribution {
	d := md.d
	nc := NeighbourContribution{Hop: int(o.kind), Delta: delta}
	if o.kind == 1 {
		r, k := o.slot/d.K1, o.slot%d.K1
		nc.Slot = (r*b.B+i)*d.K1 + k
		nc.Relation = name(md.man.Relations1, r)
		if nc.Slot < len(b.Hop1) {
			nc.Node = b.Hop1[nc.Slot]
		}
		return nc
	}
	n2 := d.K1 * d.R2 * d.K2
	r, q := o.slot/n2, o.slot%n2
	s := q / d.K2 % d.R2
	nc.Slot = (r*b.B+i)*n2 + q
	nc.Relation = name(md.man.Relations1, r) + "/" + name(md.man.Relations2, s)
	if nc.Slot < len(b.Hop2) {
		nc.Node = b.Hop2[nc.Slot]
	}
	return nc
}

func (md *Model) featureName(g FeatureGroup, i int) string {
	fs := md.man.Features
	switch g {
	case FeatureTarget:
		if i < len(fs.Target) {
			return fs.Target[i].Name
		}
	case FeatureHop1:
		if i < len(fs.Hop1) {
			return fs.Hop1[i].Name
		}
	case FeatureHop2:
		if i < len(fs.Hop2) {
			return fs.Hop2[i].Name
		}
	}
	return ""
}

func name(names []string, i int) string {
	if i < len(names) {
		return names[i]
	}
	return fmt.Sprint(i)
}

// repeatRow returns a batch of n copies of b's row i (features and masks
// only, no refs).
func repeatRow(b *sampling.Batch, i, n int) *sampling.Batch {
	out := &sampling.Batch{B: n, F0: b.F0, F1: b.F1, F2: b.F2, R1: b.R1, R2: b.R2, K1: b.K1, K2: b.K2}
	n1, n2 := b.K1, b.K1*b.R2*b.K2
	rep := func(dst, src []float32) []float32 {
		for range n {
			dst = append(dst, src...)
		}
		return dst
	}
	out.X0 = rep(make([]float32, 0, n*b.F0), b.X0[i*b.F0:(i+1)*b.F0])
	for r := range b.R1 {
		o := r*b.B + i
		out.X1 = rep(out.X1, b.X1[o*n1*b.F1:(o+1)*n1*b.F1])
		out.M1 = rep(out.M1, b.M1[o*n1:(o+1)*n1])
		out.X2 = rep(out.X2, b.X2[o*n2*b.F2:(o+1)*n2*b.F2])
		out.M2 = rep(out.M2, b.M2[o*n2:(o+1)*n2])
	}
	return out
}

// editRow applies o to row j of ob, a batch made by repeatRow.
func editRow(ob *sampling.Batch, j int, o occlusion) {
	n1, n2 := ob.K1, ob.K1*ob.R2*ob.K2
	switch o.kind {
	case 1:
		r, k := o.slot/n1, o.slot%n1
		ob.M1[(r*ob.B+j)*n1+k] = 0
	case 2:
		r, q := o.slot/n2, o.slot%n2
		ob.M2[(r*ob.B+j)*n2+q] = 0
	case 3:
		switch o.group {
		case FeatureTarget:
			ob.X0[j*ob.F0+o.index] = 0
		case FeatureHop1:
			for r := range ob.R1 {
				for k := range n1 {
					ob.X1[((r*ob.B+j)*n1+k)*ob.F1+o.index] = 0
				}
			}
		case FeatureHop2:
			for r := range ob.R1 {
				for q := range n2 {
					ob.X2[((r*ob.B+j)*n2+q)*ob.F2+o.index] = 0
				}
			}
		}
	}
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// sigmoid is the model's output function, in float64 for accuracy.
func sigmoid(z float32) float32 { return float32(1 / (1 + math.Exp(-float64(z)))) }
