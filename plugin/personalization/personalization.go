package personalization

import (
	"context"
	"errors"
	"fmt"
	"github.com/riskgraph/riskgraph/plugin/internal/lru"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riskgraph/riskgraph/signal"
)

// Sentinel errors of package personalization; callers test with errors.Is.
var (
	// ErrInvalidConfig: a Config field is out of range (the error names it).
	ErrInvalidConfig = errors.New("personalization: invalid config")
	// ErrComplianceSignal: Handle was given a full (compliance) signal.
	// This plug-in is not in the compliance perimeter and refuses to hold
	// one; the Router never sends one unless misconfigured.
	ErrComplianceSignal = errors.New("personalization: refusing a compliance signal")
)

// Tier names the treatment of a subject.
type Tier string

// The tiers, from most to least generous.
const (
	TierPreferred  Tier = "preferred"  // low band
	TierStandard   Tier = "standard"   // medium band, or no recent signal
	TierRestricted Tier = "restricted" // high band
	TierSuppressed Tier = "suppressed" // critical band
)

// Offer is what the subject may be offered now, and how it must
// authenticate.
type Offer struct {
	Subject string
	// Band is the effective band (see Personalizer.Eligibility); empty
	// when Known is false.
	Band  signal.Band
	Known bool
	Tier  Tier
	// InstantCheckout: one-click checkout without extra friction.
	InstantCheckout bool
	// CreditIncrease: BNPL / credit line limit increases may be offered.
	CreditIncrease bool
	// StepUp: strong authentication (3DS challenge or OTP) is required.
	StepUp bool
	// Offers: marketing offers may be shown at all.
	Offers bool
}

// policy is the contract by band (see the package documentation).
var policy = map[Tier]Offer{
	TierPreferred:  {Tier: TierPreferred, InstantCheckout: true, CreditIncrease: true, Offers: true},
	TierStandard:   {Tier: TierStandard, Offers: true},
	TierRestricted: {Tier: TierRestricted, StepUp: true, Offers: true},
	TierSuppressed: {Tier: TierSuppressed, StepUp: true},
}

func tierOf(b signal.Band) Tier {
	switch b {
	case signal.BandLow:
		return TierPreferred
	case signal.BandHigh:
		return TierRestricted
	case signal.BandCritical:
		return TierSuppressed
	}
	return TierStandard
}

// Defaults applied by New to zero Config fields.
const (
	DefaultCapacity = 100_000
	DefaultHold     = 24 * time.Hour
	DefaultTTL      = 30 * 24 * time.Hour
	// Name is the plug-in's default name.
	Name = "personalization"
)

// Config configures a Personalizer.
type Config struct {
	// Capacity bounds the subjects kept; the least recently updated is
	// evicted (it becomes unknown). Default DefaultCapacity.
	Capacity int
	// Hold keeps a worse band in force for this long after its signal,
	// even when better signals follow. Default DefaultHold.
	Hold time.Duration
	// TTL forgets a subject whose latest signal is older. Default
	// DefaultTTL; must be >= Hold.
	TTL time.Duration
	// Now is the clock Eligibility compares signal times with. Default
	// time.Now.
	Now func() time.Time
}

// Validate reports the first invalid field as an error wrapping
// ErrInvalidConfig. Zero values that have a default are valid.
func (c Config) Validate() error {
	switch {
	case c.Capacity < 0:
		return fmt.Errorf("%w: Capacity %d < 0", ErrInvalidConfig, c.Capacity)
	case c.Hold < 0:
		return fmt.Errorf("%w: Hold %v < 0", ErrInvalidConfig, c.Hold)
	case c.TTL < 0:
		return fmt.Errorf("%w: TTL %v < 0", ErrInvalidConfig, c.TTL)
	}
	if d := c.withDefaults(); d.TTL < d.Hold {
		return fmt.Errorf("%w: TTL %v < Hold %v", ErrInvalidConfig, d.TTL, d.Hold)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Capacity == 0 {
		c.Capacity = DefaultCapacity
	}
	if c.Hold == 0 {
		c.Hold = DefaultHold
	}
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// state is what is kept per subject.
type state struct {
	last, worst     signal.Band
	lastAt, worstAt time.Time
}

// Personalizer keeps the recent band of each subject and answers
// Eligibility. It is a signal.Plugin and can also consume the NATS signal
// subjects (Subscribe). Safe for concurrent use.
type Personalizer struct {
	cfg Config

	mu       sync.Mutex
	subjects *lru.Map[state]

	handled, stale, evicted atomic.Uint64
	received, invalid       atomic.Uint64
}

var _ signal.Plugin = (*Personalizer)(nil)

// New validates cfg and returns an empty Personalizer.
func New(cfg Config) (*Personalizer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Personalizer{cfg: cfg, subjects: lru.New[state](cfg.Capacity)}, nil
}

// Name returns Name.
func (p *Personalizer) Name() string { return Name }

// Handle records s. It returns ErrComplianceSignal for a signal with a
// Compliance section and an error wrapping signal.ErrInvalidSignal for an
// invalid one, recording neither. Signals may arrive out of order: an
// older signal never replaces a newer latest band, but can still set the
// worst band if it is within Hold.
func (p *Personalizer) Handle(_ context.Context, s signal.Signal) error {
	if s.Compliance != nil {
		return ErrComplianceSignal
	}
	if err := s.Validate(); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	st, _ := p.subjects.Get(s.Subject)
	if st.lastAt.IsZero() || !s.Time.Before(st.lastAt) {
		st.last, st.lastAt = s.Band, s.Time
	} else {
		p.stale.Add(1)
	}
	if st.worstAt.IsZero() || s.Band.Rank() >= st.worst.Rank() || s.Time.Sub(st.worstAt) > p.cfg.Hold {
		st.worst, st.worstAt = s.Band, s.Time
	}
	if p.subjects.Put(s.Subject, st) {
		p.evicted.Add(1)
	}
	p.handled.Add(1)
	return nil
}

// Eligibility returns the subject's offer. The effective band is the
// latest signal's band, or the worst band signalled within Hold if that is
// worse. A subject with no signal within TTL (or evicted) is unknown and
// gets the standard tier. Tiers by band:
//
//	low      preferred:  instant checkout, credit increases, offers
//	medium   standard:   offers only
//	high     restricted: step-up (3DS/OTP) required, offers, no credit increase
//	critical suppressed: step-up required, no offers, no credit increase
func (p *Personalizer) Eligibility(subject string) Offer {
	now := p.cfg.Now()
	p.mu.Lock()
	st, ok := p.subjects.Get(subject)
	p.mu.Unlock()
	if !ok || now.Sub(st.lastAt) > p.cfg.TTL {
		o := policy[TierStandard]
		o.Subject = subject
		return o
	}
	band := st.last
	if st.worst.Rank() > band.Rank() && now.Sub(st.worstAt) <= p.cfg.Hold {
		band = st.worst
	}
	o := policy[tierOf(band)]
	o.Subject, o.Band, o.Known = subject, band, true
	return o
}

// Stats are a Personalizer's counters.
type Stats struct {
	// Subjects kept now.
	Subjects int
	// Handled signals; Stale those older than the subject's latest;
	// Evicted subjects pushed out by Capacity.
	Handled, Stale, Evicted uint64
	// Received NATS messages; Invalid ones that did not decode or were
	// refused by Handle.
	Received, Invalid uint64
}

// Stats returns a snapshot of the counters.
func (p *Personalizer) Stats() Stats {
	p.mu.Lock()
	n := p.subjects.Len()
	p.mu.Unlock()
	return Stats{
		Subjects: n, Handled: p.handled.Load(), Stale: p.stale.Load(), Evicted: p.evicted.Load(),
		Received: p.received.Load(), Invalid: p.invalid.Load(),
	}
}
