package training

import (
	"fmt"

	"github.com/riskgraph/riskgraph/feature"
	"math"
	"time"

	"github.com/riskgraph/riskgraph/gnn"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/training/eval"
)

// TrainerName is Manifest.Training.Trainer for models this package
// trains with its own loop.
const TrainerName = "riskgraph-go"

// Config configures a training run (TrainFolder, TrainStore). Zero fields
// take the documented defaults.
type Config struct {
	// ID is the manifest ID (default "riskgraph-<target>", lower case).
	ID string
	// Hidden is the model's hidden width (0 → DefaultHidden, 32; at most
	// 4096).
	Hidden int
	// Fit configures the training loop; Fit.Seed is the run's seed.
	Fit FitConfig
	// Rule chooses the decision threshold on the validation split
	// (default eval.GMean).
	Rule eval.Rule
	// Replicates is the number of bootstrap resamples of the test
	// metrics (0 → eval.DefaultReplicates, 1000), seeded with Fit.Seed.
	Replicates int
	// Progress, when set, is called after every epoch.
	Progress func(EpochStats)
	// Clock times the epochs (nil: not timed).
	Clock func() time.Time
}

func (c Config) withDefaults() Config {
	if c.Hidden == 0 {
		c.Hidden = DefaultHidden
	}
	if c.Replicates == 0 {
		c.Replicates = eval.DefaultReplicates
	}
	return c
}

// Validate reports the first field out of range, wrapping ErrConfig.
func (c Config) Validate() error {
	d := c.withDefaults()
	switch {
	case d.Hidden < 1 || d.Hidden > 4096:
		return fmt.Errorf("%w: hidden %d: want 1..4096", ErrConfig, c.Hidden)
	case d.Rule != eval.GMean && d.Rule != eval.MacroF1:
		return fmt.Errorf("%w: threshold rule %v", ErrConfig, c.Rule)
	}
	if err := (eval.BootstrapConfig{Replicates: d.Replicates}).Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return d.Fit.Validate()
}

func (c Config) clockSeconds() func() float64 {
	if c.Clock == nil {
		return nil
	}
	t0 := c.Clock()
	return func() float64 { return c.Clock().Sub(t0).Seconds() }
}

// SplitCounts are the rows and positives of each split.
type SplitCounts struct {
	Train, TrainPos int
	Val, ValPos     int
	// Test and TestPos count the labelled test rows; TestAll every test
	// row, labelled or not (what an evaluation scores).
	Test, TestPos, TestAll int
}

// Result is a trained model and its evaluation.
type Result struct {
	// Manifest and Weights are the model, ready for artefact.Write (the
	// weights hashes are filled in there).
	Manifest artefact.Manifest
	Weights  map[string][]float32
	// Fit is the training loop's report.
	Fit FitReport
	// Counts describes the split.
	Counts SplitCounts
	// Threshold is the decision threshold chosen on the validation split
	// with Rule; ValAUC and ValAP are the validation metrics of the kept
	// weights.
	Threshold     float64
	Rule          eval.Rule
	ValAUC, ValAP float64
	// Test is the evaluation on the test split.
	Test *Evaluation
	// Params are the hyperparameters for the model card: the data
	// config, the fit config and the dims.
	Params map[string]any
}

// Evaluation is a model's scores and metrics on one split.
type Evaluation struct {
	Split Split
	// IDs, Scores and Labels cover every target of the split, labelled
	// or not (label −1).
	IDs    []string
	Scores []float32
	Labels []int8
	// Summary and the curves are computed on the labelled targets.
	Summary eval.Summary
	ROC, PR []eval.Point
}

// evaluate measures scores against the known labels at threshold.
func evaluate(e *Evaluation, threshold float64, replicates int, seed uint64) error {
	var s, y []float32
	for i, l := range e.Labels {
		if l >= 0 {
			s, y = append(s, e.Scores[i]), append(y, float32(l))
		}
	}
	if err := hasBoth(y, e.Split.String()); err != nil {
		return err
	}
	var err error
	if e.Summary, err = eval.Evaluate(s, y, threshold, eval.BootstrapConfig{Replicates: replicates, Seed: seed}); err != nil {
		return err
	}
	if e.ROC, err = eval.ROC(s, y); err != nil {
		return err
	}
	e.PR, err = eval.PR(s, y)
	return err
}

// hasBoth reports a split missing a class.
func hasBoth(y []float32, name string) error {
	var pos int
	for _, v := range y {
		pos += int(v)
	}
	if pos == 0 || pos == len(y) {
		return fmt.Errorf("%w: the %s split has %d labelled rows, %d positive: it needs both classes", ErrNoData, name, len(y), pos)
	}
	return nil
}

// validation sets the validation metrics and the threshold from the
// kept weights' validation scores.
func (r *Result) validation(labels []float32, rule eval.Rule) error {
	vs := r.Fit.valScores
	r.ValAUC, r.ValAP = eval.AUC(vs, labels), eval.AveragePrecision(vs, labels)
	var err error
	r.Threshold, err = eval.Threshold(vs, labels, rule)
	return err
}

// Metric keys of Manifest.Training.Metrics that an evaluation reads back.
const (
	metricThreshold  = "threshold"
	metricReplicates = "bootstrap_replicates"
)

// recordMetrics fills the manifest's metrics from r.
func (r *Result) recordMetrics() {
	m := map[string]float64{
		"val_auc": r.ValAUC, "val_ap": r.ValAP,
		metricThreshold:  r.Threshold,
		metricReplicates: float64(r.Test.Summary.Replicates),
		"best_epoch":     float64(r.Fit.BestEpoch),
		"pos_weight":     r.Fit.PosWeight,
	}
	for _, e := range r.Test.Summary.Metrics() {
		m["test_"+e.Name] = e.Value
		m["test_"+e.Name+"_lo"] = e.Lo
		m["test_"+e.Name+"_hi"] = e.Hi
	}
	for k, v := range m {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			delete(m, k) // JSON has no NaN; an absent metric is undefined
		}
	}
	r.Manifest.Training.Metrics = m
}

// storedThreshold returns the threshold and bootstrap size a manifest
// records.
func storedThreshold(m artefact.Manifest) (float64, int, error) {
	th, ok := m.Training.Metrics[metricThreshold]
	if !ok {
		return 0, 0, fmt.Errorf("%w: the manifest records no decision threshold (training.metrics.%s)", ErrModel, metricThreshold)
	}
	reps := int(m.Training.Metrics[metricReplicates])
	if reps <= 0 {
		reps = eval.DefaultReplicates
	}
	return th, reps, nil
}

// minTrainStd floors the standard deviation a trained model's
// normalisation divides by: a column that barely varies in the training
// data (a flag set on a handful of rows) must not turn into values in
// the thousands on data where it varies more.
const minTrainStd = 1e-2

// robustStats returns stats with every std floored at minTrainStd, and
// which columns were constant in the training data (std at
// feature.MinStd). A constant column teaches the model nothing: its std
// becomes 1 and the trainer starts (and so keeps) its weights at 0, so
// that whatever value it takes later contributes nothing.
func robustStats(stats []artefact.FeatureStat) ([]artefact.FeatureStat, []bool) {
	out := make([]artefact.FeatureStat, len(stats))
	dead := make([]bool, len(stats))
	for i, s := range stats {
		switch {
		case s.Std <= feature.MinStd:
			s.Std, dead[i] = 1, true
		case s.Std < minTrainStd:
			s.Std = minTrainStd
		}
		out[i] = s
	}
	return out, dead
}

// robustSpec applies robustStats to each position of spec.
func robustSpec(spec artefact.FeatureSpec) (artefact.FeatureSpec, [3][]bool) {
	var dead [3][]bool
	spec.Target, dead[0] = robustStats(spec.Target)
	spec.Hop1, dead[1] = robustStats(spec.Hop1)
	spec.Hop2, dead[2] = robustStats(spec.Hop2)
	return spec, dead
}

// newModel builds the serving model for scoring.
func newModel(m artefact.Manifest, w map[string][]float32) (*gnn.Model, error) {
	model, err := gnn.New(m, w, gnn.WithBuckets(1, 8, 64, 256))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModel, err)
	}
	return model, nil
}
