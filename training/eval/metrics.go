package eval

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// ranked is a set of scored rows sorted by score, descending, with the
// boundaries of the groups of tied scores.
type ranked struct {
	score []float32 // sorted, descending
	label []float32 // in the same order
	row   []int     // row[i] is the input index of sorted position i
	group []int     // group[g] is the first position of group g; len = groups+1
}

// rank checks scores and labels and sorts them.
func rank(scores, labels []float32) (*ranked, error) {
	if len(scores) != len(labels) {
		return nil, fmt.Errorf("%w: %d scores, %d labels", ErrInput, len(scores), len(labels))
	}
	for i, y := range labels {
		if y != 0 && y != 1 {
			return nil, fmt.Errorf("%w: label %d is %v, want 0 or 1", ErrInput, i, y)
		}
		if s := float64(scores[i]); math.IsNaN(s) || math.IsInf(s, 0) {
			return nil, fmt.Errorf("%w: score %d is %v", ErrInput, i, s)
		}
	}
	r := &ranked{row: make([]int, len(scores))}
	for i := range r.row {
		r.row[i] = i
	}
	// Stable, so that equal scores keep their input order: the metrics do
	// not depend on it, but the row order of a tie group is reproducible.
	slices.SortStableFunc(r.row, func(a, b int) int { return cmp.Compare(scores[b], scores[a]) })
	r.score, r.label = make([]float32, len(scores)), make([]float32, len(scores))
	for i, j := range r.row {
		r.score[i], r.label[i] = scores[j], labels[j]
	}
	for i := range r.score {
		if i == 0 || r.score[i] != r.score[i-1] {
			r.group = append(r.group, i)
		}
	}
	r.group = append(r.group, len(r.score))
	return r, nil
}

// totals returns the weighted positives and negatives; w nil weighs every
// row 1.
func (r *ranked) totals(w []float64) (pos, neg float64) {
	for i, y := range r.label {
		wi := weight(w, i)
		pos += wi * float64(y)
		neg += wi * float64(1-y)
	}
	return pos, neg
}

func weight(w []float64, i int) float64 {
	if w == nil {
		return 1
	}
	return w[i]
}

// groupSums returns the weighted positives and negatives of group g.
func (r *ranked) groupSums(w []float64, g int) (gp, gn float64) {
	for i := r.group[g]; i < r.group[g+1]; i++ {
		wi := weight(w, i)
		gp += wi * float64(r.label[i])
		gn += wi * float64(1-r.label[i])
	}
	return gp, gn
}

// auc is the Mann–Whitney statistic: the probability that a positive
// outscores a negative, ties counting half.
func (r *ranked) auc(w []float64) float64 {
	pos, neg := r.totals(w)
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	var num, negAbove float64
	for g := range len(r.group) - 1 {
		gp, gn := r.groupSums(w, g)
		num += gp*(neg-negAbove-gn) + gp*gn/2
		negAbove += gn
	}
	return num / (pos * neg)
}

// ap is scikit-learn's average precision: Σ (Rₙ − Rₙ₋₁)·Pₙ over the
// thresholds in decreasing order.
func (r *ranked) ap(w []float64) float64 {
	pos, _ := r.totals(w)
	if pos == 0 {
		return math.NaN()
	}
	var tp, flagged, ap float64
	for g := range len(r.group) - 1 {
		gp, gn := r.groupSums(w, g)
		tp += gp
		flagged += gp + gn
		if gp > 0 {
			ap += gp / pos * (tp / flagged)
		}
	}
	return ap
}

// recallAtFPR is the largest true-positive rate among the thresholds
// whose false-positive rate is at most maxFPR (0 when none but "flag
// nothing" qualifies).
func (r *ranked) recallAtFPR(w []float64, maxFPR float64) float64 {
	pos, neg := r.totals(w)
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	var tp, fp, best float64
	for g := range len(r.group) - 1 {
		gp, gn := r.groupSums(w, g)
		tp += gp
		fp += gn
		if fp/neg > maxFPR {
			break // the false-positive rate only grows from here
		}
		best = tp / pos
	}
	return best
}

// brier is the weighted mean squared difference of score and label.
func (r *ranked) brier(w []float64) float64 {
	var sum, n float64
	for i, s := range r.score {
		d := float64(s) - float64(r.label[i])
		wi := weight(w, i)
		sum += wi * d * d
		n += wi
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / n
}

// confusion counts the weighted rows flagged (score ≥ threshold) and not.
func (r *ranked) confusion(w []float64, threshold float64) Confusion {
	var c Confusion
	for i, s := range r.score {
		wi := weight(w, i)
		y := float64(r.label[i])
		if float64(s) >= threshold {
			c.TP += wi * y
			c.FP += wi * (1 - y)
		} else {
			c.FN += wi * y
			c.TN += wi * (1 - y)
		}
	}
	return c
}

// Confusion is a confusion matrix. The counts are float64 so that a
// bootstrap replicate can weight rows; on plain input they are whole.
type Confusion struct {
	TP, FP, TN, FN float64
}

// TPR is the true-positive rate (recall, sensitivity); NaN without
// positives.
func (c Confusion) TPR() float64 { return ratio(c.TP, c.TP+c.FN) }

// TNR is the true-negative rate (specificity); NaN without negatives.
func (c Confusion) TNR() float64 { return ratio(c.TN, c.TN+c.FP) }

// FPR is the false-positive rate, 1 − TNR.
func (c Confusion) FPR() float64 { return ratio(c.FP, c.TN+c.FP) }

// Precision is TP/(TP+FP); NaN when nothing is flagged.
func (c Confusion) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

// GMean is √(TPR·TNR), the geometric mean of the two classes' recalls.
func (c Confusion) GMean() float64 { return math.Sqrt(c.TPR() * c.TNR()) }

// MacroF1 is the unweighted mean of the F1 scores of the positive and the
// negative class, a class's F1 being 0 when it is neither predicted nor
// present (scikit-learn's zero_division=0).
func (c Confusion) MacroF1() float64 {
	return (f1(c.TP, c.FP, c.FN) + f1(c.TN, c.FN, c.FP)) / 2
}

func f1(tp, fp, fn float64) float64 {
	if d := 2*tp + fp + fn; d > 0 {
		return 2 * tp / d
	}
	return 0
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

// AUC is the area under the ROC curve of scores against labels (the
// Mann–Whitney U statistic, ties counted half): scikit-learn's
// roc_auc_score. NaN when a class is absent or on malformed input.
func AUC(scores, labels []float32) float64 {
	r, err := rank(scores, labels)
	if err != nil {
		return math.NaN()
	}
	return r.auc(nil)
}

// AveragePrecision is Σₙ (Rₙ − Rₙ₋₁)·Pₙ over the distinct score
// thresholds in decreasing order, Pₙ and Rₙ being the precision and
// recall of flagging every row scoring at least the n-th threshold:
// scikit-learn's average_precision_score, the step-wise area under the
// precision–recall curve without interpolation. Its baseline is the
// positive rate. NaN without a positive row or on malformed input.
func AveragePrecision(scores, labels []float32) float64 {
	r, err := rank(scores, labels)
	if err != nil {
		return math.NaN()
	}
	return r.ap(nil)
}

// Brier is the mean squared difference between score and label
// (scikit-learn's brier_score_loss); lower is better, 0.25 for a constant
// 0.5. NaN on empty or malformed input.
func Brier(scores, labels []float32) float64 {
	r, err := rank(scores, labels)
	if err != nil {
		return math.NaN()
	}
	return r.brier(nil)
}

// RecallAtFPR is the largest true-positive rate of a threshold whose
// false-positive rate is at most maxFPR: the recall an alert budget of
// maxFPR of the legitimate rows buys. It reads scikit-learn's roc_curve
// (drop_intermediate=False) the same way. NaN when a class is absent or
// on malformed input.
func RecallAtFPR(scores, labels []float32, maxFPR float64) float64 {
	r, err := rank(scores, labels)
	if err != nil {
		return math.NaN()
	}
	return r.recallAtFPR(nil, maxFPR)
}

// ConfusionAt counts the rows flagged at threshold (score ≥ threshold).
func ConfusionAt(scores, labels []float32, threshold float64) (Confusion, error) {
	r, err := rank(scores, labels)
	if err != nil {
		return Confusion{}, err
	}
	return r.confusion(nil, threshold), nil
}
