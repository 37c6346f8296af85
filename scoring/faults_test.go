package scoring_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/gnn"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/gnn/defaultmodel"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/ingest/stream"
	"github.com/riskgraph/riskgraph/natsd/natsdtest"
	"github.com/riskgraph/riskgraph/rules"
	"github.com/riskgraph/riskgraph/scoring"
	"github.com/riskgraph/riskgraph/synth"
)

// downGraph is a graph store that has gone away: every read fails.
type downGraph struct{ scoring.Graph }

var errDown = fmt.Errorf("store unreachable: %w", graph.ErrUnavailable)

func (downGraph) Node(context.Context, graph.NodeRef) (graph.Node, error) {
	return graph.Node{}, errDown
}
func (downGraph) Transaction(context.Context, string) (graph.Transaction, error) {
	return graph.Transaction{}, errDown
}
func (downGraph) Neighbors(_ context.Context, _ graph.NodeRef, _ graph.Query, dst []graph.Neighbor) ([]graph.Neighbor, error) {
	return dst, errDown
}

// Authorization under faults: a slow model, the graph store down, the log
// without responders, no usable model (a corrupt artefact refused). Each
// reply still arrives within the deadline, degraded where the model could
// not score, and a block-list hit declines in every case. The reply-time
// percentiles are logged for the closing note.
func TestAuthorizeUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("fault runs; skipped with -short")
	}
	ctx := context.Background()
	g := mem.New()
	tok, _ := ingest.NewTokenizer(make([]byte, 32))
	var last graph.Transaction
	if _, err := synth.Generate(ctx, synth.Config{Seed: 4, Users: 150, Days: 7}, func(tx *graph.Transaction) error {
		c := *tx
		c.Card = tok.Card(c.Card)
		last = c
		_, err := g.Apply(ctx, graph.Mutation{Txn: &c})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	rs, err := rules.Load(strings.NewReader(testRules), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a, err := defaultmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	real, err := gnn.New(a.Manifest, a.Tensors)
	if err != nil {
		t.Fatal(err)
	}
	// A log whose stream is gone: JetStream has no responders for it.
	nc := natsdtest.Conn(t)
	js, _ := jetstream.New(nc)
	commit, err := stream.NewGroupCommitter(js, stream.GroupConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer commit.Close()
	noLog := func(ctx context.Context, tx *graph.Transaction) error { _, err := commit.Append(ctx, tx); return err }

	const deadline = 20 * time.Millisecond
	for _, tc := range []struct {
		name         string
		g            scoring.Graph
		model        scoring.Model // nil: none installed
		record       func(context.Context, *graph.Transaction) error
		wantDegraded bool
	}{
		{"slow model", g, constant{s: 0.1, delay: 200 * time.Millisecond}, nil, true},
		{"graph store down", downGraph{g}, real, nil, true},
		{"log has no responders", g, real, noLog, false},
		{"corrupt model refused", g, nil, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := scoring.NewBatcher(nil, scoring.BatcherConfig{})
			defer b.Close()
			s, err := scoring.NewScorer(tc.g, scoring.Fixed{Set: rs}, b, scoring.ScorerConfig{Deadline: deadline, Record: tc.record})
			if err != nil {
				t.Fatal(err)
			}
			if tc.model != nil {
				if err := s.SetModel(tc.model, a.Manifest); err != nil {
					t.Fatal(err)
				}
			} else if err := corruptModel(t, a); err == nil {
				t.Fatal("a corrupt artefact was accepted")
			}
			const n = 300
			var lat []time.Duration
			var degraded, declined atomic.Int64
			for i := range n {
				tx := last
				tx.ID, tx.Time, tx.Label = fmt.Sprintf("f-%d", i), last.Time.Add(time.Duration(i+1)*time.Second), ""
				blocked := i%10 == 0
				if blocked {
					tx.Device = "d-stolen"
				}
				start := time.Now()
				d, err := s.Authorize(ctx, &tx)
				lat = append(lat, time.Since(start))
				if err != nil {
					t.Fatal(err)
				}
				if d.Degraded {
					degraded.Add(1)
				}
				if blocked && d.Decision != "decline" {
					t.Fatalf("block-listed device: decision %s, want decline", d.Decision)
				}
				if blocked {
					declined.Add(1)
				}
				if tc.wantDegraded && !d.Degraded {
					t.Fatalf("decision %+v: not degraded, but the model path cannot answer", d)
				}
			}
			// A fault outside the model path (the log) leaves the model
			// deciding; on a loaded machine a few may still miss the short
			// deadline on their own.
			if !tc.wantDegraded && degraded.Load() > n/10 {
				t.Errorf("%d of %d decisions degraded by a fault outside the model path", degraded.Load(), n)
			}
			slices.Sort(lat)
			p := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
			// Functional bound, far above the deadline: a reply that waited
			// for the fault (a 200 ms model, a log that never answers) would
			// exceed it.
			if p(0.5) > 5*deadline {
				t.Errorf("median reply %v with a %v deadline", p(0.5), deadline)
			}
			t.Logf("%s: %d requests, degraded %d, block-list declines %d/%d; reply p50 %v p99 %v p99.9 %v max %v",
				tc.name, n, degraded.Load(), declined.Load(), n/10, p(0.5), p(0.99), p(0.999), lat[len(lat)-1])
		})
	}
}

// corruptModel writes the default artefact, flips a byte of its weights
// and loads it the way serve does: the load must fail.
func corruptModel(t *testing.T, a *artefact.Artefact) error {
	t.Helper()
	dir := t.TempDir()
	m, err := artefact.Write(dir, a.Manifest, a.Tensors, artefact.FormatSafetensors)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, m.Weights)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)-1] ^= 0xff
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = artefact.Load(dir)
	if err != nil && !errors.Is(err, artefact.ErrChecksum) {
		t.Errorf("corrupt weights refused with %v, want ErrChecksum", err)
	}
	return err
}
