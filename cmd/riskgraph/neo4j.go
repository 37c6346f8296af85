package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/neo4j"
	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/ingest/stream"
	"github.com/riskgraph/riskgraph/natsd"
)

// neo4jPasswordEnv is where the Neo4j password comes from when no
// --neo4j-password-file is given. There is deliberately no password flag:
// a command line is visible to every user of the machine (ps, /proc).
const neo4jPasswordEnv = "NEO4J_PASSWORD"

// neo4jFlags are the connection flags of every command that talks to
// Neo4j (neo4j init/sync/stats; serve reuses them).
type neo4jFlags struct {
	uri            string
	user           string
	passwordFile   string
	database       string
	graph          string
	connectTimeout time.Duration
	// trace, when set, sees every statement the store sends (not a flag:
	// --show-cypher sets it).
	trace func(cypher string, params map[string]any)
}

// addNeo4jFlags registers the connection flags on fs.
func addNeo4jFlags(fs *pflag.FlagSet, f *neo4jFlags) {
	fs.StringVar(&f.uri, "neo4j-uri", "", "Neo4j server (bolt://host:7687) or cluster (neo4j://host:7687); +s or +ssc for TLS")
	fs.StringVar(&f.user, "neo4j-user", "neo4j", "Neo4j user (empty: no authentication)")
	fs.StringVar(&f.passwordFile, "neo4j-password-file", "", "file holding the Neo4j password (default: env "+neo4jPasswordEnv+"; there is no password flag)")
	fs.StringVar(&f.database, "neo4j-database", "", "Neo4j database (default: the server's default database)")
	fs.StringVar(&f.graph, "neo4j-graph", neo4j.DefaultGraph, "graph name inside the database (graphs sharing a database never see each other)")
	fs.DurationVar(&f.connectTimeout, "neo4j-connect-timeout", neo4j.DefaultConnectTimeout, "how long to wait for the server to answer before giving up")
}

// config builds the store configuration. Flag mistakes are usage errors;
// an unreadable password file is an error naming it.
func (f *neo4jFlags) config() (neo4j.Config, error) {
	if f.uri == "" {
		return neo4j.Config{}, usagef("--neo4j-uri is required (e.g. bolt://localhost:7687)")
	}
	password := os.Getenv(neo4jPasswordEnv)
	if f.passwordFile != "" {
		b, err := os.ReadFile(f.passwordFile)
		if err != nil {
			return neo4j.Config{}, fmt.Errorf("--neo4j-password-file: %w", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
	}
	if f.user == "" {
		password = ""
	}
	cfg := neo4j.Config{
		URI: f.uri, User: f.user, Password: password, Database: f.database, Graph: f.graph,
		ConnectTimeout: f.connectTimeout, Trace: f.trace,
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usageError{fmt.Errorf("--neo4j-*: %w", err)}
	}
	return cfg, nil
}

// openNeo4j connects to the server the flags name and checks that it
// answers, within --neo4j-connect-timeout: an unreachable server is an
// error wrapping graph.ErrUnavailable at once (connection refused) or
// after the timeout (no answer). It does not create the schema (see
// neo4j.Store.Init and `riskgraph neo4j init`).
func openNeo4j(ctx context.Context, f *neo4jFlags) (*neo4j.Store, error) {
	cfg, err := f.config()
	if err != nil {
		return nil, err
	}
	s, err := neo4j.Open(ctx, cfg)
	if err != nil {
		if errors.Is(err, graph.ErrUnavailable) {
			return nil, fmt.Errorf("%w (is Neo4j running there? see deploy/README.md)", err)
		}
		return nil, err
	}
	return s, nil
}

func (m *Main) neo4jCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "neo4j",
		Short: "Run the graph in Neo4j: create its schema, backfill it from the log",
		Long: `The neo4j commands manage riskgraph's production graph store. Connection
flags are shared: --neo4j-uri, --neo4j-user, and the password from
--neo4j-password-file or the environment variable NEO4J_PASSWORD.

  riskgraph neo4j init --neo4j-uri bolt://localhost:7687
  riskgraph neo4j sync --neo4j-uri bolt://localhost:7687 --data-dir data
  riskgraph neo4j stats --neo4j-uri bolt://localhost:7687`,
	}
	cmd.AddCommand(m.neo4jInitCommand(), m.neo4jSyncCommand(g), m.neo4jStatsCommand(), m.neo4jCypherCommand())
	return cmd
}

func (m *Main) neo4jInitCommand() *cobra.Command {
	nf := &neo4jFlags{}
	cmd := &cobra.Command{
		Use:   "init --neo4j-uri URI",
		Short: "Create the constraints and indexes the graph needs (idempotent)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, err := openNeo4j(ctx, nf)
			if err != nil {
				return err
			}
			defer s.Close()
			start := m.Now()
			if err := s.Init(ctx); err != nil {
				return err
			}
			var constraints, indexes int
			for _, st := range neo4j.Statements() {
				switch {
				case strings.HasPrefix(st.Cypher, "CREATE CONSTRAINT"):
					constraints++
				case strings.HasPrefix(st.Cypher, "CREATE INDEX"):
					indexes++
				}
			}
			fmt.Fprintf(m.Stdout, "neo4j schema ready at %s: %d constraints and %d indexes online (%.1fs)\n",
				nf.uri, constraints, indexes, m.Now().Sub(start).Seconds())
			return nil
		},
	}
	addNeo4jFlags(cmd.Flags(), nf)
	return cmd
}

type neo4jSyncFlags struct {
	dataDir    string
	natsURL    string
	panKeyFile string
	batch      int
	follow     bool
	jsonOut    bool
}

func (m *Main) neo4jSyncCommand(g *globals) *cobra.Command {
	nf, f := &neo4jFlags{}, &neo4jSyncFlags{}
	cmd := &cobra.Command{
		Use:   "sync --neo4j-uri URI (--data-dir D | --nats-url URL --pan-key-file K)",
		Short: "Backfill Neo4j from the JetStream log (resumable, idempotent)",
		Long: `sync applies the riskgraph log to the Neo4j graph: every transaction and
label from the sequence after the graph's LastSeq up to the log's end when
sync started (or for ever with --follow). It reads the log of a data
directory (--data-dir, while no serve runs on it) or of a running
riskgraph or NATS cluster (--nats-url). A message is acknowledged only
after the Neo4j transaction holding it has committed, and applying one
twice changes nothing, so an interrupted sync is resumed by running it
again. The schema is created first if missing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runNeo4jSync(cmd.Context(), g, nf, f) },
	}
	fl := cmd.Flags()
	addNeo4jFlags(fl, nf)
	fl.StringVar(&f.dataDir, "data-dir", "", "data directory whose log to read (its embedded NATS is started read-side; serve must not be running on it)")
	fl.StringVar(&f.natsURL, "nats-url", "", "read the log from this NATS server or cluster instead (needs --pan-key-file)")
	fl.StringVar(&f.panKeyFile, "pan-key-file", "", "PAN tokenisation key (default with --data-dir: DATA_DIR/pan.key)")
	fl.IntVar(&f.batch, "batch", stream.DefaultBatchSize, "messages per Neo4j transaction")
	fl.BoolVar(&f.follow, "follow", false, "keep applying new messages until interrupted")
	fl.BoolVar(&f.jsonOut, "json", false, "print the summary as JSON")
	return cmd
}

// syncSummary is what neo4j sync reports.
type syncSummary struct {
	From         uint64  `json:"from_seq"` // the graph's LastSeq when sync started
	To           uint64  `json:"to_seq"`   // the graph's LastSeq at the end
	Applied      int64   `json:"applied"`  // messages applied (transactions and labels)
	Duplicates   int64   `json:"duplicates"`
	DeadLettered int64   `json:"dead_lettered"`
	Retries      int64   `json:"retries"`
	Seconds      float64 `json:"seconds"`
}

// syncLog is the log sync reads: a JetStream context and what it needs to
// release.
type syncLog struct {
	js    jetstream.JetStream
	tok   *ingest.Tokenizer
	close func()
}

func (m *Main) openSyncLog(ctx context.Context, g *globals, f *neo4jSyncFlags) (_ *syncLog, err error) {
	l := &syncLog{close: func() {}}
	var closers []func()
	defer func() {
		l.close = func() {
			for i := len(closers) - 1; i >= 0; i-- {
				closers[i]()
			}
		}
		if err != nil {
			l.close()
		}
	}()
	keyPath := f.panKeyFile
	if f.dataDir != "" {
		if _, err := os.Stat(filepath.Join(f.dataDir, natsDir)); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, usagef("--data-dir %s holds no log (ingest into it first)", f.dataDir)
			}
			return nil, fmt.Errorf("data dir: %w", err)
		}
		unlock, err := lockDir(filepath.Join(f.dataDir, lockFile))
		if err != nil {
			return nil, fmt.Errorf("data dir %s: %w", f.dataDir, err)
		}
		closers = append(closers, unlock)
		if keyPath == "" {
			keyPath = filepath.Join(f.dataDir, panKeyFile)
		}
	}
	key, err := ingest.LoadOrCreateKey(keyPath, m.Rand)
	if err != nil {
		return nil, err
	}
	if l.tok, err = ingest.NewTokenizer(key); err != nil {
		return nil, err
	}
	var nc *nats.Conn
	if f.dataDir != "" {
		log, err := g.logger(m.Stderr)
		if err != nil {
			return nil, err
		}
		srv, err := natsd.Start(ctx, natsd.Config{StoreDir: filepath.Join(f.dataDir, natsDir), Logger: log})
		if err != nil {
			return nil, err
		}
		closers = append(closers, srv.Shutdown)
		if nc, err = srv.Connect(nats.Name("riskgraph neo4j sync")); err != nil {
			return nil, err
		}
	} else if nc, err = nats.Connect(f.natsURL, nats.Name("riskgraph neo4j sync")); err != nil {
		return nil, fmt.Errorf("connect %s: %w", f.natsURL, err)
	}
	closers = append(closers, nc.Close)
	if l.js, err = jetstream.New(nc); err != nil {
		return nil, err
	}
	return l, nil
}

func (m *Main) runNeo4jSync(ctx context.Context, g *globals, nf *neo4jFlags, f *neo4jSyncFlags) error {
	switch {
	case f.dataDir == "" && f.natsURL == "":
		return usagef("give --data-dir or --nats-url: the log to read")
	case f.dataDir != "" && f.natsURL != "":
		return usagef("give --data-dir or --nats-url, not both")
	case f.natsURL != "" && f.panKeyFile == "":
		return usagef("--pan-key-file is required with --nats-url (use the key of the riskgraph that wrote the log)")
	case f.batch < 1 || f.batch > neo4j.MaxBatchSize:
		return usagef("--batch %d: want 1 to %d", f.batch, neo4j.MaxBatchSize)
	}
	if _, err := g.logger(m.Stderr); err != nil {
		return err
	}
	// Neo4j first: an unreachable server fails before the log is touched.
	store, err := openNeo4j(ctx, nf)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Init(ctx); err != nil {
		return err
	}
	sum, err := m.syncLog(ctx, g, f, store, nf.graph)
	if err != nil {
		return err
	}
	if f.jsonOut {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}
	if sum.Applied == 0 && sum.DeadLettered == 0 {
		fmt.Fprintf(m.Stdout, "neo4j graph %q is up to date with the log (sequence %d)\n", nf.graph, sum.To)
		return nil
	}
	fmt.Fprintf(m.Stdout, "synced log sequences %d..%d into neo4j graph %q: %d messages applied (%d transactions already there), %d dead-lettered, in %.1fs\n",
		sum.From+1, sum.To, nf.graph, sum.Applied, sum.Duplicates, sum.DeadLettered, sum.Seconds)
	return nil
}

// syncLog applies the log f names to store, from the store's LastSeq to
// the log's end (or until ctx ends with --follow). The store is anything a
// stream Consumer can apply to; the command passes the Neo4j store.
func (m *Main) syncLog(ctx context.Context, g *globals, f *neo4jSyncFlags, store stream.Applier, graphName string) (syncSummary, error) {
	var sum syncSummary
	log, err := g.logger(m.Stderr)
	if err != nil {
		return sum, err
	}
	from, err := store.LastSeq(ctx)
	if err != nil {
		return sum, err
	}
	lg, err := m.openSyncLog(ctx, g, f)
	if err != nil {
		return sum, err
	}
	defer lg.close()
	str, err := lg.js.Stream(ctx, stream.DefaultStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return sum, fmt.Errorf("no riskgraph log there (stream %s not found): ingest first", stream.DefaultStream)
	}
	if err != nil {
		return sum, fmt.Errorf("log: %w", err)
	}
	info, err := str.Info(ctx)
	if err != nil {
		return sum, fmt.Errorf("log: %w", err)
	}
	target := info.State.LastSeq
	if from > target {
		return sum, fmt.Errorf("graph %q has applied up to sequence %d but this log ends at %d: it was synced from another log (use another --neo4j-graph, or empty this one): %w",
			graphName, from, target, stream.ErrStoreAhead)
	}
	cons, err := stream.NewConsumer(lg.js, store, stream.ConsumerConfig{Tokenizer: lg.tok, BatchSize: f.batch, Logger: log})
	if err != nil {
		return sum, err
	}
	start := m.Now()
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	done := make(chan error, 1)
	go func() { done <- cons.Run(runCtx) }()
	if err := m.followProgress(ctx, cons, done, from, target, f.follow); err != nil {
		stop()
		<-done
		return sum, err
	}
	stop()
	if err := <-done; err != nil {
		return sum, err
	}
	st := cons.Stats()
	sum = syncSummary{From: from, To: max(st.Resolved, from), Applied: st.Applied, Duplicates: st.Duplicates,
		DeadLettered: st.DeadLettered, Retries: st.Retries, Seconds: m.Now().Sub(start).Seconds()}
	return sum, nil
}

// followProgress waits until the consumer has resolved target (or, with
// follow, until ctx ends), drawing progress on a terminal. It returns the
// consumer's error if it stops first.
func (m *Main) followProgress(ctx context.Context, cons *stream.Consumer, done chan error, from, target uint64, follow bool) error {
	p := m.newProgress("neo4j sync", int64(target-from))
	defer p.done()
	reached := make(chan error, 1)
	if !follow {
		go func() { reached <- cons.WaitFor(ctx, target) }()
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-reached:
			return err
		case err := <-done:
			done <- err // runNeo4jSync collects it
			if err == nil {
				err = ctx.Err()
			}
			return fmt.Errorf("log consumer stopped: %w", err)
		case <-ctx.Done():
			if follow {
				return nil
			}
			return ctx.Err()
		case <-tick.C:
			st := cons.Stats()
			p.update(int64(max(st.Resolved, from)-from), int(st.Applied))
		}
	}
}

func (m *Main) neo4jStatsCommand() *cobra.Command {
	nf := &neo4jFlags{}
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "stats --neo4j-uri URI",
		Short: "Counts by node and edge kind, labels and the last applied sequence",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, err := openNeo4j(ctx, nf)
			if err != nil {
				return err
			}
			defer s.Close()
			st, err := s.Stats(ctx)
			if err != nil {
				return err
			}
			out := map[string]any{"nodes": map[string]int64{}, "edges": map[string]int64{}, "labels": map[string]int64{}, "last_seq": st.LastSeq}
			for k, n := range st.Nodes {
				out["nodes"].(map[string]int64)[k.String()] = n
			}
			for e, n := range st.Edges {
				out["edges"].(map[string]int64)[e.String()] = n
			}
			for c, n := range st.Labels {
				out["labels"].(map[string]int64)[string(c)] = n
			}
			if jsonOut {
				enc := json.NewEncoder(m.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			for _, k := range graph.Kinds() {
				fmt.Fprintf(m.Stdout, "%-12s %d\n", k, st.Nodes[k])
			}
			for _, e := range graph.EdgeKinds() {
				fmt.Fprintf(m.Stdout, "%-12s %d\n", e, st.Edges[e])
			}
			fmt.Fprintf(m.Stdout, "labels       fraud %d, legit %d, laundering %d\nlast seq     %d\n",
				st.Labels[graph.ClassFraud], st.Labels[graph.ClassLegit], st.Labels[graph.ClassLaundering], st.LastSeq)
			return nil
		},
	}
	addNeo4jFlags(cmd.Flags(), nf)
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print JSON")
	return cmd
}

func (m *Main) neo4jCypherCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "cypher",
		Short: "Print every Cypher statement riskgraph sends to Neo4j (values are always $parameters)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, st := range neo4j.Statements() {
				fmt.Fprintf(m.Stdout, "// %s\n%s;\n\n", st.Name, st.Cypher)
			}
			return nil
		},
	}
}
