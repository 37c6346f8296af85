package training

import (
	"cmp"
	"math"
	"slices"
)

// AveragePrecision is the average precision of scores against 0/1
// labels: Σₙ (Rₙ − Rₙ₋₁)·Pₙ over the distinct score thresholds taken in
// decreasing order, Pₙ and Rₙ being the precision and recall of flagging
// every row scoring at least the n-th threshold (tied scores enter
// together). This is the step-wise area under the precision–recall curve
// of scikit-learn's average_precision_score, without interpolation. NaN
// when there is no positive row. Its baseline is the positive rate, not
// 0.5.
func AveragePrecision(scores, labels []float32) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(scores[b], scores[a]) })
	var pos float64
	for _, y := range labels {
		if y == 1 {
			pos++
		}
	}
	if pos == 0 {
		return math.NaN()
	}
	var tp, flagged, ap float64
	for i := 0; i < len(idx); {
		j := i
		var gained float64
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			if labels[idx[j]] == 1 {
				gained++
			}
			j++
		}
		tp += gained
		flagged += float64(j - i)
		ap += gained / pos * (tp / flagged)
		i = j
	}
	return ap
}
