package mem_test

import (
	"bytes"
	"context"
	"flag"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
)

var benchTxns = flag.Int("mem.txns", 1_000_000, "graph size (transactions) for the neighbour, snapshot and memory benchmarks")

// workload returns n payment-like transactions in time order over a
// population shaped like card traffic: one user per ~50 transactions, each
// with an account, 1–2 cards and devices, a home IP and a few others, and
// merchants drawn with a Zipf skew. Short ids, as a bank's would be.
func workload(seed uint64, n int) []graph.Transaction {
	return workloadFrom(seed, 0, n, n)
}

// workloadFrom returns transactions [first, first+n) of a workload of total
// transactions spread over 30 days, so chunks of one big workload can be
// made one at a time.
func workloadFrom(seed uint64, first, n, total int) []graph.Transaction {
	r := rand.New(rand.NewPCG(seed, uint64(first)))
	users := max(total/50, 10)
	zipf := rand.NewZipf(r, 1.2, 4, 20_000)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	step := 30 * 24 * time.Hour / time.Duration(total)
	out := make([]graph.Transaction, n)
	for j := range out {
		i := first + j
		u := r.IntN(users)
		us := strconv.Itoa(u)
		tx := graph.Transaction{
			ID:       "t" + strconv.Itoa(i),
			Time:     t0.Add(time.Duration(i) * step),
			Amount:   float64(r.IntN(20000)) / 100,
			Currency: "EUR",
			Kind:     "card",
			User:     "u" + us,
			Account:  "a" + us,
			Card:     "c" + us + "-" + strconv.Itoa(r.IntN(2)),
			Device:   "d" + us + "-" + strconv.Itoa(r.IntN(2)),
			IP:       "10." + strconv.Itoa(u>>16&255) + "." + strconv.Itoa(u>>8&255) + "." + strconv.Itoa(u&255),
			Merchant: "m" + strconv.FormatUint(zipf.Uint64(), 10),
			MCC:      strconv.Itoa(5000 + r.IntN(300)),
			Country:  "DE",
			Channel:  []string{"web", "app", "pos"}[r.IntN(3)],
			Attrs:    map[string]string{"pattern": "normal"},
			Label:    graph.ClassLegit,
		}
		if r.IntN(8) == 0 {
			tx.IP = "172.16." + strconv.Itoa(r.IntN(256)) + "." + strconv.Itoa(r.IntN(256))
		}
		out[j] = tx
	}
	return out
}

func BenchmarkApply(b *testing.B) {
	ctx := context.Background()
	txns := workload(1, b.N)
	s := mem.New()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range txns {
		if _, err := s.Apply(ctx, graph.Mutation{Seq: uint64(i + 1), Txn: &txns[i]}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "txns/s")
}

func BenchmarkApplyBatch256(b *testing.B) {
	ctx := context.Background()
	txns := workload(1, b.N)
	s := mem.New()
	batch := make([]graph.Mutation, 0, 256)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range txns {
		batch = append(batch, graph.Mutation{Seq: uint64(i + 1), Txn: &txns[i]})
		if len(batch) == cap(batch) || i == len(txns)-1 {
			if _, err := s.Apply(ctx, batch...); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "txns/s")
}

// BenchmarkApplyOutOfOrder applies a workload in reverse order of 10k-row
// chunks, as when an older file is ingested after a newer one: hot
// merchants then take most inserts behind their newest entry.
func BenchmarkApplyOutOfOrder(b *testing.B) {
	ctx := context.Background()
	txns := workload(1, b.N)
	s := mem.New()
	b.ReportAllocs()
	b.ResetTimer()
	for end := len(txns); end > 0; end -= 10_000 {
		for i := max(0, end-10_000); i < end; i++ {
			if _, err := s.Apply(ctx, graph.Mutation{Txn: &txns[i]}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "txns/s")
}

var (
	bigOnce  sync.Once
	bigStore *mem.Store
	bigTxns  []graph.Transaction
)

// big builds the shared -mem.txns graph once per process.
func big(b *testing.B) (*mem.Store, []graph.Transaction) {
	bigOnce.Do(func() {
		bigTxns = workload(7, *benchTxns)
		bigStore = mem.New()
		ctx := context.Background()
		for i := 0; i < len(bigTxns); i += 1000 {
			batch := make([]graph.Mutation, 0, 1000)
			for j := i; j < min(i+1000, len(bigTxns)); j++ {
				batch = append(batch, graph.Mutation{Seq: uint64(j + 1), Txn: &bigTxns[j]})
			}
			if _, err := bigStore.Apply(ctx, batch...); err != nil {
				panic(err)
			}
		}
	})
	return bigStore, bigTxns
}

// BenchmarkNeighbors2Hop is the sampler's access pattern: from a
// transaction to its entities (hop 1), then to each entity's 10 most recent
// transactions before it (hop 2). The transaction is a random one from the
// second half of history, as when sampling training data.
func BenchmarkNeighbors2Hop(b *testing.B) {
	_, txns := big(b)
	r := rand.New(rand.NewPCG(3, 4))
	twoHop(b, func() (string, time.Time) {
		t := &txns[len(txns)/2+r.IntN(len(txns)/2)]
		return t.ID, t.Time
	})
}

// BenchmarkNeighbors2HopLatest is the serving path: the scored
// transaction is among the newest, so windows end at the lists' tails.
func BenchmarkNeighbors2HopLatest(b *testing.B) {
	_, txns := big(b)
	r := rand.New(rand.NewPCG(3, 4))
	end := txns[len(txns)-1].Time.Add(time.Second)
	twoHop(b, func() (string, time.Time) {
		return txns[len(txns)-1-r.IntN(len(txns)/1000)].ID, end
	})
}

// twoHop runs the 2-hop expansion from the transactions pick returns,
// looking at neighbours before the time it returns.
func twoHop(b *testing.B, pick func() (id string, before time.Time)) {
	s, _ := big(b)
	ctx := context.Background()
	hop1 := make([]graph.Neighbor, 0, 16)
	hop2 := make([]graph.Neighbor, 0, 128)
	edges := 0
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		id, before := pick()
		var err error
		hop1, err = s.Neighbors(ctx, graph.Ref(graph.KindTransaction, id), graph.Query{}, hop1[:0])
		if err != nil {
			b.Fatal(err)
		}
		hop2 = hop2[:0]
		for _, n := range hop1 {
			hop2, err = s.Neighbors(ctx, n.Node, graph.Query{Window: graph.Before(before), Limit: 10}, hop2)
			if err != nil {
				b.Fatal(err)
			}
		}
		edges += len(hop1) + len(hop2)
	}
	b.ReportMetric(float64(edges)/float64(b.N), "edges/op")
}

func BenchmarkNodeLookup(b *testing.B) {
	s, txns := big(b)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(5, 6))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := s.Node(ctx, graph.Ref(graph.KindUser, txns[r.IntN(len(txns))].User)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSnapshotWrite(b *testing.B) {
	s, _ := big(b)
	var buf bytes.Buffer
	b.ResetTimer()
	for range b.N {
		buf.Reset()
		if err := s.Snapshot(context.Background(), &buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len())/float64(*benchTxns), "bytes/txn")
}

// BenchmarkSnapshotLoad times LoadFile of a -mem.txns snapshot, in a
// process that holds nothing else, as at a restart.
func BenchmarkSnapshotLoad(b *testing.B) {
	path := b.TempDir() + "/graph.snap"
	func() {
		s := buildChunked(b, *benchTxns)
		defer s.Close()
		if err := s.SaveFile(context.Background(), path); err != nil {
			b.Fatal(err)
		}
	}()
	runtime.GC()
	b.ResetTimer()
	for range b.N {
		r := mem.New()
		if err := r.LoadFile(context.Background(), path); err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/load")
}

// buildChunked applies an n-transaction workload made 100k rows at a time,
// so the input never lives in memory whole.
func buildChunked(b *testing.B, n int) *mem.Store {
	s := mem.New()
	ctx := context.Background()
	const chunk = 100_000
	for done := 0; done < n; done += chunk {
		txns := workloadFrom(9, done, min(chunk, n-done), n)
		for i := range txns {
			if _, err := s.Apply(ctx, graph.Mutation{Txn: &txns[i]}); err != nil {
				b.Fatal(err)
			}
		}
	}
	return s
}

// BenchmarkResidentMemory reports the heap the store keeps per transaction
// (live heap after GC, minus the heap before), and the process RSS per
// transaction. The input slice is freed before measuring.
func BenchmarkResidentMemory(b *testing.B) {
	for range b.N {
		runtime.GC()
		debug.FreeOSMemory()
		before := heapInUse()
		s := buildChunked(b, *benchTxns)
		runtime.GC()
		debug.FreeOSMemory()
		after := heapInUse()
		b.ReportMetric(float64(after-before)/float64(*benchTxns), "heap-bytes/txn")
		b.ReportMetric(float64(rss())/float64(*benchTxns), "rss-bytes/txn")
		runtime.KeepAlive(s)
	}
}

func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// rss returns the resident set size from /proc (0 where unavailable).
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}
