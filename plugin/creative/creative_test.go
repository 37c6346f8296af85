package creative_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/plugin/creative"
	"github.com/riskgraph/riskgraph/signal"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func sig(subject string, band signal.Band, at time.Time, classes ...signal.Class) signal.Signal {
	if classes == nil {
		classes = []signal.Class{}
	}
	return signal.Signal{Version: 1, Subject: subject, Band: band, Txn: "t", Time: at, Reasons: classes}
}

var assets = []creative.Asset{
	{ID: "spring-campaign", Kind: creative.KindCampaign, Incentive: 10},
	{ID: "vip-lookbook", Kind: creative.KindLookbook, MaxBand: signal.BandLow, Incentive: 25},
	{ID: "broad-lookbook", Kind: creative.KindLookbook, MaxBand: signal.BandHigh},
	{ID: "cashback", Kind: creative.KindCampaign, Incentive: 5, Exclude: []signal.Class{signal.ClassAmount}},
}

func newC(t testing.TB, cfg creative.Config, now *time.Time) *creative.Creative {
	t.Helper()
	cfg.Now = func() time.Time { return *now }
	c, err := creative.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range assets {
		if err := c.Register(a); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func grant(id string, kind creative.Kind, incentive float64, held bool) creative.Grant {
	return creative.Grant{Asset: id, Kind: kind, Allowed: true, Incentive: incentive, HeldBack: held}
}

func TestTargets(t *testing.T) {
	clusters := map[string]string{"ring-member": "c1", "ring-sibling": "c1", "other": "c2"}
	tests := []struct {
		name    string
		signals []signal.Signal
		now     time.Time
		subject string
		want    []creative.Grant
	}{
		{"unknown is medium", nil, t0, "nobody", []creative.Grant{
			grant("broad-lookbook", creative.KindLookbook, 0, false),
			grant("cashback", creative.KindCampaign, 5, false),
			grant("spring-campaign", creative.KindCampaign, 10, false),
		}},
		{"low gets everything", []signal.Signal{sig("s", signal.BandLow, t0)}, t0, "s", []creative.Grant{
			grant("broad-lookbook", creative.KindLookbook, 0, false),
			grant("cashback", creative.KindCampaign, 5, false),
			grant("spring-campaign", creative.KindCampaign, 10, false),
			grant("vip-lookbook", creative.KindLookbook, 25, false),
		}},
		{"high only broad", []signal.Signal{sig("s", signal.BandHigh, t0, signal.ClassVelocity)}, t0, "s", []creative.Grant{
			grant("broad-lookbook", creative.KindLookbook, 0, false),
		}},
		{"critical nothing", []signal.Signal{sig("s", signal.BandCritical, t0)}, t0, "s", nil},
		{"worst band within window", []signal.Signal{sig("s", signal.BandHigh, t0), sig("s", signal.BandLow, t0.Add(time.Hour))}, t0.Add(2 * time.Hour), "s", []creative.Grant{
			grant("broad-lookbook", creative.KindLookbook, 0, false),
		}},
		{"window expires", []signal.Signal{sig("s", signal.BandHigh, t0)}, t0.Add(8 * 24 * time.Hour), "s", []creative.Grant{
			grant("broad-lookbook", creative.KindLookbook, 0, false),
			grant("cashback", creative.KindCampaign, 5, false),
			grant("spring-campaign", creative.KindCampaign, 10, false),
		}},
		{"excluded class", []signal.Signal{sig("s", signal.BandLow, t0, signal.ClassAmount)}, t0, "s", []creative.Grant{
			grant("broad-lookbook", creative.KindLookbook, 0, false),
			grant("spring-campaign", creative.KindCampaign, 10, false),
			grant("vip-lookbook", creative.KindLookbook, 25, false),
		}},
		{"ring evidence holds incentives", []signal.Signal{sig("s", signal.BandMedium, t0, signal.ClassDevice), sig("s", signal.BandLow, t0.Add(time.Hour))}, t0.Add(2 * time.Hour), "s", []creative.Grant{
			grant("broad-lookbook", creative.KindLookbook, 0, true),
			grant("cashback", creative.KindCampaign, 0, true),
			grant("spring-campaign", creative.KindCampaign, 0, true),
		}},
		{"ring class at low band is not ring evidence", []signal.Signal{sig("s", signal.BandLow, t0, signal.ClassIdentity)}, t0, "s", []creative.Grant{
			grant("broad-lookbook", creative.KindLookbook, 0, false),
			grant("cashback", creative.KindCampaign, 5, false),
			grant("spring-campaign", creative.KindCampaign, 10, false),
			grant("vip-lookbook", creative.KindLookbook, 25, false),
		}},
		{"cluster sibling held back", []signal.Signal{sig("ring-member", signal.BandHigh, t0, signal.ClassIdentity), sig("ring-sibling", signal.BandLow, t0)}, t0, "ring-sibling", []creative.Grant{
			grant("broad-lookbook", creative.KindLookbook, 0, true),
			grant("cashback", creative.KindCampaign, 0, true),
			grant("spring-campaign", creative.KindCampaign, 0, true),
			grant("vip-lookbook", creative.KindLookbook, 0, true),
		}},
		{"other cluster untouched", []signal.Signal{sig("ring-member", signal.BandHigh, t0, signal.ClassIdentity)}, t0, "other", []creative.Grant{
			grant("broad-lookbook", creative.KindLookbook, 0, false),
			grant("cashback", creative.KindCampaign, 5, false),
			grant("spring-campaign", creative.KindCampaign, 10, false),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.now
			c := newC(t, creative.Config{ClusterOf: func(s string) string { return clusters[s] }}, &now)
			for _, s := range tt.signals {
				if err := c.Handle(context.Background(), s); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(tt.want, c.Targets(tt.subject)); diff != "" {
				t.Errorf("Targets mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGate(t *testing.T) {
	now := t0
	c := newC(t, creative.Config{}, &now)
	if err := c.Handle(context.Background(), sig("s", signal.BandHigh, t0)); err != nil {
		t.Fatal(err)
	}
	got, err := c.Gate("s", "spring-campaign")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(creative.Grant{Asset: "spring-campaign", Kind: creative.KindCampaign}, got); diff != "" {
		t.Errorf("Gate mismatch (-want +got):\n%s", diff)
	}
	if _, err := c.Gate("s", "nope"); !errors.Is(err, creative.ErrUnknownAsset) {
		t.Errorf("Gate(unknown) = %v, want ErrUnknownAsset", err)
	}
}

func TestRegister(t *testing.T) {
	now := t0
	c := newC(t, creative.Config{}, &now)
	tests := []struct {
		name string
		a    creative.Asset
		want error
	}{
		{"duplicate", creative.Asset{ID: "cashback", Kind: creative.KindCampaign}, creative.ErrDuplicateAsset},
		{"no id", creative.Asset{Kind: creative.KindCampaign}, creative.ErrInvalidAsset},
		{"bad kind", creative.Asset{ID: "x", Kind: "banner"}, creative.ErrInvalidAsset},
		{"bad band", creative.Asset{ID: "x", Kind: creative.KindCampaign, MaxBand: "severe"}, creative.ErrInvalidAsset},
		{"negative incentive", creative.Asset{ID: "x", Kind: creative.KindCampaign, Incentive: -1}, creative.ErrInvalidAsset},
		{"bad class", creative.Asset{ID: "x", Kind: creative.KindCampaign, Exclude: []signal.Class{"AML_X"}}, creative.ErrInvalidAsset},
		{"ok", creative.Asset{ID: "x", Kind: creative.KindCampaign}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := c.Register(tt.a); !errors.Is(err, tt.want) {
				t.Errorf("Register() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestHandleRefusesCompliance(t *testing.T) {
	now := t0
	c := newC(t, creative.Config{}, &now)
	s := sig("s", signal.BandCritical, t0)
	s.Compliance = &signal.Compliance{AML: true}
	if err := c.Handle(context.Background(), s); !errors.Is(err, creative.ErrComplianceSignal) {
		t.Errorf("Handle(full) = %v, want ErrComplianceSignal", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     creative.Config
		wantErr bool
	}{
		{"defaults", creative.Config{}, false},
		{"negative window", creative.Config{Window: -time.Hour}, true},
		{"aml ring class", creative.Config{RingClasses: []signal.Class{signal.ClassAML}}, true},
		{"bad ring band", creative.Config{RingBand: "x"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, creative.ErrInvalidConfig)) {
				t.Errorf("Validate() = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func BenchmarkHandleTargets(b *testing.B) {
	now := t0
	c := newC(b, creative.Config{Capacity: 1024}, &now)
	ctx := context.Background()
	subjects := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s := subjects[i%len(subjects)]
		_ = c.Handle(ctx, sig(s, signal.BandMedium, t0, signal.ClassVelocity, signal.ClassDevice))
		_ = c.Targets(s)
		i++
	}
}
