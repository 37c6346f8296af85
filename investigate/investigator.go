package investigate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/typology"
)

// Sentinel errors of package investigate; test with errors.Is. Errors
// from the graph are passed on wrapped, so errors.Is(err,
// graph.ErrNotFound) holds for an unknown entity.
var (
	// ErrInvalidConfig: a Config field is out of range (the error names it).
	ErrInvalidConfig = errors.New("investigate: invalid config")
	// ErrInvalid: a request is malformed (an invalid reference, a money
	// path between nodes that are not accounts).
	ErrInvalid = errors.New("investigate: invalid request")
	// ErrNoGraphviz: the Graphviz dot program is not installed.
	ErrNoGraphviz = errors.New("investigate: Graphviz dot program not found")
	// ErrRender: dot failed to render a drawing.
	ErrRender = errors.New("investigate: rendering failed")
)

// Graph is what an Investigator reads; graph.Store satisfies it. Its error
// contract is graph.Store's (graph.ErrNotFound for a missing node).
type Graph interface {
	Node(ctx context.Context, ref graph.NodeRef) (graph.Node, error)
	Transaction(ctx context.Context, id string) (graph.Transaction, error)
	Neighbors(ctx context.Context, ref graph.NodeRef, q graph.Query, dst []graph.Neighbor) ([]graph.Neighbor, error)
}

var _ Graph = graph.Store(nil)

// AlertSource lists typology alerts raised at or after since (every alert
// for a zero since). The typology alert log satisfies it.
type AlertSource interface {
	List(ctx context.Context, since time.Time) ([]typology.Alert, error)
}

// Alerts is an in-memory AlertSource.
type Alerts []typology.Alert

// List returns the alerts raised at or after since, in their order.
func (a Alerts) List(_ context.Context, since time.Time) ([]typology.Alert, error) {
	var out []typology.Alert
	for _, al := range a {
		if !al.At.Before(since) {
			out = append(out, al)
		}
	}
	return out, nil
}

// Defaults applied to zero Config fields.
const (
	DefaultFanout   = 200
	DefaultMaxNodes = 2000
	DefaultTop      = 5
	DefaultRecent   = 20
	DefaultMaxDepth = 6
	DefaultMaxPaths = 20

	maxDepthLimit = 12
)

// Config bounds what one question may read. Zero fields take the defaults.
type Config struct {
	// Fanout is the most transactions read per node, most recent first.
	// Default DefaultFanout (200).
	Fanout int
	// MaxNodes is the most entities one exploration visits. Default
	// DefaultMaxNodes (2000).
	MaxNodes int
	// Top is how many entities a profile lists per linked kind. Default
	// DefaultTop (5).
	Top int
	// Recent is how many transactions a profile lists. Default
	// DefaultRecent (20).
	Recent int
	// MaxDepth is the longest path, in transfers (money flow) or links
	// (shared identifiers). Default DefaultMaxDepth (6), at most 12.
	MaxDepth int
	// MaxPaths is the most paths of each sort Paths returns. Default
	// DefaultMaxPaths (20).
	MaxPaths int
	// Hubs are kinds a profile's neighbourhood is not walked through:
	// they join unrelated customers. Nil means Merchant; an empty non-nil
	// slice walks through everything.
	Hubs []graph.Kind
	// SharedKinds are the kinds a shared-identifier path may pass through.
	// Nil means every entity kind but Merchant.
	SharedKinds []graph.Kind
}

// Validate reports the first invalid field as an error wrapping
// ErrInvalidConfig.
func (c Config) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"Fanout", c.Fanout}, {"MaxNodes", c.MaxNodes}, {"Top", c.Top}, {"Recent", c.Recent}, {"MaxDepth", c.MaxDepth}, {"MaxPaths", c.MaxPaths}} {
		if f.v < 0 {
			return fmt.Errorf("%w: %s is negative (%d)", ErrInvalidConfig, f.name, f.v)
		}
	}
	if c.MaxDepth > maxDepthLimit {
		return fmt.Errorf("%w: MaxDepth %d is over %d", ErrInvalidConfig, c.MaxDepth, maxDepthLimit)
	}
	for _, k := range slices.Concat(c.Hubs, c.SharedKinds) {
		if !k.Valid() || k == graph.KindTransaction {
			return fmt.Errorf("%w: %v is not an entity kind", ErrInvalidConfig, k)
		}
	}
	return nil
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Fanout, DefaultFanout)
	def(&c.MaxNodes, DefaultMaxNodes)
	def(&c.Top, DefaultTop)
	def(&c.Recent, DefaultRecent)
	def(&c.MaxDepth, DefaultMaxDepth)
	def(&c.MaxPaths, DefaultMaxPaths)
	if c.Hubs == nil {
		c.Hubs = []graph.Kind{graph.KindMerchant}
	}
	if c.SharedKinds == nil {
		for _, k := range graph.Kinds() {
			if k != graph.KindMerchant && k != graph.KindTransaction {
				c.SharedKinds = append(c.SharedKinds, k)
			}
		}
	}
	return c
}

// Investigator answers questions about the graph. It is safe for
// concurrent use: every call keeps its state on its own stack.
type Investigator struct {
	g      Graph
	alerts AlertSource
	cfg    Config
	hub    [graph.NumKinds]bool
	shared [graph.NumKinds]bool
}

// New returns an Investigator reading g. alerts may be nil: profiles and
// timelines then carry no typologies.
func New(g Graph, alerts AlertSource, cfg Config) (*Investigator, error) {
	if g == nil {
		return nil, fmt.Errorf("%w: nil graph", ErrInvalidConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	inv := &Investigator{g: g, alerts: alerts, cfg: cfg}
	for _, k := range cfg.Hubs {
		inv.hub[k] = true
	}
	for _, k := range cfg.SharedKinds {
		inv.shared[k] = true
	}
	return inv, nil
}

// Config returns the configuration in use, defaults filled in.
func (inv *Investigator) Config() Config { return inv.cfg }

// node reads a node, checking the reference first.
func (inv *Investigator) node(ctx context.Context, ref graph.NodeRef) (graph.Node, error) {
	if !ref.Valid() {
		return graph.Node{}, fmt.Errorf("%w: reference %q: want KIND:ID", ErrInvalid, ref)
	}
	n, err := inv.g.Node(ctx, ref)
	if err != nil {
		return n, fmt.Errorf("investigate: %s: %w", ref, err)
	}
	return n, nil
}

// alertsOf returns the alerts ref takes part in: as focus, member, or (for
// a transaction) one of the alert's transactions. Oldest first.
func (inv *Investigator) alertsOf(ctx context.Context, ref graph.NodeRef) ([]typology.Alert, error) {
	if inv.alerts == nil {
		return nil, nil
	}
	all, err := inv.alerts.List(ctx, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("investigate: alerts: %w", err)
	}
	var out []typology.Alert
	for _, a := range all {
		if Involves(a, ref) {
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(a, b typology.Alert) int { return a.At.Compare(b.At) })
	return out, nil
}

// Involves reports whether ref takes part in alert a: as its focus, one
// of its members, or (a transaction) one of its transactions.
func Involves(a typology.Alert, ref graph.NodeRef) bool {
	if a.Focus == ref || slices.Contains(a.Members, ref) {
		return true
	}
	return ref.Kind == graph.KindTransaction && slices.Contains(a.Txns, ref.ID)
}

// txnCache memoises transaction reads and labels within one call.
type txnCache struct {
	g      Graph
	txns   map[string]*graph.Transaction
	labels map[string]graph.Node
}

func newTxnCache(g Graph) *txnCache {
	return &txnCache{g: g, txns: map[string]*graph.Transaction{}, labels: map[string]graph.Node{}}
}

func (c *txnCache) txn(ctx context.Context, id string) (*graph.Transaction, error) {
	if t, ok := c.txns[id]; ok {
		return t, nil
	}
	t, err := c.g.Transaction(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("investigate: transaction %s: %w", id, err)
	}
	c.txns[id] = &t
	return &t, nil
}

// label returns a transaction's node, which carries its latest label and
// when that label became known.
func (c *txnCache) label(ctx context.Context, id string) (graph.Node, error) {
	if n, ok := c.labels[id]; ok {
		return n, nil
	}
	n, err := c.g.Node(ctx, graph.Ref(graph.KindTransaction, id))
	if err != nil {
		return n, fmt.Errorf("investigate: transaction %s: %w", id, err)
	}
	c.labels[id] = n
	return n, nil
}
