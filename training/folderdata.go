package training

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/riskgraph/riskgraph/feature"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/sampling"
)

// Defaults of FolderConfig.
const (
	DefaultFolderK1 = 10
	DefaultFolderK2 = 5
	// FolderFeatureVersion is the FeatureSpec version of models trained
	// on a labelled-graph folder.
	FolderFeatureVersion = "folder-v1"
	// folderExtraKey holds the folderSpec in FeatureSpec.Extra.
	folderExtraKey = "folder"
	// quantileLevels is the number of quantiles a column's transform
	// keeps (scikit-learn's QuantileTransformer keeps 1,000; 200 is as good on the benchmark data and keeps manifests small).
	quantileLevels = 200
)

// Directions says how a folder's edge files become model relations.
type Directions string

// Directions.
const (
	// Both makes each edge file two relations: R (a node's out-edges,
	// src → dst) and R_rev (its in-edges), so the model can tell payer
	// from payee.
	Both Directions = "both"
	// Out keeps only R: a node's out-neighbours.
	Out Directions = "out"
	// Undirected merges both directions into R.
	Undirected Directions = "undirected"
)

// Transforms of the node columns before standardisation.
const (
	// TransformQuantile maps each column through its training
	// distribution to a standard normal (rank-Gauss, as scikit-learn's
	// QuantileTransformer(output_distribution="normal")): heavy tails,
	// ratios and scaled-to-[0,1] financials all become well-conditioned.
	TransformQuantile = "quantile"
	// TransformStandard only standardises: (x − mean)/std.
	TransformStandard = "standard"
)

// FolderConfig says how a Folder becomes model inputs. Zero fields take
// the documented defaults.
type FolderConfig struct {
	// Relations names the edge files used (nil → all of them).
	Relations []string `json:"relations,omitempty"`
	// Directions (default Both).
	Directions Directions `json:"directions,omitempty"`
	// K1 and K2 are the hop-1 and hop-2 fanouts per relation (0 →
	// DefaultFolderK1, 10, and DefaultFolderK2, 5; at most 1024).
	K1 int `json:"k1,omitempty"`
	K2 int `json:"k2,omitempty"`
	// Structure chooses the graph-derived columns added to the node
	// features.
	Structure StructureConfig `json:"structure"`
	// Transform is TransformQuantile (the default) or TransformStandard.
	Transform string `json:"transform,omitempty"`
	// Seed seeds the neighbour sampling.
	Seed uint64 `json:"seed"`
	// Fixed keeps the evaluation sample of neighbours in every training
	// epoch; by default each epoch draws its own (GraphSAGE's
	// resampling, a data augmentation).
	Fixed bool `json:"fixed,omitempty"`
}

func (c FolderConfig) withDefaults() FolderConfig {
	if c.Directions == "" {
		c.Directions = Both
	}
	if c.K1 == 0 {
		c.K1 = DefaultFolderK1
	}
	if c.K2 == 0 {
		c.K2 = DefaultFolderK2
	}
	if c.Transform == "" {
		c.Transform = TransformQuantile
	}
	c.Structure = c.Structure.withDefaults()
	return c
}

// Validate reports the first field out of range, wrapping ErrConfig.
func (c FolderConfig) Validate() error {
	d := c.withDefaults()
	switch {
	case d.Directions != Both && d.Directions != Out && d.Directions != Undirected:
		return fmt.Errorf("%w: directions %q: want both, out or undirected", ErrConfig, c.Directions)
	case d.K1 < 1 || d.K1 > 1024 || d.K2 < 1 || d.K2 > 1024:
		return fmt.Errorf("%w: fanouts %d, %d: want 1..1024", ErrConfig, d.K1, d.K2)
	case d.Transform != TransformQuantile && d.Transform != TransformStandard:
		return fmt.Errorf("%w: transform %q: want quantile or standard", ErrConfig, c.Transform)
	}
	return d.Structure.Validate()
}

// folderSpec is what a model trained on a folder records (in
// FeatureSpec.Extra) to rebuild its inputs from the same folder: the
// config and the fitted per-column transform.
type folderSpec struct {
	Config FolderConfig `json:"config"`
	// Columns are the node file's feature columns the model reads, in
	// order; the structure columns follow them.
	Columns []string `json:"columns"`
	// Quantiles[j] are column j's training quantiles at evenly spaced
	// levels (TransformQuantile only).
	Quantiles [][]float64 `json:"quantiles,omitempty"`
}

// folderGraph is a Folder ready for the model: its relations as
// adjacencies and its nodes' normalised feature vectors.
type folderGraph struct {
	f     *Folder
	cfg   FolderConfig
	rels  []string // model relation names, Relations1 = Relations2
	adj   []adjacency
	names []string
	feat  []float32 // n × F, transformed and normalised
	spec  artefact.FeatureSpec
	dead  []bool // columns constant in the training rows
}

// newFolderGraph prepares f. With fitted nil it fits the transform and
// the normalisation on the rows where fitRows is true; otherwise it
// applies fitted (read back from a model's FeatureSpec).
func newFolderGraph(f *Folder, cfg FolderConfig, fitRows []bool, fitted *artefact.FeatureSpec) (*folderGraph, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	g := &folderGraph{f: f, cfg: cfg}
	n := len(f.IDs)
	use := cfg.Relations
	if use == nil {
		for _, r := range f.Relations {
			use = append(use, r.Name)
		}
	}
	var sub Folder // the relations used, for Structure
	sub.IDs = f.IDs
	for _, name := range use {
		r := f.Relation(name)
		if r == nil {
			return nil, fmt.Errorf("%w: relation %q: the data set has no edges_%s.csv[.gz]", ErrConfig, name, name)
		}
		sub.Relations = append(sub.Relations, *r)
		switch cfg.Directions {
		case Both:
			g.rels = append(g.rels, r.Name, r.Name+"_rev")
			g.adj = append(g.adj, buildAdjacency(n, r.Src, r.Dst, r.Time), buildAdjacency(n, r.Dst, r.Src, r.Time))
		case Out:
			g.rels = append(g.rels, r.Name)
			g.adj = append(g.adj, buildAdjacency(n, r.Src, r.Dst, r.Time))
		case Undirected:
			g.rels = append(g.rels, r.Name)
			var t []float64
			if r.Time != nil {
				t = append(slices.Clone(r.Time), r.Time...)
			}
			g.adj = append(g.adj, buildAdjacency(n, append(slices.Clone(r.Src), r.Dst...), append(slices.Clone(r.Dst), r.Src...), t))
		}
	}
	if len(g.rels) == 0 || len(g.rels) > 64 {
		return nil, fmt.Errorf("%w: %d model relations: want 1..64", ErrConfig, len(g.rels))
	}
	// Raw columns: the node file's, then the structure's.
	names := slices.Clone(f.FeatureNames)
	width := len(names)
	raw := f.X
	if !cfg.Structure.Off {
		snames, sx, err := Structure(&sub, cfg.Structure)
		if err != nil {
			return nil, err
		}
		for _, s := range snames {
			if slices.Contains(names, s) {
				return nil, fmt.Errorf("%w: the node file has a column %q, a name the structure columns use", ErrData, s)
			}
		}
		names = append(names, snames...)
		raw = make([]float32, n*len(names))
		for v := range n {
			copy(raw[v*len(names):], f.X[v*width:(v+1)*width])
			copy(raw[v*len(names)+width:], sx[v*len(snames):(v+1)*len(snames)])
		}
		width = len(names)
	}
	if width == 0 {
		return nil, fmt.Errorf("%w: no feature columns (the node file has none and the structure columns are off)", ErrConfig)
	}
	g.names = names
	fs := folderSpec{Config: cfg, Columns: f.FeatureNames}
	var stats []artefact.FeatureStat
	if fitted == nil {
		if cfg.Transform == TransformQuantile {
			fs.Quantiles = fitQuantiles(raw, width, fitRows)
		}
	} else {
		var err error
		if fs, err = decodeFolderSpec(*fitted); err != nil {
			return nil, err
		}
		if !slices.Equal(fs.Columns, f.FeatureNames) {
			return nil, fmt.Errorf("%w: the model reads node columns %q, the data set has %q", ErrModel, fs.Columns, f.FeatureNames)
		}
		if len(fitted.Target) != width {
			return nil, fmt.Errorf("%w: the model has %d features, the data set gives %d", ErrModel, len(fitted.Target), width)
		}
		stats = fitted.Target
	}
	g.feat = make([]float32, len(raw))
	copy(g.feat, raw)
	if fs.Quantiles != nil {
		if len(fs.Quantiles) != width {
			return nil, fmt.Errorf("%w: %d quantile columns for %d features", ErrModel, len(fs.Quantiles), width)
		}
		applyQuantiles(g.feat, width, fs.Quantiles)
	}
	if stats == nil {
		s := feature.NewStats(names)
		for v := range n {
			if fitRows[v] {
				s.Add(g.feat[v*width : (v+1)*width])
			}
		}
		stats, g.dead = robustStats(s.FeatureStats())
	}
	norm, err := feature.NewNorm(names, stats)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModel, err)
	}
	for v := range n {
		norm.Apply(g.feat[v*width : (v+1)*width])
	}
	g.spec = artefact.FeatureSpec{Version: FolderFeatureVersion, Target: stats, Hop1: stats, Hop2: stats,
		Extra: map[string]any{folderExtraKey: fs}}
	return g, nil
}

// decodeFolderSpec reads the folderSpec of a model's FeatureSpec (a
// typed value when built here, a JSON object when loaded).
func decodeFolderSpec(spec artefact.FeatureSpec) (folderSpec, error) {
	var fs folderSpec
	if spec.Version != FolderFeatureVersion {
		return fs, fmt.Errorf("%w: feature version %q: the model was not trained on a labelled-graph folder", ErrModel, spec.Version)
	}
	raw, err := json.Marshal(spec.Extra[folderExtraKey])
	if err != nil {
		return fs, fmt.Errorf("%w: features.extra.%s: %w", ErrModel, folderExtraKey, err)
	}
	if err := json.Unmarshal(raw, &fs); err != nil {
		return fs, fmt.Errorf("%w: features.extra.%s: %w", ErrModel, folderExtraKey, err)
	}
	if err := fs.Config.Validate(); err != nil {
		return fs, fmt.Errorf("%w: features.extra.%s: %w", ErrModel, folderExtraKey, err)
	}
	for j, q := range fs.Quantiles {
		if len(q) < 2 || !slices.IsSorted(q) {
			return fs, fmt.Errorf("%w: features.extra.%s: quantiles of column %d are not a sorted list", ErrModel, folderExtraKey, j)
		}
	}
	return fs, nil
}

// fitQuantiles returns each column's quantiles over the rows where use is
// true, at quantileLevels evenly spaced levels (linear interpolation).
func fitQuantiles(x []float32, width int, use []bool) [][]float64 {
	n := len(x) / width
	out := make([][]float64, width)
	col := make([]float64, 0, n)
	for j := range width {
		col = col[:0]
		for v := range n {
			if use[v] {
				col = append(col, float64(x[v*width+j]))
			}
		}
		slices.Sort(col)
		q := make([]float64, quantileLevels)
		for i := range q {
			p := float64(i) / float64(quantileLevels-1) * float64(len(col)-1)
			lo := int(p)
			if lo >= len(col)-1 {
				q[i] = col[len(col)-1]
				continue
			}
			q[i] = col[lo] + (p-float64(lo))*(col[lo+1]-col[lo])
		}
		out[j] = q
	}
	return out
}

// applyQuantiles maps each column through its quantiles to a standard
// normal: the level of x is interpolated among the quantiles (averaging
// the first and last positions of a run of equal quantiles, as
// scikit-learn does, so a constant stretch maps to its middle level),
// clipped to [1e-7, 1 − 1e-7] and passed through the normal quantile
// function.
func applyQuantiles(x []float32, width int, qs [][]float64) {
	const clip = 1e-7
	for i, v := range x {
		q := qs[i%width]
		lv := (levelOf(q, float64(v), false) + levelOf(q, float64(v), true)) / 2
		lv = min(max(lv, clip), 1-clip)
		x[i] = float32(math.Sqrt2 * math.Erfinv(2*lv-1))
	}
}

// levelOf interpolates the level in [0, 1] of x among the sorted
// quantiles q (evenly spaced levels), taking the first (last) position of
// a run of equal values when last is false (true).
func levelOf(q []float64, x float64, last bool) float64 {
	n := len(q)
	if x <= q[0] && !last || x < q[0] {
		return 0
	}
	if x >= q[n-1] && last || x > q[n-1] {
		return 1
	}
	var i int // q[i] <= x < q[i+1] (first) or q[i] < x <= q[i+1] (last)
	if last {
		i = sortSearch(n, func(k int) bool { return q[k] >= x }) - 1
	} else {
		i = sortSearch(n, func(k int) bool { return q[k] > x }) - 1
	}
	i = min(max(i, 0), n-2)
	lo, hi := q[i], q[i+1]
	frac := 0.0
	if hi > lo {
		frac = (x - lo) / (hi - lo)
	} else if last {
		frac = 1
	}
	return (float64(i) + frac) / float64(n-1)
}

func sortSearch(n int, f func(int) bool) int {
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if !f(m) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// dims returns the model dimensions for hidden width h.
func (g *folderGraph) dims(h int) artefact.Dims {
	F, R := len(g.names), len(g.rels)
	return artefact.Dims{F0: F, F1: F, F2: F, R1: R, R2: R, K1: g.cfg.K1, K2: g.cfg.K2, H: h}
}

// pick appends to dst the neighbours of v under relation r used in
// sampling: all of them when there are at most k, else k drawn uniformly
// without replacement (Floyd's algorithm) from a stream seeded by the
// config's seed, v, r, the hop and the epoch (−1: evaluation), listed in
// adjacency order (most recent first). A node's sample does not depend
// on the other nodes of the batch.
func (g *folderGraph) pick(v int32, r, k, hop, epoch int, dst []int32) []int32 {
	nb := g.adj[r].of(v)
	if len(nb) <= k {
		return append(dst, nb...)
	}
	rng := rand.New(rand.NewPCG(g.cfg.Seed, mix(uint64(v), uint64(r)<<8|uint64(hop), uint64(int64(epoch)))))
	start := len(dst)
	for j := len(nb) - k; j < len(nb); j++ {
		t := int32(rng.IntN(j + 1))
		if slices.Contains(dst[start:], t) {
			t = int32(j)
		}
		dst = append(dst, t)
	}
	chosen := dst[start:]
	slices.Sort(chosen)
	for i, t := range chosen {
		chosen[i] = nb[t]
	}
	return dst
}

// mix hashes its arguments into one stream selector (splitmix64's
// finaliser over a running combination).
func mix(xs ...uint64) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, x := range xs {
		h ^= x + 0x9e3779b97f4a7c15 + h<<6 + h>>2
		h ^= h >> 30
		h *= 0xbf58476d1ce4e5b9
		h ^= h >> 27
		h *= 0x94d049bb133111eb
		h ^= h >> 31
	}
	return h
}

// record writes node v's trainer record (see sage.go) into rec, which
// must be zeroed.
func (g *folderGraph) record(l *layout, v int32, epoch int, rec []float32, buf *[2][]int32) {
	d := l.d
	F := len(g.names)
	copy(rec[:F], g.feat[int(v)*F:(int(v)+1)*F])
	for r := range d.R1 {
		buf[0] = g.pick(v, r, d.K1, 1, epoch, buf[0][:0])
		for k, w := range buf[0] {
			slot := rec[d.F0+(r*d.K1+k)*l.slot:]
			slot[0] = 1
			copy(slot[1:1+F], g.feat[int(w)*F:(int(w)+1)*F])
			for s := range d.R2 {
				buf[1] = g.pick(w, s, d.K2, 2, epoch, buf[1][:0])
				if len(buf[1]) == 0 {
					continue
				}
				a2 := slot[1+F+s*F : 1+F+(s+1)*F]
				for _, x := range buf[1] {
					for f, val := range g.feat[int(x)*F : (int(x)+1)*F] {
						a2[f] += val
					}
				}
				inv := 1 / float32(len(buf[1]))
				for f := range a2 {
					a2[f] *= inv
				}
			}
		}
	}
}

// batch fills b with nodes in the sampling.Batch layout (evaluation
// sampling when epoch is −1), for gnn.Model and the batch export.
func (g *folderGraph) batch(d artefact.Dims, nodes []int32, epoch int, b *sampling.Batch) {
	B, F := len(nodes), len(g.names)
	*b = sampling.Batch{B: B, F0: F, F1: F, F2: F, R1: d.R1, R2: d.R2, K1: d.K1, K2: d.K2,
		X0: make([]float32, B*F),
		X1: make([]float32, d.R1*B*d.K1*F), M1: make([]float32, d.R1*B*d.K1),
		X2: make([]float32, d.R1*B*d.K1*d.R2*d.K2*F), M2: make([]float32, d.R1*B*d.K1*d.R2*d.K2)}
	var h1, h2 []int32
	for i, v := range nodes {
		copy(b.X0[i*F:], g.feat[int(v)*F:(int(v)+1)*F])
		for r := range d.R1 {
			h1 = g.pick(v, r, d.K1, 1, epoch, h1[:0])
			for k, w := range h1 {
				s1 := (r*B+i)*d.K1 + k
				b.M1[s1] = 1
				copy(b.X1[s1*F:], g.feat[int(w)*F:(int(w)+1)*F])
				for s := range d.R2 {
					h2 = g.pick(w, s, d.K2, 2, epoch, h2[:0])
					for j, x := range h2 {
						s2 := (s1*d.R2+s)*d.K2 + j
						b.M2[s2] = 1
						copy(b.X2[s2*F:], g.feat[int(x)*F:(int(x)+1)*F])
					}
				}
			}
		}
	}
}

// folderSource is a source over some nodes of a folderGraph.
type folderSource struct {
	g      *folderGraph
	l      *layout
	nodes  []int32
	labels []float32
	buf    [2][]int32
}

func (s *folderSource) Len() int            { return len(s.nodes) }
func (s *folderSource) Label(i int) float32 { return s.labels[i] }

func (s *folderSource) Fill(ctx context.Context, rows []int, epoch int, dst []float32) error {
	if s.g.cfg.Fixed {
		epoch = -1
	}
	clear(dst)
	for j, i := range rows {
		s.g.record(s.l, s.nodes[i], epoch, dst[j*s.l.rec:(j+1)*s.l.rec], &s.buf)
	}
	return ctx.Err()
}
