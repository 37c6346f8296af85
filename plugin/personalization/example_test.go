package personalization_test

import (
	"context"
	"fmt"
	"time"

	"github.com/riskgraph/riskgraph/plugin/personalization"
	"github.com/riskgraph/riskgraph/signal"
)

func ExamplePersonalizer_Eligibility() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	p, err := personalization.New(personalization.Config{Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	for _, s := range []signal.Signal{
		{Version: 1, Subject: "9f2c", Band: signal.BandHigh, Txn: "t1", Time: now.Add(-time.Hour)},
		{Version: 1, Subject: "77ab", Band: signal.BandLow, Txn: "t2", Time: now.Add(-time.Hour)},
	} {
		if err := p.Handle(context.Background(), s); err != nil {
			panic(err)
		}
	}
	for _, subject := range []string{"9f2c", "77ab", "0000"} {
		o := p.Eligibility(subject)
		fmt.Printf("%s: %s step-up=%v credit-increase=%v offers=%v\n", subject, o.Tier, o.StepUp, o.CreditIncrease, o.Offers)
	}
	// Output:
	// 9f2c: restricted step-up=true credit-increase=false offers=true
	// 77ab: preferred step-up=false credit-increase=true offers=true
	// 0000: standard step-up=false credit-increase=false offers=true
}
