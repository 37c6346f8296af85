package sampling_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/feature"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/sampling"
)

func TestConfigValidate(t *testing.T) {
	bad := artefact.FeatureSpec{Version: "v0"}
	tests := []struct {
		name string
		cfg  sampling.Config
		want error
	}{
		{"transaction defaults", sampling.Config{Target: graph.KindTransaction}, nil},
		{"account defaults", sampling.Config{Target: graph.KindAccount}, nil},
		{"no target", sampling.Config{}, sampling.ErrConfig},
		{"user target", sampling.Config{Target: graph.KindUser}, sampling.ErrConfig},
		{"transaction K1 > 1", sampling.Config{Target: graph.KindTransaction, K1: 2}, sampling.ErrConfig},
		{"account K2 > 1", sampling.Config{Target: graph.KindAccount, K2: 3}, sampling.ErrConfig},
		{"fanout too large", sampling.Config{Target: graph.KindTransaction, K2: 5000}, sampling.ErrConfig},
		{"negative fanout", sampling.Config{Target: graph.KindAccount, K1: -1}, sampling.ErrConfig},
		{"uniform for transactions", sampling.Config{Target: graph.KindTransaction, Hop1: sampling.Hop1Uniform}, sampling.ErrConfig},
		{"pool below K1", sampling.Config{Target: graph.KindAccount, K1: 32, Pool: 8, Hop1: sampling.Hop1Uniform}, sampling.ErrConfig},
		{"bad feature config", sampling.Config{Target: graph.KindAccount, Features: feature.Config{Recent: -1}}, feature.ErrConfig},
		{"spec of another schema", sampling.Config{Target: graph.KindAccount, Spec: &bad}, feature.ErrSchema},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); !errors.Is(err, tc.want) || (err != nil) != (tc.want != nil) {
				t.Errorf("Validate() = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDimsAndRelations(t *testing.T) {
	tests := []struct {
		target graph.Kind
		dims   artefact.Dims
		r1, r2 []string
	}{
		{graph.KindTransaction,
			artefact.Dims{F0: feature.TxnWidth, F1: feature.EntityWidth, F2: feature.TxnWidth, R1: 9, R2: 1, K1: 1, K2: 10, H: 64},
			[]string{"BY", "FROM", "TO", "WITH_CARD", "ON_DEVICE", "FROM_IP", "AT", "WITH_EMAIL", "WITH_PHONE"},
			[]string{"REVERSE"}},
		{graph.KindAccount,
			artefact.Dims{F0: feature.EntityWidth, F1: feature.TxnWidth, F2: feature.EntityWidth, R1: 2, R2: 9, K1: 16, K2: 1, H: 64},
			[]string{"FROM", "TO"},
			[]string{"BY", "FROM", "TO", "WITH_CARD", "ON_DEVICE", "FROM_IP", "AT", "WITH_EMAIL", "WITH_PHONE"}},
	}
	for _, tc := range tests {
		t.Run(tc.target.String(), func(t *testing.T) {
			cfg := sampling.Config{Target: tc.target}
			d := cfg.Dims(64)
			if diff := cmp.Diff(tc.dims, d); diff != "" {
				t.Errorf("Dims (-want +got):\n%s", diff)
			}
			if err := d.Validate(); err != nil {
				t.Errorf("Dims.Validate: %v", err)
			}
			r1, r2 := cfg.RelationNames()
			if diff := cmp.Diff(tc.r1, r1); diff != "" {
				t.Errorf("Relations1 (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.r2, r2); diff != "" {
				t.Errorf("Relations2 (-want +got):\n%s", diff)
			}
		})
	}
}
