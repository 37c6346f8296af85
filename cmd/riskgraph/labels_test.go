package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A foreign file mapped onto our columns, then chargebacks for some of its
// transactions — one of them for a transaction that has not arrived yet.
func TestForeignFileAndLabelsImport(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run; skipped with -short")
	}
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	foreign := filepath.Join(dir, "foreign.csv")
	os.WriteFile(foreign, []byte(strings.Join([]string{
		"TxId,Source,Target,Amount,Time,Extra",
		"f1,alice,shop-1,10.50,1767225600000,x",
		"f2,alice,shop-2,99.00,2026-01-01T01:00:00Z,y",
		"f3,bob,shop-1,5,2026-01-01T02:00:00Z,z",
	}, "\n")+"\n"), 0o600)
	// A bulk load with interval fsync: what it reports must be on disk
	// for the commands after it.
	out, _ := mustRun(t, "ingest", "--data-dir", dataDir, "--json", "--sync-interval", "1s",
		"--map", "id=TxId,user=Source,merchant=Target,amount=Amount,time=Time", foreign)
	var sum loadSummary
	json.Unmarshal([]byte(out), &sum)
	if sum.Ingested != 3 || sum.Rejected != 0 {
		t.Fatalf("foreign ingest = %+v, want 3 ingested", sum)
	}

	labels := filepath.Join(dir, "labels.csv")
	os.WriteFile(labels, []byte(strings.Join([]string{
		"txn,entity,label,time,source",
		"f1,,fraud,2026-02-01T00:00:00Z,chargeback",
		"f9,,fraud,2026-02-01T00:00:00Z,chargeback",
		",User:bob,fraud,2026-02-02T00:00:00Z,analyst",
		"f2,,maybe,2026-02-01T00:00:00Z,chargeback",
	}, "\n")+"\n"), 0o600)
	out, errOut := mustRun(t, "labels", "import", "--data-dir", dataDir, "--json", labels)
	sum = loadSummary{}
	json.Unmarshal([]byte(out), &sum)
	if sum.Ingested != 3 || sum.Rejected != 1 || !strings.Contains(errOut, "line 5: label") {
		t.Errorf("labels import = %+v, stderr %q; want 3 imported and line 5 rejected", sum, errOut)
	}

	// f9 arrives after its chargeback and picks it up.
	late := filepath.Join(dir, "late.jsonl")
	os.WriteFile(late, []byte(`{"id":"f9","time":"2026-01-03T00:00:00Z","amount":7,"user":"carol"}`+"\n"), 0o600)
	mustRun(t, "ingest", "--data-dir", dataDir, late)

	out, _ = mustRun(t, "graph", "stats", "--data-dir", dataDir, "--json")
	var st graphStats
	json.Unmarshal([]byte(out), &st)
	if st.Labels["fraud"] != 2 {
		t.Errorf("fraud-labelled transactions = %d, want 2 (f1, and f9 from its pending chargeback)", st.Labels["fraud"])
	}
	nodes := map[string]int64{}
	for _, k := range st.Kinds {
		nodes[k.Kind] = k.Nodes
	}
	if nodes["Transaction"] != 4 || nodes["User"] != 3 || nodes["Merchant"] != 2 {
		t.Errorf("nodes = %v, want 4 transactions, 3 users, 2 merchants", nodes)
	}
}
