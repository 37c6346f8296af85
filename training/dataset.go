package training

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/riskgraph/riskgraph/feature"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/sampling"
)

// Graph is what a Dataset reads: the sampler's reads and the enumeration
// of transactions. graph.Store satisfies it.
type Graph interface {
	sampling.Graph
	Nodes(ctx context.Context, k graph.Kind, fn func(graph.Node) bool) error
}

var _ Graph = graph.Store(nil)

// Defaults of DatasetConfig.
const (
	DefaultValFraction = 0.2
	DefaultBatchSize   = 256
	DefaultWorkers     = 2
)

// DatasetConfig configures NewDataset. Zero fields take the documented
// defaults.
type DatasetConfig struct {
	// Sampling is the sampler configuration. Its Target must be zero or
	// graph.KindTransaction (zero → Transaction); its Spec must be nil:
	// the data set computes the normalisation.
	Sampling sampling.Config
	// Cut is the start of the validation period: transactions strictly
	// before it train, those at or after it validate. Zero → the time
	// that leaves the last ValFraction of the labelled transactions' time
	// range (first to last) for validation.
	Cut time.Time
	// ValFraction is the fraction of the time range validated on when Cut
	// is zero (0 → DefaultValFraction, 0.2); in (0, 1).
	ValFraction float64
	// NegPerPos, when > 0, keeps at most NegPerPos legit rows per positive
	// row of the training split, a seeded uniform sample (the trainer's
	// class weight restores the balance); 0 keeps them all. The
	// validation split is never sub-sampled, so its metrics are those of
	// the true class balance.
	NegPerPos int
	// Seed seeds the sub-sampling of negatives.
	Seed uint64
	// BatchSize is the rows per sampled Batch (0 → DefaultBatchSize, 256).
	BatchSize int
	// Workers is the number of samplers run in parallel (0 →
	// DefaultWorkers, 2). The batches do not depend on it.
	Workers int
}

func (c DatasetConfig) withDefaults() DatasetConfig {
	if c.Sampling.Target == 0 {
		c.Sampling.Target = graph.KindTransaction
	}
	if c.ValFraction == 0 {
		c.ValFraction = DefaultValFraction
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	return c
}

// Validate reports the first field out of range, wrapping ErrConfig (or
// the sampling package's errors for Sampling).
func (c DatasetConfig) Validate() error {
	d := c.withDefaults()
	switch {
	case d.Sampling.Target != graph.KindTransaction:
		return fmt.Errorf("%w: target %v: the data set labels transactions", ErrConfig, d.Sampling.Target)
	case d.Sampling.Spec != nil:
		return fmt.Errorf("%w: sampling spec set: the data set computes the normalisation", ErrConfig)
	case !(d.ValFraction > 0 && d.ValFraction < 1):
		return fmt.Errorf("%w: validation fraction %v: want (0, 1)", ErrConfig, c.ValFraction)
	case d.NegPerPos < 0:
		return fmt.Errorf("%w: negatives per positive %d < 0", ErrConfig, d.NegPerPos)
	case d.BatchSize < 1 || d.BatchSize > 65536:
		return fmt.Errorf("%w: batch size %d: want 1..65536", ErrConfig, d.BatchSize)
	case d.Workers < 1 || d.Workers > 256:
		return fmt.Errorf("%w: workers %d: want 1..256", ErrConfig, d.Workers)
	}
	return d.Sampling.Validate()
}

// Example is one labelled target.
type Example struct {
	// Ref is the Transaction.
	Ref graph.NodeRef
	// Time is the transaction's time: its as-of time.
	Time time.Time
	// Label is 1 for fraud or laundering, 0 for legit.
	Label float32
}

// Dataset is a temporally split set of labelled transactions and the
// normalisation computed on its training split.
type Dataset struct {
	// Train holds the training examples (after sub-sampling), Val the
	// validation examples, each sorted by time then id.
	Train, Val []Example
	// Cut is the start of the validation period: every Train example is
	// strictly before it, every Val example at or after it.
	Cut time.Time
	// Spec is the feature schema with the training split's statistics,
	// for the manifest and for sampling.Config.Spec.
	Spec artefact.FeatureSpec

	g   Graph
	cfg DatasetConfig
}

// NewDataset reads every labelled transaction of g, splits them at the
// cut-off and computes the normalisation on the raw features of the
// training split. It fails with ErrNoData when either split is empty or
// the training split lacks a class.
func NewDataset(ctx context.Context, g Graph, cfg DatasetConfig) (*Dataset, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	var all []Example
	err := g.Nodes(ctx, graph.KindTransaction, func(n graph.Node) bool {
		if n.Label == "" {
			return true
		}
		var y float32
		if n.Label.Positive() {
			y = 1
		}
		all = append(all, Example{Ref: n.Ref, Time: n.First, Label: y})
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("training: listing transactions: %w", err)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("%w: no labelled transactions", ErrNoData)
	}
	slices.SortFunc(all, func(a, b Example) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Ref.ID, b.Ref.ID))
	})
	d := &Dataset{g: g, cfg: cfg, Cut: cfg.Cut}
	if d.Cut.IsZero() {
		first, last := all[0].Time, all[len(all)-1].Time
		span := last.Sub(first)
		d.Cut = first.Add(span - time.Duration(float64(span)*cfg.ValFraction))
	}
	split, _ := slices.BinarySearchFunc(all, d.Cut, func(e Example, t time.Time) int {
		if e.Time.Before(t) {
			return -1
		}
		return 1
	})
	d.Train, d.Val = subsample(all[:split], cfg.NegPerPos, cfg.Seed), all[split:]
	if err := checkSplit("training", d.Train); err != nil {
		return nil, err
	}
	if len(d.Val) == 0 {
		return nil, fmt.Errorf("%w: no validation rows at or after %v", ErrNoData, d.Cut)
	}
	if d.Spec, err = d.stats(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// checkSplit reports a split that is empty or has a single class.
func checkSplit(name string, ex []Example) error {
	var pos int
	for _, e := range ex {
		pos += int(e.Label)
	}
	if pos == 0 || pos == len(ex) {
		return fmt.Errorf("%w: %s split has %d rows, %d positive", ErrNoData, name, len(ex), pos)
	}
	return nil
}

// subsample keeps every positive of ex and at most negPerPos negatives
// per positive, a uniform sample seeded with seed, preserving order.
// negPerPos 0 keeps everything. ex is not modified.
func subsample(ex []Example, negPerPos int, seed uint64) []Example {
	var neg []int
	for i, e := range ex {
		if e.Label == 0 {
			neg = append(neg, i)
		}
	}
	keep := (len(ex) - len(neg)) * negPerPos
	if negPerPos == 0 || len(neg) <= keep {
		return slices.Clone(ex)
	}
	rng := rand.New(rand.NewPCG(seed, 0x7261696e)) // "rain"
	rng.Shuffle(len(neg), func(i, j int) { neg[i], neg[j] = neg[j], neg[i] })
	drop := make([]bool, len(ex))
	for _, i := range neg[keep:] {
		drop[i] = true
	}
	out := make([]Example, 0, len(ex)-len(neg)+keep)
	for i, e := range ex {
		if !drop[i] {
			out = append(out, e)
		}
	}
	return out
}

// stats samples the training split raw and returns the feature spec with
// its per-position statistics.
func (d *Dataset) stats(ctx context.Context) (artefact.FeatureSpec, error) {
	layout, err := feature.Schema(d.cfg.Sampling.Target)
	if err != nil {
		return artefact.FeatureSpec{}, err
	}
	// Each chunk's statistics are merged in chunk order, so the result does
	// not depend on the scheduling of the workers.
	chunks := make([][3]*feature.Stats, numChunks(len(d.Train), d.cfg.BatchSize))
	err = d.sample(ctx, d.cfg.Sampling, d.Train, func(c int, b *sampling.Batch) {
		s := [3]*feature.Stats{feature.NewStats(layout.Target), feature.NewStats(layout.Hop1), feature.NewStats(layout.Hop2)}
		b.Accumulate(s[0], s[1], s[2])
		chunks[c] = s
	})
	if err != nil {
		return artefact.FeatureSpec{}, err
	}
	total := [3]*feature.Stats{feature.NewStats(layout.Target), feature.NewStats(layout.Hop1), feature.NewStats(layout.Hop2)}
	for _, c := range chunks {
		for p := range total {
			total[p].Merge(c[p])
		}
	}
	return layout.Spec(d.cfg.Sampling.Features, total[0].FeatureStats(), total[1].FeatureStats(), total[2].FeatureStats())
}

// SamplingConfig returns the sampler configuration the model serves with:
// the data set's, with Spec set to the training normalisation.
func (d *Dataset) SamplingConfig() sampling.Config {
	c := d.cfg.Sampling
	spec := d.Spec
	c.Spec = &spec
	return c.WithDefaults()
}

// Batches samples ex, normalised with the data set's Spec, into batches of
// at most BatchSize rows in ex's order, with their 0/1 labels.
func (d *Dataset) Batches(ctx context.Context, ex []Example) ([]*sampling.Batch, [][]float32, error) {
	n := numChunks(len(ex), d.cfg.BatchSize)
	bs, ls := make([]*sampling.Batch, n), make([][]float32, n)
	err := d.sample(ctx, d.SamplingConfig(), ex, func(c int, b *sampling.Batch) {
		bs[c] = b
		lo := c * d.cfg.BatchSize
		l := make([]float32, b.B)
		for i := range l {
			l[i] = ex[lo+i].Label
		}
		ls[c] = l
	})
	if err != nil {
		return nil, nil, err
	}
	return bs, ls, nil
}

func numChunks(n, size int) int { return (n + size - 1) / size }

// sample samples ex in chunks of BatchSize with cfg, on Workers samplers
// in parallel, calling use(chunk, batch) for every chunk; use owns the
// batch. Calls for different chunks may run concurrently.
func (d *Dataset) sample(ctx context.Context, cfg sampling.Config, ex []Example, use func(c int, b *sampling.Batch)) error {
	n := numChunks(len(ex), d.cfg.BatchSize)
	workers := min(d.cfg.Workers, max(n, 1))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	samplers := make([]*sampling.Sampler, workers)
	for w := range samplers {
		var err error
		if samplers[w], err = sampling.New(d.g, cfg); err != nil {
			return err
		}
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w, s := range samplers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			targets := make([]sampling.Target, 0, d.cfg.BatchSize)
			for c := w; c < n; c += workers {
				lo, hi := c*d.cfg.BatchSize, min((c+1)*d.cfg.BatchSize, len(ex))
				targets = targets[:0]
				for _, e := range ex[lo:hi] {
					targets = append(targets, sampling.Target{Ref: e.Ref, At: e.Time})
				}
				b := new(sampling.Batch)
				if err := s.Sample(ctx, targets, b); err != nil {
					errs[w] = fmt.Errorf("training: sampling rows %d..%d: %w", lo, hi, err)
					cancel()
					return
				}
				use(c, b)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}
