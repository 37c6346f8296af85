package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/ingest/stream"
	"github.com/riskgraph/riskgraph/synth"
)

type benchFlags struct {
	natsURL     string
	rate        float64
	duration    time.Duration
	concurrency int
	ingestRate  float64
	panKeyFile  string
	seed        uint64
	out         string
}

func (m *Main) benchCommand(g *globals) *cobra.Command {
	f := &benchFlags{}
	auth := &cobra.Command{
		Use:   "auth --nats-url URL --rate R --duration T",
		Short: "Open-loop authorization load over NATS: throughput and latency percentiles",
		Long: `bench auth sends generated transactions to riskgraph.v1.authorize at a fixed
rate whatever the replies do (open loop: latency is measured from each
request's scheduled time, so a slow server cannot hide queueing), optionally
while publishing --ingest-rate transactions/s into the log, and reports
throughput, p50/p99/p99.9, errors and the degraded share (JSON with --out).
Beside the round trip it reports the time the decisions spent in the scorer
(their latency_us), so a run shows how much of the latency is the service
and how much NATS, queueing and the client. Sends are paced to within tens
of microseconds (on Linux; time.Sleep would wake up to a millisecond late
and count that as latency).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runBenchAuth(cmd.Context(), f) },
	}
	fl := auth.Flags()
	fl.StringVar(&f.natsURL, "nats-url", nats.DefaultURL, "NATS URL of a running riskgraph serve")
	fl.Float64Var(&f.rate, "rate", 1000, "authorizations per second")
	fl.DurationVar(&f.duration, "duration", 10*time.Second, "how long to send")
	fl.IntVar(&f.concurrency, "concurrency", 4096, "most requests awaiting a reply; beyond it a send counts as an error")
	fl.Float64Var(&f.ingestRate, "ingest-rate", 0, "transactions per second published into the log meanwhile")
	fl.StringVar(&f.panKeyFile, "pan-key-file", "", "with --ingest-rate: the server's PAN key file")
	fl.Uint64Var(&f.seed, "seed", 1, "traffic seed")
	fl.StringVar(&f.out, "out", "", "also write the result as JSON to this file")
	cmd := &cobra.Command{Use: "bench", Short: "Load benchmarks"}
	cmd.AddCommand(auth, m.benchEchoCommand())
	return cmd
}

// benchResult is what bench auth reports.
type benchResult struct {
	Requests   int64   `json:"requests"`
	Replies    int64   `json:"replies"`
	Errors     int64   `json:"errors"`
	Degraded   int64   `json:"degraded"`
	Throughput float64 `json:"throughput_per_s"`
	P50ms      float64 `json:"p50_ms"`
	P99ms      float64 `json:"p99_ms"`
	P999ms     float64 `json:"p999_ms"`
	MaxMs      float64 `json:"max_ms"`
	// The decisions' own latency_us: time in the scorer, from the
	// request's validation to its decision, without the network, NATS,
	// the service's queue and the client.
	ScorerP50ms  float64 `json:"scorer_p50_ms"`
	ScorerP99ms  float64 `json:"scorer_p99_ms"`
	ScorerP999ms float64 `json:"scorer_p999_ms"`
	Ingested     int64   `json:"ingested"`
	DegradedPct  float64 `json:"degraded_pct"`
}

// benchTraffic yields generated transactions with bench-unique ids.
func benchTraffic(ctx context.Context, seed uint64, prefix string, out chan<- graph.Transaction) {
	defer close(out)
	n := 0
	for ctx.Err() == nil {
		synth.Generate(ctx, synth.Config{Seed: seed + uint64(n), Users: 20000, Days: 7}, func(t *graph.Transaction) error {
			c := *t
			c.ID = prefix + strconv.Itoa(n)
			n++
			select {
			case out <- c:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}
}

func (m *Main) runBenchAuth(ctx context.Context, f *benchFlags) error {
	if f.rate <= 0 || f.duration <= 0 || f.concurrency < 1 || f.ingestRate < 0 {
		return usagef("--rate, --duration and --concurrency must be positive, --ingest-rate not negative")
	}
	nc, err := nats.Connect(f.natsURL, nats.Name("riskgraph bench"))
	if err != nil {
		return fmt.Errorf("connect %s: %w", f.natsURL, err)
	}
	defer nc.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	total := int(f.rate * f.duration.Seconds())
	sent := make([]int64, total) // scheduled send time (ns since start) per request
	lat := make([]int64, 0, total)
	srv := make([]int64, 0, total) // the decisions' latency_us, in ns
	var mu sync.Mutex
	var replies, sendErrs, svcErrs, degraded, inflight atomic.Int64
	inbox := nats.NewInbox()
	sub, err := nc.Subscribe(inbox+".*", func(msg *nats.Msg) {
		inflight.Add(-1)
		seq, err := strconv.Atoi(msg.Subject[len(inbox)+1:])
		if err != nil || seq < 0 || seq >= total {
			return
		}
		now := time.Now().UnixNano()
		replies.Add(1)
		if msg.Header.Get("Nats-Service-Error-Code") != "" {
			svcErrs.Add(1)
			return
		}
		var d struct {
			Degraded  bool  `json:"degraded"`
			LatencyUS int64 `json:"latency_us"`
		}
		ok := json.Unmarshal(msg.Data, &d) == nil
		if ok && d.Degraded {
			degraded.Add(1)
		}
		mu.Lock()
		lat = append(lat, now-sent[seq])
		if ok {
			srv = append(srv, d.LatencyUS*1000)
		}
		mu.Unlock()
	})
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()

	traffic := make(chan graph.Transaction, 1024)
	go benchTraffic(ctx, f.seed, "bench-"+strconv.FormatInt(time.Now().UnixNano(), 36)+"-", traffic)
	var ingested atomic.Int64
	if f.ingestRate > 0 {
		if err := m.benchIngest(ctx, nc, f, &ingested); err != nil {
			return err
		}
	}
	bodies := make([][]byte, 0, 4096)
	for range min(4096, total) {
		t := <-traffic
		bodies = append(bodies, ingest.AppendTransactionJSON(nil, &t))
	}
	// Open loop: each request's latency counts from its scheduled send
	// time, so a slow reply never delays the requests behind it.
	wait, stopPacer := newPacer()
	defer stopPacer()
	start := time.Now()
	interval := float64(time.Second) / f.rate
	for i := range total {
		at := start.Add(time.Duration(float64(i) * interval))
		wait(at)
		sent[i] = at.UnixNano()
		if inflight.Load() >= int64(f.concurrency) {
			sendErrs.Add(1)
			continue
		}
		inflight.Add(1)
		if err := nc.PublishRequest("riskgraph.v1.authorize", inbox+"."+strconv.Itoa(i), bodies[i%len(bodies)]); err != nil {
			inflight.Add(-1)
			sendErrs.Add(1)
		}
		if ctx.Err() != nil {
			break
		}
	}
	// Wait for the stragglers: up to 5 s.
	for deadline := time.Now().Add(5 * time.Second); replies.Load() < int64(total)-sendErrs.Load() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(start)
	mu.Lock()
	slices.Sort(lat)
	slices.Sort(srv)
	res := benchResult{Requests: int64(total), Replies: replies.Load(), Degraded: degraded.Load(), Ingested: ingested.Load()}
	// Errors: not sent, answered with an error, or never answered.
	missing := int64(total) - sendErrs.Load() - res.Replies
	res.Errors = sendErrs.Load() + svcErrs.Load() + max(missing, 0)
	q := func(sorted []int64, p float64) float64 {
		if len(sorted) == 0 {
			return 0
		}
		return float64(sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]) / 1e6
	}
	res.P50ms, res.P99ms, res.P999ms = q(lat, 0.5), q(lat, 0.99), q(lat, 0.999)
	res.ScorerP50ms, res.ScorerP99ms, res.ScorerP999ms = q(srv, 0.5), q(srv, 0.99), q(srv, 0.999)
	if len(lat) > 0 {
		res.MaxMs = float64(lat[len(lat)-1]) / 1e6
	}
	mu.Unlock()
	res.Throughput = float64(res.Replies) / elapsed.Seconds()
	if res.Replies > 0 {
		res.DegradedPct = 100 * float64(res.Degraded) / float64(res.Replies)
	}
	fmt.Fprintf(m.Stdout, "%d requests at %.0f/s for %v: %.0f replies/s, p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms, errors %d, degraded %.3f%%, ingested %d\n",
		res.Requests, f.rate, f.duration, res.Throughput, res.P50ms, res.P99ms, res.P999ms, res.MaxMs, res.Errors, res.DegradedPct, res.Ingested)
	fmt.Fprintf(m.Stdout, "time in the scorer (the decisions' latency_us): p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms\n", res.ScorerP50ms, res.ScorerP99ms, res.ScorerP999ms)
	if f.out != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(f.out, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// benchIngest publishes generated transactions into the log at the
// ingest rate until ctx ends.
func (m *Main) benchIngest(ctx context.Context, nc *nats.Conn, f *benchFlags, n *atomic.Int64) error {
	if f.panKeyFile == "" {
		return usagef("--pan-key-file is required with --ingest-rate (the server's DATA_DIR/pan.key)")
	}
	key, err := ingest.LoadOrCreateKey(f.panKeyFile, m.Rand)
	if err != nil {
		return err
	}
	tok, err := ingest.NewTokenizer(key)
	if err != nil {
		return err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	// An ingesting client the way a settlement feed would be one: many
	// appends in flight, group-committed into the log.
	commit, err := stream.NewGroupCommitter(js, stream.GroupConfig{})
	if err != nil {
		return err
	}
	traffic := make(chan graph.Transaction, 1024)
	paced := make(chan graph.Transaction)
	go benchTraffic(ctx, f.seed+1000, "ingest-"+strconv.FormatInt(time.Now().UnixNano(), 36)+"-", traffic)
	var workers sync.WaitGroup
	for range 64 {
		workers.Go(func() {
			for t := range paced {
				if _, err := commit.Append(context.WithoutCancel(ctx), &t); err == nil {
					n.Add(1)
				}
			}
		})
	}
	go func() {
		defer func() {
			close(paced)
			workers.Wait()
			commit.Close()
		}()
		interval := time.Duration(float64(time.Second) / f.ingestRate)
		next := time.Now()
		for t := range traffic {
			next = next.Add(interval)
			if d := time.Until(next); d > 0 {
				time.Sleep(d)
			}
			t.Card = tok.Card(t.Card)
			select {
			case paced <- t:
			case <-ctx.Done():
				return
			}
		}
	}()
	return nil
}
