package eval

// Point is a point of a curve.
type Point struct {
	X, Y float64
}

// ROC returns the ROC curve: (false-positive rate, true-positive rate)
// after each distinct threshold in decreasing order, starting at (0, 0)
// and ending at (1, 1): scikit-learn's roc_curve with
// drop_intermediate=False. Both classes must be present.
func ROC(scores, labels []float32) ([]Point, error) {
	r, pos, neg, err := rankBoth(scores, labels)
	if err != nil {
		return nil, err
	}
	out := make([]Point, 0, len(r.group))
	out = append(out, Point{0, 0})
	var tp, fp float64
	for g := range len(r.group) - 1 {
		gp, gn := r.groupSums(nil, g)
		tp += gp
		fp += gn
		out = append(out, Point{fp / neg, tp / pos})
	}
	return out, nil
}

// PR returns the precision–recall curve: (recall, precision) after each
// distinct threshold in decreasing order, starting at (0, 1) as
// scikit-learn's precision_recall_curve does. Both classes must be
// present.
func PR(scores, labels []float32) ([]Point, error) {
	r, pos, _, err := rankBoth(scores, labels)
	if err != nil {
		return nil, err
	}
	out := make([]Point, 0, len(r.group))
	out = append(out, Point{0, 1})
	var tp, flagged float64
	for g := range len(r.group) - 1 {
		gp, gn := r.groupSums(nil, g)
		tp += gp
		flagged += gp + gn
		out = append(out, Point{tp / pos, tp / flagged})
	}
	return out, nil
}

// rankBoth ranks scores and returns the unweighted class totals; a curve
// needs both classes.
func rankBoth(scores, labels []float32) (r *ranked, pos, neg float64, err error) {
	if r, err = rank(scores, labels); err != nil {
		return nil, 0, 0, err
	}
	if pos, neg = r.totals(nil); pos == 0 || neg == 0 {
		return nil, 0, 0, errClasses(pos, neg)
	}
	return r, pos, neg, nil
}
