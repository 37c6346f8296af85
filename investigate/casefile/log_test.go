package casefile_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest/stream"
	"github.com/riskgraph/riskgraph/investigate/casefile"
	"github.com/riskgraph/riskgraph/natsd/natsdtest"
)

// clock ticks one second per reading.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// labels records published labels.
type labels struct {
	mu  sync.Mutex
	got []graph.Label
}

func (l *labels) PublishLabel(_ context.Context, lb *graph.Label) (stream.Ack, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, *lb)
	return stream.Ack{Seq: uint64(len(l.got))}, nil
}

func newLog(t *testing.T, js jetstream.JetStream, lb casefile.Labeller, clk *clock) *casefile.Log {
	t.Helper()
	l, err := casefile.Open(context.Background(), js, casefile.Config{Now: clk.Now, Labels: lb, MaxRetries: 100})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func setup(t *testing.T) (*casefile.Log, jetstream.JetStream, *labels, *clock) {
	t.Helper()
	js, err := jetstream.New(natsdtest.Conn(t))
	if err != nil {
		t.Fatal(err)
	}
	lb, clk := &labels{}, &clock{t: t0}
	return newLog(t, js, lb, clk), js, lb, clk
}

var a7 = graph.Ref(graph.KindAccount, "a7")

func openCase(t *testing.T, l *casefile.Log) casefile.Case {
	t.Helper()
	c, err := l.Open(context.Background(), casefile.OpenRequest{Actor: "alice",
		OpenData: casefile.OpenData{Title: "fan-in into a7", Entities: []graph.NodeRef{a7}, Txns: []string{"t1", "t2"}, Alerts: []string{"fan_in/Account:a7/1"}}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCaseLifecycle(t *testing.T) {
	ctx := context.Background()
	l, _, lb, _ := setup(t)
	c := openCase(t, l)
	if c.ID != "C-20260314-000001" || c.Status != casefile.StatusOpen || c.OpenedBy != "alice" || !c.Opened.Equal(t0.Add(time.Second)) {
		t.Fatalf("opened case = %+v", c)
	}
	steps := []func() (casefile.Case, error){
		func() (casefile.Case, error) { return l.Assign(ctx, c.ID, "alice", "bob") },
		func() (casefile.Case, error) { return l.Note(ctx, c.ID, "bob", "a7 received 14 transfers in 2 days") },
		func() (casefile.Case, error) {
			return l.Attach(ctx, c.ID, "bob", casefile.AttachData{Entities: []graph.NodeRef{graph.Ref(graph.KindUser, "u7")}, Txns: []string{"t3"}})
		},
		func() (casefile.Case, error) {
			return l.Close(ctx, c.ID, "bob", casefile.ConfirmedFraud, "customer confirmed the account was sold")
		},
		func() (casefile.Case, error) {
			return l.RecordExport(ctx, c.ID, casefile.ExportRequest{Actor: "carol", Format: "goaml", Doc: []byte("<report/>"), Txns: 3})
		},
	}
	var last casefile.Case
	for i, step := range steps {
		var err error
		if last, err = step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	got, err := l.Get(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(last, got); diff != "" {
		t.Errorf("Get differs from what the last write returned (-write +get):\n%s", diff)
	}
	if got.Assignee != "bob" || len(got.Notes) != 1 || got.Disposition != casefile.ConfirmedFraud || got.ClosedBy != "bob" ||
		len(got.Txns) != 3 || len(got.Entities) != 2 || len(got.Exports) != 1 {
		t.Errorf("case = %+v", got)
	}

	// The audit trail: every step, who, what, when, in order.
	events, err := l.Events(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var trail []string
	for _, e := range events {
		trail = append(trail, fmt.Sprintf("%d %s %s %s", e.Seq, e.Actor, e.Action, e.Time.Sub(t0)))
	}
	want := []string{"1 alice open 1s", "2 alice assign 2s", "3 bob note 3s", "4 bob attach 4s", "5 bob close 5s", "6 carol export 6s"}
	if diff := cmp.Diff(want, trail); diff != "" {
		t.Errorf("audit trail (-want +got):\n%s", diff)
	}
	sum := sha256.Sum256([]byte("<report/>"))
	if e := events[5].Export; e == nil || e.SHA256 != hex.EncodeToString(sum[:]) || e.Bytes != len("<report/>") || e.Txns != 3 {
		t.Errorf("export event = %+v", e)
	}

	// Closing as confirmed fraud labels every entity and transaction.
	var labelled []string
	for _, x := range lb.got {
		labelled = append(labelled, fmt.Sprintf("%s %s %s", x.Target(), x.Class, x.Source))
	}
	wantLabels := []string{
		"Account:a7 fraud case:" + c.ID, "User:u7 fraud case:" + c.ID,
		"Transaction:t1 fraud case:" + c.ID, "Transaction:t2 fraud case:" + c.ID, "Transaction:t3 fraud case:" + c.ID,
	}
	if diff := cmp.Diff(wantLabels, labelled); diff != "" {
		t.Errorf("published labels (-want +got):\n%s", diff)
	}
	if events[4].Close.Labels != 5 {
		t.Errorf("close event says %d labels, want 5", events[4].Close.Labels)
	}
}

func TestClosedCaseIsImmutable(t *testing.T) {
	ctx := context.Background()
	l, _, _, _ := setup(t)
	c := openCase(t, l)
	if _, err := l.Close(ctx, c.ID, "alice", casefile.FalsePositive, "salary from a new employer"); err != nil {
		t.Fatal(err)
	}
	tries := map[string]func() error{
		"note":   func() error { _, err := l.Note(ctx, c.ID, "bob", "one more thing"); return err },
		"assign": func() error { _, err := l.Assign(ctx, c.ID, "bob", "carol"); return err },
		"attach": func() error {
			_, err := l.Attach(ctx, c.ID, "bob", casefile.AttachData{Txns: []string{"t9"}})
			return err
		},
		"close": func() error {
			_, err := l.Close(ctx, c.ID, "bob", casefile.ConfirmedFraud, "changed my mind")
			return err
		},
	}
	for name, try := range tries {
		err := try()
		if !errors.Is(err, casefile.ErrClosedCase) || !strings.Contains(err.Error(), "false_positive") {
			t.Errorf("%s on a closed case: %v, want ErrClosedCase saying how it was closed", name, err)
		}
	}
	_, err := l.RecordExport(ctx, c.ID, casefile.ExportRequest{Actor: "bob", Format: "sar", Doc: []byte("x")})
	if !errors.Is(err, casefile.ErrNotReportable) {
		t.Errorf("export of a false positive: %v, want ErrNotReportable", err)
	}
	if got, _ := l.Get(ctx, c.ID); got.Events != 2 {
		t.Errorf("the closed case has %d events, want 2: refused actions must not be logged", got.Events)
	}
}

func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	l, js, lb, clk := setup(t)
	c := openCase(t, l)
	const writers, notes = 6, 4
	var wg sync.WaitGroup
	errs := make(chan error, writers*notes)
	for w := range writers {
		wl := newLog(t, js, lb, clk) // as if from another process
		wg.Go(func() {
			for n := range notes {
				if _, err := wl.Note(ctx, c.ID, fmt.Sprintf("w%d", w), fmt.Sprintf("note %d", n)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got, err := l.Get(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Notes) != writers*notes {
		t.Errorf("%d notes, want %d", len(got.Notes), writers*notes)
	}

	// Racing closes: exactly one wins, the others see a closed case.
	var won, refused int
	var mu sync.Mutex
	for w := range writers {
		wl := newLog(t, js, lb, clk)
		wg.Go(func() {
			_, err := wl.Close(ctx, c.ID, fmt.Sprintf("w%d", w), casefile.LaunderingSuspicion, "racing")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, casefile.ErrClosedCase):
				refused++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if won != 1 || refused != writers-1 {
		t.Errorf("%d closes won and %d refused, want 1 and %d", won, refused, writers-1)
	}
}

func TestIDsAreUniqueAndSorted(t *testing.T) {
	ctx := context.Background()
	l, _, _, _ := setup(t)
	var ids []string
	for range 3 {
		c := openCase(t, l)
		if _, err := l.Note(ctx, c.ID, "alice", "x"); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	want := []string{"C-20260314-000001", "C-20260314-000003", "C-20260314-000005"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	cases, err := l.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, c := range cases {
		listed = append(listed, c.ID)
		if c.Events != 2 {
			t.Errorf("%s listed with %d events, want 2", c.ID, c.Events)
		}
	}
	if diff := cmp.Diff(want, listed); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	all, err := l.All(ctx)
	if err != nil || len(all) != 6 {
		t.Errorf("All = %d events, %v; want 6", len(all), err)
	}
}

func TestUnknownAndMalformedCases(t *testing.T) {
	ctx := context.Background()
	l, _, _, _ := setup(t)
	if _, err := l.Get(ctx, "C-20260314-000099"); !errors.Is(err, casefile.ErrNotFound) {
		t.Errorf("unknown case: %v, want ErrNotFound", err)
	}
	if _, err := l.Note(ctx, "C-20260314-000099", "a", "x"); !errors.Is(err, casefile.ErrNotFound) {
		t.Errorf("note on unknown case: %v, want ErrNotFound", err)
	}
	if _, err := l.Get(ctx, "case.>"); !errors.Is(err, casefile.ErrInvalid) {
		t.Errorf("malformed id: %v, want ErrInvalid", err)
	}
	if _, err := l.Open(ctx, casefile.OpenRequest{Actor: "", OpenData: casefile.OpenData{Title: "x", Txns: []string{"t"}}}); !errors.Is(err, casefile.ErrInvalid) {
		t.Errorf("open without actor: %v, want ErrInvalid", err)
	}
	if cases, err := l.List(ctx); err != nil || len(cases) != 0 {
		t.Errorf("List of an empty log = %v, %v", cases, err)
	}
}

func TestConfigValidate(t *testing.T) {
	now := func() time.Time { return t0 }
	tests := []struct {
		name string
		cfg  casefile.Config
		want string
	}{
		{"no clock", casefile.Config{Labels: &labels{}}, "Now"},
		{"no labeller", casefile.Config{Now: now}, "Labels"},
		{"replicas", casefile.Config{Now: now, Labels: &labels{}, Replicas: 7}, "Replicas"},
	}
	for _, tc := range tests {
		err := tc.cfg.Validate()
		if !errors.Is(err, casefile.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestLabelsReachTheTransactionLog(t *testing.T) {
	ctx := context.Background()
	js, err := jetstream.New(natsdtest.Conn(t))
	if err != nil {
		t.Fatal(err)
	}
	str, err := stream.EnsureStream(ctx, js, stream.StreamConfig{})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := stream.NewPublisher(js, stream.PublisherConfig{})
	if err != nil {
		t.Fatal(err)
	}
	flaky := &flakyLabeller{next: pub, failAt: 2}
	l := newLog(t, js, flaky, &clock{t: t0})
	c := openCase(t, l)

	// The second label fails: the case is closed all the same, and the
	// error says what is missing.
	_, err = l.Close(ctx, c.ID, "bob", casefile.LaunderingSuspicion, "layering through a7")
	if !errors.Is(err, casefile.ErrLabels) || !strings.Contains(err.Error(), "2 of its 3 labels") {
		t.Fatalf("Close with a failing publisher = %v, want ErrLabels naming 2 of 3", err)
	}
	if got, _ := l.Get(ctx, c.ID); got.Status != casefile.StatusClosed {
		t.Fatalf("case is %s after a close whose labels failed", got.Status)
	}
	// Publishing all of them again, twice, stores each label once.
	for range 2 {
		if n, err := l.PublishLabels(ctx, c.ID); n != 3 || err != nil {
			t.Fatalf("PublishLabels = %d, %v; want 3, nil", n, err)
		}
	}

	info, err := str.Info(ctx, jetstream.WithSubjectFilter(stream.SubjectLabel))
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 3 {
		t.Errorf("label subject holds %d messages, want 3 (no duplicates)", info.State.Msgs)
	}
	var got []string
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := str.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		var lb graph.Label
		if err := json.Unmarshal(m.Data, &lb); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %s %s", lb.Target(), lb.Class, lb.Source))
	}
	want := []string{"Account:a7 laundering case:" + c.ID, "Transaction:t1 laundering case:" + c.ID, "Transaction:t2 laundering case:" + c.ID}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("labels in the transaction log (-want +got):\n%s", diff)
	}
}

// flakyLabeller fails its failAt-th call and passes the others through.
type flakyLabeller struct {
	next   casefile.Labeller
	calls  int
	failAt int
}

func (f *flakyLabeller) PublishLabel(ctx context.Context, l *graph.Label) (stream.Ack, error) {
	if f.calls++; f.calls == f.failAt {
		return stream.Ack{}, fmt.Errorf("%w: no acknowledgement", stream.ErrPublish)
	}
	return f.next.PublishLabel(ctx, l)
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	ctx := context.Background()
	l, js, _, _ := setup(t)
	openCase(t, l)
	str, err := js.Stream(ctx, casefile.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	if err := str.DeleteMsg(ctx, 1); err == nil {
		t.Error("deleting an audit event succeeded")
	}
	if err := str.Purge(ctx); err == nil {
		t.Error("purging the audit log succeeded")
	}
	info, err := str.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Storage != jetstream.FileStorage || info.State.Msgs != 1 {
		t.Errorf("audit stream: storage %v, %d messages", info.Config.Storage, info.State.Msgs)
	}
}

func BenchmarkNote(b *testing.B) {
	ctx := context.Background()
	js, err := jetstream.New(natsdtest.Conn(b))
	if err != nil {
		b.Fatal(err)
	}
	l, err := casefile.Open(ctx, js, casefile.Config{Now: (&clock{t: t0}).Now, Labels: &labels{}})
	if err != nil {
		b.Fatal(err)
	}
	c, err := l.Open(ctx, casefile.OpenRequest{Actor: "a", OpenData: casefile.OpenData{Title: "x", Txns: []string{"t1"}}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		// Each note re-reads the case: the cost grows with its history,
		// so keep it at one open plus the notes of this run.
		if _, err := l.Note(ctx, c.ID, "a", "note"); err != nil {
			b.Fatal(err)
		}
	}
}
