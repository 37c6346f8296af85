package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRulesTestBacktestsHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run; skipped with -short")
	}
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "t.csv")
	dataDir := filepath.Join(dir, "data")
	mustRun(t, "gen", "--seed", "12", "--users", "150", "--days", "7", "--out", csvPath)
	mustRun(t, "ingest", "--data-dir", dataDir, csvPath)

	def, err := os.ReadFile(filepath.Join("..", "..", "rules", "default.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Approving only below 0.01 must move approvals to review.
	strict := strings.Replace(string(def), `version: "2026-11-26.1"`, `version: "strict-1"`, 1)
	strict = strings.Replace(strict, "below: 0.3", "below: 0.01", 1)
	strictPath := filepath.Join(dir, "strict.yaml")
	os.WriteFile(strictPath, []byte(strict+"\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "same.yaml"), def, 0o600)
	out, _ := mustRun(t, "rules", "test", filepath.Join(dir, "same.yaml"), "--data-dir", dataDir, "--json")
	var rep struct {
		Total, Changed int
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Total == 0 || rep.Changed != 0 {
		t.Errorf("the same rules changed decisions: %s (%v)", out, err)
	}
	out, _ = mustRun(t, "rules", "test", strictPath, "--data-dir", dataDir, "--json")
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Changed == 0 || !strings.Contains(out, "approve→review") {
		t.Errorf("a stricter approve band changed nothing: %s (%v)", out, err)
	}
	degraded, _ := mustRun(t, "rules", "test", strictPath, "--data-dir", dataDir, "--no-model", "--json")
	if err := json.Unmarshal([]byte(degraded), &rep); err != nil || rep.Total == 0 {
		t.Errorf("--no-model report %s (%v)", degraded, err)
	}

	broken := filepath.Join(dir, "broken.yaml")
	os.WriteFile(broken, []byte("version: \"x\"\nbands:\n  - {below: 2, decision: approve}\n"), 0o600)
	_, _, err = run(t, "rules", "test", broken, "--data-dir", dataDir)
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "broken.yaml:3:") {
		t.Errorf("broken rules: %v, want a usage error naming broken.yaml:3:", err)
	}
}
