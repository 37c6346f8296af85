package graphtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/riskgraph/riskgraph/graph"
)

// NewStore returns a new, empty store for one test. The suite closes it.
type NewStore func(t *testing.T) graph.Store

// Run runs the whole conformance suite against stores made by newStore.
func Run(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		fn   func(*testing.T, NewStore)
	}{
		{"ApplyAndLookup", testApplyAndLookup},
		{"Idempotent", testIdempotent},
		{"InvalidBatchAppliesNothing", testInvalidBatch},
		{"NotFound", testNotFound},
		{"WindowAndRecency", testWindowAndRecency},
		{"MatchesReferenceModel", testMatchesModel},
		{"Labels", testLabels},
		{"LastSeq", testLastSeq},
		{"NodesIteration", testNodes},
		{"SnapshotRoundTrip", testSnapshotRoundTrip},
		{"SnapshotCorruption", testSnapshotCorruption},
		{"ConcurrentReadersAndWriter", testConcurrent},
		{"Closed", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore) })
	}
}

func open(t *testing.T, newStore NewStore) graph.Store {
	t.Helper()
	s := newStore(t)
	t.Cleanup(func() { s.Close() })
	return s
}

func applyTxns(t *testing.T, s graph.Store, txns []graph.Transaction) graph.Applied {
	t.Helper()
	var total graph.Applied
	for i := 0; i < len(txns); i += 100 {
		batch := make([]graph.Mutation, 0, 100)
		for j := i; j < min(i+100, len(txns)); j++ {
			batch = append(batch, graph.Mutation{Seq: uint64(j + 1), Txn: &txns[j]})
		}
		a, err := s.Apply(context.Background(), batch...)
		if err != nil {
			t.Fatalf("Apply: %v", err)
		}
		total.Add(a)
	}
	return total
}

var sample = graph.Transaction{
	ID: "t-1", Time: T0.Add(90 * time.Minute), Amount: 129.5, Currency: "EUR", Kind: "card",
	User: "u-1", Account: "a-1", Card: "ct_abc", Device: "d-1", IP: "192.0.2.7", Email: "e@x.test",
	Phone: "+491700000", Merchant: "m-1", MCC: "5732", Country: "DE", Channel: "web",
	Attrs: map[string]string{"pattern": "normal", "order": "o-9"}, Label: graph.ClassLegit,
}

func testApplyAndLookup(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := open(t, newStore)
	a, err := s.Apply(ctx, graph.Mutation{Txn: &sample})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(graph.Applied{Txns: 1}, a); diff != "" {
		t.Errorf("Applied (-want +got):\n%s", diff)
	}
	got, err := s.Transaction(ctx, sample.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sample, got); diff != "" {
		t.Errorf("Transaction round trip (-want +got):\n%s", diff)
	}
	n, err := s.Node(ctx, graph.Ref(graph.KindDevice, "d-1"))
	if err != nil {
		t.Fatal(err)
	}
	want := graph.Node{Ref: graph.Ref(graph.KindDevice, "d-1"), Degree: 1, First: sample.Time, Last: sample.Time}
	if diff := cmp.Diff(want, n); diff != "" {
		t.Errorf("Node (-want +got):\n%s", diff)
	}
	tn, err := s.Node(ctx, graph.Ref(graph.KindTransaction, "t-1"))
	if err != nil {
		t.Fatal(err)
	}
	if tn.Degree != 8 || tn.Label != graph.ClassLegit {
		t.Errorf("transaction node = %+v, want degree 8 (user, account, card, device, ip, email, phone, merchant) and label legit", tn)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range graph.Kinds() {
		if st.Nodes[k] != 1 {
			t.Errorf("Stats.Nodes[%v] = %d, want 1", k, st.Nodes[k])
		}
	}
	if st.Edges[graph.EdgeTo] != 0 || st.Edges[graph.EdgeAt] != 1 || st.Labels[graph.ClassLegit] != 1 {
		t.Errorf("Stats = %+v, want 0 TO edges, 1 AT edge, 1 legit label", st)
	}
}

func testIdempotent(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := open(t, newStore)
	txns := RandomTxns(7, 300)
	applyTxns(t, s, txns)
	before := dump(t, s, txns)
	again := applyTxns(t, s, txns)
	if again.Txns != 0 || again.Duplicates != len(txns) {
		t.Errorf("re-apply = %+v, want 0 new and %d duplicates", again, len(txns))
	}
	// Same id, different content: the first version stays.
	changed := txns[3]
	changed.Amount, changed.Device = 1e6, "d-other"
	if a, err := s.Apply(ctx, graph.Mutation{Txn: &changed}); err != nil || a.Duplicates != 1 {
		t.Fatalf("apply changed duplicate = %+v, %v; want 1 duplicate", a, err)
	}
	if _, err := s.Node(ctx, graph.Ref(graph.KindDevice, "d-other")); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("a duplicate created device d-other (err %v)", err)
	}
	if diff := cmp.Diff(before, dump(t, s, txns)); diff != "" {
		t.Errorf("graph changed by re-applying (-before +after):\n%s", diff)
	}
}

func testInvalidBatch(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	bad := []struct {
		name string
		m    graph.Mutation
	}{
		{"missing id", graph.Mutation{Txn: &graph.Transaction{Time: T0, Amount: 1}}},
		{"negative amount", graph.Mutation{Txn: &graph.Transaction{ID: "x", Time: T0, Amount: -1}}},
		{"missing time", graph.Mutation{Txn: &graph.Transaction{ID: "x", Amount: 1}}},
		{"empty mutation", graph.Mutation{}},
		{"label without target", graph.Mutation{Label: &graph.Label{Class: graph.ClassFraud}}},
		{"unknown class", graph.Mutation{Label: &graph.Label{Txn: "t", Class: "weird"}}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, newStore)
			good := sample
			_, err := s.Apply(ctx, graph.Mutation{Seq: 1, Txn: &good}, tc.m)
			if !errors.Is(err, graph.ErrInvalid) {
				t.Fatalf("Apply = %v, want ErrInvalid", err)
			}
			if _, err := s.Transaction(ctx, good.ID); !errors.Is(err, graph.ErrNotFound) {
				t.Errorf("the valid mutation before the bad one was applied (err %v)", err)
			}
			if seq, _ := s.LastSeq(ctx); seq != 0 {
				t.Errorf("LastSeq = %d after a rejected batch, want 0", seq)
			}
		})
	}
}

func testNotFound(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := open(t, newStore)
	applyTxns(t, s, []graph.Transaction{sample})
	if _, err := s.Node(ctx, graph.Ref(graph.KindUser, "nobody")); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("Node(unknown) = %v, want ErrNotFound", err)
	}
	// A device id used as a user id is another node.
	if _, err := s.Node(ctx, graph.Ref(graph.KindUser, "d-1")); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("Node(User:d-1) = %v, want ErrNotFound (kinds are separate namespaces)", err)
	}
	if _, err := s.Transaction(ctx, "nope"); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("Transaction(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := s.Neighbors(ctx, graph.Ref(graph.KindCard, "nope"), graph.Query{}, nil); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("Neighbors(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := s.Neighbors(ctx, graph.Ref(graph.KindUser, "u-1"), graph.Query{Limit: -1}, nil); !errors.Is(err, graph.ErrInvalid) {
		t.Errorf("Neighbors(limit -1) = %v, want ErrInvalid", err)
	}
}

func testWindowAndRecency(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := open(t, newStore)
	// Ten transactions of one user an hour apart, applied out of order,
	// plus two at the same instant to check the arrival tie-break.
	var txns []graph.Transaction
	for _, h := range []int{5, 1, 9, 0, 3, 7, 2, 8, 6, 4} {
		txns = append(txns, graph.Transaction{ID: fmt.Sprintf("h%d", h), Time: T0.Add(time.Duration(h) * time.Hour), Amount: 1, User: "u"})
	}
	txns = append(txns,
		graph.Transaction{ID: "tieA", Time: T0.Add(4 * time.Hour), Amount: 1, User: "u"},
		graph.Transaction{ID: "tieB", Time: T0.Add(4 * time.Hour), Amount: 1, User: "u"})
	applyTxns(t, s, txns)
	ids := func(q graph.Query) []string {
		ns, err := s.Neighbors(ctx, graph.Ref(graph.KindUser, "u"), q, nil)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range ns {
			out = append(out, n.Node.ID)
		}
		return out
	}
	tests := []struct {
		name string
		q    graph.Query
		want []string
	}{
		{"all, newest first", graph.Query{}, []string{"h9", "h8", "h7", "h6", "h5", "tieB", "tieA", "h4", "h3", "h2", "h1", "h0"}},
		{"window [3h,6h)", graph.Query{Window: graph.Window{From: T0.Add(3 * time.Hour), To: T0.Add(6 * time.Hour)}}, []string{"h5", "tieB", "tieA", "h4", "h3"}},
		{"before 2h", graph.Query{Window: graph.Before(T0.Add(2 * time.Hour))}, []string{"h1", "h0"}},
		{"from 8h", graph.Query{Window: graph.Window{From: T0.Add(8 * time.Hour)}}, []string{"h9", "h8"}},
		{"limit 3 keeps the most recent", graph.Query{Limit: 3}, []string{"h9", "h8", "h7"}},
		{"window and limit", graph.Query{Window: graph.Before(T0.Add(5 * time.Hour)), Limit: 2}, []string{"tieB", "tieA"}},
		{"empty window", graph.Query{Window: graph.Window{From: T0.Add(20 * time.Hour)}}, nil},
		{"other edge kind", graph.Query{Edge: graph.EdgeOnDevice}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ids(tc.q)); diff != "" {
				t.Errorf("neighbours (-want +got):\n%s", diff)
			}
		})
	}
}

func testMatchesModel(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := open(t, newStore)
	m := newModel()
	txns := RandomTxns(42, 2000)
	for _, tx := range txns {
		m.apply(tx)
	}
	applyTxns(t, s, txns)
	r := rand.New(rand.NewPCG(1, 2))
	var buf []graph.Neighbor
	checked := 0
	for _, ref := range m.refs() {
		for range 3 {
			q := graph.Query{Limit: []int{0, 1, 5, 50}[r.IntN(4)]}
			if r.IntN(2) == 0 {
				q.Window.From = T0.Add(time.Duration(r.IntN(200)) * time.Minute)
			}
			if r.IntN(2) == 0 {
				q.Window.To = q.Window.From.Add(time.Duration(r.IntN(200)) * time.Minute)
				if q.Window.From.IsZero() {
					q.Window.To = T0.Add(time.Duration(r.IntN(200)) * time.Minute)
				}
			}
			if ref.Kind == graph.KindAccount && r.IntN(2) == 0 {
				q.Edge = []graph.EdgeKind{graph.EdgeFrom, graph.EdgeTo}[r.IntN(2)]
			}
			var err error
			buf, err = s.Neighbors(ctx, ref, q, buf[:0])
			if err != nil {
				t.Fatalf("Neighbors(%v, %+v): %v", ref, q, err)
			}
			want := m.neighbors(ref, q)
			if diff := cmp.Diff(want, buf, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("Neighbors(%v, %+v) differs from the reference (-want +got):\n%s", ref, q, diff)
			}
			checked++
		}
	}
	t.Logf("%d random queries matched the reference model", checked)
}

func testLabels(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := open(t, newStore)
	day := 24 * time.Hour
	tx := graph.Transaction{ID: "L1", Time: T0, Amount: 10, User: "u1", Account: "acc1"}
	muts := []graph.Mutation{
		// A chargeback that arrives before its transaction is kept pending.
		{Label: &graph.Label{Txn: "L1", Class: graph.ClassFraud, Time: T0.Add(day), Source: "chargeback"}},
		{Txn: &tx},
		// An older verdict does not override a newer one.
		{Label: &graph.Label{Txn: "L1", Class: graph.ClassLegit, Time: T0.Add(time.Hour), Source: "rule"}},
		// Entity labels, including an entity never seen in a transaction.
		{Label: &graph.Label{Entity: graph.Ref(graph.KindAccount, "acc1"), Class: graph.ClassLaundering, Time: T0.Add(2 * day)}},
		{Label: &graph.Label{Entity: graph.Ref(graph.KindAccount, "ghost"), Class: graph.ClassLaundering, Time: T0.Add(2 * day)}},
	}
	if _, err := s.Apply(ctx, muts...); err != nil {
		t.Fatal(err)
	}
	check := func(ref graph.NodeRef, want graph.Class, wantTime time.Time) {
		t.Helper()
		n, err := s.Node(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		if n.Label != want || !n.LabelTime.Equal(wantTime) {
			t.Errorf("%v label = %q at %v, want %q at %v", ref, n.Label, n.LabelTime, want, wantTime)
		}
	}
	check(graph.Ref(graph.KindTransaction, "L1"), graph.ClassFraud, T0.Add(day))
	check(graph.Ref(graph.KindAccount, "acc1"), graph.ClassLaundering, T0.Add(2*day))
	check(graph.Ref(graph.KindAccount, "ghost"), graph.ClassLaundering, T0.Add(2*day))
	// A newer verdict wins, and re-applying it changes nothing.
	overturn := graph.Mutation{Label: &graph.Label{Txn: "L1", Class: graph.ClassLegit, Time: T0.Add(3 * day), Source: "analyst"}}
	for range 2 {
		if _, err := s.Apply(ctx, overturn); err != nil {
			t.Fatal(err)
		}
	}
	check(graph.Ref(graph.KindTransaction, "L1"), graph.ClassLegit, T0.Add(3*day))
	st, _ := s.Stats(ctx)
	if st.Labels[graph.ClassLegit] != 1 || st.Labels[graph.ClassFraud] != 0 {
		t.Errorf("Stats.Labels = %v, want legit 1, fraud 0", st.Labels)
	}
	if got, _ := s.Transaction(ctx, "L1"); got.Label != graph.ClassLegit {
		t.Errorf("Transaction label = %q, want legit", got.Label)
	}
}

func testLastSeq(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := open(t, newStore)
	a, b := sample, sample
	b.ID = "t-2"
	if _, err := s.Apply(ctx, graph.Mutation{Seq: 7, Txn: &a}, graph.Mutation{Seq: 9, Txn: &b}); err != nil {
		t.Fatal(err)
	}
	// A duplicate at a later sequence still advances the sequence.
	if _, err := s.Apply(ctx, graph.Mutation{Seq: 12, Txn: &a}); err != nil {
		t.Fatal(err)
	}
	// Mutations outside the log (Seq 0) do not move it back.
	c := sample
	c.ID = "t-3"
	if _, err := s.Apply(ctx, graph.Mutation{Txn: &c}); err != nil {
		t.Fatal(err)
	}
	if seq, err := s.LastSeq(ctx); err != nil || seq != 12 {
		t.Errorf("LastSeq = %d, %v; want 12", seq, err)
	}
}

func testNodes(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := open(t, newStore)
	txns := RandomTxns(3, 500)
	applyTxns(t, s, txns)
	st, _ := s.Stats(ctx)
	for _, k := range graph.Kinds() {
		n := int64(0)
		if err := s.Nodes(ctx, k, func(nd graph.Node) bool {
			if nd.Ref.Kind != k {
				t.Errorf("Nodes(%v) yielded %v", k, nd.Ref)
			}
			n++
			return true
		}); err != nil {
			t.Fatal(err)
		}
		if n != st.Nodes[k] {
			t.Errorf("Nodes(%v) yielded %d nodes, Stats says %d", k, n, st.Nodes[k])
		}
	}
	stopped := 0
	s.Nodes(ctx, graph.KindTransaction, func(graph.Node) bool { stopped++; return stopped < 5 })
	if stopped != 5 {
		t.Errorf("Nodes kept going after fn returned false: %d calls", stopped)
	}
}

func testSnapshotRoundTrip(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := open(t, newStore)
	txns := RandomTxns(11, 1500)
	applyTxns(t, s, txns)
	extra := []graph.Mutation{
		{Seq: 5000, Label: &graph.Label{Txn: "t00010", Class: graph.ClassFraud, Time: T0.Add(time.Hour), Source: "cb"}},
		{Seq: 5001, Label: &graph.Label{Txn: "later", Class: graph.ClassFraud, Time: T0, Source: "cb"}},
		{Seq: 5002, Label: &graph.Label{Entity: graph.Ref(graph.KindUser, "u3"), Class: graph.ClassFraud}},
	}
	if _, err := s.Apply(ctx, extra...); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := s.Snapshot(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	r := open(t, newStore)
	// Restore replaces whatever the store held before.
	old := RandomTxns(99, 10)
	for i := range old {
		old[i].ID = "old" + old[i].ID
	}
	applyTxns(t, r, old)
	if err := r.Restore(ctx, bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(dump(t, s, txns), dump(t, r, txns)); diff != "" {
		t.Errorf("restored graph differs (-saved +restored):\n%s", diff)
	}
	if _, err := r.Transaction(ctx, old[0].ID); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("content from before Restore survived (err %v)", err)
	}
	// The pending label survived and applies when its transaction arrives.
	later := graph.Transaction{ID: "later", Time: T0, Amount: 3, User: "u1"}
	if _, err := r.Apply(ctx, graph.Mutation{Txn: &later}); err != nil {
		t.Fatal(err)
	}
	if n, err := r.Node(ctx, graph.Ref(graph.KindTransaction, "later")); err != nil || n.Label != graph.ClassFraud {
		t.Errorf("pending label after restore: %+v, %v; want fraud", n, err)
	}
	// The restored store keeps working: new transactions join old lists in order.
	more := RandomTxns(12, 300)
	for i := range more {
		more[i].ID = "more" + more[i].ID
	}
	applyTxns(t, s, more)
	applyTxns(t, r, more)
	all := append(append([]graph.Transaction(nil), txns...), more...)
	s.Apply(ctx, graph.Mutation{Txn: &later})
	if diff := cmp.Diff(dump(t, s, all), dump(t, r, all)); diff != "" {
		t.Errorf("stores diverged after more writes (-original +restored):\n%s", diff)
	}
}

func testSnapshotCorruption(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := open(t, newStore)
	applyTxns(t, s, RandomTxns(5, 400))
	var buf bytes.Buffer
	if err := s.Snapshot(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	cases := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"truncated in the middle", good[:len(good)/2]},
		{"truncated end marker", good[:len(good)-3]},
		{"one byte flipped", flip(good, len(good)/3)},
		{"one byte flipped near the end", flip(good, len(good)-20)},
		{"not a snapshot", []byte("id,time,amount\nt1,2026-01-01T00:00:00Z,1\n")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := open(t, newStore)
			keep := RandomTxns(8, 20)
			applyTxns(t, r, keep)
			before := dump(t, r, keep)
			err := r.Restore(ctx, bytes.NewReader(tc.data))
			if !errors.Is(err, graph.ErrCorrupt) {
				t.Fatalf("Restore = %v, want ErrCorrupt", err)
			}
			if diff := cmp.Diff(before, dump(t, r, keep)); diff != "" {
				t.Errorf("a failed Restore changed the store (-before +after):\n%s", diff)
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x40
	return c
}

func testConcurrent(t *testing.T, newStore NewStore) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := open(t, newStore)
	txns := RandomTxns(21, 3000)
	applyTxns(t, s, txns[:100])
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []graph.Neighbor
			r := rand.New(rand.NewPCG(uint64(w), 0))
			for ctx.Err() == nil {
				ref := graph.Ref(graph.KindUser, fmt.Sprintf("u%d", r.IntN(20)))
				var err error
				buf, err = s.Neighbors(ctx, ref, graph.Query{Limit: 20}, buf[:0])
				if err != nil && !errors.Is(err, graph.ErrNotFound) {
					errc <- err
					return
				}
				for i := 1; i < len(buf); i++ {
					if buf[i].Time.After(buf[i-1].Time) {
						errc <- fmt.Errorf("reader saw %v out of recency order", ref)
						return
					}
				}
				for _, n := range buf {
					if _, err := s.Transaction(ctx, n.Node.ID); err != nil {
						errc <- fmt.Errorf("neighbour %v visible before its transaction: %w", n.Node, err)
						return
					}
				}
			}
		}()
	}
	for i := 100; i < len(txns); i += 10 {
		batch := []graph.Mutation{}
		for j := i; j < min(i+10, len(txns)); j++ {
			batch = append(batch, graph.Mutation{Txn: &txns[j]})
		}
		if _, err := s.Apply(ctx, batch...); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if i%500 == 0 {
			if err := s.Snapshot(ctx, &buf); err != nil {
				t.Fatal(err)
			}
		}
	}
	cancel()
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}

func testClosed(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := newStore(t)
	applyTxns(t, s, []graph.Transaction{sample})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Node(ctx, graph.Ref(graph.KindUser, "u-1")); !errors.Is(err, graph.ErrClosed) {
		t.Errorf("Node after Close = %v, want ErrClosed", err)
	}
	if _, err := s.Apply(ctx, graph.Mutation{Txn: &sample}); !errors.Is(err, graph.ErrClosed) {
		t.Errorf("Apply after Close = %v, want ErrClosed", err)
	}
}

// snapshotOf is what dump records: everything observable about the graph
// that the given transactions built.
type snapshotOf struct {
	Stats graph.Stats
	Txns  map[string]graph.Transaction
	Nodes map[string]graph.Node
	Adj   map[string][]graph.Neighbor
}

func dump(t *testing.T, s graph.Store, txns []graph.Transaction) snapshotOf {
	t.Helper()
	ctx := context.Background()
	m := newModel()
	for _, tx := range txns {
		m.apply(tx)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := snapshotOf{Stats: st, Txns: map[string]graph.Transaction{}, Nodes: map[string]graph.Node{}, Adj: map[string][]graph.Neighbor{}}
	for _, tx := range m.txns {
		got, err := s.Transaction(ctx, tx.ID)
		if err != nil {
			t.Fatal(err)
		}
		out.Txns[tx.ID] = got
	}
	for _, ref := range m.refs() {
		n, err := s.Node(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		out.Nodes[ref.String()] = n
		ns, err := s.Neighbors(ctx, ref, graph.Query{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		out.Adj[ref.String()] = ns
	}
	return out
}
