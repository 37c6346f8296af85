package stream_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/ingest/stream"
)

func newCommitter(tb testing.TB, js jetstream.JetStream, cfg stream.GroupConfig) *stream.GroupCommitter {
	tb.Helper()
	g, err := stream.NewGroupCommitter(js, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(g.Close)
	return g
}

// Concurrent appenders share group messages, and the consumer applies every
// transaction exactly once.
func TestGroupCommitAppliesEveryTransactionOnce(t *testing.T) {
	_, js := startJS(t)
	g := newCommitter(t, js, stream.GroupConfig{MaxRecords: 16})
	const writers, each = 32, 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	var last uint64
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				tx := txn(w*each + i)
				ack, err := g.Append(context.Background(), &tx)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				last = max(last, ack.Seq)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st := g.Stats()
	if st.Records != writers*each {
		t.Fatalf("stats %+v: want %d records", st, writers*each)
	}
	if st.Groups >= st.Records {
		t.Errorf("stats %+v: 32 concurrent writers never shared a group message", st)
	}
	store := mem.New()
	c := runConsumer(t, js, store, stream.ConsumerConfig{})
	waitFor(t, c, last)
	if got := txnCount(t, store); got != writers*each {
		t.Fatalf("store holds %d transactions, want %d", got, writers*each)
	}
	if s := c.Stats(); s.Duplicates != 0 || s.DeadLettered != 0 {
		t.Errorf("consumer stats %+v: want no duplicates, no dead letters", s)
	}
	for _, i := range []int{0, writers*each - 1} {
		want := txn(i)
		got, err := store.Transaction(context.Background(), want.ID)
		if err != nil || got.Amount != want.Amount || !got.Time.Equal(want.Time) {
			t.Errorf("transaction %s = %+v, %v; want amount %v at %v", want.ID, got, err, want.Amount, want.Time)
		}
	}
}

// One bad record of a group message goes to the dead-letter stream alone,
// with its position; the good records around it are applied.
func TestGroupMessageBadRecordDeadLettered(t *testing.T) {
	_, js := startJS(t)
	good1, good2 := txn(1), txn(2)
	body := ingest.AppendTransactionJSON(nil, &good1)
	body = append(body, '\n')
	bad := []byte(`{"id":"t-bad","time":"2026-01-01T00:00:00Z","amount":-3}`)
	body = append(body, bad...)
	body = append(body, '\n')
	body = ingest.AppendTransactionJSON(body, &good2)
	msg := &nats.Msg{Subject: stream.SubjectTxn, Data: body, Header: nats.Header{}}
	msg.Header.Set(stream.HeaderRecords, "3")
	pa, err := js.PublishMsg(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	store := mem.New()
	c := runConsumer(t, js, store, stream.ConsumerConfig{})
	waitFor(t, c, pa.Sequence)
	if got := txnCount(t, store); got != 2 {
		t.Fatalf("store holds %d transactions, want the 2 good ones", got)
	}
	dl := fetchOne(t, js, stream.DefaultDeadLetterStream)
	if string(dl.Data) != string(bad) {
		t.Errorf("dead letter body %q, want the bad record alone %q", dl.Data, bad)
	}
	if got := dl.Header.Get(stream.HeaderRecord); got != "2" {
		t.Errorf("%s = %q, want 2", stream.HeaderRecord, got)
	}
	if got := dl.Header.Get(stream.HeaderField); got != "amount" {
		t.Errorf("%s = %q, want amount", stream.HeaderField, got)
	}
	if got := dl.Header.Get(stream.HeaderSeq); got != strconv.FormatUint(pa.Sequence, 10) {
		t.Errorf("%s = %q, want %d", stream.HeaderSeq, got, pa.Sequence)
	}
}

func fetchOne(t *testing.T, js jetstream.JetStream, streamName string) *jetstream.RawStreamMsg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, streamName)
	if err != nil {
		t.Fatal(err)
	}
	for ctx.Err() == nil {
		m, err := s.GetMsg(ctx, 1)
		if err == nil {
			return m
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no message in %s", streamName)
	return nil
}

// Begin queues without waiting: one caller can begin many appends, do
// other work, and wait for each; every one is acknowledged and stored, in
// fewer messages than transactions.
func TestGroupBeginThenWait(t *testing.T) {
	_, js := startJS(t)
	g := newCommitter(t, js, stream.GroupConfig{})
	const n = 50
	pending := make([]stream.Pending, n)
	for i := range n {
		tx := txn(i)
		p, err := g.Begin(&tx)
		if err != nil {
			t.Fatalf("Begin %d: %v", i, err)
		}
		tx.Amount = -1 // Begin encoded it: later changes are not logged
		pending[i] = p
	}
	var last uint64
	for i, p := range pending {
		ack, err := p.Wait(context.Background())
		if err != nil || ack.Seq == 0 {
			t.Fatalf("Wait %d: %+v, %v", i, ack, err)
		}
		last = max(last, ack.Seq)
	}
	if st := g.Stats(); st.Records != n || st.Groups >= n {
		t.Errorf("stats %+v: want %d records in fewer groups", st, n)
	}
	store := mem.New()
	c := runConsumer(t, js, store, stream.ConsumerConfig{})
	waitFor(t, c, last)
	if got := txnCount(t, store); got != n {
		t.Fatalf("store holds %d transactions, want %d", got, n)
	}
	want := txn(7)
	if got, err := store.Transaction(context.Background(), want.ID); err != nil || got.Amount != want.Amount {
		t.Errorf("transaction %s = %+v, %v; want amount %v as begun", want.ID, got, err, want.Amount)
	}
	// A wait that gives up leaves the transaction to its group.
	tx := txn(n)
	p, err := g.Begin(&tx)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Wait(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Wait after cancel: %v, want nil or context.Canceled", err)
	}
}

func TestGroupCommitterErrors(t *testing.T) {
	_, js := startJS(t)
	if _, err := stream.NewGroupCommitter(js, stream.GroupConfig{MaxRecords: -1}); !errors.Is(err, stream.ErrInvalidConfig) {
		t.Errorf("MaxRecords -1: %v, want ErrInvalidConfig", err)
	}
	g := newCommitter(t, js, stream.GroupConfig{})
	bad := txn(1)
	bad.Amount = -1
	if _, err := g.Append(context.Background(), &bad); !errors.Is(err, graph.ErrInvalid) {
		t.Errorf("negative amount: %v, want graph.ErrInvalid", err)
	}
	if _, err := g.Begin(&bad); !errors.Is(err, graph.ErrInvalid) {
		t.Errorf("Begin, negative amount: %v, want graph.ErrInvalid", err)
	}
	g.Close()
	ok := txn(2)
	if _, err := g.Append(context.Background(), &ok); !errors.Is(err, stream.ErrCommitterClosed) {
		t.Errorf("after Close: %v, want ErrCommitterClosed", err)
	}
	if _, err := g.Begin(&ok); !errors.Is(err, stream.ErrCommitterClosed) {
		t.Errorf("Begin after Close: %v, want ErrCommitterClosed", err)
	}
}

// BenchmarkGroupAppend measures durable appends from 64 concurrent callers
// (as authorizations arrive) on a sync-always server: each Append returns
// once its transaction is on disk. "Single" publishes each transaction as
// its own message and waits for it, the way Publisher.Publish does.
func BenchmarkGroupAppend(b *testing.B) {
	for _, bc := range []struct {
		name       string
		maxRecords int
	}{{"Group", 0}, {"Single", 1}} {
		b.Run(bc.name, func(b *testing.B) {
			js := benchJS(b, 0)
			g, err := stream.NewGroupCommitter(js, stream.GroupConfig{MaxRecords: bc.maxRecords})
			if err != nil {
				b.Fatal(err)
			}
			defer g.Close()
			var next sync.Mutex
			i := 0
			b.SetParallelism(32)
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					next.Lock()
					tx := txn(i)
					i++
					next.Unlock()
					if _, err := g.Append(context.Background(), &tx); err != nil {
						b.Error(err)
						return
					}
				}
			})
			elapsed := time.Since(start)
			b.StopTimer()
			st := g.Stats()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "txns/s")
			b.ReportMetric(float64(st.Records)/float64(max(st.Groups, 1)), "txns/group")
		})
	}
}
