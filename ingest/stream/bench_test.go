package stream_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/ingest/stream"
	"github.com/riskgraph/riskgraph/natsd"
)

// benchJS starts a server with the given fsync policy (0: sync always).
func benchJS(b *testing.B, sync time.Duration) jetstream.JetStream {
	b.Helper()
	srv, err := natsd.Start(context.Background(), natsd.Config{StoreDir: b.TempDir(), SyncInterval: sync})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Shutdown)
	js := connectJS(b, srv)
	if _, err := stream.EnsureStream(context.Background(), js, stream.StreamConfig{}); err != nil {
		b.Fatal(err)
	}
	return js
}

// BenchmarkConsumeApply measures the consumer: fetch, decode, apply to
// graph/mem, acknowledge, for b.N transactions already in the log. The
// consumer's own state lives in memory, so the server's fsync policy does
// not touch this path; the log is filled with a relaxed one to keep set-up
// short. Run with -benchtime=200000x: each b.N is published first.
func BenchmarkConsumeApply(b *testing.B) {
	for _, bc := range []struct {
		name       string
		perMessage bool
		workers    int
	}{{"AckAll", false, 0}, {"PerMessageAcks", true, 0}, {"AckAll/DecodeWorkers=1", false, 1}} {
		b.Run(bc.name, func(b *testing.B) {
			js := benchJS(b, time.Minute)
			last := publishAll(b, newPublisher(b, js), txnMutations(0, b.N))
			store := mem.New()
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			c := runConsumer(b, js, store, stream.ConsumerConfig{PerMessageAcks: bc.perMessage, DecodeWorkers: bc.workers})
			waitFor(b, c, last)
			elapsed := time.Since(start)
			b.StopTimer()
			c.stop(b)
			if got := txnCount(b, store); got != int64(b.N) {
				b.Fatalf("store holds %d transactions, want %d", got, b.N)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
		})
	}
}

// BenchmarkPublishAsync measures Batch publishing of transactions under
// both fsync policies: sync always (the default) and a 1-minute interval.
func BenchmarkPublishAsync(b *testing.B) {
	for _, bc := range []struct {
		name string
		sync time.Duration
	}{{"SyncAlways", 0}, {"SyncInterval", time.Minute}} {
		b.Run(bc.name, func(b *testing.B) {
			js := benchJS(b, bc.sync)
			p := newPublisher(b, js)
			ms := txnMutations(0, b.N)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			batch := p.NewBatch(nil)
			for _, m := range ms {
				if err := batch.Add(ctx, m); err != nil {
					b.Fatal(err)
				}
			}
			sum, err := batch.Wait(ctx)
			elapsed := time.Since(start)
			b.StopTimer()
			if err != nil || sum.Published != b.N {
				b.Fatalf("Wait = %+v, %v; want %d published", sum, err, b.N)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
		})
	}
}
