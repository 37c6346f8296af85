package scoring_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/gnn"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/sampling"
	"github.com/riskgraph/riskgraph/scoring"
)

func TestReasons(t *testing.T) {
	spec := artefact.FeatureSpec{Target: []artefact.FeatureStat{
		{Name: "amount_log", Mean: 3, Std: 2}, {Name: "hour_sin", Mean: 0, Std: 1},
	}}
	// Row 1 of a two-row batch: amount_log normalised 1.5 → raw 3+1.5·2 = 6.
	b := &sampling.Batch{B: 2, F0: 2, X0: []float32{0, 0, 1.5, 0.2}}
	e := gnn.Explanation{
		Neighbours: []gnn.NeighbourContribution{
			{Node: graph.Ref(graph.KindDevice, "d1"), Hop: 1, Relation: "ON_DEVICE", Delta: 2.5},
			{Node: graph.Ref(graph.KindAccount, "a9"), Hop: 1, Relation: "TO", Delta: 1.1},
			{Node: graph.Ref(graph.KindTransaction, "t7"), Hop: 2, Relation: "AT/REVERSE", Delta: 0.9},
			{Node: graph.Ref(graph.KindMerchant, "m1"), Hop: 1, Relation: "AT", Delta: -3},
			{Node: graph.Ref(graph.KindIP, "1.2.3.4"), Hop: 1, Relation: "FROM_IP", Delta: 0.01},
		},
		Features: []gnn.FeatureContribution{
			{Group: gnn.FeatureTarget, Index: 0, Name: "amount_log", Delta: 1.2},
			{Group: gnn.FeatureHop1, Index: 4, Name: "velocity_24h_count", Delta: 0.8},
			{Group: gnn.FeatureTarget, Index: 1, Name: "hour_sin", Delta: -0.5},
		},
	}
	got := scoring.Reasons(e, b, 1, spec, 5)
	var codes []string
	for _, r := range got {
		codes = append(codes, r.Code)
	}
	want := []string{"LINKED_DEVICE", "LINKED_COUNTERPARTY", "TXN_AMOUNT_LOG", "LINKED_VELOCITY_24H_COUNT"}
	if diff := cmp.Diff(want, codes); diff != "" {
		t.Errorf("codes (-want +got):\n%s\n(hop-2, negative and negligible contributions must not become reasons)", diff)
	}
	if got[0].Weight != 2.5 || !strings.Contains(got[0].Detail, "device d1") {
		t.Errorf("first reason = %+v", got[0])
	}
	// log1p undone: raw amount_log 6 → amount e^6-1 ≈ 402.4.
	if !strings.Contains(got[2].Detail, "402.4") {
		t.Errorf("amount detail %q does not show the raw amount", got[2].Detail)
	}
	if n := len(scoring.Reasons(e, b, 1, spec, 1)); n != 2 {
		t.Errorf("with n=1: %d reasons, want 1 neighbour + 1 feature", n)
	}
}
