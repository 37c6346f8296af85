package stream_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/ingest/stream"
)

func TestEnsureStreamIsIdempotent(t *testing.T) {
	ctx := t.Context()
	_, js := startJS(t) // first call inside
	st, err := stream.EnsureStream(ctx, js, stream.StreamConfig{})
	if err != nil {
		t.Fatalf("second EnsureStream: %v", err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := info.Config
	if got.Name != stream.DefaultStream || got.Storage != jetstream.FileStorage || got.Duplicates != stream.DefaultDuplicates ||
		!cmp.Equal(got.Subjects, []string{stream.SubjectTxn, stream.SubjectLabel}) {
		t.Errorf("stream config = %+v", got)
	}
	dlq, err := js.Stream(ctx, stream.DefaultDeadLetterStream)
	if err != nil {
		t.Fatal(err)
	}
	if c := dlq.CachedInfo().Config; c.Storage != jetstream.FileStorage || !cmp.Equal(c.Subjects, []string{stream.SubjectDeadLetterPrefix + ">"}) {
		t.Errorf("dead-letter stream config = %+v", c)
	}
}

func TestPublishDuplicateIsDropped(t *testing.T) {
	ctx := t.Context()
	_, js := startJS(t)
	p := newPublisher(t, js)
	tx := txn(1)
	first, err := p.Publish(ctx, &tx)
	if err != nil {
		t.Fatal(err)
	}
	again, err := p.Publish(ctx, &tx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(stream.Ack{Seq: first.Seq, Duplicate: true}, again); diff != "" || first.Duplicate {
		t.Errorf("re-publish ack mismatch (-want +got):\n%s(first %+v)", diff, first)
	}
	l := graph.Label{Txn: tx.ID, Class: graph.ClassFraud, Time: epoch, Source: "chargeback"}
	la, err := p.PublishLabel(ctx, &l)
	if err != nil {
		t.Fatal(err)
	}
	la2, err := p.PublishLabel(ctx, &l)
	if err != nil {
		t.Fatal(err)
	}
	if la.Duplicate || !la2.Duplicate || la2.Seq != la.Seq || la.Seq != first.Seq+1 {
		t.Errorf("label acks %+v then %+v, want seq %d then a duplicate of it", la, la2, first.Seq+1)
	}
	// The body is the contract's JSON and the id the transaction id.
	st, err := js.Stream(ctx, stream.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := st.GetMsg(ctx, first.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if got := raw.Header.Get(jetstream.MsgIDHeader); got != tx.ID {
		t.Errorf("Nats-Msg-Id = %q, want %q", got, tx.ID)
	}
	dec, err := ingest.DecodeTransaction(raw.Data, tokenizer(t))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tx, dec); diff != "" {
		t.Errorf("stored body decodes differently (-want +got):\n%s", diff)
	}
}

func TestPublishInvalidIsNotSent(t *testing.T) {
	ctx := t.Context()
	_, js := startJS(t)
	p := newPublisher(t, js)
	bad := txn(1)
	bad.Amount = -1
	if _, err := p.Publish(ctx, &bad); !errors.Is(err, graph.ErrInvalid) {
		t.Errorf("Publish(negative amount) = %v, want ErrInvalid", err)
	}
	if _, err := p.PublishLabel(ctx, &graph.Label{Class: graph.ClassFraud}); !errors.Is(err, graph.ErrInvalid) {
		t.Errorf("PublishLabel(no target) = %v, want ErrInvalid", err)
	}
	info, err := js.Stream(ctx, stream.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	if n := info.CachedInfo().State.Msgs; n != 0 {
		t.Errorf("stream holds %d messages, want 0", n)
	}
}

func TestPublishBatch(t *testing.T) {
	ctx := t.Context()
	_, js := startJS(t)
	p := newPublisher(t, js)
	ms := txnMutations(0, 5)
	ms[3].Txn.ID = "" // invalid: not sent
	ms[4].Txn.ID = ms[0].Txn.ID
	res, err := p.PublishBatch(ctx, ms)
	if !errors.Is(err, graph.ErrInvalid) {
		t.Fatalf("PublishBatch error = %v, want the invalid row's ErrInvalid", err)
	}
	if !errors.Is(res[3].Err, graph.ErrInvalid) {
		t.Errorf("result 3 err = %v, want ErrInvalid", res[3].Err)
	}
	res[3].Err = nil
	want := []stream.Result{
		{Index: 0, ID: "t-0000000", Ack: stream.Ack{Seq: 1}},
		{Index: 1, ID: "t-0000001", Ack: stream.Ack{Seq: 2}},
		{Index: 2, ID: "t-0000002", Ack: stream.Ack{Seq: 3}},
		{Index: 3},
		{Index: 4, ID: "t-0000000", Ack: stream.Ack{Seq: 1, Duplicate: true}},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("results mismatch (-want +got):\n%s", diff)
	}
}

func TestBatchBoundsInFlightAndCounts(t *testing.T) {
	ctx := t.Context()
	_, js := startJS(t)
	p, err := stream.NewPublisher(js, stream.PublisherConfig{MaxInFlight: 8, AckTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var order []int
	b := p.NewBatch(func(r stream.Result) { order = append(order, r.Index) })
	const n = 500
	for _, m := range txnMutations(0, n) {
		if err := b.Add(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := b.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(stream.Summary{Published: n, LastSeq: n}, sum); diff != "" {
		t.Errorf("summary mismatch (-want +got):\n%s", diff)
	}
	for i, got := range order {
		if got != i {
			t.Fatalf("onAck call %d had index %d: acknowledgements out of Add order", i, got)
		}
	}
	if err := b.Add(ctx, txnMutations(0, 1)[0]); !errors.Is(err, stream.ErrBatchClosed) {
		t.Errorf("Add after Wait = %v, want ErrBatchClosed", err)
	}
}

func TestPublishToMissingStreamFails(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, js := startJS(t)
	p, err := stream.NewPublisher(js, stream.PublisherConfig{Stream: "ELSEWHERE"})
	if err != nil {
		t.Fatal(err)
	}
	tx := txn(1)
	if _, err := p.Publish(ctx, &tx); !errors.Is(err, stream.ErrPublish) {
		t.Errorf("Publish expecting another stream = %v, want ErrPublish", err)
	}
}
