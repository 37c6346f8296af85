package mem

import (
	"context"
	"fmt"

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
			_, times := e.adj[i].Load().view()
			if len(times) == 0 {
				continue
			}
			n.Degree += len(times)
			first, last = min(first, times[0]), max(last, times[len(times)-1])
		}
		if n.Degree > 0 {
			n.First, n.Last = unixTime(first), unixTime(last)
		}
	} else {
		r := st.txns.at(h.index())
		n.Ref = graph.NodeRef{Kind: graph.KindTransaction, ID: st.arena.str(r.id)}
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
	st, err := s.load()
	if err != nil {
		return graph.Transaction{}, err
	}
	h, ok := st.find(graph.KindTransaction, id)
	if !ok {
		return graph.Transaction{}, fmt.Errorf("mem: transaction %q: %w", id, graph.ErrNotFound)
	}
	r := st.txns.at(h.index())
	t := graph.Transaction{
		ID:       st.arena.str(r.id),
		Time:     unixTime(r.time),
		Amount:   r.amount,
		Currency: st.arena.str(r.str[strCurrency]),
		Kind:     st.arena.str(r.str[strKind]),
		MCC:      st.arena.str(r.str[strMCC]),
		Country:  st.arena.str(r.str[strCountry]),
		Channel:  st.arena.str(r.str[strChannel]),
		Attrs:    st.decodeAttrs(r.attrs),
		Label:    classNames[r.label.Load()],
	}
	for e := graph.EdgeBy; e <= graph.EdgeWithPhone; e++ {
		if x := r.ent[e-1]; x != 0 {
			t.SetEntity(e, st.arena.str(st.ents.at(x-1).id))
		}
	}
	return t, nil
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
	en := st.ents.at(i)
	// Up to two lists (an Account's FROM and TO), merged newest first.
	var txns [2][]uint32
	var times [2][]int64
	var kinds [2]graph.EdgeKind
	var pos [2]int // next index to take, walking down
	var lo [2]int
	for s := range en.adj {
		e := edgeOfSlot(en.kind, s)
		if e == 0 || (edge != 0 && edge != e) {
			continue
		}
		tx, tm := en.adj[s].Load().view()
		l, h := span(tm, from, to)
		txns[s], times[s], kinds[s], lo[s], pos[s] = tx, tm, e, l, h
	}
	for ; limit > 0; limit-- {
		// Pick the list whose next entry is newer; ties go to the later
		// arrival, which is the larger transaction index.
		s := -1
		for c := range 2 {
			if pos[c] <= lo[c] {
				continue
			}
			if s < 0 || times[c][pos[c]-1] > times[s][pos[s]-1] ||
				(times[c][pos[c]-1] == times[s][pos[s]-1] && txns[c][pos[c]-1] > txns[s][pos[s]-1]) {
				s = c
			}
		}
		if s < 0 {
			break
		}
		pos[s]--
		x := txns[s][pos[s]]
		dst = append(dst, graph.Neighbor{
			Edge: kinds[s],
			Node: graph.NodeRef{Kind: graph.KindTransaction, ID: st.arena.str(st.txns.at(x).id)},
			Time: unixTime(times[s][pos[s]]),
		})
	}
	return dst
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
