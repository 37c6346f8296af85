package creative

import (
	"context"
	"errors"
	"fmt"
	"github.com/riskgraph/riskgraph/plugin/internal/lru"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riskgraph/riskgraph/signal"
)

// Sentinel errors of package creative; callers test with errors.Is.
var (
	// ErrInvalidConfig: a Config field is out of range (the error names it).
	ErrInvalidConfig = errors.New("creative: invalid config")
	// ErrInvalidAsset: an Asset field is out of range (the error names it).
	ErrInvalidAsset = errors.New("creative: invalid asset")
	// ErrDuplicateAsset: an asset with that id is already registered.
	ErrDuplicateAsset = errors.New("creative: duplicate asset id")
	// ErrUnknownAsset: no asset has that id.
	ErrUnknownAsset = errors.New("creative: unknown asset")
	// ErrComplianceSignal: Handle was given a full (compliance) signal,
	// which this plug-in refuses to hold.
	ErrComplianceSignal = errors.New("creative: refusing a compliance signal")
)

// Kind is the kind of a creative asset.
type Kind string

// The asset kinds.
const (
	KindCampaign Kind = "campaign" // an AI-generated campaign (copy, images, an incentive)
	KindLookbook Kind = "lookbook" // an AI-generated lookbook (curated products)
)

// Asset is a creative asset and its targeting rules.
type Asset struct {
	// ID is unique within a Creative. Required.
	ID   string
	Kind Kind
	// MaxBand is the riskiest effective band the asset may target; empty
	// means signal.BandMedium. Critical subjects are never targeted.
	MaxBand signal.Band
	// Incentive is the value the asset offers (voucher, cashback), in
	// currency units, >= 0. Held back from risky clusters.
	Incentive float64
	// Exclude lists reason classes that keep the asset away from a
	// subject who showed any of them within Config.Window.
	Exclude []signal.Class
}

func (a *Asset) validate() error {
	switch {
	case a.ID == "":
		return fmt.Errorf("%w: empty id", ErrInvalidAsset)
	case a.Kind != KindCampaign && a.Kind != KindLookbook:
		return fmt.Errorf("%w: %s: kind %q", ErrInvalidAsset, a.ID, a.Kind)
	case a.MaxBand != "" && !a.MaxBand.Valid():
		return fmt.Errorf("%w: %s: band %q", ErrInvalidAsset, a.ID, a.MaxBand)
	case math.IsNaN(a.Incentive) || a.Incentive < 0:
		return fmt.Errorf("%w: %s: incentive %v", ErrInvalidAsset, a.ID, a.Incentive)
	}
	for _, c := range a.Exclude {
		if !c.Valid() {
			return fmt.Errorf("%w: %s: class %q", ErrInvalidAsset, a.ID, c)
		}
	}
	return nil
}

// Grant is the answer for one asset and one subject.
type Grant struct {
	Asset string
	Kind  Kind
	// Allowed: the asset may target the subject.
	Allowed bool
	// Incentive is the asset's incentive, or 0 when HeldBack.
	Incentive float64
	// HeldBack: the subject belongs to a risky cluster, so the asset may
	// be shown without its incentive.
	HeldBack bool
}

// Defaults applied by New to zero Config fields.
const (
	DefaultCapacity = 100_000
	DefaultWindow   = 7 * 24 * time.Hour
	// Name is the plug-in's default name.
	Name = "creative"
)

// DefaultRingClasses are the classes that mark ring evidence by default.
var DefaultRingClasses = []signal.Class{signal.ClassDevice, signal.ClassIdentity}

// Config configures a Creative.
type Config struct {
	// Capacity bounds the subjects and the clusters kept (each); least
	// recently updated first out. Default DefaultCapacity.
	Capacity int
	// Window is how long a signal counts: its band, its classes, its ring
	// evidence. Default DefaultWindow.
	Window time.Duration
	// RingClasses mark ring evidence: a signal with one of them at
	// RingBand or worse puts its subject (and its cluster) in a risky
	// cluster for Window. Default DefaultRingClasses.
	RingClasses []signal.Class
	// RingBand is the lowest band at which ring classes count. Default
	// signal.BandMedium.
	RingBand signal.Band
	// ClusterOf optionally maps a subject to a cluster id (a shared-device
	// community, a household); nil or "" means none. Called from Handle
	// and Gate; must be safe for concurrent use and fast.
	ClusterOf func(subject string) string
	// UnknownBand is the band of a subject with no signal in Window.
	// Default signal.BandMedium.
	UnknownBand signal.Band
	// Now is the clock windows are measured with. Default time.Now.
	Now func() time.Time
}

// Validate reports the first invalid field as an error wrapping
// ErrInvalidConfig. Zero values that have a default are valid.
func (c Config) Validate() error {
	switch {
	case c.Capacity < 0:
		return fmt.Errorf("%w: Capacity %d < 0", ErrInvalidConfig, c.Capacity)
	case c.Window < 0:
		return fmt.Errorf("%w: Window %v < 0", ErrInvalidConfig, c.Window)
	case c.RingBand != "" && !c.RingBand.Valid():
		return fmt.Errorf("%w: RingBand %q", ErrInvalidConfig, c.RingBand)
	case c.UnknownBand != "" && !c.UnknownBand.Valid():
		return fmt.Errorf("%w: UnknownBand %q", ErrInvalidConfig, c.UnknownBand)
	}
	for _, cl := range c.RingClasses {
		if !cl.Valid() || cl == signal.ClassAML {
			return fmt.Errorf("%w: RingClasses: %q", ErrInvalidConfig, cl)
		}
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Capacity == 0 {
		c.Capacity = DefaultCapacity
	}
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.RingClasses == nil {
		c.RingClasses = DefaultRingClasses
	}
	if c.RingBand == "" {
		c.RingBand = signal.BandMedium
	}
	if c.UnknownBand == "" {
		c.UnknownBand = signal.BandMedium
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// subjectState is what is kept per subject: the worst band and when, the
// last time each class was seen, and the last ring evidence.
type subjectState struct {
	worst   signal.Band
	worstAt time.Time
	seen    map[signal.Class]time.Time
	ringAt  time.Time
}

// Creative is a registry of creative assets that gates, from signals,
// which assets may target a subject and whether their incentive is held
// back. It is a signal.Plugin and can also consume the NATS signal
// subjects (Subscribe). Safe for concurrent use.
type Creative struct {
	cfg Config

	mu       sync.RWMutex
	assets   map[string]Asset
	ids      []string // sorted
	subjects *lru.Map[subjectState]
	clusters *lru.Map[time.Time] // cluster id → last ring evidence

	handled, received, invalid atomic.Uint64
}

var _ signal.Plugin = (*Creative)(nil)

// New validates cfg and returns a Creative with no assets.
func New(cfg Config) (*Creative, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Creative{
		cfg:      cfg,
		assets:   map[string]Asset{},
		subjects: lru.New[subjectState](cfg.Capacity),
		clusters: lru.New[time.Time](cfg.Capacity),
	}, nil
}

// Register adds an asset. It refuses an invalid one (ErrInvalidAsset) and
// an id already registered (ErrDuplicateAsset). The asset is copied.
func (c *Creative) Register(a Asset) error {
	if err := a.validate(); err != nil {
		return err
	}
	if a.MaxBand == "" {
		a.MaxBand = signal.BandMedium
	}
	a.Exclude = slices.Clone(a.Exclude)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.assets[a.ID]; ok {
		return fmt.Errorf("%w: %q", ErrDuplicateAsset, a.ID)
	}
	c.assets[a.ID] = a
	i, _ := slices.BinarySearch(c.ids, a.ID)
	c.ids = slices.Insert(c.ids, i, a.ID)
	return nil
}

// Name returns Name.
func (c *Creative) Name() string { return Name }

// Handle records s: its band, its classes and, when it carries a ring
// class at RingBand or worse, ring evidence for its subject and its
// cluster (Config.ClusterOf). It returns ErrComplianceSignal for a signal
// with a Compliance section and an error wrapping signal.ErrInvalidSignal
// for an invalid one, recording neither.
func (c *Creative) Handle(_ context.Context, s signal.Signal) error {
	if s.Compliance != nil {
		return ErrComplianceSignal
	}
	if err := s.Validate(); err != nil {
		return err
	}
	ring := false
	if s.Band.Rank() >= c.cfg.RingBand.Rank() {
		for _, cl := range s.Reasons {
			ring = ring || slices.Contains(c.cfg.RingClasses, cl)
		}
	}
	cluster := ""
	if ring && c.cfg.ClusterOf != nil {
		cluster = c.cfg.ClusterOf(s.Subject)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st, _ := c.subjects.Get(s.Subject)
	if st.worstAt.IsZero() || s.Band.Rank() >= st.worst.Rank() || s.Time.Sub(st.worstAt) > c.cfg.Window {
		st.worst, st.worstAt = s.Band, s.Time
	}
	if len(s.Reasons) > 0 {
		seen := make(map[signal.Class]time.Time, len(st.seen)+len(s.Reasons))
		for k, v := range st.seen {
			seen[k] = v
		}
		for _, cl := range s.Reasons {
			if s.Time.After(seen[cl]) {
				seen[cl] = s.Time
			}
		}
		st.seen = seen
	}
	if ring && s.Time.After(st.ringAt) {
		st.ringAt = s.Time
	}
	c.subjects.Put(s.Subject, st)
	if cluster != "" {
		if at, _ := c.clusters.Get(cluster); s.Time.After(at) {
			c.clusters.Put(cluster, s.Time)
		}
	}
	c.handled.Add(1)
	return nil
}

// Gate answers for one asset: ErrUnknownAsset when no asset has that id.
//
// The asset may target the subject unless (a) the subject's effective band
// (the worst band signalled within Window, else Config.UnknownBand) is
// critical or riskier than the asset's MaxBand, or (b) the subject showed
// one of the asset's Exclude classes within Window. An allowed asset's
// incentive is held back (Incentive 0, HeldBack) when the subject, or its
// cluster, has ring evidence within Window.
func (c *Creative) Gate(subject, assetID string) (Grant, error) {
	cluster := ""
	if c.cfg.ClusterOf != nil {
		cluster = c.cfg.ClusterOf(subject)
	}
	now := c.cfg.Now()
	c.mu.RLock()
	defer c.mu.RUnlock()
	a, ok := c.assets[assetID]
	if !ok {
		return Grant{}, fmt.Errorf("%w: %q", ErrUnknownAsset, assetID)
	}
	v := c.view(subject, cluster, now)
	return v.grant(&a, c.cfg.Window, now), nil
}

// Targets returns the grants of every asset that may target the subject,
// by asset id.
func (c *Creative) Targets(subject string) []Grant {
	cluster := ""
	if c.cfg.ClusterOf != nil {
		cluster = c.cfg.ClusterOf(subject)
	}
	now := c.cfg.Now()
	c.mu.RLock()
	defer c.mu.RUnlock()
	v := c.view(subject, cluster, now)
	var out []Grant
	for _, id := range c.ids {
		a := c.assets[id]
		if g := v.grant(&a, c.cfg.Window, now); g.Allowed {
			out = append(out, g)
		}
	}
	return out
}

// subjectView is a subject's state as of now. Caller holds c.mu.
type subjectView struct {
	band signal.Band
	st   subjectState
	held bool
}

func (c *Creative) view(subject, cluster string, now time.Time) subjectView {
	v := subjectView{band: c.cfg.UnknownBand}
	st, ok := c.subjects.Get(subject)
	if ok {
		v.st = st
		if now.Sub(st.worstAt) <= c.cfg.Window {
			v.band = st.worst
		}
		v.held = !st.ringAt.IsZero() && now.Sub(st.ringAt) <= c.cfg.Window
	}
	if cluster != "" {
		if at, ok := c.clusters.Get(cluster); ok && now.Sub(at) <= c.cfg.Window {
			v.held = true
		}
	}
	return v
}

func (v *subjectView) grant(a *Asset, window time.Duration, now time.Time) Grant {
	g := Grant{Asset: a.ID, Kind: a.Kind}
	if v.band == signal.BandCritical || v.band.Rank() > a.MaxBand.Rank() {
		return g
	}
	for _, cl := range a.Exclude {
		if at, ok := v.st.seen[cl]; ok && now.Sub(at) <= window {
			return g
		}
	}
	g.Allowed = true
	if v.held {
		g.HeldBack = true
	} else {
		g.Incentive = a.Incentive
	}
	return g
}

// Stats are a Creative's counters.
type Stats struct {
	Assets, Subjects, Clusters int
	// Handled signals; Received NATS messages; Invalid ones that did not
	// decode or were refused by Handle.
	Handled, Received, Invalid uint64
}

// Stats returns a snapshot of the counters.
func (c *Creative) Stats() Stats {
	c.mu.RLock()
	st := Stats{Assets: len(c.assets), Subjects: c.subjects.Len(), Clusters: c.clusters.Len()}
	c.mu.RUnlock()
	st.Handled, st.Received, st.Invalid = c.handled.Load(), c.received.Load(), c.invalid.Load()
	return st
}
