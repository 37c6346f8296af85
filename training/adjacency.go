package training

import (
	"cmp"
	"math"
	"slices"
)

// adjacency is a compressed, de-duplicated neighbour list: the distinct
// neighbours of node v are nb[off[v]:off[v+1]], most recently linked
// first (ties and untimed edges by node index), with, for each, the
// number of edges (mult) and the latest edge time (last; 0 untimed).
// Self-loops are dropped.
type adjacency struct {
	off  []int32
	nb   []int32
	mult []int32
	last []float64
}

// buildAdjacency indexes the edges from[i] → to[i] (time[i] when time is
// not nil) of n nodes by their from end.
func buildAdjacency(n int, from, to []int32, time []float64) adjacency {
	type pair struct {
		u, v int32
		t    float64
	}
	ps := make([]pair, 0, len(from))
	for i := range from {
		if from[i] == to[i] {
			continue
		}
		p := pair{from[i], to[i], 0}
		if time != nil {
			p.t = time[i]
		}
		ps = append(ps, p)
	}
	// Group by (u, v), latest time first.
	slices.SortFunc(ps, func(a, b pair) int {
		return cmp.Or(cmp.Compare(a.u, b.u), cmp.Compare(a.v, b.v), cmp.Compare(b.t, a.t))
	})
	type entry struct {
		u, v int32
		mult int32
		last float64
	}
	es := make([]entry, 0, len(ps))
	for i := 0; i < len(ps); {
		j := i
		for j < len(ps) && ps[j].u == ps[i].u && ps[j].v == ps[i].v {
			j++
		}
		es = append(es, entry{ps[i].u, ps[i].v, int32(j - i), ps[i].t})
		i = j
	}
	// Within each node, most recent first, then by index.
	slices.SortFunc(es, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.u, b.u), cmp.Compare(b.last, a.last), cmp.Compare(a.v, b.v))
	})
	a := adjacency{off: make([]int32, n+1), nb: make([]int32, len(es)), mult: make([]int32, len(es)), last: make([]float64, len(es))}
	for i, e := range es {
		a.nb[i], a.mult[i], a.last[i] = e.v, e.mult, e.last
		a.off[e.u+1]++
	}
	for v := range n {
		a.off[v+1] += a.off[v]
	}
	return a
}

// of returns v's neighbours.
func (a *adjacency) of(v int32) []int32 { return a.nb[a.off[v]:a.off[v+1]] }

// degree returns v's number of distinct neighbours.
func (a *adjacency) degree(v int32) int { return int(a.off[v+1] - a.off[v]) }

// has reports whether w is a neighbour of v (a linear scan: the lists
// are short, and long ones are read through a marker array instead).
func (a *adjacency) has(v, w int32) bool { return slices.Contains(a.of(v), w) }

// log1p is the compression every count and amount column goes through.
func log1p(x float64) float32 { return float32(math.Log1p(max(x, 0))) }
