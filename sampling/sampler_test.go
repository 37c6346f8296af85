package sampling_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/feature"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/sampling"
)

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func at(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }

func apply(t testing.TB, s graph.Store, txs ...graph.Transaction) {
	t.Helper()
	for i := range txs {
		if _, err := s.Apply(context.Background(), graph.Mutation{Txn: &txs[i]}); err != nil {
			t.Fatal(err)
		}
	}
}

func newSampler(t testing.TB, s graph.Store, cfg sampling.Config) *sampling.Sampler {
	t.Helper()
	sm, err := sampling.New(s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sm
}

func sample(t testing.TB, sm *sampling.Sampler, targets ...sampling.Target) *sampling.Batch {
	t.Helper()
	var b sampling.Batch
	if err := sm.Sample(context.Background(), targets, &b); err != nil {
		t.Fatal(err)
	}
	return &b
}

func txnTarget(id string) sampling.Target {
	return sampling.Target{Ref: graph.Ref(graph.KindTransaction, id)}
}

// fixture: the target "tgt" at 100h by u1 on d1 with c1 at m1. u1 has 12
// earlier purchases, d1 three, c1 none but the target's; m1 only later
// ones; one purchase of u1 shares the target's instant.
func fixture(t testing.TB) graph.Store {
	s := mem.New()
	var txs []graph.Transaction
	for i := range 12 {
		txs = append(txs, graph.Transaction{ID: fmt.Sprintf("u%02d", i), Time: at(float64(i)), Amount: float64(10 + i), User: "u1", Merchant: "mx"})
	}
	for i := range 3 {
		txs = append(txs, graph.Transaction{ID: fmt.Sprintf("d%02d", i), Time: at(float64(50 + i)), Amount: 5, User: "u2", Device: "d1"})
	}
	txs = append(txs,
		graph.Transaction{ID: "tgt", Time: at(100), Amount: 999, User: "u1", Device: "d1", Card: "c1", Merchant: "m1", Channel: "web"},
		graph.Transaction{ID: "tie", Time: at(100), Amount: 1, User: "u1"},
		graph.Transaction{ID: "later", Time: at(101), Amount: 1e6, Merchant: "m1", User: "u1", Label: graph.ClassFraud},
	)
	apply(t, s, txs...)
	return s
}

func ids(refs []graph.NodeRef) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.ID
	}
	return out
}

func TestTransactionTargetStructure(t *testing.T) {
	s := fixture(t)
	sm := newSampler(t, s, sampling.Config{Target: graph.KindTransaction})
	b := sample(t, sm, txnTarget("tgt"))
	if b.B != 1 || b.R1 != 9 || b.K1 != 1 || b.R2 != 1 || b.K2 != 10 || b.F0 != feature.TxnWidth || b.F1 != feature.EntityWidth || b.F2 != feature.TxnWidth {
		t.Fatalf("shape %+v", b)
	}
	// Hop 1: one slot per edge kind, in EdgeKind order.
	wantM1 := []float32{1, 0, 0, 1, 1, 0, 1, 0, 0} // BY, FROM, TO, CARD, DEVICE, IP, AT, EMAIL, PHONE
	if diff := cmp.Diff(wantM1, b.M1); diff != "" {
		t.Errorf("M1 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"u1", "", "", "c1", "d1", "", "m1", "", ""}, ids(b.Hop1)); diff != "" {
		t.Errorf("Hop1 (-want +got):\n%s", diff)
	}
	// Hop 2: the 10 most recent strictly before t, newest first; never
	// the target, the transaction at the same instant or a later one.
	hop2 := func(r int) []string { return ids(b.Hop2[r*10 : (r+1)*10]) }
	mask := func(r int) []float32 { return b.M2[r*10 : (r+1)*10] }
	wantBy := []string{"u11", "u10", "u09", "u08", "u07", "u06", "u05", "u04", "u03", "u02"}
	if diff := cmp.Diff(wantBy, hop2(0)); diff != "" {
		t.Errorf("BY hop-2 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"d02", "d01", "d00", "", "", "", "", "", "", ""}, hop2(4)); diff != "" {
		t.Errorf("ON_DEVICE hop-2 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]float32{1, 1, 1, 0, 0, 0, 0, 0, 0, 0}, mask(4)); diff != "" {
		t.Errorf("ON_DEVICE M2 (-want +got):\n%s", diff)
	}
	for _, r := range []int{1, 3, 6} { // FROM (absent), card and merchant: no past
		if diff := cmp.Diff(make([]float32, 10), mask(r)); diff != "" {
			t.Errorf("relation %d M2 not empty:\n%s", r, diff)
		}
	}
	// Features: present slots encoded, padded slots zero.
	for h, m := range b.M1 {
		x := b.X1[h*b.F1 : (h+1)*b.F1]
		if got := nonZero(x); (m == 1) != got {
			t.Errorf("hop-1 slot %d: mask %v, non-zero features %v", h, m, got)
		}
	}
	for h, m := range b.M2 {
		x := b.X2[h*b.F2 : (h+1)*b.F2]
		if got := nonZero(x); (m == 1) != got {
			t.Errorf("hop-2 slot %d: mask %v, non-zero features %v", h, m, got)
		}
	}
	var want0 [feature.TxnWidth]float32
	tx, _ := s.Transaction(context.Background(), "tgt")
	feature.EncodeTransaction(want0[:], &tx)
	if diff := cmp.Diff(want0[:], b.X0); diff != "" {
		t.Errorf("X0 (-want +got):\n%s", diff)
	}
}

func nonZero(x []float32) bool {
	for _, v := range x {
		if v != 0 {
			return true
		}
	}
	return false
}

func TestCausality(t *testing.T) {
	s := fixture(t)
	sm := newSampler(t, s, sampling.Config{Target: graph.KindTransaction})
	before := sample(t, sm, txnTarget("tgt"))
	// Plant a future-only signal on every entity of the target: huge
	// fraudulent amounts after t, labels on past rows known only after t.
	apply(t, s,
		graph.Transaction{ID: "f1", Time: at(100.5), Amount: 1e7, User: "u1", Device: "d1", Card: "c1", Merchant: "m1", Label: graph.ClassFraud},
		graph.Transaction{ID: "f2", Time: at(150), Amount: 1e7, User: "u9", Device: "d1", Card: "c1", Label: graph.ClassFraud},
	)
	for _, id := range []string{"u11", "d02", "u03"} {
		l := graph.Label{Txn: id, Class: graph.ClassFraud, Time: at(100.01)}
		if _, err := s.Apply(context.Background(), graph.Mutation{Label: &l}); err != nil {
			t.Fatal(err)
		}
	}
	after := sample(t, sm, txnTarget("tgt"))
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("future data changed the batch (-before +after):\n%s", diff)
	}
	// A label known before t does change it (the check is not vacuous).
	l := graph.Label{Txn: "d01", Class: graph.ClassFraud, Time: at(99)}
	if _, err := s.Apply(context.Background(), graph.Mutation{Label: &l}); err != nil {
		t.Fatal(err)
	}
	if cmp.Equal(before, sample(t, sm, txnTarget("tgt"))) {
		t.Error("a label known before t left the batch unchanged")
	}
}

func TestSuppliedTransaction(t *testing.T) {
	s := fixture(t)
	sm := newSampler(t, s, sampling.Config{Target: graph.KindTransaction})
	stored := sample(t, sm, txnTarget("tgt"))
	tx, err := s.Transaction(context.Background(), "tgt")
	if err != nil {
		t.Fatal(err)
	}
	tx.ID = "not-stored"
	supplied := sample(t, sm, sampling.Target{Ref: graph.Ref(graph.KindTransaction, "not-stored"), Txn: &tx})
	stored.Targets = supplied.Targets
	if diff := cmp.Diff(stored, supplied); diff != "" {
		t.Errorf("supplied vs stored (-stored +supplied):\n%s", diff)
	}
}

func TestTargetErrors(t *testing.T) {
	s := fixture(t)
	txn := newSampler(t, s, sampling.Config{Target: graph.KindTransaction})
	acc := newSampler(t, s, sampling.Config{Target: graph.KindAccount})
	tests := []struct {
		name string
		sm   *sampling.Sampler
		tg   sampling.Target
		want error
	}{
		{"unknown transaction", txn, txnTarget("nope"), graph.ErrNotFound},
		{"wrong kind", txn, sampling.Target{Ref: graph.Ref(graph.KindUser, "u1")}, sampling.ErrTarget},
		{"as-of differs from the transaction time", txn, sampling.Target{Ref: graph.Ref(graph.KindTransaction, "tgt"), At: at(3)}, sampling.ErrTarget},
		{"account without as-of", acc, sampling.Target{Ref: graph.Ref(graph.KindAccount, "a1")}, sampling.ErrTarget},
		{"account target of the wrong kind", acc, txnTarget("tgt"), sampling.ErrTarget},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b sampling.Batch
			if err := tc.sm.Sample(context.Background(), []sampling.Target{tc.tg}, &b); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestNormalisation(t *testing.T) {
	s := fixture(t)
	raw := sample(t, newSampler(t, s, sampling.Config{Target: graph.KindTransaction}), txnTarget("tgt"))
	l, _ := feature.Schema(graph.KindTransaction)
	st := [3]*feature.Stats{feature.NewStats(l.Target), feature.NewStats(l.Hop1), feature.NewStats(l.Hop2)}
	raw.Accumulate(st[0], st[1], st[2])
	if st[1].Len() != 4 || st[2].Len() != 13 {
		t.Fatalf("accumulated %d hop-1 and %d hop-2 rows, want 4 and 13", st[1].Len(), st[2].Len())
	}
	shift := func(fs []artefact.FeatureStat) []artefact.FeatureStat {
		for i := range fs {
			fs[i].Mean, fs[i].Std = 1, 2
		}
		return fs
	}
	spec, err := l.Spec(feature.Config{}, shift(st[0].FeatureStats()), shift(st[1].FeatureStats()), shift(st[2].FeatureStats()))
	if err != nil {
		t.Fatal(err)
	}
	norm := sample(t, newSampler(t, s, sampling.Config{Target: graph.KindTransaction, Spec: &spec}), txnTarget("tgt"))
	check := func(name string, x, y, m []float32, f int) {
		for h := range m {
			for c := range f {
				want := float32(0)
				if m[h] != 0 {
					want = (x[h*f+c] - 1) / 2
				}
				if got := y[h*f+c]; got != want {
					t.Fatalf("%s slot %d column %d = %v, want %v", name, h, c, got, want)
				}
			}
		}
	}
	check("X0", raw.X0, norm.X0, []float32{1}, raw.F0)
	check("X1", raw.X1, norm.X1, raw.M1, raw.F1)
	check("X2", raw.X2, norm.X2, raw.M2, raw.F2)
}
