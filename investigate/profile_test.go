package investigate_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/investigate"
)

func TestProfile(t *testing.T) {
	inv := newInvestigator(t, investigate.Config{})
	p, err := inv.Profile(context.Background(), acc("a2"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Degree != 4 || !p.First.Equal(at(30*time.Minute)) || !p.Last.Equal(at(5*time.Hour)) || p.Truncated {
		t.Errorf("degree %d, first %v, last %v, truncated %v; want 4, 00:30, 05:00, false", p.Degree, p.First, p.Last, p.Truncated)
	}

	wantRisk := investigate.RiskHistory{
		Txns:   map[graph.Class]int{graph.ClassLegit: 2, graph.ClassLaundering: 1},
		Events: []investigate.RiskEvent{{Time: at(2 * time.Hour), Class: graph.ClassLaundering, Txn: "x2", TxnTime: at(2 * time.Hour)}},
	}
	if diff := cmp.Diff(wantRisk, p.Risk); diff != "" {
		t.Errorf("risk history (-want +got):\n%s", diff)
	}

	wantLinked := []investigate.LinkedKind{
		{Kind: graph.KindUser, Count: 2, Top: []investigate.Linked{{Ref: user("u2"), Txns: 3}, {Ref: user("u1"), Txns: 1}}},
		{Kind: graph.KindAccount, Count: 3, Top: []investigate.Linked{{Ref: acc("a4"), Txns: 2}, {Ref: acc("a1"), Txns: 1}, {Ref: acc("a3"), Txns: 1}}},
		{Kind: graph.KindDevice, Count: 2, Top: []investigate.Linked{{Ref: graph.Ref(graph.KindDevice, "d1"), Txns: 1}, {Ref: graph.Ref(graph.KindDevice, "d2"), Txns: 1}}},
	}
	if diff := cmp.Diff(wantLinked, p.Linked); diff != "" {
		t.Errorf("linked entities (-want +got):\n%s", diff)
	}

	// Hop 1: everything that shared a transaction with a2 and has
	// fraud or laundering against it; hop 2 through them (d1 leads to the
	// fraudulent purchase x8). a1 and u1 are clean and left out.
	wantFlagged := []investigate.Flagged{
		{Ref: acc("a3"), Hops: 1, Laundering: 2},
		{Ref: acc("a4"), Hops: 1, Laundering: 1},
		{Ref: graph.Ref(graph.KindDevice, "d1"), Hops: 1, Fraud: 1},
		{Ref: graph.Ref(graph.KindDevice, "d2"), Hops: 1, Laundering: 1},
		{Ref: user("u2"), Hops: 1, Laundering: 1},
		{Ref: graph.Ref(graph.KindMerchant, "m1"), Hops: 2, Via: graph.Ref(graph.KindDevice, "d1"), Fraud: 1},
		{Ref: graph.Ref(graph.KindPhone, "ph1"), Hops: 2, Via: graph.Ref(graph.KindDevice, "d1"), Fraud: 1},
		{Ref: user("u3"), Hops: 2, Via: acc("a4"), Laundering: 1},
		{Ref: user("u5"), Hops: 2, Via: graph.Ref(graph.KindDevice, "d1"), Fraud: 1},
	}
	if diff := cmp.Diff(wantFlagged, p.Flagged); diff != "" {
		t.Errorf("flagged neighbours (-want +got):\n%s", diff)
	}

	var recent []string
	for _, r := range p.Recent {
		recent = append(recent, r.ID+" "+r.Role+" "+string(r.Label))
	}
	if diff := cmp.Diff([]string{"x5 FROM ", "x2 FROM laundering", "x1 TO legit", "x4 FROM legit"}, recent); diff != "" {
		t.Errorf("recent transactions (-want +got):\n%s", diff)
	}
	if len(p.Typologies) != 0 {
		t.Errorf("a2 takes part in no alert, got %d", len(p.Typologies))
	}
}

func TestProfileEntityLabelAndTypologies(t *testing.T) {
	inv := newInvestigator(t, investigate.Config{})
	p, err := inv.Profile(context.Background(), user("u6"))
	if err != nil {
		t.Fatal(err)
	}
	want := investigate.RiskHistory{Label: graph.ClassFraud, LabelTime: at(72 * time.Hour), Txns: map[graph.Class]int{},
		Events: []investigate.RiskEvent{{Time: at(72 * time.Hour), Class: graph.ClassFraud}}}
	if diff := cmp.Diff(want, p.Risk); diff != "" {
		t.Errorf("risk history (-want +got):\n%s", diff)
	}
	if len(p.Typologies) != 1 || p.Typologies[0].ID != ringAlert.ID {
		t.Errorf("typologies = %+v, want the shared-id ring alert", p.Typologies)
	}
}

func TestProfileBounds(t *testing.T) {
	// One transaction read per node and one entity visited: the profile
	// says it is partial rather than pretending to be complete.
	inv := newInvestigator(t, investigate.Config{Fanout: 1, MaxNodes: 1, Top: 1, Recent: 1})
	p, err := inv.Profile(context.Background(), acc("a2"))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Truncated {
		t.Error("Truncated = false with Fanout 1 on a node with 4 transactions")
	}
	if len(p.Recent) != 1 || p.Recent[0].ID != "x5" {
		t.Errorf("recent = %+v, want only the newest, x5", p.Recent)
	}
	if len(p.Flagged) > 1 {
		t.Errorf("%d flagged neighbours with MaxNodes 1", len(p.Flagged))
	}
}

func TestProfileErrors(t *testing.T) {
	inv := newInvestigator(t, investigate.Config{})
	ctx := context.Background()
	if _, err := inv.Profile(ctx, acc("nobody")); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("unknown account: %v, want graph.ErrNotFound", err)
	}
	if _, err := inv.Profile(ctx, graph.NodeRef{ID: "x"}); !errors.Is(err, investigate.ErrInvalid) {
		t.Errorf("kindless ref: %v, want ErrInvalid", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  investigate.Config
		ok   bool
	}{
		{"zero takes defaults", investigate.Config{}, true},
		{"negative fanout", investigate.Config{Fanout: -1}, false},
		{"depth too large", investigate.Config{MaxDepth: 13}, false},
		{"transaction as hub", investigate.Config{Hubs: []graph.Kind{graph.KindTransaction}}, false},
		{"invalid shared kind", investigate.Config{SharedKinds: []graph.Kind{0}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, investigate.ErrInvalidConfig)) {
				t.Errorf("Validate() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
	inv, err := investigate.New(fixture(t), nil, investigate.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if c := inv.Config(); c.Fanout != investigate.DefaultFanout || c.MaxDepth != investigate.DefaultMaxDepth || len(c.Hubs) != 1 {
		t.Errorf("defaults not applied: %+v", c)
	}
}
