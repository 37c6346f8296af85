package gnn_test

import (
	"fmt"
	"path/filepath"

	"github.com/riskgraph/riskgraph/gnn"
	"github.com/riskgraph/riskgraph/gnn/artefact"
)

// Load an artefact, build the model once, score a batch of targets.
func ExampleModel_Score() {
	dir := filepath.Join("testdata", "parity", "account")
	a, err := artefact.Load(filepath.Join(dir, "f32-safetensors"))
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := gnn.New(a.Manifest, a.Tensors)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := readBatch(dir) // in production, a *sampling.Batch from the sampler
	if err != nil {
		fmt.Println(err)
		return
	}
	scores, err := m.Score(b, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, s := range scores {
		fmt.Printf("target %d: %.4f\n", i, s)
	}
	// Output:
	// target 0: 0.0179
	// target 1: 0.0031
	// target 2: 0.3748
}
