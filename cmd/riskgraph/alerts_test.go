package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/scoring"
	"github.com/riskgraph/riskgraph/typology"
	"github.com/riskgraph/riskgraph/typology/natsalert"
)

// Transfers authorized through serve build a fan-in: the typology engine
// raises a fan_in alert on riskgraph.v1.alert.fan_in, later decisions on
// the hub carry the fan_in tag, and the default rules review them.
func TestServeRaisesTypologyAlerts(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run; skipped with -short")
	}
	dataDir := t.TempDir()
	natsURL, httpAddr, stop := startServe(t, "--data-dir", dataDir, "--nats-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0")
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	alerts := make(chan *nats.Msg, 16)
	sub, err := nc.ChanSubscribe(natsalert.Subject(typology.FanIn), alerts)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	t0 := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	var last scoring.Decision
	for i := range 12 {
		body := fmt.Sprintf(`{"id":"fan-%d","time":%q,"amount":1900,"currency":"EUR","kind":"transfer","user":"s%d","account":"acc-s%d","counterparty":"acc-hub","deadline_ms":1000}`,
			i, t0.Add(time.Duration(i)*20*time.Minute).Format(time.RFC3339), i, i)
		msg, err := nc.Request("riskgraph.v1.authorize", []byte(body), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(msg.Data, &last); err != nil {
			t.Fatalf("reply %s: %v", msg.Data, err)
		}
	}
	select {
	case m := <-alerts:
		a, err := natsalert.Decode(m.Data)
		if err != nil || a.Typology != typology.FanIn || a.Focus.ID != "acc-hub" {
			t.Errorf("alert %s (%v): want a fan_in on acc-hub", m.Data, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no fan_in alert published")
	}
	if !slices.Contains(last.Typologies, typology.FanIn) || last.Decision == "approve" {
		t.Errorf("the last transfer into the hub: decision %s, typologies %v; want fan_in, reviewed", last.Decision, last.Typologies)
	}
	waitFor(t, func() bool {
		return metricValue(get(t, "http://"+httpAddr+"/metrics"), "riskgraph_typology_alerts_total") >= 1
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// After a restart, detections older than the warm-up window still count:
// serve restores them from the alert log, so a transfer into last
// month's fan-in hub is still tagged fan_in.
func TestServeRestoresDetectionsAfterRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run; skipped with -short")
	}
	dataDir := t.TempDir()
	authorize := func(natsURL string, bodies ...string) scoring.Decision {
		t.Helper()
		nc, err := nats.Connect(natsURL)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		var d scoring.Decision
		for _, body := range bodies {
			msg, err := nc.Request("riskgraph.v1.authorize", []byte(body), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(msg.Data, &d); err != nil {
				t.Fatalf("reply %s: %v", msg.Data, err)
			}
		}
		return d
	}
	transfer := func(id string, at time.Time, from, to string) string {
		return fmt.Sprintf(`{"id":%q,"time":%q,"amount":1900,"kind":"transfer","account":%q,"counterparty":%q,"deadline_ms":1000}`,
			id, at.Format(time.RFC3339), from, to)
	}
	t0 := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	natsURL, _, stop := startServe(t, "--data-dir", dataDir, "--nats-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0")
	var fan []string
	for i := range 12 {
		fan = append(fan, transfer(fmt.Sprintf("old-%d", i), t0.Add(time.Duration(i)*20*time.Minute), fmt.Sprintf("acc-s%d", i), "acc-hub"))
	}
	// Weeks later, unrelated traffic moves the clock past every window.
	fan = append(fan, transfer("later", t0.Add(60*24*time.Hour), "acc-x", "acc-y"))
	authorize(natsURL, fan...)
	waitFor(t, func() bool {
		nc, _ := nats.Connect(natsURL)
		defer nc.Close()
		js, _ := jetstream.New(nc)
		s, err := js.Stream(context.Background(), natsalert.DefaultStream)
		if err != nil {
			return false
		}
		info, _ := s.Info(context.Background())
		return info.State.Msgs > 0
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	natsURL, _, stop = startServe(t, "--data-dir", dataDir, "--nats-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0")
	d := authorize(natsURL, transfer("after-restart", t0.Add(60*24*time.Hour+time.Hour), "acc-z", "acc-hub"))
	if !slices.Contains(d.Typologies, typology.FanIn) {
		t.Errorf("a transfer into the old fan-in hub after a restart: typologies %v, want fan_in restored from the alert log", d.Typologies)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
