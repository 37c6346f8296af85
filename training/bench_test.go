package training_test

import (
	"context"
	"flag"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/synth"
	"github.com/riskgraph/riskgraph/training"
)

// benchTxns sizes BenchmarkTrainStore: the 1M-transaction figures are
//
//	go test ./training -run '^$' -bench TrainStore -benchtime 1x -train.txns 1000000 -timeout 60m
var benchTxns = flag.Int("train.txns", 30000, "transactions generated for BenchmarkTrainStore")

// peakHeap samples the heap in use every 20 ms until stop is called and
// returns the largest value seen, in bytes.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

// BenchmarkTrainStore generates -train.txns synthetic transactions into
// the embedded store and runs the whole retraining job on them (temporal
// 60/20/20 split, 10 negatives per positive, 5 epochs): it reports the
// job's seconds, the training loop's throughput in training targets per
// second per core (epochs × rows / seconds of the loop / GOMAXPROCS), the
// peak heap in use, store included, and the store's own heap.
func BenchmarkTrainStore(b *testing.B) {
	ctx := context.Background()
	users := max(*benchTxns*100/(30*84), 50) // about 0.84 rows per user-day
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		stop := peakHeap()
		s := mem.New()
		tok, err := ingest.NewTokenizer(make([]byte, ingest.KeySize))
		if err != nil {
			b.Fatal(err)
		}
		var batch []graph.Mutation
		txs := make([]graph.Transaction, 0, 4096)
		sum, err := synth.Generate(ctx, synth.Config{Seed: 1, Users: users, Days: 30}, func(tx *graph.Transaction) error {
			c := *tx
			c.Card = tok.Card(c.Card)
			txs = append(txs, c)
			if len(txs) == cap(txs) {
				batch = batch[:0]
				for i := range txs {
					batch = append(batch, graph.Mutation{Txn: &txs[i]})
				}
				_, err := s.Apply(ctx, batch...)
				txs = txs[:0]
				return err
			}
			return nil
		})
		if err == nil {
			batch = batch[:0]
			for i := range txs {
				batch = append(batch, graph.Mutation{Txn: &txs[i]})
			}
			_, err = s.Apply(ctx, batch...)
		}
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		storeHeap := ms.HeapInuse
		b.StartTimer()
		start := time.Now()
		var fitSeconds float64
		var rows, epochs int
		r, err := training.TrainStore(ctx, s, training.DatasetConfig{TestFraction: 0.2, NegPerPos: 10, StatsRows: 50000, Workers: runtime.GOMAXPROCS(0)}, "",
			training.Config{Fit: training.FitConfig{Epochs: 5, Patience: -1, Seed: 1}, Replicates: 200, Clock: time.Now,
				Progress: func(e training.EpochStats) { fitSeconds += e.Seconds; rows = e.Rows; epochs++ }})
		if err != nil {
			b.Fatal(err)
		}
		job := time.Since(start).Seconds()
		peak := stop()
		s.Close()
		b.ReportMetric(float64(sum.Txns), "txns")
		b.ReportMetric(job, "job-s")
		b.ReportMetric(float64(rows*epochs)/fitSeconds/float64(runtime.GOMAXPROCS(0)), "targets/s/core")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(storeHeap)/(1<<20), "store-heap-MiB")
		b.Logf("%d txns: train %d (%d+), val %d, test %d; job %.1fs, loop %.1fs; test AUC %.4f AP %.4f",
			sum.Txns, r.Counts.Train, r.Counts.TrainPos, r.Counts.Val, r.Counts.TestAll, job, fitSeconds, r.Test.Summary.AUC.Value, r.Test.Summary.AP.Value)
	}
}

// BenchmarkTrainFolder is a one-epoch TrainFolder on a generated folder
// of 20,000 accounts (AMLSim's size): training-loop targets per second
// per core.
func BenchmarkTrainFolder(b *testing.B) {
	dir := genFolder(b, 3, 20000)
	f, err := training.ReadFolder(dir)
	if err != nil {
		b.Fatal(err)
	}
	var rows int
	var secs float64
	cfg := training.Config{Fit: training.FitConfig{Epochs: 1, Seed: 1}, Replicates: 10, Clock: time.Now,
		Progress: func(e training.EpochStats) { rows += e.Rows; secs += e.Seconds }}
	for b.Loop() {
		if _, err := training.TrainFolder(context.Background(), f, training.FolderConfig{}, training.SplitConfig{}, cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)/secs/float64(runtime.GOMAXPROCS(0)), "targets/s/core")
}
