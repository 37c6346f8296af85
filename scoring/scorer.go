package scoring

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riskgraph/riskgraph/feature"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/rules"
	"github.com/riskgraph/riskgraph/sampling"
)

// Graph is what the scorer reads: the sampler's reads.
type Graph = sampling.Graph

// RuleSource hands out the active rule set (a *rules.Watcher, or Fixed).
type RuleSource interface{ Current() *rules.Set }

// Fixed is a RuleSource that never changes.
type Fixed struct{ Set *rules.Set }

// Current implements RuleSource.
func (f Fixed) Current() *rules.Set { return f.Set }

// ScorerConfig configures a Scorer.
type ScorerConfig struct {
	// Deadline applies when the request's context has none (default 50ms).
	Deadline time.Duration
	// RulesReserve is the part of the deadline kept for rules and the reply
	// (default 2ms): the model must answer before deadline − RulesReserve.
	RulesReserve time.Duration
	// Seed is the sampling seed.
	Seed uint64
	// Record appends the transaction to the log (and so, through the
	// consumer, to the graph). It runs while the transaction is scored and
	// the reply waits for it within the deadline; nil records nothing.
	Record func(ctx context.Context, txn *graph.Transaction) error
	// Begin, set instead of Record, records in two steps: it hands the
	// transaction to the log and returns at once, and the scorer calls
	// the returned wait when the decision is ready (with RecordAsync, in
	// the background). The log's write overlaps scoring as with Record,
	// without a goroutine per request (stream.GroupCommitter's Begin and
	// Pending.Wait fit it).
	Begin func(txn *graph.Transaction) (wait func(ctx context.Context) error)
	// RecordAsync replies without waiting for Record: the reply no longer
	// waits for the log's fsync, and a crash right after a reply can lose
	// that authorization from the log (the graph has it until restart; the
	// payment processor's ledger still has it). Record errors are counted
	// all the same. Off by default: a reply means the log holds it.
	RecordAsync bool
	// RecordTimeout bounds an asynchronous Record (default 10s).
	RecordTimeout time.Duration
	// Apply puts the transaction into the graph before it is scored, so
	// that the next authorization sees it at once (a card-testing burst is
	// seconds long; the log's consumer would apply it a little later, as a
	// duplicate). The graph must be idempotent by transaction id. A
	// failure is counted and the decision goes on; nil applies nothing.
	Apply func(ctx context.Context, txn *graph.Transaction) error
	// Typologies returns the typology detections involving txn's parties
	// strictly before its time, by typology name (typology.Engine's
	// HitsByTypology over the account, counterparty and user): the rules'
	// typology facts and the decision's typology tags. nil: none.
	Typologies func(txn *graph.Transaction) map[string]int
	// TypologyCounter feeds the typology_hits_log feature of models
	// trained with typology counts (feature.ExtraTypologyCounts in their
	// manifest); SetModel refuses such a model without one. Models trained
	// without counts get 0 in that column, as in training.
	TypologyCounter feature.TypologyCounter
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Validate reports the first invalid field.
func (c ScorerConfig) Validate() error {
	if c.Deadline < 0 || c.RulesReserve < 0 {
		return fmt.Errorf("%w: Deadline %v and RulesReserve %v must be >= 0", ErrConfig, c.Deadline, c.RulesReserve)
	}
	if c.Record != nil && c.Begin != nil {
		return fmt.Errorf("%w: Record and Begin both set: set one", ErrConfig)
	}
	return nil
}

func (c ScorerConfig) withDefaults() ScorerConfig {
	if c.Deadline == 0 {
		c.Deadline = 50 * time.Millisecond
	}
	if c.RulesReserve == 0 {
		c.RulesReserve = 2 * time.Millisecond
	}
	if c.RecordTimeout == 0 {
		c.RecordTimeout = 10 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Scorer authorizes payments: validate → record → sample the
// transaction's neighbourhood → GNN (micro-batched across concurrent
// requests) → rules → Decision. When the model cannot answer inside the
// deadline the decision comes from rules alone, marked Degraded; block
// lists decline in every mode. Safe for concurrent use.
type Scorer struct {
	cfg     ScorerConfig
	g       Graph
	rules   RuleSource
	batcher *Batcher
	model   atomic.Pointer[installed]
	shadow  atomic.Pointer[shadow]
	// shadowMu orders SetShadow's closing of a queue after every send.
	shadowMu sync.RWMutex

	decisions, degraded, recordErrors, applyErrors atomic.Int64
}

// installed is a model with the samplers that fit its feature schema.
type installed struct {
	id       string
	samplers sync.Pool // *sampler
}

type sampler struct {
	s   *sampling.Sampler
	row sampling.Batch
}

// NewScorer returns a Scorer over g with the rules of rs, scoring with b's
// workers. Install a model with SetModel; until then decisions are
// degraded (rules alone).
func NewScorer(g Graph, rs RuleSource, b *Batcher, cfg ScorerConfig) (*Scorer, error) {
	if g == nil || rs == nil || b == nil {
		return nil, fmt.Errorf("%w: graph, rules and batcher are required", ErrConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Scorer{cfg: cfg.withDefaults(), g: g, rules: rs, batcher: b}, nil
}

// SetModel installs a Transaction model for every request that starts from
// now on; requests in flight finish on the previous one. It fails, keeping
// the current model, when the model does not fit this build's sampler.
func (s *Scorer) SetModel(m Model, mf artefact.Manifest) error {
	if mf.Target != graph.KindTransaction.String() {
		return fmt.Errorf("%w: model %s scores %s, not transactions", ErrConfig, mf.ModelID(), mf.Target)
	}
	cfg, err := s.samplingConfig(mf)
	if err != nil {
		return err
	}
	probe, err := sampling.New(s.g, cfg)
	if err != nil {
		return fmt.Errorf("%w: model %s: %w", ErrConfig, mf.ModelID(), err)
	}
	if d := probe.Config().Dims(mf.Dims.H); d != mf.Dims {
		return fmt.Errorf("%w: model %s has dims %+v, the sampler makes %+v", ErrConfig, mf.ModelID(), mf.Dims, d)
	}
	in := &installed{id: mf.ModelID()}
	in.samplers.New = func() any {
		sm, err := sampling.New(s.g, cfg)
		if err != nil {
			return nil // checked above with the same config
		}
		return &sampler{s: sm}
	}
	in.samplers.Put(&sampler{s: probe})
	s.batcher.SetModel(m)
	s.model.Store(in)
	return nil
}

// samplingConfig is the sampler configuration that reproduces what model
// mf saw in training.
func (s *Scorer) samplingConfig(mf artefact.Manifest) (sampling.Config, error) {
	spec := mf.Features
	cfg := sampling.Config{Target: graph.KindTransaction, K1: mf.Dims.K1, K2: mf.Dims.K2, Seed: s.cfg.Seed, Spec: &spec}
	if c := feature.TypologyCounts(mf.Features.Extra); c != "" {
		if s.cfg.TypologyCounter == nil {
			return cfg, fmt.Errorf("%w: model %s was trained with typology counts (%s) and this scorer has no typology counter", ErrConfig, mf.ModelID(), c)
		}
		cfg.Typology = s.cfg.TypologyCounter
	}
	return cfg, nil
}

// ScorerStats are counters since the Scorer was made.
type ScorerStats struct {
	Decisions, Degraded, RecordErrors, ApplyErrors int64
	Batcher                                        BatcherStats
	Shadow                                         ShadowStats // zero without a shadow model
}

// Stats returns the counters.
func (s *Scorer) Stats() ScorerStats {
	st := ScorerStats{Decisions: s.decisions.Load(), Degraded: s.degraded.Load(),
		RecordErrors: s.recordErrors.Load(), ApplyErrors: s.applyErrors.Load(), Batcher: s.batcher.Stats()}
	if sh := s.shadow.Load(); sh != nil {
		st.Shadow = ShadowStats{Model: sh.id, Scored: sh.scored.Load(), Dropped: sh.dropped.Load(), Failed: sh.failed.Load()}
	}
	return st
}

// Authorize decides on txn within ctx's deadline (or the configured one).
// A malformed txn is an error wrapping ErrInvalid and a *graph.FieldError.
// Other failures of the model path degrade the decision instead of failing
// it: the caller always gets a decision while the rules can run.
func (s *Scorer) Authorize(ctx context.Context, txn *graph.Transaction) (Decision, error) {
	start := s.cfg.Now()
	if err := txn.Validate(); err != nil {
		return Decision{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = start.Add(s.cfg.Deadline)
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}

	// The log's write runs while the transaction is scored.
	var wait func(context.Context) error
	switch {
	case s.cfg.Begin != nil:
		wait = s.cfg.Begin(txn)
	case s.cfg.Record != nil && !s.cfg.RecordAsync:
		recorded := make(chan error, 1)
		go func() { recorded <- s.cfg.Record(ctx, txn) }()
		wait = func(context.Context) error { return <-recorded }
	case s.cfg.Record != nil:
		tx := *txn // the caller may reuse txn once Authorize returns
		wait = func(ctx context.Context) error { return s.cfg.Record(ctx, &tx) }
	}
	if w := wait; w != nil && s.cfg.RecordAsync {
		go func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.RecordTimeout)
			defer cancel()
			if err := w(rctx); err != nil {
				s.recordErrors.Add(1)
			}
		}()
		wait = nil
	}

	if s.cfg.Apply != nil {
		if err := s.cfg.Apply(ctx, txn); err != nil {
			s.applyErrors.Add(1)
		}
	}
	rs := s.rules.Current()
	facts := VelocityFacts(ctx, s.g, txn)
	if s.cfg.Typologies != nil {
		facts.Typologies = s.cfg.Typologies(txn)
	}
	score, modelID, err := s.modelScore(ctx, txn, deadline.Add(-s.cfg.RulesReserve))
	hasScore := err == nil
	res := rs.Evaluate(rules.Input{Txn: txn, Score: float64(score), HasScore: hasScore, Facts: facts})

	d := Decision{Txn: txn.ID, Decision: res.Decision.String(), Rules: res.Version, Degraded: !hasScore, Reasons: []Reason{}, Typologies: []string{}}
	for name, n := range facts.Typologies {
		if n > 0 {
			d.Typologies = append(d.Typologies, name)
		}
	}
	slices.Sort(d.Typologies)
	if hasScore {
		d.Score, d.Model = float64(score), modelID
		d.Reasons = append(d.Reasons, Reason{Code: "MODEL_SCORE", Detail: fmt.Sprintf("graph model score %.3f", score), Weight: round(float64(score))})
	} else {
		s.degraded.Add(1)
	}
	for _, h := range res.Hits {
		d.Reasons = append(d.Reasons, Reason{Code: h.Code, Detail: h.Detail})
	}
	if wait != nil {
		if err := wait(ctx); err != nil {
			s.recordErrors.Add(1)
		}
	}
	s.decisions.Add(1)
	d.LatencyUS = s.cfg.Now().Sub(start).Microseconds()
	s.offer(txn, d)
	return d, nil
}

// errNoModel: no model installed yet.
var errNoModel = errors.New("no model installed")

// modelScore samples txn's neighbourhood and scores it, giving up at
// until.
func (s *Scorer) modelScore(ctx context.Context, txn *graph.Transaction, until time.Time) (float32, string, error) {
	in := s.model.Load()
	if in == nil {
		return 0, "", errNoModel
	}
	sm, _ := in.samplers.Get().(*sampler)
	if sm == nil {
		return 0, "", errNoModel
	}
	if err := sm.s.Sample(ctx, []sampling.Target{{Ref: graph.Ref(graph.KindTransaction, txn.ID), Txn: txn}}, &sm.row); err != nil {
		in.samplers.Put(sm)
		return 0, "", err
	}
	mctx, cancel := context.WithDeadline(ctx, until)
	defer cancel()
	score, err := s.batcher.Score(mctx, &sm.row)
	if errors.Is(err, ErrDeadline) {
		// The row may still sit in the batcher's queue: never reuse it.
		return 0, "", err
	}
	in.samplers.Put(sm)
	return score, in.id, err
}

// VelocityFacts counts each of txn's entities' transactions in the rule
// windows strictly before txn, plus txn itself: the facts the scorer gives
// the rules, and backtests replay. Counts only: amounts over a window would
// cost a read per neighbour in the authorization path (Counter.Amount is
// txn's own amount). Without a counting fast path on g, counts are 1.
func VelocityFacts(ctx context.Context, g Graph, txn *graph.Transaction) rules.Facts {
	var f rules.Facts
	counter, _ := g.(interface {
		CountNeighbors(ctx context.Context, ref graph.NodeRef, q graph.Query) (int, error)
	})
	for _, e := range graph.EdgeKinds() {
		id := txn.Entity(e)
		if id == "" {
			continue
		}
		k := e.Target()
		for _, w := range rules.Windows() {
			c := &f.Velocity[k][w]
			if c.Count > 0 {
				continue // an account seen as both payer and payee: once
			}
			c.Count, c.Amount = 1, txn.Amount
			if counter == nil {
				continue
			}
			n, err := counter.CountNeighbors(ctx, graph.Ref(k, id), graph.Query{Window: graph.Window{From: txn.Time.Add(-w.Duration()), To: txn.Time}})
			if err == nil {
				c.Count += n
			}
		}
	}
	return f
}
