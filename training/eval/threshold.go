package eval

import (
	"fmt"
	"math"
)

// Rule says what a threshold chosen on validation data maximises.
type Rule uint8

// Threshold rules.
const (
	// GMean maximises √(TPR·TNR): a balanced operating point, the one the
	// fraud-detection literature reports G-Mean and macro-F1 at.
	GMean Rule = iota
	// MacroF1 maximises the mean of the two classes' F1 scores.
	MacroF1
)

// String returns "gmean" or "macro_f1".
func (r Rule) String() string {
	switch r {
	case GMean:
		return "gmean"
	case MacroF1:
		return "macro_f1"
	}
	return fmt.Sprintf("Rule(%d)", uint8(r))
}

// ParseRule is the inverse of Rule.String.
func ParseRule(s string) (Rule, error) {
	switch s {
	case "gmean":
		return GMean, nil
	case "macro_f1":
		return MacroF1, nil
	}
	return 0, fmt.Errorf("%w: threshold rule %q: want gmean or macro_f1", ErrInput, s)
}

// Threshold chooses the decision threshold that maximises rule on the
// given (validation) scores. The candidates are the distinct scores, each
// flagging the rows scoring at least it; the best one wins, the highest
// on a tie. The threshold returned is the midpoint between the winning
// score and the next lower distinct score (the winner itself when it is
// the lowest), so that a test row is flagged by the side of the gap it
// falls on, not by a validation row's exact value. Both classes must be
// present (else an error wrapping ErrInput).
func Threshold(scores, labels []float32, rule Rule) (float64, error) {
	r, err := rank(scores, labels)
	if err != nil {
		return 0, err
	}
	pos, neg := r.totals(nil)
	if pos == 0 || neg == 0 {
		return 0, fmt.Errorf("%w: choosing a threshold needs both classes, have %v positive and %v negative rows", ErrInput, pos, neg)
	}
	var tp, fp float64
	best, bestG := math.Inf(-1), -1
	for g := range len(r.group) - 1 {
		gp, gn := r.groupSums(nil, g)
		tp += gp
		fp += gn
		c := Confusion{TP: tp, FP: fp, FN: pos - tp, TN: neg - fp}
		var v float64
		switch rule {
		case GMean:
			v = c.GMean()
		case MacroF1:
			v = c.MacroF1()
		default:
			return 0, fmt.Errorf("%w: threshold rule %v", ErrInput, rule)
		}
		if v > best {
			best, bestG = v, g
		}
	}
	hi := float64(r.score[r.group[bestG]])
	if bestG+1 < len(r.group)-1 {
		lo := float64(r.score[r.group[bestG+1]])
		return lo + (hi-lo)/2, nil
	}
	return hi, nil
}
