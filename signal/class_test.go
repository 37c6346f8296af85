package signal_test

import (
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/signal"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		code string
		want signal.Class
	}{
		// codes signal.Reasons produces today
		{"LINKED_COUNTERPARTY", signal.ClassNetwork},
		{"RECENT_OUTGOING_TRANSFER", signal.ClassVelocity},
		{"RECENT_TRANSACTION", signal.ClassVelocity},
		{"LINKED_DEVICE", signal.ClassDevice},
		{"LINKED_IP", signal.ClassDevice},
		{"LINKED_EMAIL", signal.ClassIdentity},
		{"LINKED_CARD", signal.ClassIdentity},
		{"LINKED_MERCHANT", signal.ClassMerchant},
		{"TXN_AMOUNT_LOG", signal.ClassAmount},
		{"TXN_AMOUNT_ROUND_50", signal.ClassAmount},
		{"LINKED_VELOCITY_24H_AMOUNT", signal.ClassVelocity},
		{"LINKED_DISTINCT_DEVICES", signal.ClassDevice},
		{"LINKED_DISTINCT_USERS", signal.ClassIdentity},
		{"LINKED_AGE_HOURS_LOG", signal.ClassIdentity},
		{"LINKED_DEGREE_LOG", signal.ClassNetwork},
		{"HISTORY_AMOUNT_MEAN_LOG", signal.ClassAmount},
		{"HISTORY_HOUR_SIN", signal.ClassVelocity},
		{"txn-mcc-hash-3", signal.ClassMerchant},
		// AML list: prefixes, tokens anywhere, case and separators
		{"AML_STRUCTURING", signal.ClassAML},
		{"aml_velocity", signal.ClassAML},
		{"TYPOLOGY_FAN_IN", signal.ClassAML},
		{"LINKED_TYPOLOGY_HITS_LOG", signal.ClassAML},
		{"STRUCTURING_BELOW_THRESHOLD", signal.ClassAML},
		{"SUSPECTED_LAUNDERING", signal.ClassAML},
		{"SAR_FILED", signal.ClassAML},
		{"CASE_OPEN", signal.ClassAML},
		{"MONEY_MULE_RING", signal.ClassAML},
		{"device-fan-out", signal.ClassAML},
		{"ACCOUNT_FANIN_7D", signal.ClassAML},
		{"CYCLE_3", signal.ClassAML},
		{"scatter_gather", signal.ClassAML},
		{"PASS_THROUGH_ACCOUNT", signal.ClassAML},
		{"SANCTIONS_HIT", signal.ClassAML},
		{"LINKED_LABEL_POSITIVE_RATE", signal.ClassAML},
		{"ENTITY_FLAGGED", signal.ClassAML},
		// default deny
		{"", signal.ClassOther},
		{"TXN_CHANNEL_WEB", signal.ClassOther},
		{"SOMETHING_NEW_42", signal.ClassOther},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			if got := signal.Classify(tt.code); got != tt.want {
				t.Errorf("Classify(%q) = %q, want %q", tt.code, got, tt.want)
			}
			if got, want := signal.IsAML(tt.code), tt.want == signal.ClassAML; got != want {
				t.Errorf("IsAML(%q) = %v, want %v", tt.code, got, want)
			}
		})
	}
}

// A class is never the code: whatever the input, Classify returns one of
// the fixed classes.
func FuzzClassify(f *testing.F) {
	for _, s := range []string{"AML_X", "LINKED_DEVICE", "x", "FAN_IN", "__", "ümlaut"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		c := signal.Classify(code)
		if !c.Valid() {
			t.Fatalf("Classify(%q) = %q, not a class", code, c)
		}
		for _, term := range signal.AMLTerms {
			if strings.HasPrefix(strings.ToUpper(code), term) && c != signal.ClassAML {
				t.Fatalf("Classify(%q) = %q, want aml (term %s)", code, c, term)
			}
		}
	})
}

func TestCutsBand(t *testing.T) {
	tests := []struct {
		name  string
		cuts  signal.Cuts
		score float64
		want  signal.Band
	}{
		{"zero", signal.Cuts{}, 0, signal.BandLow},
		{"below medium", signal.Cuts{}, 0.2999, signal.BandLow},
		{"medium cut", signal.Cuts{}, 0.30, signal.BandMedium},
		{"high cut", signal.Cuts{}, 0.60, signal.BandHigh},
		{"just below critical", signal.Cuts{}, 0.8499, signal.BandHigh},
		{"critical cut", signal.Cuts{}, 0.85, signal.BandCritical},
		{"one", signal.Cuts{}, 1, signal.BandCritical},
		{"custom", signal.Cuts{Medium: 0.1, High: 0.2, Critical: 0.3}, 0.25, signal.BandHigh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cuts.Band(tt.score); got != tt.want {
				t.Errorf("Band(%v) = %q, want %q", tt.score, got, tt.want)
			}
		})
	}
}

func TestCutsValidate(t *testing.T) {
	tests := []struct {
		name    string
		cuts    signal.Cuts
		wantErr bool
	}{
		{"defaults", signal.Cuts{}, false},
		{"custom", signal.Cuts{Medium: 0.2, High: 0.5, Critical: 1}, false},
		{"not increasing", signal.Cuts{Medium: 0.5, High: 0.5, Critical: 0.9}, true},
		{"zero medium", signal.Cuts{High: 0.5, Critical: 0.9}, true},
		{"above one", signal.Cuts{Medium: 0.2, High: 0.5, Critical: 1.1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cuts.Validate(); (err != nil) != tt.wantErr {
				t.Errorf("Validate() = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestBandRank(t *testing.T) {
	for i, b := range signal.Bands {
		if b.Rank() != i {
			t.Errorf("%s.Rank() = %d, want %d", b, b.Rank(), i)
		}
		if got, err := signal.ParseBand(string(b)); err != nil || got != b {
			t.Errorf("ParseBand(%q) = %q, %v", b, got, err)
		}
	}
	if _, err := signal.ParseBand("severe"); err == nil {
		t.Error("ParseBand(severe) succeeded")
	}
}
