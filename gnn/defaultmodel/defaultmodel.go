package defaultmodel

import (
	"embed"

	"github.com/riskgraph/riskgraph/gnn/artefact"
)

//go:embed model/manifest.json model/weights.safetensors
var files embed.FS

// Load returns the embedded default model, validated like any artefact
// (artefact.LoadFS). Each call returns a new Artefact the caller owns; its
// Dir is "model", a path inside the embedded files. An error means the
// binary was built with a damaged model and wraps artefact's sentinels.
func Load() (*artefact.Artefact, error) {
	return artefact.LoadFS(files, "model")
}
