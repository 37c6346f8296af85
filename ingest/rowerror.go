package ingest

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/riskgraph/riskgraph/graph"
)

// RowError is a malformed row or message. Its text is
// "line 12: amount: negative (-3)"; the line is left out when Line is 0 (a
// single message rather than a file), the field when Field is "" (the row
// as a whole: its length, its shape, its number of CSV fields). It wraps
// ErrInvalid. A RowError never holds a card number: values it echoes have
// their long digit runs masked, and card values are never echoed at all.
type RowError struct {
	Line   int    // 1-based line the row starts on; 0 for a single message
	Field  string // contract field name ("amount", "attrs", …); "" for the whole row
	Reason string
}

func (e *RowError) Error() string {
	var b strings.Builder
	b.Grow(len(e.Field) + len(e.Reason) + 16)
	if e.Line > 0 {
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *RowError) Unwrap() error { return graph.ErrInvalid }

// fieldError returns a RowError for field (line 0: the reader sets it).
func fieldError(field, reason string) *RowError {
	return &RowError{Field: field, Reason: reason}
}

// asRowError turns a validation error from package graph into a RowError,
// masking digit runs in its text (graph's messages quote values).
func asRowError(err error) *RowError {
	var fe *graph.FieldError
	if errors.As(err, &fe) {
		return fieldError(fe.Field, maskDigitRuns(fe.Reason))
	}
	return fieldError("", maskDigitRuns(err.Error()))
}

// maxEcho is the most bytes of a value that an error message quotes.
const maxEcho = 64

// echo quotes a value for an error message: cut to maxEcho bytes (on a rune
// boundary), quoted with strconv.Quote, and with every run of 12 or more
// digits masked, so that no card number can leak through an error. The
// masking runs after quoting so that escapes cannot assemble a digit run.
func echo(s string) string {
	cut := false
	if len(s) > maxEcho {
		n := maxEcho
		for n > maxEcho-utf8.UTFMax && !utf8.RuneStart(s[n]) {
			n--
		}
		s, cut = s[:n], true
	}
	q := maskDigitRuns(strconv.Quote(s))
	if cut {
		q += "…"
	}
	return q
}
