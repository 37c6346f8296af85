package training_test

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/sampling"
	"github.com/riskgraph/riskgraph/synth"
	"github.com/riskgraph/riskgraph/training"
)

// synthRows returns users × days of synthetic traffic, cards tokenised.
func synthRows(t testing.TB, seed uint64, users, days int) []graph.Transaction {
	t.Helper()
	tok, err := ingest.NewTokenizer(make([]byte, ingest.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	var rows []graph.Transaction
	_, err = synth.Generate(context.Background(), synth.Config{Seed: seed, Users: users, Days: days}, func(tx *graph.Transaction) error {
		c := *tx
		c.Card = tok.Card(c.Card)
		rows = append(rows, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// storeOf loads rows and labels into a new embedded store.
func storeOf(t testing.TB, rows []graph.Transaction, labels ...graph.Label) *mem.Store {
	t.Helper()
	s := mem.New()
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	muts := make([]graph.Mutation, 0, len(rows)+len(labels))
	for i := range rows {
		muts = append(muts, graph.Mutation{Txn: &rows[i]})
	}
	for i := range labels {
		muts = append(muts, graph.Mutation{Label: &labels[i]})
	}
	if _, err := s.Apply(ctx, muts...); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestTemporalSplitNoLeak plants a signal that appears only after the
// training period — for every fraudulent training transaction, a
// conspicuous transaction on the same user and card after the test cut —
// and checks that no training input changes: the normalisation
// statistics and every sampled training feature are the same bit for
// bit, so the model trained on them is the same and the future signal
// neither leaks nor helps. Planted instead just before each fraud, in its
// past, where it is legitimately visible, the same signal does help:
// the check would have caught a leak.
func TestTemporalSplitNoLeak(t *testing.T) {
	ctx := context.Background()
	rows := synthRows(t, 2, 400, 28)
	dc := training.DatasetConfig{TestFraction: 0.2, NegPerPos: 5, StatsRows: 1000}
	cfg := training.Config{Hidden: 16, Fit: training.FitConfig{Epochs: 6, Seed: 5, Patience: -1}, Replicates: 50}
	plainStore := storeOf(t, rows)
	plain, err := training.TrainStore(ctx, plainStore, dc, "", cfg)
	if err != nil {
		t.Fatal(err)
	}
	cut, testCut := plainCuts(t, plain)
	plant := func(tx graph.Transaction, at time.Time, i int) graph.Transaction {
		return graph.Transaction{ID: fmt.Sprintf("plant-%d", i), Time: at, Amount: 99999, Kind: "card",
			User: tx.User, Card: tx.Card, Device: "d-plant", Merchant: "m-plant", Channel: "web"}
	}
	var future, past []graph.Transaction
	for i, tx := range rows {
		if !tx.Label.Positive() {
			continue
		}
		if tx.Time.Before(cut) {
			future = append(future, plant(tx, testCut.Add(time.Duration(i)*time.Second+time.Hour), i))
		}
		past = append(past, plant(tx, tx.Time.Add(-time.Minute), i))
	}
	if len(future) < 20 {
		t.Fatalf("only %d fraudulent training transactions to plant after", len(future))
	}
	dsPlain, err := training.NewDataset(ctx, plainStore, dc)
	if err != nil {
		t.Fatal(err)
	}
	dsFuture, err := training.NewDataset(ctx, storeOf(t, append(slices.Clone(rows), future...)), dc)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(dsPlain.Spec, dsFuture.Spec); diff != "" {
		t.Errorf("normalisation statistics changed by a signal after the cut (-before +after):\n%s", diff)
	}
	for _, split := range []struct {
		name       string
		plain, fut []training.Example
	}{{"training", dsPlain.Train, dsFuture.Train}} {
		if diff := cmp.Diff(split.plain, split.fut); diff != "" {
			t.Fatalf("%s examples changed (-before +after):\n%s", split.name, diff)
		}
		a, _, err := dsPlain.Batches(ctx, split.plain)
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := dsFuture.Batches(ctx, split.fut)
		if err != nil {
			t.Fatal(err)
		}
		for j := range a {
			for _, p := range []struct {
				name string
				x, y []float32
			}{{"X0", a[j].X0, b[j].X0}, {"X1", a[j].X1, b[j].X1}, {"M1", a[j].M1, b[j].M1}, {"X2", a[j].X2, b[j].X2}, {"M2", a[j].M2, b[j].M2}} {
				for i := range p.x {
					if math.Float32bits(p.x[i]) != math.Float32bits(p.y[i]) {
						t.Fatalf("%s batch %d %s[%d] = %v, with a signal planted after the cut %v: a feature saw the future", split.name, j, p.name, i, p.x[i], p.y[i])
					}
				}
			}
		}
	}
	visible, err := training.TrainStore(ctx, storeOf(t, append(slices.Clone(rows), past...)), dc, "", cfg)
	if err != nil {
		t.Fatal(err)
	}
	rate := float64(plain.Counts.ValPos) / float64(plain.Counts.Val)
	t.Logf("cut %v, test cut %v; validation AP %.4f (positive rate %.4f), with the signal in the past %.4f",
		cut.Format(time.DateTime), testCut.Format(time.DateTime), plain.ValAP, rate, visible.ValAP)
	// Acceptance: the model learns from generated data.
	if plain.ValAP < 2*rate {
		t.Errorf("validation AP %.4f: want ≥ 2 × the positive rate %.4f", plain.ValAP, rate)
	}
	if visible.ValAP < 1.5*plain.ValAP || visible.ValAP < plain.ValAP+0.1 {
		t.Errorf("validation AP %.4f with the signal in the past, %.4f without: the planted signal is not detectable", visible.ValAP, plain.ValAP)
	}
	// Evaluating the model on the store reproduces its test metrics.
	e, err := training.EvalStore(ctx, plainStore, plain.Manifest, plain.Weights, training.StoreEvalConfig{}, training.SplitTest)
	if err != nil {
		t.Fatal(err)
	}
	if e.Summary != plain.Test.Summary {
		t.Errorf("evaluation:\n%+v\ntraining reported:\n%+v", e.Summary, plain.Test.Summary)
	}
}

func plainCuts(t *testing.T, r *training.Result) (cut, testCut time.Time) {
	t.Helper()
	var c, tc string
	if _, err := fmt.Sscanf(r.Manifest.Training.Split, "temporal cut=%s test_cut=%s", &c, &tc); err != nil {
		t.Fatalf("split %q: %v", r.Manifest.Training.Split, err)
	}
	var err error
	if cut, err = time.Parse(time.RFC3339Nano, c); err == nil {
		testCut, err = time.Parse(time.RFC3339Nano, tc)
	}
	if err != nil {
		t.Fatal(err)
	}
	return cut, testCut
}

// accountLabels labels, as analysts would, every account that took part
// in a laundering transfer (a day after its last one) and a sample of
// the other accounts as legitimate (at a random time after they first
// transacted).
func accountLabels(rows []graph.Transaction, seed uint64) []graph.Label {
	last := map[string]time.Time{}
	first := map[string]time.Time{}
	for _, tx := range rows {
		for _, a := range []string{tx.Account, tx.Counterparty} {
			if a == "" {
				continue
			}
			if _, ok := first[a]; !ok {
				first[a] = tx.Time
			}
			if tx.Label == graph.ClassLaundering {
				last[a] = tx.Time
			}
		}
	}
	end := rows[len(rows)-1].Time
	rng := rand.New(rand.NewPCG(seed, 1))
	var out []graph.Label
	for _, a := range sortedKeys(first) {
		ref := graph.Ref(graph.KindAccount, a)
		if t, ok := last[a]; ok {
			out = append(out, graph.Label{Entity: ref, Class: graph.ClassLaundering, Time: t.Add(24 * time.Hour), Source: "analyst"})
			continue
		}
		if rng.IntN(4) != 0 {
			continue
		}
		span := end.Sub(first[a])
		if span <= 0 {
			continue
		}
		at := first[a].Add(time.Duration(rng.Int64N(int64(span))))
		out = append(out, graph.Label{Entity: ref, Class: graph.ClassLegit, Time: at, Source: "analyst"})
	}
	return out
}

func sortedKeys(m map[string]time.Time) []string {
	return slices.Sorted(maps.Keys(m))
}

// TestTrainStoreAccounts trains an AML model on accounts labelled by
// analysts: examples are accounts with a label, each as of the time its
// label became known, split by that time.
func TestTrainStoreAccounts(t *testing.T) {
	ctx := context.Background()
	rows := synthRows(t, 4, 1000, 28)
	labels := accountLabels(rows, 4)
	s := storeOf(t, rows, labels...)
	dc := training.DatasetConfig{Sampling: samplingAccount(), TestFraction: 0.25, ValFraction: 0.25}
	// Few labelled rows: strong weight decay.
	cfg := training.Config{Hidden: 16, Fit: training.FitConfig{Epochs: 30, Seed: 2, WeightDecay: 5}, Replicates: 50}
	r, err := training.TrainStore(ctx, s, dc, "", cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := r.Counts
	rate := float64(c.ValPos) / float64(c.Val)
	t.Logf("%d labels; train %d (%d+), val %d (%d+), test %d (%d+) of %d; val AUC %.4f AP %.4f (rate %.4f); test AUC %.4f AP %.4f",
		len(labels), c.Train, c.TrainPos, c.Val, c.ValPos, c.Test, c.TestPos, c.TestAll, r.ValAUC, r.ValAP, rate, r.Test.Summary.AUC.Value, r.Test.Summary.AP.Value)
	if r.Manifest.Target != "Account" || r.Manifest.Dims.R1 != 2 {
		t.Errorf("manifest target %q dims %+v", r.Manifest.Target, r.Manifest.Dims)
	}
	if r.ValAP < rate+0.3 {
		t.Errorf("validation AP %.4f: want ≥ the positive rate %.4f + 0.3", r.ValAP, rate)
	}
	if c.TestAll <= c.Test {
		t.Errorf("%d test targets, %d labelled: the unlabelled accounts active in the test period must be scored too", c.TestAll, c.Test)
	}
	e, err := training.EvalStore(ctx, s, r.Manifest, r.Weights, training.StoreEvalConfig{}, training.SplitTest)
	if err != nil {
		t.Fatal(err)
	}
	if e.Summary != r.Test.Summary || len(e.IDs) != c.TestAll {
		t.Errorf("evaluation of %d targets: %+v\ntraining reported %d: %+v", len(e.IDs), e.Summary.AUC, c.TestAll, r.Test.Summary.AUC)
	}
}

func samplingAccount() sampling.Config { return sampling.Config{Target: graph.KindAccount} }
