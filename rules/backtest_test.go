package rules

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
)

// history yields 100 inputs with scores 0.00 … 0.99; input 7 uses card
// "bad".
func history() iter.Seq[Input] {
	return func(yield func(Input) bool) {
		for i := range 100 {
			tx := &graph.Transaction{ID: fmt.Sprintf("t%02d", i), Card: "c"}
			if i == 7 {
				tx.Card = "bad"
			}
			if !yield(Input{Txn: tx, Score: float64(i) / 100, HasScore: true}) {
				return
			}
		}
	}
}

func TestBacktest(t *testing.T) {
	before := mustLoad(t, `version: old
bands: [{below: 0.5, decision: approve}, {below: 0.8, decision: review}, {decision: decline}]
`)
	after := mustLoad(t, `version: new
lists: {block: {cards: [bad]}}
bands: [{below: 0.3, decision: approve}, {below: 0.9, decision: review}, {decision: decline}]
`)
	rep, err := Backtest(context.Background(), before, after, history())
	if err != nil {
		t.Fatal(err)
	}
	// 0.30–0.49 approve→review (20), 0.80–0.89 decline→review (10), t07
	// approve→decline (blocked).
	want := map[string]int{"approve→review": 20, "decline→review": 10, "approve→decline": 1}
	if diff := cmp.Diff(want, rep.ByTransition); diff != "" {
		t.Errorf("transitions (-want +got):\n%s", diff)
	}
	if rep.Total != 100 || rep.Changed != 31 || rep.OldVersion != "old" || rep.NewVersion != "new" {
		t.Errorf("report %d/%d %s→%s", rep.Changed, rep.Total, rep.OldVersion, rep.NewVersion)
	}
	if diff := cmp.Diff(map[Decision]int{Approve: 50, Review: 30, Decline: 20}, rep.Old); diff != "" {
		t.Errorf("old decisions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[Decision]int{Approve: 29, Review: 60, Decline: 11}, rep.New); diff != "" {
		t.Errorf("new decisions (-want +got):\n%s", diff)
	}
	var ids []string
	for _, c := range rep.Examples {
		ids = append(ids, c.TxnID+" "+c.Transition())
	}
	wantIDs := []string{"t07 approve→decline", "t30 approve→review", "t31 approve→review", "t32 approve→review",
		"t33 approve→review", "t34 approve→review", "t80 decline→review", "t81 decline→review", "t82 decline→review",
		"t83 decline→review", "t84 decline→review"}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Errorf("examples (-want +got):\n%s", diff)
	}
	if !rep.Examples[0].New.Blocked {
		t.Errorf("example t07 not blocked: %+v", rep.Examples[0])
	}

	same, err := Backtest(context.Background(), before, before, history())
	if err != nil || same.Changed != 0 || same.Total != 100 || len(same.ByTransition) != 0 {
		t.Errorf("identical sets: %+v, %v", same, err)
	}
}

func TestBacktestCancelled(t *testing.T) {
	s := mustLoad(t, minimal)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := Backtest(ctx, s, s, history())
	if !errors.Is(err, context.Canceled) || rep.Total != 0 {
		t.Errorf("got %d inputs, %v; want 0 and context.Canceled", rep.Total, err)
	}
}
