package training

import "errors"

// Sentinel errors of the training package; test with errors.Is.
var (
	// ErrConfig: a configuration field is out of range.
	ErrConfig = errors.New("training: invalid config")
	// ErrNoData: a split has no rows, or lacks one of the two classes, so
	// the model cannot be trained or evaluated on it.
	ErrNoData = errors.New("training: not enough labelled data")
)
