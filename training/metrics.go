package training

import "github.com/riskgraph/riskgraph/training/eval"

// AveragePrecision is the average precision of scores against 0/1
// labels: Σₙ (Rₙ − Rₙ₋₁)·Pₙ over the distinct score thresholds taken in
// decreasing order, Pₙ and Rₙ being the precision and recall of flagging
// every row scoring at least the n-th threshold (tied scores enter
// together). This is the step-wise area under the precision–recall curve
// of scikit-learn's average_precision_score, without interpolation. NaN
// when there is no positive row. Its baseline is the positive rate, not
// 0.5. It is eval.AveragePrecision, kept here for existing callers.
func AveragePrecision(scores, labels []float32) float64 {
	return eval.AveragePrecision(scores, labels)
}
