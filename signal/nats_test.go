package signal_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/riskgraph/riskgraph/natsd/natsdtest"
	"github.com/riskgraph/riskgraph/signal"
)

var _ signal.Publisher = (*nats.Conn)(nil)

func startNATS(t *testing.T) *nats.Conn { return natsdtest.Conn(t) }

// The publish path over a real server: every decision arrives once on
// riskgraph.v1.signal.<band>, filtered.
func TestPublishNATS(t *testing.T) {
	nc := startNATS(t)
	sub, err := nc.SubscribeSync(signal.SubjectAll)
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	const n = 200
	r := newRouter(t, signal.Config{Publisher: nc})
	gen := generate(n, 7)
	for _, g := range gen {
		if err := r.Route(context.Background(), g.d); err != nil {
			t.Fatal(err)
		}
	}
	closeRouter(t, r)
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if st := r.Stats().Publish; st.Delivered != n || st.Failed != 0 || st.Dropped != 0 {
		t.Fatalf("publish stats %+v, want %d delivered", st, n)
	}
	seen := map[string]bool{}
	for range n {
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatalf("after %d messages: %v", len(seen), err)
		}
		s, err := signal.Decode(m.Data)
		if err != nil {
			t.Fatalf("Decode: %v", err)
		}
		assertNoLeak(t, "nats", s, m.Data)
		if band := strings.TrimPrefix(m.Subject, signal.SubjectPrefix+"."); band != string(s.Band) {
			t.Fatalf("signal with band %s on subject %s", s.Band, m.Subject)
		}
		seen[s.Txn] = true
	}
	if len(seen) != n {
		t.Fatalf("saw %d distinct transactions, want %d", len(seen), n)
	}
}
