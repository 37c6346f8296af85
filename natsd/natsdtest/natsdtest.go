// Package natsdtest starts embedded NATS servers for tests, as httptest
// does HTTP servers: in-process, JetStream in a temporary directory, torn
// down when the test ends.
package natsdtest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/riskgraph/riskgraph/natsd"
)

// Server starts an in-process server (no network port) whose store lives
// in tb's temporary directory, and shuts it down at the end of the test.
func Server(tb testing.TB) *natsd.Server {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := natsd.Start(ctx, natsd.Config{StoreDir: tb.TempDir()})
	if err != nil {
		tb.Fatalf("natsd.Start: %v", err)
	}
	tb.Cleanup(s.Shutdown)
	return s
}

// Connect opens a client connection to s, closed at the end of the test.
func Connect(tb testing.TB, s *natsd.Server) *nats.Conn {
	tb.Helper()
	nc, err := s.Connect()
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	tb.Cleanup(nc.Close)
	return nc
}

// Conn starts a server and returns a connection to it.
func Conn(tb testing.TB) *nats.Conn { return Connect(tb, Server(tb)) }
