package personalization_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/plugin/personalization"
	"github.com/riskgraph/riskgraph/signal"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func sig(subject string, band signal.Band, at time.Time) signal.Signal {
	return signal.Signal{Version: 1, Subject: subject, Band: band, Txn: "t", Time: at, Reasons: []signal.Class{}}
}

func newP(t testing.TB, cfg personalization.Config, now *time.Time) *personalization.Personalizer {
	t.Helper()
	cfg.Now = func() time.Time { return *now }
	p, err := personalization.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEligibility(t *testing.T) {
	type step struct {
		band signal.Band
		at   time.Duration // after t0
	}
	tests := []struct {
		name  string
		steps []step
		now   time.Duration
		want  personalization.Offer
	}{
		{"unknown", nil, 0, personalization.Offer{Subject: "s", Tier: personalization.TierStandard, Offers: true}},
		{"low", []step{{signal.BandLow, 0}}, time.Minute,
			personalization.Offer{Subject: "s", Band: signal.BandLow, Known: true, Tier: personalization.TierPreferred, InstantCheckout: true, CreditIncrease: true, Offers: true}},
		{"medium", []step{{signal.BandMedium, 0}}, time.Minute,
			personalization.Offer{Subject: "s", Band: signal.BandMedium, Known: true, Tier: personalization.TierStandard, Offers: true}},
		{"high", []step{{signal.BandHigh, 0}}, time.Minute,
			personalization.Offer{Subject: "s", Band: signal.BandHigh, Known: true, Tier: personalization.TierRestricted, StepUp: true, Offers: true}},
		{"critical", []step{{signal.BandCritical, 0}}, time.Minute,
			personalization.Offer{Subject: "s", Band: signal.BandCritical, Known: true, Tier: personalization.TierSuppressed, StepUp: true}},
		{"critical held after a low", []step{{signal.BandCritical, 0}, {signal.BandLow, time.Hour}}, 2 * time.Hour,
			personalization.Offer{Subject: "s", Band: signal.BandCritical, Known: true, Tier: personalization.TierSuppressed, StepUp: true}},
		{"hold expires", []step{{signal.BandCritical, 0}, {signal.BandLow, time.Hour}}, 25 * time.Hour,
			personalization.Offer{Subject: "s", Band: signal.BandLow, Known: true, Tier: personalization.TierPreferred, InstantCheckout: true, CreditIncrease: true, Offers: true}},
		{"late older signal does not replace latest", []step{{signal.BandLow, time.Hour}, {signal.BandMedium, 0}}, 30 * time.Hour,
			personalization.Offer{Subject: "s", Band: signal.BandLow, Known: true, Tier: personalization.TierPreferred, InstantCheckout: true, CreditIncrease: true, Offers: true}},
		{"ttl forgets", []step{{signal.BandHigh, 0}}, 31 * 24 * time.Hour,
			personalization.Offer{Subject: "s", Tier: personalization.TierStandard, Offers: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0
			p := newP(t, personalization.Config{}, &now)
			for _, st := range tt.steps {
				if err := p.Handle(context.Background(), sig("s", st.band, t0.Add(st.at))); err != nil {
					t.Fatal(err)
				}
			}
			now = t0.Add(tt.now)
			if diff := cmp.Diff(tt.want, p.Eligibility("s")); diff != "" {
				t.Errorf("Eligibility mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHandleRefuses(t *testing.T) {
	now := t0
	p := newP(t, personalization.Config{}, &now)
	full := sig("s", signal.BandCritical, t0)
	full.Compliance = &signal.Compliance{AML: true}
	if err := p.Handle(context.Background(), full); !errors.Is(err, personalization.ErrComplianceSignal) {
		t.Errorf("Handle(full) = %v, want ErrComplianceSignal", err)
	}
	if err := p.Handle(context.Background(), sig("s", "severe", t0)); !errors.Is(err, signal.ErrInvalidSignal) {
		t.Errorf("Handle(bad band) = %v, want ErrInvalidSignal", err)
	}
	if got := p.Eligibility("s"); got.Known {
		t.Errorf("refused signals were recorded: %+v", got)
	}
}

func TestCapacityEvicts(t *testing.T) {
	now := t0
	p := newP(t, personalization.Config{Capacity: 2}, &now)
	for _, s := range []string{"a", "b", "c"} {
		if err := p.Handle(context.Background(), sig(s, signal.BandHigh, t0)); err != nil {
			t.Fatal(err)
		}
	}
	if p.Eligibility("a").Known || !p.Eligibility("b").Known || !p.Eligibility("c").Known {
		t.Errorf("want a evicted and b, c kept")
	}
	if st := p.Stats(); st.Subjects != 2 || st.Evicted != 1 || st.Handled != 3 {
		t.Errorf("Stats() = %+v", st)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     personalization.Config
		wantErr bool
	}{
		{"defaults", personalization.Config{}, false},
		{"negative capacity", personalization.Config{Capacity: -1}, true},
		{"negative hold", personalization.Config{Hold: -time.Second}, true},
		{"ttl below hold", personalization.Config{Hold: 2 * time.Hour, TTL: time.Hour}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, personalization.ErrInvalidConfig)) {
				t.Errorf("Validate() = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func BenchmarkHandle(b *testing.B) {
	now := t0
	p := newP(b, personalization.Config{Capacity: 1024}, &now)
	subjects := make([]string, 4096)
	for i := range subjects {
		subjects[i] = string(rune('a'+i%26)) + time.Duration(i).String()
	}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = p.Handle(ctx, sig(subjects[i%len(subjects)], signal.BandHigh, t0))
		_ = p.Eligibility(subjects[(i+7)%len(subjects)])
		i++
	}
}
