package defaultmodel_test

import (
	"context"
	"testing"

	"github.com/riskgraph/riskgraph/gnn"
	"github.com/riskgraph/riskgraph/gnn/defaultmodel"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/sampling"
	"github.com/riskgraph/riskgraph/synth"
)

func TestLoad(t *testing.T) {
	a, err := defaultmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	m := a.Manifest
	if m.Target != "Transaction" || m.ID != "riskgraph-default" {
		t.Errorf("manifest id %q target %q, want riskgraph-default, Transaction", m.ID, m.Target)
	}
	auc, ok := m.Training.Metrics["val_auc"]
	if !ok || !(auc > 0.5 && auc <= 1) {
		t.Errorf("val_auc = %v (present %v)", auc, ok)
	}
	t.Logf("%s: %+v", a.ModelID(), m.Training)
}

// TestScores scores traffic the model never saw (another seed) through
// the serving path: a sampler configured with the manifest's relations
// and feature spec, then gnn.Model.Score.
func TestScores(t *testing.T) {
	ctx := context.Background()
	a, err := defaultmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	model, err := gnn.New(a.Manifest, a.Tensors)
	if err != nil {
		t.Fatal(err)
	}
	store := mem.New()
	defer store.Close()
	tok, err := ingest.NewTokenizer(make([]byte, ingest.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	var pos, neg []sampling.Target
	_, err = synth.Generate(ctx, synth.Config{Seed: 99, Users: 300, Days: 21}, func(tx *graph.Transaction) error {
		c := *tx
		c.Card = tok.Card(c.Card)
		if _, err := store.Apply(ctx, graph.Mutation{Txn: &c}); err != nil {
			return err
		}
		target := sampling.Target{Ref: graph.Ref(graph.KindTransaction, c.ID)}
		switch {
		case c.Label.Positive() && len(pos) < 100:
			pos = append(pos, target)
		case c.Label == graph.ClassLegit && len(neg) < 300 && c.Time.Day()%2 == 0:
			neg = append(neg, target)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pos) < 10 || len(neg) < 100 {
		t.Fatalf("%d fraud and %d legit targets: too few to compare", len(pos), len(neg))
	}
	spec := a.Manifest.Features
	sm, err := sampling.New(store, sampling.Config{Target: graph.KindTransaction, K2: a.Manifest.Dims.K2, Spec: &spec})
	if err != nil {
		t.Fatal(err)
	}
	if r1, r2 := sm.Config().RelationNames(); len(r1) != len(a.Manifest.Relations1) || len(r2) != len(a.Manifest.Relations2) {
		t.Fatalf("sampler relations %v %v, manifest %v %v", r1, r2, a.Manifest.Relations1, a.Manifest.Relations2)
	}
	mean := func(targets []sampling.Target) float64 {
		var b sampling.Batch
		if err := sm.Sample(ctx, targets, &b); err != nil {
			t.Fatal(err)
		}
		s, err := model.Score(&b, nil)
		if err != nil {
			t.Fatal(err)
		}
		var sum float64
		for i, v := range s {
			if !(v > 0 && v < 1) {
				t.Errorf("score of %s = %v, want in (0, 1)", targets[i].Ref, v)
			}
			sum += float64(v)
		}
		return sum / float64(len(s))
	}
	mp, mn := mean(pos), mean(neg)
	t.Logf("mean score: %d fraud/laundering %.4f, %d legit %.4f", len(pos), mp, len(neg), mn)
	if !(mp > mn) {
		t.Errorf("mean score of positives %.4f ≤ that of legit rows %.4f", mp, mn)
	}
}
