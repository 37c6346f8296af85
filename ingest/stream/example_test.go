package stream_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/ingest/stream"
	"github.com/riskgraph/riskgraph/natsd"
)

// Example wires the log end to end as `riskgraph serve` does: an embedded
// server, the streams, a consumer materialising the log into the embedded
// graph with snapshots, and a publisher.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "stream-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	srv, err := natsd.Start(ctx, natsd.Config{StoreDir: filepath.Join(dir, "nats")})
	if err != nil {
		panic(err)
	}
	defer srv.Shutdown()
	nc, err := srv.Connect()
	if err != nil {
		panic(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		panic(err)
	}
	if _, err := stream.EnsureStream(ctx, js, stream.StreamConfig{}); err != nil {
		panic(err)
	}

	// The graph: last snapshot (if any), then the log after it.
	snapshot := filepath.Join(dir, "graph.snapshot")
	store := mem.New()
	if err := store.LoadFile(ctx, snapshot); err != nil && !errors.Is(err, fs.ErrNotExist) {
		panic(err)
	}
	tok, err := ingest.NewTokenizer([]byte("an example key of at least 32 bytes"))
	if err != nil {
		panic(err)
	}
	consumer, err := stream.NewConsumer(js, store, stream.ConsumerConfig{
		Tokenizer:          tok,
		Checkpoint:         func(ctx context.Context) error { return store.SaveFile(ctx, snapshot) },
		CheckpointEvery:    100_000,
		CheckpointInterval: time.Minute,
	})
	if err != nil {
		panic(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- consumer.Run(runCtx) }()

	pub, err := stream.NewPublisher(js, stream.PublisherConfig{})
	if err != nil {
		panic(err)
	}
	t := graph.Transaction{ID: "t-1", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Amount: 12.5, User: "u-1"}
	ack, err := pub.Publish(ctx, &t)
	if err != nil {
		panic(err)
	}
	again, err := pub.Publish(ctx, &t)
	if err != nil {
		panic(err)
	}
	if err := consumer.WaitFor(ctx, ack.Seq); err != nil {
		panic(err)
	}
	got, err := store.Transaction(ctx, "t-1")
	if err != nil {
		panic(err)
	}
	fmt.Println("seq", ack.Seq, "re-send duplicate:", again.Duplicate)
	fmt.Println("stored", got.ID, got.Amount)
	stop()
	if err := <-done; err != nil {
		panic(err)
	}
	// Output:
	// seq 1 re-send duplicate: true
	// stored t-1 12.5
}
