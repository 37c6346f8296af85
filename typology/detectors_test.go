package typology_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/typology"
)

// found is what the scenario tests compare of an alert.
type found struct {
	Typology string
	Focus    string
	Members  string // space-separated account ids, in the alert's order
	Txns     int
	Amount   float64
}

func summarise(alerts []typology.Alert) []found {
	var out []found
	for _, a := range alerts {
		var ms []string
		for _, m := range a.Members {
			ms = append(ms, m.ID)
		}
		out = append(out, found{a.Typology, a.Focus.ID, strings.Join(ms, " "), len(a.Txns), a.Amount})
	}
	return out
}

// storeOf loads transactions into a fresh store.
func storeOf(tb testing.TB, txns []graph.Transaction) *mem.Store {
	tb.Helper()
	s := mem.New()
	tb.Cleanup(func() { s.Close() })
	for i := range txns {
		if _, err := s.Apply(context.Background(), graph.Mutation{Txn: &txns[i]}); err != nil {
			tb.Fatal(err)
		}
	}
	return s
}

// seq builds transfers: each step is "from>to@hours:amount".
func seq(prefix string, steps ...string) []graph.Transaction {
	var out []graph.Transaction
	for i, s := range steps {
		var from, to string
		var h, amt float64
		pair, rest, _ := strings.Cut(s, "@")
		from, to, _ = strings.Cut(pair, ">")
		if _, err := fmt.Sscanf(rest, "%g:%g", &h, &amt); err != nil {
			panic(fmt.Sprintf("bad step %q: %v", s, err))
		}
		out = append(out, xfer(fmt.Sprintf("%s%02d", prefix, i+1), t0.Add(hours(h)), from, to, amt))
	}
	return out
}

// fanOf makes n transfers between hub and distinct accounts, every gap
// hours from hour 0, of amount each; in says who pays whom.
func fanOf(prefix, hub string, n int, gap, amount float64, in bool) []string {
	var steps []string
	for i := range n {
		peer := fmt.Sprintf("%s%d", prefix, i+1)
		from, to := peer, hub
		if !in {
			from, to = hub, peer
		}
		steps = append(steps, fmt.Sprintf("%s>%s@%g:%g", from, to, float64(i)*gap, amount))
	}
	return steps
}

func TestDetectors(t *testing.T) {
	only := func(names ...string) typology.Config { return typology.Config{Typologies: names} }
	smurf := only(typology.FanIn)
	smurf.FanIn = typology.FanConfig{MinCounterparties: 3, MinTransfersEach: 2, MinTotal: -1}
	anyOrder := only(typology.Cycle)
	anyOrder.Cycle.AnyOrder = true
	tests := []struct {
		name  string
		steps []string
		cfg   typology.Config
		want  []found
	}{
		{
			name:  "fan-in of eight senders",
			steps: fanOf("s", "hub", 8, 1, 1600, true),
			cfg:   only(typology.FanIn),
			want:  []found{{typology.FanIn, "hub", "hub s1 s2 s3 s4 s5 s6 s7 s8", 8, 12800}},
		},
		{name: "seven senders are not a fan-in", steps: fanOf("s", "hub", 7, 1, 2000, true), cfg: only(typology.FanIn)},
		{name: "eight senders under the total are not a fan-in", steps: fanOf("s", "hub", 8, 1, 1400, true), cfg: only(typology.FanIn)},
		{name: "eight senders over a day and a half are not a fan-in", steps: fanOf("s", "hub", 8, 5, 2000, true), cfg: only(typology.FanIn)},
		{
			name: "smurfing fan-in: each sender pays twice",
			steps: []string{"s1>hub@0:5", "s1>hub@0:6", "s2>hub@1:5", "s2>hub@1:4", "s3>hub@2:5",
				"s4>hub@3:7", "s3>hub@3:5"},
			cfg:  smurf,
			want: []found{{typology.FanIn, "hub", "hub s1 s2 s3", 6, 30}},
		},
		{
			name:  "fan-out over hours",
			steps: fanOf("r", "hub", 10, 2, 1500, false),
			cfg:   only(typology.FanOut),
			want:  []found{{typology.FanOut, "hub", "hub r1 r2 r3 r4 r5 r6 r7 r8 r9 r10", 10, 15000}},
		},
		{name: "a payroll run is not a fan-out", steps: fanOf("e", "employer", 40, 0.002, 2500, false), cfg: only(typology.FanOut)},
		{
			name:  "temporal cycle",
			steps: []string{"a1>a2@0:12000", "a2>a3@3:11900", "a3>a1@7:11800"},
			cfg:   only(typology.Cycle),
			want:  []found{{typology.Cycle, "a1", "a1 a2 a3", 3, 35700}},
		},
		{
			name:  "temporal cycle, the last hop arriving first in the log",
			steps: []string{"a3>a4@9:11700", "a1>a2@0:12000", "a2>a3@3:11900", "a4>a1@12:11600"},
			cfg:   only(typology.Cycle),
			want:  []found{{typology.Cycle, "a1", "a1 a2 a3 a4", 4, 47200}},
		},
		{name: "a loop whose hops run backwards in time is not a cycle", steps: []string{"a1>a2@7:12000", "a2>a3@3:11900", "a3>a1@0:11800"}, cfg: only(typology.Cycle)},
		{
			name:  "any-order cycles accept it",
			steps: []string{"a1>a2@7:12000", "a2>a3@3:11900", "a3>a1@0:11800"},
			cfg:   anyOrder,
			want:  []found{{typology.Cycle, "a3", "a3 a1 a2", 3, 35700}},
		},
		{name: "a loop whose amount halves is not a cycle", steps: []string{"a1>a2@0:12000", "a2>a3@3:6000", "a3>a1@7:5900"}, cfg: only(typology.Cycle)},
		{name: "a loop slower than the window is not a cycle", steps: []string{"a1>a2@0:12000", "a2>a3@40:11900", "a3>a1@80:11800"}, cfg: only(typology.Cycle)},
		{name: "paying back is not a cycle", steps: []string{"a1>a2@0:12000", "a2>a1@5:12000"}, cfg: only(typology.Cycle)},
		{
			name:  "structuring",
			steps: []string{"a1>b1@0:9500", "a1>b2@30:9800", "a1>b1@100:9000", "a1>b3@110:10000"},
			cfg:   only(typology.Structuring),
			want:  []found{{typology.Structuring, "a1", "a1 b1 b2", 3, 28300}},
		},
		{name: "two transfers under the threshold are not structuring", steps: []string{"a1>b1@0:9500", "a1>b2@30:9800", "a1>b3@40:10000"}, cfg: only(typology.Structuring)},
		{name: "transfers eleven days apart are not structuring", steps: []string{"a1>b1@0:9500", "a1>b2@130:9800", "a1>b1@264:9900"}, cfg: only(typology.Structuring)},
		{
			name:  "rapid pass-through",
			steps: []string{"s>p@0:8000", "p>r@2:7900"},
			cfg:   only(typology.RapidPassThrough),
			want:  []found{{typology.RapidPassThrough, "p", "p s r", 2, 15900}},
		},
		{name: "money that stays eight hours is not a pass-through", steps: []string{"s>p@0:8000", "p>r@8:7900"}, cfg: only(typology.RapidPassThrough)},
		{name: "paying out part is not a pass-through", steps: []string{"s>p@0:8000", "p>r@1:5000"}, cfg: only(typology.RapidPassThrough)},
		{
			name:  "mule chain",
			steps: []string{"a1>a2@0:5000", "a2>a3@1:4900", "a3>a4@2:4800", "a4>a5@3:4700"},
			cfg:   only(typology.MuleChain),
			want:  []found{{typology.MuleChain, "a1", "a1 a2 a3 a4 a5", 4, 19400}},
		},
		{name: "a relay that waits 30 hours breaks the chain", steps: []string{"a1>a2@0:5000", "a2>a3@1:4900", "a3>a4@31:4800"}, cfg: only(typology.MuleChain)},
		{
			name: "scatter-gather",
			steps: []string{"src>m1@0:10000", "src>m2@1:9000", "src>m3@3:11000",
				"m1>sink@5:9800", "m2>sink@7:8900", "m3>sink@20:10800"},
			cfg:  only(typology.ScatterGather),
			want: []found{{typology.ScatterGather, "src", "src m1 m2 m3 sink", 6, 59500}},
		},
		{
			name: "gather-scatter",
			steps: append(fanOf("s", "hub", 5, 2, 2500, true),
				"hub>r1@12:2450", "hub>r2@13:2450", "hub>r3@14:2450", "hub>r4@15:2450", "hub>r5@16:2450"),
			cfg:  only(typology.GatherScatter),
			want: []found{{typology.GatherScatter, "hub", "hub s1 s2 s3 s4 s5 r1 r2 r3 r4 r5", 10, 24750}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := storeOf(t, seq("t", tc.steps...))
			alerts, err := typology.Detect(context.Background(), s, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, summarise(alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			for _, a := range alerts {
				if !strings.HasPrefix(a.ID, a.Typology+"-") || a.Detail == "" || a.Severity == "" || a.End.Before(a.Start) || a.At.Before(a.Start) {
					t.Errorf("malformed alert %+v", a)
				}
			}
		})
	}
}

// TestAlertFields checks one alert in full: ids, times, severity, detail.
func TestAlertFields(t *testing.T) {
	steps := fanOf("s", "hub", 16, 1, 1600, true)
	s := storeOf(t, seq("t", steps...))
	cfg := typology.Config{Typologies: []string{typology.FanIn}}
	alerts, err := typology.Detect(context.Background(), s, cfg)
	if err != nil || len(alerts) != 1 {
		t.Fatalf("Detect = %d alerts, %v; want 1", len(alerts), err)
	}
	a := alerts[0]
	want := typology.Alert{
		ID:       a.ID,
		Typology: typology.FanIn,
		Severity: typology.SeverityHigh, // 16 senders: twice the minimum
		Focus:    graph.Ref(graph.KindAccount, "hub"),
		Members:  a.Members,
		Txns:     []string{"t01", "t02", "t03", "t04", "t05", "t06", "t07", "t08", "t09", "t10", "t11", "t12", "t13", "t14", "t15", "t16"},
		Start:    t0,
		End:      t0.Add(15 * time.Hour),
		At:       t0.Add(7 * time.Hour), // the eighth sender completed it
		Amount:   25600,
		Detail:   "16 senders into one account in 15h, 25,600.00 total",
	}
	if diff := cmp.Diff(want, a); diff != "" {
		t.Errorf("alert (-want +got):\n%s", diff)
	}
	if len(a.Members) != 17 || a.Members[0] != want.Focus {
		t.Errorf("members %s: want the hub first, then 16 senders", refsString(a.Members))
	}
	again, err := typology.Detect(context.Background(), s, cfg)
	if err != nil || len(again) != 1 || again[0].ID != a.ID {
		t.Errorf("a second Detect gave %v, %v; want the same id %s", again, err, a.ID)
	}
	// Since after the pattern ended drops it; since inside it keeps it.
	for _, tc := range []struct {
		since time.Time
		want  int
	}{{t0.Add(16 * time.Hour), 0}, {t0.Add(10 * time.Hour), 1}} {
		cfg.Since = tc.since
		got, err := typology.Detect(context.Background(), s, cfg)
		if err != nil || len(got) != tc.want || (tc.want == 1 && got[0].ID != a.ID) {
			t.Errorf("Detect since %v = %d alerts (%v), want %d with id %s", tc.since, len(got), err, tc.want, a.ID)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		cfg   typology.Config
		field string // "" for valid
	}{
		{name: "zero is the defaults", cfg: typology.Config{}},
		{name: "unknown typology", cfg: typology.Config{Typologies: []string{"smurfing"}}, field: "Typologies"},
		{name: "one fan counterparty", cfg: typology.Config{FanIn: typology.FanConfig{MinCounterparties: 1}}, field: "FanIn.MinCounterparties"},
		{name: "negative window", cfg: typology.Config{FanOut: typology.FanConfig{Window: -time.Hour}}, field: "FanOut.Window"},
		{name: "NaN total", cfg: typology.Config{FanIn: typology.FanConfig{MinTotal: math.NaN()}}, field: "FanIn.MinTotal"},
		{name: "bulk of one", cfg: typology.Config{FanOut: typology.FanConfig{BulkMin: 1}}, field: "FanOut.BulkMin"},
		{name: "cycle too long", cfg: typology.Config{Cycle: typology.CycleConfig{MaxLen: 9}}, field: "Cycle.MinLen"},
		{name: "cycle min over max", cfg: typology.Config{Cycle: typology.CycleConfig{MinLen: 5, MaxLen: 4}}, field: "Cycle.MinLen"},
		{name: "negative tolerance", cfg: typology.Config{Cycle: typology.CycleConfig{AmountTolerance: -0.1}}, field: "Cycle.AmountTolerance"},
		{name: "band of one", cfg: typology.Config{Structuring: typology.StructuringConfig{Band: 1}}, field: "Structuring.Band"},
		{name: "ratios inverted", cfg: typology.Config{PassThrough: typology.PassThroughConfig{MinRatio: 0.99, MaxRatio: 0.9}}, field: "PassThrough.MinRatio"},
		{name: "chain of one hop", cfg: typology.Config{MuleChain: typology.ChainConfig{MinHops: 1}}, field: "MuleChain.MinHops"},
		{name: "one intermediary", cfg: typology.Config{ScatterGather: typology.ScatterGatherConfig{MinIntermediaries: 1}}, field: "ScatterGather.MinIntermediaries"},
		{name: "merchant identifiers", cfg: typology.Config{Ring: typology.RingConfig{Kinds: []graph.Kind{graph.KindMerchant}}}, field: "Ring.Kinds"},
		{name: "ring smaller than its minimum", cfg: typology.Config{Ring: typology.RingConfig{MinUsers: 10, MaxMembers: 5}}, field: "Ring.MaxMembers"},
		{name: "tiny account cap", cfg: typology.Config{MaxEdgesPerAccount: 4}, field: "MaxEdgesPerAccount"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil || !errors.Is(err, typology.ErrConfig) || !errors.Is(err, graph.ErrInvalid) || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("Validate = %v; want an ErrConfig (and graph.ErrInvalid) naming %s", err, tc.field)
			}
			if _, err := typology.NewEngine(tc.cfg); err == nil {
				t.Errorf("NewEngine accepted the config")
			}
		})
	}
}

// plainGraph hides the embedded store's cheap reads, so Detect takes the
// path any graph.Store gets.
type plainGraph struct{ typology.Graph }

func TestDetectReadPaths(t *testing.T) {
	s := identities(t)
	steps := append(fanOf("s", "hub", 9, 1, 1600, true), "a1>a2@0:12000", "a2>a3@3:11900", "a3>a1@7:11800")
	for i, tx := range seq("x", steps...) {
		tx.ID = fmt.Sprintf("x%03d", i)
		if _, err := s.Apply(context.Background(), graph.Mutation{Txn: &tx}); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	fast, err := typology.Detect(ctx, s, typology.Config{})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := typology.Detect(ctx, plainGraph{s}, typology.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fast) < 4 {
		t.Fatalf("%d alerts; want rings, a fan-in and a cycle", len(fast))
	}
	if diff := cmp.Diff(fast, plain); diff != "" {
		t.Errorf("alerts through a plain graph differ (-mem +plain):\n%s", diff)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, g := range []typology.Graph{s, plainGraph{s}} {
		if _, err := typology.Detect(cancelled, g, typology.Config{}); !errors.Is(err, context.Canceled) {
			t.Errorf("Detect with a cancelled context (%T) = %v, want context.Canceled", g, err)
		}
	}
}
