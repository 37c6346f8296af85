package investigate_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/investigate"
)

func summary(tl investigate.Timeline) []string {
	var out []string
	for _, e := range tl.Events {
		s := e.Time.Sub(t0).String() + " " + e.Kind + " "
		switch e.Kind {
		case investigate.EventTxn:
			s += e.Txn.ID
		case investigate.EventLabel:
			s += fmt.Sprintf("%s %s with_row=%v", e.Label.Target, e.Label.Class, e.Label.WithRow)
		case investigate.EventAlert:
			s += e.Alert.Typology
		}
		out = append(out, s)
	}
	return out
}

func TestTimeline(t *testing.T) {
	tests := []struct {
		name   string
		ref    graph.NodeRef
		window graph.Window
		want   []string
	}{
		{"entity label and alert", user("u6"), graph.Window{}, []string{
			"25h0m0s txn x9", "48h0m0s alert shared_id_ring", "72h0m0s label User:u6 fraud with_row=false"}},
		{"late label on a transaction", graph.Ref(graph.KindTransaction, "x3"), graph.Window{}, []string{
			"3h0m0s txn x3", "48h0m0s label Transaction:x3 laundering with_row=false"}},
		// Legit labels that came with their rows are not events; a
		// laundering one is, at its transaction's time.
		{"window", acc("a2"), graph.Window{From: at(time.Hour), To: at(5 * time.Hour)}, []string{
			"1h0m0s txn x1", "2h0m0s txn x2", "2h0m0s label Transaction:x2 laundering with_row=true"}},
	}
	inv := newInvestigator(t, investigate.Config{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tl, err := inv.Timeline(context.Background(), tc.ref, tc.window)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, summary(tl)); diff != "" {
				t.Errorf("timeline (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := inv.Timeline(context.Background(), acc("a2"), graph.Window{From: at(time.Hour), To: t0}); err == nil {
		t.Error("inverted window accepted")
	}
}
