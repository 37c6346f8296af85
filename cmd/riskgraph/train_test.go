package main

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/feature"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/training"
)

// writeLabelledFolder writes a small labelled-graph folder: accounts
// paying at random, a tenth of them in 3-rings (positive), random
// 60/20/20 split column, a few unlabelled test nodes.
func writeLabelledFolder(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(9, 9))
	label := make([]int, n)
	var edges strings.Builder
	edges.WriteString("src,dst,time,amount\n")
	for range 3 * n {
		fmt.Fprintf(&edges, "a%d,a%d,%d,%.2f\n", rng.IntN(n), rng.IntN(n), rng.IntN(50), 100+200*rng.Float64())
	}
	for i := 0; i+3 <= n/10; i += 3 {
		for k := range 3 {
			fmt.Fprintf(&edges, "a%d,a%d,%d,%.2f\n", i+k, i+(k+1)%3, 10+k, 50+400*rng.Float64())
			label[i+k] = 1
		}
	}
	var nodes strings.Builder
	nodes.WriteString("node_id,label,split,f0,f1\n")
	for i := range n {
		split := [...]string{"train", "train", "train", "val", "test"}[rng.IntN(5)]
		lab := fmt.Sprint(label[i])
		if split == "test" && i%17 == 0 {
			lab = ""
		}
		fmt.Fprintf(&nodes, "a%d,%s,%s,%.3f,%.3f\n", i, lab, split, rng.NormFloat64(), rng.Float64())
	}
	for name, content := range map[string]string{"nodes.csv": nodes.String(), "edges_pay.csv": edges.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// metricsOf reads a train or eval --json report.
func metricsOf(t *testing.T, raw string) trainReport {
	t.Helper()
	var r trainReport
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatalf("report %q: %v", raw, err)
	}
	return r
}

// TestTrainEvalFolder: train then eval on the same folder and seed
// reproduce the same test metrics, and eval scores every test node.
func TestTrainEvalFolder(t *testing.T) {
	data := writeLabelledFolder(t, 900)
	dir := t.TempDir()
	model := filepath.Join(dir, "model")
	metrics := filepath.Join(dir, "train.json")
	out, errOut := mustRun(t, "train", "--dataset", data, "--out", model, "--seed", "3", "--epochs", "12",
		"--hidden", "8", "--k1", "4", "--k2", "2", "--bootstrap", "100", "--metrics-json", metrics)
	for _, want := range []string{"auc", "gmean", "recall_at_1pct_fpr", "best epoch"} {
		if !strings.Contains(out, want) {
			t.Errorf("train output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "epoch 1/12") || !strings.Contains(errOut, "val AP") {
		t.Errorf("no progress bar on a terminal: %q", errOut)
	}
	raw, err := os.ReadFile(metrics)
	if err != nil {
		t.Fatal(err)
	}
	trained := metricsOf(t, string(raw))
	t.Logf("counts %+v, best epoch %d of %d, test AUC %.4f AP %.4f", *trained.Counts, *trained.BestEpoch, trained.Epochs, trained.Test.AUC.Value, trained.Test.AP.Value)
	for _, name := range []string{"manifest.json", training.CardJSON, training.CardMD, training.ROCPlot, training.PRPlot} {
		if _, err := os.Stat(filepath.Join(model, name)); err != nil {
			t.Errorf("model dir: %v", err)
		}
	}
	scores := filepath.Join(dir, "scores.csv")
	out, _ = mustRun(t, "eval", "--model", model, "--dataset", data, "--json", "--scores-out", scores)
	evaluated := metricsOf(t, out)
	if evaluated.Model != trained.Model || evaluated.Test != trained.Test {
		t.Errorf("eval of %s:\n%+v\ntrain reported for %s:\n%+v", evaluated.Model, evaluated.Test, trained.Model, trained.Test)
	}
	if trained.Test.AUC.Value < 0.6 {
		t.Errorf("test AUC %.4f: the model learnt nothing", trained.Test.AUC.Value)
	}
	lines := strings.Split(strings.TrimSpace(readFile(t, scores)), "\n")
	if lines[0] != "id,score" || len(lines)-1 != trained.Counts.TestAll || trained.Counts.TestAll <= trained.Counts.Test {
		t.Errorf("scores file: header %q, %d rows; the test split has %d nodes, %d labelled", lines[0], len(lines)-1, trained.Counts.TestAll, trained.Counts.Test)
	}
	// The table form shows the same numbers.
	out, _ = mustRun(t, "eval", "--model", model, "--dataset", data, "--on", "val")
	if !strings.Contains(out, "val split") {
		t.Errorf("eval --on val:\n%s", out)
	}
}

// TestTrainEvalDataDir: the same on a data directory, temporal split.
func TestTrainEvalDataDir(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run; skipped with -short")
	}
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "traffic.csv")
	dataDir := filepath.Join(dir, "data")
	mustRun(t, "gen", "--seed", "2", "--users", "400", "--days", "28", "--out", csvPath)
	mustRun(t, "ingest", "--data-dir", dataDir, "--sync-interval", "1s", csvPath)
	model := filepath.Join(dir, "model")
	out, _ := mustRun(t, "train", "--data-dir", dataDir, "--out", model, "--seed", "5", "--epochs", "5",
		"--hidden", "16", "--bootstrap", "100", "--json")
	trained := metricsOf(t, out)
	t.Logf("%s: counts %+v, test AUC %.4f AP %.4f", trained.Split, *trained.Counts, trained.Test.AUC.Value, trained.Test.AP.Value)
	if !strings.HasPrefix(trained.Split, "temporal cut=") || trained.Counts.TestPos == 0 {
		t.Fatalf("split %q, counts %+v", trained.Split, trained.Counts)
	}
	// The model was trained with typology counts replayed over the
	// history, and says so: eval (and serve, explain) feed the same.
	a, err := artefact.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	if got := feature.TypologyCounts(a.Manifest.Features.Extra); got != training.TypologyCounter {
		t.Errorf("manifest typology counter %q, want %q", got, training.TypologyCounter)
	}
	out, _ = mustRun(t, "eval", "--model", model, "--data-dir", dataDir, "--json")
	if evaluated := metricsOf(t, out); evaluated.Test != trained.Test {
		t.Errorf("eval:\n%+v\ntrain:\n%+v", evaluated.Test, trained.Test)
	}
	if _, _, err := run(t, "train", "--data-dir", dataDir, "--target", "account", "--out", filepath.Join(dir, "acc")); err == nil ||
		!strings.Contains(err.Error(), "no labelled Account") {
		t.Errorf("account target without account labels: %v", err)
	}
}

func TestExportBatches(t *testing.T) {
	data := writeLabelledFolder(t, 300)
	out := filepath.Join(t.TempDir(), "batches")
	stdout, _ := mustRun(t, "export-batches", "--dataset", data, "--out", out, "--batch-size", "64", "--k1", "3", "--k2", "2", "--splits", "train,val,test")
	if !strings.Contains(stdout, "train:") || !strings.Contains(stdout, "test:") {
		t.Errorf("output:\n%s", stdout)
	}
	var man training.ExportManifest
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(out, "manifest.json"))), &man); err != nil {
		t.Fatal(err)
	}
	if man.Format != training.ExportFormat || man.Dims.K1 != 3 || man.Dims.R1 != 2 || len(man.Features.Target) != man.Dims.F0 || len(man.Files) < 3 {
		t.Fatalf("manifest: %+v", man)
	}
	zr, err := zip.OpenReader(filepath.Join(out, man.Files[0].Name))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, ","); got != "X0.npy,X1.npy,M1.npy,X2.npy,M2.npy,y.npy,valid.npy" {
		t.Errorf("npz entries %s", got)
	}
}

func TestTrainBadCommandLines(t *testing.T) {
	dir := t.TempDir()
	data := writeLabelledFolder(t, 60)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no data", []string{"train", "--out", dir}, "--data-dir and --dataset"},
		{"both data", []string{"train", "--data-dir", dir, "--dataset", data, "--out", dir}, "exactly one"},
		{"no out", []string{"train", "--dataset", data}, "--out"},
		{"format", []string{"train", "--dataset", data, "--out", dir, "--format", "onnx"}, "--format"},
		{"rule", []string{"train", "--dataset", data, "--out", dir, "--threshold-rule", "best"}, "threshold rule"},
		{"directions", []string{"train", "--dataset", data, "--out", dir, "--directions", "sideways"}, "directions"},
		{"split file", []string{"train", "--dataset", data, "--out", dir, "--split", filepath.Join(dir, "none.csv")}, "--split"},
		{"random and file", []string{"train", "--dataset", data, "--out", dir, "--split", "x", "--random-split"}, "choose one"},
		{"target", []string{"train", "--data-dir", dir, "--out", dir, "--target", "merchant"}, "--target"},
		{"eval no model", []string{"eval", "--dataset", data}, "--model"},
		{"eval on", []string{"eval", "--dataset", data, "--model", dir, "--on", "holdout"}, "--on"},
		{"export splits", []string{"export-batches", "--dataset", data, "--out", dir, "--splits", "train,dev"}, "--splits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := run(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
			var ue usageError
			if !errors.As(err, &ue) {
				t.Errorf("error %v is not a usage error (exit status 2)", err)
			}
		})
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
