package typology

import (
	"fmt"

	"github.com/riskgraph/riskgraph/graph"
)

// Sentinel errors of the typology package; test with errors.Is.
var (
	// ErrConfig: a Config field is out of range (the error names it). It
	// wraps graph.ErrInvalid.
	ErrConfig = fmt.Errorf("typology: invalid config: %w", graph.ErrInvalid)
	// ErrSeed: RingAround was given a node that cannot anchor a ring (a
	// merchant, an invalid reference). It wraps graph.ErrInvalid.
	ErrSeed = fmt.Errorf("typology: ring seed: %w", graph.ErrInvalid)
)

// configError reports field = value as out of range.
func configError(field string, v any, want string) error {
	return fmt.Errorf("%w: %s = %v: %s", ErrConfig, field, v, want)
}
