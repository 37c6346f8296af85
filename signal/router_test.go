package signal_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/signal"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// recorder is a plug-in that keeps every signal it is handed.
type recorder struct {
	name string
	mu   sync.Mutex
	got  []signal.Signal
}

func (r *recorder) Name() string { return r.name }

func (r *recorder) Handle(_ context.Context, s signal.Signal) error {
	r.mu.Lock()
	r.got = append(r.got, s)
	r.mu.Unlock()
	return nil
}

func (r *recorder) signals() []signal.Signal {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]signal.Signal(nil), r.got...)
}

// pubRecorder is a Publisher that keeps every message.
type pubRecorder struct {
	mu   sync.Mutex
	msgs []pubMsg
}

type pubMsg struct {
	subject string
	data    []byte
}

func (p *pubRecorder) Publish(subject string, data []byte) error {
	p.mu.Lock()
	p.msgs = append(p.msgs, pubMsg{subject, append([]byte(nil), data...)})
	p.mu.Unlock()
	return nil
}

func (p *pubRecorder) all() []pubMsg {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]pubMsg(nil), p.msgs...)
}

// pluginFunc adapts a function to signal.Plugin.
type pluginFunc func(context.Context, signal.Signal) error

func (f pluginFunc) Name() string                                      { return "func" }
func (f pluginFunc) Handle(ctx context.Context, s signal.Signal) error { return f(ctx, s) }

func newRouter(t testing.TB, cfg signal.Config) *signal.Router {
	t.Helper()
	if cfg.SubjectKey == nil {
		cfg.SubjectKey = testKey
	}
	r, err := signal.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = r.Close(context.Background()) })
	return r
}

func closeRouter(t *testing.T, r *signal.Router) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func pseudonym(kind, id string) string {
	h := hmac.New(sha256.New, testKey)
	h.Write([]byte(kind + "\x00" + id))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     signal.Config
		wantErr bool
	}{
		{"minimal", signal.Config{SubjectKey: testKey}, false},
		{"no key", signal.Config{}, true},
		{"short key", signal.Config{SubjectKey: []byte("short")}, true},
		{"negative step", signal.Config{SubjectKey: testKey, ScoreStep: -0.1}, true},
		{"prior one", signal.Config{SubjectKey: testKey, PriorScore: 1}, true},
		{"negative queue", signal.Config{SubjectKey: testKey, QueueSize: -1}, true},
		{"negative timeout", signal.Config{SubjectKey: testKey, HandleTimeout: -time.Second}, true},
		{"bad cuts", signal.Config{SubjectKey: testKey, Cuts: signal.Cuts{Medium: 0.9, High: 0.5, Critical: 0.95}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Validate() = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, signal.ErrInvalidConfig) {
				t.Errorf("Validate() = %v, want it to wrap ErrInvalidConfig", err)
			}
		})
	}
}

func TestRegister(t *testing.T) {
	r := newRouter(t, signal.Config{})
	a := &recorder{name: "a"}
	if err := r.Register(a, signal.RegisterOptions{}); err != nil {
		t.Fatalf("Register(a): %v", err)
	}
	tests := []struct {
		name string
		p    signal.Plugin
		opts signal.RegisterOptions
		want error
	}{
		{"duplicate name", &recorder{name: "a"}, signal.RegisterOptions{}, signal.ErrDuplicatePlugin},
		{"duplicate via option", &recorder{name: "b"}, signal.RegisterOptions{Name: "a", Compliance: true}, signal.ErrDuplicatePlugin},
		{"nil", nil, signal.RegisterOptions{}, signal.ErrInvalidPlugin},
		{"empty name", &recorder{}, signal.RegisterOptions{}, signal.ErrInvalidPlugin},
		{"negative queue", &recorder{name: "q"}, signal.RegisterOptions{QueueSize: -1}, signal.ErrInvalidPlugin},
		{"renamed", &recorder{name: "a"}, signal.RegisterOptions{Name: "a2"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := r.Register(tt.p, tt.opts); !errors.Is(err, tt.want) {
				t.Errorf("Register() = %v, want %v", err, tt.want)
			}
		})
	}
	closeRouter(t, r)
	if err := r.Register(&recorder{name: "late"}, signal.RegisterOptions{}); !errors.Is(err, signal.ErrClosed) {
		t.Errorf("Register after Close = %v, want ErrClosed", err)
	}
	if err := r.Route(context.Background(), decision("t", "u", 0.5)); !errors.Is(err, signal.ErrClosed) {
		t.Errorf("Route after Close = %v, want ErrClosed", err)
	}
}

func decision(txn, user string, score float64, reasons ...signal.Reason) signal.Decision {
	return signal.Decision{
		Txn:   &graph.Transaction{ID: txn, User: user, Time: t0},
		Score: score, Decision: "review", Reasons: reasons, Model: "gnn@abc", Time: t0,
	}
}

func TestRouteViews(t *testing.T) {
	pub := &pubRecorder{}
	r := newRouter(t, signal.Config{Publisher: pub})
	mkt, comp := &recorder{name: "marketing"}, &recorder{name: "compliance"}
	if err := r.Register(mkt, signal.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(comp, signal.RegisterOptions{Compliance: true}); err != nil {
		t.Fatal(err)
	}
	reasons := []signal.Reason{
		{Code: "LINKED_DEVICE", Detail: "linked device d9", Weight: 1.2},
		{Code: "TXN_AMOUNT_LOG", Detail: "amount is 900", Weight: 0.4},
		{Code: "SOMETHING_NEW", Detail: "new rule", Weight: 0.1},
	}
	d := decision("t1", "alice", 0.87, reasons...)
	if err := r.Route(context.Background(), d); err != nil {
		t.Fatalf("Route: %v", err)
	}
	closeRouter(t, r)

	want := signal.Signal{
		Version: 1, Subject: pseudonym("user", "alice"), Band: signal.BandCritical, Score: 0.85,
		Reasons: []signal.Class{signal.ClassDevice, signal.ClassAmount, signal.ClassOther},
		Txn:     "t1", Time: t0, Model: "gnn@abc",
	}
	if diff := cmp.Diff([]signal.Signal{want}, mkt.signals()); diff != "" {
		t.Errorf("non-compliance signal mismatch (-want +got):\n%s", diff)
	}
	wantFull := want
	wantFull.Score = 0.87
	wantFull.Compliance = &signal.Compliance{
		Decision: "review", Reasons: reasons, PublicBand: signal.BandCritical, PublicScore: 0.85,
	}
	if diff := cmp.Diff([]signal.Signal{wantFull}, comp.signals()); diff != "" {
		t.Errorf("compliance signal mismatch (-want +got):\n%s", diff)
	}
	msgs := pub.all()
	if len(msgs) != 1 || msgs[0].subject != "riskgraph.v1.signal.critical" {
		t.Fatalf("published %+v, want one message on riskgraph.v1.signal.critical", msgs)
	}
	got, err := signal.Decode(msgs[0].data)
	if err != nil {
		t.Fatalf("Decode(published): %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("published signal mismatch (-want +got):\n%s", diff)
	}
}

func TestRouteSubject(t *testing.T) {
	tests := []struct {
		name string
		txn  graph.Transaction
		want string
	}{
		{"user", graph.Transaction{ID: "t", User: "u1", Account: "a1"}, pseudonym("user", "u1")},
		{"account", graph.Transaction{ID: "t", Account: "a1", Card: "c1"}, pseudonym("account", "a1")},
		{"card token", graph.Transaction{ID: "t", Card: "tok_c1"}, pseudonym("card", "tok_c1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRouter(t, signal.Config{})
			rec := &recorder{name: "r"}
			if err := r.Register(rec, signal.RegisterOptions{}); err != nil {
				t.Fatal(err)
			}
			txn := tt.txn
			if err := r.Route(context.Background(), signal.Decision{Txn: &txn, Score: 0.1}); err != nil {
				t.Fatal(err)
			}
			closeRouter(t, r)
			got := rec.signals()
			if len(got) != 1 || got[0].Subject != tt.want {
				t.Fatalf("got %+v, want subject %s", got, tt.want)
			}
		})
	}
}

func TestRouteInvalid(t *testing.T) {
	r := newRouter(t, signal.Config{})
	tests := []struct {
		name string
		d    signal.Decision
	}{
		{"no txn", signal.Decision{Score: 0.5}},
		{"no txn id", signal.Decision{Txn: &graph.Transaction{User: "u"}, Score: 0.5}},
		{"no subject", signal.Decision{Txn: &graph.Transaction{ID: "t"}, Score: 0.5}},
		{"score above one", decision("t", "u", 1.5)},
		{"negative score", decision("t", "u", -0.1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := r.Route(context.Background(), tt.d); !errors.Is(err, signal.ErrInvalidDecision) {
				t.Errorf("Route() = %v, want ErrInvalidDecision", err)
			}
		})
	}
	if got := r.Stats().Invalid; got != uint64(len(tests)) {
		t.Errorf("Stats().Invalid = %d, want %d", got, len(tests))
	}
}

// A plug-in that never returns must not slow Route down: its copies are
// dropped and counted once its queue is full, and the other plug-ins get
// everything.
func TestRouteSlowPluginDoesNotBlock(t *testing.T) {
	r := newRouter(t, signal.Config{})
	entered, release := make(chan struct{}, 1), make(chan struct{})
	slow := pluginFunc(func(ctx context.Context, _ signal.Signal) error {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
		return nil
	})
	fast := &recorder{name: "fast"}
	if err := r.Register(slow, signal.RegisterOptions{Name: "slow", QueueSize: 2}); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(fast, signal.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	const n = 200
	if err := r.Route(context.Background(), decision("t0", "u", 0.5)); err != nil {
		t.Fatal(err)
	}
	<-entered // the slow plug-in is now stuck in Handle
	start := time.Now()
	for i := 1; i < n; i++ {
		if err := r.Route(context.Background(), decision("t", "u", 0.5)); err != nil {
			t.Fatal(err)
		}
	}
	// Generous bound (shared CI cores); blocking would take forever.
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("%d Routes took %v with a stuck plug-in", n-1, el)
	}
	st := r.Stats()
	if got, want := st.Plugins[0].Dropped, uint64(n-1-2); got != want {
		t.Errorf("slow plug-in dropped %d, want %d", got, want)
	}
	close(release)
	closeRouter(t, r)
	st = r.Stats()
	want := []signal.PluginStats{
		{Name: "slow", Delivered: 3, Dropped: n - 3},
		{Name: "fast", Delivered: n},
	}
	if diff := cmp.Diff(want, st.Plugins); diff != "" {
		t.Errorf("Stats().Plugins mismatch (-want +got):\n%s", diff)
	}
	if st.Routed != n {
		t.Errorf("Stats().Routed = %d, want %d", st.Routed, n)
	}
}

func TestPluginFailuresCounted(t *testing.T) {
	r := newRouter(t, signal.Config{})
	calls := 0
	bad := pluginFunc(func(context.Context, signal.Signal) error {
		calls++
		if calls == 1 {
			panic("boom")
		}
		return errors.New("nope")
	})
	if err := r.Register(bad, signal.RegisterOptions{Name: "bad"}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := r.Route(context.Background(), decision("t", "u", 0.5)); err != nil {
			t.Fatal(err)
		}
	}
	closeRouter(t, r)
	if diff := cmp.Diff([]signal.PluginStats{{Name: "bad", Failed: 3}}, r.Stats().Plugins); diff != "" {
		t.Errorf("Stats().Plugins mismatch (-want +got):\n%s", diff)
	}
}

// Close gives up at its deadline: the stuck handler's context is
// cancelled and what was still queued is counted as failed.
func TestCloseDeadline(t *testing.T) {
	r := newRouter(t, signal.Config{HandleTimeout: time.Minute})
	stuck := pluginFunc(func(ctx context.Context, _ signal.Signal) error {
		<-ctx.Done()
		return ctx.Err()
	})
	if err := r.Register(stuck, signal.RegisterOptions{Name: "stuck"}); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if err := r.Route(context.Background(), decision("t", "u", 0.5)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := r.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close() = %v, want DeadlineExceeded", err)
	}
	if got := r.Stats().Plugins[0]; got.Failed != 5 || got.Queued != 0 {
		t.Errorf("stats %+v, want 5 failed, none queued", got)
	}
}

// Plug-ins get their own copies: one mutating its signal does not change
// what another sees.
func TestRouteCopies(t *testing.T) {
	r := newRouter(t, signal.Config{})
	vandal := pluginFunc(func(_ context.Context, s signal.Signal) error {
		for i := range s.Reasons {
			s.Reasons[i] = "vandalised"
		}
		return nil
	})
	rec := &recorder{name: "rec"}
	if err := r.Register(vandal, signal.RegisterOptions{Name: "vandal"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(rec, signal.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if err := r.Route(context.Background(), decision("t", "u", 0.5, signal.Reason{Code: "LINKED_DEVICE", Weight: 1})); err != nil {
			t.Fatal(err)
		}
	}
	closeRouter(t, r)
	for _, s := range rec.signals() {
		if diff := cmp.Diff([]signal.Class{signal.ClassDevice}, s.Reasons); diff != "" {
			t.Fatalf("reasons mismatch (-want +got):\n%s", diff)
		}
	}
}

func BenchmarkRoute(b *testing.B) {
	r, err := signal.New(signal.Config{SubjectKey: testKey, Publisher: discard{}, QueueSize: 1 << 16})
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"personalization", "creative"} {
		p := pluginFunc(func(context.Context, signal.Signal) error { return nil })
		if err := r.Register(p, signal.RegisterOptions{Name: name}); err != nil {
			b.Fatal(err)
		}
	}
	if err := r.Register(pluginFunc(func(context.Context, signal.Signal) error { return nil }), signal.RegisterOptions{Name: "case-manager", Compliance: true}); err != nil {
		b.Fatal(err)
	}
	d := decision("t1", "alice", 0.91,
		signal.Reason{Code: "LINKED_DEVICE", Weight: 1.2},
		signal.Reason{Code: "TXN_AMOUNT_LOG", Weight: 0.4},
		signal.Reason{Code: "AML_STRUCTURING", Weight: 0.9},
	)
	d.Typologies = []string{"fan_in"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Route(ctx, d); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	_ = r.Close(context.Background())
}

type discard struct{}

func (discard) Publish(string, []byte) error { return nil }
