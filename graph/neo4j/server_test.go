package neo4j_test

// Tests against a real Neo4j server. They run when NEO4J_URI is set (with
// NEO4J_USER, NEO4J_PASSWORD and optionally NEO4J_DATABASE) and skip with
// one line otherwise; `make test-neo4j` runs them. Every store gets its
// own graph name, so tests never see each other's data, and each graph is
// deleted when its test ends.

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/graphtest"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/graph/neo4j"
)

const skipLine = "neo4j: NEO4J_URI not set; run `make test-neo4j` against a server (see deploy/README.md)"

// serverConfig returns the test server's configuration, or skips.
func serverConfig(t testing.TB) neo4j.Config {
	t.Helper()
	uri := os.Getenv("NEO4J_URI")
	if uri == "" {
		t.Skip(skipLine)
	}
	return neo4j.Config{
		URI: uri, User: os.Getenv("NEO4J_USER"), Password: os.Getenv("NEO4J_PASSWORD"),
		Database: os.Getenv("NEO4J_DATABASE"), BatchSize: 500,
	}
}

var initOnce struct {
	sync.Once
	err error
}

// openGraph opens a store on a fresh graph of its own, created schema
// included; the graph is deleted when the test ends (after the store is
// closed by whoever closes it).
func openGraph(t testing.TB, graphName string) *neo4j.Store {
	t.Helper()
	cfg := serverConfig(t)
	ctx := context.Background()
	if graphName == "" {
		var b [6]byte
		crand.Read(b[:])
		name := strings.NewReplacer("/", "-", " ", "_").Replace(t.Name())
		graphName = "test-" + name + "-" + hex.EncodeToString(b[:])
	}
	cfg.Graph = graphName
	initOnce.Do(func() {
		s, err := neo4j.Open(ctx, cfg)
		if err == nil {
			err = s.Init(ctx)
			s.Close()
		}
		initOnce.err = err
	})
	if initOnce.err != nil {
		t.Fatalf("Init: %v", initOnce.err)
	}
	admin, err := neo4j.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := admin.Reset(ctx); err != nil {
			t.Errorf("deleting test graph %s: %v", graphName, err)
		}
		admin.Close()
	})
	s, err := neo4j.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNeo4jConformance(t *testing.T) {
	openGraph(t, "").Close() // one clear failure if the server is not there
	graphtest.Run(t, func(t *testing.T) graph.Store { return openGraph(t, "") })
}

// TestNeo4jConcurrentIngesters: four processes' worth of stores (four
// drivers) apply the same transactions and labels at once, in different
// orders and batchings, to one graph. Every transaction must be created
// exactly once, every edge exactly once, and the graph must equal the
// embedded store's after one ordered pass.
func TestNeo4jConcurrentIngesters(t *testing.T) {
	ctx := context.Background()
	first := openGraph(t, "")
	defer first.Close()
	name := first.Config().Graph
	txns := graphtest.RandomTxns(77, 800)
	const writers = 4
	stores := []*neo4j.Store{first}
	for range writers - 1 {
		s := openGraph(t, name)
		defer s.Close()
		stores = append(stores, s)
	}
	var wg sync.WaitGroup
	created := make([]int, writers)
	errs := make(chan error, writers)
	for w, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 9))
			order := r.Perm(len(txns))
			size := 10 + 40*w
			for i := 0; i < len(order); i += size {
				var batch []graph.Mutation
				for _, j := range order[i:min(i+size, len(order))] {
					batch = append(batch, graph.Mutation{Seq: uint64(j + 1), Txn: &txns[j]})
				}
				a, err := s.Apply(ctx, batch...)
				if err != nil {
					errs <- fmt.Errorf("writer %d: %w", w, err)
					return
				}
				created[w] += a.Txns
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	total := 0
	for _, c := range created {
		total += c
	}
	if total != len(txns) {
		t.Errorf("writers created %d transactions in all (%v), want exactly %d", total, created, len(txns))
	}
	ref := mem.New()
	for i := range txns {
		if _, err := ref.Apply(ctx, graph.Mutation{Seq: uint64(i + 1), Txn: &txns[i]}); err != nil {
			t.Fatal(err)
		}
	}
	want, _ := ref.Stats(ctx)
	got, err := first.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("graph written concurrently differs from the embedded store (-embedded +neo4j):\n%s", diff)
	}
	// Degrees count edges: a duplicate edge would show here.
	for _, k := range graph.Kinds() {
		ref.Nodes(ctx, k, func(n graph.Node) bool {
			g, err := first.Node(ctx, n.Ref)
			if err != nil || g.Degree != n.Degree || !g.First.Equal(n.First) || !g.Last.Equal(n.Last) {
				t.Errorf("%v: neo4j %+v, %v; embedded %+v", n.Ref, g, err, n)
				return false
			}
			return true
		})
	}
}

func TestNeo4jInitIsIdempotent(t *testing.T) {
	s := openGraph(t, "")
	defer s.Close()
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Init(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

// BenchmarkNeo4jNeighbors measures the sampler's query: the 25 most recent
// neighbours of a user before a transaction's time, one round trip.
func BenchmarkNeo4jNeighbors(b *testing.B) {
	ctx := context.Background()
	s := openGraph(b, "")
	defer s.Close()
	txns := graphtest.RandomTxns(5, 5000)
	for i := 0; i < len(txns); i += 500 {
		var batch []graph.Mutation
		for j := i; j < i+500; j++ {
			batch = append(batch, graph.Mutation{Txn: &txns[j]})
		}
		if _, err := s.Apply(ctx, batch...); err != nil {
			b.Fatal(err)
		}
	}
	var dst []graph.Neighbor
	i := 0
	b.ResetTimer()
	for b.Loop() {
		tx := &txns[i%len(txns)]
		i++
		if tx.User == "" {
			continue
		}
		var err error
		dst, err = s.Neighbors(ctx, graph.Ref(graph.KindUser, tx.User), graph.Query{Window: graph.Before(tx.Time), Limit: 25}, dst[:0])
		if err != nil {
			b.Fatal(err)
		}
	}
}

// Config.Trace sees every statement sent, with its parameters, and the
// statements are the package's own (--show-cypher prints them).
func TestNeo4jTraceSeesStatements(t *testing.T) {
	cfg := serverConfig(t)
	var mu sync.Mutex
	var seen []string
	cfg.Trace = func(cypher string, params map[string]any) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, cypher)
	}
	var b [6]byte
	crand.Read(b[:])
	cfg.Graph = "test-trace-" + hex.EncodeToString(b[:])
	ctx := context.Background()
	s, err := neo4j.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	defer s.Reset(ctx)
	if _, err := s.Neighbors(ctx, graph.Ref(graph.KindUser, "nobody"), graph.Query{Limit: 3}, nil); err == nil {
		t.Error("neighbours of a missing user: no error")
	}
	known := map[string]bool{}
	for _, st := range neo4j.Statements() {
		known[st.Cypher] = true
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) == 0 {
		t.Fatal("Trace saw no statement")
	}
	for _, c := range seen {
		if !known[c] {
			t.Errorf("traced a statement that Statements() does not list: %s", c)
		}
	}
}
