package creative_test

import (
	"context"
	"fmt"
	"time"

	"github.com/riskgraph/riskgraph/plugin/creative"
	"github.com/riskgraph/riskgraph/signal"
)

func ExampleCreative_Targets() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c, err := creative.New(creative.Config{Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	for _, a := range []creative.Asset{
		{ID: "spring-campaign", Kind: creative.KindCampaign, Incentive: 10},
		{ID: "vip-lookbook", Kind: creative.KindLookbook, MaxBand: signal.BandLow, Incentive: 25},
	} {
		if err := c.Register(a); err != nil {
			panic(err)
		}
	}
	// A subject flagged medium with device evidence: a possible device ring.
	_ = c.Handle(context.Background(), signal.Signal{
		Version: 1, Subject: "9f2c", Band: signal.BandMedium, Txn: "t1", Time: now,
		Reasons: []signal.Class{signal.ClassDevice},
	})
	for _, subject := range []string{"9f2c", "77ab"} {
		for _, g := range c.Targets(subject) {
			fmt.Printf("%s: %s incentive=%v held-back=%v\n", subject, g.Asset, g.Incentive, g.HeldBack)
		}
	}
	// Output:
	// 9f2c: spring-campaign incentive=0 held-back=true
	// 77ab: spring-campaign incentive=10 held-back=false
}
