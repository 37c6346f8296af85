// Package eval measures a binary classifier's scores against 0/1 labels:
// ROC AUC, average precision, macro-F1 and G-Mean at a threshold, recall
// at a false-positive-rate budget, the Brier score, seeded bootstrap
// confidence intervals of all of them, and the ROC and precision–recall
// curves.
//
// # Conventions
//
// Scores are probabilities of the positive class, higher meaning more
// suspicious; labels are 0 or 1. A row is flagged at threshold τ when its
// score is at least τ. Tied scores enter every ranking metric together
// (as one threshold), so no metric depends on the order of tied rows.
// Each metric is defined as scikit-learn computes it (roc_auc_score,
// average_precision_score, f1_score(average="macro"), brier_score_loss,
// roc_curve); testdata/golden.json holds scikit-learn's values for fixed
// inputs, written by testdata/make_golden.py, and the tests hold this
// package to them.
//
// A metric that is undefined on its input (AUC without a negative row,
// say) is NaN. Malformed input — slices of different lengths, a label
// other than 0 or 1, a score that is not finite — is an error wrapping
// ErrInput.
//
// # Cost
//
// The rows are sorted by score once; every metric is then one pass over
// the sorted rows with a weight per row. A bootstrap replicate is the
// same pass with multinomial weights (how many times each row was
// drawn), so a replicate costs O(n), not a sort.
package eval
