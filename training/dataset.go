package training

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
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
	// Sampling is the sampler configuration. Its Target is
	// graph.KindTransaction (the default when zero: labelled
	// transactions, each as of its own time) or graph.KindAccount
	// (accounts with an entity label, each as of the time its label
	// became known); its Spec must be nil: the data set computes the
	// normalisation.
	Sampling sampling.Config
	// Cut is the start of the validation period: transactions strictly
	// before it train, those at or after it validate. Zero → the time
	// that leaves the last ValFraction of the labelled transactions' time
	// range (first to last) for validation.
	Cut time.Time
	// ValFraction is the fraction of the time range validated on when Cut
	// is zero (0 → DefaultValFraction, 0.2); in (0, 1).
	ValFraction float64
	// TestFraction, when > 0, adds a test split after the validation
	// period: the last TestFraction of the time range tests, the
	// ValFraction before it validates (their sum must be below 1). 0
	// leaves no test split, unless TestCut is set.
	TestFraction float64
	// TestCut, when set, is the start of the test period (at or after
	// Cut when Cut is set).
	TestCut time.Time
	// Assign, when not nil, splits the rows by id instead of by time (an
	// id,split file; see ReadSplitFile): labelled rows it does not name
	// are left out.
	Assign map[string]Split
	// Random, when set, splits the labelled rows at random instead, class
	// by class (stratified): TestFraction (0 → 0.2) of each class tests
	// and ValFraction validates, seeded with Seed.
	Random bool
	// NegPerPos, when > 0, keeps at most NegPerPos legit rows per positive
	// row of the training split, a seeded uniform sample (the trainer's
	// class weight restores the balance); 0 keeps them all. The
	// validation split is never sub-sampled, so its metrics are those of
	// the true class balance.
	NegPerPos int
	// StatsRows, when > 0, bounds the training rows the normalisation
	// statistics are computed on (a seeded uniform sample): a few tens of
	// thousands estimate means and deviations well, and sampling is the
	// cost. 0 uses every training row.
	StatsRows int
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
	if c.Random && c.TestFraction == 0 {
		c.TestFraction = DefaultSplitTest
	}
	return c
}

// Validate reports the first field out of range, wrapping ErrConfig (or
// the sampling package's errors for Sampling).
func (c DatasetConfig) Validate() error {
	d := c.withDefaults()
	switch {
	case d.Sampling.Target != graph.KindTransaction && d.Sampling.Target != graph.KindAccount:
		return fmt.Errorf("%w: target %v: want Transaction or Account", ErrConfig, d.Sampling.Target)
	case d.Sampling.Spec != nil:
		return fmt.Errorf("%w: sampling spec set: the data set computes the normalisation", ErrConfig)
	case !(d.ValFraction > 0 && d.ValFraction < 1):
		return fmt.Errorf("%w: validation fraction %v: want (0, 1)", ErrConfig, c.ValFraction)
	case !(d.TestFraction >= 0 && d.ValFraction+d.TestFraction < 1):
		return fmt.Errorf("%w: validation fraction %v and test fraction %v: want their sum below 1", ErrConfig, d.ValFraction, d.TestFraction)
	case !d.TestCut.IsZero() && !d.Cut.IsZero() && d.TestCut.Before(d.Cut):
		return fmt.Errorf("%w: test cut %v before the validation cut %v", ErrConfig, d.TestCut, d.Cut)
	case d.Random && d.Assign != nil:
		return fmt.Errorf("%w: a random split and a split file together", ErrConfig)
	case d.StatsRows < 0:
		return fmt.Errorf("%w: stats rows %d < 0", ErrConfig, d.StatsRows)
	case d.NegPerPos < 0:
		return fmt.Errorf("%w: negatives per positive %d < 0", ErrConfig, d.NegPerPos)
	case d.BatchSize < 1 || d.BatchSize > 65536:
		return fmt.Errorf("%w: batch size %d: want 1..65536", ErrConfig, d.BatchSize)
	case d.Workers < 1 || d.Workers > 256:
		return fmt.Errorf("%w: workers %d: want 1..256", ErrConfig, d.Workers)
	}
	return d.Sampling.Validate()
}

// Example is one target.
type Example struct {
	// Ref is the Transaction or the Account.
	Ref graph.NodeRef
	// Time is the as-of time: a transaction's own time; for an account,
	// when its label became known (graph.Node.LabelTime, or just after
	// its last edge when the store records no label time), or, for an
	// unlabelled account scored by Dataset.Targets, just after the
	// store's last edge.
	Time time.Time
	// Label is 1 for fraud or laundering, 0 for legit.
	Label float32
}

// Dataset is a split set of labelled targets and the normalisation
// computed on its training split.
type Dataset struct {
	// Train holds the training examples (after sub-sampling), Val the
	// validation examples and Test the test examples, each sorted by time
	// then id. Test is empty unless the config asks for a test split.
	Train, Val, Test []Example
	// Cut is the start of the validation period: every Train example is
	// strictly before it, every Val example at or after it. TestCut is
	// the start of the test period (zero without a temporal test split).
	// Both are zero for a file or random split.
	Cut, TestCut time.Time
	// Spec is the feature schema with the training split's statistics,
	// for the manifest and for sampling.Config.Spec.
	Spec artefact.FeatureSpec
	// Fingerprint is the hex SHA-256 of every labelled target's kind, id,
	// as-of time and label, in time order: what the model was trained
	// and evaluated on.
	Fingerprint string

	g   Graph
	cfg DatasetConfig
	end time.Time // just after the store's last edge
}

// NewDataset reads every labelled target of g, splits them (by time
// unless the config asks otherwise) and computes the normalisation on the
// raw features of the training split. It fails with ErrNoData when the
// training or validation split is empty or the training split lacks a
// class.
func NewDataset(ctx context.Context, g Graph, cfg DatasetConfig) (*Dataset, error) {
	d, err := newSplits(ctx, g, cfg)
	if err != nil {
		return nil, err
	}
	if d.Spec, err = d.stats(ctx); err != nil {
		return nil, err
	}
	if d.cfg.Sampling.Typology != nil {
		// The typology column carries detections: serving must feed the
		// same counter (feature.ExtraTypologyCounts).
		d.Spec.Extra = maps.Clone(d.Spec.Extra)
		if d.Spec.Extra == nil {
			d.Spec.Extra = map[string]any{}
		}
		d.Spec.Extra[feature.ExtraTypologyCounts] = TypologyCounter
	}
	return d, nil
}

// newSplits lists and splits the labelled targets, without statistics.
func newSplits(ctx context.Context, g Graph, cfg DatasetConfig) (*Dataset, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	d := &Dataset{g: g, cfg: cfg, Cut: cfg.Cut, TestCut: cfg.TestCut}
	all, err := d.labelled(ctx)
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("%w: no labelled %v targets", ErrNoData, cfg.Sampling.Target)
	}
	d.Fingerprint = fingerprint(all)
	var train []Example
	switch {
	case cfg.Assign != nil:
		d.Cut, d.TestCut = time.Time{}, time.Time{}
		for _, e := range all {
			switch cfg.Assign[e.Ref.ID] {
			case SplitTrain:
				train = append(train, e)
			case SplitVal:
				d.Val = append(d.Val, e)
			case SplitTest:
				d.Test = append(d.Test, e)
			}
		}
	case cfg.Random:
		d.Cut, d.TestCut = time.Time{}, time.Time{}
		labels := make([]int8, len(all))
		for i, e := range all {
			labels[i] = int8(e.Label)
		}
		sp := stratified(labels, SplitConfig{ValFraction: cfg.ValFraction, TestFraction: cfg.TestFraction, Seed: cfg.Seed})
		for i, e := range all {
			switch sp[i] {
			case SplitTrain:
				train = append(train, e)
			case SplitVal:
				d.Val = append(d.Val, e)
			case SplitTest:
				d.Test = append(d.Test, e)
			}
		}
	default:
		first, last := all[0].Time, all[len(all)-1].Time
		span := last.Sub(first)
		at := func(frac float64) time.Time { return first.Add(span - time.Duration(float64(span)*frac)) }
		if d.TestCut.IsZero() && cfg.TestFraction > 0 {
			d.TestCut = at(cfg.TestFraction)
		}
		if d.Cut.IsZero() {
			d.Cut = at(cfg.ValFraction + cfg.TestFraction)
			if !d.TestCut.IsZero() && cfg.TestFraction == 0 {
				d.Cut = d.TestCut.Add(-time.Duration(float64(span) * cfg.ValFraction))
			}
		}
		for _, e := range all {
			switch {
			case e.Time.Before(d.Cut):
				train = append(train, e)
			case d.TestCut.IsZero() || e.Time.Before(d.TestCut):
				d.Val = append(d.Val, e)
			default:
				d.Test = append(d.Test, e)
			}
		}
	}
	d.Train = subsample(train, cfg.NegPerPos, cfg.Seed)
	if err := checkSplit("training", d.Train); err != nil {
		return nil, err
	}
	if len(d.Val) == 0 {
		return nil, fmt.Errorf("%w: no validation rows (cut %v)", ErrNoData, d.Cut)
	}
	return d, nil
}

// labelled lists the labelled targets, sorted by time then id, and notes
// the store's last edge time.
func (d *Dataset) labelled(ctx context.Context) ([]Example, error) {
	kind := d.cfg.Sampling.Target
	var all []Example
	var end time.Time
	err := d.g.Nodes(ctx, kind, func(n graph.Node) bool {
		if n.Last.After(end) {
			end = n.Last
		}
		if n.Label == "" {
			return true
		}
		e := Example{Ref: n.Ref, Time: n.First}
		if n.Label.Positive() {
			e.Label = 1
		}
		if kind == graph.KindAccount {
			switch {
			case !n.LabelTime.IsZero():
				e.Time = n.LabelTime
			case !n.Last.IsZero():
				e.Time = n.Last.Add(time.Nanosecond)
			default:
				return true // no edge and no label time: nothing to sample
			}
		}
		all = append(all, e)
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("training: listing %v nodes: %w", kind, err)
	}
	d.end = end.Add(time.Nanosecond)
	sortExamples(all)
	return all, nil
}

func sortExamples(ex []Example) {
	slices.SortFunc(ex, func(a, b Example) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Ref.ID, b.Ref.ID))
	})
}

// fingerprint hashes the examples.
func fingerprint(ex []Example) string {
	h := sha256.New()
	for _, e := range ex {
		fmt.Fprintf(h, "%s\t%d\t%g\n", e.Ref, e.Time.UnixNano(), e.Label)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Targets returns every target of split s, labelled or not, with known
// reporting whether each one's label is (an unknown one has Label 0): for
// a temporal split, the transactions of the period or the accounts with
// an edge in it (unlabelled ones as of just after the store's last edge);
// for a file split, the ids it assigns to s; for a random split, which
// assigns only labelled rows, the labelled ones. Training rows are listed
// before sub-sampling.
func (d *Dataset) Targets(ctx context.Context, s Split) (ex []Example, known []bool, err error) {
	kind := d.cfg.Sampling.Target
	var lo, hi time.Time // the period of a temporal split
	switch s {
	case SplitTrain:
		hi = d.Cut
	case SplitVal:
		lo, hi = d.Cut, d.TestCut
	case SplitTest:
		lo = d.TestCut
		if lo.IsZero() && d.cfg.Assign == nil && !d.cfg.Random {
			return nil, nil, fmt.Errorf("%w: the data set has no test split", ErrNoData)
		}
	default:
		return nil, nil, fmt.Errorf("%w: split %v", ErrConfig, s)
	}
	if d.cfg.Random {
		// Only labelled rows have a split: rebuild it.
		all, err := d.labelled(ctx)
		if err != nil {
			return nil, nil, err
		}
		labels := make([]int8, len(all))
		for i, e := range all {
			labels[i] = int8(e.Label)
		}
		sp := stratified(labels, SplitConfig{ValFraction: d.cfg.ValFraction, TestFraction: d.cfg.TestFraction, Seed: d.cfg.Seed})
		for i, e := range all {
			if sp[i] == s {
				ex, known = append(ex, e), append(known, true)
			}
		}
		return ex, known, nil
	}
	within := func(t time.Time) bool {
		return (lo.IsZero() || !t.Before(lo)) && (hi.IsZero() || t.Before(hi))
	}
	err = d.g.Nodes(ctx, kind, func(n graph.Node) bool {
		e := Example{Ref: n.Ref, Time: n.First}
		isKnown := n.Label != ""
		if n.Label.Positive() {
			e.Label = 1
		}
		if kind == graph.KindAccount {
			switch {
			case isKnown && !n.LabelTime.IsZero():
				e.Time = n.LabelTime
			case !n.Last.IsZero():
				e.Time = n.Last.Add(time.Nanosecond)
				if !isKnown {
					e.Time = d.end
				}
			default:
				return true
			}
		}
		var in bool
		switch {
		case d.cfg.Assign != nil:
			in = d.cfg.Assign[n.Ref.ID] == s
		case kind == graph.KindAccount && !isKnown:
			in = n.Degree > 0 && within(n.Last) // active in the period
		default:
			in = within(e.Time)
		}
		if in {
			ex, known = append(ex, e), append(known, isKnown)
		}
		return true
	})
	if err != nil {
		return nil, nil, fmt.Errorf("training: listing %v nodes: %w", kind, err)
	}
	idx := make([]int, len(ex))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		return cmp.Or(ex[a].Time.Compare(ex[b].Time), cmp.Compare(ex[a].Ref.ID, ex[b].Ref.ID))
	})
	sortedEx, sortedKnown := make([]Example, len(ex)), make([]bool, len(ex))
	for i, j := range idx {
		sortedEx[i], sortedKnown[i] = ex[j], known[j]
	}
	return sortedEx, sortedKnown, nil
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
	rows := d.Train
	if n := d.cfg.StatsRows; n > 0 && len(rows) > n {
		idx := rand.New(rand.NewPCG(d.cfg.Seed, 0x73746174)).Perm(len(rows))[:n] // "stat"
		slices.Sort(idx)
		rows = make([]Example, n)
		for i, j := range idx {
			rows[i] = d.Train[j]
		}
	}
	chunks := make([][3]*feature.Stats, numChunks(len(rows), d.cfg.BatchSize))
	err = d.sample(ctx, d.cfg.Sampling, rows, func(c int, b *sampling.Batch) {
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
