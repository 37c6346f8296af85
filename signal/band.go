package signal

import (
	"fmt"
	"math"
)

// Band is a coarse risk level.
type Band string

// The bands, lowest risk first.
const (
	BandLow      Band = "low"
	BandMedium   Band = "medium"
	BandHigh     Band = "high"
	BandCritical Band = "critical"
)

// Bands lists every band, lowest risk first.
var Bands = []Band{BandLow, BandMedium, BandHigh, BandCritical}

// Valid reports whether b is one of Bands.
func (b Band) Valid() bool { return b.Rank() >= 0 }

// Rank orders bands: low 0, medium 1, high 2, critical 3; -1 when invalid.
func (b Band) Rank() int {
	switch b {
	case BandLow:
		return 0
	case BandMedium:
		return 1
	case BandHigh:
		return 2
	case BandCritical:
		return 3
	}
	return -1
}

// ParseBand parses a band name; errors wrap ErrInvalidSignal.
func ParseBand(s string) (Band, error) {
	b := Band(s)
	if !b.Valid() {
		return "", fmt.Errorf("%w: band %q", ErrInvalidSignal, s)
	}
	return b, nil
}

// Default cut points of Cuts.
const (
	DefaultMediumCut   = 0.30
	DefaultHighCut     = 0.60
	DefaultCriticalCut = 0.85
)

// Cuts are the lowest scores of the medium, high and critical bands: a
// score s is critical when s >= Critical, else high when s >= High, else
// medium when s >= Medium, else low. The zero value means the defaults.
type Cuts struct {
	Medium, High, Critical float64
}

func (c Cuts) withDefaults() Cuts {
	if c == (Cuts{}) {
		return Cuts{DefaultMediumCut, DefaultHighCut, DefaultCriticalCut}
	}
	return c
}

// Validate requires 0 < Medium < High < Critical <= 1 (after defaults).
func (c Cuts) Validate() error {
	c = c.withDefaults()
	if !(c.Medium > 0 && c.Medium < c.High && c.High < c.Critical && c.Critical <= 1) {
		return fmt.Errorf("%w: Cuts %+v: want 0 < Medium < High < Critical <= 1", ErrInvalidConfig, c)
	}
	return nil
}

// Band returns the band of score (a NaN score is low).
func (c Cuts) Band(score float64) Band {
	c = c.withDefaults()
	switch {
	case score >= c.Critical:
		return BandCritical
	case score >= c.High:
		return BandHigh
	case score >= c.Medium:
		return BandMedium
	}
	return BandLow
}

// coarsen rounds s down to a multiple of step (float noise removed).
func coarsen(s, step float64) float64 {
	v := math.Floor(s/step+1e-9) * step
	return math.Round(v*1e9) / 1e9
}
