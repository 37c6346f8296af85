package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/cache"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/ingest/stream"
	"github.com/riskgraph/riskgraph/natsd"
	"github.com/riskgraph/riskgraph/scoring"
)

// Layout of a data directory.
const (
	snapshotFile  = "graph.snap"
	panKeyFile    = "pan.key"
	signalKeyFile = "signal.key"
	natsDir       = "nats"
	lockFile      = "LOCK"
)

// envConfig says how to open a data directory.
type envConfig struct {
	DataDir    string
	PANKeyFile string // "" = DataDir/pan.key, created on first use
	// CheckpointEvery and CheckpointInterval: how often the consumer
	// snapshots the graph while it runs.
	CheckpointEvery    int
	CheckpointInterval time.Duration
	// SyncInterval > 0 lets the log fsync on an interval instead of every
	// write (bulk loads from files, which a rerun repairs). Periodic
	// snapshots are then off: a snapshot must never get ahead of what the
	// log has on disk.
	SyncInterval time.Duration
	// Listen opens the embedded NATS server to clients at host:port ("" =
	// in-process only).
	Listen string
	// Observe, when set, sees every transaction the log's consumer applies
	// to the graph (serve's typology engine); BeforeConsume runs once the
	// graph is restored and before the consumer starts (warming it).
	Observe       func(*graph.Transaction)
	BeforeConsume func(ctx context.Context, g graph.Store) error
	// NATS, when its url is set, joins an external NATS deployment instead
	// of starting the embedded server: the log lives there, the graph and
	// its snapshots stay in the data dir.
	NATS *natsFlags
	// Neo4j, when its uri is set, keeps the graph in Neo4j instead of the
	// embedded store (no snapshots in the data dir then).
	Neo4j *neo4jFlags
}

// external reports whether the environment joins an external NATS.
func (c envConfig) external() bool { return c.NATS != nil && c.NATS.url != "" }

// env is the embedded deployment over one data directory: an in-process
// NATS server with the JetStream log, the embedded graph restored from its
// snapshot, and the consumer that keeps the graph up to date with the log.
type env struct {
	cfg    envConfig
	log    *slog.Logger
	unlock func()
	srv    *natsd.Server
	nc     *nats.Conn
	js     jetstream.JetStream
	// store is the graph: mem (embedded, snapshotted in the data dir) or
	// Neo4j behind a neighbourhood cache.
	store graph.Store
	mem   *mem.Store // nil with Neo4j
	// reads is what scoring reads (the store, or the cache in front of
	// Neo4j); writes is what applies to the graph (the same, so the cache
	// is invalidated by every write this process makes).
	reads  scoring.Graph
	writes stream.Applier
	tok    *ingest.Tokenizer
	cons   *stream.Consumer
	stop   context.CancelFunc
	done   chan error
}

func (m *Main) openEnv(ctx context.Context, log *slog.Logger, cfg envConfig) (_ *env, err error) {
	if cfg.DataDir == "" {
		return nil, usagef("--data-dir is required")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	e := &env{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	if e.unlock, err = lockDir(filepath.Join(cfg.DataDir, lockFile)); err != nil {
		return nil, fmt.Errorf("data dir %s: %w", cfg.DataDir, err)
	}
	if err := e.openGraph(ctx); err != nil {
		return nil, err
	}
	keyPath := cfg.PANKeyFile
	if keyPath == "" {
		keyPath = filepath.Join(cfg.DataDir, panKeyFile)
	}
	key, err := ingest.LoadOrCreateKey(keyPath, m.Rand)
	if err != nil {
		return nil, err
	}
	if e.tok, err = ingest.NewTokenizer(key); err != nil {
		return nil, err
	}
	if cfg.SyncInterval > 0 {
		cfg.CheckpointEvery, cfg.CheckpointInterval = 0, 0
	}
	streamCfg := stream.StreamConfig{}
	if cfg.external() {
		if e.nc, err = cfg.NATS.connect("riskgraph"); err != nil {
			return nil, err
		}
		streamCfg.Replicas = cfg.NATS.replicas
	} else {
		natsCfg := natsd.Config{StoreDir: filepath.Join(cfg.DataDir, natsDir), SyncInterval: cfg.SyncInterval, Listen: cfg.Listen, Logger: log}
		if e.srv, err = natsd.Start(ctx, natsCfg); err != nil {
			return nil, err
		}
		if e.nc, err = e.srv.Connect(nats.Name("riskgraph")); err != nil {
			return nil, err
		}
	}
	if e.js, err = jetstream.New(e.nc); err != nil {
		return nil, err
	}
	str, err := stream.EnsureStream(ctx, e.js, streamCfg)
	if err != nil {
		return nil, err
	}
	if err := e.restore(ctx, str); err != nil {
		return nil, err
	}
	if cfg.BeforeConsume != nil {
		if err := cfg.BeforeConsume(ctx, e.store); err != nil {
			return nil, err
		}
	}
	applier := e.writes
	if cfg.Observe != nil {
		applier = observingApplier{Applier: e.writes, observe: cfg.Observe}
	}
	var checkpoint func(context.Context) error
	if e.mem != nil {
		checkpoint = e.checkpoint // Neo4j is durable on its own
	}
	e.cons, err = stream.NewConsumer(e.js, applier, stream.ConsumerConfig{
		Tokenizer:          e.tok,
		Checkpoint:         checkpoint,
		CheckpointEvery:    cfg.CheckpointEvery,
		CheckpointInterval: cfg.CheckpointInterval,
		Logger:             log,
	})
	if err != nil {
		return nil, err
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	e.stop, e.done = stop, make(chan error, 1)
	go func() { e.done <- e.cons.Run(runCtx) }()
	return e, nil
}

// openGraph opens the graph: the embedded store, or Neo4j (schema ensured)
// behind a bounded neighbourhood cache when cfg.Neo4j names a server.
func (e *env) openGraph(ctx context.Context) error {
	if e.cfg.Neo4j == nil || e.cfg.Neo4j.uri == "" {
		e.mem = mem.New()
		e.store, e.reads, e.writes = e.mem, e.mem, e.mem
		return nil
	}
	s, err := openNeo4j(ctx, e.cfg.Neo4j)
	if err != nil {
		return err
	}
	e.store = s
	if err := s.Init(ctx); err != nil {
		return fmt.Errorf("neo4j schema: %w", err)
	}
	// Writes by other replicas reach this one through the log (its own
	// consumer applies them through the cache); the TTL bounds staleness
	// for anything else.
	c, err := cache.New(s, cache.Config{TTL: 30 * time.Second})
	if err != nil {
		return err
	}
	e.reads, e.writes = c, c
	return nil
}

// openCaughtUp opens the data directory and waits until the graph holds
// the whole log: what every command reading the graph needs.
func (m *Main) openCaughtUp(ctx context.Context, log *slog.Logger, cfg envConfig) (*env, error) {
	e, err := m.openEnv(ctx, log, cfg)
	if err != nil {
		return nil, err
	}
	if err := e.catchUp(ctx, 0); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

// streamReplicas is the replica count for the streams this process
// creates: 1 on the embedded server, --stream-replicas on a cluster.
func (e *env) streamReplicas() int {
	if e.cfg.external() {
		return e.cfg.NATS.replicas
	}
	return 1
}

// clientURL is where NATS clients reach the log: the embedded server's
// client URL, or the external server this process is connected to.
func (e *env) clientURL() string {
	if e.srv != nil {
		return e.srv.ClientURL()
	}
	return e.nc.ConnectedUrlRedacted()
}

// restore loads the graph snapshot. A missing snapshot means an empty
// graph; a corrupt one is moved aside and the graph rebuilt from the log,
// which works as long as the log still holds its first message.
func (e *env) restore(ctx context.Context, str jetstream.Stream) error {
	if e.mem == nil {
		return nil // Neo4j keeps the graph; the log resumes from its LastSeq
	}
	path := filepath.Join(e.cfg.DataDir, snapshotFile)
	err := e.mem.LoadFile(ctx, path)
	switch {
	case err == nil || errors.Is(err, fs.ErrNotExist):
		return nil
	case !errors.Is(err, graph.ErrCorrupt):
		return err
	}
	info, ierr := str.Info(ctx)
	if ierr != nil {
		return fmt.Errorf("%w; and the log cannot be inspected: %w", err, ierr)
	}
	if info.State.FirstSeq > 1 {
		return fmt.Errorf("%w; the log starts at sequence %d, so the graph cannot be rebuilt from it: restore a backup of %s", err, info.State.FirstSeq, path)
	}
	aside := path + ".corrupt-" + time.Now().UTC().Format("20060102T150405")
	if rerr := os.Rename(path, aside); rerr != nil {
		return fmt.Errorf("%w; moving it aside: %w", err, rerr)
	}
	e.log.Warn("graph snapshot is corrupt: moved aside, rebuilding the graph from the log", "snapshot", aside, "err", err)
	return nil
}

// checkpoint snapshots the graph to the data directory.
func (e *env) checkpoint(ctx context.Context) error {
	if e.mem == nil {
		return nil
	}
	return e.mem.SaveFile(ctx, filepath.Join(e.cfg.DataDir, snapshotFile))
}

// lastSeq returns the log's last sequence.
func (e *env) lastSeq(ctx context.Context) (uint64, error) {
	str, err := e.js.Stream(ctx, stream.DefaultStream)
	if err != nil {
		return 0, err
	}
	info, err := str.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.State.LastSeq, nil
}

// catchUp waits until the graph holds everything in the log up to seq
// (0: the log's current end).
func (e *env) catchUp(ctx context.Context, seq uint64) error {
	if seq == 0 {
		var err error
		if seq, err = e.lastSeq(ctx); err != nil {
			return fmt.Errorf("catch up: %w", err)
		}
	}
	wait := make(chan error, 1)
	go func() { wait <- e.cons.WaitFor(ctx, seq) }()
	select {
	case err := <-wait:
		return err
	case err := <-e.done:
		e.done <- err
		return fmt.Errorf("consumer stopped: %w", err)
	}
}

// shutdown stops the consumer, shuts the server down (which syncs the
// log to disk), then takes the final snapshot and releases everything. In
// that order, a snapshot never records a sequence the log may not have.
func (e *env) shutdown(ctx context.Context) error {
	var err error
	if e.stop != nil {
		e.stop()
		err = <-e.done
		e.stop = nil
	}
	if e.nc != nil {
		e.nc.Close()
		e.nc = nil
	}
	if e.srv != nil {
		e.srv.Shutdown()
		e.srv = nil
	}
	if err == nil {
		err = e.checkpoint(ctx)
	}
	e.close()
	return err
}

// close releases everything without a final snapshot.
func (e *env) close() {
	if e.stop != nil {
		e.stop()
		<-e.done
	}
	if e.nc != nil {
		e.nc.Close()
	}
	if e.srv != nil {
		e.srv.Shutdown()
	}
	if e.store != nil {
		e.store.Close()
	}
	if e.unlock != nil {
		e.unlock()
	}
}
