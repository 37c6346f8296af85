package eval_test

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/riskgraph/riskgraph/training/eval"
)

// golden is one case of testdata/golden.json (make_golden.py).
type golden struct {
	Name            string
	Scores          []float32
	Labels          []float32
	AUC             float64
	AP              float64
	Brier           float64
	RecallAt1PctFPR float64 `json:"recall_at_1pct_fpr"`
	ROC, PR         [][2]float64
	ThresholdGMean  float64            `json:"threshold_gmean"`
	ThresholdF1     float64            `json:"threshold_macro_f1"`
	AtGMean         map[string]float64 `json:"at_gmean"`
	AtF1            map[string]float64 `json:"at_macro_f1"`
}

func loadGolden(t *testing.T) []golden {
	t.Helper()
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []golden
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 4 {
		t.Fatalf("golden.json holds %d cases", len(cases))
	}
	return cases
}

// tol is the tolerance against scikit-learn: both sides sum the same
// float64 fractions in different orders, so they agree to rounding.
const tol = 1e-12

func near(got, want float64) bool {
	return got == want || math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

func TestGoldenMetrics(t *testing.T) {
	for _, c := range loadGolden(t) {
		t.Run(c.Name, func(t *testing.T) {
			for _, m := range []struct {
				name      string
				got, want float64
			}{
				{"AUC", eval.AUC(c.Scores, c.Labels), c.AUC},
				{"AveragePrecision", eval.AveragePrecision(c.Scores, c.Labels), c.AP},
				{"Brier", eval.Brier(c.Scores, c.Labels), c.Brier},
				{"RecallAtFPR(0.01)", eval.RecallAtFPR(c.Scores, c.Labels, 0.01), c.RecallAt1PctFPR},
			} {
				if !near(m.got, m.want) {
					t.Errorf("%s = %v, scikit-learn %v", m.name, m.got, m.want)
				}
			}
			for _, r := range []struct {
				rule      eval.Rule
				threshold float64
				at        map[string]float64
			}{{eval.GMean, c.ThresholdGMean, c.AtGMean}, {eval.MacroF1, c.ThresholdF1, c.AtF1}} {
				th, err := eval.Threshold(c.Scores, c.Labels, r.rule)
				if err != nil {
					t.Fatal(err)
				}
				if !near(th, r.threshold) {
					t.Errorf("Threshold(%v) = %v, reference %v", r.rule, th, r.threshold)
				}
				cm, err := eval.ConfusionAt(c.Scores, c.Labels, r.threshold)
				if err != nil {
					t.Fatal(err)
				}
				for name, got := range map[string]float64{"macro_f1": cm.MacroF1(), "gmean": cm.GMean(), "precision": cm.Precision(), "recall": cm.TPR()} {
					if !near(got, r.at[name]) {
						t.Errorf("%s at the %v threshold %v = %v, scikit-learn %v", name, r.rule, r.threshold, got, r.at[name])
					}
				}
			}
			roc, err := eval.ROC(c.Scores, c.Labels)
			if err != nil {
				t.Fatal(err)
			}
			if len(roc) != len(c.ROC) {
				t.Fatalf("ROC has %d points, scikit-learn %d", len(roc), len(c.ROC))
			}
			for i, p := range roc {
				if !near(p.X, c.ROC[i][0]) || !near(p.Y, c.ROC[i][1]) {
					t.Fatalf("ROC point %d = %v, scikit-learn %v", i, p, c.ROC[i])
				}
			}
			pr, err := eval.PR(c.Scores, c.Labels)
			if err != nil {
				t.Fatal(err)
			}
			// scikit-learn stops at full recall: its curve is a prefix.
			if len(pr) < len(c.PR) {
				t.Fatalf("PR has %d points, scikit-learn %d", len(pr), len(c.PR))
			}
			for i, want := range c.PR {
				if !near(pr[i].X, want[0]) || !near(pr[i].Y, want[1]) {
					t.Fatalf("PR point %d = %v, scikit-learn %v", i, pr[i], want)
				}
			}
		})
	}
}

func TestEvaluateMatchesParts(t *testing.T) {
	for _, c := range loadGolden(t) {
		s, err := eval.Evaluate(c.Scores, c.Labels, c.ThresholdGMean, eval.BootstrapConfig{Replicates: 200, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		pos := 0
		for _, y := range c.Labels {
			pos += int(y)
		}
		if s.Rows != len(c.Scores) || s.Positives != pos || s.Threshold != c.ThresholdGMean {
			t.Errorf("%s: rows %d positives %d threshold %v", c.Name, s.Rows, s.Positives, s.Threshold)
		}
		for _, m := range []struct {
			name      string
			got, want float64
		}{
			{"auc", s.AUC.Value, c.AUC}, {"ap", s.AP.Value, c.AP}, {"brier", s.Brier.Value, c.Brier},
			{"recall_at_1pct_fpr", s.RecallAt1FPR.Value, c.RecallAt1PctFPR},
			{"macro_f1", s.MacroF1.Value, c.AtGMean["macro_f1"]}, {"gmean", s.GMean.Value, c.AtGMean["gmean"]},
		} {
			if !near(m.got, m.want) {
				t.Errorf("%s: %s = %v, scikit-learn %v", c.Name, m.name, m.got, m.want)
			}
		}
		for _, m := range s.Metrics() {
			if !(m.Lo <= m.Value && m.Value <= m.Hi) && c.Name != "separable" {
				// A percentile interval need not contain the estimate, but
				// on these inputs it does; a failure means a wiring bug.
				t.Errorf("%s: %s = %v outside its interval [%v, %v]", c.Name, m.Name, m.Value, m.Lo, m.Hi)
			}
		}
	}
}

// TestBootstrapBrier checks the intervals against theory: the Brier
// score is a mean of n independent squared errors, so its bootstrap
// interval must be about ±1.96·sd/√n wide.
func TestBootstrapBrier(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 4000
	scores, labels := make([]float32, n), make([]float32, n)
	var sum, sum2 float64
	for i := range n {
		scores[i] = float32(rng.Float64())
		if rng.Float64() < 0.3 {
			labels[i] = 1
		}
		d := float64(scores[i]) - float64(labels[i])
		sum += d * d
		sum2 += d * d * d * d
	}
	mean := sum / n
	sd := math.Sqrt(sum2/n - mean*mean)
	s, err := eval.Evaluate(scores, labels, 0.5, eval.BootstrapConfig{Replicates: 2000, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	want := 2 * 1.959964 * sd / math.Sqrt(n)
	got := s.Brier.Hi - s.Brier.Lo
	// 2,000 replicates estimate a 95% range to within a few per cent.
	if math.Abs(got-want)/want > 0.1 {
		t.Errorf("Brier interval width %.5f, normal theory %.5f", got, want)
	}
	mid := (s.Brier.Hi + s.Brier.Lo) / 2
	if math.Abs(mid-mean) > 0.1*want {
		t.Errorf("Brier interval [%v, %v] not centred on %v", s.Brier.Lo, s.Brier.Hi, mean)
	}
	// Seeded: the same seed gives the same intervals, another seed others.
	again, _ := eval.Evaluate(scores, labels, 0.5, eval.BootstrapConfig{Replicates: 2000, Seed: 9})
	if again != s {
		t.Error("the same bootstrap seed gave different intervals")
	}
	other, _ := eval.Evaluate(scores, labels, 0.5, eval.BootstrapConfig{Replicates: 2000, Seed: 10})
	if other.AUC == s.AUC {
		t.Error("another bootstrap seed gave the same AUC interval")
	}
}

func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		name           string
		scores, labels []float32
	}{
		{"lengths", []float32{0.1, 0.2}, []float32{1}},
		{"label 2", []float32{0.1, 0.2}, []float32{1, 2}},
		{"NaN score", []float32{float32(math.NaN()), 0.2}, []float32{1, 0}},
		{"Inf score", []float32{float32(math.Inf(1)), 0.2}, []float32{1, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := eval.Evaluate(tc.scores, tc.labels, 0.5, eval.BootstrapConfig{}); !errors.Is(err, eval.ErrInput) {
				t.Errorf("Evaluate: error %v, want ErrInput", err)
			}
			if _, err := eval.Threshold(tc.scores, tc.labels, eval.GMean); !errors.Is(err, eval.ErrInput) {
				t.Errorf("Threshold: error %v, want ErrInput", err)
			}
			if v := eval.AUC(tc.scores, tc.labels); !math.IsNaN(v) {
				t.Errorf("AUC = %v, want NaN", v)
			}
		})
	}
	one := []float32{1, 1, 1}
	if _, err := eval.Threshold([]float32{0.1, 0.5, 0.9}, one, eval.GMean); !errors.Is(err, eval.ErrInput) {
		t.Errorf("Threshold with one class: error %v, want ErrInput", err)
	}
	if !math.IsNaN(eval.AUC([]float32{0.1, 0.5, 0.9}, one)) || !math.IsNaN(eval.AveragePrecision([]float32{0.1, 0.5}, []float32{0, 0})) {
		t.Error("AUC with one class or AP without positives: want NaN")
	}
	for _, c := range []eval.BootstrapConfig{{Replicates: -1}, {Level: 1}, {Level: -0.5}} {
		if _, err := eval.Evaluate([]float32{0.1, 0.9}, []float32{0, 1}, 0.5, c); !errors.Is(err, eval.ErrInput) {
			t.Errorf("%+v: error %v, want ErrInput", c, err)
		}
	}
}

func TestEstimateJSON(t *testing.T) {
	b, err := json.Marshal(eval.Estimate{Value: math.NaN(), Lo: 0.25, Hi: 0.75})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"value":null,"lo":0.25,"hi":0.75}`; got != want {
		t.Errorf("JSON %s, want %s", got, want)
	}
	var e eval.Estimate
	if err := json.Unmarshal(b, &e); err != nil || !math.IsNaN(e.Value) || e.Lo != 0.25 || e.Hi != 0.75 {
		t.Errorf("round trip = %+v, %v", e, err)
	}
}

func BenchmarkEvaluate(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const n = 10000
	scores, labels := make([]float32, n), make([]float32, n)
	for i := range n {
		if rng.Float64() < 0.05 {
			labels[i] = 1
		}
		scores[i] = float32(rng.Float64()*0.7 + 0.3*float64(labels[i]))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := eval.Evaluate(scores, labels, 0.5, eval.BootstrapConfig{Replicates: 100}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100*n), "ns/row/replicate")
}
