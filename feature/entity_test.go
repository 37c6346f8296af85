package feature_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/feature"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
)

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func apply(t testing.TB, s graph.Store, muts ...graph.Mutation) {
	t.Helper()
	if _, err := s.Apply(context.Background(), muts...); err != nil {
		t.Fatal(err)
	}
}

func txm(tx graph.Transaction) graph.Mutation { return graph.Mutation{Txn: &tx} }
func labelm(l graph.Label) graph.Mutation     { return graph.Mutation{Label: &l} }
func hours(h float64) time.Duration           { return time.Duration(h * float64(time.Hour)) }
func at(h float64) time.Time                  { return t0.Add(hours(h)) }
func buy(id string, h float64, amt float64, user, dev, card string) graph.Transaction {
	return graph.Transaction{ID: id, Time: at(h), Amount: amt, Currency: "EUR", Kind: "card", Channel: "web",
		User: user, Device: dev, Card: card, Merchant: "m-" + id, Label: graph.ClassLegit}
}

func encode(t testing.TB, s graph.Store, cfg feature.Config, ref graph.NodeRef, when time.Time) []float32 {
	t.Helper()
	e, err := feature.NewEncoder(s, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, feature.EntityWidth)
	if err := e.Entity(context.Background(), x, ref, when); err != nil {
		t.Fatal(err)
	}
	return x
}

// history: device d1 used by three users over a week before t = at(200).
func history(t testing.TB) graph.Store {
	s := mem.New()
	apply(t, s,
		txm(buy("p1", 10, 100, "u1", "d1", "c1")),
		txm(buy("p2", 150, 20, "u2", "d1", "c2")),
		txm(buy("p3", 199.5, 30, "u3", "d1", "c3")),
		txm(buy("p4", 199.9, 1, "u3", "d1", "c3")),
		txm(buy("other", 100, 5, "u9", "d9", "c9")),
	)
	return s
}

func TestEntityVector(t *testing.T) {
	s := history(t)
	names := feature.EntityNames()
	x := encode(t, s, feature.Config{}, graph.Ref(graph.KindDevice, "d1"), at(200))
	h := func(v float64) float32 { return float32(logp(v)) }
	want := map[string]float32{
		"kind_device":         1,
		"kind_user":           0,
		"age_hours_log":       h(190),
		"degree_log":          h(4),
		"recency_hours_log":   h(0.1),
		"velocity_1h_count":   h(2),
		"velocity_24h_count":  h(2),
		"velocity_7d_count":   h(3), // p1 is 190h old, outside 168h
		"velocity_1h_amount":  h(31),
		"velocity_7d_amount":  h(51),
		"amount_mean_log":     h(151.0 / 4),
		"amount_max_log":      h(100),
		"distinct_users":      h(3),
		"distinct_cards":      h(3),
		"distinct_merchants":  h(4),
		"distinct_devices":    0, // itself is not counted
		"labels_known_log":    0, // legit labels inline: known 14 days later
		"label_positive_rate": 0,
		"typology_hits_log":   0,
	}
	for n, v := range want {
		// Tolerance 1e-5: float32 logs of float64 hour fractions.
		if got := col(t, names, x, n); got-v > 1e-5 || v-got > 1e-5 {
			t.Errorf("%s = %v, want %v", n, got, v)
		}
	}
}

func TestEntityCausality(t *testing.T) {
	s := history(t)
	ref := graph.Ref(graph.KindDevice, "d1")
	cut := at(200)
	before := encode(t, s, feature.Config{}, ref, cut)
	// The future: a burst of huge fraudulent purchases on the device, one
	// exactly at t, fraud labels known only after t on the past rows, and
	// the device itself flagged after t.
	apply(t, s,
		txm(buy("f0", 200, 1e6, "u7", "d1", "c7")),
		txm(buy("f1", 200.1, 5e5, "u8", "d1", "c8")),
		txm(graph.Transaction{ID: "f2", Time: at(201), Amount: 9e5, Device: "d1", User: "u9", Label: graph.ClassFraud}),
		labelm(graph.Label{Txn: "p3", Class: graph.ClassFraud, Time: at(200.5)}),
		labelm(graph.Label{Entity: ref, Class: graph.ClassFraud, Time: at(200)}),
	)
	after := encode(t, s, feature.Config{}, ref, cut)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("the future changed the vector (-before +after):\n%s", diff)
	}
	// And it does count once t is past it.
	later := encode(t, s, feature.Config{}, ref, at(300))
	names := feature.EntityNames()
	if col(t, names, later, "entity_flagged") != 1 || col(t, names, later, "label_positive_count_log") == 0 {
		t.Errorf("labels known before t=300h not counted: %v", later)
	}
}

func TestEntityLabelDelay(t *testing.T) {
	names := feature.EntityNames()
	ref := graph.Ref(graph.KindUser, "u1")
	tests := []struct {
		name      string
		delay     time.Duration
		label     *graph.Label // label event on p1 (at 10h), if any
		wantKnown float32
		wantRate  float32
	}{
		{name: "inline label before its delay", delay: 0, wantKnown: 0},
		{name: "inline label past a short delay", delay: hours(50), wantKnown: float32(logp(1)), wantRate: 1},
		{name: "label event before t", label: &graph.Label{Txn: "p1", Class: graph.ClassFraud, Time: at(50)}, wantKnown: float32(logp(1)), wantRate: 1},
		{name: "label event after t", label: &graph.Label{Txn: "p1", Class: graph.ClassFraud, Time: at(120)}, wantKnown: 0},
		{name: "label event at t", label: &graph.Label{Txn: "p1", Class: graph.ClassFraud, Time: at(100)}, wantKnown: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mem.New()
			p1 := buy("p1", 10, 10, "u1", "d1", "c1")
			p1.Label = graph.ClassFraud
			apply(t, s, txm(p1))
			if tc.label != nil {
				apply(t, s, labelm(*tc.label))
			}
			x := encode(t, s, feature.Config{LabelDelay: tc.delay}, ref, at(100))
			if got := col(t, names, x, "labels_known_log"); got != tc.wantKnown {
				t.Errorf("labels_known_log = %v, want %v", got, tc.wantKnown)
			}
			if got := col(t, names, x, "label_positive_rate"); got != tc.wantRate {
				t.Errorf("label_positive_rate = %v, want %v", got, tc.wantRate)
			}
		})
	}
}

type hits map[graph.NodeRef]int

func (h hits) TypologyHits(_ context.Context, ref graph.NodeRef, _ time.Time) (int, error) {
	return h[ref], nil
}

func TestEntityEdgeCases(t *testing.T) {
	ctx := context.Background()
	s := history(t)
	names := feature.EntityNames()
	tests := []struct {
		name    string
		ref     graph.NodeRef
		cfg     feature.Config
		typ     feature.TypologyCounter
		want    map[string]float32
		wantErr error
	}{
		{name: "unknown entity: kind only", ref: graph.Ref(graph.KindEmail, "nobody"), want: map[string]float32{"kind_email": 1, "degree_log": 0}},
		{name: "transaction is not an entity", ref: graph.Ref(graph.KindTransaction, "p1"), wantErr: feature.ErrKind},
		{name: "degree saturates at the cap", ref: graph.Ref(graph.KindDevice, "d1"), cfg: feature.Config{Recent: 1, DegreeCap: 2},
			want: map[string]float32{"degree_log": float32(logp(2)), "amount_max_log": float32(logp(1)), "distinct_users": float32(logp(1))}},
		{name: "typology hits", ref: graph.Ref(graph.KindUser, "u3"), typ: hits{graph.Ref(graph.KindUser, "u3"): 4},
			want: map[string]float32{"typology_hits_log": float32(logp(4)), "distinct_devices": float32(logp(1))}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := feature.NewEncoder(s, tc.cfg, tc.typ)
			if err != nil {
				t.Fatal(err)
			}
			x := make([]float32, feature.EntityWidth)
			err = e.Entity(ctx, x, tc.ref, at(200))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			for n, v := range tc.want {
				if got := col(t, names, x, n); got-v > 1e-6 || v-got > 1e-6 {
					t.Errorf("%s = %v, want %v", n, got, v)
				}
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  feature.Config
		ok   bool
	}{
		{"zero means defaults", feature.Config{}, true},
		{"negative delay", feature.Config{LabelDelay: -1}, false},
		{"recent too large", feature.Config{Recent: 5000}, false},
		{"cap below recent", feature.Config{Recent: 50, DegreeCap: 10}, false},
		{"explicit", feature.Config{LabelDelay: time.Hour, Recent: 10, DegreeCap: 10}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, feature.ErrConfig)) {
				t.Errorf("Validate() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
