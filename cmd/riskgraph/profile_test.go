package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/ingest/stream"
	"github.com/riskgraph/riskgraph/investigate/casefile"
	"github.com/riskgraph/riskgraph/natsd"
)

// The production profile refuses the embedded single server (one replica)
// naming the setting; --accept-risk starts anyway and writes who, when and
// what to the audit log.
func TestServeProductionProfile(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run; skipped with -short")
	}
	dataDir := t.TempDir()
	_, _, err := run(t, "serve", "--data-dir", dataDir, "--profile", "production", "--http-listen", "127.0.0.1:0", "--nats-listen", "")
	if !errors.Is(err, errDurability) || !strings.Contains(err.Error(), "replicas is 1") {
		t.Fatalf("err = %v, want the durability refusal naming the replica count", err)
	}
	if _, _, err := run(t, "serve", "--data-dir", dataDir, "--accept-risk"); err == nil || !strings.Contains(err.Error(), "--accept-risk goes with --profile production") {
		t.Errorf("--accept-risk alone: %v", err)
	}
	natsURL, _, stop := startServe(t, "--data-dir", dataDir, "--profile", "production", "--accept-risk", "--actor", "ops-oncall",
		"--nats-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0")
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	s, err := js.Stream(t.Context(), casefile.DefaultStream)
	if err != nil {
		t.Fatalf("audit stream: %v", err)
	}
	m, err := s.GetLastMsgForSubject(t.Context(), auditSystemSubject)
	if err != nil {
		t.Fatalf("no accept_risk audit event: %v", err)
	}
	var ev struct {
		Action, Actor, Profile string
		Time                   time.Time
		Findings               []durabilityFinding
	}
	if err := json.Unmarshal(m.Data, &ev); err != nil || ev.Action != "accept_risk" || ev.Actor != "ops-oncall" || ev.Time.IsZero() ||
		len(ev.Findings) == 0 || !strings.Contains(ev.Findings[0].Setting, "replicas") {
		t.Errorf("audit event %s (%v): want accept_risk by ops-oncall with the replica finding", m.Data, err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// Against an external deployment whose log stream is memory-backed, on a
// server that syncs on an interval and does not answer for its settings:
// every finding is named.
func TestDurabilityFindingsExternal(t *testing.T) {
	srv, err := natsd.Start(context.Background(), natsd.Config{StoreDir: t.TempDir(), Listen: "127.0.0.1:0", SyncInterval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: stream.DefaultStream, Subjects: []string{stream.SubjectTxn, stream.SubjectLabel},
		Storage: jetstream.MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	got, err := checkDurability(t.Context(), nc, js, false, false)
	if err != nil {
		t.Fatal(err)
	}
	text := findingsText(got)
	for _, want := range []string{"storage is Memory, want file", "replicas is 1", "sync is unverified"} {
		if !strings.Contains(text, want) {
			t.Errorf("findings %q lack %q", text, want)
		}
	}
}
