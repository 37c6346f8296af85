package main

import (
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/gnn/defaultmodel"
)

// loadDefaultModel returns the model built into the binary.
func loadDefaultModel() (*artefact.Artefact, error) { return defaultmodel.Load() }
