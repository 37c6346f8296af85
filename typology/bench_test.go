package typology_test

import (
	"context"
	"flag"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/synth"
	"github.com/riskgraph/riskgraph/typology"
)

var benchTxns = flag.Int("typology.txns", 50_000, "transactions in the data set of BenchmarkDetect (e.g. 1000000)")

// benchTraffic is a month of synth traffic for 4,000 customers with every
// pattern at its default rate: about 100,000 rows, 6,000 of them
// transfers.
var benchTraffic struct {
	once sync.Once
	rows []graph.Transaction
}

func trafficRows(b *testing.B) []graph.Transaction {
	benchTraffic.once.Do(func() {
		_, err := synth.Generate(context.Background(), synth.Config{Seed: 1, Users: 4000, Days: 30}, func(tx *graph.Transaction) error {
			benchTraffic.rows = append(benchTraffic.rows, *tx)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	})
	return benchTraffic.rows
}

// BenchmarkObserve measures Engine.Observe per transaction on realistic
// traffic, every detector on, and reports the median and 99th percentile
// latency. "transfers" observes only the transfers (the detectors' work);
// "all" every row, as a consumer of the transaction log would (most are
// card purchases, which the engine skips). The traffic is replayed month
// after month, shifted in time, for as long as b.N asks.
func BenchmarkObserve(b *testing.B) {
	all := trafficRows(b)
	var transfers []graph.Transaction
	for _, t := range all {
		if t.Account != "" && t.Counterparty != "" {
			transfers = append(transfers, t)
		}
	}
	for _, bc := range []struct {
		name string
		rows []graph.Transaction
	}{{"transfers", transfers}, {"all", all}} {
		b.Run(bc.name, func(b *testing.B) {
			rows := slices.Clone(bc.rows)
			base := make([]time.Time, len(rows))
			for i := range rows {
				base[i] = rows[i].Time
			}
			e, err := typology.NewEngine(typology.Config{})
			if err != nil {
				b.Fatal(err)
			}
			lat := make([]time.Duration, 0, min(b.N, 1<<20))
			alerts := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				k := i % len(rows)
				if lap := i / len(rows); lap > 0 && k == 0 {
					for j := range rows {
						rows[j].Time = base[j].Add(time.Duration(lap) * 30 * 24 * time.Hour)
					}
				}
				start := time.Now()
				alerts += len(e.Observe(&rows[k]))
				if len(lat) < cap(lat) {
					lat = append(lat, time.Since(start))
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
			b.ReportMetric(float64(alerts)/float64(b.N)*1e6, "alerts/Mtxn")
		})
	}
}

// BenchmarkDetect measures batch detection, every detector on, over a
// synth data set of -typology.txns transactions (50,000 by default;
// 1,000,000 for the figure in the package documentation), and reports
// the peak heap growth during Detect.
func BenchmarkDetect(b *testing.B) {
	n := *benchTxns
	users := max(100, int(float64(n)/(0.84*30)))
	w := newWorld(b, synth.Config{Seed: 2, Users: users, Days: 30}, false)
	defer w.store.Close()
	accounts := 0
	ctx := context.Background()
	if err := w.store.Nodes(ctx, graph.KindAccount, func(graph.Node) bool { accounts++; return true }); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d transactions, %d accounts", w.sum.Txns, accounts)
	var alerts int
	var peak atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		baseline := ms.HeapInuse
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				if m.HeapInuse > baseline && m.HeapInuse-baseline > peak.Load() {
					peak.Store(m.HeapInuse - baseline)
				}
				select {
				case <-stop:
					return
				case <-tick.C:
				}
			}
		}()
		out, err := typology.Detect(ctx, w.store, typology.Config{})
		close(stop)
		<-done
		if err != nil {
			b.Fatal(err)
		}
		alerts = len(out)
	}
	b.ReportMetric(float64(w.sum.Txns), "txns")
	b.ReportMetric(float64(alerts), "alerts")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
}
