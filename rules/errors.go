package rules

import (
	"errors"
	"fmt"
)

// Sentinel errors. Test with errors.Is.
var (
	// ErrInvalid: a rules file failed validation. Every problem found is an
	// *Error in the joined error returned by Load.
	ErrInvalid = errors.New("invalid rules")
	// ErrVersionReused: a reloaded file differs from the active one but
	// keeps its version, so decisions stamped with that version would be
	// ambiguous. Bump the version.
	ErrVersionReused = errors.New("rules changed but version not bumped")
)

// Error is one validation problem at a position of a rules file. It wraps
// ErrInvalid.
type Error struct {
	File   string // the name given to Load (usually the path)
	Line   int    // 1-based; 0 when unknown
	Column int    // 1-based; 0 when unknown
	Field  string // e.g. "velocity[2].window"; "" for the whole file
	Msg    string
}

// Error returns "file:line:column: field: msg".
func (e *Error) Error() string {
	s := e.File
	if e.Line > 0 {
		s += fmt.Sprintf(":%d", e.Line)
		if e.Column > 0 {
			s += fmt.Sprintf(":%d", e.Column)
		}
	}
	if e.Field != "" {
		s += ": " + e.Field
	}
	return s + ": " + e.Msg
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *Error) Unwrap() error { return ErrInvalid }
