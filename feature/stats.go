package feature

import (
	"fmt"
	"math"

	"github.com/riskgraph/riskgraph/gnn/artefact"
)

// MinStd is the floor of a normalisation's standard deviation, so that a
// constant column (a one-hot never set in training) normalises to 0
// instead of dividing by zero.
const MinStd = 1e-6

// Stats accumulates per-column means and variances of raw vectors with
// Welford's online algorithm (Welford 1962; Knuth, TAOCP vol. 2, 4.2.2),
// in float64. The zero Stats is not usable: call NewStats.
type Stats struct {
	names []string
	n     int64
	mean  []float64
	m2    []float64
}

// NewStats returns an accumulator for vectors with the given column names.
func NewStats(names []string) *Stats {
	return &Stats{names: names, mean: make([]float64, len(names)), m2: make([]float64, len(names))}
}

// Len returns the number of vectors added.
func (s *Stats) Len() int64 { return s.n }

// Add accumulates one vector; it panics if x is not as wide as the names.
func (s *Stats) Add(x []float32) {
	if len(x) != len(s.mean) {
		panic(fmt.Sprintf("feature: Stats.Add of %d columns, want %d", len(x), len(s.mean)))
	}
	s.n++
	inv := 1 / float64(s.n)
	for i, v := range x {
		d := float64(v) - s.mean[i]
		s.mean[i] += d * inv
		s.m2[i] += d * (float64(v) - s.mean[i])
	}
}

// Merge adds the vectors accumulated by o (Chan et al. 1979 pairwise
// update); o must have the same width.
func (s *Stats) Merge(o *Stats) {
	if len(o.mean) != len(s.mean) {
		panic("feature: Stats.Merge of different widths")
	}
	if o.n == 0 {
		return
	}
	n := s.n + o.n
	for i := range s.mean {
		d := o.mean[i] - s.mean[i]
		s.mean[i] += d * float64(o.n) / float64(n)
		s.m2[i] += o.m2[i] + d*d*float64(s.n)*float64(o.n)/float64(n)
	}
	s.n = n
}

// FeatureStats returns each column's name, mean and population standard
// deviation (floored at MinStd). With no vectors added, means are 0 and
// stds 1.
func (s *Stats) FeatureStats() []artefact.FeatureStat {
	out := make([]artefact.FeatureStat, len(s.mean))
	for i := range out {
		out[i] = artefact.FeatureStat{Name: s.names[i], Mean: 0, Std: 1}
		if s.n > 0 {
			out[i].Mean = s.mean[i]
			out[i].Std = max(math.Sqrt(s.m2[i]/float64(s.n)), MinStd)
		}
	}
	return out
}

// Norm is the (x-mean)/std transform of one vector position. The zero Norm
// is the identity (raw features).
type Norm struct {
	mean, inv []float32
}

// NewNorm builds the transform from a manifest's statistics, checking them
// against the expected column names; a mismatch, a non-finite mean or a
// std that is not > 0 is an error wrapping ErrSchema. Nil stats give the
// identity.
func NewNorm(names []string, stats []artefact.FeatureStat) (Norm, error) {
	if stats == nil {
		return Norm{}, nil
	}
	if err := checkNames("features", names, stats); err != nil {
		return Norm{}, err
	}
	n := Norm{mean: make([]float32, len(stats)), inv: make([]float32, len(stats))}
	for i, s := range stats {
		if math.IsNaN(s.Mean) || math.IsInf(s.Mean, 0) || !(s.Std > 0) || math.IsInf(s.Std, 0) {
			return Norm{}, fmt.Errorf("%w: %s: mean %g, std %g", ErrSchema, s.Name, s.Mean, s.Std)
		}
		n.mean[i], n.inv[i] = float32(s.Mean), float32(1/max(s.Std, MinStd))
	}
	return n, nil
}

// Identity reports whether n leaves vectors unchanged.
func (n Norm) Identity() bool { return n.mean == nil }

// Apply normalises x in place; it panics if x is not as wide as the
// statistics (unless n is the identity).
func (n Norm) Apply(x []float32) {
	if n.mean == nil {
		return
	}
	x = x[:len(n.mean)]
	for i := range x {
		x[i] = (x[i] - n.mean[i]) * n.inv[i]
	}
}
