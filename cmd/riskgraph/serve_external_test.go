package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/ingest/stream"
	"github.com/riskgraph/riskgraph/natsd"
	"github.com/riskgraph/riskgraph/scoring"
)

// serve --nats-url joins an external NATS server: no embedded server, the
// log stream is created there, authorizations are answered and recorded
// in it.
func TestServeJoinsExternalNATS(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run; skipped with -short")
	}
	srv, err := natsd.Start(context.Background(), natsd.Config{StoreDir: t.TempDir(), Listen: "127.0.0.1:0", SyncInterval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	dataDir := t.TempDir()
	natsURL, _, stop := startServe(t, "--data-dir", dataDir, "--nats-url", srv.ClientURL(), "--stream-replicas", "1",
		"--http-listen", "127.0.0.1:0")
	if natsURL != srv.ClientURL() {
		t.Errorf("ready line names %s, want the external server %s", natsURL, srv.ClientURL())
	}
	if _, err := os.Stat(filepath.Join(dataDir, natsDir)); !os.IsNotExist(err) {
		t.Errorf("an embedded NATS store was created in the data dir (%v)", err)
	}
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	msg, err := nc.Request("riskgraph.v1.authorize",
		[]byte(`{"id":"ext-1","time":"2026-01-08T12:00:00Z","amount":42.5,"user":"u7","merchant":"m3","deadline_ms":500}`), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var d scoring.Decision
	if err := json.Unmarshal(msg.Data, &d); err != nil || d.Txn != "ext-1" || d.Decision == "" {
		t.Fatalf("reply %s (%v): want a decision for ext-1", msg.Data, err)
	}
	js, _ := jetstream.New(nc)
	st, err := js.Stream(context.Background(), stream.DefaultStream)
	if err != nil {
		t.Fatalf("log stream on the external server: %v", err)
	}
	info, _ := st.Info(context.Background())
	if info.State.Msgs < 1 {
		t.Errorf("external log holds %d messages, want the authorized transaction", info.State.Msgs)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve exited with %v", err)
	}
}

func TestServeNATSFlagErrors(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("secret\n"), 0o600)
	t.Setenv(passwordEnv, "")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"user without url", []string{"--nats-user", "rg"}, "--nats-user needs --nats-url"},
		{"user without password", []string{"--nats-url", "nats://127.0.0.1:1", "--nats-user", "rg"}, "no password"},
		{"password file without user", []string{"--nats-url", "nats://127.0.0.1:1", "--nats-password-file", pw}, "needs --nats-user"},
		{"two credentials", []string{"--nats-url", "nats://127.0.0.1:1", "--nats-user", "rg", "--nats-password-file", pw, "--nats-creds", pw}, "give one of"},
		{"missing nkey", []string{"--nats-url", "nats://127.0.0.1:1", "--nats-nkey-file", filepath.Join(dir, "none")}, "--nats-nkey-file"},
		{"bad CA", []string{"--nats-url", "nats://127.0.0.1:1", "--nats-tls-ca", pw}, "no PEM certificate"},
		{"cert without key", []string{"--nats-url", "nats://127.0.0.1:1", "--nats-tls-cert", pw}, "go together"},
		{"replicas", []string{"--nats-url", "nats://127.0.0.1:1", "--stream-replicas", "7"}, "--stream-replicas 7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := run(t, append([]string{"serve", "--data-dir", filepath.Join(dir, "d")}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one naming %q", err, tc.want)
			}
			if c := NewMain().exitCode(err); c != 2 {
				t.Errorf("exit code %d, want 2 (usage)", c)
			}
		})
	}
}

// serve --neo4j-uri against a server that is not there fails at once with
// a message saying so, rather than hanging or starting without a graph.
func TestServeNeo4jUnreachable(t *testing.T) {
	ln := freeAddr(t) // nothing listens there once freeAddr returns
	t.Setenv("NEO4J_PASSWORD", "test")
	start := time.Now()
	_, _, err := run(t, "serve", "--data-dir", t.TempDir(), "--neo4j-uri", "bolt://"+ln, "--nats-listen", "", "--http-listen", "127.0.0.1:0")
	if err == nil || !strings.Contains(err.Error(), "Neo4j") {
		t.Fatalf("err = %v, want one saying Neo4j cannot be reached", err)
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("took %v to give up on a closed port", time.Since(start))
	}
}
