package training_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/sampling"
	"github.com/riskgraph/riskgraph/synth"
	"github.com/riskgraph/riskgraph/training"
)

// synthStore returns an embedded store holding users × days of synthetic
// traffic, cards tokenised.
func synthStore(t testing.TB, seed uint64, users, days int) *mem.Store {
	t.Helper()
	ctx := context.Background()
	tok, err := ingest.NewTokenizer(make([]byte, ingest.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	s := mem.New()
	t.Cleanup(func() { s.Close() })
	_, err = synth.Generate(ctx, synth.Config{Seed: seed, Users: users, Days: days}, func(tx *graph.Transaction) error {
		c := *tx
		c.Card = tok.Card(c.Card)
		_, err := s.Apply(ctx, graph.Mutation{Txn: &c})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDatasetTemporalSplit(t *testing.T) {
	ctx := context.Background()
	s := synthStore(t, 1, 200, 21)
	stats, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	labelled := stats.Labels[graph.ClassLegit] + stats.Labels[graph.ClassFraud] + stats.Labels[graph.ClassLaundering]
	fixed := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		cfg       training.DatasetConfig
		wantCut   time.Time // zero: not checked
		subsample bool
	}{
		{name: "default 20%", cfg: training.DatasetConfig{}},
		{name: "fixed cut", cfg: training.DatasetConfig{Cut: fixed}, wantCut: fixed},
		{name: "half, sub-sampled", cfg: training.DatasetConfig{ValFraction: 0.5, NegPerPos: 3, Seed: 7}, subsample: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := training.NewDataset(ctx, s, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.wantCut.IsZero() && !ds.Cut.Equal(tc.wantCut) {
				t.Errorf("cut %v, want %v", ds.Cut, tc.wantCut)
			}
			var pos, neg int
			for _, e := range ds.Train {
				if !e.Time.Before(ds.Cut) {
					t.Fatalf("training row %s at %v is not before the cut %v", e.Ref.ID, e.Time, ds.Cut)
				}
				tx, err := s.Transaction(ctx, e.Ref.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !tx.Time.Equal(e.Time) || e.Label != b2f(tx.Label.Positive()) {
					t.Fatalf("training row %s: time %v label %v, stored %v %v", e.Ref.ID, e.Time, e.Label, tx.Time, tx.Label)
				}
				pos += int(e.Label)
				neg += 1 - int(e.Label)
			}
			for _, e := range ds.Val {
				if e.Time.Before(ds.Cut) {
					t.Fatalf("validation row %s at %v is before the cut %v", e.Ref.ID, e.Time, ds.Cut)
				}
			}
			if tc.subsample {
				if neg > 3*pos {
					t.Errorf("%d negatives for %d positives, want at most 3 per positive", neg, pos)
				}
			} else if got := int64(len(ds.Train) + len(ds.Val)); got != labelled {
				t.Errorf("%d rows in the splits, the store has %d labelled", got, labelled)
			}
			t.Logf("cut %v: train %d (%d positive), val %d", ds.Cut, len(ds.Train), pos, len(ds.Val))
		})
	}
	if _, err := training.NewDataset(ctx, s, training.DatasetConfig{Cut: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}); !errors.Is(err, training.ErrNoData) {
		t.Errorf("cut before the data: error %v, want ErrNoData", err)
	}
	if _, err := training.NewDataset(ctx, s, training.DatasetConfig{ValFraction: 1.5}); !errors.Is(err, training.ErrConfig) {
		t.Errorf("validation fraction 1.5: error %v, want ErrConfig", err)
	}
}

// TestDatasetServingParity checks that the data set's batches are those a
// scorer gets from a sampler configured with the manifest's feature spec
// after a JSON round trip: training and serving share one feature path.
func TestDatasetServingParity(t *testing.T) {
	ctx := context.Background()
	s := synthStore(t, 2, 100, 14)
	ds, err := training.NewDataset(ctx, s, training.DatasetConfig{BatchSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range ds.Spec.Target {
		if st.Mean != 0 || st.Std != 1 {
			break
		}
		if i == len(ds.Spec.Target)-1 {
			t.Fatal("the spec holds no statistics")
		}
	}
	// The statistics do not depend on the number of samplers.
	one, err := training.NewDataset(ctx, s, training.DatasetConfig{BatchSize: 50, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(one.Spec, ds.Spec); diff != "" {
		t.Errorf("spec with 1 worker (-) and 2 (+):\n%s", diff)
	}
	data, err := json.Marshal(ds.Spec)
	if err != nil {
		t.Fatal(err)
	}
	var spec artefact.FeatureSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatal(err)
	}
	sm, err := sampling.New(s, sampling.Config{Target: graph.KindTransaction, Spec: &spec})
	if err != nil {
		t.Fatal(err)
	}
	ex := ds.Val[:min(len(ds.Val), 120)]
	bs, _, err := ds.Batches(ctx, ex)
	if err != nil {
		t.Fatal(err)
	}
	for j, got := range bs {
		var targets []sampling.Target
		for _, e := range ex[j*50 : j*50+got.B] {
			targets = append(targets, sampling.Target{Ref: e.Ref})
		}
		var want sampling.Batch
		if err := sm.Sample(ctx, targets, &want); err != nil {
			t.Fatal(err)
		}
		for _, p := range []struct {
			name      string
			got, want []float32
		}{{"X0", got.X0, want.X0}, {"X1", got.X1, want.X1}, {"M1", got.M1, want.M1}, {"X2", got.X2, want.X2}, {"M2", got.M2, want.M2}} {
			if len(p.got) != len(p.want) {
				t.Fatalf("batch %d %s: %d values, serving has %d", j, p.name, len(p.got), len(p.want))
			}
			for i := range p.got {
				if math.Float32bits(p.got[i]) != math.Float32bits(p.want[i]) {
					t.Fatalf("batch %d %s[%d] = %v, serving computes %v", j, p.name, i, p.got[i], p.want[i])
				}
			}
		}
	}
}

func b2f(b bool) float32 {
	if b {
		return 1
	}
	return 0
}
