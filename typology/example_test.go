package typology_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/typology"
)

func ExampleDetect() {
	ctx := context.Background()
	store := mem.New()
	defer store.Close()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	// Money goes round three accounts, a few hours per hop, less a fee.
	for i, hop := range []struct {
		from, to string
		amount   float64
	}{{"a1", "a2", 12000}, {"a2", "a3", 11880}, {"a3", "a1", 11760}} {
		tx := graph.Transaction{
			ID: fmt.Sprintf("t%d", i+1), Time: at.Add(time.Duration(3*i) * time.Hour), Amount: hop.amount,
			Kind: "transfer", Account: hop.from, Counterparty: hop.to,
		}
		if _, err := store.Apply(ctx, graph.Mutation{Txn: &tx}); err != nil {
			log.Fatal(err)
		}
	}
	alerts, err := typology.Detect(ctx, store, typology.Config{Typologies: []string{typology.Cycle}})
	if err != nil {
		log.Fatal(err)
	}
	for _, a := range alerts {
		fmt.Println(a.Typology, a.Severity, a.Focus, a.Members, a.Txns)
		fmt.Println(a.Detail)
	}
	// Output:
	// cycle high Account:a1 [Account:a1 Account:a2 Account:a3] [t1 t2 t3]
	// money went round 3 accounts back to the first, 3 transfers in 6h, 35,640.00 total
}

func ExampleEngine() {
	e, err := typology.NewEngine(typology.Config{})
	if err != nil {
		log.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	// Ten accounts pay one account 1,600 each, an hour apart.
	for i := range 10 {
		tx := graph.Transaction{
			ID: fmt.Sprintf("t%d", i+1), Time: at.Add(time.Duration(i) * time.Hour), Amount: 1600,
			Kind: "transfer", Account: fmt.Sprintf("s%d", i+1), Counterparty: "hub",
		}
		for _, a := range e.Observe(&tx) {
			fmt.Printf("%s raised by %s: %s\n", a.Typology, tx.ID, a.Detail)
		}
	}
	hub := graph.Ref(graph.KindAccount, "hub")
	fmt.Println("hub hits:", e.Hits(hub, at.Add(24*time.Hour)))
	// Output:
	// fan_in raised by t8: 8 senders into one account in 7h, 12,800.00 total
	// hub hits: 1
}

func ExampleRingAround() {
	ctx := context.Background()
	store := mem.New()
	defer store.Close()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	// u1 and u2 share a device, u2 and u3 a phone.
	for i, tx := range []graph.Transaction{
		{User: "u1", Device: "d1"}, {User: "u2", Device: "d1", Phone: "+15550001"}, {User: "u3", Phone: "+15550001"},
	} {
		tx.ID, tx.Time, tx.Amount, tx.Merchant = fmt.Sprintf("t%d", i+1), at.Add(time.Duration(i)*time.Hour), 250, "m1"
		if _, err := store.Apply(ctx, graph.Mutation{Txn: &tx}); err != nil {
			log.Fatal(err)
		}
	}
	ring, err := typology.RingAround(ctx, store, graph.Ref(graph.KindUser, "u1"), typology.RingConfig{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("members:", ring.Members)
	for _, s := range ring.Shared {
		fmt.Println("shared:", s.Ref, s.Users)
	}
	fmt.Printf("%d transactions, %.2f\n", ring.Txns, ring.TotalAmount)
	// Output:
	// members: [User:u1 User:u2 User:u3 Device:d1 Phone:+15550001]
	// shared: Device:d1 [User:u1 User:u2]
	// shared: Phone:+15550001 [User:u2 User:u3]
	// 3 transactions, 750.00
}
