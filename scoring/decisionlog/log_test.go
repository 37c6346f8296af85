package decisionlog_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/natsd/natsdtest"
	"github.com/riskgraph/riskgraph/scoring"
	"github.com/riskgraph/riskgraph/scoring/decisionlog"
)

func record(i int) decisionlog.Record {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return decisionlog.Record{
		Decision: scoring.Decision{Txn: fmt.Sprintf("t-%05d", i), Score: float64(i%100) / 100, Decision: "approve",
			Reasons: []scoring.Reason{{Code: "MODEL_SCORE", Detail: "graph model score", Weight: 0.5}}, Typologies: []string{},
			Model: "m@abc", Rules: "r-1", LatencyUS: int64(i)},
		TxnTime: t0.Add(time.Duration(i) * time.Second), DecidedAt: t0.Add(time.Duration(i)*time.Second + time.Millisecond),
	}
}

// Concurrent recorders share group messages; every decision can be found
// again, exactly as recorded.
func TestRecordAndFind(t *testing.T) {
	ctx := context.Background()
	js, _ := jetstream.New(natsdtest.Conn(t))
	l, err := decisionlog.Open(ctx, js, decisionlog.Config{MaxRecords: 50})
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < n; i += 4 {
				if !l.Record(record(i)) {
					t.Errorf("record %d dropped", i)
				}
			}
		})
	}
	wg.Wait()
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st := l.Stats(); st.Recorded != n || st.Dropped != 0 || st.Failed != 0 {
		t.Fatalf("stats %+v, want %d recorded", st, n)
	}
	s, _ := js.Stream(ctx, decisionlog.DefaultStream)
	info, _ := s.Info(ctx)
	if info.State.Msgs >= n/2 {
		t.Errorf("%d messages for %d decisions: not grouped", info.State.Msgs, n)
	}
	for _, i := range []int{0, 1, 777, n - 1} {
		got, err := decisionlog.Find(ctx, js, "", record(i).Txn)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(record(i), got); diff != "" {
			t.Errorf("Find(%s) (-recorded +found):\n%s", record(i).Txn, diff)
		}
	}
	if _, err := decisionlog.Find(ctx, js, "", "t-missing"); !errors.Is(err, decisionlog.ErrNotFound) {
		t.Errorf("Find(missing) = %v, want ErrNotFound", err)
	}
	if l.Record(record(1)) {
		t.Error("Record after Close was accepted")
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []decisionlog.Config{{Replicas: 6}, {MaxAge: -1}, {Queue: -1}, {MaxRecords: 70000}, {Flush: -1}} {
		if err := c.Validate(); !errors.Is(err, decisionlog.ErrInvalidConfig) {
			t.Errorf("%+v: %v, want ErrInvalidConfig", c, err)
		}
	}
}

// BenchmarkRecord measures what the authorization path pays: queueing one
// decision (the sender runs meanwhile, as in serve).
func BenchmarkRecord(b *testing.B) {
	js, _ := jetstream.New(natsdtest.Conn(b))
	l, err := decisionlog.Open(context.Background(), js, decisionlog.Config{Queue: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	r := record(1)
	b.ReportAllocs()
	for b.Loop() {
		l.Record(r)
	}
	b.StopTimer()
	l.Close(context.Background())
	st := l.Stats()
	b.ReportMetric(float64(st.Dropped)/float64(b.N), "dropped/op")
}
