package stream_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/ingest/stream"
	"github.com/riskgraph/riskgraph/natsd"
)

// testKey is a fixed tokenizer key: tests need reproducible tokens, not
// secrecy.
var testKey = []byte(strings.Repeat("k", ingest.KeySize))

func tokenizer(tb testing.TB) *ingest.Tokenizer {
	tb.Helper()
	tok, err := ingest.NewTokenizer(testKey)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// testSync is the fsync interval of test servers. Sync always (the
// product default) costs one fsync per message, which on a busy shared
// disk is milliseconds; these tests are about the log's semantics, and
// with an interval an acknowledged message is still written before its
// acknowledgement, so it survives a killed process all the same (natsd's
// own tests run the default).
const testSync = time.Minute

// startJS starts an in-process server on a fresh file store, creates the
// streams and returns a JetStream context on it.
func startJS(tb testing.TB) (*natsd.Server, jetstream.JetStream) {
	tb.Helper()
	srv, err := natsd.Start(context.Background(), natsd.Config{StoreDir: tb.TempDir(), SyncInterval: testSync})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(srv.Shutdown)
	js := connectJS(tb, srv)
	if _, err := stream.EnsureStream(context.Background(), js, stream.StreamConfig{}); err != nil {
		tb.Fatal(err)
	}
	return srv, js
}

func connectJS(tb testing.TB, srv *natsd.Server) jetstream.JetStream {
	tb.Helper()
	nc, err := srv.Connect()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	return js
}

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// txn returns the i-th test transaction: distinct ids, a handful of
// entities shared between them.
func txn(i int) graph.Transaction {
	return graph.Transaction{
		ID:       fmt.Sprintf("t-%07d", i),
		Time:     epoch.Add(time.Duration(i) * time.Second),
		Amount:   float64(i%500) + 0.25,
		Currency: "EUR",
		Kind:     "card",
		User:     fmt.Sprintf("u-%d", i%97),
		Account:  fmt.Sprintf("a-%d", i%97),
		Card:     fmt.Sprintf("ct_card%d", i%89),
		Device:   fmt.Sprintf("d-%d", i%31),
		IP:       fmt.Sprintf("10.0.%d.%d", i%7, i%13),
		Merchant: fmt.Sprintf("m-%d", i%17),
		MCC:      "5411",
		Country:  "DE",
		Channel:  "web",
	}
}

func txnMutations(from, to int) []graph.Mutation {
	ms := make([]graph.Mutation, 0, to-from)
	for i := from; i < to; i++ {
		t := txn(i)
		ms = append(ms, graph.Mutation{Txn: &t})
	}
	return ms
}

func newPublisher(tb testing.TB, js jetstream.JetStream) *stream.Publisher {
	tb.Helper()
	p, err := stream.NewPublisher(js, stream.PublisherConfig{})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// publishAll publishes ms and returns the largest acknowledged sequence.
func publishAll(tb testing.TB, p *stream.Publisher, ms []graph.Mutation) uint64 {
	tb.Helper()
	res, err := p.PublishBatch(context.Background(), ms)
	if err != nil {
		tb.Fatal(err)
	}
	var last uint64
	for _, r := range res {
		last = max(last, r.Seq)
	}
	return last
}

// running is a Consumer whose Run is in flight.
type running struct {
	*stream.Consumer
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returned
	err    error         // Run's error, once done is closed
}

// stop cancels Run and returns its error.
func (r *running) stop(tb testing.TB) error {
	tb.Helper()
	r.cancel()
	select {
	case <-r.done:
		return r.err
	case <-time.After(30 * time.Second):
		tb.Fatal("Run did not return within 30s of cancel")
		return nil
	}
}

func runConsumer(tb testing.TB, js jetstream.JetStream, store stream.Applier, cfg stream.ConsumerConfig) *running {
	tb.Helper()
	if cfg.Tokenizer == nil {
		cfg.Tokenizer = tokenizer(tb)
	}
	c, err := stream.NewConsumer(js, store, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Consumer: c, cancel: cancel, done: make(chan struct{})}
	go func() {
		r.err = c.Run(ctx)
		close(r.done)
	}()
	tb.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

func waitFor(tb testing.TB, c *running, seq uint64) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := c.WaitFor(ctx, seq); err != nil {
		tb.Fatalf("WaitFor(%d): %v (stats %+v)", seq, err, c.Stats())
	}
}

func txnCount(tb testing.TB, s *mem.Store) int64 {
	tb.Helper()
	st, err := s.Stats(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return st.Nodes[graph.KindTransaction]
}

// faultyStore is graph/mem with injected failures: Apply fails with err
// for any batch holding transaction id while fails(id) says so. It is the
// real store otherwise.
type faultyStore struct {
	*mem.Store
	err error

	mu    sync.Mutex
	tries map[string]int
	fails func(id string, try int) bool
}

func (f *faultyStore) Apply(ctx context.Context, batch ...graph.Mutation) (graph.Applied, error) {
	f.mu.Lock()
	for _, m := range batch {
		if m.Txn == nil {
			continue
		}
		f.tries[m.Txn.ID]++
		if f.fails(m.Txn.ID, f.tries[m.Txn.ID]) {
			f.mu.Unlock()
			return graph.Applied{}, fmt.Errorf("faulty: %s: %w", m.Txn.ID, f.err)
		}
	}
	f.mu.Unlock()
	return f.Store.Apply(ctx, batch...)
}

var errFlaky = errors.New("injected failure")
