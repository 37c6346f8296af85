package scoring

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/sampling"
)

// ShadowScore is a challenger model's score of a transaction the primary
// model decided on: recorded for comparison, never used for a decision.
type ShadowScore struct {
	Txn          string
	Model        string
	Score        float64
	PrimaryModel string
	PrimaryScore float64 // 0 when the decision was degraded
}

// shadow scores transactions with a second model on its own goroutine,
// off the authorization path: a full queue drops (and counts) rather than
// slow a decision down.
type shadow struct {
	id     string
	model  Model
	s      *sampling.Sampler
	row    sampling.Batch
	record func(ShadowScore)
	queue  chan shadowJob
	wg     sync.WaitGroup

	scored, dropped, failed atomic.Int64
}

type shadowJob struct {
	txn     graph.Transaction
	primary Decision
}

// shadowQueue bounds the transactions waiting for the shadow model.
const shadowQueue = 1024

// SetShadow installs a challenger model (nil removes it): every decided
// transaction is also scored by it, asynchronously, and record is called
// with the result. The shadow samples with its own feature schema, so it
// may differ from the primary in normalisation.
func (s *Scorer) SetShadow(m Model, mf artefact.Manifest, record func(ShadowScore)) error {
	var sh *shadow
	if m != nil {
		cfg, err := s.samplingConfig(mf)
		if err != nil {
			return err
		}
		sm, err := sampling.New(s.g, cfg)
		if err != nil {
			return fmt.Errorf("%w: shadow model %s: %w", ErrConfig, mf.ModelID(), err)
		}
		if d := sm.Config().Dims(mf.Dims.H); d != mf.Dims {
			return fmt.Errorf("%w: shadow model %s has dims %+v, the sampler makes %+v", ErrConfig, mf.ModelID(), mf.Dims, d)
		}
		sh = &shadow{id: mf.ModelID(), model: m, s: sm, record: record, queue: make(chan shadowJob, shadowQueue)}
		sh.wg.Add(1)
		go sh.run()
	}
	s.shadowMu.Lock()
	old := s.shadow.Swap(sh)
	if old != nil {
		close(old.queue) // no offer is sending: they hold shadowMu's read lock
	}
	s.shadowMu.Unlock()
	if old != nil {
		old.wg.Wait()
	}
	return nil
}

// offer hands a decided transaction to the shadow, if any.
func (s *Scorer) offer(txn *graph.Transaction, d Decision) {
	s.shadowMu.RLock()
	defer s.shadowMu.RUnlock()
	sh := s.shadow.Load()
	if sh == nil {
		return
	}
	select {
	case sh.queue <- shadowJob{txn: *txn, primary: d}:
	default:
		sh.dropped.Add(1)
	}
}

func (sh *shadow) run() {
	defer sh.wg.Done()
	for j := range sh.queue {
		err := sh.s.Sample(context.Background(), []sampling.Target{{Ref: graph.Ref(graph.KindTransaction, j.txn.ID), Txn: &j.txn}}, &sh.row)
		var out []float32
		if err == nil {
			out, err = sh.model.Score(&sh.row, nil)
		}
		if err != nil {
			sh.failed.Add(1)
			continue
		}
		sh.scored.Add(1)
		if sh.record != nil {
			sh.record(ShadowScore{Txn: j.txn.ID, Model: sh.id, Score: float64(out[0]), PrimaryModel: j.primary.Model, PrimaryScore: j.primary.Score})
		}
	}
}

// ShadowStats count the shadow model's work.
type ShadowStats struct {
	Model                   string
	Scored, Dropped, Failed int64
}
