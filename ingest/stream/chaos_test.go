package stream_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/ingest/stream"
	"github.com/riskgraph/riskgraph/natsd"
)

// slowStore makes its first few Apply calls outlast the consumer's
// AckWait, so the server redelivers what the consumer is still holding.
type slowStore struct {
	*mem.Store
	slow  atomic.Int32
	delay time.Duration
}

func (s *slowStore) Apply(ctx context.Context, batch ...graph.Mutation) (graph.Applied, error) {
	if s.slow.Add(-1) >= 0 {
		time.Sleep(s.delay)
	}
	return s.Store.Apply(ctx, batch...)
}

// Duplicates and poison, together: 10% of the transactions re-published
// with the same id inside the dedupe window (dropped by the server), 1%
// after it (stored again, applied once), 100 poison messages, and handlers
// that outlast the ack wait. Every transaction is applied exactly once,
// exactly the poison messages are dead-lettered with reasons, and the
// consumer resolves the whole log (it never stalls).
func TestDuplicatesPoisonAndSlowHandlers(t *testing.T) {
	ctx := t.Context()
	srv, err := natsd.Start(ctx, natsd.Config{StoreDir: t.TempDir(), SyncInterval: testSync})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	js := connectJS(t, srv)
	const window = 2 * time.Second
	if _, err := stream.EnsureStream(ctx, js, stream.StreamConfig{Duplicates: window}); err != nil {
		t.Fatal(err)
	}
	const n, poisons = 2000, 100
	publish := func(subject, id string, body []byte) *jetstream.PubAck {
		t.Helper()
		ack, err := js.PublishMsg(ctx, &nats.Msg{Subject: subject, Data: body}, jetstream.WithMsgID(id))
		if err != nil {
			t.Fatal(err)
		}
		return ack
	}
	poisonIDs := map[string]bool{}
	for i := range n {
		tx := txn(i)
		publish(stream.SubjectTxn, tx.ID, mustJSON(&tx))
		if i%10 == 0 { // inside the window: the server drops it
			if ack := publish(stream.SubjectTxn, tx.ID, mustJSON(&tx)); !ack.Duplicate {
				t.Fatalf("re-send of %s inside the window was stored", tx.ID)
			}
		}
		if i%(n/poisons) == 7 {
			id := fmt.Sprintf("poison-%d", i)
			poisonIDs[id] = true
			body := []byte(`{"id":"` + id + `","time":"not a time","amount":1}`)
			if i%2 == 0 {
				body = []byte(`{"id":` + id) // not JSON at all
			}
			publish(stream.SubjectTxn, id, body)
		}
	}
	time.Sleep(window + 500*time.Millisecond)
	var last uint64
	for i := 0; i < n; i += 100 { // 1%, after the window: stored again
		tx := txn(i)
		ack := publish(stream.SubjectTxn, tx.ID, mustJSON(&tx))
		if ack.Duplicate {
			t.Fatalf("re-send of %s after the window was dropped", tx.ID)
		}
		last = ack.Sequence
	}

	store := &slowStore{Store: mem.New(), delay: 300 * time.Millisecond}
	store.slow.Store(3)
	c := runConsumer(t, js, store, stream.ConsumerConfig{BatchSize: 64, AckWait: 100 * time.Millisecond})
	waitFor(t, c, last)

	if got := txnCount(t, store.Store); got != n {
		t.Errorf("store holds %d transactions, want %d", got, n)
	}
	st := c.Stats()
	if st.Duplicates != n/100 {
		t.Errorf("duplicates applied-as-no-op = %d, want the %d re-sent after the window", st.Duplicates, n/100)
	}
	if st.DeadLettered != poisons {
		t.Errorf("dead-lettered %d, want %d", st.DeadLettered, poisons)
	}
	letters := deadLetters(t, js)
	if len(letters) != poisons {
		t.Fatalf("dead-letter stream holds %d messages, want %d", len(letters), poisons)
	}
	for _, m := range letters {
		id := m.Header.Get(stream.HeaderMsgID)
		if !poisonIDs[id] {
			t.Errorf("dead letter for %q, which is not a poison message", id)
		}
		delete(poisonIDs, id)
		if m.Header.Get(stream.HeaderReason) == "" {
			t.Errorf("dead letter for %q has no reason", id)
		}
	}
	if len(poisonIDs) != 0 {
		t.Errorf("%d poison messages not dead-lettered", len(poisonIDs))
	}
	t.Logf("%d transactions (+%d dropped re-sends, +%d stored re-sends), %d poison: applied %d, duplicates %d, dead-lettered %d, redelivered %d",
		n, n/10, n/100, poisons, txnCount(t, store.Store), st.Duplicates, st.DeadLettered, st.Redelivered)
}
