package signal_test

import (
	"context"
	"fmt"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/signal"
)

// A decision driven by a device ring and by structuring: marketing sees the
// fraud evidence at its own strength and nothing of the AML part;
// compliance sees everything.
func ExampleRouter() {
	r, err := signal.New(signal.Config{SubjectKey: []byte("a key of at least sixteen bytes")})
	if err != nil {
		panic(err)
	}
	marketing, compliance := &recorder{name: "marketing"}, &recorder{name: "compliance"}
	if err := r.Register(marketing, signal.RegisterOptions{}); err != nil {
		panic(err)
	}
	if err := r.Register(compliance, signal.RegisterOptions{Compliance: true}); err != nil {
		panic(err)
	}
	err = r.Route(context.Background(), signal.Decision{
		Txn:   &graph.Transaction{ID: "t1", User: "alice"},
		Score: 0.95,
		Reasons: []signal.Reason{
			{Code: "LINKED_DEVICE", Weight: 1.5},
			{Code: "AML_STRUCTURING", Weight: 2.5},
		},
		Decision: "decline",
		Time:     time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
	})
	if err != nil {
		panic(err)
	}
	_ = r.Close(context.Background()) // waits for the plug-ins

	for _, p := range []*recorder{marketing, compliance} {
		s := p.signals()[0]
		fmt.Printf("%s: band=%s score=%.2f reasons=%v compliance section=%v\n", p.name, s.Band, s.Score, s.Reasons, s.Compliance != nil)
	}
	// Output:
	// marketing: band=high score=0.60 reasons=[device] compliance section=false
	// compliance: band=critical score=0.95 reasons=[aml device] compliance section=true
}

func ExampleClassify() {
	for _, code := range []string{"LINKED_DEVICE", "TXN_AMOUNT_LOG", "TYPOLOGY_FAN_IN", "a brand new rule"} {
		fmt.Println(code, "→", signal.Classify(code))
	}
	// Output:
	// LINKED_DEVICE → device
	// TXN_AMOUNT_LOG → amount
	// TYPOLOGY_FAN_IN → aml
	// a brand new rule → other
}
