package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/ingest"
)

// run drives the real program in-process and returns its output.
func run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	m := NewMain()
	m.Stdout, m.Stderr, m.Stdin = &out, &errb, strings.NewReader("")
	m.Terminal = func(io.Writer) bool { return true } // exercise the progress bar too
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err = m.Run(ctx, args)
	return out.String(), errb.String(), err
}

func mustRun(t *testing.T, args ...string) (string, string) {
	t.Helper()
	out, errOut, err := run(t, args...)
	if err != nil {
		t.Fatalf("riskgraph %s: %v\nstderr:\n%s", strings.Join(args, " "), err, errOut)
	}
	return out, errOut
}

// digitRun is a card-number-shaped run: 12–19 digits, the first not 0
// (no issuer number starts with 0), not part of a longer number or a
// decimal fraction.
var digitRun = regexp.MustCompile(`(?:^|[^0-9.])([1-9][0-9]{11,18})(?:[^0-9]|$)`)

// pansIn returns the Luhn-valid card numbers in b.
func pansIn(b []byte) []string {
	var out []string
	for _, m := range digitRun.FindAllSubmatch(b, -1) {
		if ingest.Luhn(string(m[1])) {
			out = append(out, string(m[1]))
		}
	}
	return out
}

func TestGenIngestStatsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run; skipped with -short")
	}
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "traffic.csv")
	dataDir := filepath.Join(dir, "data")

	_, genErr := mustRun(t, "gen", "--seed", "3", "--users", "300", "--days", "10", "--out", csvPath)
	if !strings.Contains(genErr, "generated") {
		t.Errorf("gen summary missing: %q", genErr)
	}
	raw, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	pans := pansIn(raw)
	if len(pans) < 100 {
		t.Fatalf("generated file holds %d card numbers; the leak test needs PANs to look for", len(pans))
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	rows := len(lines) - 1

	// Append bad rows next to good ones, each carrying a real card number.
	pan := pans[0]
	bad := strings.Join([]string{
		"bad1,not-a-time,10,EUR,card,u1,," + pan + ",,,,,,,,,,,",
		",2026-01-02T00:00:00Z,10,EUR,card,u1,," + pan + ",,,,,,,,,,,",
		"bad3,2026-01-02T00:00:00Z,-5,EUR,card,u1,," + pan + ",,,,,,,,,,,",
		"bad4,2026-01-02T00:00:00Z,5",
	}, "\n")
	withBad := filepath.Join(dir, "with-bad.csv")
	content := strings.Join(lines[:50], "\n") + "\n" + bad + "\n" + strings.Join(lines[50:], "\n") + "\n"
	if err := os.WriteFile(withBad, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}

	out, errOut := mustRun(t, "ingest", "--log-level", "debug", "--data-dir", dataDir, "--json", withBad)
	var sum loadSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("ingest --json output %q: %v", out, err)
	}
	if sum.Read != rows || sum.Ingested != rows || sum.Rejected != 4 || sum.Duplicates != 0 {
		t.Errorf("ingest summary = %+v, want %d read and ingested, 4 rejected, 0 duplicates", sum, rows)
	}
	for _, want := range []string{"line 51: time", "line 52: id", "line 53: amount", "line 54"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("rejected-row report lacks %q:\n%s", want, errOut)
		}
	}

	// Ingesting again adds nothing.
	out, _ = mustRun(t, "ingest", "--data-dir", dataDir, "--json", csvPath)
	sum = loadSummary{}
	json.Unmarshal([]byte(out), &sum)
	if sum.Ingested != 0 || sum.Duplicates != rows {
		t.Errorf("re-ingest summary = %+v, want 0 ingested, %d duplicates", sum, rows)
	}

	// --strict fails on rejected rows with its own exit status.
	if _, _, err := run(t, "ingest", "--data-dir", dataDir, "--strict", withBad); !errors.Is(err, errRejected) {
		t.Errorf("ingest --strict with bad rows = %v, want errRejected", err)
	}

	out, _ = mustRun(t, "graph", "stats", "--data-dir", dataDir, "--json")
	var st graphStats
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("stats --json output %q: %v", out, err)
	}
	for _, k := range st.Kinds {
		if k.Kind == "Transaction" && k.Nodes != int64(rows) {
			t.Errorf("graph holds %d transactions, want %d", k.Nodes, rows)
		}
		if k.Nodes > 0 && (k.DegP50 > k.DegP90 || k.DegP90 > k.DegMax) {
			t.Errorf("%s degree percentiles not ordered: %+v", k.Kind, k)
		}
	}
	if st.Labels["fraud"] == 0 || st.Labels["legit"] == 0 {
		t.Errorf("labels = %v, want fraud and legit counts", st.Labels)
	}
	tableOut, _ := mustRun(t, "graph", "stats", "--data-dir", dataDir)

	// No ingested card number anywhere: data dir, outputs, logs.
	scan := map[string][]byte{"ingest stderr (debug log)": []byte(errOut), "stats": []byte(out + tableOut)}
	filepath.WalkDir(dataDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			scan[p] = b
		}
		return nil
	})
	if len(scan) < 5 {
		t.Fatalf("scanned only %d artefacts", len(scan))
	}
	for name, b := range scan {
		for _, p := range pans {
			if bytes.Contains(b, []byte(p)) {
				t.Fatalf("%s contains an ingested card number", name)
			}
		}
		if found := pansIn(b); len(found) > 0 {
			t.Errorf("%s contains %d Luhn-valid digit runs", name, len(found))
		}
	}
}

func TestBadCommandLines(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"gen without output", []string{"gen", "--users", "10"}, "--out"},
		{"gen zero users", []string{"gen", "--users", "0", "--out", filepath.Join(dir, "x.csv")}, "Users"},
		{"gen unknown pattern", []string{"gen", "--off", "nope", "--out", filepath.Join(dir, "x.csv")}, "nope"},
		{"gen bad start", []string{"gen", "--start", "yesterday", "--out", filepath.Join(dir, "x.csv")}, "--start"},
		{"gen unknown extension", []string{"gen", "--out", filepath.Join(dir, "x.parquet")}, "--format"},
		{"ingest missing file", []string{"ingest", "--data-dir", dir, filepath.Join(dir, "missing.csv")}, "missing.csv"},
		{"ingest bad map", []string{"ingest", "--data-dir", dir, "--map", "colour=Colour", "x.csv"}, "--map"},
		{"ingest no data dir", []string{"ingest", "x.csv"}, ""},
		{"unknown flag", []string{"graph", "stats", "--bogus"}, "bogus"},
		{"serve unknown engine", []string{"serve", "--data-dir", dir, "--gnn-engine", "tpu"}, "--gnn-engine"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := run(t, tc.args...)
			if err == nil {
				t.Fatal("want an error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			var ue usageError
			if !errors.As(err, &ue) && tc.want != "" {
				t.Errorf("error %v is not a usage error (exit status 2)", err)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	out, _ := mustRun(t, "version")
	if !strings.HasPrefix(out, "riskgraph ") {
		t.Errorf("version = %q", out)
	}
}
