package investigate_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/investigate"
	"github.com/riskgraph/riskgraph/typology"
)

func TestRing(t *testing.T) {
	inv := newInvestigator(t, investigate.Config{})
	ctx := context.Background()
	// u5 and u6 share the phone ph1 (the device d1 links u5 to u1).
	r, err := inv.Ring(ctx, user("u6"), typology.RingConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []graph.NodeRef{user("u5"), user("u6"), graph.Ref(graph.KindPhone, "ph1")} {
		if !slices.Contains(r.Members, want) {
			t.Errorf("ring around u6 lacks %s: %v", want, r.Members)
		}
	}
	if !slices.Contains(r.Flagged, user("u6")) {
		t.Errorf("u6 carries a fraud label but is not flagged: %v", r.Flagged)
	}
	var buf bytes.Buffer
	if err := investigate.WriteDOT(&buf, investigate.RingDrawing(r)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `tooltip="Phone:ph1"`) || !strings.Contains(buf.String(), "style=dashed") {
		t.Errorf("ring drawing:\n%s", buf.String())
	}

	if _, err := inv.Ring(ctx, graph.Ref(graph.KindMerchant, "m1"), typology.RingConfig{}); !errors.Is(err, investigate.ErrInvalid) {
		t.Errorf("ring around a merchant: %v, want ErrInvalid", err)
	}
	if _, err := inv.Ring(ctx, user("nobody"), typology.RingConfig{}); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("ring around nobody: %v, want graph.ErrNotFound", err)
	}
}

func TestAlertsDrawing(t *testing.T) {
	var buf bytes.Buffer
	if err := investigate.WriteDOT(&buf, investigate.AlertsDrawing([]typology.Alert{ringAlert, ringAlert})); err != nil {
		t.Fatal(err)
	}
	dot := buf.String()
	// One node per member, however many alerts name it; an edge per
	// member per alert.
	if n := strings.Count(dot, `tooltip="User:u6"`); n != 1 {
		t.Errorf("User:u6 drawn %d times", n)
	}
	if n := strings.Count(dot, `label="shared_id_ring"`); n != 4 {
		t.Errorf("%d alert edges, want 4 (2 alerts × 2 members besides the focus)", n)
	}
}
