package creative_test

import (
	"context"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/natsd/natsdtest"
	"github.com/riskgraph/riskgraph/plugin/creative"
	"github.com/riskgraph/riskgraph/signal"
)

var key = []byte("0123456789abcdef0123456789abcdef")

type last struct{ s signal.Signal }

func (l *last) Name() string                                    { return "last" }
func (l *last) Handle(_ context.Context, s signal.Signal) error { l.s = s; return nil }

// A Creative consuming from NATS reaches the same decisions as one
// registered in-process, and an AML-only decision changes nothing.
func TestInProcessAndNATS(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	nc := natsdtest.Conn(t)

	now := t0.Add(time.Minute)
	remote, local := newC(t, creative.Config{}, &now), newC(t, creative.Config{}, &now)
	sub, err := remote.Subscribe(nc, signal.SubjectAll)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	r, err := signal.New(signal.Config{SubjectKey: key, Publisher: nc})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Register(local, signal.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	decisions := map[string]signal.Decision{
		"device-ring": {Score: 0.5, Reasons: []signal.Reason{{Code: "LINKED_DISTINCT_DEVICES", Weight: 3}}},
		"clean":       {Score: 0.02},
		"launderer":   {Score: 0.98, Reasons: []signal.Reason{{Code: "AML_STRUCTURING", Weight: 7}}, Typologies: []string{"cycle"}},
	}
	for u, d := range decisions {
		d.Txn, d.Time = &graph.Transaction{ID: "t-" + u, User: u}, t0
		if err := r.Route(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for remote.Stats().Handled < uint64(len(decisions)) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	held := func(gs []creative.Grant) (n int) {
		for _, g := range gs {
			if g.HeldBack {
				n++
			}
		}
		return n
	}
	for u := range decisions {
		subject := subjectFor(t, u)
		for name, c := range map[string]*creative.Creative{"in-process": local, "nats": remote} {
			got := c.Targets(subject)
			switch u {
			case "device-ring":
				if len(got) == 0 || held(got) != len(got) {
					t.Errorf("%s: device ring: %+v, want every grant held back", name, got)
				}
			case "clean", "launderer":
				if len(got) != len(assets) || held(got) != 0 {
					t.Errorf("%s: %s: %+v, want all %d assets with incentives", name, u, got, len(assets))
				}
			}
		}
	}
	if st := remote.Stats(); st.Received != uint64(len(decisions)) || st.Invalid != 0 {
		t.Errorf("remote Stats() = %+v", st)
	}
}

func subjectFor(t *testing.T, user string) string {
	t.Helper()
	r, err := signal.New(signal.Config{SubjectKey: key})
	if err != nil {
		t.Fatal(err)
	}
	probe := &last{}
	if err := r.Register(probe, signal.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := r.Route(context.Background(), signal.Decision{Txn: &graph.Transaction{ID: "probe", User: user}}); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	return probe.s.Subject
}
