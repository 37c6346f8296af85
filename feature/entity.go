package feature

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// Columns of the entity vector, in order.
const (
	enKind      = 0  // one-hot over the 8 entity kinds, Kind order (User … Phone)
	enAge       = 8  // log1p(hours since the entity's first edge), 0 if none before t
	enDegree    = 9  // log1p(edges before t), saturating at Config.DegreeCap
	enRecency   = 10 // log1p(hours since its last edge before t), 0 if none
	enCount     = 11 // log1p(edges in [t-w, t)), w = 1h, 24h, 7d; saturating at DegreeCap
	enAmount    = 14 // log1p(amount sum in [t-w, t)) over the Recent most recent transactions
	enMean      = 17 // log1p(mean amount) of the Recent most recent transactions
	enMax       = 18 // log1p(max amount) of the same
	enDistinct  = 19 // log1p(distinct other entities of each kind) in those transactions, Kind order
	enKnown     = 27 // log1p(recent transactions whose label was known before t)
	enPositive  = 28 // log1p(those labelled fraud or laundering)
	enRate      = 29 // positives / known, 0 when none known
	enFlagged   = 30 // 1 when the entity itself carries a positive label known before t
	enTypology  = 31 // log1p(TypologyCounter hits before t), 0 without a counter
	EntityWidth = 32
	numEntKinds = 8
)

// velocityWindows are the windows of the velocity columns.
var velocityWindows = [3]time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}

var entityNames = func() []string {
	var n []string
	for k := graph.KindUser; k <= graph.KindPhone; k++ {
		n = append(n, "kind_"+lower(k.String()))
	}
	n = append(n, "age_hours_log", "degree_log", "recency_hours_log",
		"velocity_1h_count", "velocity_24h_count", "velocity_7d_count",
		"velocity_1h_amount", "velocity_24h_amount", "velocity_7d_amount",
		"amount_mean_log", "amount_max_log")
	for k := graph.KindUser; k <= graph.KindPhone; k++ {
		n = append(n, "distinct_"+plural(lower(k.String())))
	}
	n = append(n, "labels_known_log", "label_positive_count_log", "label_positive_rate",
		"entity_flagged", "typology_hits_log")
	if len(n) != EntityWidth || numEntKinds != int(graph.KindPhone) {
		panic("feature: entity names out of step with EntityWidth")
	}
	return n
}()

func plural(s string) string {
	if s == "ip" {
		return "ips"
	}
	return s + "s"
}

// EntityNames returns the names of the entity vector's EntityWidth columns
// ("kind_user", …, "velocity_24h_count", …, "distinct_users", …). For
// reason codes, read a distinct_* column with the entity's kind: on a
// Device, distinct_users is "users per device". The caller owns the slice.
func EntityNames() []string { return append([]string(nil), entityNames...) }

// Graph is what the encoder reads; graph.Store satisfies it. Its error
// contract is graph.Store's: graph.ErrNotFound for a missing node.
type Graph interface {
	Node(ctx context.Context, ref graph.NodeRef) (graph.Node, error)
	Transaction(ctx context.Context, id string) (graph.Transaction, error)
	Neighbors(ctx context.Context, ref graph.NodeRef, q graph.Query, dst []graph.Neighbor) ([]graph.Neighbor, error)
}

var _ Graph = graph.Store(nil)

// TypologyCounter feeds the typology_hits_log column. A nil counter gives
// 0.
type TypologyCounter interface {
	// TypologyHits returns the number of typology detections involving
	// ref from edges strictly before t.
	TypologyHits(ctx context.Context, ref graph.NodeRef, before time.Time) (int, error)
}

// Encoder computes entity vectors and caches the transactions and vectors
// it reads until Reset. It is not safe for concurrent use: give each
// goroutine its own.
type Encoder struct {
	g   Graph
	cfg Config
	typ TypologyCounter

	nb   []graph.Neighbor
	seen map[graph.NodeRef]struct{}
	keys keySet // entity keys seen by recentFast

	// Caches, emptied by Reset. Transactions live in fixed-size chunks so
	// that pointers to them stay valid as the cache grows.
	txIdx  map[string]uint32
	chunks [][]txnEntry
	ntx    uint32
	entIdx map[entKey]uint32
	ents   []float32
}

type txnEntry struct {
	tx        graph.Transaction
	labelRead bool
	labelled  bool  // a label exists (known at some time)
	positive  bool  // the label is fraud or laundering
	known     int64 // unix ns from which the label is known
}

type entKey struct {
	ref graph.NodeRef
	at  int64
}

const chunkSize = 256

// NewEncoder returns an encoder reading g with cfg (zero fields take their
// defaults) and an optional typology counter (nil → 0). The error wraps
// ErrConfig.
func NewEncoder(g Graph, cfg Config, typ TypologyCounter) (*Encoder, error) {
	if g == nil {
		return nil, fmt.Errorf("%w: nil graph", ErrConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Encoder{
		g: g, cfg: cfg.WithDefaults(), typ: typ,
		seen:   make(map[graph.NodeRef]struct{}),
		txIdx:  make(map[string]uint32),
		entIdx: make(map[entKey]uint32),
	}, nil
}

// Config returns the encoder's configuration, defaults filled in.
func (e *Encoder) Config() Config { return e.cfg }

// Reset empties the caches (keeping their memory). Call it between
// batches, so that the graph's changes are seen and memory stays bounded;
// pointers returned by Txn are invalid after it.
func (e *Encoder) Reset() {
	clear(e.txIdx)
	clear(e.entIdx)
	// Drop the references to strings and attribute maps, in the entries
	// used only: a request touches a few dozen of the chunks' thousands.
	for i := 0; i < int(e.ntx); i += chunkSize {
		c := e.chunks[i/chunkSize]
		clear(c[:min(chunkSize, int(e.ntx)-i)])
	}
	e.ntx = 0
	e.ents = e.ents[:0]
}

// Txn returns the stored transaction id, read once per Reset. The result
// is shared: the caller must not modify it, nor keep it past Reset. A
// missing transaction is an error wrapping graph.ErrNotFound.
func (e *Encoder) Txn(ctx context.Context, id string) (*graph.Transaction, error) {
	en, err := e.txn(ctx, id)
	if err != nil {
		return nil, err
	}
	return &en.tx, nil
}

func (e *Encoder) txn(ctx context.Context, id string) (*txnEntry, error) {
	if i, ok := e.txIdx[id]; ok {
		return &e.chunks[i/chunkSize][i%chunkSize], nil
	}
	i := e.ntx
	if int(i/chunkSize) == len(e.chunks) {
		e.chunks = append(e.chunks, make([]txnEntry, chunkSize))
	}
	en := &e.chunks[i/chunkSize][i%chunkSize]
	*en = txnEntry{}
	if cr, ok := e.g.(coreReader); ok {
		lt, err := cr.TransactionCore(ctx, id, &en.tx)
		if err != nil {
			return nil, fmt.Errorf("feature: transaction %q: %w", id, err)
		}
		e.setLabel(en, lt)
	} else {
		tx, err := e.g.Transaction(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("feature: transaction %q: %w", id, err)
		}
		en.tx = tx
	}
	e.ntx++
	e.txIdx[en.tx.ID] = i
	return en, nil
}

// coreReader is a Graph's optional fast path (graph/mem has it): a
// transaction without its attributes, and when its label became known, in
// one lookup and without allocating. Features never read attributes.
type coreReader interface {
	TransactionCore(ctx context.Context, id string, dst *graph.Transaction) (labelTime time.Time, err error)
}

// neighborCounter is a Graph's optional fast path (graph/mem has it):
// the number of neighbours a query would return, without building them.
type neighborCounter interface {
	CountNeighbors(ctx context.Context, ref graph.NodeRef, q graph.Query) (int, error)
}

// recentReader is a Graph's optional fast path (graph/mem has it): an
// entity's most recent transactions before t, newest first, as numeric
// cores with opaque entity keys: the transactions Neighbors lists, read
// without building ids or strings.
type recentReader interface {
	RecentCores(ctx context.Context, ref graph.NodeRef, before time.Time, limit int, fn func(c *graph.TxnCore)) (self uint64, err error)
}

// setLabel fills en's label fields from its transaction's label and the
// time that label became known (zero: it came inline with the row).
func (e *Encoder) setLabel(en *txnEntry, labelTime time.Time) {
	en.labelRead = true
	if en.tx.Label == "" {
		return
	}
	en.labelled, en.positive = true, en.tx.Label.Positive()
	if labelTime.IsZero() {
		en.known = en.tx.Time.Add(e.cfg.LabelDelay).UnixNano()
	} else {
		en.known = labelTime.UnixNano()
	}
}

// label fills en's label fields on first use: a label is known from the
// store's LabelTime, or from the transaction's time plus LabelDelay when
// the label came inline with the row.
func (e *Encoder) label(ctx context.Context, en *txnEntry) error {
	if en.labelRead {
		return nil
	}
	en.labelRead = true
	if en.tx.Label == "" {
		return nil
	}
	n, err := e.g.Node(ctx, graph.Ref(graph.KindTransaction, en.tx.ID))
	if err != nil {
		return fmt.Errorf("feature: label of transaction %q: %w", en.tx.ID, err)
	}
	en.tx.Label = n.Label
	e.setLabel(en, n.LabelTime)
	return nil
}

// Entity writes the raw entity vector of ref as of t (from what the graph
// knew strictly before t) into dst[:EntityWidth], overwriting it. An entity
// the store does not know gets its kind bit and zeros. A Transaction ref is
// an error wrapping ErrKind; store failures are returned wrapped. Results
// are cached by (ref, t) until Reset.
func (e *Encoder) Entity(ctx context.Context, dst []float32, ref graph.NodeRef, t time.Time) error {
	dst = dst[:EntityWidth]
	if ref.Kind < graph.KindUser || ref.Kind > graph.KindPhone {
		return fmt.Errorf("%w: entity vector of %s", ErrKind, ref)
	}
	key := entKey{ref, t.UnixNano()}
	if i, ok := e.entIdx[key]; ok {
		copy(dst, e.ents[i:i+EntityWidth])
		return nil
	}
	if err := e.entity(ctx, dst, ref, t); err != nil {
		return err
	}
	e.entIdx[key] = uint32(len(e.ents))
	e.ents = append(e.ents, dst...)
	return nil
}

func (e *Encoder) entity(ctx context.Context, dst []float32, ref graph.NodeRef, t time.Time) error {
	clear(dst)
	dst[enKind+int(ref.Kind)-1] = 1
	n, err := e.g.Node(ctx, ref)
	if errors.Is(err, graph.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("feature: entity %s: %w", ref, err)
	}
	tn := t.UnixNano()
	if !n.First.IsZero() && n.First.Before(t) {
		dst[enAge] = log1p(t.Sub(n.First).Hours())
	}
	if n.Label.Positive() && !n.LabelTime.IsZero() && n.LabelTime.Before(t) {
		dst[enFlagged] = 1
	}
	if e.typ != nil {
		h, err := e.typ.TypologyHits(ctx, ref, t)
		if err != nil {
			return fmt.Errorf("feature: typology hits of %s: %w", ref, err)
		}
		dst[enTypology] = log1p(float64(h))
	}
	// With a counter, only the Recent transactions need to be read.
	limit := e.cfg.DegreeCap
	if _, ok := e.g.(neighborCounter); ok {
		limit = min(limit, e.cfg.Recent)
	}
	nb, err := e.g.Neighbors(ctx, ref, graph.Query{Window: graph.Before(t), Limit: limit}, e.nb[:0])
	e.nb = nb[:0]
	if errors.Is(err, graph.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("feature: neighbours of %s: %w", ref, err)
	}
	if len(nb) == 0 {
		return nil
	}
	dst[enRecency] = log1p(float64(tn-nb[0].Time.UnixNano()) / float64(time.Hour))
	degree := len(nb)
	var counts [len(velocityWindows)]int
	if nc, ok := e.g.(neighborCounter); ok {
		// The same counts, capped the same way, by binary search.
		if degree, err = nc.CountNeighbors(ctx, ref, graph.Query{Window: graph.Before(t), Limit: e.cfg.DegreeCap}); err != nil {
			return fmt.Errorf("feature: count neighbours of %s: %w", ref, err)
		}
		for w, d := range velocityWindows {
			q := graph.Query{Window: graph.Window{From: t.Add(-d), To: t}, Limit: e.cfg.DegreeCap}
			if counts[w], err = nc.CountNeighbors(ctx, ref, q); err != nil {
				return fmt.Errorf("feature: count neighbours of %s: %w", ref, err)
			}
		}
	} else {
		for i := range nb {
			dt := tn - nb[i].Time.UnixNano()
			for w, d := range velocityWindows {
				if dt <= int64(d) {
					counts[w]++
				}
			}
		}
	}
	dst[enDegree] = log1p(float64(degree))
	for w, c := range counts {
		dst[enCount+w] = log1p(float64(c))
	}

	if rr, ok := e.g.(recentReader); ok {
		if err := e.recentFast(ctx, dst, rr, ref, t); err != nil {
			return fmt.Errorf("feature: recent transactions of %s: %w", ref, err)
		}
		return nil
	}
	recent := nb[:min(len(nb), e.cfg.Recent)]
	var agg recentAgg
	clear(e.seen)
	for i := range recent {
		en, err := e.txn(ctx, recent[i].Node.ID)
		if err != nil {
			return err
		}
		tx := &en.tx
		agg.amount(tn-tx.Time.UnixNano(), tx.Amount)
		for k := graph.EdgeBy; k <= graph.EdgeWithPhone; k++ {
			id := tx.Entity(k)
			if id == "" {
				continue
			}
			r := graph.NodeRef{Kind: k.Target(), ID: id}
			if r == ref {
				continue
			}
			if _, dup := e.seen[r]; !dup {
				e.seen[r] = struct{}{}
				agg.distinct[r.Kind-1]++
			}
		}
		if err := e.label(ctx, en); err != nil {
			return err
		}
		if en.labelled && en.known < tn {
			agg.label(en.positive)
		}
	}
	agg.write(dst)
	return nil
}

// recentAgg accumulates the columns read from an entity's recent
// transactions; both read paths feed it in the same order, so they give
// the same floats.
type recentAgg struct {
	n               int
	sums            [len(velocityWindows)]float64
	total, maxAmt   float64
	distinct        [numEntKinds]int
	known, positive int
}

// amount adds a transaction of amount, dt nanoseconds before t.
func (a *recentAgg) amount(dt int64, amount float64) {
	a.n++
	for w, d := range velocityWindows {
		if dt <= int64(d) {
			a.sums[w] += amount
		}
	}
	a.total += amount
	a.maxAmt = max(a.maxAmt, amount)
}

// label adds a label known before t.
func (a *recentAgg) label(positive bool) {
	a.known++
	if positive {
		a.positive++
	}
}

// write sets the recent-transaction columns of dst (n must be > 0).
func (a *recentAgg) write(dst []float32) {
	for w, s := range a.sums {
		dst[enAmount+w] = log1p(s)
	}
	dst[enMean] = log1p(a.total / float64(a.n))
	dst[enMax] = log1p(a.maxAmt)
	for k, c := range a.distinct {
		dst[enDistinct+k] = log1p(float64(c))
	}
	dst[enKnown] = log1p(float64(a.known))
	dst[enPositive] = log1p(float64(a.positive))
	if a.known > 0 {
		dst[enRate] = float32(a.positive) / float32(a.known)
	}
}

// recentFast computes the columns from the Recent most recent
// transactions (amounts, distinct entities, labels) through a
// recentReader: the same values as the general path, which tests check.
func (e *Encoder) recentFast(ctx context.Context, dst []float32, rr recentReader, ref graph.NodeRef, t time.Time) error {
	tn := t.UnixNano()
	var agg recentAgg
	keys := &e.keys
	keys.reset()
	delay := int64(e.cfg.LabelDelay)
	self, err := rr.RecentCores(ctx, ref, t, e.cfg.Recent, func(c *graph.TxnCore) {
		agg.amount(tn-c.Time, c.Amount)
		for k, key := range c.Entities {
			if key != 0 && keys.add(key) {
				agg.distinct[graph.EdgeKind(k+1).Target()-1]++
			}
		}
		if c.Label != "" {
			at := c.LabelTime
			if at == 0 {
				at = c.Time + delay
			}
			if at < tn {
				agg.label(c.Label.Positive())
			}
		}
	})
	if err != nil {
		return err
	}
	if agg.n == 0 {
		return nil
	}
	if keys.has(self) {
		agg.distinct[ref.Kind-1]-- // the entity itself is not a distinct other
	}
	agg.write(dst)
	return nil
}

// keySet is a set of non-zero entity keys: open addressing with linear
// probing over a power-of-two table that grows at half full. Reset clears
// it in O(entries), keeping its memory.
type keySet struct {
	slots []uint64
	used  []int // slots in use, for reset
}

func (s *keySet) reset() {
	for _, i := range s.used {
		s.slots[i] = 0
	}
	s.used = s.used[:0]
}

func (s *keySet) slot(key uint64) int {
	mask := len(s.slots) - 1
	i := int((key * 0x9e3779b97f4a7c15) >> 40 & uint64(mask))
	for s.slots[i] != 0 && s.slots[i] != key {
		i = (i + 1) & mask
	}
	return i
}

// add inserts key and reports whether it was new.
func (s *keySet) add(key uint64) bool {
	if 2*(len(s.used)+1) > len(s.slots) {
		s.grow()
	}
	i := s.slot(key)
	if s.slots[i] == key {
		return false
	}
	s.slots[i] = key
	s.used = append(s.used, i)
	return true
}

func (s *keySet) has(key uint64) bool {
	if len(s.slots) == 0 {
		return false
	}
	return s.slots[s.slot(key)] == key
}

func (s *keySet) grow() {
	old := s.slots
	oldUsed := s.used
	s.slots = make([]uint64, max(64, 2*len(old)))
	s.used = make([]int, 0, cap(oldUsed))
	for _, i := range oldUsed {
		j := s.slot(old[i])
		s.slots[j] = old[i]
		s.used = append(s.used, j)
	}
}
