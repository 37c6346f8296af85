package cache_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/cache"
	"github.com/riskgraph/riskgraph/graph/graphtest"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/ingest/stream"
	"github.com/riskgraph/riskgraph/sampling"
)

// The cache serves the sampler and can be a stream consumer's Applier.
var (
	_ sampling.Graph = (*cache.Cache)(nil)
	_ stream.Applier = (*cache.Cache)(nil)
	_ cache.Graph    = graph.Store(nil)
	// feature's optional fast path: with it, encoders ask Neighbors for a
	// short list and count the rest.
	_ interface {
		CountNeighbors(context.Context, graph.NodeRef, graph.Query) (int, error)
	} = (*cache.Cache)(nil)
)

func newCache(t testing.TB, g cache.Graph, cfg cache.Config) *cache.Cache {
	t.Helper()
	c, err := cache.New(g, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func apply(t testing.TB, s interface {
	Apply(context.Context, ...graph.Mutation) (graph.Applied, error)
}, txns []graph.Transaction) {
	t.Helper()
	for i := 0; i < len(txns); i += 100 {
		var batch []graph.Mutation
		for j := i; j < min(i+100, len(txns)); j++ {
			batch = append(batch, graph.Mutation{Seq: uint64(j + 1), Txn: &txns[j]})
		}
		if _, err := s.Apply(context.Background(), batch...); err != nil {
			t.Fatal(err)
		}
	}
}

// refsOf lists every node the transactions name.
func refsOf(txns []graph.Transaction) []graph.NodeRef {
	seen := map[graph.NodeRef]bool{}
	var out []graph.NodeRef
	for i := range txns {
		for _, r := range cache.Touched([]graph.Mutation{{Txn: &txns[i]}}) {
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	return out
}

// randomQuery draws the kinds of queries scoring and features make.
func randomQuery(r *rand.Rand, ref graph.NodeRef) graph.Query {
	q := graph.Query{Limit: []int{0, 1, 5, 10, 25, 200}[r.IntN(6)]}
	switch r.IntN(4) {
	case 0:
		q.Window = graph.Before(graphtest.T0.Add(time.Duration(r.IntN(220)) * time.Minute))
	case 1:
		from := graphtest.T0.Add(time.Duration(r.IntN(200)) * time.Minute)
		q.Window = graph.Window{From: from, To: from.Add(time.Duration(r.IntN(60)) * time.Minute)}
	case 2:
		q.Window.From = graphtest.T0.Add(time.Duration(r.IntN(200)) * time.Minute)
	}
	if ref.Kind == graph.KindAccount && r.IntN(2) == 0 {
		q.Edge = []graph.EdgeKind{graph.EdgeFrom, graph.EdgeTo}[r.IntN(2)]
	}
	return q
}

// checkAgainst compares every read through c with the store itself.
func checkAgainst(t *testing.T, c *cache.Cache, s *mem.Store, refs []graph.NodeRef, r *rand.Rand, rounds int) {
	t.Helper()
	ctx := context.Background()
	for range rounds {
		ref := refs[r.IntN(len(refs))]
		q := randomQuery(r, ref)
		want, werr := s.Neighbors(ctx, ref, q, nil)
		got, gerr := c.Neighbors(ctx, ref, q, nil)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("Neighbors(%v, %+v): store err %v, cache err %v", ref, q, werr, gerr)
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("Neighbors(%v, %+v) through the cache (-store +cache):\n%s", ref, q, diff)
		}
		wc, _ := s.CountNeighbors(ctx, ref, q)
		if gc, err := c.CountNeighbors(ctx, ref, q); gc != wc || (err == nil) != (werr == nil) {
			t.Fatalf("CountNeighbors(%v, %+v) = %d, %v through the cache; the store says %d", ref, q, gc, err, wc)
		}
		wn, _ := s.Node(ctx, ref)
		gn, _ := c.Node(ctx, ref)
		if diff := cmp.Diff(wn, gn); diff != "" {
			t.Fatalf("Node(%v) (-store +cache):\n%s", ref, diff)
		}
		if ref.Kind == graph.KindTransaction {
			wt, _ := s.Transaction(ctx, ref.ID)
			gt, _ := c.Transaction(ctx, ref.ID)
			if diff := cmp.Diff(wt, gt); diff != "" {
				t.Fatalf("Transaction(%v) (-store +cache):\n%s", ref.ID, diff)
			}
		}
	}
}

func TestReadsMatchTheStore(t *testing.T) {
	s := mem.New()
	txns := graphtest.RandomTxns(3, 3000)
	apply(t, s, txns)
	for _, lim := range [][2]int{{1, 1}, {8, 32}, {64, 0}} {
		prefix, maxPrefix := lim[0], lim[1]
		t.Run(fmt.Sprintf("prefix %d to %d", prefix, maxPrefix), func(t *testing.T) {
			c := newCache(t, s, cache.Config{Prefix: prefix, MaxPrefix: maxPrefix})
			checkAgainst(t, c, s, refsOf(txns), rand.New(rand.NewPCG(1, uint64(prefix))), 2000)
			st := c.Stats()
			if st.Hits == 0 || st.Misses == 0 {
				t.Errorf("stats %+v: a random workload should both hit and miss", st)
			}
			t.Logf("prefix %d: %+v (hit rate %.0f%%)", prefix, st, 100*float64(st.Hits)/float64(st.Hits+st.Misses))
		})
	}
}

// TestNeverStaleAfterApply interleaves reads (which fill the cache) with
// writes through Apply touching the same nodes: every read after an Apply
// returned must see it.
func TestNeverStaleAfterApply(t *testing.T) {
	s := mem.New()
	c := newCache(t, s, cache.Config{Prefix: 16})
	txns := graphtest.RandomTxns(8, 1200)
	r := rand.New(rand.NewPCG(8, 8))
	apply(t, c, txns[:200])
	for i := 200; i < len(txns); i += 50 {
		refs := refsOf(txns[:i])
		checkAgainst(t, c, s, refs, r, 100)
		next := txns[i : i+50]
		apply(t, c, next)
		// Re-read exactly the nodes just written, whose entries were warm.
		checkAgainst(t, c, s, refsOf(next), r, 100)
	}
	// Labels: a verdict about a cached transaction and entity shows at once.
	ctx := context.Background()
	tx := txns[100]
	if _, err := c.Node(ctx, graph.Ref(graph.KindTransaction, tx.ID)); err != nil {
		t.Fatal(err)
	}
	when := graphtest.T0.Add(72 * time.Hour)
	if _, err := c.Apply(ctx, graph.Mutation{Label: &graph.Label{Txn: tx.ID, Class: graph.ClassFraud, Time: when}}); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Node(ctx, graph.Ref(graph.KindTransaction, tx.ID)); n.Label != graph.ClassFraud || !n.LabelTime.Equal(when) {
		t.Errorf("after a label, Node = %+v, want fraud known at %v", n, when)
	}
	if got, _ := c.Transaction(ctx, tx.ID); got.Label != graph.ClassFraud {
		t.Errorf("after a label, Transaction label = %q, want fraud", got.Label)
	}
}

// TestNeverStaleUnderConcurrency: readers hammer the nodes a writer is
// changing; whenever an Apply has returned, the writer's own reads of the
// nodes it touched match the store. Run with -race.
func TestNeverStaleUnderConcurrency(t *testing.T) {
	s := mem.New()
	c := newCache(t, s, cache.Config{Prefix: 8})
	txns := graphtest.RandomTxns(13, 400)
	apply(t, c, txns[:100])
	refs := refsOf(txns)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			var buf []graph.Neighbor
			for i := 0; ctx.Err() == nil; i++ {
				ref := refs[r.IntN(len(refs))]
				buf, _ = c.Neighbors(ctx, ref, randomQuery(r, ref), buf[:0])
				c.Node(ctx, ref)
				if i%64 == 0 {
					runtime.Gosched() // leave the writer room on a small machine
				}
			}
		}()
	}
	r := rand.New(rand.NewPCG(99, 1))
	for i := 100; i < len(txns); i += 10 {
		batch := txns[i : i+10]
		apply(t, c, batch)
		for _, ref := range refsOf(batch) {
			{
				q := randomQuery(r, ref)
				want, _ := s.Neighbors(context.Background(), ref, q, nil)
				got, _ := c.Neighbors(context.Background(), ref, q, nil)
				if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
					cancel()
					wg.Wait()
					t.Fatalf("after Apply returned, Neighbors(%v, %+v) is stale (-store +cache):\n%s", ref, q, diff)
				}
			}
		}
	}
	cancel()
	wg.Wait()
}

// TestPrefixGrowsToTheLimitAsked: feature encoders ask for up to 256 recent
// neighbours; after one miss, the entry holds that many and such queries
// hit.
func TestPrefixGrowsToTheLimitAsked(t *testing.T) {
	ctx := context.Background()
	s := mem.New()
	var txns []graph.Transaction
	for i := range 600 {
		txns = append(txns, graph.Transaction{ID: fmt.Sprint(i), Time: graphtest.T0.Add(time.Duration(i) * time.Minute), Amount: 1, Merchant: "hub"})
	}
	apply(t, s, txns)
	c := newCache(t, s, cache.Config{Prefix: 8, MaxPrefix: 300})
	hub := graph.Ref(graph.KindMerchant, "hub")
	q := graph.Query{Window: graph.Before(graphtest.T0.Add(599 * time.Minute)), Limit: 256}
	for range 3 {
		got, err := c.Neighbors(ctx, hub, q, nil)
		if err != nil || len(got) != 256 || got[0].Node.ID != "598" {
			t.Fatalf("Neighbors = %d neighbours from %v, %v", len(got), got[0].Node, err)
		}
		if n, _ := c.CountNeighbors(ctx, hub, graph.Query{Window: graph.Window{From: graphtest.T0.Add(500 * time.Minute)}, Limit: 256}); n != 100 {
			t.Fatalf("CountNeighbors of the last 100 minutes = %d, want 100", n)
		}
	}
	if st := c.Stats(); st.Misses != 1 || st.Hits != 5 {
		t.Errorf("stats %+v: want one miss (the growth) then hits", st)
	}
	// Beyond MaxPrefix the store answers, still correctly.
	all, err := c.Neighbors(ctx, hub, graph.Query{Limit: 500}, nil)
	if err != nil || len(all) != 500 {
		t.Errorf("Neighbors beyond MaxPrefix = %d, %v; want 500", len(all), err)
	}
}

// TestInvalidateForWritesElsewhere: a write that bypasses the cache is
// invisible until Invalidate (or TTL); after Invalidate it shows.
func TestInvalidateForWritesElsewhere(t *testing.T) {
	ctx := context.Background()
	s := mem.New()
	c := newCache(t, s, cache.Config{})
	user := graph.Ref(graph.KindUser, "u")
	first := graph.Transaction{ID: "a", Time: graphtest.T0, Amount: 1, User: "u"}
	apply(t, s, []graph.Transaction{first})
	before, _ := c.Neighbors(ctx, user, graph.Query{}, nil)
	apply(t, s, []graph.Transaction{{ID: "b", Time: graphtest.T0.Add(time.Hour), Amount: 1, User: "u"}})
	if got, _ := c.Neighbors(ctx, user, graph.Query{}, nil); len(got) != len(before) {
		t.Fatalf("the cache saw a write it was not told of: the test no longer tests Invalidate")
	}
	c.Invalidate(user)
	got, _ := c.Neighbors(ctx, user, graph.Query{}, nil)
	if len(got) != 2 || got[0].Node.ID != "b" {
		t.Errorf("after Invalidate, neighbours = %v, want b then a", got)
	}
}

func TestTTLBoundsStaleness(t *testing.T) {
	ctx := context.Background()
	now := graphtest.T0
	s := mem.New()
	c := newCache(t, s, cache.Config{TTL: time.Second, Now: func() time.Time { return now }})
	apply(t, s, []graph.Transaction{{ID: "a", Time: graphtest.T0, Amount: 1, User: "u"}})
	user := graph.Ref(graph.KindUser, "u")
	c.Neighbors(ctx, user, graph.Query{}, nil)
	apply(t, s, []graph.Transaction{{ID: "b", Time: graphtest.T0, Amount: 1, User: "u"}})
	now = now.Add(999 * time.Millisecond)
	if got, _ := c.Neighbors(ctx, user, graph.Query{}, nil); len(got) != 1 {
		t.Fatalf("within the TTL the entry should still serve (got %d neighbours)", len(got))
	}
	now = now.Add(time.Millisecond)
	if got, _ := c.Neighbors(ctx, user, graph.Query{}, nil); len(got) != 2 {
		t.Errorf("after the TTL, %d neighbours, want 2", len(got))
	}
}

func TestMissesAreNotCached(t *testing.T) {
	ctx := context.Background()
	s := mem.New()
	c := newCache(t, s, cache.Config{})
	dev := graph.Ref(graph.KindDevice, "d-new")
	if _, err := c.Neighbors(ctx, dev, graph.Query{}, nil); !errors.Is(err, graph.ErrNotFound) {
		t.Fatalf("Neighbors(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := c.Node(ctx, dev); !errors.Is(err, graph.ErrNotFound) {
		t.Fatalf("Node(unknown) = %v, want ErrNotFound", err)
	}
	apply(t, s, []graph.Transaction{{ID: "x", Time: graphtest.T0, Amount: 1, Device: "d-new"}}) // not through the cache
	if got, err := c.Neighbors(ctx, dev, graph.Query{}, nil); err != nil || len(got) != 1 {
		t.Errorf("Neighbors after the device appeared = %v, %v", got, err)
	}
	if _, err := c.Neighbors(ctx, dev, graph.Query{Limit: -1}, nil); !errors.Is(err, graph.ErrInvalid) {
		t.Errorf("Neighbors(limit -1) = %v, want the store's ErrInvalid", err)
	}
}

func TestCallerOwnsResults(t *testing.T) {
	ctx := context.Background()
	s := mem.New()
	c := newCache(t, s, cache.Config{})
	tx := graph.Transaction{ID: "x", Time: graphtest.T0, Amount: 1, User: "u", Attrs: map[string]string{"k": "v"}}
	apply(t, s, []graph.Transaction{tx})
	got, _ := c.Transaction(ctx, "x")
	got.Attrs["k"] = "changed"
	again, _ := c.Transaction(ctx, "x")
	if again.Attrs["k"] != "v" {
		t.Error("changing a returned Attrs map changed the cached transaction")
	}
	ns, _ := c.Neighbors(ctx, graph.Ref(graph.KindUser, "u"), graph.Query{}, nil)
	ns[0].Node.ID = "changed"
	ns2, _ := c.Neighbors(ctx, graph.Ref(graph.KindUser, "u"), graph.Query{}, nil)
	if ns2[0].Node.ID != "x" {
		t.Error("changing a returned neighbour changed the cached list")
	}
}

func TestBounds(t *testing.T) {
	ctx := context.Background()
	s := mem.New()
	txns := graphtest.RandomTxns(4, 2000)
	apply(t, s, txns)
	refs := refsOf(txns)
	t.Run("entries", func(t *testing.T) {
		c := newCache(t, s, cache.Config{MaxEntries: 160})
		for _, ref := range refs {
			c.Node(ctx, ref)
		}
		st := c.Stats()
		if st.Entries > 160 || st.Evictions == 0 {
			t.Errorf("stats %+v: want at most 160 entries and evictions", st)
		}
	})
	t.Run("bytes", func(t *testing.T) {
		c := newCache(t, s, cache.Config{MaxBytes: 64 << 10, Prefix: 64})
		for _, ref := range refs {
			c.Neighbors(ctx, ref, graph.Query{}, nil)
		}
		if st := c.Stats(); st.Bytes > 64<<10 || st.Evictions == 0 {
			t.Errorf("stats %+v: want at most 64 KiB and evictions", st)
		}
	})
	t.Run("least recently used goes first", func(t *testing.T) {
		// One shard holds MaxEntries/16 entries: with 16×4 entries, each
		// shard keeps about 4. A node read again and again survives a
		// stream of others.
		c := newCache(t, s, cache.Config{MaxEntries: 64})
		hot := refs[0]
		for _, ref := range refs[1:] {
			c.Node(ctx, hot)
			c.Node(ctx, ref)
		}
		before := c.Stats().Hits
		c.Node(ctx, hot)
		if c.Stats().Hits != before+1 {
			t.Error("the most recently used node was evicted")
		}
	})
}

func TestApplyNeedsAWriter(t *testing.T) {
	readOnly := struct{ cache.Graph }{mem.New()}
	c := newCache(t, readOnly, cache.Config{})
	if _, err := c.Apply(context.Background()); !errors.Is(err, cache.ErrReadOnly) {
		t.Errorf("Apply over a read-only graph = %v, want ErrReadOnly", err)
	}
	if _, err := c.LastSeq(context.Background()); !errors.Is(err, cache.ErrReadOnly) {
		t.Errorf("LastSeq over a read-only graph = %v, want ErrReadOnly", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for name, cfg := range map[string]cache.Config{
		"negative entries": {MaxEntries: -1},
		"negative bytes":   {MaxBytes: -1},
		"prefix too large": {Prefix: cache.MaxPrefix + 1},
		"max below prefix": {Prefix: 64, MaxPrefix: 32},
		"negative TTL":     {TTL: -time.Second},
	} {
		if _, err := cache.New(mem.New(), cfg); !errors.Is(err, cache.ErrInvalidConfig) {
			t.Errorf("%s: New = %v, want ErrInvalidConfig", name, err)
		}
	}
	if _, err := cache.New(nil, cache.Config{}); !errors.Is(err, cache.ErrInvalidConfig) {
		t.Errorf("New(nil) = %v, want ErrInvalidConfig", err)
	}
}

// gated is a store whose neighbour reads can be held after they have read
// (a slow network round trip, frozen at the worst moment).
type gated struct {
	graph.Store
	mu      sync.Mutex
	hold    chan struct{}
	reading chan struct{}
}

func (g *gated) Neighbors(ctx context.Context, ref graph.NodeRef, q graph.Query, dst []graph.Neighbor) ([]graph.Neighbor, error) {
	out, err := g.Store.Neighbors(ctx, ref, q, dst)
	g.mu.Lock()
	hold := g.hold
	g.hold = nil
	g.mu.Unlock()
	if hold != nil {
		g.reading <- struct{}{}
		<-hold
	}
	return out, err
}

// TestReadRacingApplyCannotCacheStale: a read that fetched the old
// neighbours, then lost the race to an Apply and its invalidation, must not
// put its old list in the cache afterwards.
func TestReadRacingApplyCannotCacheStale(t *testing.T) {
	ctx := context.Background()
	g := &gated{Store: mem.New(), hold: make(chan struct{}), reading: make(chan struct{})}
	c := newCache(t, g, cache.Config{})
	user := graph.Ref(graph.KindUser, "u")
	apply(t, g.Store, []graph.Transaction{{ID: "a", Time: graphtest.T0, Amount: 1, User: "u"}})
	release := g.hold
	done := make(chan []graph.Neighbor)
	go func() {
		ns, _ := c.Neighbors(ctx, user, graph.Query{}, nil)
		done <- ns
	}()
	<-g.reading // the read has the old list and is about to cache it
	apply(t, c, []graph.Transaction{{ID: "b", Time: graphtest.T0.Add(time.Hour), Amount: 1, User: "u"}})
	close(release)
	if old := <-done; len(old) != 1 {
		t.Fatalf("the racing read returned %d neighbours; the test expects it to hold the old list", len(old))
	}
	if got, _ := c.Neighbors(ctx, user, graph.Query{}, nil); len(got) != 2 {
		t.Errorf("after Apply returned, %d neighbours: the racing read cached its stale list", len(got))
	}
}
