package natsd_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/natsd"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     natsd.Config
		wantErr bool
	}{
		{"minimal", natsd.Config{StoreDir: "x"}, false},
		{"listen random port", natsd.Config{StoreDir: "x", Listen: "127.0.0.1:0"}, false},
		{"missing store dir", natsd.Config{}, true},
		{"negative memory", natsd.Config{StoreDir: "x", MaxMemory: -1}, true},
		{"negative store", natsd.Config{StoreDir: "x", MaxStore: -1}, true},
		{"negative sync interval", natsd.Config{StoreDir: "x", SyncInterval: -time.Second}, true},
		{"negative start timeout", natsd.Config{StoreDir: "x", StartTimeout: -time.Second}, true},
		{"listen without port", natsd.Config{StoreDir: "x", Listen: "localhost"}, true},
		{"listen port out of range", natsd.Config{StoreDir: "x", Listen: "localhost:70000"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Validate() = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, natsd.ErrInvalidConfig) {
				t.Errorf("Validate() = %v, want it to wrap ErrInvalidConfig", err)
			}
		})
	}
}

func start(t *testing.T, cfg natsd.Config) *natsd.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	s, err := natsd.Start(ctx, cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

// TestInProcessPersists publishes to a file-backed stream over an in-process
// connection, restarts the server on the same StoreDir and reads it back.
func TestInProcessPersists(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := start(t, natsd.Config{StoreDir: dir})
	if got := s.ClientURL(); got != "" {
		t.Errorf("ClientURL() without listener = %q, want \"\"", got)
	}
	nc, err := s.Connect()
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	ack, err := js.Publish(ctx, "t.a", []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	s.Shutdown()
	s.Shutdown() // idempotent
	if _, err := s.Connect(); !errors.Is(err, natsd.ErrShutdown) {
		t.Errorf("Connect after Shutdown = %v, want ErrShutdown", err)
	}

	s2 := start(t, natsd.Config{StoreDir: dir})
	nc2, err := s2.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc2.Close()
	js2, err := jetstream.New(nc2)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js2.Stream(ctx, "T")
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.GetMsg(ctx, ack.Sequence)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(m.Data); got != "hello" {
		t.Errorf("message after restart = %q, want %q", got, "hello")
	}
}

func TestListen(t *testing.T) {
	s := start(t, natsd.Config{StoreDir: t.TempDir(), Listen: "127.0.0.1:0", ServerName: "listen-test"})
	url := s.ClientURL()
	if !strings.HasPrefix(url, "nats://127.0.0.1:") || strings.HasSuffix(url, ":-1") {
		t.Fatalf("ClientURL() = %q, want nats://127.0.0.1:<port>", url)
	}
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if got := nc.ConnectedServerName(); got != "listen-test" {
		t.Errorf("server name = %q, want listen-test", got)
	}
	nc2, err := s.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc2.Close()
	// The process's own connection stays in-process (no loopback socket)
	// and meets network clients on the same server.
	if got := nc2.ConnectedAddr(); got != "pipe" {
		t.Errorf("Connect() with a listener went over the network to %q, want in-process (pipe)", got)
	}
	sub, err := nc.SubscribeSync("listen.test")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := nc2.Publish("listen.test", []byte("in-process")); err != nil {
		t.Fatal(err)
	}
	m, err := sub.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatalf("network client did not receive the in-process client's message: %v", err)
	}
	if string(m.Data) != "in-process" {
		t.Errorf("received %q, want %q", m.Data, "in-process")
	}
}

// TestStartFailsWithoutJetStream points StoreDir at a regular file:
// JetStream cannot start, and Start must say so rather than return a server
// without JetStream.
func TestStartFailsWithoutJetStream(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := natsd.Start(t.Context(), natsd.Config{StoreDir: file, StartTimeout: 5 * time.Second})
	if !errors.Is(err, natsd.ErrStart) {
		t.Fatalf("Start = %v, want ErrStart", err)
	}
}

func TestLoggerReceivesServerLines(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s := start(t, natsd.Config{StoreDir: t.TempDir(), Logger: l})
	s.Shutdown()
	if !strings.Contains(buf.String(), "component=nats-server") {
		t.Errorf("logger got no server lines; got:\n%s", buf.String())
	}
}

func ExampleStart() {
	dir, err := os.MkdirTemp("", "natsd-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	s, err := natsd.Start(context.Background(), natsd.Config{StoreDir: dir})
	if err != nil {
		panic(err)
	}
	defer s.Shutdown()
	nc, err := s.Connect() // in-process: no port is opened
	if err != nil {
		panic(err)
	}
	defer nc.Close()
	_, _ = jetstream.New(nc)
}
