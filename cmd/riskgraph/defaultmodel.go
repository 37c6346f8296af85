package main

import (
	"errors"

	"github.com/riskgraph/riskgraph/gnn/artefact"
)

// loadDefaultModel returns the model built into the binary.
func loadDefaultModel() (*artefact.Artefact, error) {
	return nil, usageError{errors.New("this build has no built-in model: give --model DIR")}
}
