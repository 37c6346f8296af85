package sampling_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/feature"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/sampling"
)

// accounts: a1 sends 7 transfers (o0..o6 to b0..b6) and receives 3 (i0..i2
// from c0..c2) before 100h, and one more of each after.
func accounts(t testing.TB) graph.Store {
	s := mem.New()
	var txs []graph.Transaction
	for i := range 7 {
		txs = append(txs, graph.Transaction{ID: fmt.Sprintf("o%d", i), Time: at(float64(10 * i)), Amount: 100, Kind: "transfer", Account: "a1", Counterparty: fmt.Sprintf("b%d", i), Device: "dev"})
	}
	for i := range 3 {
		txs = append(txs, graph.Transaction{ID: fmt.Sprintf("i%d", i), Time: at(float64(10*i + 5)), Amount: 900, Kind: "transfer", Account: fmt.Sprintf("c%d", i), Counterparty: "a1"})
	}
	txs = append(txs,
		graph.Transaction{ID: "out-later", Time: at(100), Amount: 5e6, Kind: "transfer", Account: "a1", Counterparty: "z", Label: graph.ClassLaundering},
		graph.Transaction{ID: "in-later", Time: at(120), Amount: 5e6, Kind: "transfer", Account: "z", Counterparty: "a1", Label: graph.ClassLaundering},
	)
	apply(t, s, txs...)
	return s
}

func accTarget(id string, h float64) sampling.Target {
	return sampling.Target{Ref: graph.Ref(graph.KindAccount, id), At: at(h)}
}

func TestAccountTargetRecent(t *testing.T) {
	s := accounts(t)
	sm := newSampler(t, s, sampling.Config{Target: graph.KindAccount, K1: 4})
	b := sample(t, sm, accTarget("a1", 100))
	if b.R1 != 2 || b.K1 != 4 || b.R2 != 9 || b.K2 != 1 || b.F0 != feature.EntityWidth || b.F1 != feature.TxnWidth || b.F2 != feature.EntityWidth {
		t.Fatalf("shape %+v", b)
	}
	if diff := cmp.Diff([]string{"o6", "o5", "o4", "o3", "i2", "i1", "i0", ""}, ids(b.Hop1)); diff != "" {
		t.Errorf("Hop1 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]float32{1, 1, 1, 1, 1, 1, 1, 0}, b.M1); diff != "" {
		t.Errorf("M1 (-want +got):\n%s", diff)
	}
	// Hop 2 of o6: BY -, FROM a1 (the target), TO b6, -, ON_DEVICE dev.
	if diff := cmp.Diff([]string{"", "a1", "b6", "", "dev", "", "", "", ""}, ids(b.Hop2[:9])); diff != "" {
		t.Errorf("Hop2 of o6 (-want +got):\n%s", diff)
	}
	// Hop 2 of i2: FROM c2, TO a1.
	if diff := cmp.Diff([]string{"", "c2", "a1", "", "", "", "", "", ""}, ids(b.Hop2[4*9:5*9])); diff != "" {
		t.Errorf("Hop2 of i2 (-want +got):\n%s", diff)
	}
	if nonZero(b.X1[7*b.F1:]) || nonZero(b.X2[7*9*b.F2:]) {
		t.Error("padded hop-1 slot has features")
	}
}

func TestAccountTargetUniform(t *testing.T) {
	s := accounts(t)
	cfg := sampling.Config{Target: graph.KindAccount, K1: 3, Hop1: sampling.Hop1Uniform, Seed: 7}
	a := sample(t, newSampler(t, s, cfg), accTarget("a1", 100), accTarget("c1", 100))
	b := sample(t, newSampler(t, s, cfg), accTarget("a1", 100))
	if diff := cmp.Diff(rowOf(a, 0), rowOf(b, 0)); diff != "" {
		t.Errorf("same seed, other batch (-a +b):\n%s", diff)
	}
	// Newest first among the chosen; all seven are possible.
	got := ids(a.Hop1[:3])
	for i := 1; i < 3; i++ {
		if got[i-1] <= got[i] {
			t.Errorf("FROM sample %v is not newest first", got)
		}
	}
	// TO has only three: all taken, newest first.
	if diff := cmp.Diff([]string{"i2", "i1", "i0"}, ids(a.Hop1[6:9])); diff != "" {
		t.Errorf("TO (-want +got):\n%s", diff)
	}
	differs := false
	for seed := uint64(8); seed < 20 && !differs; seed++ {
		cfg.Seed = seed
		c := sample(t, newSampler(t, s, cfg), accTarget("a1", 100))
		differs = !cmp.Equal(ids(c.Hop1[:3]), got)
	}
	if !differs {
		t.Error("twelve other seeds all drew the same sample")
	}
}
