package main

import (
	"context"
	"fmt"
	"time"

	"github.com/riskgraph/riskgraph/feature"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/typology"
)

// historyRetention is how long a replayed Engine remembers detections: the
// whole of any history, so each training example sees every detection
// before its time.
const historyRetention = 100 * 365 * 24 * time.Hour

// replayTypology returns a typology counter over g's whole history: every
// transfer replayed in time order through an Engine, whose Hits(ref,
// before) are the detections known before each example's time. Training,
// evaluation and replays of a model trained with typology counts use it;
// serve feeds its live Engine instead.
func replayTypology(ctx context.Context, g typology.Graph) (*typology.Engine, error) {
	e, err := typology.NewEngine(typology.Config{HitRetention: historyRetention})
	if err != nil {
		return nil, err
	}
	if _, err := typology.Replay(ctx, g, e); err != nil {
		return nil, fmt.Errorf("typology counts: %w", err)
	}
	return e, nil
}

// typologyCounterFor returns the counter model m needs over g (nil when it
// was trained without typology counts).
func typologyCounterFor(ctx context.Context, g typology.Graph, m artefact.Manifest) (feature.TypologyCounter, error) {
	if feature.TypologyCounts(m.Features.Extra) == "" {
		return nil, nil
	}
	e, err := replayTypology(ctx, g)
	if err != nil {
		return nil, err
	}
	return e, nil
}
