package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/investigate"
	"github.com/riskgraph/riskgraph/typology"
)

// runCLI runs the program in-process with its clock at now.
func runCLI(t *testing.T, now time.Time, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	m := NewMain()
	m.Stdout, m.Stderr, m.Stdin = &out, &errb, strings.NewReader("")
	m.Now = func() time.Time { return now }
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = m.Run(ctx, args)
	return out.String(), errb.String(), err
}

func mustCLI(t *testing.T, now time.Time, args ...string) string {
	t.Helper()
	out, errOut, err := runCLI(t, now, args...)
	if err != nil {
		t.Fatalf("riskgraph %s: %v\nstderr:\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// amlData is a small synthetic data set with planted laundering, ingested.
type amlData struct {
	dataDir string
	// hub is the account the largest fan-in pays into; hubTxns are those
	// payments (laundering-labelled by synth).
	hub     graph.NodeRef
	hubTxns []string
	// cycle is the first account of a laundering cycle.
	cycle graph.NodeRef
	// ringUser is a member of the first synthetic-identity fraud ring.
	ringUser graph.NodeRef
}

func newAMLData(t *testing.T) amlData {
	t.Helper()
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "traffic.csv")
	d := amlData{dataDir: filepath.Join(dir, "data")}
	now := time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)
	mustCLI(t, now, "gen", "--seed", "3", "--users", "300", "--days", "10", "--rate", "aml_fan_in=20", "--rate", "aml_cycle=10", "--rate", "synthetic_identity=10", "--out", csvPath)
	mustCLI(t, now, "ingest", "--data-dir", d.dataDir, csvPath)

	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	fanIn := map[string][]string{}
	for _, r := range rows[1:] {
		switch r[col["pattern"]] {
		case "aml_fan_in":
			fanIn[r[col["counterparty"]]] = append(fanIn[r[col["counterparty"]]], r[col["id"]])
		case "aml_cycle":
			if d.cycle.ID == "" {
				d.cycle = graph.Ref(graph.KindAccount, r[col["account"]])
			}
		case "synthetic_identity":
			if d.ringUser.ID == "" {
				d.ringUser = graph.Ref(graph.KindUser, r[col["user"]])
			}
		}
	}
	for acc, txns := range fanIn {
		if len(txns) > len(d.hubTxns) || (len(txns) == len(d.hubTxns) && acc < d.hub.ID) {
			d.hub, d.hubTxns = graph.Ref(graph.KindAccount, acc), txns
		}
	}
	if len(d.hubTxns) < 8 || d.cycle.ID == "" || d.ringUser.ID == "" {
		t.Fatalf("synthetic data lacks a fan-in (%d payments), a cycle or an identity ring", len(d.hubTxns))
	}
	return d
}

func TestInvestigateCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run; skipped with -short")
	}
	d := newAMLData(t)
	now := time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)

	// entity: the fan-in hub's laundering payments and their senders.
	out := mustCLI(t, now, "investigate", "entity", d.hub.String(), "--data-dir", d.dataDir, "--json")
	var p investigate.Profile
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("entity --json: %v\n%s", err, out)
	}
	if p.Ref != d.hub || p.Risk.Txns[graph.ClassLaundering] < len(d.hubTxns) {
		t.Errorf("profile of %s: ref %s, %d laundering transactions, want ≥ %d", d.hub, p.Ref, p.Risk.Txns[graph.ClassLaundering], len(d.hubTxns))
	}
	senders := 0
	for _, f := range p.Flagged {
		if f.Hops == 1 && f.Ref.Kind == graph.KindAccount && f.Laundering > 0 {
			senders++
		}
	}
	if senders < len(d.hubTxns)/2 {
		t.Errorf("%d flagged sending accounts for a fan-in of %d payments", senders, len(d.hubTxns))
	}
	table := mustCLI(t, now, "investigate", "entity", d.hub.String(), "--data-dir", d.dataDir)
	for _, want := range []string{d.hub.String(), "flagged neighbours", "recent transactions", d.hubTxns[0]} {
		if !strings.Contains(table, want) {
			t.Errorf("entity table lacks %q:\n%s", want, table)
		}
	}

	// path: the laundering cycle comes back to its start.
	out = mustCLI(t, now, "investigate", "path", d.cycle.String(), d.cycle.String(), "--data-dir", d.dataDir, "--json")
	var paths investigate.Paths
	if err := json.Unmarshal([]byte(out), &paths); err != nil {
		t.Fatal(err)
	}
	if len(paths.Money) == 0 {
		t.Errorf("no money path around the laundering cycle at %s", d.cycle)
	}
	dot := mustCLI(t, now, "investigate", "path", d.cycle.String(), d.cycle.String(), "--data-dir", d.dataDir, "--format", "dot")
	if !strings.HasPrefix(dot, "digraph ") || !strings.Contains(dot, investigate.Quote(d.cycle.String())) {
		t.Errorf("path --format dot:\n%s", dot)
	}

	// ring: the synthetic identities share devices and phones.
	out = mustCLI(t, now, "investigate", "ring", d.ringUser.String(), "--data-dir", d.dataDir, "--json")
	var ring typology.Ring
	if err := json.Unmarshal([]byte(out), &ring); err != nil {
		t.Fatal(err)
	}
	users := 0
	for _, m := range ring.Members {
		if m.Kind == graph.KindUser {
			users++
		}
	}
	if users < 3 || len(ring.Shared) == 0 || ring.Labels[string(graph.ClassFraud)] == 0 {
		t.Errorf("ring around %s: %d users, %d shared identifiers, labels %v; want ≥ 3 users sharing, fraud", d.ringUser, users, len(ring.Shared), ring.Labels)
	}
	table = mustCLI(t, now, "investigate", "ring", d.ringUser.String(), "--data-dir", d.dataDir)
	if !strings.Contains(table, "shared identifiers") || !strings.Contains(table, ring.Shared[0].Ref.String()) {
		t.Errorf("ring table:\n%s", table)
	}

	// typologies: nothing scanned yet, so the alert log is empty.
	if out := mustCLI(t, now, "investigate", "typologies", "--data-dir", d.dataDir); !strings.Contains(out, "0 alerts") {
		t.Errorf("typologies before any scan:\n%s", out)
	}
	mustCLI(t, now, "typology", "scan", "--data-dir", d.dataDir, "--publish", "--typology", "cycle")
	out = mustCLI(t, now, "investigate", "typologies", "--data-dir", d.dataDir, "--since", "2026-01-01", "--format", "dot")
	if !strings.HasPrefix(out, "digraph ") || !strings.Contains(out, `label="cycle"`) {
		t.Errorf("typologies --format dot after a cycle scan:\n%s", out)
	}

	// timeline, restricted to a window.
	out = mustCLI(t, now, "investigate", "timeline", d.hub.String(), "--data-dir", d.dataDir, "--json", "--since", "2026-01-01", "--until", "2026-01-11")
	var tl investigate.Timeline
	if err := json.Unmarshal([]byte(out), &tl); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(tl.Events); i++ {
		if tl.Events[i].Time.Before(tl.Events[i-1].Time) {
			t.Fatalf("timeline out of order at %d", i)
		}
	}
	if len(tl.Events) < len(d.hubTxns) {
		t.Errorf("timeline has %d events, want at least the %d fan-in payments", len(tl.Events), len(d.hubTxns))
	}

	// Rendering, when Graphviz is there.
	svg := filepath.Join(t.TempDir(), "hub.svg")
	_, _, err := runCLI(t, now, "investigate", "entity", d.hub.String(), "--data-dir", d.dataDir, "--format", "svg", "--out", svg)
	if _, lookErr := exec.LookPath("dot"); lookErr != nil {
		if !errors.Is(err, investigate.ErrNoGraphviz) || !strings.Contains(err.Error(), "--format dot") {
			t.Errorf("svg without Graphviz: %v, want ErrNoGraphviz with advice", err)
		}
	} else if b, rerr := os.ReadFile(svg); err != nil || rerr != nil || !bytes.Contains(b, []byte("<svg")) {
		t.Errorf("svg: %v, %v", err, rerr)
	}
}

func TestInvestigateBadArguments(t *testing.T) {
	if testing.Short() {
		t.Skip("opens a data directory; skipped with -short")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	now := time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"malformed ref", []string{"investigate", "entity", "Acount:a1", "--data-dir", data}, "Acount"},
		{"no id", []string{"investigate", "entity", "Account:", "--data-dir", data}, "KIND:ID"},
		{"unknown entity", []string{"investigate", "entity", "Account:nobody", "--data-dir", data}, "Account:nobody"},
		{"unknown typology", []string{"investigate", "typologies", "--data-dir", data, "--typology", "fan_in,nope"}, "nope"},
		{"bad alert entity", []string{"investigate", "typologies", "--data-dir", data, "--entity", "x"}, "--entity"},
		{"ring around a merchant", []string{"investigate", "ring", "Merchant:m1", "--data-dir", data}, "Merchant:m1"},
		{"bad second ref", []string{"investigate", "path", "Account:a1", "nonsense", "--data-dir", data}, "second entity"},
		{"svg needs --out", []string{"investigate", "entity", "Account:a1", "--data-dir", data, "--format", "svg"}, "--out"},
		{"json and dot", []string{"investigate", "entity", "Account:a1", "--data-dir", data, "--format", "dot", "--json"}, "not both"},
		{"unknown format", []string{"investigate", "entity", "Account:a1", "--data-dir", data, "--format", "pdf"}, "pdf"},
		{"bad since", []string{"investigate", "timeline", "Account:a1", "--data-dir", data, "--since", "last week"}, "--since"},
		{"no data dir", []string{"investigate", "entity", "Account:a1"}, "--data-dir"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runCLI(t, now, tc.args...)
			var ue usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v: want a usage error mentioning %q", err, tc.want)
			}
		})
	}
}
