package eval

import (
	"errors"
	"fmt"
)

// ErrInput: scores and labels do not fit together (lengths, a label other
// than 0 or 1, a non-finite score), or a configuration is out of range.
var ErrInput = errors.New("eval: invalid input")

func errClasses(pos, neg float64) error {
	return fmt.Errorf("%w: a curve needs both classes, have %v positive and %v negative rows", ErrInput, pos, neg)
}
