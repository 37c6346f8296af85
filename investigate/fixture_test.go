package investigate_test

import (
	"context"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/investigate"
	"github.com/riskgraph/riskgraph/typology"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func acc(id string) graph.NodeRef  { return graph.Ref(graph.KindAccount, id) }
func user(id string) graph.NodeRef { return graph.Ref(graph.KindUser, id) }

// fixture is a small graph with one story in it:
//
//	money:  x1 a1→a2 (1h), x2 a2→a3 (2h, laundering), x3 a3→a4 (3h,
//	        laundering, known at 2d), x4 a2→a4 (30m: before x1), x5 a2→a4
//	        (5h), x6 a1→a4 (6h), x7 a4→a1 (7h)
//	shared: u1 used d1 on x1; u5 bought on d1 with phone ph1 (x8, fraud);
//	        u6 bought with ph1 (x9); u6 is labelled fraud at 3d.
func fixture(t testing.TB) *mem.Store {
	t.Helper()
	txns := []graph.Transaction{
		{ID: "x4", Time: at(30 * time.Minute), Amount: 200, Currency: "EUR", Kind: "transfer", User: "u2", Account: "a2", Counterparty: "a4", Label: graph.ClassLegit},
		{ID: "x1", Time: at(time.Hour), Amount: 1000, Currency: "EUR", Kind: "transfer", User: "u1", Account: "a1", Counterparty: "a2", Device: "d1", Label: graph.ClassLegit},
		{ID: "x2", Time: at(2 * time.Hour), Amount: 990, Currency: "EUR", Kind: "transfer", User: "u2", Account: "a2", Counterparty: "a3", Device: "d2", Label: graph.ClassLaundering},
		{ID: "x3", Time: at(3 * time.Hour), Amount: 980, Currency: "EUR", Kind: "transfer", User: "u3", Account: "a3", Counterparty: "a4"},
		{ID: "x5", Time: at(5 * time.Hour), Amount: 500, Currency: "EUR", Kind: "transfer", User: "u2", Account: "a2", Counterparty: "a4"},
		{ID: "x6", Time: at(6 * time.Hour), Amount: 50, Currency: "EUR", Kind: "transfer", User: "u1", Account: "a1", Counterparty: "a4"},
		{ID: "x7", Time: at(7 * time.Hour), Amount: 40, Currency: "EUR", Kind: "transfer", Account: "a4", Counterparty: "a1"},
		{ID: "x8", Time: at(24 * time.Hour), Amount: 700, Currency: "EUR", Kind: "card", User: "u5", Device: "d1", Phone: "ph1", Merchant: "m1", Label: graph.ClassFraud},
		{ID: "x9", Time: at(25 * time.Hour), Amount: 30, Currency: "EUR", Kind: "card", User: "u6", Phone: "ph1", Merchant: "m1"},
	}
	var batch []graph.Mutation
	for i := range txns {
		batch = append(batch, graph.Mutation{Seq: uint64(i + 1), Txn: &txns[i]})
	}
	batch = append(batch,
		graph.Mutation{Seq: 10, Label: &graph.Label{Txn: "x3", Class: graph.ClassLaundering, Time: at(48 * time.Hour), Source: "analyst"}},
		graph.Mutation{Seq: 11, Label: &graph.Label{Entity: user("u6"), Class: graph.ClassFraud, Time: at(72 * time.Hour), Source: "analyst"}},
	)
	s := mem.New()
	t.Cleanup(func() { s.Close() })
	if _, err := s.Apply(context.Background(), batch...); err != nil {
		t.Fatal(err)
	}
	return s
}

var ringAlert = typology.Alert{
	ID: "shared_id_ring/User:u5/1", Typology: typology.SharedIDRing, Severity: typology.SeverityMedium,
	Focus: user("u5"), Members: []graph.NodeRef{user("u5"), user("u6"), graph.Ref(graph.KindPhone, "ph1")},
	Txns: []string{"x8", "x9"}, Start: at(24 * time.Hour), End: at(25 * time.Hour), At: at(48 * time.Hour),
	Amount: 730, Detail: "2 users share a phone",
}

func newInvestigator(t testing.TB, cfg investigate.Config) *investigate.Investigator {
	t.Helper()
	inv, err := investigate.New(fixture(t), investigate.Alerts{ringAlert}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}
