package training_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/sampling"
	"github.com/riskgraph/riskgraph/training"
)

// The quality runs train on the public data sets beside the repository
// (../../shared/data, or $RISKGRAPH_DATA) and on the generator's data,
// five seeds each, and report mean ± std of the test metrics. They take
// minutes, so they run only with RISKGRAPH_QUALITY=1:
//
//	RISKGRAPH_QUALITY=1 go test ./training -run Quality -v -timeout 60m
//
// The same runs from the command line are
//
//	riskgraph train --dataset ../shared/data/fdcompcn --relations invest_bc2bc,provide_bc2bc,sale_bc2bc \
//	    --no-structure --zero-neighbours --weight-decay 3 --neighbour-decay 50 --dropout 0.2 --seed N --out M
//	riskgraph train --dataset ../shared/data/amlsim-fanin-cycle --seed N --out M
//
// with --seed 1..5.

var qualitySeeds = []uint64{1, 2, 3, 4, 5}

func qualityOn(t *testing.T) {
	t.Helper()
	if os.Getenv("RISKGRAPH_QUALITY") == "" {
		t.Skip("quality run: set RISKGRAPH_QUALITY=1 (minutes)")
	}
}

// publicData returns the folder of a public data set, skipping when it is
// absent.
func publicData(t *testing.T, name string) string {
	t.Helper()
	root := os.Getenv("RISKGRAPH_DATA")
	if root == "" {
		root = filepath.Join("..", "..", "shared", "data")
	}
	dir := filepath.Join(root, name)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("public data set %s absent (%v): set RISKGRAPH_DATA to the folder holding it", name, err)
	}
	return dir
}

// meanStd returns the mean and the sample standard deviation.
func meanStd(xs []float64) (float64, float64) {
	var m, v float64
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	if len(xs) > 1 {
		v /= float64(len(xs) - 1)
	}
	return m, math.Sqrt(v)
}

type qualityRow struct {
	auc, ap, gmean, f1, r1, brier []float64
}

func (q *qualityRow) add(r *training.Result) {
	s := r.Test.Summary
	q.auc, q.ap, q.gmean = append(q.auc, s.AUC.Value), append(q.ap, s.AP.Value), append(q.gmean, s.GMean.Value)
	q.f1, q.r1, q.brier = append(q.f1, s.MacroF1.Value), append(q.r1, s.RecallAt1FPR.Value), append(q.brier, s.Brier.Value)
}

func (q *qualityRow) report(t *testing.T, name string) (auc, ap, gmean float64) {
	t.Helper()
	line := name + ":"
	for _, m := range []struct {
		name string
		xs   []float64
	}{{"AUC", q.auc}, {"AP", q.ap}, {"G-Mean", q.gmean}, {"macro-F1", q.f1}, {"recall@1%FPR", q.r1}, {"Brier", q.brier}} {
		mean, std := meanStd(m.xs)
		line += " " + m.name + " " + fmtPM(mean, std)
	}
	t.Log(line)
	auc, _ = meanStd(q.auc)
	ap, _ = meanStd(q.ap)
	gmean, _ = meanStd(q.gmean)
	return auc, ap, gmean
}

func fmtPM(m, s float64) string { return fmt.Sprintf("%.4f ± %.4f", m, s) }

func TestQualityFDCompCN(t *testing.T) {
	qualityOn(t)
	f, err := training.ReadFolder(publicData(t, "fdcompcn"))
	if err != nil {
		t.Fatal(err)
	}
	fc := training.FolderConfig{Relations: []string{"invest_bc2bc", "provide_bc2bc", "sale_bc2bc"}, Structure: training.StructureConfig{Off: true}}
	var q qualityRow
	for _, seed := range qualitySeeds {
		fc.Seed = seed
		cfg := training.Config{Fit: training.FitConfig{Seed: seed, ZeroNeighbours: true, WeightDecay: 3, NeighbourDecay: 50, Dropout: 0.2}}
		r, err := training.TrainFolder(context.Background(), f, fc, training.SplitConfig{}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("seed %d: best epoch %d, val AUC %.4f; test AUC %.4f G-Mean %.4f", seed, r.Fit.BestEpoch, r.ValAUC, r.Test.Summary.AUC.Value, r.Test.Summary.GMean.Value)
		q.add(r)
	}
	auc, _, gmean := q.report(t, "FDCompCN (authors' split, invest/provide/sale)")
	if auc < 0.81 || gmean < 0.70 {
		t.Errorf("mean test AUC %.4f, G-Mean %.4f: want ≥ 0.81 and ≥ 0.70", auc, gmean)
	}
}

func TestQualityAMLSim(t *testing.T) {
	qualityOn(t)
	f, err := training.ReadFolder(publicData(t, "amlsim-fanin-cycle"))
	if err != nil {
		t.Fatal(err)
	}
	var q qualityRow
	for _, seed := range qualitySeeds {
		r, err := training.TrainFolder(context.Background(), f, training.FolderConfig{Seed: seed}, training.SplitConfig{}, training.Config{Fit: training.FitConfig{Seed: seed}})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("seed %d: best epoch %d, val AP %.4f; test AUC %.4f AP %.4f", seed, r.Fit.BestEpoch, r.ValAP, r.Test.Summary.AUC.Value, r.Test.Summary.AP.Value)
		q.add(r)
	}
	auc, ap, _ := q.report(t, "AMLSim fan-in/cycle (given split, account target)")
	if auc < 0.93 || ap < 0.80 {
		t.Errorf("mean test AUC %.4f, AP %.4f: want ≥ 0.93 and ≥ 0.80", auc, ap)
	}
}

// TestQualityGenerator trains on the generator's own data: card fraud
// (transaction targets, temporal split) and laundering accounts labelled
// by analysts (account targets).
func TestQualityGenerator(t *testing.T) {
	qualityOn(t)
	ctx := context.Background()
	rows := synthRows(t, 11, 3000, 30)
	txns := storeOf(t, rows)
	var q qualityRow
	for _, seed := range qualitySeeds {
		r, err := training.TrainStore(ctx, txns, training.DatasetConfig{TestFraction: 0.2, NegPerPos: 10, StatsRows: 50000, Seed: seed},
			"", training.Config{Fit: training.FitConfig{Seed: seed}})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("seed %d: %+v; test AUC %.4f AP %.4f", seed, r.Counts, r.Test.Summary.AUC.Value, r.Test.Summary.AP.Value)
		q.add(r)
	}
	q.report(t, "generator, transactions (3,000 users × 30 days, temporal 60/20/20)")
	accounts := storeOf(t, rows, accountLabels(rows, 11)...)
	q = qualityRow{}
	for _, seed := range qualitySeeds {
		r, err := training.TrainStore(ctx, accounts, training.DatasetConfig{Sampling: sampling.Config{Target: graph.KindAccount}, TestFraction: 0.2, Seed: seed},
			"", training.Config{Fit: training.FitConfig{Seed: seed}})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("seed %d: %+v; test AUC %.4f AP %.4f", seed, r.Counts, r.Test.Summary.AUC.Value, r.Test.Summary.AP.Value)
		q.add(r)
	}
	q.report(t, "generator, accounts labelled by analysts (temporal 60/20/20)")
}
