package training

import "errors"

// Sentinel errors of the training package; test with errors.Is.
var (
	// ErrConfig: a configuration field is out of range.
	ErrConfig = errors.New("training: invalid config")
	// ErrNoData: a split has no rows, or lacks one of the two classes, so
	// the model cannot be trained or evaluated on it.
	ErrNoData = errors.New("training: not enough labelled data")
	// ErrData: a data set file is malformed (the error names the file and
	// line), or a split file names an unknown row.
	ErrData = errors.New("training: invalid data set")
	// ErrModel: a model artefact does not fit the data it is evaluated on
	// (another target, other relations or features).
	ErrModel = errors.New("training: model does not fit the data")
)

// TypologyCounter is the value of feature.ExtraTypologyCounts in the
// manifest of a model trained with a typology counter (a typology.Engine
// replayed over the training history, as riskgraph train builds it).
const TypologyCounter = "typology.Engine/v1"
