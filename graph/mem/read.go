package mem

import (
	"context"
	"fmt"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// Node implements graph.Store.
func (s *Store) Node(ctx context.Context, ref graph.NodeRef) (graph.Node, error) {
	st, err := s.load()
	if err != nil {
		return graph.Node{}, err
	}
	h, ok := st.find(ref.Kind, ref.ID)
	if !ok {
		return graph.Node{}, fmt.Errorf("mem: node %s: %w", ref, graph.ErrNotFound)
	}
	return st.node(h), nil
}

func (st *state) node(h handle) graph.Node {
	var n graph.Node
	var cls uint32
	if h.isEntity() {
		e := st.ents.at(h.index())
		n.Ref = graph.NodeRef{Kind: e.kind, ID: st.arena.str(e.id)}
		cls = e.label.Load()
		first, last := int64(maxTime), int64(minTime)
		for i := range e.adj {
			main, late := e.adj[i].Load().view()
			for _, r := range [2]run{main, derefRun(late)} {
				if len(r.times) == 0 {
					continue
				}
				n.Degree += len(r.times)
				first, last = min(first, r.times[0]), max(last, r.times[len(r.times)-1])
			}
		}
		if n.Degree > 0 {
			n.First, n.Last = unixTime(first), unixTime(last)
		}
	} else {
		r := st.txns.at(h.index())
		n.Ref = graph.NodeRef{Kind: graph.KindTransaction, ID: st.txnID(h.index())}
		cls = r.label.Load()
		for _, x := range r.ent {
			if x != 0 {
				n.Degree++
			}
		}
		n.First = unixTime(r.time)
		n.Last = n.First
	}
	n.Label = classNames[cls]
	if t := st.labelTime(h); t != 0 {
		n.LabelTime = unixTime(t)
	}
	return n
}

// Transaction implements graph.Store.
func (s *Store) Transaction(ctx context.Context, id string) (graph.Transaction, error) {
	var t graph.Transaction
	st, i, err := s.txn(id)
	if err != nil {
		return t, err
	}
	st.fillTxn(i, &t)
	t.Attrs = st.decodeAttrs(st.txns.at(i).attrs)
	return t, nil
}

// TransactionCore overwrites *dst with transaction id without its
// attributes (dst.Attrs is set to nil) and returns when its label became
// known (zero when it came with the row, or when unlabelled). It is the
// read feature encoders make hundreds of times per scored transaction:
// one lookup, no allocation.
func (s *Store) TransactionCore(ctx context.Context, id string, dst *graph.Transaction) (labelTime time.Time, err error) {
	st, i, err := s.txn(id)
	if err != nil {
		return time.Time{}, err
	}
	*dst = graph.Transaction{}
	st.fillTxn(i, dst)
	if dst.Label != "" {
		if t := st.labelTime(txnHandle(i)); t != 0 {
			labelTime = unixTime(t)
		}
	}
	return labelTime, nil
}

// txn finds transaction id.
func (s *Store) txn(id string) (*state, uint32, error) {
	st, err := s.load()
	if err != nil {
		return nil, 0, err
	}
	h, ok := st.find(graph.KindTransaction, id)
	if !ok {
		return nil, 0, fmt.Errorf("mem: transaction %q: %w", id, graph.ErrNotFound)
	}
	return st, h.index(), nil
}

// fillTxn sets every field of t but Attrs from transaction i.
func (st *state) fillTxn(i uint32, t *graph.Transaction) {
	r := st.txns.at(i)
	f := st.decodeFields(r.fields)
	t.ID = st.txnID(i)
	t.Time = unixTime(r.time)
	t.Amount = r.amount
	t.Currency = st.arena.str(f[strCurrency])
	t.Kind = st.arena.str(f[strKind])
	t.MCC = st.arena.str(f[strMCC])
	t.Country = st.arena.str(f[strCountry])
	t.Channel = st.arena.str(f[strChannel])
	t.Label = classNames[r.label.Load()]
	for e := graph.EdgeBy; e <= graph.EdgeWithPhone; e++ {
		if x := r.ent[e-1]; x != 0 {
			t.SetEntity(e, st.arena.str(st.ents.at(x-1).id))
		}
	}
}

// Neighbors implements graph.Store.
func (s *Store) Neighbors(ctx context.Context, ref graph.NodeRef, q graph.Query, dst []graph.Neighbor) ([]graph.Neighbor, error) {
	if err := q.Validate(); err != nil {
		return dst, fmt.Errorf("mem: neighbours of %s: %w", ref, err)
	}
	st, err := s.load()
	if err != nil {
		return dst, err
	}
	h, ok := st.find(ref.Kind, ref.ID)
	if !ok {
		return dst, fmt.Errorf("mem: neighbours of %s: %w", ref, graph.ErrNotFound)
	}
	from, to := int64(minTime), int64(maxTime)
	if !q.Window.From.IsZero() {
		from = q.Window.From.UnixNano()
	}
	if !q.Window.To.IsZero() {
		to = q.Window.To.UnixNano()
	}
	limit := q.Limit
	if limit == 0 {
		limit = int(^uint(0) >> 1)
	}
	if !h.isEntity() {
		return st.txnNeighbors(h.index(), q.Edge, from, to, limit, dst), nil
	}
	return st.entityNeighbors(h.index(), q.Edge, from, to, limit, dst), nil
}

func (st *state) txnNeighbors(i uint32, edge graph.EdgeKind, from, to int64, limit int, dst []graph.Neighbor) []graph.Neighbor {
	r := st.txns.at(i)
	if r.time < from || r.time >= to {
		return dst
	}
	t := unixTime(r.time)
	for e := graph.EdgeBy; e <= graph.EdgeWithPhone && limit > 0; e++ {
		x := r.ent[e-1]
		if x == 0 || (edge != 0 && edge != e) {
			continue
		}
		en := st.ents.at(x - 1)
		dst = append(dst, graph.Neighbor{Edge: e, Node: graph.NodeRef{Kind: en.kind, ID: st.arena.str(en.id)}, Time: t})
		limit--
	}
	return dst
}

func (st *state) entityNeighbors(i uint32, edge graph.EdgeKind, from, to int64, limit int, dst []graph.Neighbor) []graph.Neighbor {
	st.walkEntity(i, edge, from, to, limit, func(e graph.EdgeKind, txn uint32, t int64) {
		dst = append(dst, graph.Neighbor{
			Edge: e,
			Node: graph.NodeRef{Kind: graph.KindTransaction, ID: st.txnID(txn)},
			Time: unixTime(t),
		})
	})
	return dst
}

// walkEntity calls fn for entity i's transactions on edge (0: every kind)
// with times in [from, to), at most limit of them, newest first: the order
// of Neighbors.
func (st *state) walkEntity(i uint32, edge graph.EdgeKind, from, to int64, limit int, fn func(e graph.EdgeKind, txn uint32, t int64)) {
	en := st.ents.at(i)
	// Up to two lists (an Account's FROM and TO) of two runs each, merged
	// newest first; ties go to the later arrival (larger index).
	type cursor struct {
		r    run
		lo   int // first index inside the window
		pos  int // one past the next index to take, walking down
		edge graph.EdgeKind
	}
	var cs [4]cursor
	k := 0
	for s := range en.adj {
		e := edgeOfSlot(en.kind, s)
		if e == 0 || (edge != 0 && edge != e) {
			continue
		}
		main, late := en.adj[s].Load().view()
		for _, r := range [2]run{main, derefRun(late)} {
			if lo, hi := span(r.times, from, to); hi > lo {
				cs[k] = cursor{r: r, lo: lo, pos: hi, edge: e}
				k++
			}
		}
	}
	for ; limit > 0 && k > 0; limit-- {
		best := 0
		for c := 1; c < k; c++ {
			b, x := &cs[best], &cs[c]
			bt, bx, xt, xx := b.r.times[b.pos-1], b.r.txns[b.pos-1], x.r.times[x.pos-1], x.r.txns[x.pos-1]
			// A self-transfer is in both FROM and TO: FROM comes first.
			if before(bt, bx, xt, xx) || (bt == xt && bx == xx && x.edge < b.edge) {
				best = c
			}
		}
		c := &cs[best]
		c.pos--
		fn(c.edge, c.r.txns[c.pos], c.r.times[c.pos])
		if c.pos == c.lo {
			k--
			cs[best] = cs[k]
		}
	}
}

// RecentCores calls fn with the numeric core of each of entity ref's
// transactions strictly before `before`, newest first, at most limit of
// them: the transactions Neighbors(ref, {Window: graph.Before(before),
// Limit: limit}) lists, in its order, without building ids or strings.
// It returns ref's own key (as it appears in TxnCore.Entities). fn must
// not keep c. An unknown ref is an error wrapping ErrNotFound; a
// Transaction ref, ErrInvalid.
func (s *Store) RecentCores(ctx context.Context, ref graph.NodeRef, before time.Time, limit int, fn func(c *graph.TxnCore)) (self uint64, err error) {
	st, err := s.load()
	if err != nil {
		return 0, err
	}
	h, ok := st.find(ref.Kind, ref.ID)
	if !ok {
		return 0, fmt.Errorf("mem: recent transactions of %s: %w", ref, graph.ErrNotFound)
	}
	if !h.isEntity() {
		return 0, fmt.Errorf("mem: recent transactions of %s: not an entity: %w", ref, graph.ErrInvalid)
	}
	if limit <= 0 {
		limit = int(^uint(0) >> 1)
	}
	var c graph.TxnCore
	st.walkEntity(h.index(), 0, minTime, before.UnixNano(), limit, func(_ graph.EdgeKind, i uint32, t int64) {
		r := st.txns.at(i)
		c.Time, c.Amount, c.LabelTime = r.time, r.amount, 0
		for e := range r.ent {
			c.Entities[e] = uint64(r.ent[e])
		}
		c.Label = classNames[r.label.Load()]
		if c.Label != "" {
			c.LabelTime = st.labelTime(txnHandle(i))
		}
		fn(&c)
	})
	return uint64(h.index()) + 1, nil
}

func derefRun(r *run) run {
	if r == nil {
		return run{}
	}
	return *r
}

// CountNeighbors returns how many neighbours Neighbors would return for
// ref and q, without building them: binary searches only. An unknown ref
// is an error wrapping ErrNotFound.
func (s *Store) CountNeighbors(ctx context.Context, ref graph.NodeRef, q graph.Query) (int, error) {
	if err := q.Validate(); err != nil {
		return 0, fmt.Errorf("mem: count neighbours of %s: %w", ref, err)
	}
	st, err := s.load()
	if err != nil {
		return 0, err
	}
	h, ok := st.find(ref.Kind, ref.ID)
	if !ok {
		return 0, fmt.Errorf("mem: count neighbours of %s: %w", ref, graph.ErrNotFound)
	}
	from, to := int64(minTime), int64(maxTime)
	if !q.Window.From.IsZero() {
		from = q.Window.From.UnixNano()
	}
	if !q.Window.To.IsZero() {
		to = q.Window.To.UnixNano()
	}
	n := 0
	if !h.isEntity() {
		r := st.txns.at(h.index())
		if r.time < from || r.time >= to {
			return 0, nil
		}
		for e := graph.EdgeBy; e <= graph.EdgeWithPhone; e++ {
			if r.ent[e-1] != 0 && (q.Edge == 0 || q.Edge == e) {
				n++
			}
		}
	} else {
		en := st.ents.at(h.index())
		for sl := range en.adj {
			e := edgeOfSlot(en.kind, sl)
			if e == 0 || (q.Edge != 0 && q.Edge != e) {
				continue
			}
			main, late := en.adj[sl].Load().view()
			for _, r := range [2]run{main, derefRun(late)} {
				lo, hi := span(r.times, from, to)
				n += hi - lo
			}
		}
	}
	if q.Limit > 0 {
		n = min(n, q.Limit)
	}
	return n, nil
}

// Nodes implements graph.Store.
func (s *Store) Nodes(ctx context.Context, k graph.Kind, fn func(graph.Node) bool) error {
	if !k.Valid() {
		return fmt.Errorf("mem: nodes of kind %v: %w", k, graph.ErrInvalid)
	}
	st, err := s.load()
	if err != nil {
		return err
	}
	if k == graph.KindTransaction {
		n := st.txns.Len()
		for i := range n {
			if i&0xffff == 0 && ctx.Err() != nil {
				return fmt.Errorf("mem: nodes: %w", ctx.Err())
			}
			if !fn(st.node(txnHandle(i))) {
				return nil
			}
		}
		return nil
	}
	n := st.ents.Len()
	for i := range n {
		if i&0xffff == 0 && ctx.Err() != nil {
			return fmt.Errorf("mem: nodes: %w", ctx.Err())
		}
		if st.ents.at(i).kind == k && !fn(st.node(entHandle(i))) {
			return nil
		}
	}
	return nil
}

// Stats implements graph.Store.
func (s *Store) Stats(ctx context.Context) (graph.Stats, error) {
	st, err := s.load()
	if err != nil {
		return graph.Stats{}, err
	}
	out := graph.Stats{
		Nodes:   make(map[graph.Kind]int64),
		Edges:   make(map[graph.EdgeKind]int64),
		Labels:  make(map[graph.Class]int64),
		LastSeq: st.lastSeq.Load(),
	}
	for _, k := range graph.Kinds() {
		out.Nodes[k] = st.nodes[k].Load()
	}
	for _, e := range graph.EdgeKinds() {
		out.Edges[e] = st.edges[e].Load()
	}
	for c := classFraud; c < numClasses; c++ {
		out.Labels[classNames[c]] = st.classes[c].Load()
	}
	return out, nil
}

// LastSeq implements graph.Store.
func (s *Store) LastSeq(ctx context.Context) (uint64, error) {
	st, err := s.load()
	if err != nil {
		return 0, err
	}
	return st.lastSeq.Load(), nil
}
