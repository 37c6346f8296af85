package registry

import "errors"

// Sentinel errors of the registry. Every error the package returns wraps
// one of them, or an artefact or file system error, with context naming
// the model, file or key at fault.
var (
	// ErrNotFound: no stored model has that id or prefix.
	ErrNotFound = errors.New("registry: model not found")
	// ErrAmbiguous: a prefix matches more than one stored model.
	ErrAmbiguous = errors.New("registry: ambiguous model id prefix")
	// ErrInvalid: a request or configuration is invalid (missing actor or
	// reason, a model id that cannot be stored, …).
	ErrInvalid = errors.New("registry: invalid request")
	// ErrCorrupt: the head (pointer) or a log line cannot be decoded.
	ErrCorrupt = errors.New("registry: corrupt registry state")
	// ErrConflict: another commit changed the head first. Registry retries
	// its own changes; a Backend returns it to say so.
	ErrConflict = errors.New("registry: concurrent change")
	// ErrWorse: promotion refused because the challenger is worse than the
	// champion on the same held-out set.
	ErrWorse = errors.New("registry: challenger is worse than the champion")
	// ErrIncomparable: promotion refused because the challenger cannot be
	// compared with the champion (no metrics, or different held-out sets).
	ErrIncomparable = errors.New("registry: challenger cannot be compared with the champion")
	// ErrNoPrevious: rollback with no earlier champion to return to.
	ErrNoPrevious = errors.New("registry: no previous champion")
	// ErrNoChange: the request would leave the state as it is.
	ErrNoChange = errors.New("registry: nothing to change")
)
