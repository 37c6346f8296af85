package typology

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// Reader is the part of graph.Store that RingAround reads.
type Reader interface {
	Node(ctx context.Context, ref graph.NodeRef) (graph.Node, error)
	Transaction(ctx context.Context, id string) (graph.Transaction, error)
	Neighbors(ctx context.Context, ref graph.NodeRef, q graph.Query, dst []graph.Neighbor) ([]graph.Neighbor, error)
}

// Graph is the part of graph.Store that Detect reads: Reader and a scan of
// the nodes of a kind.
type Graph interface {
	Reader
	Nodes(ctx context.Context, k graph.Kind, fn func(graph.Node) bool) error
}

var _ Graph = graph.Store(nil)

// coreReader is implemented by stores that can read a transaction without
// its attributes, cheaply (graph/mem); Detect uses it when it can.
type coreReader interface {
	TransactionCore(ctx context.Context, id string, dst *graph.Transaction) (time.Time, error)
}

// Detect runs the enabled detectors of cfg over the history in g and
// returns their alerts, ordered by start, then id. The transfer
// typologies replay every transfer (a transaction with an Account and a
// Counterparty) in time order through an Engine, so Detect finds exactly
// what an Engine observing the same transfers would, but reports each
// pattern whole: with every transfer that joined it. Shared-identifier
// rings are found over the links of every transaction (see RingConfig).
//
// Re-running Detect over the same history gives the same alerts with the
// same ids. Transactions are read one at a time; memory is about 100
// bytes per transfer, about 100 per identifier (for the rings) and the
// Engine's window: under 150 MiB for a million transactions
// (BenchmarkDetect). An invalid cfg is reported by Config.Validate's error;
// a store error is returned wrapped; ctx is checked as it goes.
func Detect(ctx context.Context, g Graph, cfg Config) ([]Alert, error) {
	e, err := NewEngine(cfg)
	if err != nil {
		return nil, err
	}
	cfg = e.cfg
	e.collect = true
	transfers := slices.Contains(e.on[:], true)
	var rings *ringDetector
	if cfg.enabled(SharedIDRing) {
		rings = newRingDetector(cfg.Ring)
	}
	from := int64(math.MinInt64)
	if !cfg.Since.IsZero() && transfers {
		from = cfg.Since.UnixNano() - e.lookback
	}
	var xs []transfer
	scan := func(t *graph.Transaction) {
		if rings != nil {
			rings.add(t)
		}
		if transfers && t.Account != "" && t.Counterparty != "" && t.Account != t.Counterparty && t.Time.UnixNano() >= from {
			xs = append(xs, transfer{t: t.Time.UnixNano(), amt: t.Amount, from: t.Account, to: t.Counterparty, user: t.User, id: t.ID})
		}
	}
	wanted := func(n graph.Node) bool { return rings != nil || n.First.UnixNano() >= from }
	if core, ok := g.(coreReader); ok {
		// A store with cheap reads (graph/mem) is read as it is scanned.
		var t graph.Transaction
		var readErr error
		n := 0
		err = g.Nodes(ctx, graph.KindTransaction, func(nd graph.Node) bool {
			if n++; n&4095 == 0 && ctx.Err() != nil {
				readErr = ctx.Err()
				return false
			}
			if !wanted(nd) {
				return true
			}
			if _, err := core.TransactionCore(ctx, nd.Ref.ID, &t); err != nil {
				readErr = fmt.Errorf("read transaction %q: %w", nd.Ref.ID, err)
				return false
			}
			scan(&t)
			return true
		})
		err = cmp.Or(err, readErr)
	} else {
		// Others are scanned for ids first, then read: a store may not
		// allow reads inside its scan.
		var ids []string
		err = g.Nodes(ctx, graph.KindTransaction, func(nd graph.Node) bool {
			if wanted(nd) {
				ids = append(ids, nd.Ref.ID)
			}
			return true
		})
		for i := 0; err == nil && i < len(ids); i++ {
			if i&4095 == 0 && ctx.Err() != nil {
				err = ctx.Err()
				break
			}
			var t graph.Transaction
			if t, err = g.Transaction(ctx, ids[i]); err != nil {
				err = fmt.Errorf("read transaction %q: %w", ids[i], err)
				break
			}
			scan(&t)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("typology: detect: %w", err)
	}
	slices.SortStableFunc(xs, func(a, b transfer) int { return cmp.Compare(a.t, b.t) })
	for i := range xs {
		if i&4095 == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("typology: detect: %w", ctx.Err())
		}
		e.observe(xs[i])
		e.raised = e.raised[:0]
	}
	xs = nil
	var out []Alert
	for _, ep := range e.all {
		a := e.finish(ep)
		if cfg.Since.IsZero() || !a.End.Before(cfg.Since) {
			out = append(out, a)
		}
	}
	if rings != nil {
		for _, a := range rings.alerts() {
			if cfg.Since.IsZero() || !a.End.Before(cfg.Since) {
				out = append(out, a)
			}
		}
	}
	slices.SortFunc(out, func(a, b Alert) int { return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}
