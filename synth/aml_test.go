package synth

import (
	"testing"
	"time"
)

// Every laundering row is a transfer between two distinct accounts.
func checkTransfers(t *testing.T, in []row) {
	t.Helper()
	for _, r := range in {
		if r.Kind != "transfer" || r.Account == "" || r.Counterparty == "" || r.Account == r.Counterparty {
			t.Fatalf("instance %d: row %s is not a transfer between two accounts: %+v", r.inst, r.ID, r.Transaction)
		}
	}
}

func TestFanInFanOut(t *testing.T) {
	for _, tt := range []struct {
		pattern string
		hub     func(row) string // the account every row touches
		other   func(row) string
	}{
		{PatternFanIn, func(r row) string { return r.Counterparty }, func(r row) string { return r.Account }},
		{PatternFanOut, func(r row) string { return r.Account }, func(r row) string { return r.Counterparty }},
	} {
		for _, in := range instances(t, tt.pattern) {
			checkTransfers(t, in)
			hub := tt.hub(in[0])
			var others []string
			for _, r := range in {
				if tt.hub(r) != hub {
					t.Fatalf("%s instance %d: rows on hubs %s and %s", tt.pattern, r.inst, hub, tt.hub(r))
				}
				others = append(others, tt.other(r))
			}
			if n := distinct(others); n < 8 || n != len(in) {
				t.Errorf("%s instance %d: %d rows with %d distinct parties, want ≥ 8, all distinct", tt.pattern, in[0].inst, len(in), n)
			}
			if span := in[len(in)-1].Time.Sub(in[0].Time); span > 48*time.Hour {
				t.Errorf("%s instance %d: spread over %v, want within 48h", tt.pattern, in[0].inst, span)
			}
		}
	}
}

func TestCycle(t *testing.T) {
	for _, in := range instances(t, PatternCycle) {
		checkTransfers(t, in)
		if n := len(in); n < 3 || n > 6 {
			t.Fatalf("instance %d: %d hops, want 3–6", in[0].inst, n)
		}
		accounts := make([]string, len(in))
		for i, r := range in {
			accounts[i] = r.Account
			next := in[(i+1)%len(in)]
			if r.Counterparty != next.Account {
				t.Fatalf("instance %d: hop %d pays %s but hop %d leaves from %s: not a loop", r.inst, i, r.Counterparty, (i+1)%len(in), next.Account)
			}
			if i > 0 && (!r.Time.After(in[i-1].Time) || r.Amount >= in[i-1].Amount || r.Amount < 0.97*in[i-1].Amount) {
				t.Errorf("instance %d: hop %d at %v for %.2f after %v for %.2f: want later, 0.5–2%% less",
					r.inst, i, r.Time, r.Amount, in[i-1].Time, in[i-1].Amount)
			}
		}
		if distinct(accounts) != len(in) {
			t.Errorf("instance %d: loop %v revisits an account", in[0].inst, accounts)
		}
	}
}

func TestScatterGather(t *testing.T) {
	for _, in := range instances(t, PatternScatterGather) {
		checkTransfers(t, in)
		src := in[0].Account
		received := map[string]row{} // intermediary → payment in
		sinks := map[string]bool{}
		for _, r := range in {
			switch {
			case r.Account == src:
				received[r.Counterparty] = r
			default:
				got, ok := received[r.Account]
				if !ok || !r.Time.After(got.Time) || r.Amount >= got.Amount || r.Amount < 0.96*got.Amount {
					t.Fatalf("instance %d: %s pays %.2f at %v without having received from %s just before (%+v)",
						r.inst, r.Account, r.Amount, r.Time, src, got.Transaction)
				}
				sinks[r.Counterparty] = true
			}
		}
		if n := len(received); n < 3 || n > 8 || len(in) != 2*n || len(sinks) != 1 || sinks[src] {
			t.Errorf("instance %d: %d intermediaries, %d rows, sinks %v; want 3–8 intermediaries into one other sink", in[0].inst, n, len(in), sinks)
		}
	}
}

func TestGatherScatter(t *testing.T) {
	for _, in := range instances(t, PatternGatherScatter) {
		checkTransfers(t, in)
		hub := in[0].Counterparty
		var senders, receivers []string
		var total, paid float64
		for _, r := range in {
			switch {
			case r.Counterparty == hub:
				if len(receivers) > 0 {
					t.Fatalf("instance %d: money into the hub after money out", r.inst)
				}
				senders = append(senders, r.Account)
				total += r.Amount
			case r.Account == hub:
				receivers = append(receivers, r.Counterparty)
				paid += r.Amount
			default:
				t.Fatalf("instance %d: row %s bypasses the hub", r.inst, r.ID)
			}
		}
		if distinct(senders) < 5 || distinct(receivers) < 5 || paid >= total || paid < 0.94*total {
			t.Errorf("instance %d: %d senders paid %.2f, %d receivers got %.2f; want ≥ 5 each, 95–99%% passed on",
				in[0].inst, distinct(senders), total, distinct(receivers), paid)
		}
	}
}

func TestStructuring(t *testing.T) {
	threshold := defaultConfig.threshold()
	for _, in := range instances(t, PatternStructuring) {
		checkTransfers(t, in)
		if len(in) < 3 {
			t.Errorf("instance %d: %d transfers, want ≥ 3", in[0].inst, len(in))
		}
		for _, r := range in {
			if r.Account != in[0].Account {
				t.Fatalf("instance %d: several senders", r.inst)
			}
			// 50 below 0.9·T: the rounding down to a multiple of 50.
			if r.Amount >= threshold || r.Amount < 0.9*threshold-50 {
				t.Errorf("instance %d: %.2f is not just under the threshold %.0f", r.inst, r.Amount, threshold)
			}
		}
	}
}

func TestRapidPassThrough(t *testing.T) {
	for _, in := range instances(t, PatternRapidPassThrough) {
		checkTransfers(t, in)
		// The pass-through account is the one that both receives and pays.
		recv := map[string]bool{}
		for _, r := range in {
			recv[r.Counterparty] = true
		}
		var p string
		for _, r := range in {
			if recv[r.Account] {
				p = r.Account
			}
		}
		var pending []row // payments into p not yet passed on
		for _, r := range in {
			switch {
			case r.Counterparty == p:
				pending = append(pending, r)
			case r.Account == p:
				if len(pending) == 0 {
					t.Fatalf("instance %d: %s pays out before receiving", r.inst, p)
				}
				got := pending[0]
				pending = pending[1:]
				if gap := r.Time.Sub(got.Time); gap <= 0 || gap > 3*time.Hour || r.Amount > got.Amount || r.Amount < 0.97*got.Amount-0.01 {
					t.Errorf("instance %d: %.2f in, %.2f out %v later; want 97–99.9%% within 3h", r.inst, got.Amount, r.Amount, gap)
				}
			default:
				t.Fatalf("instance %d: row %s bypasses %s", r.inst, r.ID, p)
			}
		}
		if p == "" || len(pending) != 0 {
			t.Errorf("instance %d: pass-through account %q, %d payments not passed on", in[0].inst, p, len(pending))
		}
	}
}
