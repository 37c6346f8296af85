package signal

import "errors"

// Sentinel errors of package signal; callers test with errors.Is.
var (
	// ErrInvalidConfig: a Config field is out of range (the error names it).
	ErrInvalidConfig = errors.New("signal: invalid config")
	// ErrInvalidPlugin: Register was given a nil plug-in or an empty name.
	ErrInvalidPlugin = errors.New("signal: invalid plug-in")
	// ErrDuplicatePlugin: a plug-in with that name is already registered.
	ErrDuplicatePlugin = errors.New("signal: duplicate plug-in name")
	// ErrInvalidDecision: Route was given a decision it cannot turn into a
	// signal (no transaction, no subject id, score not in [0, 1]).
	ErrInvalidDecision = errors.New("signal: invalid decision")
	// ErrInvalidSignal: Decode was given bytes that are not a valid v1
	// signal.
	ErrInvalidSignal = errors.New("signal: invalid signal")
	// ErrClosed: the Router has been closed.
	ErrClosed = errors.New("signal: router closed")
)
