package stream_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/ingest/stream"
)

func TestConsumerConfigValidate(t *testing.T) {
	tok := tokenizer(t)
	tests := []struct {
		name    string
		cfg     stream.ConsumerConfig
		wantErr bool
	}{
		{"minimal", stream.ConsumerConfig{Tokenizer: tok}, false},
		{"no tokenizer", stream.ConsumerConfig{}, true},
		{"negative batch", stream.ConsumerConfig{Tokenizer: tok, BatchSize: -1}, true},
		{"negative max deliver", stream.ConsumerConfig{Tokenizer: tok, MaxDeliver: -1}, true},
		{"negative retry delay", stream.ConsumerConfig{Tokenizer: tok, RetryDelay: -time.Second}, true},
		{"negative checkpoint every", stream.ConsumerConfig{Tokenizer: tok, CheckpointEvery: -1}, true},
		{"bad stream name", stream.ConsumerConfig{Tokenizer: tok, Stream: "a b"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Validate() = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, stream.ErrInvalidConfig) {
				t.Errorf("Validate() = %v, want it to wrap ErrInvalidConfig", err)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	for _, perMessage := range []bool{false, true} {
		t.Run("PerMessageAcks="+strconv.FormatBool(perMessage), func(t *testing.T) {
			ctx := t.Context()
			_, js := startJS(t)
			p := newPublisher(t, js)
			store := mem.New()
			c := runConsumer(t, js, store, stream.ConsumerConfig{BatchSize: 64, PerMessageAcks: perMessage})

			const n = 1000
			last := publishAll(t, p, txnMutations(0, n))
			l := graph.Label{Txn: txn(7).ID, Class: graph.ClassFraud, Time: epoch.Add(time.Hour), Source: "chargeback"}
			la, err := p.PublishLabel(ctx, &l)
			if err != nil {
				t.Fatal(err)
			}
			if la.Seq != last+1 {
				t.Fatalf("label seq %d, want %d", la.Seq, last+1)
			}
			waitFor(t, c, la.Seq)

			if got := txnCount(t, store); got != n {
				t.Errorf("store holds %d transactions, want %d", got, n)
			}
			if got, err := store.LastSeq(ctx); err != nil || got != la.Seq {
				t.Errorf("store LastSeq = %d, %v; want %d", got, err, la.Seq)
			}
			got, err := store.Transaction(ctx, txn(7).ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Label != graph.ClassFraud || got.Amount != txn(7).Amount {
				t.Errorf("transaction 7 = %+v, want amount %v labelled fraud", got, txn(7).Amount)
			}
			want := stream.ConsumerStats{Applied: n + 1, Resolved: la.Seq}
			if diff := cmp.Diff(want, c.Stats()); diff != "" {
				t.Errorf("stats mismatch (-want +got):\n%s", diff)
			}
			if err := c.stop(t); err != nil {
				t.Errorf("Run returned %v after cancel, want nil", err)
			}
		})
	}
}

// TestReplayIsIdempotent covers the two ways a message reaches the store
// twice: the same transaction in the log under two message ids (a re-send
// outside the dedupe window) and a second consumer replaying into a store
// that already holds the log.
func TestReplayIsIdempotent(t *testing.T) {
	ctx := t.Context()
	_, js := startJS(t)
	p := newPublisher(t, js)
	publishAll(t, p, txnMutations(0, 100))
	// The same transaction again, under another message id.
	again := txn(5)
	if _, err := js.Publish(ctx, stream.SubjectTxn, mustJSON(&again), jetstream.WithMsgID("resent-5")); err != nil {
		t.Fatal(err)
	}
	store := mem.New()
	c := runConsumer(t, js, store, stream.ConsumerConfig{})
	waitFor(t, c, 101)
	if got := c.Stats(); got.Applied != 101 || got.Duplicates != 1 {
		t.Errorf("stats = %+v, want 101 applied, 1 duplicate", got)
	}
	c.stop(t)

	// Rewind the store's view of the log: every message is applied again.
	if _, err := store.Apply(ctx, graph.Mutation{Seq: 0, Txn: ptr(txn(100))}); err != nil {
		t.Fatal(err)
	}
	rewound := &rewindStore{Store: store}
	c2 := runConsumer(t, js, rewound, stream.ConsumerConfig{})
	waitFor(t, c2, 101)
	if got := c2.Stats(); got.Applied != 101 || got.Duplicates != 101 {
		t.Errorf("replay stats = %+v, want 101 applied, all duplicates", got)
	}
	if got := txnCount(t, store); got != 101 {
		t.Errorf("store holds %d transactions, want 101", got)
	}
}

// rewindStore reports LastSeq 0 so that a consumer replays the whole log.
type rewindStore struct{ *mem.Store }

func (rewindStore) LastSeq(context.Context) (uint64, error) { return 0, nil }

func ptr[T any](v T) *T { return &v }

// TestServerRedeliveryIsSkipped makes the server redeliver (a checkpoint
// slower than AckWait holds unacknowledged messages) and checks that the
// redeliveries are counted and not applied.
func TestServerRedeliveryIsSkipped(t *testing.T) {
	_, js := startJS(t)
	p := newPublisher(t, js)
	store := mem.New()
	// Everything is in the log before the consumer starts, so that when
	// its first checkpoint stalls past AckWait it holds delivered but
	// unacknowledged messages, whatever the machine's load.
	const n = 200
	last := publishAll(t, p, txnMutations(0, n))
	var calls atomic.Int32
	c := runConsumer(t, js, store, stream.ConsumerConfig{
		BatchSize: 10,
		AckWait:   100 * time.Millisecond,
		// Three stalls of 5×AckWait: a redelivery needs a stall while the
		// client holds delivered, unacknowledged messages and a later pull
		// to carry it, which one stall does not guarantee on a busy box.
		Checkpoint: func(context.Context) error {
			if calls.Add(1) <= 3 {
				time.Sleep(500 * time.Millisecond)
			}
			return nil
		},
		CheckpointEvery: 10,
	})
	waitFor(t, c, last)
	st := c.Stats()
	if st.Redelivered == 0 {
		t.Errorf("no redeliveries counted (stats %+v); the test did not provoke any", st)
	}
	if st.Applied != n || st.Duplicates != 0 {
		t.Errorf("stats = %+v, want %d applied and no duplicates", st, n)
	}
	if got := txnCount(t, store); got != n {
		t.Errorf("store holds %d transactions, want %d", got, n)
	}
}

func mustJSON(tx *graph.Transaction) []byte { return ingest.AppendTransactionJSON(nil, tx) }

// deadLetters returns the dead-letter stream's messages in order.
func deadLetters(t *testing.T, js jetstream.JetStream) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx := t.Context()
	st, err := js.Stream(ctx, stream.DefaultDeadLetterStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

type letter struct {
	Subject, Field, OrigSubject, Seq, Deliveries, MsgID string
	ReasonHas                                           string
}

func letterOf(m *jetstream.RawStreamMsg, reasonHas string) letter {
	h := m.Header
	l := letter{
		Subject: m.Subject, Field: h.Get(stream.HeaderField), OrigSubject: h.Get(stream.HeaderSubject),
		Seq: h.Get(stream.HeaderSeq), Deliveries: h.Get(stream.HeaderDeliveries), MsgID: h.Get(stream.HeaderMsgID),
	}
	if strings.Contains(h.Get(stream.HeaderReason), reasonHas) {
		l.ReasonHas = reasonHas
	} else {
		l.ReasonHas = "reason: " + h.Get(stream.HeaderReason)
	}
	return l
}

func TestPoisonGoesToDeadLetter(t *testing.T) {
	ctx := t.Context()
	_, js := startJS(t)
	store := mem.New()
	c := runConsumer(t, js, store, stream.ConsumerConfig{})

	negative := txn(2)
	negative.Amount = -3
	good := func(i int) []byte { tx := txn(i); return mustJSON(&tx) }
	msgs := []struct {
		subject, id string
		body        []byte
	}{
		{stream.SubjectTxn, "t-0000001", good(1)},
		{stream.SubjectTxn, "broken", []byte(`{"id":"t-x","time":`)},
		{stream.SubjectTxn, "t-0000002", mustJSON(&negative)},
		{stream.SubjectTxn, "t-0000003", good(3)},
		{stream.SubjectLabel, "label-bad", []byte(`{"txn":"t-0000001","label":"maybe"}`)},
		{stream.SubjectTxn, "t-0000004", good(4)},
	}
	var last uint64
	for _, m := range msgs {
		ack, err := js.PublishMsg(ctx, &nats.Msg{Subject: m.subject, Data: m.body}, jetstream.WithMsgID(m.id))
		if err != nil {
			t.Fatal(err)
		}
		last = ack.Sequence
	}
	waitFor(t, c, last)

	for _, i := range []int{1, 3, 4} {
		if _, err := store.Transaction(ctx, txn(i).ID); err != nil {
			t.Errorf("good transaction %d: %v", i, err)
		}
	}
	if got := txnCount(t, store); got != 3 {
		t.Errorf("store holds %d transactions, want 3", got)
	}
	var got []letter
	reasons := []string{"invalid JSON", "negative", "maybe"}
	for i, m := range deadLetters(t, js) {
		got = append(got, letterOf(m, reasons[min(i, len(reasons)-1)]))
	}
	want := []letter{
		{"riskgraph.v1.deadletter.txn", "", stream.SubjectTxn, "2", "1", "broken", "invalid JSON"},
		{"riskgraph.v1.deadletter.txn", "amount", stream.SubjectTxn, "3", "1", "t-0000002", "negative"},
		{"riskgraph.v1.deadletter.label", "label", stream.SubjectLabel, "5", "1", "label-bad", "maybe"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dead letters mismatch (-want +got):\n%s", diff)
	}
	if st := c.Stats(); st.DeadLettered != 3 || st.Applied != 3 || st.Resolved != last {
		t.Errorf("stats = %+v, want 3 applied, 3 dead-lettered, resolved %d", st, last)
	}
}

func TestTransientStoreFailureIsRetried(t *testing.T) {
	_, js := startJS(t)
	p := newPublisher(t, js)
	flaky := txn(50).ID
	store := &faultyStore{Store: mem.New(), err: errFlaky, tries: map[string]int{},
		fails: func(id string, try int) bool { return id == flaky && try <= 2 }}
	c := runConsumer(t, js, store, stream.ConsumerConfig{RetryDelay: 10 * time.Millisecond, BatchSize: 32})
	last := publishAll(t, p, txnMutations(0, 100))
	waitFor(t, c, last)
	st := c.Stats()
	if st.Applied != 100 || st.DeadLettered != 0 || st.Retries < 2 {
		t.Errorf("stats = %+v, want 100 applied, none dead-lettered, ≥ 2 retries", st)
	}
	if got := txnCount(t, store.Store); got != 100 {
		t.Errorf("store holds %d transactions, want 100", got)
	}
}

func TestPersistentStoreFailureDeadLettersAfterMaxDeliver(t *testing.T) {
	_, js := startJS(t)
	p := newPublisher(t, js)
	bad := txn(50).ID
	store := &faultyStore{Store: mem.New(), err: errFlaky, tries: map[string]int{},
		fails: func(id string, _ int) bool { return id == bad }}
	c := runConsumer(t, js, store, stream.ConsumerConfig{RetryDelay: time.Millisecond, MaxDeliver: 3, BatchSize: 32})
	last := publishAll(t, p, txnMutations(0, 100))
	waitFor(t, c, last)
	if st := c.Stats(); st.Applied != 99 || st.DeadLettered != 1 {
		t.Errorf("stats = %+v, want 99 applied, 1 dead-lettered", st)
	}
	if got := txnCount(t, store.Store); got != 99 {
		t.Errorf("store holds %d transactions, want 99", got)
	}
	dl := deadLetters(t, js)
	if len(dl) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dl))
	}
	want := letter{"riskgraph.v1.deadletter.txn", "", stream.SubjectTxn, "51", "3", bad, "apply failed 3 times"}
	if diff := cmp.Diff(want, letterOf(dl[0], "apply failed 3 times")); diff != "" {
		t.Errorf("dead letter mismatch (-want +got):\n%s", diff)
	}
	if tries := store.tries[bad]; tries != 3 {
		t.Errorf("store tried %s %d times, want MaxDeliver = 3", bad, tries)
	}
}

func TestUnavailableStoreIsNotDeadLettered(t *testing.T) {
	_, js := startJS(t)
	p := newPublisher(t, js)
	store := &faultyStore{Store: mem.New(), err: graph.ErrUnavailable, tries: map[string]int{},
		fails: func(id string, try int) bool { return try <= 8 }}
	c := runConsumer(t, js, store, stream.ConsumerConfig{RetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond, MaxDeliver: 2})
	last := publishAll(t, p, txnMutations(0, 20))
	waitFor(t, c, last)
	if st := c.Stats(); st.Applied != 20 || st.DeadLettered != 0 {
		t.Errorf("stats = %+v, want 20 applied, none dead-lettered", st)
	}
}

func TestClosedStoreEndsRun(t *testing.T) {
	_, js := startJS(t)
	p := newPublisher(t, js)
	store := mem.New()
	c := runConsumer(t, js, store, stream.ConsumerConfig{})
	last := publishAll(t, p, txnMutations(0, 10))
	waitFor(t, c, last)
	store.Close()
	publishAll(t, p, txnMutations(10, 11))
	select {
	case <-c.done:
		if !errors.Is(c.err, stream.ErrConsumer) || !errors.Is(c.err, graph.ErrClosed) {
			t.Errorf("Run = %v, want ErrConsumer wrapping graph.ErrClosed", c.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the store closed")
	}
}

// TestCheckpointSeesAppliedPrefix checks the checkpoint contract: when the
// hook runs, the store holds every message up to its LastSeq.
func TestCheckpointSeesAppliedPrefix(t *testing.T) {
	_, js := startJS(t)
	p := newPublisher(t, js)
	store := mem.New()
	var bad atomic.Int32
	var calls atomic.Int32
	c := runConsumer(t, js, store, stream.ConsumerConfig{
		BatchSize: 50,
		Checkpoint: func(ctx context.Context) error {
			calls.Add(1)
			st, err := store.Stats(ctx)
			if err != nil {
				return err
			}
			// Sequences are 1..n for transactions 0..n-1: LastSeq = count.
			if uint64(st.Nodes[graph.KindTransaction]) != st.LastSeq {
				bad.Add(1)
			}
			return nil
		},
		CheckpointEvery:    100,
		CheckpointInterval: 20 * time.Millisecond,
	})
	last := publishAll(t, p, txnMutations(0, 2000))
	waitFor(t, c, last)
	time.Sleep(50 * time.Millisecond) // let the interval fire once more
	if calls.Load() < 2 || bad.Load() != 0 {
		t.Errorf("checkpoint called %d times, %d of them with unapplied messages below LastSeq", calls.Load(), bad.Load())
	}
	if st := c.Stats(); st.Checkpoints != int64(calls.Load()) || st.CheckpointErrors != 0 {
		t.Errorf("stats = %+v, want %d checkpoints", st, calls.Load())
	}
}

func TestStoreAheadOfLogStopsRun(t *testing.T) {
	ctx := t.Context()
	_, js := startJS(t)
	publishAll(t, newPublisher(t, js), txnMutations(0, 3))
	store := mem.New()
	if _, err := store.Apply(ctx, graph.Mutation{Seq: 1000, Txn: ptr(txn(0))}); err != nil {
		t.Fatal(err)
	}
	c, err := stream.NewConsumer(js, store, stream.ConsumerConfig{Tokenizer: tokenizer(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.Run(ctx); !errors.Is(err, stream.ErrStoreAhead) || !errors.Is(err, stream.ErrConsumer) {
		t.Errorf("Run = %v, want ErrConsumer wrapping ErrStoreAhead", err)
	}
}
