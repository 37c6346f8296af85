package neo4j

import (
	"context"
	"fmt"
	"math"

	driver "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/riskgraph/riskgraph/graph"
)

// applyPlan is how one Apply batch is sent: statements in an order that
// gives the batch's sequential meaning, all inside one write transaction
// that starts with allocate.
type applyPlan struct {
	steps   []applyStep
	arrival int    // arrival numbers to reserve: one per transaction row
	txns    int    // transaction mutations, in-batch repeats included
	labels  int    // label mutations
	seq     uint64 // largest Mutation.Seq
}

type applyStep struct {
	c     cypher
	rows  []any // of map[string]any
	txns  bool  // applyTxns: rows take arrival numbers, the result counts creations
	first int   // for transaction rows: index of the first row among all transaction rows
}

// planApply validates a batch and turns it into statements.
//
// Consecutive transactions form one step (one applyTxns per BatchSize
// rows); a repeat of an id inside the step is dropped here (it is a
// duplicate whatever the store holds), so the rows of one statement never
// compete for a node. Consecutive labels form one step, split into waves
// so that no statement holds two verdicts about the same node: the k-th
// verdict about a node in the step goes to wave k, and waves run in order,
// which keeps "the later of two verdicts known at the same time wins".
// Steps run in batch order, so a label before its transaction is pending
// when the transaction arrives, and a label after it finds it.
func planApply(batch []graph.Mutation, batchSize int) (applyPlan, error) {
	var p applyPlan
	for i := range batch {
		m := &batch[i]
		if err := m.Validate(); err != nil {
			return p, fmt.Errorf("mutation %d (seq %d): %w", i, m.Seq, err)
		}
		if err := checkTimes(m); err != nil {
			return p, fmt.Errorf("mutation %d (seq %d): %w", i, m.Seq, err)
		}
		if m.Seq > math.MaxInt64 {
			return p, fmt.Errorf("mutation %d: seq %d over 2^63-1: %w", i, m.Seq, graph.ErrInvalid)
		}
		p.seq = max(p.seq, m.Seq)
	}
	for i := 0; i < len(batch); {
		j := i
		if batch[i].Txn != nil {
			for j < len(batch) && batch[j].Txn != nil {
				j++
			}
			p.planTxns(batch[i:j], batchSize)
		} else {
			for j < len(batch) && batch[j].Label != nil {
				j++
			}
			p.planLabels(batch[i:j], batchSize)
		}
		i = j
	}
	return p, nil
}

func (p *applyPlan) planTxns(ms []graph.Mutation, batchSize int) {
	seen := make(map[string]bool, len(ms))
	var rows []any
	for i := range ms {
		p.txns++
		t := ms[i].Txn
		if seen[t.ID] {
			continue
		}
		seen[t.ID] = true
		rows = append(rows, txnRow(t))
	}
	for len(rows) > 0 {
		n := min(len(rows), batchSize)
		p.steps = append(p.steps, applyStep{c: applyTxns, rows: rows[:n:n], txns: true, first: p.arrival})
		p.arrival += n
		rows = rows[n:]
	}
}

func (p *applyPlan) planLabels(ms []graph.Mutation, batchSize int) {
	p.labels += len(ms)
	type wave struct {
		byKind [graph.NumKinds][]any
	}
	var waves []*wave
	count := make(map[graph.NodeRef]int, len(ms))
	for i := range ms {
		l := ms[i].Label
		ref := l.Target()
		w := count[ref]
		count[ref]++
		if w == len(waves) {
			waves = append(waves, &wave{})
		}
		waves[w].byKind[ref.Kind] = append(waves[w].byKind[ref.Kind], labelRow(ref.ID, l.Class, labelNanos(l.Time), l.Source))
	}
	for _, w := range waves {
		for _, k := range graph.Kinds() {
			c := labelTxns
			if k != graph.KindTransaction {
				c = labelStatement(k)
			}
			for rows := w.byKind[k]; len(rows) > 0; {
				n := min(len(rows), batchSize)
				p.steps = append(p.steps, applyStep{c: c, rows: rows[:n:n]})
				rows = rows[n:]
			}
		}
	}
}

// allocateCall reserves n arrival numbers and raises LastSeq to seq.
func (s *Store) allocateCall(n int, seq uint64) call {
	return call{allocate, map[string]any{"g": s.cfg.Graph, "n": int64(n), "seq": int64(seq)}}
}

// stepCall is the statement of one step.
func (s *Store) stepCall(st applyStep) call { return s.batchCall(st.c, st.rows) }

// Apply implements graph.Store. The whole batch is one Neo4j transaction:
// it commits entirely or not at all, and Apply returns only after the
// commit, so a caller that acknowledges a message after Apply returned
// never acknowledges an uncommitted write. If the connection is lost
// during the commit the outcome is unknown and Apply reports
// graph.ErrUnavailable: applying the batch again is safe.
func (s *Store) Apply(ctx context.Context, batch ...graph.Mutation) (graph.Applied, error) {
	var out graph.Applied
	if err := s.open("apply"); err != nil {
		return out, err
	}
	plan, err := planApply(batch, s.cfg.BatchSize)
	if err != nil {
		return out, fmt.Errorf("neo4j: apply: %w", err)
	}
	if len(batch) == 0 {
		return out, nil
	}
	s.restoreMu.RLock()
	defer s.restoreMu.RUnlock()
	created, err := s.write(ctx, "apply", func(tx driver.ManagedTransaction) (int64, error) {
		return s.applyIn(ctx, tx, plan)
	})
	if err != nil {
		return out, err
	}
	out.Txns = int(created)
	out.Duplicates = plan.txns - int(created)
	out.Labels = plan.labels
	return out, nil
}

// applyIn runs a plan inside tx and returns the transactions created. The
// driver may run it more than once (retries): it sets every arrival number
// afresh each time.
func (s *Store) applyIn(ctx context.Context, tx driver.ManagedTransaction, plan applyPlan) (int64, error) {
	recs, err := s.run(ctx, tx, s.allocateCall(plan.arrival, plan.seq))
	if err != nil {
		return 0, err
	}
	base, err := single[int64](recs, "base")
	if err != nil {
		return 0, err
	}
	var created int64
	for _, st := range plan.steps {
		if st.txns {
			for i, r := range st.rows {
				r.(map[string]any)["arrival"] = base + int64(st.first+i) + 1
			}
		}
		recs, err := s.run(ctx, tx, s.stepCall(st))
		if err != nil {
			return 0, err
		}
		if st.txns {
			n, err := single[int64](recs, "created")
			if err != nil {
				return 0, err
			}
			created += n
		}
	}
	return created, nil
}
