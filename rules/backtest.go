package rules

import (
	"context"
	"fmt"
	"iter"
)

// ExamplesPerTransition caps Report.Examples per transition.
const ExamplesPerTransition = 5

// Report compares the decisions of two rule sets over the same inputs.
type Report struct {
	OldVersion string `json:"old_version"`
	NewVersion string `json:"new_version"`
	// Total inputs replayed; Changed of them got a different decision.
	Total   int `json:"total"`
	Changed int `json:"changed"`
	// Old and New count the decisions of each set.
	Old map[Decision]int `json:"old"`
	New map[Decision]int `json:"new"`
	// ByTransition counts the changed decisions by "old→new", e.g.
	// "approve→decline". Unchanged decisions are not counted.
	ByTransition map[string]int `json:"by_transition"`
	// Examples are the first ExamplesPerTransition changes of each
	// transition, in input order.
	Examples []Change `json:"examples,omitempty"`
}

// Change is one input whose decision changed.
type Change struct {
	TxnID    string  `json:"txn"`
	Score    float64 `json:"score"`
	HasScore bool    `json:"has_score"`
	Old      Result  `json:"old"`
	New      Result  `json:"new"`
}

// Transition returns "old→new", e.g. "approve→decline".
func (c Change) Transition() string { return Transition(c.Old.Decision, c.New.Decision) }

// Transition returns the ByTransition key of a change from a to b.
func Transition(a, b Decision) string { return a.String() + "→" + b.String() }

// Backtest replays inputs through before (the active set) and after (the
// candidate) and reports the decisions that change. Every input's Txn must
// be non-nil. It checks ctx every 256 inputs; on cancellation it returns
// the report so far and an error wrapping ctx.Err(). The iterator reports
// its own read errors (the report then covers what it yielded).
func Backtest(ctx context.Context, before, after *Set, inputs iter.Seq[Input]) (Report, error) {
	rep := Report{
		OldVersion:   before.version,
		NewVersion:   after.version,
		Old:          map[Decision]int{},
		New:          map[Decision]int{},
		ByTransition: map[string]int{},
	}
	examples := map[string]int{}
	for in := range inputs {
		if rep.Total%256 == 0 {
			if err := ctx.Err(); err != nil {
				return rep, fmt.Errorf("rules: backtest stopped after %d inputs: %w", rep.Total, err)
			}
		}
		rep.Total++
		a, b := before.Evaluate(in), after.Evaluate(in)
		rep.Old[a.Decision]++
		rep.New[b.Decision]++
		if a.Decision == b.Decision {
			continue
		}
		rep.Changed++
		key := Transition(a.Decision, b.Decision)
		rep.ByTransition[key]++
		if examples[key] < ExamplesPerTransition {
			examples[key]++
			rep.Examples = append(rep.Examples, Change{TxnID: in.Txn.ID, Score: in.Score, HasScore: in.HasScore, Old: a, New: b})
		}
	}
	return rep, nil
}
