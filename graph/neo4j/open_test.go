package neo4j

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// closedPort returns a local address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestOpenUnreachableFailsFast(t *testing.T) {
	addr := closedPort(t)
	for _, scheme := range []string{"bolt", "neo4j"} {
		t.Run(scheme, func(t *testing.T) {
			uri := scheme + "://" + addr
			start := time.Now()
			_, err := Open(context.Background(), Config{URI: uri, User: "neo4j", Password: "secret"})
			if !errors.Is(err, graph.ErrUnavailable) {
				t.Fatalf("Open = %v, want ErrUnavailable", err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("Open took %v to report a refused connection", d)
			}
			if !strings.Contains(err.Error(), uri) || strings.Contains(err.Error(), "secret") {
				t.Errorf("err = %q: want the URI, never the password", err)
			}
		})
	}
}

func TestOpenSilentServerTimesOut(t *testing.T) {
	// A listener that accepts and never speaks: the handshake never ends.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	start := time.Now()
	_, err = Open(context.Background(), Config{URI: "bolt://" + l.Addr().String(), ConnectTimeout: 300 * time.Millisecond})
	if !errors.Is(err, graph.ErrUnavailable) || !strings.Contains(err.Error(), "no answer within 300ms") {
		t.Fatalf("Open = %v, want ErrUnavailable saying it waited 300ms", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Open took %v with a 300ms ConnectTimeout", d)
	}
}

func TestOpenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Open(ctx, Config{URI: "bolt://" + closedPort(t)})
	if err == nil || errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("Open = %v, want a failure", err)
	}
}

func TestOpenInvalidConfig(t *testing.T) {
	if _, err := Open(context.Background(), Config{URI: "http://localhost:7474"}); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("Open = %v, want ErrInvalidConfig", err)
	}
}

// unreachable returns a Store whose server is gone, retrying for at most
// retry: what a running store sees when Neo4j goes away.
func unreachable(t *testing.T, retry time.Duration) *Store {
	t.Helper()
	s, err := newStore(Config{URI: "bolt://" + closedPort(t), MaxTransactionRetryTime: retry})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// every calls each method of the graph.Store contract once, each with a
// context from ctx.
func every(ctx func() context.Context, s *Store) map[string]error {
	tx := goldenTxn
	_, applyErr := s.Apply(ctx(), graph.Mutation{Txn: &tx})
	_, nodeErr := s.Node(ctx(), graph.Ref(graph.KindUser, "u-1"))
	_, txnErr := s.Transaction(ctx(), "t-1")
	_, nbErr := s.Neighbors(ctx(), graph.Ref(graph.KindUser, "u-1"), graph.Query{}, nil)
	_, tnbErr := s.Neighbors(ctx(), graph.Ref(graph.KindTransaction, "t-1"), graph.Query{}, nil)
	_, statsErr := s.Stats(ctx())
	_, seqErr := s.LastSeq(ctx())
	return map[string]error{
		"Apply": applyErr, "Node": nodeErr, "Transaction": txnErr, "Neighbors": nbErr,
		"Neighbors(txn)": tnbErr, "Stats": statsErr, "LastSeq": seqErr,
		"Nodes":    s.Nodes(ctx(), graph.KindUser, func(graph.Node) bool { return true }),
		"Snapshot": s.Snapshot(ctx(), &bytes.Buffer{}),
		"Init":     s.Init(ctx()),
		"Reset":    s.Reset(ctx()),
	}
}

// TestUnreachableServerIsUnavailable: when Neo4j goes away, every call
// fails with ErrUnavailable within its deadline (the driver's retries stop
// at the caller's deadline: a scorer with 50ms to decide is not held up by
// the 30s of MaxTransactionRetryTime).
func TestUnreachableServerIsUnavailable(t *testing.T) {
	s := unreachable(t, time.Minute)
	start := time.Now()
	var cancels []context.CancelFunc
	defer func() {
		for _, c := range cancels {
			c()
		}
	}()
	deadline := func() context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		cancels = append(cancels, cancel)
		return ctx
	}
	for name, err := range every(deadline, s) {
		if !errors.Is(err, graph.ErrUnavailable) {
			t.Errorf("%s = %v, want ErrUnavailable", name, err)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("11 calls with 150ms deadlines took %v against a refused port", d)
	}
}

func TestClosedStore(t *testing.T) {
	s := unreachable(t, time.Second)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	for name, err := range every(context.Background, s) {
		if !errors.Is(err, graph.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
	if err := s.Restore(context.Background(), strings.NewReader("")); !errors.Is(err, graph.ErrClosed) {
		t.Errorf("Restore after Close = %v, want ErrClosed", err)
	}
}

func TestRestoreCorruptTouchesNothing(t *testing.T) {
	// The server is unreachable: a Restore that tried to reset the graph
	// would fail with ErrUnavailable. A corrupt snapshot must be refused
	// before that.
	s := unreachable(t, 100*time.Millisecond)
	good, _ := sampleSnapshot(t)
	err := s.Restore(context.Background(), bytes.NewReader(good[:len(good)-10]))
	if !errors.Is(err, graph.ErrCorrupt) {
		t.Fatalf("Restore = %v, want ErrCorrupt", err)
	}
}
