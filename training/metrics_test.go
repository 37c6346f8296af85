package training_test

import (
	"math"
	"testing"

	"github.com/riskgraph/riskgraph/training"
)

func TestAveragePrecision(t *testing.T) {
	for _, tc := range []struct {
		name           string
		scores, labels []float32
		want           float64
	}{
		{"perfect", []float32{0.1, 0.2, 0.8, 0.9}, []float32{0, 0, 1, 1}, 1},
		// Positives ranked 2nd and 4th: (1/2 + 2/4) / 2.
		{"interleaved", []float32{0.9, 0.8, 0.7, 0.6}, []float32{0, 1, 0, 1}, 0.5},
		// Positives ranked 3rd and 4th: (1/3 + 2/4) / 2.
		{"inverted", []float32{0.9, 0.8, 0.2, 0.1}, []float32{0, 0, 1, 1}, (1.0/3 + 0.5) / 2},
		// All tied: one threshold, precision = the positive rate.
		{"ties", []float32{0.5, 0.5, 0.5, 0.5}, []float32{0, 1, 0, 0}, 0.25},
		// scikit-learn: average_precision_score([0,0,1,1], [0.1,0.4,0.35,0.8]) = 0.8333….
		{"sklearn", []float32{0.1, 0.4, 0.35, 0.8}, []float32{0, 0, 1, 1}, 5.0 / 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Tolerance: sums of a few float64 fractions.
			if got := training.AveragePrecision(tc.scores, tc.labels); math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("AveragePrecision = %v, want %v", got, tc.want)
			}
		})
	}
	if !math.IsNaN(training.AveragePrecision([]float32{1, 2}, []float32{0, 0})) {
		t.Error("AveragePrecision without positives: want NaN")
	}
}
