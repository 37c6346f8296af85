package feature

import (
	"fmt"
	"time"
)

// Defaults of Config.
const (
	DefaultLabelDelay = 14 * 24 * time.Hour
	DefaultRecent     = 50
	DefaultDegreeCap  = 256
)

// Config sets the parameters of the entity encoder. They change what the
// v1 columns measure, not how many there are, so they belong in the model
// manifest (Layout.Spec records them in FeatureSpec.Extra) and must be the
// same for training and serving.
type Config struct {
	// LabelDelay is how long after a transaction its label is taken to be
	// known when the store records no LabelTime (labels inline in
	// historical rows). 0 → DefaultLabelDelay (14 days, the typical
	// chargeback delay); it must not be negative.
	LabelDelay time.Duration
	// Recent is how many of an entity's most recent transactions before t
	// are read for amounts, shared entities and labels. 0 → DefaultRecent
	// (50); at most 4096.
	Recent int
	// DegreeCap bounds the degree and velocity counts: at most DegreeCap
	// edges are read per entity and counts saturate there. 0 →
	// DefaultDegreeCap (256); at least Recent, at most 65536.
	DegreeCap int
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.LabelDelay == 0 {
		c.LabelDelay = DefaultLabelDelay
	}
	if c.Recent == 0 {
		c.Recent = DefaultRecent
	}
	if c.DegreeCap == 0 {
		c.DegreeCap = max(DefaultDegreeCap, c.Recent)
	}
	return c
}

// Validate reports a field out of range as an error wrapping ErrConfig.
// Zero fields are valid (they mean the default).
func (c Config) Validate() error {
	d := c.WithDefaults()
	switch {
	case d.LabelDelay < 0:
		return fmt.Errorf("%w: label delay %v < 0", ErrConfig, c.LabelDelay)
	case d.Recent < 1 || d.Recent > 4096:
		return fmt.Errorf("%w: recent %d: want 1..4096", ErrConfig, c.Recent)
	case d.DegreeCap < d.Recent || d.DegreeCap > 65536:
		return fmt.Errorf("%w: degree cap %d: want %d..65536", ErrConfig, c.DegreeCap, d.Recent)
	}
	return nil
}

// ExtraTypologyCounts is the FeatureSpec.Extra key of a model whose
// typology_hits_log column was fed by a typology counter in training (its
// value names the counter, e.g. "typology.Engine/v1"). Serving,
// evaluation and replays must feed the same counter; a model without the
// key saw 0 in that column and must get 0.
const ExtraTypologyCounts = "typology_counts"

// TypologyCounts returns the counter a manifest's feature spec records
// ("" when the model was trained without one).
func TypologyCounts(extra map[string]any) string {
	v, _ := extra[ExtraTypologyCounts].(string)
	return v
}
