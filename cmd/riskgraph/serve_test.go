package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/riskgraph/riskgraph/scoring"
	"github.com/riskgraph/riskgraph/signal"
)

func TestServeAuthorizesOverNATS(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run; skipped with -short")
	}
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "t.csv")
	dataDir := filepath.Join(dir, "data")
	mustRun(t, "gen", "--seed", "8", "--users", "150", "--days", "7", "--out", csvPath)
	mustRun(t, "ingest", "--data-dir", dataDir, csvPath)
	before, _ := mustRun(t, "graph", "stats", "--data-dir", dataDir, "--json")

	// The reference engine here; every other end-to-end test runs the
	// default (native) one.
	natsURL, httpAddr, stop := startServe(t, "--data-dir", dataDir, "--nats-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0",
		"--shadow-model", filepath.Join("..", "..", "gnn", "defaultmodel", "model"), "--gnn-engine", "gorgonia")
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

	signals := make(chan *nats.Msg, 512)
	sigSub, err := nc.ChanSubscribe("riskgraph.v1.signal.>", signals)
	if err != nil {
		t.Fatal(err)
	}
	defer sigSub.Unsubscribe()
	body := `{"id":"live-1","time":"2026-01-08T12:00:00Z","amount":42.5,"currency":"EUR","kind":"card","user":"u7","card":"4111111111111111","device":"d-new","merchant":"m3","deadline_ms":200}`
	msg, err := nc.Request("riskgraph.v1.authorize", []byte(body), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(msg.Data), "4111111111111111") {
		t.Error("the reply echoes the card number")
	}
	var d scoring.Decision
	if err := json.Unmarshal(msg.Data, &d); err != nil || d.Txn != "live-1" || d.Decision == "" || d.Rules == "" || len(d.Reasons) == 0 {
		t.Fatalf("reply %s (%v): want a decision with reasons for live-1", msg.Data, err)
	}
	select {
	case sm := <-signals:
		sg, err := signal.Decode(sm.Data)
		if err != nil || sg.Txn != "live-1" || sg.Subject == "" || strings.Contains(string(sm.Data), `"u7"`) || sg.Compliance != nil {
			t.Errorf("signal %s (%v): want live-1's, pseudonymous, without a compliance section", sm.Data, err)
		}
		if !strings.HasSuffix(sm.Subject, "."+string(sg.Band)) {
			t.Errorf("signal on %s carries band %s", sm.Subject, sg.Band)
		}
	case <-time.After(10 * time.Second):
		t.Error("no risk signal published for the authorized transaction")
	}
	bad, err := nc.Request("riskgraph.v1.authorize", []byte(`{"id":"x","time":"yesterday","amount":1}`), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if code := bad.Header.Get("Nats-Service-Error-Code"); code != "400" || !strings.Contains(bad.Header.Get("Nats-Service-Error"), "time") {
		t.Errorf("malformed request: code %q, error %q; want 400 naming time", code, bad.Header.Get("Nats-Service-Error"))
	}
	// The CLI clients: authorize one transaction from a file, then a short
	// open-loop run.
	txnFile := filepath.Join(dir, "one.json")
	os.WriteFile(txnFile, []byte(`{"id":"live-2","time":"2026-01-08T12:01:00Z","amount":12,"user":"u7","merchant":"m3"}`), 0o600)
	out, _ := mustRun(t, "authorize", "--nats-url", natsURL, txnFile)
	if !strings.Contains(out, `"txn":"live-2"`) {
		t.Errorf("authorize printed %q", out)
	}
	benchOut := filepath.Join(dir, "bench.json")
	mustRun(t, "bench", "auth", "--nats-url", natsURL, "--rate", "200", "--duration", "1s", "--out", benchOut)
	var br benchResult
	raw, _ := os.ReadFile(benchOut)
	if err := json.Unmarshal(raw, &br); err != nil || br.Requests != 200 || br.Errors != 0 || br.Replies != 200 || br.P99ms <= 0 ||
		br.ScorerP50ms <= 0 || br.ScorerP99ms > br.P99ms {
		t.Errorf("bench result %s (%v): want 200 requests answered without errors, and the scorer's share of the latency", raw, err)
	}
	// The shadow (here the built-in model itself) scored the same traffic:
	// every decision the primary model scored (a degraded one has no
	// primary score to compare with).
	waitFor(t, func() bool {
		page := get(t, "http://"+httpAddr+"/metrics")
		return metricValue(page, "riskgraph_shadow_score_gap_count")+metricValue(page, "riskgraph_degraded_total") == 202
	})
	// Every authorized transaction reached the log by group commit.
	page := get(t, "http://"+httpAddr+"/metrics")
	if recs, groups := metricValue(page, "riskgraph_log_group_records_total"), metricValue(page, "riskgraph_log_groups_total"); recs != 202 || groups < 1 || groups > recs {
		t.Errorf("log group commit: %v records in %v groups, want 202 records in 1..202 groups", recs, groups)
	}
	for path, want := range map[string]string{"/readyz": "ready", "/healthz": "ok", "/metrics": `riskgraph_decision_latency_seconds_count 202`} {
		resp, err := http.Get("http://" + httpAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("GET %s = %d, body lacks %q", path, resp.StatusCode, want)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("serve exited with %v", err)
	}
	// The authorized transaction went through the log into the graph.
	after, _ := mustRun(t, "graph", "stats", "--data-dir", dataDir, "--json")
	var b0, b1 graphStats
	json.Unmarshal([]byte(before), &b0)
	json.Unmarshal([]byte(after), &b1)
	if b1.LastSeq <= b0.LastSeq+1 {
		t.Errorf("log sequence %d → %d, want the authorized transactions appended", b0.LastSeq, b1.LastSeq)
	}
	raw, _ = os.ReadFile(filepath.Join(dataDir, "graph.snap"))
	if strings.Contains(string(raw), "4111111111111111") {
		t.Error("the snapshot holds the card number")
	}
}

// metricValue reads one sample from a Prometheus text page (0 if absent).
func metricValue(page, name string) float64 {
	for line := range strings.Lines(page) {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f
		}
	}
	return 0
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// waitFor polls cond for up to 10 s: for work that finishes asynchronously.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Error("condition not reached in 10 s")
}

// startServe runs serve in-process until stop, which returns serve's
// result; it returns the NATS URL and metrics address from the ready line.
func startServe(t *testing.T, args ...string) (natsURL, httpAddr string, stop func() error) {
	t.Helper()
	pr, pw := io.Pipe()
	m := NewMain()
	m.Stdout, m.Stderr = pw, io.Discard
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- m.Run(ctx, append([]string{"serve"}, args...))
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if mm := readyLine.FindStringSubmatch(sc.Text()); mm != nil {
			natsURL, httpAddr = mm[1], mm[2]
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if natsURL == "" {
		cancel()
		t.Fatalf("serve printed no ready line (exit: %v)", <-done)
	}
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { stop() })
	return natsURL, httpAddr, stop
}
