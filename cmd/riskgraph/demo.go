package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"github.com/riskgraph/riskgraph/gnn"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/ingest/stream"
	"github.com/riskgraph/riskgraph/scoring"
	"github.com/riskgraph/riskgraph/synth"
	"github.com/riskgraph/riskgraph/typology"
)

type demoFlags struct {
	dataDir  string
	users    int
	days     int
	liveDays int
	rate     float64
	seed     uint64
	jsonOut  bool
}

func (m *Main) demoCommand(g *globals) *cobra.Command {
	f := &demoFlags{}
	cmd := &cobra.Command{
		Use:   "demo --data-dir D",
		Short: "The whole product on one machine: history into the graph, live authorizations over NATS, a scorecard",
		Long: `demo generates labelled traffic with known fraud and AML patterns, streams the
history through JetStream into the graph of a fresh data dir, starts the
authorization service, sends the last --live-days of traffic to it over NATS
at --rate as live payments, and ends with a scorecard: throughput, latency
percentiles, and how well the decisions found the planted fraud (ROC-AUC,
precision and recall of review+decline), with the commands to investigate
the strongest alerts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runDemo(cmd.Context(), g, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dataDir, "data-dir", "data", "data directory (must be new or empty)")
	fl.IntVar(&f.users, "users", 2000, "customers")
	fl.IntVar(&f.days, "days", 30, "days of traffic")
	fl.IntVar(&f.liveDays, "live-days", 2, "the last days, sent as live authorizations")
	fl.Float64Var(&f.rate, "rate", 1000, "live authorizations per second")
	fl.Uint64Var(&f.seed, "seed", 7, "traffic seed")
	fl.BoolVar(&f.jsonOut, "json", false, "print the scorecard as JSON")
	return cmd
}

// demoCard is the scorecard.
type demoCard struct {
	History    int            `json:"history_transactions"`
	Live       int            `json:"live_transactions"`
	Throughput float64        `json:"throughput_per_s"`
	P50ms      float64        `json:"p50_ms"`
	P99ms      float64        `json:"p99_ms"`
	P999ms     float64        `json:"p999_ms"`
	Decisions  map[string]int `json:"decisions"`
	Degraded   int            `json:"degraded"`
	Errors     int            `json:"errors"`
	Positives  int            `json:"positives"`
	AUC        *float64       `json:"roc_auc"` // null when the live traffic has one class only
	Precision  float64        `json:"precision"`
	Recall     float64        `json:"recall"`
	TopAlerts  []string       `json:"top_alerts"`
	// Typologies counts the AML typology alerts found over the whole graph
	// (batch detection after the run), by typology.
	Typologies map[string]int `json:"typologies"`
	// Investigate lists commands for the strongest typology alerts.
	Investigate []string `json:"investigate"`
}

func (m *Main) runDemo(ctx context.Context, g *globals, f *demoFlags) error {
	if f.users < 1 || f.days < 2 || f.liveDays < 1 || f.liveDays >= f.days || f.rate <= 0 {
		return usagef("want --users ≥ 1, --days ≥ 2, 1 ≤ --live-days < --days and --rate > 0")
	}
	if ents, err := os.ReadDir(f.dataDir); err == nil && len(ents) > 0 {
		return usagef("--data-dir %s is not empty: demo starts from a fresh data dir", f.dataDir)
	}
	log, err := g.logger(m.Stderr)
	if err != nil {
		return err
	}
	// 1. Traffic: history and live.
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cut := start.Add(time.Duration(f.days-f.liveDays) * 24 * time.Hour)
	var history, live []graph.Transaction
	if _, err := synth.Generate(ctx, synth.Config{Seed: f.seed, Users: f.users, Days: f.days, Start: start}, func(t *graph.Transaction) error {
		c := *t
		if c.Time.Before(cut) {
			history = append(history, c)
		} else {
			live = append(live, c)
		}
		return nil
	}); err != nil {
		return err
	}
	fmt.Fprintf(m.Stderr, "generated %d history and %d live transactions\n", len(history), len(live))

	// 2. History through JetStream into the graph.
	e, err := m.openEnv(ctx, log, envConfig{DataDir: f.dataDir, SyncInterval: time.Second})
	if err != nil {
		return err
	}
	pub, err := stream.NewPublisher(e.js, stream.PublisherConfig{})
	if err != nil {
		e.close()
		return err
	}
	batch := pub.NewBatch(nil)
	p := m.newProgress("history", 0)
	for i := range history {
		t := history[i]
		t.Card = e.tok.Card(t.Card)
		if err := batch.Add(ctx, graph.Mutation{Txn: &t}); err != nil {
			e.close()
			return err
		}
		if i&1023 == 0 {
			p.update(0, i)
		}
	}
	res, err := batch.Wait(ctx)
	p.done()
	if err == nil {
		err = e.catchUp(ctx, res.LastSeq)
	}
	if err == nil {
		err = e.shutdown(ctx)
	} else {
		e.close()
	}
	if err != nil {
		return err
	}

	// 3. The service, in-process, on free ports.
	pr, pw := io.Pipe()
	sm := *m
	sm.Stdout = pw
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() {
		served <- sm.runServe(sctx, g, &serveFlags{dataDir: f.dataDir, natsListen: "127.0.0.1:0", httpListen: "127.0.0.1:0",
			deadline: 50 * time.Millisecond, rulesPoll: 5 * time.Second})
		pw.Close()
	}()
	defer func() { stop(); <-served }()
	var natsURL string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if mm := readyLine.FindStringSubmatch(sc.Text()); mm != nil {
			natsURL = mm[1]
			fmt.Fprintln(m.Stderr, sc.Text())
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if natsURL == "" {
		return fmt.Errorf("demo: the service did not start")
	}
	nc, err := nats.Connect(natsURL, nats.Name("riskgraph demo"))
	if err != nil {
		return err
	}
	defer nc.Close()

	// 4. Live authorizations, paced, concurrent.
	card := demoCard{History: len(history), Live: len(live), Decisions: map[string]int{}}
	decs := make([]scoring.Decision, len(live))
	lat := make([]float64, len(live))
	failed := make([]bool, len(live))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	p = m.newProgress("live", 0)
	t0 := time.Now()
	interval := time.Duration(float64(time.Second) / f.rate)
	for i := range live {
		if d := time.Until(t0.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		body := ingest.AppendTransactionJSON(nil, &live[i])
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			sent := time.Now()
			msg, err := nc.Request("riskgraph.v1.authorize", body, 5*time.Second)
			lat[i] = float64(time.Since(sent).Microseconds()) / 1000
			if err != nil || msg.Header.Get("Nats-Service-Error-Code") != "" || json.Unmarshal(msg.Data, &decs[i]) != nil {
				failed[i] = true
			}
		})
		if i&255 == 0 {
			p.update(0, i)
		}
	}
	wg.Wait()
	p.done()
	card.Throughput = float64(len(live)) / time.Since(t0).Seconds()
	m.scoreCard(&card, live, decs, lat, failed)
	stop()
	if err := <-served; err != nil {
		served <- nil
		return err
	}
	served <- nil
	if err := m.demoTypologies(ctx, log, f, &card); err != nil {
		return err
	}
	return m.printCard(f, card)
}

// demoTypologies runs the typology detectors over the graph the demo built
// and keeps the counts and the commands to investigate the strongest.
func (m *Main) demoTypologies(ctx context.Context, log *slog.Logger, f *demoFlags, card *demoCard) error {
	e, err := m.openCaughtUp(ctx, log, envConfig{DataDir: f.dataDir})
	if err != nil {
		return err
	}
	defer e.close()
	alerts, err := typology.Detect(ctx, e.store, typology.Config{})
	if err != nil {
		return err
	}
	card.Typologies = map[string]int{}
	for _, a := range alerts {
		card.Typologies[a.Typology]++
	}
	rank := map[typology.Severity]int{typology.SeverityHigh: 0, typology.SeverityMedium: 1, typology.SeverityLow: 2}
	slices.SortStableFunc(alerts, func(a, b typology.Alert) int {
		if c := rank[a.Severity] - rank[b.Severity]; c != 0 {
			return c
		}
		return cmpFloat(b.Amount, a.Amount)
	})
	seen := map[string]bool{}
	for _, a := range alerts {
		if len(card.Investigate) == 4 {
			break
		}
		if seen[a.Typology] {
			continue
		}
		seen[a.Typology] = true
		verb := "entity"
		if a.Typology == typology.SharedIDRing {
			verb = "ring"
		}
		card.Investigate = append(card.Investigate, fmt.Sprintf("riskgraph investigate %s %s --data-dir %s   # %s: %s",
			verb, a.Focus, f.dataDir, a.Typology, a.Detail))
	}
	return nil
}

// scoreCard fills the scorecard from the live decisions and the
// generator's labels.
func (m *Main) scoreCard(card *demoCard, live []graph.Transaction, decs []scoring.Decision, lat []float64, failed []bool) {
	var scores, labels []float32
	var ok []float64
	var tp, fp, fn int
	type alert struct {
		id    string
		score float64
	}
	var alerts []alert
	for i, d := range decs {
		if failed[i] {
			card.Errors++
			continue
		}
		ok = append(ok, lat[i])
		card.Decisions[d.Decision]++
		if d.Degraded {
			card.Degraded++
		}
		pos := live[i].Label.Positive()
		if pos {
			card.Positives++
		}
		flagged := d.Decision != "approve"
		switch {
		case flagged && pos:
			tp++
		case flagged:
			fp++
		case pos:
			fn++
		}
		scores, labels = append(scores, float32(d.Score)), append(labels, b2f(pos))
		if flagged {
			alerts = append(alerts, alert{d.Txn, d.Score})
		}
	}
	slices.Sort(ok)
	q := func(p float64) float64 {
		if len(ok) == 0 {
			return 0
		}
		return ok[min(len(ok)-1, int(p*float64(len(ok))))]
	}
	card.P50ms, card.P99ms, card.P999ms = q(0.5), q(0.99), q(0.999)
	if auc := gnn.AUC(scores, labels); !math.IsNaN(auc) {
		card.AUC = &auc
	}
	if tp+fp > 0 {
		card.Precision = float64(tp) / float64(tp+fp)
	}
	if tp+fn > 0 {
		card.Recall = float64(tp) / float64(tp+fn)
	}
	slices.SortFunc(alerts, func(a, b alert) int { return cmpFloat(b.score, a.score) })
	for _, a := range alerts[:min(3, len(alerts))] {
		card.TopAlerts = append(card.TopAlerts, a.id)
	}
}

func b2f(b bool) float32 {
	if b {
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (m *Main) printCard(f *demoFlags, c demoCard) error {
	if f.jsonOut {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(c)
	}
	auc := "n/a (one class only)"
	if c.AUC != nil {
		auc = fmt.Sprintf("%.3f", *c.AUC)
	}
	fmt.Fprintf(m.Stdout, `
riskgraph demo: %d historical transactions in the graph, %d live authorizations over NATS
  throughput   %.0f authorizations/s
  latency      p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms
  decisions    approve %d, review %d, decline %d (degraded %d, errors %d)
  detection    %d planted fraud/laundering transactions: ROC-AUC %s, precision %.3f, recall %.3f (review+decline)
`, c.History, c.Live, c.Throughput, c.P50ms, c.P99ms, c.P999ms,
		c.Decisions["approve"], c.Decisions["review"], c.Decisions["decline"], c.Degraded, c.Errors,
		c.Positives, auc, c.Precision, c.Recall)
	if len(c.Typologies) > 0 {
		names := slices.Sorted(maps.Keys(c.Typologies))
		fmt.Fprint(m.Stdout, "  typologies  ")
		for i, n := range names {
			if i > 0 {
				fmt.Fprint(m.Stdout, ", ")
			}
			fmt.Fprintf(m.Stdout, "%s %d", n, c.Typologies[n])
		}
		fmt.Fprintln(m.Stdout, " (rings are shared_id_ring)")
	}
	if len(c.TopAlerts) > 0 {
		fmt.Fprintln(m.Stdout, "\nexplain the strongest decisions:")
		for _, id := range c.TopAlerts {
			fmt.Fprintf(m.Stdout, "  riskgraph explain %s --data-dir %s\n", id, f.dataDir)
		}
	}
	if len(c.Investigate) > 0 {
		fmt.Fprintln(m.Stdout, "\ninvestigate the strongest typology alerts:")
		for _, cmd := range c.Investigate {
			fmt.Fprintf(m.Stdout, "  %s\n", cmd)
		}
	}
	return nil
}
