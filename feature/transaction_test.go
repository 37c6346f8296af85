package feature_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/feature"
	"github.com/riskgraph/riskgraph/graph"
)

// col returns the value of the named column of a vector.
func col(t testing.TB, names []string, x []float32, name string) float32 {
	t.Helper()
	i := slices.Index(names, name)
	if i < 0 {
		t.Fatalf("no column %q", name)
	}
	return x[i]
}

// set returns the names of the non-zero columns matching prefix.
func set(names []string, x []float32, prefix string) []string {
	var out []string
	for i, n := range names {
		if strings.HasPrefix(n, prefix) && x[i] != 0 {
			out = append(out, n)
		}
	}
	return out
}

func TestEncodeTransaction(t *testing.T) {
	names := feature.TxnNames()
	if len(names) != feature.TxnWidth {
		t.Fatalf("%d names, TxnWidth %d", len(names), feature.TxnWidth)
	}
	noon := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC) // a Monday
	tests := []struct {
		name string
		tx   graph.Transaction
		// want: column → value (tolerance 1e-6: float32 trigonometry)
		want     map[string]float32
		wantBits map[string][]string // prefix → set columns
	}{
		{
			name: "card purchase at noon",
			tx:   graph.Transaction{ID: "t1", Time: noon, Amount: 99, Currency: "EUR", Kind: "card", Channel: "web", User: "u1", Card: "c1", Merchant: "m1"},
			want: map[string]float32{"amount_log": 4.6051702, "hour_sin": 0, "hour_cos": -1, "amount_round_50": 0},
			wantBits: map[string][]string{
				"channel_": {"channel_web"}, "kind_": {"kind_card"}, "currency_": {"currency_eur"},
				"has_": {"has_by", "has_with_card", "has_at"}, "mcc_": nil, "country_": nil,
			},
		},
		{
			name: "round transfer in an unknown currency",
			tx:   graph.Transaction{ID: "t2", Time: noon.Add(-6 * time.Hour), Amount: 9500, Currency: "CHF", Kind: "transfer", Channel: "branch", Account: "a1", Counterparty: "a2", MCC: "6011", Country: "CH"},
			want: map[string]float32{"hour_sin": 1, "hour_cos": 0, "amount_round_50": 1},
			wantBits: map[string][]string{
				"channel_": {"channel_other"}, "kind_": {"kind_transfer"}, "currency_": {"currency_other"},
				"has_": {"has_from", "has_to"},
			},
		},
		{
			name:     "empty categorical fields set no bit",
			tx:       graph.Transaction{ID: "t3", Time: noon},
			want:     map[string]float32{"amount_log": 0},
			wantBits: map[string][]string{"channel_": nil, "kind_": nil, "currency_": nil, "has_": nil},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := make([]float32, feature.TxnWidth)
			for i := range x {
				x[i] = 7 // overwritten
			}
			feature.EncodeTransaction(x, &tc.tx)
			for n, v := range tc.want {
				if got := col(t, names, x, n); got-v > 1e-6 || v-got > 1e-6 {
					t.Errorf("%s = %v, want %v", n, got, v)
				}
			}
			for p, w := range tc.wantBits {
				if diff := cmp.Diff(w, set(names, x, p)); diff != "" {
					t.Errorf("%s* bits (-want +got):\n%s", p, diff)
				}
			}
			if tc.tx.MCC != "" && len(set(names, x, "mcc_hash_")) != 1 {
				t.Errorf("mcc one-hot: %v", set(names, x, "mcc_hash_"))
			}
			// The label never matters.
			y := make([]float32, feature.TxnWidth)
			lab := tc.tx
			lab.Label = graph.ClassFraud
			feature.EncodeTransaction(y, &lab)
			if diff := cmp.Diff(x, y); diff != "" {
				t.Errorf("label changed the vector:\n%s", diff)
			}
		})
	}
}

func TestEncodeTransactionNoAlloc(t *testing.T) {
	tx := graph.Transaction{ID: "t", Time: time.Now(), Amount: 10, Currency: "GBP", Kind: "bnpl", Channel: "app", MCC: "5411", Country: "GB", User: "u"}
	x := make([]float32, feature.TxnWidth)
	if n := testing.AllocsPerRun(100, func() { feature.EncodeTransaction(x, &tx) }); n != 0 {
		t.Errorf("%v allocations per call, want 0", n)
	}
}
