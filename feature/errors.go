package feature

import "errors"

// Sentinel errors of the feature package; test with errors.Is.
var (
	// ErrConfig: a Config field is out of range.
	ErrConfig = errors.New("feature: invalid config")
	// ErrSchema: a feature spec or vector does not match the v1 schema
	// (wrong version, names or widths).
	ErrSchema = errors.New("feature: schema mismatch")
	// ErrKind: the node kind has no vector of the requested sort (an
	// entity vector of a Transaction, a target kind with no relation tree).
	ErrKind = errors.New("feature: unsupported node kind")
)
