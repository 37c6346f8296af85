package neo4j

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"

	driver "github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/config"

	"github.com/riskgraph/riskgraph/graph"
)

// Store is a graph.Store kept in Neo4j. It is safe for concurrent use, and
// any number of Stores (in any number of processes) may write the same
// graph at once: see the package documentation for why that can never
// duplicate a node or an edge.
type Store struct {
	cfg    Config
	drv    driver.DriverWithContext
	closed atomic.Bool
	// restoreMu keeps this process's own writers and readers out while
	// Restore replaces the content (Restore takes it exclusively).
	restoreMu sync.RWMutex
}

var _ graph.Store = (*Store)(nil)

// Open connects to the server cfg names and checks, within
// cfg.ConnectTimeout, that it answers and accepts the credentials. An
// unreachable server is an error wrapping graph.ErrUnavailable (at once for
// a refused connection, after ConnectTimeout for one that does not answer);
// refused credentials wrap ErrAuth; a bad Config or a database that does
// not exist wraps ErrInvalidConfig. Open does not create the schema: call
// Init once per database (it is idempotent).
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s, err := newStore(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.check(ctx); err != nil {
		s.drv.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return s, nil
}

// newStore makes a Store and its driver without connecting.
func newStore(cfg Config) (*Store, error) {
	cfg = cfg.withDefaults()
	auth := driver.NoAuth()
	if cfg.User != "" {
		auth = driver.BasicAuth(cfg.User, cfg.Password, "")
	}
	drv, err := driver.NewDriverWithContext(cfg.URI, auth, func(c *config.Config) {
		c.MaxConnectionPoolSize = cfg.MaxConnectionPoolSize
		c.ConnectionAcquisitionTimeout = cfg.ConnectionAcquisitionTimeout
		c.SocketConnectTimeout = cfg.ConnectTimeout
		c.MaxTransactionRetryTime = cfg.MaxTransactionRetryTime
		c.FetchSize = cfg.FetchSize
		c.TelemetryDisabled = true
		c.UserAgent = "riskgraph"
	})
	if err != nil {
		return nil, fmt.Errorf("neo4j: open %s: %w: %w", redact(cfg.URI), ErrInvalidConfig, err)
	}
	return &Store{cfg: cfg, drv: drv}, nil
}

// check verifies connectivity, credentials and the database within
// ConnectTimeout.
func (s *Store) check(ctx context.Context) error {
	op := "connect to " + redact(s.cfg.URI)
	vctx, cancel := context.WithTimeout(ctx, s.cfg.ConnectTimeout)
	defer cancel()
	err := s.drv.VerifyConnectivity(vctx)
	if err == nil {
		_, err = s.readIn(vctx, s.metaCall())
	}
	switch {
	case err == nil:
		return nil
	case ctx.Err() == nil && vctx.Err() != nil:
		return fmt.Errorf("neo4j: %s: %w: no answer within %v: %w", op, graph.ErrUnavailable, s.cfg.ConnectTimeout, err)
	}
	return wrapDriverErr(op, err)
}

// redact removes any credentials from a URI for messages.
func redact(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return "(unparsable URI)"
	}
	return u.Redacted()
}

// Config returns the store's configuration with defaults applied and the
// password removed.
func (s *Store) Config() Config {
	c := s.cfg
	c.Password = ""
	return c
}

// Close closes the driver and its connections. Later calls return errors
// wrapping graph.ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	if err := s.drv.Close(context.Background()); err != nil {
		return fmt.Errorf("neo4j: close: %w", err)
	}
	return nil
}

// open reports ErrClosed after Close.
func (s *Store) open(op string) error {
	if s.closed.Load() {
		return fmt.Errorf("neo4j: %s: %w", op, graph.ErrClosed)
	}
	return nil
}

// Init creates the constraints and indexes the store relies on (see the
// package documentation) if they do not exist, and waits until every index
// is online. It is idempotent and safe to run from several processes at
// once. It needs a user allowed to create constraints and indexes.
func (s *Store) Init(ctx context.Context) error {
	if err := s.open("init"); err != nil {
		return err
	}
	for _, st := range schemaStatements() {
		if _, err := s.write(ctx, "init: "+st.name, func(tx driver.ManagedTransaction) (int64, error) {
			_, err := s.run(ctx, tx, call{st.c, nil})
			if createdMeanwhile(err) {
				return 0, nil // another process's Init won the race
			}
			return 0, err
		}); err != nil {
			return err
		}
	}
	_, err := s.write(ctx, "init: await indexes", func(tx driver.ManagedTransaction) (int64, error) {
		_, err := s.run(ctx, tx, awaitCall())
		return 0, err
	})
	return err
}

// createdMeanwhile reports the error of a CREATE … IF NOT EXISTS that lost
// a race with an identical one.
func createdMeanwhile(err error) bool {
	var n4 *driver.Neo4jError
	if !errors.As(err, &n4) {
		return false
	}
	switch n4.Code {
	case "Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists",
		"Neo.ClientError.Schema.ConstraintAlreadyExists", "Neo.ClientError.Schema.IndexAlreadyExists":
		return true
	}
	return false
}

// Reset deletes the store's graph: every node and relationship carrying
// its Graph name, its pending labels and its counters (LastSeq becomes 0).
// Other graphs in the database are untouched. It deletes page by page
// (BatchSize nodes per transaction), so a failure part way leaves part of
// the graph: run it again.
func (s *Store) Reset(ctx context.Context) error {
	if err := s.open("reset"); err != nil {
		return err
	}
	s.restoreMu.Lock()
	defer s.restoreMu.Unlock()
	return s.reset(ctx)
}

func (s *Store) reset(ctx context.Context) error {
	// Transactions first: their DETACH DELETE removes every relationship,
	// so the entity pages delete bare nodes.
	kinds := append([]graph.Kind{graph.KindTransaction}, entityKinds()...)
	stmts := make([]cypher, 0, len(kinds)+2)
	for _, k := range kinds {
		stmts = append(stmts, resetStatement(k))
	}
	stmts = append(stmts, resetPending, resetGraph)
	for _, c := range stmts {
		for {
			n, err := s.write(ctx, "reset", func(tx driver.ManagedTransaction) (int64, error) {
				recs, err := s.run(ctx, tx, s.resetCall(c))
				if err != nil {
					return 0, err
				}
				return single[int64](recs, "deleted")
			})
			if err != nil {
				return err
			}
			if n == 0 || c == resetGraph {
				break
			}
		}
	}
	return nil
}

// awaitCall waits up to 5 minutes for the indexes to come online.
func awaitCall() call { return call{awaitIndexes, map[string]any{"timeout": int64(300)}} }

// resetCall deletes one page of a graph's nodes of one kind.
func (s *Store) resetCall(c cypher) call {
	if c == resetGraph {
		return call{c, map[string]any{"g": s.cfg.Graph}}
	}
	return call{c, s.pageParams(map[string]any{})}
}

// batchCall runs an UNWIND statement over rows.
func (s *Store) batchCall(c cypher, rows []any) call {
	return call{c, map[string]any{"g": s.cfg.Graph, "batch": rows}}
}

func (s *Store) metaCall() call { return call{meta, map[string]any{"g": s.cfg.Graph}} }

// pageParams adds g and, for statements that page, the page size.
func (s *Store) pageParams(p map[string]any) map[string]any {
	p["g"] = s.cfg.Graph
	p["page"] = int64(s.cfg.BatchSize)
	return p
}

// call is one statement and its parameters.
type call struct {
	c      cypher
	params map[string]any
}

// run sends one statement inside a transaction and collects its records.
// It is the only place a statement reaches the driver (and Config.Trace
// sees each one).
func (s *Store) run(ctx context.Context, tx driver.ManagedTransaction, c call) ([]*driver.Record, error) {
	if s.cfg.Trace != nil {
		s.cfg.Trace(string(c.c), c.params)
	}
	res, err := tx.Run(ctx, string(c.c), c.params)
	if err != nil {
		return nil, err
	}
	return res.Collect(ctx)
}

func (s *Store) session(ctx context.Context, mode driver.AccessMode) driver.SessionWithContext {
	return s.drv.NewSession(ctx, driver.SessionConfig{
		AccessMode:   mode,
		DatabaseName: s.cfg.Database,
		FetchSize:    s.cfg.FetchSize,
		// One bookmark manager for the whole driver: a read that follows a
		// write in this process sees it, on a cluster too.
		BookmarkManager: s.drv.ExecuteQueryBookmarkManager(),
	})
}

// read runs one statement in a managed read transaction (retried on
// transient errors) and returns its records.
func (s *Store) read(ctx context.Context, op string, c call) ([]*driver.Record, error) {
	if err := s.open(op); err != nil {
		return nil, err
	}
	recs, err := s.readIn(ctx, c)
	return recs, s.wrapErr(op, err)
}

func (s *Store) readIn(ctx context.Context, c call) ([]*driver.Record, error) {
	sess := s.session(ctx, driver.AccessModeRead)
	defer sess.Close(context.WithoutCancel(ctx))
	return driver.ExecuteRead(ctx, sess, func(tx driver.ManagedTransaction) ([]*driver.Record, error) {
		return s.run(ctx, tx, c)
	})
}

// write runs work in a managed write transaction: the driver retries the
// whole of it on transient errors (deadlocks, leader switches, lost
// connections), which is safe because every write is idempotent.
func (s *Store) write(ctx context.Context, op string, work func(driver.ManagedTransaction) (int64, error)) (int64, error) {
	if err := s.open(op); err != nil {
		return 0, err
	}
	sess := s.session(ctx, driver.AccessModeWrite)
	defer sess.Close(context.WithoutCancel(ctx))
	n, err := driver.ExecuteWrite(ctx, sess, work)
	return n, s.wrapErr(op, err)
}

// single returns column key of the only record.
func single[T any](recs []*driver.Record, key string) (T, error) {
	var zero T
	if len(recs) != 1 {
		return zero, shapeErr(fmt.Sprintf("%d records, want 1", len(recs)))
	}
	v, ok := recs[0].Get(key)
	if !ok {
		return zero, shapeErr("no column " + key)
	}
	t, ok := v.(T)
	if !ok {
		return zero, shapeErr(fmt.Sprintf("column %s is %T", key, v))
	}
	return t, nil
}

// errShape: the server answered with something the statement cannot
// produce.
var errShape = errors.New("unexpected response")

func shapeErr(what string) error {
	return fmt.Errorf("%w (%s): %w", errShape, what, ErrStatement)
}
