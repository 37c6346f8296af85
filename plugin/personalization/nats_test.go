package personalization_test

import (
	"context"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/natsd/natsdtest"
	"github.com/riskgraph/riskgraph/plugin/personalization"
	"github.com/riskgraph/riskgraph/signal"
)

var key = []byte("0123456789abcdef0123456789abcdef")

// last keeps the last signal it is handed.
type last struct{ s signal.Signal }

func (l *last) Name() string                                    { return "last" }
func (l *last) Handle(_ context.Context, s signal.Signal) error { l.s = s; return nil }

// The same Personalizer state is reached in-process and over NATS.
func TestInProcessAndNATS(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	nc := natsdtest.Conn(t)

	now := t0.Add(time.Minute)
	remote := newP(t, personalization.Config{}, &now)
	sub, err := remote.Subscribe(nc, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	local := newP(t, personalization.Config{}, &now)
	r, err := signal.New(signal.Config{SubjectKey: key, Publisher: nc})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Register(local, signal.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	users := map[string]struct {
		score   float64
		reasons []signal.Reason
		typ     []string
		want    personalization.Tier
	}{
		"low":   {0.05, nil, nil, personalization.TierPreferred},
		"fraud": {0.95, []signal.Reason{{Code: "LINKED_DEVICE", Weight: 6}}, nil, personalization.TierSuppressed},
		// driven by AML only: treated like a clean customer (no tipping off)
		"launders": {0.97, []signal.Reason{{Code: "AML_STRUCTURING", Weight: 6}}, []string{"fan_in"}, personalization.TierPreferred},
		"step-up":  {0.7, []signal.Reason{{Code: "LINKED_VELOCITY_1H_COUNT", Weight: 2}}, nil, personalization.TierRestricted},
	}
	subjects := map[string]string{}
	for u, c := range users {
		d := signal.Decision{Txn: &graph.Transaction{ID: "t-" + u, User: u}, Score: c.score, Reasons: c.reasons, Typologies: c.typ, Time: t0}
		if err := r.Route(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for u := range users {
		subjects[u] = subjectFor(t, u)
	}
	deadline := time.Now().Add(5 * time.Second)
	for remote.Stats().Handled < uint64(len(users)) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	for u, c := range users {
		for name, p := range map[string]*personalization.Personalizer{"in-process": local, "nats": remote} {
			got := p.Eligibility(subjects[u])
			if !got.Known || got.Tier != c.want {
				t.Errorf("%s: %s: Eligibility = %+v, want tier %s", name, u, got, c.want)
			}
		}
	}
	if st := remote.Stats(); st.Received != uint64(len(users)) || st.Invalid != 0 {
		t.Errorf("remote Stats() = %+v", st)
	}
}

// subjectFor routes a probe decision for user and returns its subject.
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
	if err := r.Route(context.Background(), signal.Decision{Txn: &graph.Transaction{ID: "probe", User: user}, Score: 0}); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	return probe.s.Subject
}
