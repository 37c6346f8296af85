package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/graph/neo4j"
	"github.com/riskgraph/riskgraph/ingest/stream"
)

// closedNeo4jPort returns a bolt URI where nothing listens.
func closedNeo4jPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "bolt://" + addr
}

func TestNeo4jFlagValidation(t *testing.T) {
	dir := t.TempDir()
	uri := closedNeo4jPort(t)
	tests := []struct {
		name  string
		args  []string
		usage bool   // exit code 2
		want  string // fragment of the error
	}{
		{"init needs a URI", []string{"neo4j", "init"}, true, "--neo4j-uri is required"},
		{"an http URI is not Neo4j's", []string{"neo4j", "init", "--neo4j-uri", "http://localhost:7474"}, true, `scheme "http"`},
		{"credentials in the URI are refused", []string{"neo4j", "init", "--neo4j-uri", "bolt://neo4j:pw@localhost"}, true, "carries credentials"},
		{"there is no password flag", []string{"neo4j", "init", "--neo4j-uri", uri, "--neo4j-password", "x"}, true, "unknown flag: --neo4j-password"},
		{"a missing password file is named", []string{"neo4j", "init", "--neo4j-uri", uri, "--neo4j-password-file", filepath.Join(dir, "nope")}, false, "--neo4j-password-file"},
		{"sync needs a log", []string{"neo4j", "sync", "--neo4j-uri", uri}, true, "--data-dir or --nats-url"},
		{"sync takes one log", []string{"neo4j", "sync", "--neo4j-uri", uri, "--data-dir", dir, "--nats-url", "nats://x"}, true, "not both"},
		{"sync from NATS needs the PAN key", []string{"neo4j", "sync", "--neo4j-uri", uri, "--nats-url", "nats://x"}, true, "--pan-key-file"},
		{"sync batch in range", []string{"neo4j", "sync", "--neo4j-uri", uri, "--data-dir", dir, "--batch", "0"}, true, "--batch 0"},
		{"sync needs a URI", []string{"neo4j", "sync", "--data-dir", dir}, true, "--neo4j-uri is required"},
		{"stats needs a URI", []string{"neo4j", "stats"}, true, "--neo4j-uri is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := run(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("riskgraph %s = %v, want an error mentioning %q", strings.Join(tc.args, " "), err, tc.want)
			}
			if code := (&Main{Stderr: &strings.Builder{}}).exitCode(err); (code == 2) != tc.usage {
				t.Errorf("exit code %d for %v (usage error: %v)", code, err, tc.usage)
			}
		})
	}
}

// TestNeo4jUnreachable: with no server at the URI, every command fails at
// once with an ErrUnavailable error that names the URI, never the
// password, and sync touches nothing of the data directory.
func TestNeo4jUnreachable(t *testing.T) {
	t.Setenv(neo4jPasswordEnv, "s3cret-from-env")
	uri := closedNeo4jPort(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	for _, args := range [][]string{
		{"neo4j", "init", "--neo4j-uri", uri},
		{"neo4j", "stats", "--neo4j-uri", uri},
		{"neo4j", "sync", "--neo4j-uri", uri, "--data-dir", dataDir},
	} {
		t.Run(args[1], func(t *testing.T) {
			start := time.Now()
			_, _, err := run(t, args...)
			if !errors.Is(err, graph.ErrUnavailable) {
				t.Fatalf("riskgraph %s = %v, want graph.ErrUnavailable", strings.Join(args, " "), err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v to report a refused connection", d)
			}
			msg := err.Error()
			if !strings.Contains(msg, uri) || !strings.Contains(msg, "unavailable") || strings.Contains(msg, "s3cret") {
				t.Errorf("error %q: want the URI and 'unavailable', never the password", msg)
			}
			if code := (&Main{Stderr: &strings.Builder{}}).exitCode(err); code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
		})
	}
	if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("sync created %s although Neo4j was unreachable (err %v)", dataDir, err)
	}
}

func TestNeo4jPasswordSources(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pw")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  string
		f    neo4jFlags
		want string
	}{
		{"environment", "from-env", neo4jFlags{user: "neo4j"}, "from-env"},
		{"file beats environment, newline trimmed", "from-env", neo4jFlags{user: "neo4j", passwordFile: file}, "from-file"},
		{"no user, no password", "from-env", neo4jFlags{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(neo4jPasswordEnv, tc.env)
			tc.f.uri = "bolt://localhost:7687"
			cfg, err := tc.f.config()
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Password != tc.want {
				t.Errorf("password %q, want %q", cfg.Password, tc.want)
			}
		})
	}
}

func TestNeo4jCypherListsEveryStatement(t *testing.T) {
	out, _ := mustRun(t, "neo4j", "cypher")
	for _, st := range neo4j.Statements() {
		if !strings.Contains(out, "// "+st.Name+"\n"+st.Cypher+";\n") {
			t.Errorf("neo4j cypher does not print %s", st.Name)
		}
	}
}

// TestNeo4jSyncFromDataDir drives sync's log side — data directory, log
// consumer, progress, resumption — into the embedded store standing in for
// Neo4j (whose own behaviour the graph/neo4j tests cover).
func TestNeo4jSyncFromDataDir(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run; skipped with -short")
	}
	ctx := context.Background()
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "traffic.csv")
	dataDir := filepath.Join(dir, "data")
	mustRun(t, "gen", "--seed", "5", "--users", "60", "--days", "3", "--out", csvPath)
	mustRun(t, "ingest", "--data-dir", dataDir, csvPath)
	statsOut, _ := mustRun(t, "graph", "stats", "--data-dir", dataDir, "--json")
	var embedded graphStats
	if err := json.Unmarshal([]byte(statsOut), &embedded); err != nil {
		t.Fatal(err)
	}
	var errb strings.Builder
	m := NewMain()
	m.Stdout, m.Stderr = &strings.Builder{}, &errb
	m.Terminal = func(io.Writer) bool { return true }
	g := &globals{logLevel: "warn", logFormat: "text"}
	if embedded.LastSeq < 40 {
		t.Fatalf("the log holds %d messages; the test needs several batches", embedded.LastSeq)
	}
	// Batches of a tenth of the log: the first leg dies after a few.
	f := &neo4jSyncFlags{dataDir: dataDir, batch: int(embedded.LastSeq / 10)}
	target := mem.New()

	// Resumable: a sync that dies half way (its store fails for good)
	// leaves a graph that the next run carries on from.
	half := embedded.LastSeq / 2
	if _, err := m.syncLog(ctx, g, f, stopAt{target, half}, "test"); !errors.Is(err, graph.ErrClosed) {
		t.Fatalf("first leg = %v, want the store's failure", err)
	}
	reached, _ := target.LastSeq(ctx)
	if reached < half || reached >= embedded.LastSeq {
		t.Fatalf("first leg reached %d, want from %d to below %d", reached, half, embedded.LastSeq)
	}
	sum, err := m.syncLog(ctx, g, f, target, "test")
	if err != nil {
		t.Fatal(err)
	}
	if sum.From != reached || sum.To != embedded.LastSeq || sum.Applied != int64(embedded.LastSeq-reached) {
		t.Errorf("second leg %+v, want %d..%d, %d applied", sum, reached, embedded.LastSeq, embedded.LastSeq-reached)
	}
	st, _ := target.Stats(ctx)
	for _, k := range embedded.Kinds {
		kind, _ := graph.ParseKind(k.Kind)
		if st.Nodes[kind] != k.Nodes {
			t.Errorf("%s: synced graph holds %d nodes, the data dir's %d", k.Kind, st.Nodes[kind], k.Nodes)
		}
	}
	again, err := m.syncLog(ctx, g, f, target, "test")
	if err != nil || again.Applied != 0 || again.To != embedded.LastSeq {
		t.Errorf("sync of a synced graph = %+v, %v; want nothing applied", again, err)
	}
	// A graph ahead of the log belongs to another log.
	ahead := mem.New()
	if _, err := ahead.Apply(ctx, graph.Mutation{Seq: embedded.LastSeq + 10, Txn: &graph.Transaction{ID: "x", Time: time.Now(), Amount: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.syncLog(ctx, g, f, ahead, "other"); !errors.Is(err, stream.ErrStoreAhead) {
		t.Errorf("sync into a graph ahead of the log = %v, want ErrStoreAhead", err)
	}
	// serve (or anything else) holding the data dir: a clear refusal.
	e, err := m.openEnv(ctx, slog.New(slog.DiscardHandler), envConfig{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	if _, err := m.syncLog(ctx, g, f, mem.New(), "test"); err == nil || !strings.Contains(err.Error(), "--nats-url") {
		t.Errorf("sync of a data dir in use = %v, want a refusal pointing at --nats-url", err)
	}
}

// stopAt is a store that stops applying (as if the process died) once it
// holds sequence seq: later batches fail and are never acknowledged.
type stopAt struct {
	*mem.Store
	seq uint64
}

func (s stopAt) Apply(ctx context.Context, batch ...graph.Mutation) (graph.Applied, error) {
	if last, _ := s.LastSeq(ctx); last >= s.seq {
		return graph.Applied{}, fmt.Errorf("stopped: %w", graph.ErrClosed)
	}
	return s.Store.Apply(ctx, batch...)
}

// TestNeo4jSyncEndToEnd backfills a real server from a data directory,
// twice: the second run finds nothing to do. It runs when NEO4J_URI is
// set (see deploy/README.md).
func TestNeo4jSyncEndToEnd(t *testing.T) {
	uri := os.Getenv("NEO4J_URI")
	if uri == "" {
		t.Skip("neo4j: NEO4J_URI not set; run `make test-neo4j` against a server (see deploy/README.md)")
	}
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "traffic.csv")
	dataDir := filepath.Join(dir, "data")
	mustRun(t, "gen", "--seed", "5", "--users", "60", "--days", "3", "--out", csvPath)
	mustRun(t, "ingest", "--data-dir", dataDir, csvPath)
	statsOut, _ := mustRun(t, "graph", "stats", "--data-dir", dataDir, "--json")
	var embedded graphStats
	if err := json.Unmarshal([]byte(statsOut), &embedded); err != nil {
		t.Fatal(err)
	}
	graphName := "cli-test-" + time.Now().Format("150405.000000")
	conn := []string{"--neo4j-uri", uri, "--neo4j-user", os.Getenv("NEO4J_USER"), "--neo4j-graph", graphName}
	t.Cleanup(func() {
		s, err := neo4j.Open(context.Background(), neo4j.Config{URI: uri, User: os.Getenv("NEO4J_USER"), Password: os.Getenv("NEO4J_PASSWORD"), Graph: graphName})
		if err == nil {
			s.Reset(context.Background())
			s.Close()
		}
	})
	out, _ := mustRun(t, append([]string{"neo4j", "sync", "--data-dir", dataDir, "--json"}, conn...)...)
	var sum syncSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.From != 0 || sum.To != embedded.LastSeq || sum.Applied == 0 {
		t.Errorf("first sync %+v, want sequences 1..%d applied", sum, embedded.LastSeq)
	}
	again, _ := mustRun(t, append([]string{"neo4j", "sync", "--data-dir", dataDir}, conn...)...)
	if !strings.Contains(again, "up to date") {
		t.Errorf("second sync said %q, want up to date", again)
	}
	nout, _ := mustRun(t, append([]string{"neo4j", "stats", "--json"}, conn...)...)
	var got struct {
		Nodes   map[string]int64 `json:"nodes"`
		LastSeq uint64           `json:"last_seq"`
	}
	if err := json.Unmarshal([]byte(nout), &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range embedded.Kinds {
		if got.Nodes[k.Kind] != k.Nodes {
			t.Errorf("%s: neo4j holds %d nodes, the embedded graph %d", k.Kind, got.Nodes[k.Kind], k.Nodes)
		}
	}
	if got.LastSeq != embedded.LastSeq {
		t.Errorf("neo4j LastSeq %d, embedded %d", got.LastSeq, embedded.LastSeq)
	}
}
