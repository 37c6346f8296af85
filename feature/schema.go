package feature

import (
	"fmt"

	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/graph"
)

// Version is the feature schema version written to manifests.
const Version = "v1"

// Layout names the columns of the three vectors of a sampled relation tree:
// the target's, the hop-1 nodes' and the hop-2 nodes'.
type Layout struct {
	Version            string
	Target, Hop1, Hop2 []string
}

// Schema returns the layout for a target kind: a Transaction target is a
// transaction vector, its hop-1 nodes entities and its hop-2 nodes
// transactions (F0 = F2 = TxnWidth, F1 = EntityWidth); an Account target
// is the reverse (F0 = F2 = EntityWidth, F1 = TxnWidth). Other kinds are an
// error wrapping ErrKind. The caller owns the slices.
func Schema(target graph.Kind) (Layout, error) {
	switch target {
	case graph.KindTransaction:
		return Layout{Version, TxnNames(), EntityNames(), TxnNames()}, nil
	case graph.KindAccount:
		return Layout{Version, EntityNames(), TxnNames(), EntityNames()}, nil
	}
	return Layout{}, fmt.Errorf("%w: no relation tree for %v targets", ErrKind, target)
}

// Widths returns F0, F1 and F2.
func (l Layout) Widths() (f0, f1, f2 int) { return len(l.Target), len(l.Hop1), len(l.Hop2) }

// Spec returns the manifest's feature spec: the layout's names with the
// given statistics (nil for a position leaves mean 0, std 1: no
// normalisation), and cfg's parameters in Extra. A statistics slice that
// does not match its names is an error wrapping ErrSchema.
func (l Layout) Spec(cfg Config, target, hop1, hop2 []artefact.FeatureStat) (artefact.FeatureSpec, error) {
	cfg = cfg.WithDefaults()
	spec := artefact.FeatureSpec{
		Version: l.Version,
		Extra: map[string]any{
			"label_delay_hours": cfg.LabelDelay.Hours(),
			"recent":            cfg.Recent,
			"degree_cap":        cfg.DegreeCap,
			"hash_buckets":      HashBuckets,
		},
	}
	var err error
	for _, p := range []struct {
		pos   string
		names []string
		stats []artefact.FeatureStat
		out   *[]artefact.FeatureStat
	}{{"target", l.Target, target, &spec.Target}, {"hop1", l.Hop1, hop1, &spec.Hop1}, {"hop2", l.Hop2, hop2, &spec.Hop2}} {
		if *p.out, err = statsFor(p.pos, p.names, p.stats); err != nil {
			return artefact.FeatureSpec{}, err
		}
	}
	return spec, nil
}

func statsFor(pos string, names []string, stats []artefact.FeatureStat) ([]artefact.FeatureStat, error) {
	out := make([]artefact.FeatureStat, len(names))
	for i, n := range names {
		out[i] = artefact.FeatureStat{Name: n, Mean: 0, Std: 1}
	}
	if stats == nil {
		return out, nil
	}
	if err := checkNames(pos, names, stats); err != nil {
		return nil, err
	}
	copy(out, stats)
	return out, nil
}

// Check reports whether spec was written for this layout: same version,
// same names in the same order. The error wraps ErrSchema and names the
// first difference.
func (l Layout) Check(spec artefact.FeatureSpec) error {
	if spec.Version != l.Version {
		return fmt.Errorf("%w: version %q, want %q", ErrSchema, spec.Version, l.Version)
	}
	for _, p := range []struct {
		pos   string
		names []string
		stats []artefact.FeatureStat
	}{{"target", l.Target, spec.Target}, {"hop1", l.Hop1, spec.Hop1}, {"hop2", l.Hop2, spec.Hop2}} {
		if err := checkNames(p.pos, p.names, p.stats); err != nil {
			return err
		}
	}
	return nil
}

func checkNames(pos string, names []string, stats []artefact.FeatureStat) error {
	if len(stats) != len(names) {
		return fmt.Errorf("%w: %s has %d features, want %d", ErrSchema, pos, len(stats), len(names))
	}
	for i, s := range stats {
		if s.Name != names[i] {
			return fmt.Errorf("%w: %s feature %d is %q, want %q", ErrSchema, pos, i, s.Name, names[i])
		}
	}
	return nil
}
