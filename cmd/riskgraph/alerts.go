package main

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest/stream"
	"github.com/riskgraph/riskgraph/typology"
	"github.com/riskgraph/riskgraph/typology/natsalert"
)

// alertFeed runs the typology engine next to serve's graph: every
// transaction that reaches the graph — through the log's consumer or the
// authorization path (the engine counts a transfer once) — is observed,
// and the alerts it raises go to the alert log, riskgraph.v1.alert.<typology>,
// off the hot path.
type alertFeed struct {
	eng *typology.Engine
	q   chan []typology.Alert
	log *slog.Logger

	published, dropped, failed atomic.Int64
	done                       chan struct{}

	mu     sync.RWMutex // orders enqueue before close
	closed bool
}

func newAlertFeed(eng *typology.Engine, log *slog.Logger) *alertFeed {
	return &alertFeed{eng: eng, q: make(chan []typology.Alert, 4096), log: log, done: make(chan struct{})}
}

// observe feeds one applied transaction to the engine.
func (f *alertFeed) observe(t *graph.Transaction) {
	if alerts := f.eng.Observe(t); len(alerts) > 0 {
		f.enqueue(alerts)
	}
}

func (f *alertFeed) enqueue(alerts []typology.Alert) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.closed {
		f.dropped.Add(int64(len(alerts)))
		return
	}
	select {
	case f.q <- alerts:
	default:
		f.dropped.Add(int64(len(alerts)))
	}
}

// hits returns the typology detections involving txn's parties before its
// time: the scorer's typology facts.
func (f *alertFeed) hits(t *graph.Transaction) map[string]int {
	var m map[string]int
	for _, ref := range [...]graph.NodeRef{graph.Ref(graph.KindAccount, t.Account), graph.Ref(graph.KindAccount, t.Counterparty),
		graph.Ref(graph.KindUser, t.User)} {
		if ref.ID != "" {
			m = f.eng.HitsByTypology(ref, t.Time, m)
		}
	}
	return m
}

// run publishes queued alerts to the alert log until the queue is closed.
func (f *alertFeed) run(alerts *natsalert.Log) {
	defer close(f.done)
	for batch := range f.q {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := alerts.Publish(ctx, batch...)
		cancel()
		if err != nil {
			f.failed.Add(int64(len(batch)))
			f.log.Error("publishing typology alerts", "alerts", len(batch), "err", err)
			continue
		}
		f.published.Add(int64(len(batch)))
	}
}

// close stops taking alerts and waits for the queued ones to be sent (or
// ctx). Alerts raised after it are counted as dropped.
func (f *alertFeed) close(ctx context.Context) {
	f.mu.Lock()
	if !f.closed {
		f.closed = true
		close(f.q)
	}
	f.mu.Unlock()
	select {
	case <-f.done:
	case <-ctx.Done():
	}
}

// observingApplier applies to the graph, then feeds what was applied to
// the typology engine: the log consumer's store in serve.
type observingApplier struct {
	stream.Applier
	observe func(*graph.Transaction)
}

func (o observingApplier) Apply(ctx context.Context, batch ...graph.Mutation) (graph.Applied, error) {
	a, err := o.Applier.Apply(ctx, batch...)
	if err != nil {
		return a, err
	}
	for i := range batch {
		if t := batch[i].Txn; t != nil {
			o.observe(t)
		}
	}
	return a, nil
}
