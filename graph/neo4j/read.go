package neo4j

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	driver "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/riskgraph/riskgraph/graph"
)

// Node implements graph.Store: one round trip through the (g, id) index.
func (s *Store) Node(ctx context.Context, ref graph.NodeRef) (graph.Node, error) {
	if !ref.Kind.Valid() {
		return graph.Node{}, fmt.Errorf("neo4j: node %s: kind %w", ref, graph.ErrInvalid)
	}
	recs, err := s.read(ctx, "node "+ref.String(), s.nodeCall(ref))
	if err != nil {
		return graph.Node{}, err
	}
	if len(recs) == 0 {
		return graph.Node{}, fmt.Errorf("neo4j: node %s: %w", ref, graph.ErrNotFound)
	}
	n, err := decodeNode(ref, recs[0].Get)
	if err != nil {
		return n, fmt.Errorf("neo4j: node %s: %w", ref, err)
	}
	return n, nil
}

func (s *Store) nodeCall(ref graph.NodeRef) call {
	return call{nodeStatement(ref.Kind), map[string]any{"g": s.cfg.Graph, "id": ref.ID}}
}

// Transaction implements graph.Store: one round trip.
func (s *Store) Transaction(ctx context.Context, id string) (graph.Transaction, error) {
	recs, err := s.read(ctx, fmt.Sprintf("transaction %q", id), s.txnCall(id))
	if err != nil {
		return graph.Transaction{}, err
	}
	if len(recs) == 0 {
		return graph.Transaction{}, fmt.Errorf("neo4j: transaction %q: %w", id, graph.ErrNotFound)
	}
	v, _ := recs[0].Get("t")
	st, err := decodeTxn(v)
	if err != nil {
		return graph.Transaction{}, fmt.Errorf("neo4j: transaction %q: %w", id, err)
	}
	return st.txn, nil
}

func (s *Store) txnCall(id string) call {
	return call{transactionByID, map[string]any{"g": s.cfg.Graph, "id": id}}
}

// neighborsCall is the statement answering q for an entity (it reports
// whether the entity exists and its matching edges), or false when q's edge
// kind cannot end at ref's kind and only existence needs checking.
func (s *Store) neighborsCall(ref graph.NodeRef, q graph.Query) (call, bool) {
	since, until := int64(math.MinInt64), int64(math.MaxInt64)
	if !q.Window.From.IsZero() {
		since = clampNanos(q.Window.From)
	}
	if !q.Window.To.IsZero() {
		until = clampNanos(q.Window.To)
	}
	limit := int64(math.MaxInt64)
	if q.Limit > 0 {
		limit = int64(q.Limit)
	}
	var c cypher
	switch {
	case q.Edge != 0 && q.Edge.Target() != ref.Kind:
		return call{}, false
	case q.Edge != 0:
		c = neighborsStatement(q.Edge)
	case ref.Kind == graph.KindAccount:
		c = neighborsAccount
	default:
		c = neighborsStatement(graph.EdgeKindsOf(ref.Kind)[0])
	}
	return call{c, map[string]any{"g": s.cfg.Graph, "id": ref.ID, "since": since, "until": until, "limit": limit}}, true
}

// clampNanos is nanos for window bounds: an instant outside the stored
// range is clamped to it (no stored edge lies beyond).
func clampNanos(t time.Time) int64 {
	if ns, ok := nanos(t); ok {
		return ns
	}
	if t.Before(minTime) {
		return math.MinInt64
	}
	return math.MaxInt64
}

func (s *Store) txnEdgesCall(id string) call {
	return call{transactionEdges, map[string]any{"g": s.cfg.Graph, "id": id}}
}

// Neighbors implements graph.Store in one round trip: for an entity, a
// seek in the (g, ent, time, arrival) index of each edge kind asked for;
// for a transaction, its own node (it holds its entity ids).
func (s *Store) Neighbors(ctx context.Context, ref graph.NodeRef, q graph.Query, dst []graph.Neighbor) ([]graph.Neighbor, error) {
	op := "neighbours of " + ref.String()
	if err := q.Validate(); err != nil {
		return dst, fmt.Errorf("neo4j: %s: %w", op, err)
	}
	if !ref.Kind.Valid() {
		return dst, fmt.Errorf("neo4j: %s: kind %w", op, graph.ErrInvalid)
	}
	if ref.Kind == graph.KindTransaction {
		return s.txnNeighbors(ctx, op, ref.ID, q, dst)
	}
	c, ok := s.neighborsCall(ref, q)
	if !ok {
		if _, err := s.Node(ctx, ref); err != nil {
			return dst, err
		}
		return dst, nil
	}
	recs, err := s.read(ctx, op, c)
	if err != nil {
		return dst, err
	}
	found, err := single[bool](recs, "found")
	if err != nil {
		return dst, fmt.Errorf("neo4j: %s: %w", op, err)
	}
	if !found {
		return dst, fmt.Errorf("neo4j: %s: %w", op, graph.ErrNotFound)
	}
	var hits []any
	cols := []string{"hits"}
	if c.c == neighborsAccount {
		cols = []string{"fromHits", "toHits"}
	}
	for _, col := range cols {
		h, err := single[[]any](recs, col)
		if err != nil {
			return dst, fmt.Errorf("neo4j: %s: %w", op, err)
		}
		hits = append(hits, h...)
	}
	out, err := decodeHits(hits)
	if err != nil {
		return dst, fmt.Errorf("neo4j: %s: %w", op, err)
	}
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	for _, h := range out {
		dst = append(dst, h.n)
	}
	return dst, nil
}

type hit struct {
	n       graph.Neighbor
	arrival int64
}

// decodeHits decodes the hit maps of a neighbours statement, most recent
// first: time, then arrival, descending; FROM before TO for one
// transaction (a self-transfer). The sort merges an Account's two lists
// and makes the order independent of how collect() keeps it.
func decodeHits(vs []any) ([]hit, error) {
	out := make([]hit, 0, len(vs))
	for _, v := range vs {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, shapeErr(fmt.Sprintf("hit is %T", v))
		}
		txn, ok1 := m["txn"].(string)
		ts, ok2 := m["ts"].(int64)
		arrival, ok3 := m["arrival"].(int64)
		edge, ok4 := m["edge"].(string)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return nil, shapeErr(fmt.Sprintf("hit %v", m))
		}
		e, err := graph.ParseEdgeKind(edge)
		if err != nil {
			return nil, shapeErr(err.Error())
		}
		out = append(out, hit{graph.Neighbor{Edge: e, Node: graph.Ref(graph.KindTransaction, txn), Time: fromNanos(ts)}, arrival})
	}
	slices.SortStableFunc(out, func(a, b hit) int {
		return cmp.Or(b.n.Time.Compare(a.n.Time), cmp.Compare(b.arrival, a.arrival), cmp.Compare(a.n.Edge, b.n.Edge))
	})
	return out, nil
}

// txnNeighbors answers a query about a transaction from its node: every
// edge carries the transaction's time, and they come in EdgeKind order.
func (s *Store) txnNeighbors(ctx context.Context, op, id string, q graph.Query, dst []graph.Neighbor) ([]graph.Neighbor, error) {
	recs, err := s.read(ctx, op, s.txnEdgesCall(id))
	if err != nil {
		return dst, err
	}
	if len(recs) == 0 {
		return dst, fmt.Errorf("neo4j: %s: %w", op, graph.ErrNotFound)
	}
	ns, err := single[int64](recs, "ts")
	if err != nil {
		return dst, fmt.Errorf("neo4j: %s: %w", op, err)
	}
	ents, err := single[[]any](recs, "ents")
	if err != nil || len(ents) != len(graph.EdgeKinds()) {
		return dst, fmt.Errorf("neo4j: %s: %w", op, shapeErr("entity list"))
	}
	return txnEdgeNeighbors(fromNanos(ns), ents, q, dst), nil
}

// txnEdgeNeighbors builds a transaction's neighbours from its time and its
// entity ids in EdgeKind order (nil where it has none).
func txnEdgeNeighbors(at time.Time, ents []any, q graph.Query, dst []graph.Neighbor) []graph.Neighbor {
	if !q.Window.Contains(at) {
		return dst
	}
	n := 0
	for i, e := range graph.EdgeKinds() {
		id, _ := ents[i].(string)
		if id == "" || (q.Edge != 0 && q.Edge != e) || (q.Limit > 0 && n == q.Limit) {
			continue
		}
		dst = append(dst, graph.Neighbor{Edge: e, Node: graph.Ref(e.Target(), id), Time: at})
		n++
	}
	return dst
}

// nodesCall is one page of Nodes.
func (s *Store) nodesCall(k graph.Kind, after string) call {
	return call{nodesStatement(k), s.pageParams(map[string]any{"after": after})}
}

// Nodes implements graph.Store. It reads BatchSize nodes per round trip,
// in id order, each page its own transaction; fn runs between pages, never
// inside a transaction.
func (s *Store) Nodes(ctx context.Context, k graph.Kind, fn func(graph.Node) bool) error {
	if !k.Valid() {
		return fmt.Errorf("neo4j: nodes of kind %v: %w", k, graph.ErrInvalid)
	}
	return s.eachNode(ctx, k, func(n graph.Node, _ string) bool { return fn(n) })
}

// eachNode pages through the nodes of kind k, passing each node's label
// source too.
func (s *Store) eachNode(ctx context.Context, k graph.Kind, fn func(graph.Node, string) bool) error {
	op := fmt.Sprintf("nodes of kind %v", k)
	after := ""
	for {
		recs, err := s.read(ctx, op, s.nodesCall(k, after))
		if err != nil {
			return err
		}
		for _, r := range recs {
			v, _ := r.Get("nid")
			id, ok := v.(string)
			if !ok {
				return fmt.Errorf("neo4j: %s: %w", op, shapeErr(fmt.Sprintf("id is %T", v)))
			}
			n, err := decodeNode(graph.Ref(k, id), r.Get)
			if err != nil {
				return fmt.Errorf("neo4j: %s: %w", op, err)
			}
			src, _ := r.Get("labelSource")
			source, _ := src.(string)
			if !fn(n, source) {
				return nil
			}
			after = id
		}
		if len(recs) < s.cfg.BatchSize {
			return nil
		}
	}
}

// Stats implements graph.Store. Its counts are index scans over the
// graph's entries (O(nodes + edges)): for dashboards, not hot paths.
func (s *Store) Stats(ctx context.Context) (graph.Stats, error) {
	out := graph.Stats{
		Nodes:  make(map[graph.Kind]int64),
		Edges:  make(map[graph.EdgeKind]int64),
		Labels: make(map[graph.Class]int64),
	}
	for _, k := range graph.Kinds() {
		out.Nodes[k] = 0
	}
	for _, e := range graph.EdgeKinds() {
		out.Edges[e] = 0
	}
	for _, c := range []graph.Class{graph.ClassFraud, graph.ClassLegit, graph.ClassLaundering} {
		out.Labels[c] = 0
	}
	recs, err := s.read(ctx, "stats", s.statsCall())
	if err != nil {
		return out, err
	}
	if err := addStats(&out, recs); err != nil {
		return out, fmt.Errorf("neo4j: stats: %w", err)
	}
	if out.LastSeq, err = s.LastSeq(ctx); err != nil {
		return out, err
	}
	return out, nil
}

func (s *Store) statsCall() call { return call{stats, map[string]any{"g": s.cfg.Graph}} }

func addStats(out *graph.Stats, recs []*driver.Record) error {
	for _, r := range recs {
		part, _ := r.Get("part")
		what, _ := r.Get("what")
		total, _ := r.Get("total")
		name, _ := what.(string)
		n, ok := total.(int64)
		if !ok {
			return shapeErr(fmt.Sprintf("count is %T", total))
		}
		switch part {
		case "node":
			k, err := graph.ParseKind(name)
			if err != nil {
				return shapeErr(err.Error())
			}
			out.Nodes[k] = n
		case "edge":
			e, err := graph.ParseEdgeKind(name)
			if err != nil {
				return shapeErr(err.Error())
			}
			out.Edges[e] = n
		case "label":
			c, err := graph.ParseClass(name)
			if err != nil {
				return shapeErr(err.Error())
			}
			out.Labels[c] = n
		default:
			return shapeErr(fmt.Sprintf("stats part %v", part))
		}
	}
	return nil
}

// LastSeq implements graph.Store.
func (s *Store) LastSeq(ctx context.Context) (uint64, error) {
	seq, _, err := s.counters(ctx)
	return seq, err
}

// counters returns the graph's LastSeq and arrival counter.
func (s *Store) counters(ctx context.Context) (seq uint64, arrival int64, err error) {
	recs, err := s.read(ctx, "last sequence", s.metaCall())
	if err != nil {
		return 0, 0, err
	}
	last, err := single[int64](recs, "lastSeq")
	if err != nil {
		return 0, 0, fmt.Errorf("neo4j: last sequence: %w", err)
	}
	arrival, err = single[int64](recs, "arrival")
	if err != nil {
		return 0, 0, fmt.Errorf("neo4j: last sequence: %w", err)
	}
	return uint64(last), arrival, nil
}
