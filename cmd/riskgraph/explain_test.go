package main

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/riskgraph/riskgraph/scoring"
	"github.com/riskgraph/riskgraph/scoring/decisionlog"
)

// A decision serve made is replayed by explain from the decision log, the
// graph as of the transaction's time, the same model and the archived
// rules: the same score within 1e-6 and the same decision.
func TestExplainReproducesServedDecision(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run; skipped with -short")
	}
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "t.csv")
	dataDir := filepath.Join(dir, "data")
	mustRun(t, "gen", "--seed", "5", "--users", "150", "--days", "7", "--out", csvPath)
	mustRun(t, "ingest", "--data-dir", dataDir, csvPath)
	natsURL, _, stop := startServe(t, "--data-dir", dataDir, "--nats-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0")
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	var decided []scoring.Decision
	for i, body := range []string{
		`{"id":"x-1","time":"2026-01-08T12:00:00Z","amount":42.5,"currency":"EUR","kind":"card","user":"u7","card":"4111111111111111","device":"d-new","merchant":"m3","deadline_ms":1000}`,
		`{"id":"x-2","time":"2026-01-08T12:05:00Z","amount":980,"currency":"EUR","kind":"card","user":"u7","card":"4111111111111111","device":"d-new","merchant":"m9","deadline_ms":1000}`,
	} {
		msg, err := nc.Request("riskgraph.v1.authorize", []byte(body), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var d scoring.Decision
		if err := json.Unmarshal(msg.Data, &d); err != nil || d.Degraded {
			t.Fatalf("request %d: reply %s (%v), want a model decision", i, msg.Data, err)
		}
		decided = append(decided, d)
	}
	nc.Close()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for _, d := range decided {
		out, _ := mustRun(t, "explain", d.Txn, "--data-dir", dataDir, "--json")
		var got explained
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("explain %s printed %q: %v", d.Txn, out, err)
		}
		if !got.Reproduced || got.ScoreDiff > explainTolerance || got.Decision != d.Decision || got.Model != d.Model || got.Rules != d.Rules {
			t.Errorf("explain %s = %+v; served %+v", d.Txn, got, d)
		}
		t.Logf("explain %s: recorded %.9f replayed %.9f, |diff| %.2g", d.Txn, d.Score, got.Score, got.ScoreDiff)
		if len(got.Explanations) == 0 {
			t.Errorf("explain %s shows nothing that drove the score", d.Txn)
		}
	}
	text, _ := mustRun(t, "explain", decided[0].Txn, "--data-dir", dataDir)
	if !strings.Contains(text, "reproduced") || strings.Contains(text, "4111111111111111") {
		t.Errorf("explain printed %q", text)
	}
	if _, _, err := run(t, "explain", "never-seen", "--data-dir", dataDir); !errors.Is(err, decisionlog.ErrNotFound) {
		t.Errorf("explain of an unknown transaction: %v, want decisionlog.ErrNotFound", err)
	}
}
