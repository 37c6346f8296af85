package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/feature"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/sampling"
)

// fittingModel writes a random-weight model whose shapes fit this build's
// Transaction sampler, so score runs end to end without a trained model.
func fittingModel(t *testing.T) string {
	t.Helper()
	cfg := sampling.Config{Target: graph.KindTransaction}.WithDefaults()
	d := cfg.Dims(8)
	r1, r2 := cfg.RelationNames()
	unit := func(names []string) []artefact.FeatureStat {
		out := make([]artefact.FeatureStat, len(names))
		for i, n := range names {
			out[i] = artefact.FeatureStat{Name: n, Mean: 0, Std: 1}
		}
		return out
	}
	txn, ent := feature.TxnNames(), feature.EntityNames()
	m := artefact.Manifest{ID: "random", Target: "Transaction", Dims: d, Relations1: r1, Relations2: r2,
		Features: artefact.FeatureSpec{Version: feature.Version, Target: unit(txn), Hop1: unit(ent), Hop2: unit(txn)}}
	w := randomWeights(d, 7, 0.3)
	dir := t.TempDir()
	if _, err := artefact.Write(dir, m, w, artefact.FormatSafetensors); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestScoreExplainsAndIsDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run; skipped with -short")
	}
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "t.csv")
	dataDir := filepath.Join(dir, "data")
	mustRun(t, "gen", "--seed", "5", "--users", "200", "--days", "7", "--out", csvPath)
	mustRun(t, "ingest", "--data-dir", dataDir, csvPath)
	model := fittingModel(t)

	// A late transaction has history on its entities.
	raw, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(string(raw)), "\n")
	id, _, _ := strings.Cut(rows[len(rows)*3/4], ",")
	first, _ := mustRun(t, "score", "--data-dir", dataDir, "--model", model, "--txn", id, "--json")
	second, _ := mustRun(t, "score", "--data-dir", dataDir, "--model", model, "--txn", id, "--json")
	if first != second {
		t.Errorf("two runs differ:\n%s\n%s", first, second)
	}
	var out scored
	if err := json.Unmarshal([]byte(first), &out); err != nil {
		t.Fatalf("score --json output %q: %v", first, err)
	}
	if out.Txn != id || out.Score <= 0 || out.Score >= 1 || !strings.HasPrefix(out.Model, "random@") {
		t.Errorf("score output = %+v", out)
	}
	if len(out.Neighbours) == 0 {
		t.Error("no neighbours reported")
	}
	for _, n := range out.Neighbours {
		if _, err := graph.ParseRef(n.Node); err != nil {
			t.Errorf("neighbour %q is not a KIND:ID: %v", n.Node, err)
		}
	}
	table, _ := mustRun(t, "score", "--data-dir", dataDir, "--model", model, "--txn", id)
	if !strings.Contains(table, "transaction "+id+": score") || !strings.Contains(table, "neighbours that drove it") {
		t.Errorf("table output:\n%s", table)
	}
	// Without --model, the model built into the binary.
	builtin, _ := mustRun(t, "score", "--data-dir", dataDir, "--txn", id, "--json")
	var bout scored
	if err := json.Unmarshal([]byte(builtin), &bout); err != nil || !strings.HasPrefix(bout.Model, "riskgraph-default@") {
		t.Errorf("built-in model output %q (%v)", builtin, err)
	}
	if _, _, err := run(t, "score", "--data-dir", dataDir, "--model", model, "--txn", "no-such-txn"); err == nil {
		t.Error("scoring an unknown transaction succeeded")
	}
}
