package rules_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/rules"
)

func ExampleSet_Evaluate() {
	set, err := rules.Load(strings.NewReader(`
version: "2026-11-26.1"
lists:
  block: {cards: [tok_stolen]}
velocity:
  - {id: V1, entity: card, window: 1h, max_count: 5, action: review}
bands:
  - {below: 0.3, decision: approve}
  - {below: 0.8, decision: review}
  - {decision: decline}
`), "rules.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	// Scored: the card's 7th transaction this hour, with a low score.
	in := rules.Input{Txn: &graph.Transaction{ID: "t1", Card: "tok_1", Amount: 20}, Score: 0.12, HasScore: true}
	in.Facts.Velocity[graph.KindCard][rules.Window1h] = rules.Counter{Count: 7, Amount: 140}
	r := set.Evaluate(in)
	fmt.Println(r.Decision, r.Version)
	for _, h := range r.Hits {
		fmt.Printf("  %s %s %s: %s\n", h.RuleID, h.Action, h.Code, h.Detail)
	}

	// Degraded mode (the model missed its deadline), stolen card.
	r = set.Evaluate(rules.Input{Txn: &graph.Transaction{ID: "t2", Card: "tok_stolen"}})
	fmt.Println(r.Decision, r.Blocked, r.Degraded)
	// Output:
	// review 2026-11-26.1
	//   V1 review VELOCITY_CARD_1H: 7 card transactions totalling 140 in 1h (limit 5)
	//   band.1 approve SCORE_APPROVE: score 0.120 below 0.3
	// decline true true
}

func ExampleLoad_errors() {
	_, err := rules.Load(strings.NewReader(`version: "v2"
velocity:
  - {id: V1, entity: card, window: 2h, max_count: -1, action: review}
bands:
  - {below: 0.5, decision: approve}
`), "rules.yaml")
	fmt.Println(err)
	// Output:
	// rules.yaml:3:36: velocity[0].window: got the string "2h", want 1h, 24h, 7d
	// rules.yaml:3:51: velocity[0].max_count: -1 is below the minimum of 0
	// rules.yaml:5:13: bands[0].below: the last band must omit below, so that it covers scores up to 1
}

func TestDefaultRulesLoad(t *testing.T) {
	s, err := rules.Default()
	if err != nil {
		t.Fatalf("built-in rules do not load: %v", err)
	}
	if s.Version() == "" {
		t.Error("built-in rules have no version")
	}
}
