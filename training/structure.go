package training

import "fmt"

// Defaults of StructureConfig.
const (
	DefaultMaxCycle    = 6
	DefaultCycleBudget = 4096
	// hubWalkCap: a node with more out-peers than this is not walked
	// through when counting 3-cycles (its own counts are still exact
	// for the cycles found from the other side's budget).
	hubWalkCap = 4096
)

// StructureConfig chooses the graph-derived node columns that ReadFolder
// data sets get next to their own features. Every column is computed
// from the edges alone, never from labels or splits, so it is the same
// at training and at evaluation time.
type StructureConfig struct {
	// Off leaves the node file's features alone.
	Off bool `json:"off,omitempty"`
	// MaxCycle is the longest directed cycle looked for through each
	// node (0 → DefaultMaxCycle, 6; 2..16).
	MaxCycle int `json:"max_cycle,omitempty"`
	// CycleBudget bounds the nodes each shortest-cycle search visits (0 →
	// DefaultCycleBudget, 4096): a node whose shortest cycle lies beyond
	// the budget gets no cycle. At most 1<<24.
	CycleBudget int `json:"cycle_budget,omitempty"`
}

func (c StructureConfig) withDefaults() StructureConfig {
	if c.MaxCycle == 0 {
		c.MaxCycle = DefaultMaxCycle
	}
	if c.CycleBudget == 0 {
		c.CycleBudget = DefaultCycleBudget
	}
	return c
}

// Validate reports a field out of range, wrapping ErrConfig.
func (c StructureConfig) Validate() error {
	d := c.withDefaults()
	switch {
	case d.MaxCycle < 2 || d.MaxCycle > 16:
		return fmt.Errorf("%w: max cycle %d: want 2..16", ErrConfig, c.MaxCycle)
	case d.CycleBudget < 1 || d.CycleBudget > 1<<24:
		return fmt.Errorf("%w: cycle budget %d: want 1..%d", ErrConfig, c.CycleBudget, 1<<24)
	}
	return nil
}

// Structure computes the graph-derived columns of f's nodes: names and a
// row-major len(f.IDs) × len(names) matrix. Counts and amounts are
// log1p-compressed. For each relation R and direction D (out: R's src
// side, in: its dst side):
//
//	g_R_D_edges    edges
//	g_R_D_peers    distinct counterparties
//	g_R_D_hub      the largest opposite-direction peer count among the
//	               counterparties: for out, the busiest receiver the node
//	               pays (a fan-in hub); for in, the busiest payer
//	g_R_D_hubmean  the same, averaged over the counterparties
//	g_R_D_maxmult  the most edges to one counterparty
//	g_R_D_amt_sum, _amt_mean, _amt_min, _amt_max   when R has amounts
//
// and over all relations together, as one directed graph:
//
//	g_recip        counterparties the node both sends to and receives from
//	               (its 2-cycles)
//	g_cyc3         directed 3-cycles u→v→w→u through the node
//	g_cycle        (MaxCycle+1−L)/(MaxCycle−1) for the shortest directed
//	               cycle through the node, of length L ≤ MaxCycle; 0 when
//	               none is found
//	g_burst, g_times, g_samestep   when some relation has times: the most
//	               edges of the node at one time value, its distinct time
//	               values, and the most identical edges (same ends, same
//	               time) it takes part in
func Structure(f *Folder, cfg StructureConfig) ([]string, []float32, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	cfg = cfg.withDefaults()
	n := len(f.IDs)
	var names []string
	var cols [][]float32
	add := func(name string) []float32 {
		c := make([]float32, n)
		names, cols = append(names, name), append(cols, c)
		return c
	}
	var allSrc, allDst []int32
	var allTime []float64
	timed := false
	for _, r := range f.Relations {
		if r.Time != nil {
			timed = true
		}
	}
	for _, r := range f.Relations {
		out := buildAdjacency(n, r.Src, r.Dst, r.Time)
		in := buildAdjacency(n, r.Dst, r.Src, r.Time)
		for _, dir := range []struct {
			name      string
			from, to  []int32
			adj, back *adjacency
		}{{"out", r.Src, r.Dst, &out, &in}, {"in", r.Dst, r.Src, &in, &out}} {
			p := "g_" + r.Name + "_" + dir.name + "_"
			edges, peers, hub, hubMean, maxMult := add(p+"edges"), add(p+"peers"), add(p+"hub"), add(p+"hubmean"), add(p+"maxmult")
			for v := range int32(n) {
				var m, big, sum int
				for k := dir.adj.off[v]; k < dir.adj.off[v+1]; k++ {
					m += int(dir.adj.mult[k])
					d := dir.back.degree(dir.adj.nb[k])
					big = max(big, d)
					sum += d
					maxMult[v] = max(maxMult[v], log1p(float64(dir.adj.mult[k])))
				}
				deg := dir.adj.degree(v)
				edges[v], peers[v], hub[v] = log1p(float64(m)), log1p(float64(deg)), log1p(float64(big))
				if deg > 0 {
					hubMean[v] = log1p(float64(sum) / float64(deg))
				}
			}
			if r.Amount != nil {
				amountColumns(n, dir.from, dir.to, r.Amount, add(p+"amt_sum"), add(p+"amt_mean"), add(p+"amt_min"), add(p+"amt_max"))
			}
		}
		allSrc, allDst = append(allSrc, r.Src...), append(allDst, r.Dst...)
		if timed {
			t := r.Time
			if t == nil {
				t = make([]float64, len(r.Src)) // an untimed relation: time 0
			}
			allTime = append(allTime, t...)
		}
	}
	out := buildAdjacency(n, allSrc, allDst, nil)
	in := buildAdjacency(n, allDst, allSrc, nil)
	cycleColumns(n, &out, &in, cfg, add("g_recip"), add("g_cyc3"), add("g_cycle"))
	if timed {
		timeColumns(n, allSrc, allDst, allTime, add("g_burst"), add("g_times"), add("g_samestep"))
	}
	x := make([]float32, n*len(cols))
	for j, c := range cols {
		for v, val := range c {
			x[v*len(cols)+j] = val
		}
	}
	return names, x, nil
}

// amountColumns fills the amount statistics of the edges from[i] → to[i]
// at their from end.
func amountColumns(n int, from, to []int32, amount []float64, sum, mean, lo, hi []float32) {
	s, c := make([]float64, n), make([]int, n)
	mn, mx := make([]float64, n), make([]float64, n)
	for i, v := range from {
		if v == to[i] {
			continue
		}
		a := amount[i]
		if c[v] == 0 || a < mn[v] {
			mn[v] = a
		}
		mx[v] = max(mx[v], a)
		s[v] += a
		c[v]++
	}
	for v := range n {
		if c[v] == 0 {
			continue
		}
		sum[v], mean[v], lo[v], hi[v] = log1p(s[v]), log1p(s[v]/float64(c[v])), log1p(mn[v]), log1p(mx[v])
	}
}

// cycleColumns fills g_recip, g_cyc3 and g_cycle from the union graph.
func cycleColumns(n int, out, in *adjacency, cfg StructureConfig, recip, cyc3, cycle []float32) {
	mark := make([]int32, n) // mark[w] == u+1: w → u exists
	seen := make([]int32, n) // seen[w] == u+1: w reached by u's search
	dist := make([]int8, n)
	queue := make([]int32, 0, cfg.CycleBudget)
	for u := range int32(n) {
		stamp := u + 1
		for _, w := range in.of(u) {
			mark[w] = stamp
		}
		var r, c3 int
		for _, v := range out.of(u) {
			if mark[v] == stamp {
				r++
			}
			if out.degree(v) > hubWalkCap {
				continue
			}
			for _, w := range out.of(v) {
				if w != u && mark[w] == stamp {
					c3++
				}
			}
		}
		recip[u], cyc3[u] = log1p(float64(r)), log1p(float64(c3))
		if in.degree(u) == 0 || out.degree(u) == 0 {
			continue
		}
		// Breadth-first from u: the first reached node with an edge back
		// to u closes the shortest cycle through u.
		queue = append(queue[:0], u)
		seen[u], dist[u] = stamp, 0
		found := 0
	search:
		for h := 0; h < len(queue); h++ {
			x := queue[h]
			if int(dist[x])+1 >= cfg.MaxCycle {
				break // a cycle through x's children would be too long
			}
			for _, w := range out.of(x) {
				if seen[w] == stamp {
					continue
				}
				seen[w], dist[w] = stamp, dist[x]+1
				if mark[w] == stamp {
					found = int(dist[w]) + 1
					break search
				}
				if len(queue) == cfg.CycleBudget {
					break search
				}
				queue = append(queue, w)
			}
		}
		if found >= 2 {
			cycle[u] = float32(cfg.MaxCycle+1-found) / float32(cfg.MaxCycle-1)
		}
	}
}

// timeColumns fills g_burst, g_times and g_samestep.
func timeColumns(n int, src, dst []int32, time []float64, burst, times, same []float32) {
	type key struct {
		v int32
		t float64
	}
	perStep := map[key]int{}
	type edge struct {
		s, d int32
		t    float64
	}
	identical := map[edge]int{}
	for i, s := range src {
		d, t := dst[i], time[i]
		if s == d {
			continue
		}
		perStep[key{s, t}]++
		perStep[key{d, t}]++
		identical[edge{s, d, t}]++
	}
	b, c := make([]int, n), make([]int, n)
	for k, m := range perStep {
		b[k.v] = max(b[k.v], m)
		c[k.v]++
	}
	sm := make([]int, n)
	for e, m := range identical {
		sm[e.s] = max(sm[e.s], m)
		sm[e.d] = max(sm[e.d], m)
	}
	for v := range n {
		burst[v], times[v], same[v] = log1p(float64(b[v])), log1p(float64(c[v])), log1p(float64(sm[v]))
	}
}
