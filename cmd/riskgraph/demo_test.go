package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestDemoEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run; skipped with -short")
	}
	dataDir := filepath.Join(t.TempDir(), "demo")
	out, _ := mustRun(t, "demo", "--data-dir", dataDir, "--users", "300", "--days", "8", "--live-days", "1", "--rate", "2000", "--json")
	var c demoCard
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("scorecard %q: %v", out, err)
	}
	total := c.Decisions["approve"] + c.Decisions["review"] + c.Decisions["decline"]
	if c.History == 0 || c.Live == 0 || c.Errors != 0 || total != c.Live || c.P50ms <= 0 {
		t.Errorf("scorecard %+v: want every live transaction decided without errors", c)
	}
	// Eight days of 300 customers hold planted AML patterns: the batch
	// typology run finds some and says how to investigate them.
	if len(c.Typologies) == 0 || len(c.Investigate) == 0 {
		t.Errorf("scorecard typologies %v, investigate %v: want the planted patterns found", c.Typologies, c.Investigate)
	}
	// The history reached the graph through the log, and demo refuses to
	// overwrite a used data dir.
	if _, err := os.Stat(filepath.Join(dataDir, "graph.snap")); err != nil {
		t.Errorf("no graph snapshot after demo: %v", err)
	}
	if _, _, err := run(t, "demo", "--data-dir", dataDir); err == nil {
		t.Error("demo ran over a non-empty data dir")
	}
}
