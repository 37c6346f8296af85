package artefact_test

import (
	"fmt"
	"log"
	"os"

	"github.com/riskgraph/riskgraph/gnn/artefact"
)

// A trainer writes its weights with Write; the scorer loads them with
// Load, which checks everything before returning.
func Example() {
	dir, err := os.MkdirTemp("", "artefact-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	d := artefact.Dims{F0: 2, F1: 1, F2: 1, R1: 1, R2: 1, K1: 8, K2: 4, H: 3}
	stat := func(name string) artefact.FeatureStat { return artefact.FeatureStat{Name: name, Mean: 0, Std: 1} }
	m := artefact.Manifest{
		ID:         "fraud-demo",
		Target:     "Transaction",
		Dims:       d,
		Relations1: []string{"BY"},
		Relations2: []string{"USES"},
		Features: artefact.FeatureSpec{
			Version: "v1",
			Target:  []artefact.FeatureStat{stat("amount_log"), stat("hour_sin")},
			Hop1:    []artefact.FeatureStat{stat("age_days")},
			Hop2:    []artefact.FeatureStat{stat("degree")},
		},
		Training: artefact.Training{Seed: 1, Trainer: "gorgonia"},
	}
	tensors := map[string][]float32{}
	for _, s := range d.Tensors() {
		n := 1
		for _, x := range s.Shape {
			n *= x
		}
		tensors[s.Name] = make([]float32, n)
	}
	tensors["head.b"][0] = -2.5

	written, err := artefact.Write(dir, m, tensors, artefact.FormatSafetensors)
	if err != nil {
		log.Fatal(err)
	}
	a, err := artefact.Load(dir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(a.Manifest.Weights, len(a.Tensors), "tensors")
	fmt.Println("head.b", a.Tensors["head.b"], "shape", a.Manifest.Tensors["head.b"].Shape)
	fmt.Println(a.ModelID() == written.ModelID(), len(a.ModelID()) == len("fraud-demo@")+12)
	// Output:
	// weights.safetensors 11 tensors
	// head.b [-2.5] shape [1]
	// true true
}
