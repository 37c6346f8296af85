package cache

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// Graph is what the cache reads through: sampling.Graph's methods, which
// every graph.Store has. Its error contract is graph.Store's.
type Graph interface {
	Node(ctx context.Context, ref graph.NodeRef) (graph.Node, error)
	Transaction(ctx context.Context, id string) (graph.Transaction, error)
	Neighbors(ctx context.Context, ref graph.NodeRef, q graph.Query, dst []graph.Neighbor) ([]graph.Neighbor, error)
}

// Applier is what Apply passes a batch to (every graph.Store is one).
type Applier interface {
	Apply(ctx context.Context, batch ...graph.Mutation) (graph.Applied, error)
}

// Sequencer reports the store's last applied sequence (every graph.Store
// is one); with it and Applier the Cache is an ingest/stream Applier.
type Sequencer interface {
	LastSeq(ctx context.Context) (uint64, error)
}

// Errors of package cache.
var (
	// ErrInvalidConfig: a Config field is out of range.
	ErrInvalidConfig = errors.New("cache: invalid config")
	// ErrReadOnly: Apply or LastSeq on a cache over a Graph that lacks
	// them.
	ErrReadOnly = errors.New("cache: the wrapped graph does not take writes")
)

// Defaults applied to zero Config fields.
const (
	DefaultMaxEntries = 100_000
	DefaultPrefix     = 64
	DefaultMaxPrefix  = 1024
	// MaxPrefix bounds Config.Prefix and Config.MaxPrefix.
	MaxPrefix = 1 << 16
)

// Config configures a Cache.
type Config struct {
	// MaxEntries bounds the number of entries (neighbour prefixes, nodes,
	// transactions together). Default DefaultMaxEntries.
	MaxEntries int
	// MaxBytes, when > 0, also bounds their approximate size in bytes
	// (ids, neighbour lists and fixed overheads counted; Go's own map and
	// allocator overheads not).
	MaxBytes int64
	// Prefix is how many of a node's most recent neighbours an entry
	// keeps at least; queries whose answer lies within them are hits. An
	// entry grows, up to MaxPrefix, when queries ask for more (a Limit
	// beyond it, or a window reaching past its oldest neighbour). Defaults
	// DefaultPrefix and DefaultMaxPrefix; at most the package's MaxPrefix.
	Prefix, MaxPrefix int
	// TTL, when > 0, is the longest an entry is served: the staleness
	// bound for writes the cache is not told about. 0 keeps entries until
	// evicted or invalidated.
	TTL time.Duration
	// Now is the clock for TTL. Default time.Now.
	Now func() time.Time
}

// Validate reports the first invalid field as an error wrapping
// ErrInvalidConfig.
func (c Config) Validate() error {
	switch {
	case c.MaxEntries < 0:
		return fmt.Errorf("%w: MaxEntries %d < 0", ErrInvalidConfig, c.MaxEntries)
	case c.MaxBytes < 0:
		return fmt.Errorf("%w: MaxBytes %d < 0", ErrInvalidConfig, c.MaxBytes)
	case c.Prefix < 0 || c.Prefix > MaxPrefix:
		return fmt.Errorf("%w: Prefix %d outside 0..%d", ErrInvalidConfig, c.Prefix, MaxPrefix)
	case c.MaxPrefix < 0 || c.MaxPrefix > MaxPrefix:
		return fmt.Errorf("%w: MaxPrefix %d outside 0..%d", ErrInvalidConfig, c.MaxPrefix, MaxPrefix)
	case c.MaxPrefix != 0 && c.MaxPrefix < c.Prefix:
		return fmt.Errorf("%w: MaxPrefix %d < Prefix %d", ErrInvalidConfig, c.MaxPrefix, c.Prefix)
	case c.TTL < 0:
		return fmt.Errorf("%w: TTL %v < 0", ErrInvalidConfig, c.TTL)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.MaxEntries == 0 {
		c.MaxEntries = DefaultMaxEntries
	}
	if c.Prefix == 0 {
		c.Prefix = DefaultPrefix
	}
	if c.MaxPrefix == 0 {
		c.MaxPrefix = max(DefaultMaxPrefix, c.Prefix)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

const (
	numShards = 16
	numStamps = 1 << 12 // version counters; a collision only costs a skipped insert
)

// Cache is a read-through cache over a Graph. It is safe for concurrent
// use. Its read methods have the Graph's contract (and satisfy
// sampling.Graph); slices and maps it returns belong to the caller.
type Cache struct {
	g      Graph
	cfg    Config
	seed   maphash.Seed
	shards [numShards]shard
	stamps [numStamps]atomic.Uint64

	hits, misses, evictions, invalidations atomic.Int64
}

// New returns a cache over g.
func New(g Graph, cfg Config) (*Cache, error) {
	if g == nil {
		return nil, fmt.Errorf("%w: nil Graph", ErrInvalidConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Cache{g: g, cfg: cfg, seed: maphash.MakeSeed()}
	maxEntries := max(1, cfg.MaxEntries/numShards)
	maxBytes := cfg.MaxBytes / numShards
	for i := range c.shards {
		c.shards[i].init(maxEntries, maxBytes)
	}
	return c, nil
}

// what an entry holds.
type what uint8

const (
	wNode what = iota + 1
	wTxn
	wNeighbors
)

type key struct {
	ref  graph.NodeRef
	what what
	edge graph.EdgeKind // wNeighbors: the query's edge kind (0 = all)
}

// entry is immutable once inserted; a newer value replaces it whole.
type entry struct {
	key      key
	node     graph.Node
	txn      graph.Transaction
	nbrs     []graph.Neighbor // most recent first
	complete bool             // nbrs is the whole list
	size     int64
	expires  int64 // unix nanoseconds; 0 = never
	// LRU list, guarded by the shard's mutex.
	prev, next *entry
}

func (c *Cache) hash(ref graph.NodeRef) uint64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.WriteByte(byte(ref.Kind))
	h.WriteString(ref.ID)
	return h.Sum64()
}

// slot returns the shard and the version counter of ref.
func (c *Cache) slot(ref graph.NodeRef) (*shard, *atomic.Uint64) {
	h := c.hash(ref)
	return &c.shards[h%numShards], &c.stamps[(h/numShards)%numStamps]
}

// get returns the live entry for k, or nil.
func (c *Cache) get(sh *shard, k key) *entry {
	var now int64
	if c.cfg.TTL > 0 {
		now = c.cfg.Now().UnixNano()
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.m[k]
	if e == nil {
		return nil
	}
	if e.expires != 0 && now >= e.expires {
		sh.remove(e)
		return nil
	}
	sh.touch(e)
	return e
}

// put inserts e unless the node's version moved since stamp was read
// (an invalidation raced the read that built e).
func (c *Cache) put(sh *shard, version *atomic.Uint64, stamp uint64, e *entry) {
	if c.cfg.TTL > 0 {
		e.expires = c.cfg.Now().Add(c.cfg.TTL).UnixNano()
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if version.Load() != stamp {
		return
	}
	if old := sh.m[e.key]; old != nil {
		sh.remove(old)
	}
	sh.add(e)
	c.evictions.Add(int64(sh.evict()))
}

// Node implements Graph.
func (c *Cache) Node(ctx context.Context, ref graph.NodeRef) (graph.Node, error) {
	k := key{ref: ref, what: wNode}
	sh, version := c.slot(ref)
	if e := c.get(sh, k); e != nil {
		c.hits.Add(1)
		return e.node, nil
	}
	c.misses.Add(1)
	stamp := version.Load()
	n, err := c.g.Node(ctx, ref)
	if err != nil {
		return n, err
	}
	c.put(sh, version, stamp, &entry{key: k, node: n, size: entryOverhead + int64(len(ref.ID))})
	return n, nil
}

// Transaction implements Graph. The returned Attrs map is the caller's.
func (c *Cache) Transaction(ctx context.Context, id string) (graph.Transaction, error) {
	ref := graph.Ref(graph.KindTransaction, id)
	k := key{ref: ref, what: wTxn}
	sh, version := c.slot(ref)
	if e := c.get(sh, k); e != nil {
		c.hits.Add(1)
		t := e.txn
		t.Attrs = maps.Clone(t.Attrs)
		return t, nil
	}
	c.misses.Add(1)
	stamp := version.Load()
	t, err := c.g.Transaction(ctx, id)
	if err != nil {
		return t, err
	}
	kept := t
	kept.Attrs = maps.Clone(t.Attrs)
	c.put(sh, version, stamp, &entry{key: k, txn: kept, size: entryOverhead + txnSize(&kept)})
	return t, nil
}

// Neighbors implements Graph. A query the node's cached prefix answers is
// a hit; otherwise the prefix is (re)read from the graph, longer if the
// query asks for more, and if it still cannot answer, the query goes to the
// graph as asked.
func (c *Cache) Neighbors(ctx context.Context, ref graph.NodeRef, q graph.Query, dst []graph.Neighbor) ([]graph.Neighbor, error) {
	if q.Validate() != nil {
		return c.g.Neighbors(ctx, ref, q, dst) // the graph reports it
	}
	k := key{ref: ref, what: wNeighbors, edge: q.Edge}
	sh, _ := c.slot(ref)
	cached := c.get(sh, k)
	if cached != nil {
		n0 := len(dst)
		if _, ok := scan(cached, q, func(nb graph.Neighbor) { dst = append(dst, nb) }); ok {
			c.hits.Add(1)
			return dst, nil
		}
		dst = dst[:n0]
	}
	e, err := c.fetch(ctx, ref, q, cached)
	if err != nil {
		return dst, err
	}
	if e == nil {
		return c.g.Neighbors(ctx, ref, q, dst)
	}
	return answer(e, q, dst), nil
}

// counter is a graph's optional fast path for CountNeighbors.
type counter interface {
	CountNeighbors(ctx context.Context, ref graph.NodeRef, q graph.Query) (int, error)
}

// CountNeighbors returns how many neighbours Neighbors would return for
// ref and q (the fast path feature encoders look for): from the cached
// prefix when it answers q, else from the graph.
func (c *Cache) CountNeighbors(ctx context.Context, ref graph.NodeRef, q graph.Query) (int, error) {
	if err := q.Validate(); err != nil {
		return 0, fmt.Errorf("cache: count neighbours of %s: %w", ref, err)
	}
	e, err := c.prefixFor(ctx, ref, q)
	if err != nil {
		return 0, err
	}
	if e != nil {
		n, _ := scan(e, q, func(graph.Neighbor) {})
		return n, nil
	}
	if cn, ok := c.g.(counter); ok {
		return cn.CountNeighbors(ctx, ref, q)
	}
	ns, err := c.g.Neighbors(ctx, ref, q, nil)
	return len(ns), err
}

// prefixFor returns an entry whose prefix answers q: the cached one (a
// hit), or one read now (see fetch), or nil when none answers q.
func (c *Cache) prefixFor(ctx context.Context, ref graph.NodeRef, q graph.Query) (*entry, error) {
	sh, _ := c.slot(ref)
	e := c.get(sh, key{ref: ref, what: wNeighbors, edge: q.Edge})
	if e != nil {
		if _, ok := scan(e, q, func(graph.Neighbor) {}); ok {
			c.hits.Add(1)
			return e, nil
		}
	}
	return c.fetch(ctx, ref, q, e)
}

// fetch reads a prefix for q from the graph and caches it: Prefix
// neighbours beyond q's Limit (room for the newest ones a "before t"
// window leaves out), and twice as many as the cached one that fell short,
// up to MaxPrefix. It returns the entry if it answers q, else nil.
func (c *Cache) fetch(ctx context.Context, ref graph.NodeRef, q graph.Query, short *entry) (*entry, error) {
	k := key{ref: ref, what: wNeighbors, edge: q.Edge}
	sh, version := c.slot(ref)
	n := c.cfg.Prefix + q.Limit
	if short != nil {
		n = max(n, 2*len(short.nbrs))
	}
	c.misses.Add(1)
	n = min(n, c.cfg.MaxPrefix)
	stamp := version.Load()
	list, err := c.g.Neighbors(ctx, ref, graph.Query{Edge: q.Edge, Limit: n + 1}, nil)
	if err != nil {
		return nil, err
	}
	e := &entry{key: k, complete: len(list) <= n}
	e.nbrs = list[:min(len(list), n):min(len(list), n)]
	e.size = entryOverhead + neighborsSize(e.nbrs)
	c.put(sh, version, stamp, e)
	if _, ok := scan(e, q, func(graph.Neighbor) {}); ok {
		return e, nil
	}
	return nil, nil
}

// scan calls fn for each neighbour of q's answer within e's prefix, in
// order, and reports how many and whether that is the whole answer (it is
// not when the answer may hold neighbours beyond the prefix).
func scan(e *entry, q graph.Query, fn func(graph.Neighbor)) (int, bool) {
	n := 0
	for _, nb := range e.nbrs {
		if !q.Window.Contains(nb.Time) {
			if !q.Window.From.IsZero() && nb.Time.Before(q.Window.From) {
				return n, true // everything after is older still
			}
			continue
		}
		fn(nb)
		if n++; q.Limit > 0 && n == q.Limit {
			return n, true
		}
	}
	return n, e.complete
}

// answer appends q's answer from e, which must answer it (see scan).
func answer(e *entry, q graph.Query, dst []graph.Neighbor) []graph.Neighbor {
	scan(e, q, func(nb graph.Neighbor) { dst = append(dst, nb) })
	return dst
}

// Invalidate drops everything cached about refs: their node, transaction
// and neighbour entries. Call it for writes the cache did not apply.
func (c *Cache) Invalidate(refs ...graph.NodeRef) {
	for _, ref := range refs {
		sh, version := c.slot(ref)
		sh.mu.Lock()
		version.Add(1)
		n := 0
		for _, k := range keysOf(ref) {
			if e := sh.m[k]; e != nil {
				sh.remove(e)
				n++
			}
		}
		sh.mu.Unlock()
		c.invalidations.Add(int64(n))
	}
}

// keysOf lists every key an entry about ref can have.
func keysOf(ref graph.NodeRef) []key {
	ks := []key{{ref: ref, what: wNode}, {ref: ref, what: wNeighbors}}
	edges := graph.EdgeKindsOf(ref.Kind)
	if ref.Kind == graph.KindTransaction {
		ks = append(ks, key{ref: ref, what: wTxn})
		edges = graph.EdgeKinds()
	}
	for _, e := range edges {
		ks = append(ks, key{ref: ref, what: wNeighbors, edge: e})
	}
	return ks
}

// Touched returns the nodes a batch changes: each transaction and its
// entities, each label's target.
func Touched(batch []graph.Mutation) []graph.NodeRef {
	var out []graph.NodeRef
	for i := range batch {
		switch m := &batch[i]; {
		case m.Txn != nil:
			out = append(out, graph.Ref(graph.KindTransaction, m.Txn.ID))
			for _, e := range graph.EdgeKinds() {
				if id := m.Txn.Entity(e); id != "" {
					out = append(out, graph.Ref(e.Target(), id))
				}
			}
		case m.Label != nil:
			out = append(out, m.Label.Target())
		}
	}
	return out
}

// Apply passes the batch to the wrapped graph and then invalidates every
// node it touched, whatever the outcome (a failed batch may have applied
// in part). When Apply returns, no read through the cache returns what the
// batch changed. The graph must be an Applier (ErrReadOnly otherwise).
func (c *Cache) Apply(ctx context.Context, batch ...graph.Mutation) (graph.Applied, error) {
	a, ok := c.g.(Applier)
	if !ok {
		return graph.Applied{}, fmt.Errorf("cache: apply: %w", ErrReadOnly)
	}
	res, err := a.Apply(ctx, batch...)
	c.Invalidate(Touched(batch)...)
	return res, err
}

// LastSeq passes through to the wrapped graph (ErrReadOnly when it has no
// LastSeq), so that a Cache can be a stream Consumer's Applier.
func (c *Cache) LastSeq(ctx context.Context) (uint64, error) {
	s, ok := c.g.(Sequencer)
	if !ok {
		return 0, fmt.Errorf("cache: last sequence: %w", ErrReadOnly)
	}
	return s.LastSeq(ctx)
}

// Stats are a cache's counters.
type Stats struct {
	Hits, Misses  int64 // reads answered from the cache, and not
	Evictions     int64 // entries dropped to stay within the bounds
	Invalidations int64 // entries dropped by Apply and Invalidate
	Entries       int64 // entries held now
	Bytes         int64 // their approximate size now
}

// Stats returns the cache's counters.
func (c *Cache) Stats() Stats {
	st := Stats{Hits: c.hits.Load(), Misses: c.misses.Load(), Evictions: c.evictions.Load(), Invalidations: c.invalidations.Load()}
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		st.Entries += int64(len(sh.m))
		st.Bytes += sh.bytes
		sh.mu.Unlock()
	}
	return st
}

// Approximate sizes, in bytes.
const (
	entryOverhead   = 256 // the entry, its key and its map slot
	neighborSize    = 56  // graph.Neighbor without the id's bytes
	transactionSize = 400 // graph.Transaction without its strings' bytes
)

func neighborsSize(ns []graph.Neighbor) int64 {
	n := int64(cap(ns)) * neighborSize
	for i := range ns {
		n += int64(len(ns[i].Node.ID))
	}
	return n
}

func txnSize(t *graph.Transaction) int64 {
	n := int64(transactionSize)
	for _, s := range []string{t.ID, t.Currency, t.Kind, t.User, t.Account, t.Card, t.Device, t.IP,
		t.Email, t.Phone, t.Merchant, t.MCC, t.Counterparty, t.Country, t.Channel} {
		n += int64(len(s))
	}
	for k, v := range t.Attrs {
		n += int64(len(k)+len(v)) + 32
	}
	return n
}

// shard is one LRU list and its map.
type shard struct {
	mu         sync.Mutex
	m          map[key]*entry
	head       entry // sentinel: head.next is the most recently used
	bytes      int64
	maxEntries int
	maxBytes   int64 // 0 = no byte bound
}

func (sh *shard) init(maxEntries int, maxBytes int64) {
	sh.m = make(map[key]*entry)
	sh.head.next, sh.head.prev = &sh.head, &sh.head
	sh.maxEntries, sh.maxBytes = maxEntries, maxBytes
}

func (sh *shard) add(e *entry) {
	sh.m[e.key] = e
	sh.bytes += e.size
	e.prev, e.next = &sh.head, sh.head.next
	e.next.prev, sh.head.next = e, e
}

func (sh *shard) remove(e *entry) {
	delete(sh.m, e.key)
	sh.bytes -= e.size
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (sh *shard) touch(e *entry) {
	if sh.head.next == e {
		return
	}
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = &sh.head, sh.head.next
	e.next.prev, sh.head.next = e, e
}

// evict drops least recently used entries until the shard is within its
// bounds (always keeping the newest), and returns how many it dropped.
func (sh *shard) evict() int {
	n := 0
	for len(sh.m) > 1 && (len(sh.m) > sh.maxEntries || (sh.maxBytes > 0 && sh.bytes > sh.maxBytes)) {
		sh.remove(sh.head.prev)
		n++
	}
	return n
}
