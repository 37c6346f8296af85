package training_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/training"
)

// TestTrainFolder trains on a generated folder whose labels only the
// graph explains (the node features are noise): the model must beat the
// positive rate clearly on validation and test, and evaluating the
// written artefact must reproduce the test metrics exactly.
func TestTrainFolder(t *testing.T) {
	ctx := context.Background()
	f, err := training.ReadFolder(genFolder(t, 1, 2000))
	if err != nil {
		t.Fatal(err)
	}
	fc := training.FolderConfig{K1: 4, K2: 2, Seed: 1}
	var epochs int
	cfg := training.Config{Hidden: 16, Fit: training.FitConfig{Epochs: 40, LearnRate: 0.01, Seed: 7}, Replicates: 200,
		Progress: func(training.EpochStats) { epochs++ }}
	r, err := training.TrainFolder(ctx, f, fc, training.SplitConfig{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c, s := r.Counts, r.Test.Summary
	base := float64(c.ValPos) / float64(c.Val)
	t.Logf("train %d (%d+), val %d (%d+), test %d (%d+) of %d; best epoch %d of %d; val AUC %.4f AP %.4f (rate %.4f); test AUC %.4f AP %.4f G-Mean %.4f",
		c.Train, c.TrainPos, c.Val, c.ValPos, c.Test, c.TestPos, c.TestAll, r.Fit.BestEpoch, len(r.Fit.Epochs), r.ValAUC, r.ValAP, base, s.AUC.Value, s.AP.Value, s.GMean.Value)
	if r.ValAP < 3*base || s.AP.Value < 3*base {
		t.Errorf("validation AP %.4f, test AP %.4f: want ≥ 3 × the positive rate %.4f", r.ValAP, s.AP.Value, base)
	}
	if epochs != len(r.Fit.Epochs) {
		t.Errorf("progress called %d times for %d epochs", epochs, len(r.Fit.Epochs))
	}
	if c.TestAll <= c.Test || len(r.Test.IDs) != c.TestAll {
		t.Errorf("test split: %d scored, %d labelled of %d: the unlabelled test nodes must be scored too", len(r.Test.IDs), c.Test, c.TestAll)
	}

	dir := t.TempDir()
	a, err := r.Write(dir, artefact.FormatSafetensors, "generated", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{training.CardJSON, training.CardMD, training.ROCPlot, training.PRPlot} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	var card training.Card
	b, _ := os.ReadFile(filepath.Join(dir, training.CardJSON))
	if err := json.Unmarshal(b, &card); err != nil {
		t.Fatal(err)
	}
	if card.Model != a.ModelID() || card.Data.Fingerprint != f.Fingerprint || card.Test.AUC != s.AUC || card.Data.Split != "column" {
		t.Errorf("card: model %s fingerprint %s split %q test AUC %+v", card.Model, card.Data.Fingerprint, card.Data.Split, card.Test.AUC)
	}
	if got := a.Manifest.Training.Metrics["test_auc"]; got != s.AUC.Value {
		t.Errorf("manifest test_auc %v, result %v", got, s.AUC.Value)
	}

	// The artefact alone, on the same folder, reproduces the test
	// evaluation: scores, metrics and intervals.
	e, err := training.EvalFolder(ctx, f, a.Manifest, a.Tensors, training.SplitConfig{}, training.SplitTest)
	if err != nil {
		t.Fatal(err)
	}
	if e.Summary != s {
		t.Errorf("evaluation of the artefact:\n%+v\ntraining reported:\n%+v", e.Summary, s)
	}
	for i := range e.Scores {
		if e.IDs[i] != r.Test.IDs[i] || e.Scores[i] != r.Test.Scores[i] {
			t.Fatalf("score %d: %s %v, training %s %v", i, e.IDs[i], e.Scores[i], r.Test.IDs[i], r.Test.Scores[i])
		}
	}
	// A model does not evaluate a folder with other columns.
	other, err := training.ReadFolder(writeFolder(t, map[string]string{"nodes.csv": "node_id,label,split,z\na,1,test,1\nb,0,test,2\n", "edges_pay.csv": "src,dst\na,b\n"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := training.EvalFolder(ctx, other, a.Manifest, a.Tensors, training.SplitConfig{}, training.SplitTest); !errors.Is(err, training.ErrModel) {
		t.Errorf("evaluating on other columns: error %v, want ErrModel", err)
	}
}

// TestFolderSplits checks the split kinds on one folder: a random split
// is stratified and reproducible, a split file is applied by id.
func TestFolderSplits(t *testing.T) {
	ctx := context.Background()
	f, err := training.ReadFolder(genFolder(t, 2, 1000))
	if err != nil {
		t.Fatal(err)
	}
	cfg := training.Config{Hidden: 8, Fit: training.FitConfig{Epochs: 2, Seed: 1}, Replicates: 50}
	fc := training.FolderConfig{K1: 2, K2: 1}
	r, err := training.TrainFolder(ctx, f, fc, training.SplitConfig{Kind: training.SplitRandom, Seed: 3, ValFraction: 0.25, TestFraction: 0.25}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := r.Counts
	var labelled, pos int
	for _, y := range f.Labels {
		if y >= 0 {
			labelled++
			pos += int(y)
		}
	}
	rate := float64(pos) / float64(labelled)
	for _, s := range []struct {
		name   string
		n, pos int
		share  float64
	}{{"train", c.Train, c.TrainPos, 0.5}, {"val", c.Val, c.ValPos, 0.25}, {"test", c.Test, c.TestPos, 0.25}} {
		// Stratified: each split's size and positive rate within one row
		// per class of rounding.
		if d := float64(s.n) - s.share*float64(labelled); d < -2 || d > 2 {
			t.Errorf("%s has %d rows, want %.0f", s.name, s.n, s.share*float64(labelled))
		}
		if d := float64(s.pos) - rate*float64(s.n); d < -2 || d > 2 {
			t.Errorf("%s has %d positives of %d, the data's rate is %.4f", s.name, s.pos, s.n, rate)
		}
	}
	if r.Manifest.Training.Split != "random seed=3 val=0.25 test=0.25" {
		t.Errorf("recorded split %q", r.Manifest.Training.Split)
	}
	e, err := training.EvalFolder(ctx, f, r.Manifest, r.Weights, training.SplitConfig{}, training.SplitTest)
	if err != nil {
		t.Fatal(err)
	}
	if e.Summary != r.Test.Summary {
		t.Errorf("random split not reproduced: %+v vs %+v", e.Summary.AUC, r.Test.Summary.AUC)
	}

	// A split file: the first 600 nodes train, the next 200 validate, the
	// rest test.
	assign := map[string]training.Split{}
	for i, id := range f.IDs {
		switch {
		case i < 600:
			assign[id] = training.SplitTrain
		case i < 800:
			assign[id] = training.SplitVal
		default:
			assign[id] = training.SplitTest
		}
	}
	sc := training.SplitConfig{Kind: training.SplitFile, Assign: assign, FileSHA256: "ab"}
	r, err = training.TrainFolder(ctx, f, fc, sc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n := r.Counts; n.Train+n.Val != 800-countUnlabelled(f, 0, 800) || n.TestAll != 200 {
		t.Errorf("file split counts %+v", n)
	}
	if _, err := training.EvalFolder(ctx, f, r.Manifest, r.Weights, training.SplitConfig{}, training.SplitTest); !errors.Is(err, training.ErrConfig) {
		t.Errorf("evaluating a file-split model without the file: error %v, want ErrConfig", err)
	}
	assign["nobody"] = training.SplitTest
	if _, err := training.TrainFolder(ctx, f, fc, sc, cfg); !errors.Is(err, training.ErrData) {
		t.Errorf("a split file naming an unknown node: error %v, want ErrData", err)
	}
}

func countUnlabelled(f *training.Folder, lo, hi int) int {
	var n int
	for _, y := range f.Labels[lo:hi] {
		if y < 0 {
			n++
		}
	}
	return n
}
