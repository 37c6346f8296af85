package training_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/training"
)

// Train a small default model and read its validation metrics back from
// the manifest.
func ExampleTrainDefault() {
	dir, err := os.MkdirTemp("", "model")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	a, rep, err := training.TrainDefault(context.Background(), training.DefaultConfig{Seed: 3, Users: 500, Days: 28, Epochs: 4, OutDir: dir, Store: mem.New()})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d rows, val AUC %.3f, val AP %.3f\n", a.ModelID(), rep.Rows, a.Manifest.Training.Metrics["val_auc"], rep.ValAP)
}
