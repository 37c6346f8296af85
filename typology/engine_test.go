package typology_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/feature"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/typology"
)

var _ feature.TypologyCounter = (*typology.Engine)(nil)

// TestEngineMatchesDetect feeds generated traffic to an Engine as it
// would arrive and checks that it raises exactly the transfer alerts that
// Detect finds over the same history, each once, when it completes.
func TestEngineMatchesDetect(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("generates 50,000 transactions; skipped with -short")
	}
	w := plantedWorld(t)
	cfg := typology.Config{}
	e, err := typology.NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var raised []string
	at := map[string]time.Time{}
	for i := range w.rows {
		for _, a := range e.Observe(&w.rows[i]) {
			raised = append(raised, a.ID)
			at[a.ID] = a.At
			if a.At != w.rows[i].Time {
				t.Errorf("alert %s raised by a transfer at %v says At %v", a.ID, w.rows[i].Time, a.At)
			}
		}
	}
	alerts, err := typology.Detect(context.Background(), w.store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, a := range alerts {
		if a.Typology != typology.SharedIDRing {
			want = append(want, a.ID)
			if !at[a.ID].Equal(a.At) {
				t.Errorf("alert %s: Detect says At %v, the engine raised it at %v", a.ID, a.At, at[a.ID])
			}
		}
	}
	if len(want) < 50 {
		t.Fatalf("only %d transfer alerts; the comparison needs more", len(want))
	}
	slices.Sort(want)
	slices.Sort(raised)
	if diff := cmp.Diff(want, raised); diff != "" {
		t.Errorf("engine alerts differ from Detect's (-detect +engine):\n%s", diff)
	}
}

// TestEngineHits checks the counts that feed the GNN's features.
func TestEngineHits(t *testing.T) {
	e, err := typology.NewEngine(typology.Config{Typologies: []string{typology.FanIn}})
	if err != nil {
		t.Fatal(err)
	}
	txns := seq("t", fanOf("s", "hub", 10, 1, 1600, true)...)
	for i := range txns {
		e.Observe(&txns[i])
	}
	hub, s1, s9 := graph.Ref(graph.KindAccount, "hub"), graph.Ref(graph.KindAccount, "s1"), graph.Ref(graph.KindAccount, "s9")
	u1 := graph.Ref(graph.KindUser, "us1") // xfer's user for account s1
	tests := []struct {
		name   string
		ref    graph.NodeRef
		before time.Time
		want   int
	}{
		{"hub before the fan completed", hub, t0.Add(7 * time.Hour), 0},
		{"hub after", hub, t0.Add(7*time.Hour + time.Second), 1},
		{"early sender after", s1, t0.Add(8 * time.Hour), 1},
		{"late sender when it joined", s9, t0.Add(8 * time.Hour), 0},
		{"late sender after it joined", s9, t0.Add(9 * time.Hour), 1},
		{"the sender's user", u1, t0.Add(24 * time.Hour), 1},
		{"a stranger", graph.Ref(graph.KindAccount, "nobody"), t0.Add(24 * time.Hour), 0},
	}
	for _, tc := range tests {
		if got := e.Hits(tc.ref, tc.before); got != tc.want {
			t.Errorf("%s: Hits(%s, %v) = %d, want %d", tc.name, tc.ref, tc.before, got, tc.want)
		}
	}
	// Alerts found elsewhere count too.
	ring := typology.Alert{Typology: typology.SharedIDRing, At: t0.Add(time.Hour), Members: []graph.NodeRef{hub, graph.Ref(graph.KindDevice, "d1")}}
	e.Record(ring)
	if got, err := e.TypologyHits(context.Background(), hub, t0.Add(24*time.Hour)); got != 2 || err != nil {
		t.Errorf("TypologyHits(hub) after Record = %d, %v; want 2", got, err)
	}
	if got := e.Hits(graph.Ref(graph.KindDevice, "d1"), t0.Add(2*time.Hour)); got != 1 {
		t.Errorf("Hits(device) after Record = %d, want 1", got)
	}
}

// TestEngineMemoryBounded runs two months of traffic through an Engine
// and checks that it holds only the transfers of its window.
func TestEngineMemoryBounded(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("generates 60,000 transactions; skipped with -short")
	}
	w := genWorld(t, normalOnly(9, 1000, 60), true)
	e, err := typology.NewEngine(typology.Config{})
	if err != nil {
		t.Fatal(err)
	}
	transfers := 0
	var times []time.Time
	for i := range w.rows {
		e.Observe(&w.rows[i])
		if w.rows[i].Counterparty != "" {
			transfers++
			times = append(times, w.rows[i].Time)
		}
	}
	st := e.Stats()
	// The longest default window is structuring's 10 days; accounts are
	// swept every half window, so at most 15 days of transfers are held,
	// each twice (sender and receiver).
	since := st.Clock.Add(-15 * 24 * time.Hour)
	recent := len(times) - sort.Search(len(times), func(i int) bool { return !times[i].Before(since) })
	t.Logf("%d transfers over 60 days; the engine holds %d edges of %d accounts (%d transfers in its last 15 days)", transfers, st.Edges, st.Accounts, recent)
	if st.Edges > 2*recent {
		t.Errorf("engine holds %d edges, more than twice the %d transfers of the last 15 days", st.Edges, recent)
	}
	if st.Edges >= transfers {
		t.Errorf("engine holds %d edges for %d transfers: nothing was forgotten", st.Edges, transfers)
	}
}

func TestEngineIgnores(t *testing.T) {
	e, err := typology.NewEngine(typology.Config{})
	if err != nil {
		t.Fatal(err)
	}
	purchase := graph.Transaction{ID: "p1", Time: t0, Amount: 20, User: "u1", Card: "c1", Merchant: "m1"}
	self := xfer("x1", t0, "a1", "a1", 5000)
	nan, neg, inf, untimed := xfer("n1", t0, "a1", "a2", math.NaN()), xfer("n2", t0, "a1", "a2", -5), xfer("n3", t0, "a1", "a2", math.Inf(1)), xfer("n4", time.Time{}, "a1", "a2", 5)
	for _, tx := range []*graph.Transaction{nil, &purchase, &self, &nan, &neg, &inf, &untimed} {
		if got := e.Observe(tx); got != nil {
			t.Errorf("Observe(%+v) = %v, want nil", tx, got)
		}
	}
	if st := e.Stats(); st.Edges != 0 {
		t.Errorf("engine holds %d edges after ignoring everything", st.Edges)
	}
	// A transfer older than the longest window is late and ignored.
	now, old := xfer("x2", t0.Add(30*24*time.Hour), "a1", "a2", 10), xfer("x3", t0, "a3", "a4", 10)
	e.Observe(&now)
	e.Observe(&old)
	if st := e.Stats(); st.Late != 1 || st.Edges != 2 {
		t.Errorf("after a late transfer: %+v; want 1 late and 2 edges held", st)
	}
}

// TestEngineConcurrent observes and reads from several goroutines (run
// with -race).
func TestEngineConcurrent(t *testing.T) {
	e, err := typology.NewEngine(typology.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			txns := seq("g"+string(rune('a'+g)), fanOf("s"+string(rune('a'+g)), "hub", 30, 0.5, 1600, true)...)
			for i := range txns {
				e.Observe(&txns[i])
				e.Hits(graph.Ref(graph.KindAccount, "hub"), t0.Add(48*time.Hour))
			}
		}()
	}
	wg.Wait()
	if got := e.Hits(graph.Ref(graph.KindAccount, "hub"), t0.Add(48*time.Hour)); got != 1 {
		t.Errorf("hub hits = %d, want 1 (one fan-in that kept growing)", got)
	}
}

// HitsByTypology splits Hits by typology, with the same as-of cut.
func TestHitsByTypology(t *testing.T) {
	e, err := typology.NewEngine(typology.Config{})
	if err != nil {
		t.Fatal(err)
	}
	acc := graph.Ref(graph.KindAccount, "a1")
	t0 := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	e.Record(
		typology.Alert{ID: "x1", Typology: typology.FanIn, Members: []graph.NodeRef{acc}, At: t0},
		typology.Alert{ID: "x2", Typology: typology.Cycle, Members: []graph.NodeRef{acc}, At: t0.Add(time.Hour)},
		typology.Alert{ID: "x3", Typology: typology.FanIn, Members: []graph.NodeRef{acc}, At: t0.Add(2 * time.Hour)},
	)
	for _, tc := range []struct {
		before time.Time
		want   map[string]int
	}{
		{t0, nil},
		{t0.Add(time.Minute), map[string]int{typology.FanIn: 1}},
		{t0.Add(90 * time.Minute), map[string]int{typology.FanIn: 1, typology.Cycle: 1}},
		{t0.Add(3 * time.Hour), map[string]int{typology.FanIn: 2, typology.Cycle: 1}},
	} {
		got := e.HitsByTypology(acc, tc.before, nil)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("before %v (-want +got):\n%s", tc.before, diff)
		}
		total := 0
		for _, n := range got {
			total += n
		}
		if h := e.Hits(acc, tc.before); h != total {
			t.Errorf("before %v: Hits %d, by typology %d", tc.before, h, total)
		}
	}
}

// A transfer observed twice (authorization path and log consumer) counts
// once: the pattern is raised exactly as with one observation.
func TestObserveIsIdempotentByID(t *testing.T) {
	once, _ := typology.NewEngine(typology.Config{})
	twice, _ := typology.NewEngine(typology.Config{})
	t0 := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	var a1, a2 []typology.Alert
	for i := range 40 {
		tx := &graph.Transaction{ID: fmt.Sprintf("f%d", i), Time: t0.Add(time.Duration(i) * time.Minute), Amount: 900,
			Account: fmt.Sprintf("s%d", i), Counterparty: "hub"}
		a1 = append(a1, once.Observe(tx)...)
		a2 = append(a2, twice.Observe(tx)...)
		a2 = append(a2, twice.Observe(tx)...)
	}
	if len(a1) == 0 {
		t.Fatal("40 senders into one account in 40 minutes raised nothing")
	}
	if diff := cmp.Diff(a1, a2); diff != "" {
		t.Errorf("observing each transfer twice changed the alerts (-once +twice):\n%s", diff)
	}
	if h1, h2 := once.Hits(graph.Ref(graph.KindAccount, "hub"), t0.Add(time.Hour)), twice.Hits(graph.Ref(graph.KindAccount, "hub"), t0.Add(time.Hour)); h1 != h2 {
		t.Errorf("hits %d once, %d twice", h1, h2)
	}
}

// Alerts recorded from the alert log (a restarted serve restores its hits)
// and the same alerts raised again by observing their transfers count once.
func TestRecordedAndRaisedAlertsCountOnce(t *testing.T) {
	t0 := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	var txns []*graph.Transaction
	for i := range 40 {
		txns = append(txns, &graph.Transaction{ID: fmt.Sprintf("c%d", i), Time: t0.Add(time.Duration(i) * time.Minute), Amount: 900,
			Account: fmt.Sprintf("s%d", i), Counterparty: "hub"})
	}
	first, _ := typology.NewEngine(typology.Config{})
	var raised []typology.Alert
	for _, tx := range txns {
		raised = append(raised, first.Observe(tx)...)
	}
	if len(raised) == 0 {
		t.Fatal("no alert raised")
	}
	hub := graph.Ref(graph.KindAccount, "hub")
	after := t0.Add(2 * time.Hour)
	restarted, _ := typology.NewEngine(typology.Config{})
	restarted.Record(raised...)
	restored := restarted.Hits(hub, after)
	if restored == 0 {
		t.Fatal("recorded alerts gave the hub no hits")
	}
	for _, tx := range txns {
		restarted.Observe(tx)
	}
	if got := restarted.Hits(hub, after); got != restored {
		t.Errorf("hub hits %d after re-raising the recorded alerts, want %d (counted once)", got, restored)
	}
}
