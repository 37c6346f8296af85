package neo4j

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
)

// stepSummary is what a test reads of a plan step.
type stepSummary struct {
	Stmt  string
	IDs   []string
	First int
}

func summarise(p applyPlan) []stepSummary {
	var out []stepSummary
	for _, st := range p.steps {
		s := stepSummary{Stmt: "apply_txns", First: st.first}
		if !st.txns {
			s.Stmt = labelName(st.c)
		}
		for _, r := range st.rows {
			s.IDs = append(s.IDs, r.(map[string]any)["id"].(string))
		}
		out = append(out, s)
	}
	return out
}

func txnM(id string) graph.Mutation {
	return graph.Mutation{Txn: &graph.Transaction{ID: id, Time: t0, Amount: 1, User: "u"}}
}

func txnLabel(id string, c graph.Class, at time.Time) graph.Mutation {
	return graph.Mutation{Label: &graph.Label{Txn: id, Class: c, Time: at}}
}

func entLabel(k graph.Kind, id string, c graph.Class) graph.Mutation {
	return graph.Mutation{Label: &graph.Label{Entity: graph.Ref(k, id), Class: c}}
}

func TestPlanApply(t *testing.T) {
	tests := []struct {
		name       string
		batch      []graph.Mutation
		batchSize  int
		want       []stepSummary
		wantTxns   int
		wantLabels int
		arrival    int
	}{
		{
			name:      "transactions in chunks of the batch size, arrival numbers contiguous",
			batch:     []graph.Mutation{txnM("a"), txnM("b"), txnM("c"), txnM("d"), txnM("e")},
			batchSize: 2,
			want: []stepSummary{
				{"apply_txns", []string{"a", "b"}, 0}, {"apply_txns", []string{"c", "d"}, 2}, {"apply_txns", []string{"e"}, 4},
			},
			wantTxns: 5, arrival: 5,
		},
		{
			name:      "a repeat inside a run is dropped (the first version stays), one outside is sent again",
			batch:     []graph.Mutation{txnM("a"), txnM("a"), txnM("b"), txnLabel("a", graph.ClassFraud, t0), txnM("a")},
			batchSize: 10,
			want: []stepSummary{
				{"apply_txns", []string{"a", "b"}, 0}, {"label_txns", []string{"a"}, 0}, {"apply_txns", []string{"a"}, 2},
			},
			wantTxns: 4, wantLabels: 1, arrival: 3,
		},
		{
			name: "verdicts about one node go to successive waves, kinds to their own statement",
			batch: []graph.Mutation{
				txnLabel("x", graph.ClassFraud, t0), entLabel(graph.KindAccount, "acc", graph.ClassLaundering),
				txnLabel("x", graph.ClassLegit, t0), txnLabel("y", graph.ClassLegit, t0),
				entLabel(graph.KindUser, "u", graph.ClassFraud), txnLabel("x", graph.ClassFraud, t0),
			},
			batchSize: 10,
			want: []stepSummary{
				{"label_user", []string{"u"}, 0}, {"label_account", []string{"acc"}, 0}, {"label_txns", []string{"x", "y"}, 0},
				{"label_txns", []string{"x"}, 0},
				{"label_txns", []string{"x"}, 0},
			},
			wantLabels: 6,
		},
		{
			name:      "a label before its transaction is applied first (it becomes pending)",
			batch:     []graph.Mutation{txnLabel("late", graph.ClassFraud, t0), txnM("late")},
			batchSize: 10,
			want:      []stepSummary{{"label_txns", []string{"late"}, 0}, {"apply_txns", []string{"late"}, 0}},
			wantTxns:  1, wantLabels: 1, arrival: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := planApply(tc.batch, tc.batchSize)
			if err != nil {
				t.Fatal(err)
			}
			// Within a wave the statements run kind by kind; their order
			// between kinds does not matter, the waves' order does.
			if diff := cmp.Diff(tc.want, summarise(p)); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
			if p.txns != tc.wantTxns || p.labels != tc.wantLabels || p.arrival != tc.arrival {
				t.Errorf("txns, labels, arrival = %d, %d, %d; want %d, %d, %d", p.txns, p.labels, p.arrival, tc.wantTxns, tc.wantLabels, tc.arrival)
			}
		})
	}
}

func TestPlanApplySeq(t *testing.T) {
	a, b := txnM("a"), txnM("b")
	a.Seq, b.Seq = 9, 4
	p, err := planApply([]graph.Mutation{a, b, txnM("c")}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if p.seq != 9 {
		t.Errorf("seq = %d, want the largest, 9", p.seq)
	}
}

func TestPlanApplyRejects(t *testing.T) {
	tooEarly := txnM("old")
	tooEarly.Txn.Time = time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)
	tooLate := txnLabel("x", graph.ClassFraud, time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC))
	bigSeq := txnM("s")
	bigSeq.Seq = math.MaxInt64 + 1
	tests := []struct {
		name  string
		m     graph.Mutation
		field string
	}{
		{"invalid transaction", graph.Mutation{Txn: &graph.Transaction{ID: "x", Time: t0, Amount: -1}}, "amount"},
		{"empty mutation", graph.Mutation{}, "empty mutation"},
		{"time before 1678", tooEarly, "time"},
		{"label time after 2262", tooLate, "time"},
		{"sequence over int64", bigSeq, "seq"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := planApply([]graph.Mutation{txnM("ok"), tc.m}, 10)
			if !errors.Is(err, graph.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), "mutation 1") || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("err = %q, want it to name mutation 1 and %q", err, tc.field)
			}
		})
	}
}

func TestTxnRowRoundTrip(t *testing.T) {
	for _, tx := range []graph.Transaction{goldenTxn, selfTransfer} {
		row := txnRow(&tx)
		// The server returns the properties it stored: no nulls, the
		// values as the driver decodes them.
		stored := map[string]any{}
		for k, v := range row {
			if v != nil {
				stored[k] = v
			}
		}
		st, err := decodeTxn(stored)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tx, st.txn); diff != "" {
			t.Errorf("%s round trip (-want +got):\n%s", tx.ID, diff)
		}
	}
	row := txnRow(&selfTransfer)
	if row["degree"] != int64(3) || row["card"] != nil || row["label"] != nil {
		t.Errorf("self-transfer row degree, card, label = %v, %v, %v; want 3 (user, FROM, TO), nil, nil", row["degree"], row["card"], row["label"])
	}
}

func TestDecodeTxnRejectsBadShapes(t *testing.T) {
	good := map[string]any{"id": "t", "time": int64(1), "amount": 1.0, "arrival": int64(1)}
	for name, mod := range map[string]func(m map[string]any){
		"not a map":        nil,
		"time is a string": func(m map[string]any) { m["time"] = "yesterday" },
		"amount missing":   func(m map[string]any) { delete(m, "amount") },
		"id is a number":   func(m map[string]any) { m["id"] = int64(7) },
		"attrs not json":   func(m map[string]any) { m["attrs"] = "{" },
	} {
		t.Run(name, func(t *testing.T) {
			var v any = "garbage"
			if mod != nil {
				m := map[string]any{}
				for k, x := range good {
					m[k] = x
				}
				mod(m)
				v = m
			}
			if _, err := decodeTxn(v); !errors.Is(err, ErrStatement) {
				t.Errorf("decodeTxn = %v, want ErrStatement", err)
			}
		})
	}
	if _, err := decodeTxn(good); err != nil {
		t.Errorf("decodeTxn(good) = %v", err)
	}
}

func TestLabelNanos(t *testing.T) {
	if labelNanos(time.Time{}) != nil || labelNanos(time.Unix(0, 0)) != nil {
		t.Error("a label without a time must be stored without one")
	}
	if got := labelNanos(t0); got != t0.UnixNano() {
		t.Errorf("labelNanos = %v, want %d", got, t0.UnixNano())
	}
}

func TestDecodeHitsOrder(t *testing.T) {
	ns := func(m int) int64 { return t0.Add(time.Duration(m) * time.Minute).UnixNano() }
	hit := func(txn string, m int, arrival int64, edge string) any {
		return map[string]any{"txn": txn, "ts": ns(m), "arrival": arrival, "edge": edge}
	}
	// An Account's two lists as the statement returns them: FROM, then TO.
	in := []any{
		hit("t3", 5, 3, "FROM"), hit("self", 5, 7, "FROM"), hit("t1", 1, 1, "FROM"),
		hit("self", 5, 7, "TO"), hit("t9", 9, 2, "TO"), hit("tie", 5, 8, "TO"),
	}
	got, err := decodeHits(in)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, h := range got {
		order = append(order, h.n.Node.ID+"/"+h.n.Edge.String())
	}
	want := []string{"t9/TO", "tie/TO", "self/FROM", "self/TO", "t3/FROM", "t1/FROM"}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if _, err := decodeHits([]any{map[string]any{"txn": "x"}}); !errors.Is(err, ErrStatement) {
		t.Errorf("decodeHits(partial hit) = %v, want ErrStatement", err)
	}
}

func TestTxnEdgeNeighbors(t *testing.T) {
	ents := []any{"u", "a", nil, "c", nil, nil, "m", nil, nil}
	all := []graph.Neighbor{
		{Edge: graph.EdgeBy, Node: graph.Ref(graph.KindUser, "u"), Time: t0},
		{Edge: graph.EdgeFrom, Node: graph.Ref(graph.KindAccount, "a"), Time: t0},
		{Edge: graph.EdgeWithCard, Node: graph.Ref(graph.KindCard, "c"), Time: t0},
		{Edge: graph.EdgeAt, Node: graph.Ref(graph.KindMerchant, "m"), Time: t0},
	}
	tests := []struct {
		name string
		q    graph.Query
		want []graph.Neighbor
	}{
		{"all, in edge kind order", graph.Query{}, all},
		{"limit", graph.Query{Limit: 2}, all[:2]},
		{"one kind", graph.Query{Edge: graph.EdgeWithCard}, all[2:3]},
		{"window excludes its time", graph.Query{Window: graph.Before(t0)}, nil},
		{"window is half-open", graph.Query{Window: graph.Window{From: t0, To: t0.Add(time.Nanosecond)}}, all},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, txnEdgeNeighbors(t0, ents, tc.q, nil)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNeighborsCallWindow(t *testing.T) {
	s := offline(t)
	tests := []struct {
		name              string
		q                 graph.Query
		since, until, lim int64
	}{
		{"unbounded", graph.Query{}, math.MinInt64, math.MaxInt64, math.MaxInt64},
		{"before t0, limit 5", graph.Query{Window: graph.Before(t0), Limit: 5}, math.MinInt64, t0.UnixNano(), 5},
		{"far past and future clamp", graph.Query{Window: graph.Window{From: time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)}}, math.MinInt64, math.MaxInt64, math.MaxInt64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, ok := s.neighborsCall(graph.Ref(graph.KindUser, "u"), tc.q)
			if !ok || c.c != neighborsBy {
				t.Fatalf("neighborsCall picked another statement")
			}
			got := []int64{c.params["since"].(int64), c.params["until"].(int64), c.params["limit"].(int64)}
			if diff := cmp.Diff([]int64{tc.since, tc.until, tc.lim}, got); diff != "" {
				t.Errorf("since, until, limit (-want +got):\n%s", diff)
			}
		})
	}
	if _, ok := s.neighborsCall(graph.Ref(graph.KindUser, "u"), graph.Query{Edge: graph.EdgeOnDevice}); ok {
		t.Error("a device edge can never end at a user: no statement, only an existence check")
	}
	if c, _ := s.neighborsCall(graph.Ref(graph.KindAccount, "a"), graph.Query{}); c.c != neighborsAccount {
		t.Error("an account's neighbours of every kind need both lists")
	}
	if c, _ := s.neighborsCall(graph.Ref(graph.KindAccount, "a"), graph.Query{Edge: graph.EdgeTo}); c.c != neighborsTo {
		t.Error("an account's TO neighbours need the TO statement")
	}
}

func BenchmarkPlanApply(b *testing.B) {
	batch := make([]graph.Mutation, 1024)
	for i := range batch {
		tx := goldenTxn
		tx.ID = "t" + string(rune('a'+i%26)) + time.Duration(i).String()
		batch[i] = graph.Mutation{Seq: uint64(i + 1), Txn: &tx}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := planApply(batch, DefaultBatchSize); err != nil {
			b.Fatal(err)
		}
	}
}
