package natsalert_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/natsd/natsdtest"
	"github.com/riskgraph/riskgraph/typology"
	"github.com/riskgraph/riskgraph/typology/natsalert"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func alert(id, typ string, at time.Time) typology.Alert {
	focus := graph.Ref(graph.KindAccount, "a-"+id)
	return typology.Alert{
		ID: id, Typology: typ, Severity: typology.SeverityHigh, Focus: focus,
		Members: []graph.NodeRef{focus, graph.Ref(graph.KindAccount, "b")}, Txns: []string{"t1", "t2"},
		Start: at.Add(-time.Hour), End: at, At: at, Amount: 12000.5, Detail: "a test alert",
	}
}

func open(t *testing.T) (*natsalert.Log, jetstream.JetStream) {
	t.Helper()
	js, err := jetstream.New(natsdtest.Conn(t))
	if err != nil {
		t.Fatal(err)
	}
	l, err := natsalert.Open(context.Background(), js, natsalert.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return l, js
}

func TestPublishList(t *testing.T) {
	l, js := open(t)
	ctx := context.Background()
	alerts := []typology.Alert{
		alert("fan_in-1", typology.FanIn, t0),
		alert("cycle-1", typology.Cycle, t0.Add(time.Hour)),
		alert("ring-1", typology.SharedIDRing, t0.Add(2*time.Hour)),
	}
	got, err := l.Publish(ctx, alerts...)
	if err != nil || got != (natsalert.Published{Stored: 3}) {
		t.Fatalf("Publish = %+v, %v; want 3 stored", got, err)
	}
	// Re-publishing the same detections stores nothing.
	got, err = l.Publish(ctx, alerts...)
	if err != nil || got != (natsalert.Published{Duplicates: 3}) {
		t.Fatalf("second Publish = %+v, %v; want 3 duplicates", got, err)
	}
	for _, tc := range []struct {
		since time.Time
		want  []typology.Alert
	}{
		{time.Time{}, alerts},
		{t0.Add(time.Hour), alerts[1:]},
		{t0.Add(3 * time.Hour), nil},
	} {
		list, err := l.List(ctx, tc.since)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, list); diff != "" {
			t.Errorf("List(%v) (-want +got):\n%s", tc.since, diff)
		}
	}
	// The stream: file storage, the alert subjects, one subject per
	// typology, the alert id as message id.
	s, err := js.Stream(ctx, natsalert.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Storage != jetstream.FileStorage || !cmp.Equal(info.Config.Subjects, []string{"riskgraph.v1.alert.>"}) || info.State.Msgs != 3 {
		t.Errorf("stream: storage %v, subjects %v, %d messages; want file, riskgraph.v1.alert.>, 3", info.Config.Storage, info.Config.Subjects, info.State.Msgs)
	}
	m, err := s.GetLastMsgForSubject(ctx, "riskgraph.v1.alert.cycle")
	if err != nil {
		t.Fatal(err)
	}
	if id := m.Header.Get(jetstream.MsgIDHeader); id != "cycle-1" {
		t.Errorf("Nats-Msg-Id = %q, want cycle-1", id)
	}
	// Opening again keeps what is there.
	if _, err := natsalert.Open(ctx, js, natsalert.Config{}); err != nil {
		t.Fatal(err)
	}
	if list, err := l.List(ctx, time.Time{}); err != nil || len(list) != 3 {
		t.Errorf("after reopening: %d alerts, %v", len(list), err)
	}
}

func TestListEmptyAndRepeats(t *testing.T) {
	l, js := open(t)
	ctx := context.Background()
	if list, err := l.List(ctx, time.Time{}); err != nil || list != nil {
		t.Fatalf("List of an empty stream = %v, %v", list, err)
	}
	// A repeat outside the deduplication window (here: another message
	// id) is listed once.
	a := alert("fan_in-9", typology.FanIn, t0)
	if _, err := l.Publish(ctx, a); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(a)
	if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: natsalert.Subject(a.Typology), Data: data}, jetstream.WithMsgID("other")); err != nil {
		t.Fatal(err)
	}
	if list, err := l.List(ctx, time.Time{}); err != nil || len(list) != 1 {
		t.Errorf("List with a repeated alert = %d alerts, %v; want 1", len(list), err)
	}
	// Something else on the alert subjects is reported, with where it is.
	if _, err := js.Publish(ctx, natsalert.Subject("fan_in"), []byte("not json")); err != nil {
		t.Fatal(err)
	}
	_, err := l.List(ctx, time.Time{})
	if !errors.Is(err, natsalert.ErrCorrupt) || !strings.Contains(err.Error(), "sequence 3") {
		t.Errorf("List over a corrupt message = %v; want ErrCorrupt naming sequence 3", err)
	}
}

func TestPublishRejects(t *testing.T) {
	l, _ := open(t)
	ctx := context.Background()
	good := alert("ok-1", typology.FanIn, t0)
	for _, tc := range []struct {
		name string
		bad  func(*typology.Alert)
	}{
		{"no id", func(a *typology.Alert) { a.ID = "" }},
		{"a typology with a dot", func(a *typology.Alert) { a.Typology = "fan.in" }},
		{"a wildcard typology", func(a *typology.Alert) { a.Typology = ">" }},
		{"no time", func(a *typology.Alert) { a.At = time.Time{} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := alert("bad-1", typology.Cycle, t0)
			tc.bad(&bad)
			got, err := l.Publish(ctx, good, bad)
			if !errors.Is(err, natsalert.ErrInvalidAlert) || !strings.Contains(err.Error(), "alert 1") || got != (natsalert.Published{}) {
				t.Errorf("Publish = %+v, %v; want ErrInvalidAlert naming alert 1, nothing published", got, err)
			}
		})
	}
	if list, err := l.List(ctx, time.Time{}); err != nil || len(list) != 0 {
		t.Errorf("after rejected publishes the stream holds %d alerts (%v)", len(list), err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg   natsalert.Config
		field string
	}{
		{natsalert.Config{Stream: "A.B"}, "Stream"},
		{natsalert.Config{Duplicates: -time.Second}, "Duplicates"},
		{natsalert.Config{Replicas: 6}, "Replicas"},
		{natsalert.Config{MaxAge: -time.Second}, "MaxAge"},
		{natsalert.Config{MaxAge: time.Hour}, "Duplicates"}, // the default day exceeds it
	} {
		err := tc.cfg.Validate()
		if !errors.Is(err, natsalert.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("Validate(%+v) = %v; want ErrInvalidConfig naming %s", tc.cfg, err, tc.field)
		}
	}
	if err := (natsalert.Config{MaxAge: 48 * time.Hour}).Validate(); err != nil {
		t.Errorf("a two-day MaxAge: %v", err)
	}
}

// FuzzDecode checks that any message decodes to an alert or an error,
// never a panic, and that a decoded alert survives a round trip.
func FuzzDecode(f *testing.F) {
	good, _ := json.Marshal(alert("fan_in-1", typology.FanIn, t0))
	f.Add(good)
	f.Add([]byte(`{"id":"x","typology":"cycle","at":"2026-01-01T00:00:00Z","members":["Account:a"]}`))
	f.Add([]byte(`{"id":"x","typology":"a.b","at":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"members":["nope"]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := natsalert.Decode(data)
		if err != nil {
			return
		}
		if a.ID == "" || a.Typology == "" || a.At.IsZero() {
			t.Fatalf("Decode accepted %q as %+v", data, a)
		}
		again, err := json.Marshal(a)
		if err != nil {
			return // e.g. an invalid member reference cannot be written back
		}
		b, err := natsalert.Decode(again)
		if err != nil {
			t.Fatalf("round trip of %q: %v", data, err)
		}
		if !cmp.Equal(a, b) {
			t.Fatalf("round trip changed the alert:\n%s", cmp.Diff(a, b))
		}
	})
}

// TestPublishMany publishes more alerts than one window of
// acknowledgements.
func TestPublishMany(t *testing.T) {
	l, _ := open(t)
	ctx := context.Background()
	var alerts []typology.Alert
	for i := range 1500 {
		alerts = append(alerts, alert("fan_in-"+strconv.Itoa(i), typology.FanIn, t0.Add(time.Duration(i)*time.Minute)))
	}
	got, err := l.Publish(ctx, alerts...)
	if err != nil || got.Stored != 1500 {
		t.Fatalf("Publish of 1,500 = %+v, %v", got, err)
	}
	list, err := l.List(ctx, t0.Add(1000*time.Minute))
	if err != nil || len(list) != 500 || list[0].ID != "fan_in-1000" {
		t.Errorf("List since the 1,000th = %d alerts (%v), want 500 from fan_in-1000", len(list), err)
	}
}
