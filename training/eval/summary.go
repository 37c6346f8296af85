package eval

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// MaxFPR is the false-positive-rate budget of Summary.RecallAt1FPR.
const MaxFPR = 0.01

// Defaults of BootstrapConfig.
const (
	DefaultReplicates = 1000
	DefaultLevel      = 0.95
)

// BootstrapConfig configures the confidence intervals of Evaluate.
type BootstrapConfig struct {
	// Replicates is the number of bootstrap resamples (0 →
	// DefaultReplicates, 1000; at most 100,000).
	Replicates int
	// Level is the coverage of the percentile intervals (0 →
	// DefaultLevel, 0.95); in (0, 1).
	Level float64
	// Seed seeds the resampling: the same seed, scores and labels give
	// the same intervals.
	Seed uint64
}

func (c BootstrapConfig) withDefaults() BootstrapConfig {
	if c.Replicates == 0 {
		c.Replicates = DefaultReplicates
	}
	if c.Level == 0 {
		c.Level = DefaultLevel
	}
	return c
}

// Validate reports a field out of range, wrapping ErrInput.
func (c BootstrapConfig) Validate() error {
	d := c.withDefaults()
	switch {
	case d.Replicates < 1 || d.Replicates > 100000:
		return fmt.Errorf("%w: bootstrap replicates %d: want 1..100000", ErrInput, c.Replicates)
	case !(d.Level > 0 && d.Level < 1):
		return fmt.Errorf("%w: bootstrap level %v: want (0, 1)", ErrInput, c.Level)
	}
	return nil
}

// Estimate is a metric's value on the evaluated rows and its bootstrap
// percentile interval [Lo, Hi]. A NaN (undefined) value is written to
// JSON as null.
type Estimate struct {
	Value, Lo, Hi float64
}

// MarshalJSON writes {"value":…,"lo":…,"hi":…}, null for NaN.
func (e Estimate) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Value *float64 `json:"value"`
		Lo    *float64 `json:"lo"`
		Hi    *float64 `json:"hi"`
	}{finite(e.Value), finite(e.Lo), finite(e.Hi)})
}

// UnmarshalJSON reads what MarshalJSON writes, null as NaN.
func (e *Estimate) UnmarshalJSON(b []byte) error {
	var v struct{ Value, Lo, Hi *float64 }
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	get := func(p *float64) float64 {
		if p == nil {
			return math.NaN()
		}
		return *p
	}
	e.Value, e.Lo, e.Hi = get(v.Value), get(v.Lo), get(v.Hi)
	return nil
}

func finite(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// Summary is the evaluation of one split: every metric with its bootstrap
// interval.
type Summary struct {
	Rows      int     `json:"rows"`
	Positives int     `json:"positives"`
	Threshold float64 `json:"threshold"`
	// AUC is the ROC AUC, AP the average precision.
	AUC Estimate `json:"auc"`
	AP  Estimate `json:"ap"`
	// MacroF1, GMean, Precision and Recall are measured at Threshold.
	MacroF1   Estimate `json:"macro_f1"`
	GMean     Estimate `json:"gmean"`
	Precision Estimate `json:"precision"`
	Recall    Estimate `json:"recall"`
	// RecallAt1FPR is the recall at a false-positive rate of MaxFPR.
	RecallAt1FPR Estimate `json:"recall_at_1pct_fpr"`
	Brier        Estimate `json:"brier"`
	// Replicates, Level and Seed are the bootstrap's.
	Replicates int     `json:"bootstrap_replicates"`
	Level      float64 `json:"bootstrap_level"`
	Seed       uint64  `json:"bootstrap_seed"`
}

// Metrics lists the summary's estimates by name, in a fixed order: the
// names are the JSON keys.
func (s Summary) Metrics() []NamedEstimate {
	return []NamedEstimate{
		{"auc", s.AUC}, {"ap", s.AP}, {"macro_f1", s.MacroF1}, {"gmean", s.GMean},
		{"precision", s.Precision}, {"recall", s.Recall},
		{"recall_at_1pct_fpr", s.RecallAt1FPR}, {"brier", s.Brier},
	}
}

// NamedEstimate is one entry of Summary.Metrics.
type NamedEstimate struct {
	Name string
	Estimate
}

// numMetrics is the number of estimates of a Summary.
const numMetrics = 8

// measure computes the summary's metrics with row weights w, in the
// order of Summary.Metrics.
func (r *ranked) measure(w []float64, threshold float64, out *[numMetrics]float64) {
	c := r.confusion(w, threshold)
	*out = [numMetrics]float64{
		r.auc(w), r.ap(w), c.MacroF1(), c.GMean(), c.Precision(), c.TPR(),
		r.recallAtFPR(w, MaxFPR), r.brier(w),
	}
}

// Evaluate measures scores against labels at threshold (chosen
// beforehand on other data, with Threshold) and bootstraps every metric:
// each replicate draws len(scores) rows with replacement and recomputes
// everything, the threshold held fixed; an interval is the Level
// percentile range (linear interpolation, numpy's default) of the
// replicates where the metric is defined.
func Evaluate(scores, labels []float32, threshold float64, boot BootstrapConfig) (Summary, error) {
	if err := boot.Validate(); err != nil {
		return Summary{}, err
	}
	boot = boot.withDefaults()
	r, err := rank(scores, labels)
	if err != nil {
		return Summary{}, err
	}
	if len(scores) == 0 {
		return Summary{}, fmt.Errorf("%w: no rows to evaluate", ErrInput)
	}
	pos, _ := r.totals(nil)
	s := Summary{Rows: len(scores), Positives: int(pos), Threshold: threshold,
		Replicates: boot.Replicates, Level: boot.Level, Seed: boot.Seed}
	var point [numMetrics]float64
	r.measure(nil, threshold, &point)

	rng := rand.New(rand.NewPCG(boot.Seed, 0x626f6f74)) // "boot"
	n := len(scores)
	w := make([]float64, n)
	reps := make([][]float64, numMetrics)
	var m [numMetrics]float64
	for range boot.Replicates {
		clear(w)
		for range n {
			w[rng.IntN(n)]++
		}
		r.measure(w, threshold, &m)
		for k, v := range m {
			if !math.IsNaN(v) {
				reps[k] = append(reps[k], v)
			}
		}
	}
	alpha := (1 - boot.Level) / 2
	est := make([]Estimate, numMetrics)
	for k := range est {
		est[k] = Estimate{Value: point[k], Lo: percentile(reps[k], alpha), Hi: percentile(reps[k], 1-alpha)}
	}
	s.AUC, s.AP, s.MacroF1, s.GMean, s.Precision, s.Recall, s.RecallAt1FPR, s.Brier =
		est[0], est[1], est[2], est[3], est[4], est[5], est[6], est[7]
	return s, nil
}

// percentile is the q-quantile of v with linear interpolation between
// order statistics (numpy.percentile's default); NaN for no values. It
// sorts v.
func percentile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	p := q * float64(len(v)-1)
	lo := int(math.Floor(p))
	if lo >= len(v)-1 {
		return v[len(v)-1]
	}
	return v[lo] + (p-float64(lo))*(v[lo+1]-v[lo])
}
