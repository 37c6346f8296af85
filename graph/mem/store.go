package mem

import (
	"context"
	"fmt"
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// Store is the embedded graph store. The zero value is not usable; call New.
type Store struct {
	mu sync.Mutex // serialises writers: Apply, Restore, Close
	st atomic.Pointer[state]
}

var _ graph.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	s := &Store{}
	s.st.Store(newState(0))
	return s
}

const (
	minTime = math.MinInt64
	maxTime = math.MaxInt64
)

// numEdges is the number of edge kinds a transaction can have.
const numEdges = graph.NumEdgeKinds - 1

// txnRec is a stored transaction: pointer-free, fixed size.
type txnRec struct {
	time   int64 // unix nanoseconds
	amount float64
	ent    [numEdges]uint32 // entity index + 1 per edge kind (EdgeKind-1); 0 = none
	fields uint32           // arena offset of the interned field tuple (see encodeFields); 0 = all empty
	attrs  uint32           // arena offset of the encoded attributes; 0 = none
	label  atomic.Uint32    // class code
}

const (
	strCurrency = iota
	strKind
	strMCC
	strCountry
	strChannel
	numStr
)

// entRec is a stored entity.
type entRec struct {
	id    uint32 // arena offset
	kind  graph.Kind
	label atomic.Uint32
	// adj holds one list per edge kind that can end at this kind of entity
	// (two for an Account: FROM and TO), in EdgeKind order.
	adj [2]atomic.Pointer[adjList]
}

// state is the whole content of a store; Restore swaps in a new one.
type state struct {
	seed  maphash.Seed
	idx   atomic.Pointer[index]
	arena *arena
	txns  chunked[txnRec]
	// ids holds each transaction's id, by transaction index, apart from
	// the records: neighbour queries read only this dense array.
	ids  chunked[strRef]
	ents chunked[entRec]

	// interned maps strings to arena offsets; scratch is a buffer. Both
	// belong to the writer.
	interned map[string]uint32
	scratch  []byte
	// internLog lists interned offsets in order, for snapshots.
	internLog chunked[uint32]

	// labelTimes holds the time a label became known, by handle, for
	// labels that came with a time (graph.Label events).
	labelTimes sync.Map // handle → int64
	// pending labels of transactions not seen yet, by transaction id.
	pendMu  sync.Mutex
	pending map[string]graph.Label

	nodes   [graph.NumKinds]atomic.Int64
	edges   [graph.NumEdgeKinds]atomic.Int64
	classes [numClasses]atomic.Int64 // labelled transactions by class
	lastSeq atomic.Uint64
}

func newState(expect int) *state {
	st := &state{
		seed:     maphash.MakeSeed(),
		arena:    newArena(),
		interned: make(map[string]uint32),
		pending:  make(map[string]graph.Label),
	}
	st.idx.Store(newIndex(indexBitsFor(expect)))
	return st
}

// Class codes stored in records.
const (
	classNone = iota
	classFraud
	classLegit
	classLaundering
	numClasses
)

var classNames = [numClasses]graph.Class{"", graph.ClassFraud, graph.ClassLegit, graph.ClassLaundering}

func classCode(c graph.Class) uint32 {
	switch c {
	case graph.ClassFraud:
		return classFraud
	case graph.ClassLegit:
		return classLegit
	case graph.ClassLaundering:
		return classLaundering
	}
	return classNone
}

// slotOf returns the adjacency slot of edge kind e at an entity of e's
// target kind: 1 for TO (an Account's second list), else 0.
func slotOf(e graph.EdgeKind) int {
	if e == graph.EdgeTo {
		return 1
	}
	return 0
}

// edgeOfSlot is the inverse of slotOf for an entity of kind k.
func edgeOfSlot(k graph.Kind, slot int) graph.EdgeKind {
	if k == graph.KindAccount {
		if slot == 1 {
			return graph.EdgeTo
		}
		return graph.EdgeFrom
	}
	if slot != 0 {
		return 0
	}
	return entityEdge[k]
}

var entityEdge = [graph.NumKinds]graph.EdgeKind{
	graph.KindUser: graph.EdgeBy, graph.KindAccount: graph.EdgeFrom, graph.KindCard: graph.EdgeWithCard,
	graph.KindDevice: graph.EdgeOnDevice, graph.KindIP: graph.EdgeFromIP, graph.KindMerchant: graph.EdgeAt,
	graph.KindEmail: graph.EdgeWithEmail, graph.KindPhone: graph.EdgeWithPhone,
}

// load returns the current state or ErrClosed.
func (s *Store) load() (*state, error) {
	st := s.st.Load()
	if st == nil {
		return nil, fmt.Errorf("mem: %w", graph.ErrClosed)
	}
	return st, nil
}

// Close releases the store's content. Later calls return ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Store(nil)
	return nil
}

// Apply implements graph.Store.
func (s *Store) Apply(ctx context.Context, batch ...graph.Mutation) (graph.Applied, error) {
	var out graph.Applied
	if err := ctx.Err(); err != nil {
		return out, fmt.Errorf("mem: apply: %w", err)
	}
	for i := range batch {
		if err := batch[i].Validate(); err != nil {
			return out, fmt.Errorf("mem: apply: mutation %d (seq %d): %w", i, batch[i].Seq, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.load()
	if err != nil {
		return out, err
	}
	for i := range batch {
		m := &batch[i]
		switch {
		case m.Txn != nil:
			added, err := st.addTxn(m.Txn)
			if err != nil {
				return out, fmt.Errorf("mem: apply: mutation %d (txn %q): %w", i, m.Txn.ID, err)
			}
			if added {
				out.Txns++
			} else {
				out.Duplicates++
			}
		case m.Label != nil:
			if err := st.addLabel(m.Label); err != nil {
				return out, fmt.Errorf("mem: apply: mutation %d (label): %w", i, err)
			}
			out.Labels++
		}
		if m.Seq > st.lastSeq.Load() {
			st.lastSeq.Store(m.Seq)
		}
	}
	return out, nil
}

// errFull reports that a store limit was reached.
var errFull = fmt.Errorf("embedded store is full (2^31 nodes or 4 GiB of strings): %w", graph.ErrUnavailable)

// find returns the handle of (k, id).
func (st *state) find(k graph.Kind, id string) (handle, bool) {
	tag := tagOf(st.seed, k, id)
	return st.idx.Load().lookup(tag, func(h handle) bool { return st.keyIs(h, k, id) })
}

func (st *state) keyIs(h handle, k graph.Kind, id string) bool {
	if h.isEntity() {
		e := st.ents.at(h.index())
		return e.kind == k && st.arena.str(e.id) == id
	}
	return k == graph.KindTransaction && st.txnID(h.index()) == id
}

// insertKey adds a new key to the index, growing it first when needed.
func (st *state) insertKey(k graph.Kind, id string, h handle) {
	x := st.idx.Load()
	if x.full() {
		x = x.grown()
		st.idx.Store(x)
	}
	x.insert(tagOf(st.seed, k, id), h)
}

// claimKey inserts (k, id) → h unless the key is present, in which case it
// reports true and leaves the index unchanged.
func (st *state) claimKey(k graph.Kind, id string, h handle) bool {
	x := st.idx.Load()
	if x.full() {
		x = x.grown()
		st.idx.Store(x)
	}
	_, found := x.lookupOrInsert(tagOf(st.seed, k, id), h, func(c handle) bool { return st.keyIs(c, k, id) })
	return found
}

// intern returns the arena offset of s, adding it once.
func (st *state) intern(s string) (uint32, error) {
	if s == "" {
		return 0, nil
	}
	if off, ok := st.interned[s]; ok {
		return off, nil
	}
	off, ok := st.arena.add(s)
	if !ok {
		return 0, errFull
	}
	st.interned[st.arena.str(off)] = off
	_, p := st.internLog.next()
	*p = off
	st.internLog.publish()
	return off, nil
}

// entity returns the index of entity (k, id), creating it if needed.
func (st *state) entity(k graph.Kind, id string) (uint32, error) {
	if h, ok := st.find(k, id); ok {
		return h.index(), nil
	}
	if st.ents.w >= uint32(entityBit) {
		return 0, errFull
	}
	off, ok := st.arena.add(id)
	if !ok {
		return 0, errFull
	}
	i, e := st.ents.next()
	e.id, e.kind = off, k
	st.ents.publish()
	st.insertKey(k, id, entHandle(i))
	st.nodes[k].Add(1)
	return i, nil
}

// addTxn stores t unless its id is present; it reports whether it added.
func (st *state) addTxn(t *graph.Transaction) (bool, error) {
	if _, ok := st.find(graph.KindTransaction, t.ID); ok {
		return false, nil
	}
	if st.txns.w >= uint32(entityBit) {
		return false, errFull
	}
	var ents [numEdges]uint32
	for e := graph.EdgeBy; e <= graph.EdgeWithPhone; e++ {
		if id := t.Entity(e); id != "" {
			i, err := st.entity(e.Target(), id)
			if err != nil {
				return false, err
			}
			ents[e-1] = i + 1
		}
	}
	fields, err := st.encodeFields(t)
	if err != nil {
		return false, err
	}
	attrs, err := st.encodeAttrs(t.Attrs)
	if err != nil {
		return false, err
	}
	idOff, ok := st.arena.add(t.ID)
	if !ok {
		return false, errFull
	}
	i, r := st.txns.next()
	r.time, r.amount, r.ent, r.fields, r.attrs = t.Time.UnixNano(), t.Amount, ents, fields, attrs
	r.label.Store(classCode(t.Label))
	_, ref := st.ids.next()
	*ref = strRef(uint64(idOff)<<16 | uint64(len(t.ID)))
	st.ids.publish()
	st.txns.publish()
	st.insertKey(graph.KindTransaction, t.ID, txnHandle(i))
	for e := graph.EdgeBy; e <= graph.EdgeWithPhone; e++ {
		if x := ents[e-1]; x != 0 {
			insertAdj(&st.ents.at(x - 1).adj[slotOf(e)], i, r.time)
			st.edges[e].Add(1)
		}
	}
	st.nodes[graph.KindTransaction].Add(1)
	if c := r.label.Load(); c != classNone {
		st.classes[c].Add(1)
	}
	if l, ok := st.takePending(t.ID); ok {
		st.setLabel(txnHandle(i), &r.label, &l)
	}
	return true, nil
}

// addLabel records a label, or keeps it pending until its transaction.
func (st *state) addLabel(l *graph.Label) error {
	ref := l.Target()
	h, ok := st.find(ref.Kind, ref.ID)
	switch {
	case ok && h.isEntity():
		st.setLabel(h, &st.ents.at(h.index()).label, l)
	case ok:
		st.setLabel(h, &st.txns.at(h.index()).label, l)
	case ref.Kind == graph.KindTransaction:
		st.pendMu.Lock()
		defer st.pendMu.Unlock()
		if old, ok := st.pending[ref.ID]; !ok || !l.Time.Before(old.Time) {
			st.pending[ref.ID] = *l
		}
	default:
		i, err := st.entity(ref.Kind, ref.ID)
		if err != nil {
			return err
		}
		st.setLabel(entHandle(i), &st.ents.at(i).label, l)
	}
	return nil
}

func (st *state) takePending(id string) (graph.Label, bool) {
	st.pendMu.Lock()
	defer st.pendMu.Unlock()
	l, ok := st.pending[id]
	if ok {
		delete(st.pending, id)
	}
	return l, ok
}

// setLabel applies l to the node at h unless a label known later is
// already there (labels known at the same time: the last applied wins).
func (st *state) setLabel(h handle, cell *atomic.Uint32, l *graph.Label) {
	var known int64
	if !l.Time.IsZero() {
		known = l.Time.UnixNano()
	}
	if v, ok := st.labelTimes.Load(h); ok && v.(int64) > known {
		return
	}
	if known != 0 {
		st.labelTimes.Store(h, known)
	}
	c := classCode(l.Class)
	old := cell.Swap(c)
	if !h.isEntity() && old != c {
		if old != classNone {
			st.classes[old].Add(-1)
		}
		st.classes[c].Add(1)
	}
}

// labelTime returns when the label of h became known (0: with the row).
func (st *state) labelTime(h handle) int64 {
	if v, ok := st.labelTimes.Load(h); ok {
		return v.(int64)
	}
	return 0
}

// txnID returns the id of transaction i.
func (st *state) txnID(i uint32) string { return st.arena.strOf(*st.ids.at(i)) }

func unixTime(ns int64) time.Time { return time.Unix(0, ns).UTC() }
