package typology

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/riskgraph/riskgraph/graph"
)

// Warm replays into e the transfers of g's last lookback (the longest
// enabled window, ending at g's latest transaction), in time order, so an
// Engine started next to an existing graph (a restarted serve) sees the
// patterns that are still open. It returns the alerts the replay raised:
// their ids are those of the first raising, so re-publishing them is
// deduplicated. ctx is checked as it goes.
func Warm(ctx context.Context, g Graph, e *Engine) ([]Alert, error) {
	if !e.any {
		return nil, nil
	}
	var last int64
	err := g.Nodes(ctx, graph.KindTransaction, func(n graph.Node) bool {
		last = max(last, n.Last.UnixNano())
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("typology: warm: %w", err)
	}
	return replay(ctx, g, e, last-e.lookback)
}

// Replay feeds every transfer in g to e, in time order: an Engine whose
// Hits(ref, before) are then the as-of counts a model trained on g's
// history sees (hits older than the Engine's HitRetention before g's last
// transfer are forgotten; give it a retention covering the history). It
// returns the alerts raised.
func Replay(ctx context.Context, g Graph, e *Engine) ([]Alert, error) {
	if !e.any {
		return nil, nil
	}
	return replay(ctx, g, e, math.MinInt64)
}

// replay observes g's transfers from time from on, in time order.
func replay(ctx context.Context, g Graph, e *Engine, from int64) ([]Alert, error) {
	var ids []string
	err := g.Nodes(ctx, graph.KindTransaction, func(n graph.Node) bool {
		if n.First.UnixNano() >= from {
			ids = append(ids, n.Ref.ID)
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("typology: warm: %w", err)
	}
	var xs []graph.Transaction
	core, _ := g.(coreReader)
	for i, id := range ids {
		if i&4095 == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("typology: warm: %w", ctx.Err())
		}
		var t graph.Transaction
		if core != nil {
			_, err = core.TransactionCore(ctx, id, &t)
		} else {
			t, err = g.Transaction(ctx, id)
		}
		if err != nil {
			return nil, fmt.Errorf("typology: warm: read transaction %q: %w", id, err)
		}
		if t.Account != "" && t.Counterparty != "" {
			xs = append(xs, t)
		}
	}
	slices.SortStableFunc(xs, func(a, b graph.Transaction) int { return cmp.Compare(a.Time.UnixNano(), b.Time.UnixNano()) })
	var out []Alert
	for i := range xs {
		out = append(out, e.Observe(&xs[i])...)
	}
	return out, nil
}
