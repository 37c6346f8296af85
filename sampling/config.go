package sampling

import (
	"errors"
	"fmt"

	"github.com/riskgraph/riskgraph/feature"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/graph"
)

// Sentinel errors of the sampling package; test with errors.Is.
var (
	// ErrConfig: a Config field is out of range.
	ErrConfig = errors.New("sampling: invalid config")
	// ErrTarget: a target is malformed (wrong kind, missing as-of time).
	ErrTarget = errors.New("sampling: invalid target")
)

// Hop1 is how an Account target's hop-1 transactions are chosen.
type Hop1 uint8

const (
	// Hop1Recent takes the K1 most recent transactions before t.
	Hop1Recent Hop1 = iota
	// Hop1Uniform takes a seeded uniform sample of K1 among the Pool most
	// recent transactions before t (all of them when there are fewer).
	Hop1Uniform
)

// RelationReverse names the single hop-2 relation of Transaction targets:
// the hop-1 edge kind walked back from the entity to its transactions.
const RelationReverse = "REVERSE"

// Default fanouts and pool.
const (
	DefaultTxnK2     = 10
	DefaultAccountK1 = 16
	DefaultPool      = 256
	maxFanout        = 1024
)

// Config configures a Sampler. Zero fields take the defaults of the target
// kind.
type Config struct {
	// Target is the scored node kind: graph.KindTransaction or
	// graph.KindAccount (required).
	Target graph.Kind
	// K1 and K2 are the hop-1 and hop-2 fanouts. Transaction targets: K1
	// must be 1 (0 → 1), K2 defaults to DefaultTxnK2 (10). Account
	// targets: K1 defaults to DefaultAccountK1 (16), K2 must be 1 (0 → 1).
	// At most 1024.
	K1, K2 int
	// Seed seeds Hop1Uniform sampling.
	Seed uint64
	// Hop1 chooses an Account target's hop-1 transactions (default
	// Hop1Recent). Must be Hop1Recent for Transaction targets.
	Hop1 Hop1
	// Pool is the number of most recent candidates Hop1Uniform samples
	// from (0 → DefaultPool, 256); at least K1, at most 65536.
	Pool int
	// Features configures the entity encoder.
	Features feature.Config
	// Spec, when set, holds the manifest's feature schema and
	// normalisation: it must match feature.Schema(Target), and every
	// present slot is normalised with it. Nil leaves features raw.
	Spec *artefact.FeatureSpec
	// Typology feeds the typology_hits_log entity column (nil → 0).
	Typology feature.TypologyCounter
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	switch c.Target {
	case graph.KindTransaction:
		if c.K1 == 0 {
			c.K1 = 1
		}
		if c.K2 == 0 {
			c.K2 = DefaultTxnK2
		}
	case graph.KindAccount:
		if c.K1 == 0 {
			c.K1 = DefaultAccountK1
		}
		if c.K2 == 0 {
			c.K2 = 1
		}
	}
	if c.Pool == 0 {
		c.Pool = max(DefaultPool, c.K1)
	}
	c.Features = c.Features.WithDefaults()
	return c
}

// Validate reports the first field out of range, wrapping ErrConfig (or
// feature.ErrConfig / feature.ErrSchema for the feature settings). Zero
// fields are valid: they mean the defaults.
func (c Config) Validate() error {
	d := c.WithDefaults()
	switch {
	case d.Target != graph.KindTransaction && d.Target != graph.KindAccount:
		return fmt.Errorf("%w: target kind %v: want Transaction or Account", ErrConfig, c.Target)
	case d.K1 < 1 || d.K1 > maxFanout || d.K2 < 1 || d.K2 > maxFanout:
		return fmt.Errorf("%w: fanouts %d, %d: want 1..%d", ErrConfig, d.K1, d.K2, maxFanout)
	case d.Target == graph.KindTransaction && d.K1 != 1:
		return fmt.Errorf("%w: K1 = %d for Transaction targets: a transaction has one entity per edge kind, want 1", ErrConfig, d.K1)
	case d.Target == graph.KindAccount && d.K2 != 1:
		return fmt.Errorf("%w: K2 = %d for Account targets: a transaction has one entity per edge kind, want 1", ErrConfig, d.K2)
	case d.Hop1 != Hop1Recent && d.Hop1 != Hop1Uniform:
		return fmt.Errorf("%w: hop-1 strategy %d", ErrConfig, d.Hop1)
	case d.Hop1 == Hop1Uniform && d.Target != graph.KindAccount:
		return fmt.Errorf("%w: uniform hop-1 sampling is for Account targets", ErrConfig)
	case d.Pool < d.K1 || d.Pool > 65536:
		return fmt.Errorf("%w: pool %d: want %d..65536", ErrConfig, d.Pool, d.K1)
	}
	if err := d.Features.Validate(); err != nil {
		return err
	}
	if d.Spec != nil {
		l, err := feature.Schema(d.Target)
		if err != nil {
			return err
		}
		if err := l.Check(*d.Spec); err != nil {
			return err
		}
	}
	return nil
}

// Relations1 returns the hop-1 edge kinds in tensor order: the 9 edge
// kinds in graph.EdgeKind order for Transaction targets, FROM and TO for
// Account targets; nil for other targets. The caller owns the slice.
func (c Config) Relations1() []graph.EdgeKind {
	switch c.Target {
	case graph.KindTransaction:
		return graph.EdgeKinds()
	case graph.KindAccount:
		return []graph.EdgeKind{graph.EdgeFrom, graph.EdgeTo}
	}
	return nil
}

// Relations2 returns the hop-2 relations in tensor order: for Account
// targets the 9 edge kinds in graph.EdgeKind order; for Transaction
// targets the single relation 0, meaning "the hop-1 edge kind, reversed"
// (named RelationReverse). Nil for other targets.
func (c Config) Relations2() []graph.EdgeKind {
	switch c.Target {
	case graph.KindTransaction:
		return []graph.EdgeKind{0}
	case graph.KindAccount:
		return graph.EdgeKinds()
	}
	return nil
}

// RelationNames returns Manifest.Relations1 and Relations2: edge kind
// names such as "BY", and RelationReverse for relation 0.
func (c Config) RelationNames() (r1, r2 []string) {
	name := func(e graph.EdgeKind) string {
		if e == 0 {
			return RelationReverse
		}
		return e.String()
	}
	for _, e := range c.Relations1() {
		r1 = append(r1, name(e))
	}
	for _, e := range c.Relations2() {
		r2 = append(r2, name(e))
	}
	return r1, r2
}

// Dims returns the model dimensions of this sampling with hidden width
// hidden (defaults filled in). For a target kind without a relation tree
// the widths are 0, which Dims.Validate rejects.
func (c Config) Dims(hidden int) artefact.Dims {
	c = c.WithDefaults()
	d := artefact.Dims{R1: len(c.Relations1()), R2: len(c.Relations2()), K1: c.K1, K2: c.K2, H: hidden}
	if l, err := feature.Schema(c.Target); err == nil {
		d.F0, d.F1, d.F2 = l.Widths()
	}
	return d
}
