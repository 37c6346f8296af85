package main

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/typology"
	"github.com/riskgraph/riskgraph/typology/natsalert"
)

func TestTypologyScan(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run; skipped with -short")
	}
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "t.csv")
	dataDir := filepath.Join(dir, "data")
	gen := []string{"gen", "--seed", "21", "--users", "600", "--days", "14", "--out", csvPath}
	for _, p := range []string{"aml_fan_in", "aml_fan_out", "aml_cycle", "aml_structuring", "aml_scatter_gather", "aml_rapid_pass_through", "synthetic_identity"} {
		gen = append(gen, "--rate", p+"=10")
	}
	mustRun(t, gen...)
	mustRun(t, "ingest", "--data-dir", dataDir, csvPath)

	out, errOut := mustRun(t, "typology", "scan", "--data-dir", dataDir, "--json")
	var alerts []typology.Alert
	if err := json.Unmarshal([]byte(out), &alerts); err != nil {
		t.Fatalf("scan --json output: %v\n%s", err, out)
	}
	seen := map[string]int{}
	ids := map[string]bool{}
	for _, a := range alerts {
		seen[a.Typology]++
		if ids[a.ID] {
			t.Errorf("alert id %s twice", a.ID)
		}
		ids[a.ID] = true
	}
	for _, want := range []string{typology.FanIn, typology.FanOut, typology.Cycle, typology.Structuring, typology.ScatterGather, typology.RapidPassThrough, typology.SharedIDRing} {
		if seen[want] == 0 {
			t.Errorf("no %s alert among %v", want, seen)
		}
	}
	if !strings.Contains(errOut, "alerts: ") {
		t.Errorf("no summary on stderr: %q", errOut)
	}

	// The table has a header and one line per alert.
	table, _ := mustRun(t, "typology", "scan", "--data-dir", dataDir)
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != len(alerts)+1 || !regexp.MustCompile(`^typology\s+severity\s+focus\s+members\s+txns\s+amount\s+window\s+id$`).MatchString(lines[0]) {
		t.Errorf("table: %d lines for %d alerts, header %q", len(lines), len(alerts), lines[0])
	}

	// Selecting typologies and a start.
	out, _ = mustRun(t, "typology", "scan", "--data-dir", dataDir, "--typology", "cycle,structuring", "--json")
	var some []typology.Alert
	json.Unmarshal([]byte(out), &some)
	if len(some) != seen[typology.Cycle]+seen[typology.Structuring] {
		t.Errorf("--typology cycle,structuring: %d alerts, want %d", len(some), seen[typology.Cycle]+seen[typology.Structuring])
	}
	for _, a := range some {
		if a.Typology != typology.Cycle && a.Typology != typology.Structuring {
			t.Errorf("--typology cycle,structuring returned a %s alert", a.Typology)
		}
	}
	out, _ = mustRun(t, "typology", "scan", "--data-dir", dataDir, "--since", "2030-01-01", "--json")
	if strings.TrimSpace(out) != "[]" {
		t.Errorf("--since after the data: %s, want []", out)
	}
	var ue usageError
	if _, _, err := run(t, "typology", "scan", "--data-dir", dataDir, "--typology", "smurfing"); !errors.As(err, &ue) || !strings.Contains(err.Error(), "smurfing") {
		t.Errorf("unknown typology: %v, want a usage error naming it", err)
	}
	if _, _, err := run(t, "typology", "scan", "--data-dir", dataDir, "--since", "yesterday"); !errors.As(err, &ue) {
		t.Errorf("bad --since: %v, want a usage error", err)
	}

	// Publishing twice stores the alerts once.
	_, errOut = mustRun(t, "typology", "scan", "--data-dir", dataDir, "--publish")
	if want := "published to RISKGRAPH_ALERTS: " + strconv.Itoa(len(alerts)) + " new, 0 already there"; !strings.Contains(errOut, want) {
		t.Errorf("first --publish said %q, want %q", errOut, want)
	}
	_, errOut = mustRun(t, "typology", "scan", "--data-dir", dataDir, "--publish")
	if want := "0 new, " + strconv.Itoa(len(alerts)) + " already there"; !strings.Contains(errOut, want) {
		t.Errorf("second --publish said %q, want %q", errOut, want)
	}
	stored := listAlerts(t, dataDir)
	if diff := cmp.Diff(alerts, stored); diff != "" {
		t.Errorf("alert stream differs from the scan (-scan +stream):\n%s", diff)
	}
}

// listAlerts reads the alert stream of a data directory, with the server
// the commands use.
func listAlerts(t *testing.T, dataDir string) []typology.Alert {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	js, stop := dataDirJS(t, dataDir)
	defer stop()
	l, err := natsalert.Open(ctx, js, natsalert.Config{})
	if err != nil {
		t.Fatal(err)
	}
	alerts, err := l.List(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return alerts
}
