package sampling

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/riskgraph/riskgraph/feature"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/graph"
)

// Graph is what a Sampler reads; graph.Store satisfies it. Its error
// contract is graph.Store's (graph.ErrNotFound for a missing node).
type Graph interface {
	Node(ctx context.Context, ref graph.NodeRef) (graph.Node, error)
	Transaction(ctx context.Context, id string) (graph.Transaction, error)
	Neighbors(ctx context.Context, ref graph.NodeRef, q graph.Query, dst []graph.Neighbor) ([]graph.Neighbor, error)
}

var _ Graph = graph.Store(nil)

// Target is one node to sample around.
type Target struct {
	// Ref is the target node; its kind must be the Config's Target.
	Ref graph.NodeRef
	// At is the as-of time: required for Account targets; for Transaction
	// targets it must be zero or the transaction's own time, which is the
	// as-of time.
	At time.Time
	// Txn optionally supplies a Transaction target's content (a
	// transaction being scored before it is stored, or one the caller has
	// already read); nil reads it from the store. The Sampler does not
	// modify it and keeps it only during the call.
	Txn *graph.Transaction
}

// Sampler fills Batches from a graph. It reuses its buffers across calls
// and is not safe for concurrent use: give each goroutine its own.
type Sampler struct {
	cfg        Config
	g          Graph
	enc        *feature.Encoder
	layout     feature.Layout
	norm       [3]feature.Norm
	rel1, rel2 []graph.EdgeKind

	nb  []graph.Neighbor
	idx []int
	pcg rand.PCG
	rng *rand.Rand

	// per target of the current call
	at  []time.Time
	txs []*graph.Transaction
}

// New returns a Sampler reading g. cfg's zero fields take their defaults;
// an invalid cfg is an error wrapping ErrConfig (or feature.ErrConfig,
// feature.ErrSchema).
func New(g Graph, cfg Config) (*Sampler, error) {
	if g == nil {
		return nil, fmt.Errorf("%w: nil graph", ErrConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	enc, err := feature.NewEncoder(g, cfg.Features, cfg.Typology)
	if err != nil {
		return nil, err
	}
	layout, err := feature.Schema(cfg.Target)
	if err != nil {
		return nil, err
	}
	s := &Sampler{cfg: cfg, g: g, enc: enc, layout: layout, rel1: cfg.Relations1(), rel2: cfg.Relations2()}
	if cfg.Spec != nil {
		for i, p := range []struct {
			names []string
			stats []artefact.FeatureStat
		}{{layout.Target, cfg.Spec.Target}, {layout.Hop1, cfg.Spec.Hop1}, {layout.Hop2, cfg.Spec.Hop2}} {
			if s.norm[i], err = feature.NewNorm(p.names, p.stats); err != nil {
				return nil, err
			}
		}
	}
	s.rng = rand.New(&s.pcg)
	return s, nil
}

// Config returns the sampler's configuration, defaults filled in.
func (s *Sampler) Config() Config { return s.cfg }

// Layout returns the feature names of X0, X1 and X2.
func (s *Sampler) Layout() feature.Layout { return s.layout }

// Sample fills b with the structure and the features of targets, one row
// per target in order, reusing b's memory. Features are normalised with
// Config.Spec when set; padded slots stay zero. Errors: ErrTarget for a
// malformed target, graph.ErrNotFound (wrapped) for a Transaction target
// that is neither stored nor supplied, and the store's errors.
func (s *Sampler) Sample(ctx context.Context, targets []Target, b *Batch) error {
	if err := s.Structure(ctx, targets, b); err != nil {
		return err
	}
	if err := s.features(ctx, b); err != nil {
		return err
	}
	s.release()
	return nil
}

// Structure fills b's refs and masks only (X0, X1 and X2 are zeroed): the
// sampling without the feature encoders.
func (s *Sampler) Structure(ctx context.Context, targets []Target, b *Batch) error {
	s.enc.Reset()
	B := len(targets)
	f0, f1, f2 := s.layout.Widths()
	b.reset(B, f0, f1, f2, len(s.rel1), len(s.rel2), s.cfg.K1, s.cfg.K2)
	s.at = slices.Grow(s.at[:0], B)[:B]
	s.txs = slices.Grow(s.txs[:0], B)[:B]
	for i := range targets {
		var err error
		if s.cfg.Target == graph.KindTransaction {
			err = s.txnTarget(ctx, b, i, &targets[i])
		} else {
			err = s.accountTarget(ctx, b, i, &targets[i])
		}
		if err != nil {
			s.release()
			return fmt.Errorf("sampling: target %d (%s): %w", i, targets[i].Ref, err)
		}
		b.Targets[i] = targets[i].Ref
	}
	return nil
}

// release drops the references kept for the current call.
func (s *Sampler) release() { clear(s.txs) }

func (s *Sampler) txnTarget(ctx context.Context, b *Batch, i int, t *Target) error {
	if t.Ref.Kind != graph.KindTransaction || t.Ref.ID == "" {
		return fmt.Errorf("%w: want a Transaction", ErrTarget)
	}
	tx := t.Txn
	if tx == nil {
		var err error
		if tx, err = s.enc.Txn(ctx, t.Ref.ID); err != nil {
			return err
		}
	}
	if !t.At.IsZero() && !t.At.Equal(tx.Time) {
		return fmt.Errorf("%w: as-of time %v is not the transaction's time %v", ErrTarget, t.At, tx.Time)
	}
	s.at[i], s.txs[i] = tx.Time, tx
	q := graph.Query{Window: graph.Before(tx.Time), Limit: b.K2}
	for r, e := range s.rel1 {
		id := tx.Entity(e)
		if id == "" {
			continue
		}
		ref := graph.NodeRef{Kind: e.Target(), ID: id}
		h1 := b.hop1(r, i, 0)
		b.Hop1[h1], b.M1[h1] = ref, 1
		q.Edge = e
		nb, err := s.g.Neighbors(ctx, ref, q, s.nb[:0])
		s.nb = nb[:0]
		if errors.Is(err, graph.ErrNotFound) {
			continue // a new entity: no history
		}
		if err != nil {
			return err
		}
		h2 := b.hop2(r, i, 0, 0, 0)
		for j := range nb {
			b.Hop2[h2+j], b.M2[h2+j] = nb[j].Node, 1
		}
	}
	return nil
}

func (s *Sampler) accountTarget(ctx context.Context, b *Batch, i int, t *Target) error {
	if t.Ref.Kind != graph.KindAccount || t.Ref.ID == "" {
		return fmt.Errorf("%w: want an Account", ErrTarget)
	}
	if t.At.IsZero() {
		return fmt.Errorf("%w: an Account target needs an as-of time", ErrTarget)
	}
	s.at[i] = t.At
	uniform := s.cfg.Hop1 == Hop1Uniform
	if uniform {
		s.pcg.Seed(s.cfg.Seed, refHash(t.Ref)^uint64(t.At.UnixNano()))
	}
	q := graph.Query{Window: graph.Before(t.At), Limit: b.K1}
	if uniform {
		q.Limit = s.cfg.Pool
	}
	for r, e := range s.rel1 {
		q.Edge = e
		nb, err := s.g.Neighbors(ctx, t.Ref, q, s.nb[:0])
		s.nb = nb[:0]
		if errors.Is(err, graph.ErrNotFound) {
			return nil // a new account: no history
		}
		if err != nil {
			return err
		}
		chosen := s.choose(len(nb), b.K1, uniform)
		for k, j := range chosen {
			h1 := b.hop1(r, i, k)
			b.Hop1[h1], b.M1[h1] = nb[j].Node, 1
			tx, err := s.enc.Txn(ctx, nb[j].Node.ID)
			if err != nil {
				return err
			}
			for r2, e2 := range s.rel2 {
				if id := tx.Entity(e2); id != "" {
					h2 := b.hop2(r, i, k, r2, 0)
					b.Hop2[h2], b.M2[h2] = graph.NodeRef{Kind: e2.Target(), ID: id}, 1
				}
			}
		}
	}
	return nil
}

// choose returns the indexes, ascending (newest first), of at most k of n
// candidates: the first k, or with uniform a sample without replacement
// drawn by a partial Fisher–Yates shuffle from s.rng.
func (s *Sampler) choose(n, k int, uniform bool) []int {
	s.idx = s.idx[:0]
	for j := range n {
		s.idx = append(s.idx, j)
	}
	if n <= k {
		return s.idx
	}
	if uniform {
		for j := range k {
			x := j + s.rng.IntN(n-j)
			s.idx[j], s.idx[x] = s.idx[x], s.idx[j]
		}
		slices.Sort(s.idx[:k])
	}
	return s.idx[:k]
}

// refHash is 64-bit FNV-1a of "KIND:ID".
func refHash(r graph.NodeRef) uint64 {
	h := uint64(14695981039346656037)
	add := func(s string) {
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= 1099511628211
		}
	}
	add(r.Kind.String())
	add(":")
	add(r.ID)
	return h
}

// features encodes every present slot of b, whose structure is filled.
func (s *Sampler) features(ctx context.Context, b *Batch) error {
	txnTarget := s.cfg.Target == graph.KindTransaction
	for i := 0; i < b.B; i++ {
		at := s.at[i]
		x0 := b.X0[i*b.F0 : (i+1)*b.F0]
		if txnTarget {
			feature.EncodeTransaction(x0, s.txs[i])
		} else if err := s.enc.Entity(ctx, x0, b.Targets[i], at); err != nil {
			return err
		}
		s.norm[0].Apply(x0)
		for r := 0; r < b.R1; r++ {
			for k := 0; k < b.K1; k++ {
				h1 := b.hop1(r, i, k)
				if b.M1[h1] == 0 {
					continue
				}
				x1 := b.X1[h1*b.F1 : (h1+1)*b.F1]
				if err := s.encode(ctx, x1, b.Hop1[h1], at); err != nil {
					return err
				}
				s.norm[1].Apply(x1)
				for r2 := 0; r2 < b.R2; r2++ {
					for j := 0; j < b.K2; j++ {
						h2 := b.hop2(r, i, k, r2, j)
						if b.M2[h2] == 0 {
							continue
						}
						x2 := b.X2[h2*b.F2 : (h2+1)*b.F2]
						if err := s.encode(ctx, x2, b.Hop2[h2], at); err != nil {
							return err
						}
						s.norm[2].Apply(x2)
					}
				}
			}
		}
	}
	return nil
}

// encode writes the raw vector of a sampled node: a transaction's own, or
// an entity's as of at.
func (s *Sampler) encode(ctx context.Context, dst []float32, ref graph.NodeRef, at time.Time) error {
	if ref.Kind != graph.KindTransaction {
		return s.enc.Entity(ctx, dst, ref, at)
	}
	tx, err := s.enc.Txn(ctx, ref.ID)
	if err != nil {
		return err
	}
	feature.EncodeTransaction(dst, tx)
	return nil
}
