package casefile_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/investigate/casefile"
	"github.com/riskgraph/riskgraph/natsd"
)

// A case from open to close; the audit log tells who did what, when.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "casefile-example")
	defer os.RemoveAll(dir)
	srv, err := natsd.Start(ctx, natsd.Config{StoreDir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Shutdown()
	nc, _ := srv.Connect()
	defer nc.Close()
	js, _ := jetstream.New(nc)

	now := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { now = now.Add(time.Minute); return now }
	published := &labels{}
	log, err := casefile.Open(ctx, js, casefile.Config{Now: clock, Labels: published})
	if err != nil {
		fmt.Println(err)
		return
	}
	c, _ := log.Open(ctx, casefile.OpenRequest{Actor: "alice", OpenData: casefile.OpenData{
		Title: "fan-in into a7", Entities: []graph.NodeRef{graph.Ref(graph.KindAccount, "a7")}, Txns: []string{"t1", "t2"}}})
	log.Note(ctx, c.ID, "bob", "senders are unrelated")
	log.Close(ctx, c.ID, "bob", casefile.LaunderingSuspicion, "layering")
	_, err = log.Note(ctx, c.ID, "bob", "too late")
	fmt.Println(err)

	events, _ := log.Events(ctx, c.ID)
	for _, e := range events {
		fmt.Println(e.Seq, e.Time.Format("15:04"), e.Actor, e.Action)
	}
	fmt.Println(len(published.got), "labels published")
	// Output:
	// case C-20260314-000001 was closed as laundering_suspicion by bob at 2026-03-14T09:03:00Z: cannot note: casefile: case is closed
	// 1 09:01 alice open
	// 2 09:02 bob note
	// 3 09:03 bob close
	// 3 labels published
}
