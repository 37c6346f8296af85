package scoring_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/feature"
	"github.com/riskgraph/riskgraph/gnn"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/gnn/defaultmodel"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/rules"
	"github.com/riskgraph/riskgraph/sampling"
	"github.com/riskgraph/riskgraph/scoring"
	"github.com/riskgraph/riskgraph/synth"
)

const testRules = `
version: "test-1"
degraded_decision: approve
lists:
  block:
    devices: ["d-stolen"]
amount:
  - {id: A1, over: 5000, action: review}
bands:
  - {below: 0.5, decision: approve}
  - {below: 0.9, decision: review}
  - {decision: decline}
`

// constant is a model double: every row scores s, after an optional delay.
type constant struct {
	s     float32
	delay time.Duration
}

func (c constant) Score(b *sampling.Batch, out []float32) ([]float32, error) {
	time.Sleep(c.delay)
	out = out[:0]
	for range b.B {
		out = append(out, c.s)
	}
	return out, nil
}

type env struct {
	s      *scoring.Scorer
	b      *scoring.Batcher
	recs   atomic.Int64
	recErr atomic.Bool
	last   graph.Transaction
	g      *mem.Store
	rules  *rules.Set
}

func newEnv(t *testing.T, m scoring.Model) *env {
	t.Helper()
	ctx := context.Background()
	g := mem.New()
	tok, _ := ingest.NewTokenizer(make([]byte, 32))
	e := &env{}
	if _, err := synth.Generate(ctx, synth.Config{Seed: 4, Users: 150, Days: 7}, func(tx *graph.Transaction) error {
		c := *tx
		c.Card = tok.Card(c.Card)
		e.last = c
		_, err := g.Apply(ctx, graph.Mutation{Txn: &c})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	rs, err := rules.Load(strings.NewReader(testRules), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := scoring.NewBatcher(nil, scoring.BatcherConfig{})
	t.Cleanup(b.Close)
	s, err := scoring.NewScorer(g, scoring.Fixed{Set: rs}, b, scoring.ScorerConfig{Record: func(context.Context, *graph.Transaction) error {
		e.recs.Add(1)
		if e.recErr.Load() {
			return errors.New("log unavailable")
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := defaultmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	if m == nil {
		if m, err = gnn.New(a.Manifest, a.Tensors); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetModel(m, a.Manifest); err != nil {
		t.Fatal(err)
	}
	e.s, e.b, e.g, e.rules = s, b, g, rs
	return e
}

// next is a new transaction by the last generated one's user, just after it.
func (e *env) next(id string, amount float64, device string) *graph.Transaction {
	tx := e.last
	tx.ID, tx.Time, tx.Amount, tx.Label, tx.Attrs = id, e.last.Time.Add(time.Minute), amount, "", nil
	if device != "" {
		tx.Device = device
	}
	return &tx
}

func TestAuthorizeDecisions(t *testing.T) {
	tests := []struct {
		name     string
		score    float32
		amount   float64
		device   string
		want     string
		wantCode string
	}{
		{"low score approves", 0.1, 20, "", "approve", "MODEL_SCORE"},
		{"middle score reviews", 0.7, 20, "", "review", "MODEL_SCORE"},
		{"high score declines", 0.95, 20, "", "decline", "MODEL_SCORE"},
		{"amount rule reviews a low score", 0.1, 9000, "", "review", "AMOUNT_OVER_LIMIT"},
		{"block list declines a low score", 0.1, 20, "d-stolen", "decline", "BLOCK_LIST_DEVICE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, constant{s: tc.score})
			d, err := e.s.Authorize(context.Background(), e.next("new-1", tc.amount, tc.device))
			if err != nil {
				t.Fatal(err)
			}
			if d.Decision != tc.want || d.Degraded || d.Rules != "test-1" || !strings.HasPrefix(d.Model, "riskgraph-default@") {
				t.Errorf("decision = %+v, want %s, not degraded, rules test-1", d, tc.want)
			}
			codes := ""
			for _, r := range d.Reasons {
				codes += r.Code + " "
			}
			if !strings.Contains(codes, tc.wantCode) {
				t.Errorf("reasons %q lack %s", codes, tc.wantCode)
			}
			if e.recs.Load() != 1 {
				t.Errorf("transaction recorded %d times, want 1", e.recs.Load())
			}
		})
	}
}

// A model slower than the deadline degrades to rules: the reply comes
// long before the model would have, and the block list still declines.
func TestAuthorizeDegradesAtDeadline(t *testing.T) {
	e := newEnv(t, constant{s: 0.1, delay: 2 * time.Second})
	for _, tc := range []struct{ device, want string }{{"", "approve"}, {"d-stolen", "decline"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		start := time.Now()
		d, err := e.s.Authorize(ctx, e.next("slow-"+tc.device, 20, tc.device))
		elapsed := time.Since(start)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if !d.Degraded || d.Model != "" || d.Decision != tc.want {
			t.Errorf("device %q: decision %+v, want degraded %s", tc.device, d, tc.want)
		}
		// Functional, not a performance bound: the model takes 2 s.
		if elapsed > time.Second {
			t.Errorf("Authorize waited %v for a 2 s model despite a 20 ms deadline", elapsed)
		}
	}
	if st := e.s.Stats(); st.Degraded != 2 || st.Decisions != 2 {
		t.Errorf("stats = %+v, want 2 degraded of 2", st)
	}
}

func TestAuthorizeRealModelAndBadInput(t *testing.T) {
	e := newEnv(t, nil)
	d, err := e.s.Authorize(context.Background(), e.next("real-1", 35, ""))
	if err != nil {
		t.Fatal(err)
	}
	if d.Degraded || d.Score <= 0 || d.Score >= 1 {
		t.Errorf("decision with the built-in model = %+v", d)
	}
	bad := e.next("", 10, "")
	_, err = e.s.Authorize(context.Background(), bad)
	var fe *graph.FieldError
	if !errors.Is(err, scoring.ErrInvalid) || !errors.As(err, &fe) || fe.Field != "id" {
		t.Errorf("Authorize(no id) = %v, want ErrInvalid naming id", err)
	}
	// A failing log does not fail the decision; it is counted.
	e.recErr.Store(true)
	if _, err := e.s.Authorize(context.Background(), e.next("real-2", 35, "")); err != nil {
		t.Fatal(err)
	}
	if e.s.Stats().RecordErrors != 1 {
		t.Errorf("record errors = %d, want 1", e.s.Stats().RecordErrors)
	}
}

// A shadow model scores the same traffic and is recorded, but never
// decides.
func TestShadowModelIsRecordedNotUsed(t *testing.T) {
	e := newEnv(t, constant{s: 0.1})
	a, _ := defaultmodel.Load()
	got := make(chan scoring.ShadowScore, 10)
	if err := e.s.SetShadow(constant{s: 0.95}, a.Manifest, func(s scoring.ShadowScore) { got <- s }); err != nil {
		t.Fatal(err)
	}
	d, err := e.s.Authorize(context.Background(), e.next("shadowed", 20, ""))
	if err != nil {
		t.Fatal(err)
	}
	if d.Decision != "approve" || d.Score != float64(float32(0.1)) {
		t.Errorf("decision %+v: the shadow's 0.95 must not decide", d)
	}
	s := <-got
	if s.Txn != "shadowed" || s.Score != float64(float32(0.95)) || s.PrimaryScore != d.Score || s.PrimaryModel != d.Model {
		t.Errorf("shadow record = %+v", s)
	}
	// Removing the shadow stops the recording.
	if err := e.s.SetShadow(nil, a.Manifest, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Authorize(context.Background(), e.next("unshadowed", 20, "")); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		t.Errorf("a removed shadow still recorded %+v", s)
	default:
	}
}

// With Apply, an authorized transaction is in the graph when Authorize
// returns, so the next authorization counts it (velocity), without
// waiting for the log's consumer.
func TestAuthorizeAppliesBeforeScoring(t *testing.T) {
	ctx := context.Background()
	g := mem.New()
	rs, err := rules.Load(strings.NewReader(`
version: "v-apply"
velocity:
  - {id: V1, entity: card, window: 1h, max_count: 2, action: decline}
bands:
  - {decision: approve}
`), "apply.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := scoring.NewBatcher(nil, scoring.BatcherConfig{})
	defer b.Close()
	s, err := scoring.NewScorer(g, scoring.Fixed{Set: rs}, b, scoring.ScorerConfig{Apply: func(ctx context.Context, tx *graph.Transaction) error {
		_, err := g.Apply(ctx, graph.Mutation{Txn: tx})
		return err
	}})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	var got []string
	for i := range 3 {
		tx := &graph.Transaction{ID: fmt.Sprintf("burst-%d", i), Time: t0.Add(time.Duration(i) * time.Second), Amount: 1, Card: "ct_burst", User: "u1"}
		d, err := s.Authorize(ctx, tx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := g.Transaction(ctx, tx.ID); err != nil {
			t.Fatalf("%s not in the graph after Authorize: %v", tx.ID, err)
		}
		got = append(got, d.Decision)
	}
	// The third attempt in the hour is the card's third: over max_count 2.
	if want := []string{"approve", "approve", "decline"}; !slices.Equal(got, want) {
		t.Errorf("decisions %v, want %v", got, want)
	}
	if st := s.Stats(); st.ApplyErrors != 0 {
		t.Errorf("apply errors %d", st.ApplyErrors)
	}
}

// Typology detections on a transaction's parties become rules facts (a
// typology rule fires) and the decision's typology tags.
func TestAuthorizeTypologies(t *testing.T) {
	rs, err := rules.Load(strings.NewReader(`
version: "v-typo"
typology:
  - {id: T-cycle, typology: cycle, min_hits: 1, action: decline}
bands:
  - {decision: approve}
`), "typo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := scoring.NewBatcher(nil, scoring.BatcherConfig{})
	defer b.Close()
	s, err := scoring.NewScorer(mem.New(), scoring.Fixed{Set: rs}, b, scoring.ScorerConfig{Typologies: func(tx *graph.Transaction) map[string]int {
		if tx.Account == "a-cycle" {
			return map[string]int{"cycle": 2, "fan_in": 1, "structuring": 0}
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	d, err := s.Authorize(context.Background(), &graph.Transaction{ID: "c1", Time: t0, Amount: 10, Account: "a-cycle", Counterparty: "a2"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Decision != "decline" || !slices.Equal(d.Typologies, []string{"cycle", "fan_in"}) {
		t.Errorf("decision %s, typologies %v; want decline tagged [cycle fan_in]", d.Decision, d.Typologies)
	}
	d, _ = s.Authorize(context.Background(), &graph.Transaction{ID: "c2", Time: t0, Amount: 10, Account: "a-clean", Counterparty: "a2"})
	if d.Decision != "approve" || len(d.Typologies) != 0 {
		t.Errorf("clean account: decision %s, typologies %v", d.Decision, d.Typologies)
	}
}

// With RecordAsync the reply does not wait for the log; the append still
// happens (with the transaction as it was) and its failures are counted.
func TestAuthorizeRecordAsync(t *testing.T) {
	release := make(chan struct{})
	got := make(chan graph.Transaction, 1)
	b, _ := scoring.NewBatcher(nil, scoring.BatcherConfig{})
	defer b.Close()
	rs, _ := rules.Load(strings.NewReader(testRules), "test.yaml")
	s, err := scoring.NewScorer(mem.New(), scoring.Fixed{Set: rs}, b, scoring.ScorerConfig{RecordAsync: true,
		Record: func(ctx context.Context, tx *graph.Transaction) error {
			<-release
			got <- *tx
			return errors.New("log down")
		}})
	if err != nil {
		t.Fatal(err)
	}
	tx := &graph.Transaction{ID: "async-1", Time: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), Amount: 3, User: "u1"}
	if _, err := s.Authorize(context.Background(), tx); err != nil {
		t.Fatal(err)
	}
	tx.ID = "reused-by-caller"
	close(release)
	select {
	case r := <-got:
		if r.ID != "async-1" {
			t.Errorf("the log got %q, want the transaction as authorized", r.ID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Record never ran")
	}
	waitUntil(t, func() bool { return s.Stats().RecordErrors == 1 })
}

// With Begin the log's write starts before scoring and the reply waits
// for it: Authorize returns only after the wait does, and a failed write
// is counted, the decision standing.
func TestAuthorizeBeginWaitsForTheLog(t *testing.T) {
	b, _ := scoring.NewBatcher(nil, scoring.BatcherConfig{})
	defer b.Close()
	rs, _ := rules.Load(strings.NewReader(testRules), "test.yaml")
	if _, err := scoring.NewScorer(mem.New(), scoring.Fixed{Set: rs}, b, scoring.ScorerConfig{
		Record: func(context.Context, *graph.Transaction) error { return nil },
		Begin:  func(*graph.Transaction) func(context.Context) error { return nil },
	}); !errors.Is(err, scoring.ErrConfig) {
		t.Errorf("Record and Begin both set: %v, want ErrConfig", err)
	}
	var begun []string
	var waited atomic.Bool
	s, err := scoring.NewScorer(mem.New(), scoring.Fixed{Set: rs}, b, scoring.ScorerConfig{
		Begin: func(tx *graph.Transaction) func(context.Context) error {
			begun = append(begun, tx.ID)
			return func(ctx context.Context) error {
				if _, ok := ctx.Deadline(); !ok {
					t.Error("the wait got no deadline")
				}
				time.Sleep(20 * time.Millisecond) // an fsync, slowly
				waited.Store(true)
				return errors.New("log down")
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	tx := &graph.Transaction{ID: "begin-1", Time: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), Amount: 3, User: "u1"}
	d, err := s.Authorize(context.Background(), tx)
	if err != nil || d.Decision == "" {
		t.Fatalf("Authorize = %+v, %v", d, err)
	}
	if !waited.Load() || len(begun) != 1 || begun[0] != "begin-1" {
		t.Errorf("begun %v, waited %v: want the transaction begun and waited for before the reply", begun, waited.Load())
	}
	if st := s.Stats(); st.RecordErrors != 1 {
		t.Errorf("record errors %d, want 1", st.RecordErrors)
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not reached in 10 s")
}

// countAll is a typology counter that says every entity took part in n
// detections.
type countAll int

func (c countAll) TypologyHits(context.Context, graph.NodeRef, time.Time) (int, error) {
	return int(c), nil
}

// A model trained with typology counts gets them in serving (it scores
// differently with and without detections), and is refused without a
// counter; a model trained without counts ignores the counter.
func TestTypologyCountsFeedTheModel(t *testing.T) {
	a, err := defaultmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	m, _ := gnn.New(a.Manifest, a.Tensors)
	withCounts := a.Manifest
	withCounts.Features.Extra = maps.Clone(a.Manifest.Features.Extra)
	withCounts.Features.Extra[feature.ExtraTypologyCounts] = "test-counter"
	score := func(counter feature.TypologyCounter, mf artefact.Manifest) (float64, error) {
		e := newEnv(t, m)
		b, _ := scoring.NewBatcher(nil, scoring.BatcherConfig{})
		defer b.Close()
		s, err := scoring.NewScorer(e.g, scoring.Fixed{Set: e.rules}, b, scoring.ScorerConfig{TypologyCounter: counter, Deadline: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetModel(m, mf); err != nil {
			return 0, err
		}
		d, err := s.Authorize(context.Background(), e.next("typo-1", 40, ""))
		return d.Score, err
	}
	if _, err := score(nil, withCounts); !errors.Is(err, scoring.ErrConfig) {
		t.Fatalf("model with typology counts, no counter: %v, want ErrConfig", err)
	}
	zero, err := score(countAll(0), withCounts)
	if err != nil {
		t.Fatal(err)
	}
	many, _ := score(countAll(50), withCounts)
	if zero == many {
		t.Errorf("typology counts did not reach the model: score %v with 0 and with 50 detections", zero)
	}
	plain, _ := score(countAll(50), a.Manifest)
	if plain != zero {
		t.Errorf("a model trained without counts scored %v with a counter, %v without", plain, zero)
	}
}
