package neo4j

import (
	"fmt"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/riskgraph/riskgraph/graph"
)

// Defaults applied to zero Config fields.
const (
	DefaultGraph                        = "default"
	DefaultMaxConnectionPoolSize        = 100
	DefaultConnectionAcquisitionTimeout = 10 * time.Second
	DefaultConnectTimeout               = 5 * time.Second
	DefaultMaxTransactionRetryTime      = 30 * time.Second
	DefaultFetchSize                    = 1000
	DefaultBatchSize                    = 1000
	// MaxBatchSize bounds BatchSize: one UNWIND statement carries at most
	// this many rows, so one Bolt message stays well under the server's
	// limits whatever the batch.
	MaxBatchSize = 50_000
)

// Config configures a Store. URI is required; every other field has a
// documented default.
type Config struct {
	// URI of the server or cluster: bolt://host:7687 for one server,
	// neo4j://host:7687 for a cluster (routing), with +s (verified TLS) or
	// +ssc (self-signed TLS) variants.
	URI string
	// User and Password authenticate with basic auth. An empty User
	// connects without authentication (Password must then be empty).
	User, Password string
	// Database is the Neo4j database; "" is the server's default database.
	Database string
	// Graph names this store's graph inside the database, so several
	// stores (tenants, tests, a restore's scratch copy) can share one
	// database: every node and relationship carries it in property g, and
	// every constraint and index leads with it. Any string is valid (it is
	// always a parameter, never part of a statement). Default DefaultGraph.
	Graph string

	// MaxConnectionPoolSize is the most connections the driver keeps per
	// server. Default DefaultMaxConnectionPoolSize.
	MaxConnectionPoolSize int
	// ConnectionAcquisitionTimeout is how long a query waits for a pooled
	// connection before failing with ErrUnavailable. Default
	// DefaultConnectionAcquisitionTimeout.
	ConnectionAcquisitionTimeout time.Duration
	// ConnectTimeout bounds one TCP connect, and Open's connectivity check.
	// Default DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// MaxTransactionRetryTime is how long the driver keeps retrying a
	// transaction that failed with a transient error (deadlock, leader
	// switch, lost connection) before reporting ErrUnavailable. Reads and
	// writes are retried whole, which is safe because every write is
	// idempotent. Default DefaultMaxTransactionRetryTime.
	MaxTransactionRetryTime time.Duration
	// FetchSize is how many records the driver pulls per round trip of a
	// streamed result. Default DefaultFetchSize.
	FetchSize int
	// BatchSize is the most rows in one UNWIND statement (and the page size
	// of Nodes, Snapshot and Reset). A larger Apply batch is sent as
	// several statements inside one transaction. Default DefaultBatchSize,
	// at most MaxBatchSize.
	BatchSize int
	// TempDir is where Restore spools a snapshot while it verifies it
	// (the store is not touched until the whole snapshot checks out).
	// Default: the system's temporary directory.
	TempDir string

	// Trace, when set, is called with every statement and its parameters
	// before it is sent (riskgraph's --show-cypher prints them, so an
	// analyst can continue in Neo4j Browser). It must not keep params.
	Trace func(cypher string, params map[string]any)
}

// Validate reports the first invalid field as an error wrapping
// ErrInvalidConfig.
func (c Config) Validate() error {
	if c.URI == "" {
		return fmt.Errorf("%w: URI is required (e.g. bolt://localhost:7687)", ErrInvalidConfig)
	}
	u, err := url.Parse(c.URI)
	if err != nil {
		return fmt.Errorf("%w: URI %q: %v", ErrInvalidConfig, c.URI, err)
	}
	switch u.Scheme {
	case "bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc":
	default:
		return fmt.Errorf("%w: URI %q: scheme %q is not bolt, neo4j or their +s/+ssc variants", ErrInvalidConfig, c.URI, u.Scheme)
	}
	switch {
	case u.Host == "":
		return fmt.Errorf("%w: URI %q has no host", ErrInvalidConfig, c.URI)
	case u.User != nil:
		return fmt.Errorf("%w: URI %q carries credentials: use User and Password", ErrInvalidConfig, u.Redacted())
	case c.User == "" && c.Password != "":
		return fmt.Errorf("%w: Password given without User", ErrInvalidConfig)
	case len(c.Graph) > graph.MaxIDLen || !utf8.ValidString(c.Graph):
		return fmt.Errorf("%w: Graph: over %d bytes or not valid UTF-8", ErrInvalidConfig, graph.MaxIDLen)
	case c.MaxConnectionPoolSize < 0:
		return fmt.Errorf("%w: MaxConnectionPoolSize %d < 0", ErrInvalidConfig, c.MaxConnectionPoolSize)
	case c.ConnectionAcquisitionTimeout < 0:
		return fmt.Errorf("%w: ConnectionAcquisitionTimeout %v < 0", ErrInvalidConfig, c.ConnectionAcquisitionTimeout)
	case c.ConnectTimeout < 0:
		return fmt.Errorf("%w: ConnectTimeout %v < 0", ErrInvalidConfig, c.ConnectTimeout)
	case c.MaxTransactionRetryTime < 0:
		return fmt.Errorf("%w: MaxTransactionRetryTime %v < 0", ErrInvalidConfig, c.MaxTransactionRetryTime)
	case c.FetchSize < 0:
		return fmt.Errorf("%w: FetchSize %d < 0", ErrInvalidConfig, c.FetchSize)
	case c.BatchSize < 0 || c.BatchSize > MaxBatchSize:
		return fmt.Errorf("%w: BatchSize %d outside 0..%d", ErrInvalidConfig, c.BatchSize, MaxBatchSize)
	}
	return nil
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Graph == "" {
		c.Graph = DefaultGraph
	}
	if c.MaxConnectionPoolSize == 0 {
		c.MaxConnectionPoolSize = DefaultMaxConnectionPoolSize
	}
	if c.ConnectionAcquisitionTimeout == 0 {
		c.ConnectionAcquisitionTimeout = DefaultConnectionAcquisitionTimeout
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.MaxTransactionRetryTime == 0 {
		c.MaxTransactionRetryTime = DefaultMaxTransactionRetryTime
	}
	if c.FetchSize == 0 {
		c.FetchSize = DefaultFetchSize
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	return c
}
