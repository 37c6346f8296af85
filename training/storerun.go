package training

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/riskgraph/riskgraph/feature"
	"github.com/riskgraph/riskgraph/gnn"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/sampling"
)

// storeSource is a source over records sampled once from a graph store:
// features from the store are the serving features, so they are sampled
// exactly once, with the data set's normalisation.
type storeSource struct {
	rec    int
	recs   []float32
	labels []float32
}

func (s *storeSource) Len() int            { return len(s.labels) }
func (s *storeSource) Label(i int) float32 { return s.labels[i] }

func (s *storeSource) Fill(ctx context.Context, rows []int, _ int, dst []float32) error {
	for j, i := range rows {
		copy(dst[j*s.rec:(j+1)*s.rec], s.recs[i*s.rec:(i+1)*s.rec])
	}
	return ctx.Err()
}

// records samples ex with the data set's normalisation (the serving
// path) and returns them as trainer records.
func (d *Dataset) records(ctx context.Context, l *layout, ex []Example) (*storeSource, error) {
	s := &storeSource{rec: l.rec, recs: make([]float32, 0, len(ex)*l.rec), labels: make([]float32, 0, len(ex))}
	for lo := 0; lo < len(ex); lo += scoreChunk {
		bs, ls, err := d.Batches(ctx, ex[lo:min(lo+scoreChunk, len(ex))])
		if err != nil {
			return nil, err
		}
		for i, b := range bs {
			s.recs = l.records(b, s.recs)
			s.labels = append(s.labels, ls[i]...)
		}
	}
	return s, nil
}

// describeSplit is the data set's split as Training.Split records it.
func (d *Dataset) describeSplit(fileSHA string) string {
	switch {
	case d.cfg.Assign != nil:
		return SplitConfig{Kind: SplitFile, FileSHA256: fileSHA}.describe()
	case d.cfg.Random:
		return SplitConfig{Kind: SplitRandom, Seed: d.cfg.Seed, ValFraction: d.cfg.ValFraction, TestFraction: d.cfg.TestFraction}.describe()
	}
	return fmt.Sprintf("temporal cut=%s test_cut=%s", d.Cut.UTC().Format(time.RFC3339Nano), d.TestCut.UTC().Format(time.RFC3339Nano))
}

// TrainStore trains a model for dc's target on the labelled targets of
// the graph store g, with the features serving computes (package
// sampling, normalised with the training split's statistics; the
// sampler's seed is cfg.Fit.Seed and its hop-1 choice the default, most
// recent first, as the manifest can record no other). dc must
// ask for a test split (TestFraction, TestCut, Assign or Random);
// fileSHA is the hash of the split file behind dc.Assign, if any, for the
// record. As TrainFolder, it selects the epoch on the validation split,
// chooses the threshold there and evaluates on the test split through
// gnn.Model.
func TrainStore(ctx context.Context, g Graph, dc DatasetConfig, fileSHA string, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if dc.TestFraction == 0 && dc.TestCut.IsZero() && dc.Assign == nil && !dc.Random {
		return nil, fmt.Errorf("%w: the data set config asks for no test split", ErrConfig)
	}
	if dc.Sampling.Hop1 != sampling.Hop1Recent {
		return nil, fmt.Errorf("%w: hop-1 sampling %v: a model's manifest records the most recent neighbours only", ErrConfig, dc.Sampling.Hop1)
	}
	dc.Sampling.Seed = cfg.Fit.Seed
	ds, err := NewDataset(ctx, g, dc)
	if err != nil {
		return nil, err
	}
	var dead [3][]bool
	ds.Spec, dead = robustSpec(ds.Spec)
	scfg := ds.SamplingConfig()
	d := scfg.Dims(cfg.Hidden)
	l := newLayout(d)
	train, err := ds.records(ctx, l, ds.Train)
	if err != nil {
		return nil, err
	}
	val, err := ds.records(ctx, l, ds.Val)
	if err != nil {
		return nil, err
	}
	w, rep, err := fit(ctx, d, cfg.Fit, train, val, dead, cfg.clockSeconds(), cfg.Progress)
	if err != nil {
		return nil, err
	}
	valLabels := val.labels
	train, val = nil, nil
	target := scfg.Target.String()
	id := cfg.ID
	if id == "" {
		id = "riskgraph-" + strings.ToLower(target)
	}
	r1, r2 := scfg.RelationNames()
	r := &Result{
		Manifest: artefact.Manifest{
			FormatVersion: artefact.FormatVersion, Architecture: artefact.ArchHeteroSAGE,
			ID: id, Target: target, Dims: d, Relations1: r1, Relations2: r2, Features: ds.Spec,
			Training: artefact.Training{DataFingerprint: ds.Fingerprint, Seed: cfg.Fit.Seed, Split: ds.describeSplit(fileSHA), Trainer: TrainerName},
		},
		Weights: w, Fit: rep, Rule: cfg.Rule,
		Params: map[string]any{"data": storeParams(ds), "fit": cfg.Fit.withDefaults(), "dims": d, "rule": cfg.Rule.String()},
	}
	model, err := newModel(r.Manifest, w)
	if err != nil {
		return nil, err
	}
	if err := r.validation(valLabels, cfg.Rule); err != nil {
		return nil, err
	}
	if r.Test, err = scoreStore(ctx, ds, model, SplitTest); err != nil {
		return nil, err
	}
	if err := evaluate(r.Test, r.Threshold, cfg.Replicates, cfg.Fit.Seed); err != nil {
		return nil, err
	}
	r.Counts = SplitCounts{Train: len(ds.Train), TrainPos: positives(ds.Train), Val: len(ds.Val), ValPos: positives(ds.Val), TestAll: len(r.Test.IDs)}
	for _, y := range r.Test.Labels {
		if y >= 0 {
			r.Counts.Test++
			r.Counts.TestPos += int(y)
		}
	}
	r.recordMetrics()
	return r, nil
}

// storeParams are the data settings for the model card.
func storeParams(ds *Dataset) map[string]any {
	c := ds.cfg
	s := c.Sampling.WithDefaults()
	return map[string]any{
		"target": s.Target.String(), "k1": s.K1, "k2": s.K2, "hop1": s.Hop1, "features": s.Features.WithDefaults(),
		"val_fraction": c.ValFraction, "test_fraction": c.TestFraction, "neg_per_pos": c.NegPerPos,
		"cut": ds.Cut, "test_cut": ds.TestCut,
	}
}

// scoreStore scores every target of split s through model.
func scoreStore(ctx context.Context, ds *Dataset, model *gnn.Model, s Split) (*Evaluation, error) {
	ex, known, err := ds.Targets(ctx, s)
	if err != nil {
		return nil, err
	}
	scores, _, err := ds.Score(ctx, model, ex)
	if err != nil {
		return nil, err
	}
	e := &Evaluation{Split: s, Scores: scores, IDs: make([]string, len(ex)), Labels: make([]int8, len(ex))}
	for i, x := range ex {
		e.IDs[i] = x.Ref.ID
		e.Labels[i] = int8(x.Label)
		if !known[i] {
			e.Labels[i] = -1
		}
	}
	return e, nil
}

// StoreEvalConfig overrides what EvalStore reads from the manifest.
type StoreEvalConfig struct {
	// Assign and FileSHA256 give the split file of a model trained with
	// one (required then).
	Assign     map[string]Split
	FileSHA256 string
	// Workers is the number of samplers (0 → DefaultWorkers).
	Workers int
	// Typology feeds the typology_hits_log column, as it did in training
	// and does in serving (nil → 0).
	Typology feature.TypologyCounter
}

// EvalStore evaluates a model trained by TrainStore on split which of
// the store g: it samples the targets with the manifest's feature
// schema and normalisation, as serving does, splits them as recorded
// (the cut times, the random split's seed and fractions, or the split
// file given again in ec) and measures them at the recorded threshold
// with the recorded bootstrap seed. On the data the model was trained on,
// the test metrics are those TrainStore reported.
func EvalStore(ctx context.Context, g Graph, m artefact.Manifest, w map[string][]float32, ec StoreEvalConfig, which Split) (*Evaluation, error) {
	threshold, reps, err := storedThreshold(m)
	if err != nil {
		return nil, err
	}
	target, err := graph.ParseKind(m.Target)
	if err != nil {
		return nil, fmt.Errorf("%w: target %q: %w", ErrModel, m.Target, err)
	}
	split, kv, err := parseSplit(m.Training.Split)
	if err != nil {
		return nil, err
	}
	fcfg, err := featureConfig(m.Features)
	if err != nil {
		return nil, err
	}
	dc := DatasetConfig{
		Sampling: sampling.Config{Target: target, K1: m.Dims.K1, K2: m.Dims.K2, Seed: m.Training.Seed, Features: fcfg, Typology: ec.Typology},
		Seed:     m.Training.Seed, Workers: ec.Workers,
	}
	switch split.Kind {
	case SplitTemporal:
		if dc.Cut, err = time.Parse(time.RFC3339Nano, kv["cut"]); err == nil {
			dc.TestCut, err = time.Parse(time.RFC3339Nano, kv["test_cut"])
		}
		if err != nil {
			return nil, fmt.Errorf("%w: split %q: %w", ErrModel, m.Training.Split, err)
		}
	case SplitRandom:
		dc.Random, dc.ValFraction, dc.TestFraction, dc.Seed = true, split.ValFraction, split.TestFraction, split.Seed
	case SplitFile:
		if ec.Assign == nil {
			return nil, fmt.Errorf("%w: the model was trained with a split file (sha256 %s): give it again", ErrConfig, split.FileSHA256)
		}
		dc.Assign = ec.Assign
	default:
		return nil, fmt.Errorf("%w: split %q does not apply to a graph store", ErrModel, m.Training.Split)
	}
	if ec.Assign != nil && split.Kind != SplitFile {
		dc.Assign, dc.Random = ec.Assign, false
	}
	ds, err := newSplits(ctx, g, dc)
	if err != nil {
		return nil, err
	}
	ds.Spec = m.Features
	scfg := ds.SamplingConfig()
	if got := scfg.Dims(m.Dims.H); got != m.Dims {
		return nil, fmt.Errorf("%w: sampling gives dims %+v, the model has %+v", ErrModel, got, m.Dims)
	}
	if r1, r2 := scfg.RelationNames(); !slices.Equal(r1, m.Relations1) || !slices.Equal(r2, m.Relations2) {
		return nil, fmt.Errorf("%w: sampling gives relations %q/%q, the model has %q/%q", ErrModel, r1, r2, m.Relations1, m.Relations2)
	}
	model, err := newModel(m, w)
	if err != nil {
		return nil, err
	}
	e, err := scoreStore(ctx, ds, model, which)
	if err != nil {
		return nil, err
	}
	if err := evaluate(e, threshold, reps, m.Training.Seed); err != nil {
		return nil, err
	}
	return e, nil
}

// featureConfig reads the entity encoder's settings back from a feature
// spec's Extra (written by feature.Layout.Spec).
func featureConfig(spec artefact.FeatureSpec) (feature.Config, error) {
	var c feature.Config
	num := func(key string) (float64, bool) {
		v, ok := spec.Extra[key]
		if !ok {
			return 0, false
		}
		switch x := v.(type) {
		case float64:
			return x, true
		case int:
			return float64(x), true
		}
		return 0, false
	}
	if h, ok := num("label_delay_hours"); ok {
		c.LabelDelay = time.Duration(h * float64(time.Hour))
	}
	if r, ok := num("recent"); ok {
		c.Recent = int(r)
	}
	if dc, ok := num("degree_cap"); ok {
		c.DegreeCap = int(dc)
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("%w: features.extra: %w", ErrModel, err)
	}
	return c, nil
}
