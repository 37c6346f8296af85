package training_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/riskgraph/riskgraph/gnn/artefact"
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

// Train on a labelled-graph folder (here a tiny generated one), then
// evaluate the written model on the test split: on the same data the
// evaluation reproduces the training report.
func ExampleTrainFolder() {
	data, err := os.MkdirTemp("", "folder")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(data)
	var nodes, edges strings.Builder
	nodes.WriteString("node_id,label,split,x\n")
	edges.WriteString("src,dst\n")
	for i := range 400 {
		// Accounts 0..39 pay each other in rings of 4: the positives.
		label := 0
		if i < 40 {
			label = 1
			fmt.Fprintf(&edges, "a%d,a%d\n", i, i/4*4+(i+1)%4)
		}
		fmt.Fprintf(&edges, "a%d,a%d\n", i, (i*7+13)%400)
		fmt.Fprintf(&nodes, "a%d,%d,%s,%d\n", i, label, [...]string{"train", "train", "val", "test"}[i%4], i%5)
	}
	os.WriteFile(filepath.Join(data, "nodes.csv"), []byte(nodes.String()), 0o644)
	os.WriteFile(filepath.Join(data, "edges_pay.csv"), []byte(edges.String()), 0o644)

	f, err := training.ReadFolder(data)
	if err != nil {
		log.Fatal(err)
	}
	r, err := training.TrainFolder(context.Background(), f, training.FolderConfig{K1: 3, K2: 2}, training.SplitConfig{},
		training.Config{Hidden: 8, Fit: training.FitConfig{Epochs: 30, LearnRate: 0.01, Seed: 1}})
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "model")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	a, err := r.Write(dir, artefact.FormatSafetensors, data, time.Time{})
	if err != nil {
		log.Fatal(err)
	}
	e, err := training.EvalFolder(context.Background(), f, a.Manifest, a.Tensors, training.SplitConfig{}, training.SplitTest)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("test AUC %.2f, reproduced: %v\n", r.Test.Summary.AUC.Value, e.Summary == r.Test.Summary)
	// Output: test AUC 1.00, reproduced: true
}
