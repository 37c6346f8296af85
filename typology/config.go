package typology

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// Names returns every typology name, in the order detectors run. The
// caller owns the slice.
func Names() []string { return append([]string(nil), typologyNames[:]...) }

// typologyNames is the read-only table behind Names, typologyIndex and
// HitsByTypology (indexes are stored in hit records).
var typologyNames = [...]string{FanIn, FanOut, ScatterGather, GatherScatter, Cycle, Structuring, RapidPassThrough, MuleChain, SharedIDRing}

// Config holds the parameters of every detector. The zero value of a field
// means its documented default, so Config{} runs every detector with the
// defaults; a negative value switches off the optional limits that say so.
// Amounts are in the major currency unit and compared as they are: the
// detectors do not convert currencies.
//
// The defaults are tuned on riskgraph's synthetic traffic (package synth)
// to find its planted patterns while raising few alerts on its normal
// traffic, whose rent (a landlord's monthly fan-in) and payroll (an
// employer's monthly fan-out) look like typologies to a naive detector.
type Config struct {
	// Typologies selects the detectors to run, by name (see Names); nil
	// or empty runs them all.
	Typologies []string
	// Since restricts Detect to alerts that end at or after it; the
	// transfers of the longest window before it are replayed so that a
	// pattern straddling Since is seen whole. Zero scans all history. The
	// Engine ignores it.
	Since time.Time

	FanIn         FanConfig
	FanOut        FanConfig
	ScatterGather ScatterGatherConfig
	GatherScatter GatherScatterConfig
	Cycle         CycleConfig
	Structuring   StructuringConfig
	PassThrough   PassThroughConfig
	MuleChain     ChainConfig
	Ring          RingConfig

	// MaxEdgesPerAccount caps the transfers the Engine holds for one
	// account and direction; past it the oldest are forgotten, which
	// bounds memory and the work per transfer on very busy accounts.
	// 0 → 4096; at least 16.
	MaxEdgesPerAccount int
	// HitRetention is how long the Engine remembers that a node took part
	// in an alert (Hits counts within it). 0 → 90 days.
	HitRetention time.Duration
}

// FanConfig configures fan-in (many distinct senders into one account)
// and fan-out (one account paying many distinct receivers). Severity is
// medium, high with at least twice MinCounterparties counterparties.
type FanConfig struct {
	// Window is the time the counterparties must fall within. 0 → 24h for
	// fan-in, 48h for fan-out. Fan-in's is shorter because rent is a
	// legitimate fan-in spread over the first days of the month: one day
	// of it is a handful of tenants, two days can reach a dozen.
	Window time.Duration
	// MinCounterparties is the least number of distinct counterparties.
	// 0 → 8; at least 2.
	MinCounterparties int
	// MinTransfersEach: a counterparty counts only when it made at least
	// this many transfers with the focus within the window. 0 → 1. Raising
	// it targets smurfing, where each sender splits its share into
	// several payments.
	MinTransfersEach int
	// MinTotal is the least total of the counted transfers. 0 → 12,000;
	// negative: no minimum. It is what keeps landlords out: a dozen
	// tenants paying rent on the same morning come to about 11,000.
	MinTotal float64
	// BulkMin and BulkSpan describe a bulk payment run (payroll, a
	// supplier run sent as one payment file): BulkMin or more transfers of
	// the focus within BulkSpan. Transfers of a bulk run are not counted.
	// An incremental detector must recognise the run before it reaches
	// MinCounterparties, so BulkMin is small and BulkSpan short: people do
	// not pay six different accounts within five minutes by hand. BulkMin
	// 0 → 6 for fan-out and off for fan-in (distinct senders paying one
	// account within minutes are coordinated, not a payment file);
	// negative: no bulk runs. BulkSpan 0 → 5 minutes.
	BulkMin  int
	BulkSpan time.Duration
}

// ScatterGatherConfig configures scatter-gather: a source splits money
// across several intermediaries, each of which passes its share (less a
// fee) to one sink. Severity is high.
type ScatterGatherConfig struct {
	// Window bounds the spread of the source's payments to the
	// intermediaries. 0 → 24h.
	Window time.Duration
	// MaxDelay is the longest an intermediary holds its share before
	// passing it on. 0 → 48h.
	MaxDelay time.Duration
	// MinIntermediaries is the least number of distinct intermediaries.
	// 0 → 3; at least 2.
	MinIntermediaries int
	// MinRatio and MaxRatio bound what an intermediary passes on, as a
	// fraction of what it received. 0 → 0.9 and 1.0.
	MinRatio, MaxRatio float64
}

// GatherScatterConfig configures gather-scatter: a hub collects from many
// senders and soon pays about as much out to many receivers. Severity is
// high.
type GatherScatterConfig struct {
	// Window bounds the spread of each side: the payments in (before the
	// first payment out) and the payments out. 0 → 48h.
	Window time.Duration
	// MinCounterparties is the least number of distinct senders and of
	// distinct receivers. 0 → 5; at least 2.
	MinCounterparties int
	// MinRatio and MaxRatio bound the total out as a fraction of the
	// total in. 0 → 0.9 and 1.0.
	MinRatio, MaxRatio float64
	// MinTotal is the least total received. 0 → 5,000; negative: no
	// minimum.
	MinTotal float64
}

// CycleConfig configures cycles (round-tripping): money that goes round a
// loop of distinct accounts back to where it started. Severity is high.
type CycleConfig struct {
	// Window bounds the time between the cycle's first and last hop.
	// 0 → 72h.
	Window time.Duration
	// MinLen and MaxLen bound the number of hops (= accounts). 0 → 3 and
	// 6; 2 ≤ MinLen ≤ MaxLen ≤ 8. Two-hop loops (A pays B, B pays A the
	// same back) are mostly refunds, repayments and flatmates' rent; set
	// MinLen 2 to see them.
	MinLen, MaxLen int
	// AnyOrder drops the temporal order. By default (false) each hop must
	// be strictly later than the previous one, as money that really goes
	// round must; AnyOrder accepts hops in any order within the window,
	// for data whose simulator schedules the hops of a loop independently
	// (AMLSim does).
	AnyOrder bool
	// AmountTolerance bounds how much two consecutive hops may differ, as
	// a fraction of the larger: the money going round is the same, less
	// fees. 0 → 0.1; +Inf ignores amounts.
	AmountTolerance float64
	// MinAmount is the least amount of every hop. 0 → 1,000; negative: no
	// minimum.
	MinAmount float64
	// MaxExpansions caps the search work per transfer (paths extended).
	// 0 → 20,000.
	MaxExpansions int
}

// StructuringConfig configures structuring: repeated transfers just under
// a reporting threshold, from one account. Severity is medium, high with
// at least twice MinCount transfers.
type StructuringConfig struct {
	// Threshold is the reporting threshold. 0 → 10,000.
	Threshold float64
	// Band is how far under the threshold a transfer may be, as a
	// fraction of it: amounts in [Threshold·(1−Band), Threshold) count.
	// 0 → 0.1; below 1.
	Band float64
	// Window is the time the transfers must fall within. 0 → 10 days.
	Window time.Duration
	// MinCount is the least number of such transfers. 0 → 3; at least 2.
	MinCount int
}

// PassThroughConfig configures rapid pass-through: an account pays out
// about what it has just received. Severity is low, medium from ten times
// MinAmount.
type PassThroughConfig struct {
	// MaxDelay is the longest the money stays. 0 → 6h.
	MaxDelay time.Duration
	// MinRatio and MaxRatio bound the total paid out since the first of
	// the recent payments in, as a fraction of their total. 0 → 0.9 and
	// 1.0.
	MinRatio, MaxRatio float64
	// MinAmount is the least total received. 0 → 2,000; negative: no
	// minimum. People who collect rent and pay their own on the same
	// morning pass a thousand or so through; launderers move more.
	MinAmount float64
}

// ChainConfig configures mule chains: A→B→C→… relay paths in which every
// intermediate account passes on what it received soon after receiving
// it. Severity is medium, high from five hops.
type ChainConfig struct {
	// HopDelay is the longest an intermediate account holds the money.
	// 0 → 24h.
	HopDelay time.Duration
	// MinHops and MaxHops bound the number of transfers in the chain.
	// 0 → 3 (two relays) and 6; 2 ≤ MinHops ≤ MaxHops ≤ 8.
	MinHops, MaxHops int
	// MinRatio and MaxRatio bound each hop's amount as a fraction of the
	// previous hop's. 0 → 0.8 and 1.0.
	MinRatio, MaxRatio float64
	// MinAmount is the least amount of every hop. 0 → 1,000; negative: no
	// minimum.
	MinAmount float64
	// MaxExpansions caps the search work per transfer. 0 → 20,000.
	MaxExpansions int
}

// RingConfig configures shared-identifier rings: users linked by the
// devices, cards, phones, emails or addresses they share. Used by Detect
// (typology shared_id_ring) and RingAround. Severity is medium, high with
// at least twice MinUsers users.
type RingConfig struct {
	// Kinds are the identifier kinds that link users. nil → Device, Card,
	// Phone and Email. IP is left out by default: carrier-grade NAT puts
	// many strangers behind one mobile address; add it for data where
	// addresses are residential.
	Kinds []graph.Kind
	// MinUsers is the least number of users in a ring Detect reports.
	// 0 → 3; at least 2.
	MinUsers int
	// MaxUsersPerID: an identifier shared by more users than this is
	// public (a shop's tablet, a shared phone line) and links nobody.
	// 0 → 20; at least 2.
	MaxUsersPerID int
	// MaxMembers: a connected group with more users is split into
	// communities (Louvain modularity, gonum's community.Modularize) and
	// each community is a ring. 0 → 50; at least MinUsers.
	MaxMembers int
	// Resolution is the Louvain resolution: above 1 favours smaller
	// communities. 0 → 1.
	Resolution float64
	// Seed seeds the Louvain search, so the same graph gives the same
	// communities.
	Seed uint64
	// Window restricts the links to transactions in it (zero: all time).
	Window graph.Window
	// MaxVisit caps the nodes RingAround explores and the transactions it
	// reads per identifier; Ring.Truncated reports a cap reached.
	// 0 → 20,000.
	MaxVisit int
}

// Defaults of Config, applied to zero fields by WithDefaults.
const (
	DefaultFanInWindow     = 24 * time.Hour
	DefaultFanOutWindow    = 48 * time.Hour
	DefaultFanMin          = 8
	DefaultFanTotal        = 12000
	DefaultBulkMin         = 6
	DefaultBulkSpan        = 5 * time.Minute
	DefaultSGWindow        = 24 * time.Hour
	DefaultSGDelay         = 48 * time.Hour
	DefaultSGMin           = 3
	DefaultGSWindow        = 48 * time.Hour
	DefaultGSMin           = 5
	DefaultGSTotal         = 5000
	DefaultCycleWindow     = 72 * time.Hour
	DefaultCycleMinLen     = 3
	DefaultCycleMaxLen     = 6
	DefaultTolerance       = 0.1
	DefaultMinAmount       = 1000
	DefaultExpansions      = 20000
	DefaultThreshold       = 10000
	DefaultBand            = 0.1
	DefaultStructWindow    = 10 * 24 * time.Hour
	DefaultStructMin       = 3
	DefaultPassDelay       = 6 * time.Hour
	DefaultPassAmount      = 2000
	DefaultHopDelay        = 24 * time.Hour
	DefaultChainMinHops    = 3
	DefaultChainMaxHops    = 6
	DefaultRingMinUsers    = 3
	DefaultMaxUsersPerID   = 20
	DefaultRingMaxMembers  = 50
	DefaultMaxVisit        = 20000
	DefaultMaxEdges        = 4096
	DefaultHitRetention    = 90 * 24 * time.Hour
	defaultMinRatio        = 0.9
	defaultMaxRatio        = 1.0
	defaultChainMinRatio   = 0.8
	maxCycleLen            = 8
	minEdgesPerAccountSane = 16
)

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	c.FanIn = c.FanIn.withDefaults(DefaultFanInWindow, -1)
	c.FanOut = c.FanOut.withDefaults(DefaultFanOutWindow, DefaultBulkMin)
	sg := &c.ScatterGather
	sg.Window = orDur(sg.Window, DefaultSGWindow)
	sg.MaxDelay = orDur(sg.MaxDelay, DefaultSGDelay)
	sg.MinIntermediaries = orInt(sg.MinIntermediaries, DefaultSGMin)
	sg.MinRatio, sg.MaxRatio = orF(sg.MinRatio, defaultMinRatio), orF(sg.MaxRatio, defaultMaxRatio)
	gs := &c.GatherScatter
	gs.Window = orDur(gs.Window, DefaultGSWindow)
	gs.MinCounterparties = orInt(gs.MinCounterparties, DefaultGSMin)
	gs.MinRatio, gs.MaxRatio = orF(gs.MinRatio, defaultMinRatio), orF(gs.MaxRatio, defaultMaxRatio)
	gs.MinTotal = orF(gs.MinTotal, DefaultGSTotal)
	cy := &c.Cycle
	cy.Window = orDur(cy.Window, DefaultCycleWindow)
	cy.MinLen, cy.MaxLen = orInt(cy.MinLen, DefaultCycleMinLen), orInt(cy.MaxLen, DefaultCycleMaxLen)
	cy.AmountTolerance = orF(cy.AmountTolerance, DefaultTolerance)
	cy.MinAmount = orF(cy.MinAmount, DefaultMinAmount)
	cy.MaxExpansions = orInt(cy.MaxExpansions, DefaultExpansions)
	st := &c.Structuring
	st.Threshold = orF(st.Threshold, DefaultThreshold)
	st.Band = orF(st.Band, DefaultBand)
	st.Window = orDur(st.Window, DefaultStructWindow)
	st.MinCount = orInt(st.MinCount, DefaultStructMin)
	pt := &c.PassThrough
	pt.MaxDelay = orDur(pt.MaxDelay, DefaultPassDelay)
	pt.MinRatio, pt.MaxRatio = orF(pt.MinRatio, defaultMinRatio), orF(pt.MaxRatio, defaultMaxRatio)
	pt.MinAmount = orF(pt.MinAmount, DefaultPassAmount)
	ch := &c.MuleChain
	ch.HopDelay = orDur(ch.HopDelay, DefaultHopDelay)
	ch.MinHops, ch.MaxHops = orInt(ch.MinHops, DefaultChainMinHops), orInt(ch.MaxHops, DefaultChainMaxHops)
	ch.MinRatio, ch.MaxRatio = orF(ch.MinRatio, defaultChainMinRatio), orF(ch.MaxRatio, defaultMaxRatio)
	ch.MinAmount = orF(ch.MinAmount, DefaultMinAmount)
	ch.MaxExpansions = orInt(ch.MaxExpansions, DefaultExpansions)
	c.Ring = c.Ring.withDefaults()
	c.MaxEdgesPerAccount = orInt(c.MaxEdgesPerAccount, DefaultMaxEdges)
	c.HitRetention = orDur(c.HitRetention, DefaultHitRetention)
	return c
}

func (f FanConfig) withDefaults(window time.Duration, bulk int) FanConfig {
	f.Window = orDur(f.Window, window)
	f.MinCounterparties = orInt(f.MinCounterparties, DefaultFanMin)
	f.MinTransfersEach = orInt(f.MinTransfersEach, 1)
	f.MinTotal = orF(f.MinTotal, DefaultFanTotal)
	f.BulkMin = orInt(f.BulkMin, bulk)
	f.BulkSpan = orDur(f.BulkSpan, DefaultBulkSpan)
	return f
}

func (r RingConfig) withDefaults() RingConfig {
	if len(r.Kinds) == 0 {
		r.Kinds = []graph.Kind{graph.KindDevice, graph.KindCard, graph.KindPhone, graph.KindEmail}
	}
	r.MinUsers = orInt(r.MinUsers, DefaultRingMinUsers)
	r.MaxUsersPerID = orInt(r.MaxUsersPerID, DefaultMaxUsersPerID)
	r.MaxMembers = orInt(r.MaxMembers, max(DefaultRingMaxMembers, r.MinUsers))
	r.Resolution = orF(r.Resolution, 1)
	r.MaxVisit = orInt(r.MaxVisit, DefaultMaxVisit)
	return r
}

func orDur(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

func orInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func orF(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

// Validate reports the first field out of range as an error wrapping
// ErrConfig and naming the field. Zero fields are valid (they mean the
// default).
func (c Config) Validate() error {
	for _, n := range c.Typologies {
		if !slices.Contains(Names(), n) {
			return configError("Typologies", n, "want one of "+strings.Join(Names(), ", "))
		}
	}
	d := c.WithDefaults()
	if err := d.FanIn.validate("FanIn"); err != nil {
		return err
	}
	if err := d.FanOut.validate("FanOut"); err != nil {
		return err
	}
	type check struct {
		ok    bool
		field string
		v     any
		want  string
	}
	sg, gs, cy, st, pt, ch := d.ScatterGather, d.GatherScatter, d.Cycle, d.Structuring, d.PassThrough, d.MuleChain
	checks := []check{
		{sg.Window > 0, "ScatterGather.Window", sg.Window, "want > 0"},
		{sg.MaxDelay > 0, "ScatterGather.MaxDelay", sg.MaxDelay, "want > 0"},
		{sg.MinIntermediaries >= 2, "ScatterGather.MinIntermediaries", sg.MinIntermediaries, "want at least 2"},
		{ratios(sg.MinRatio, sg.MaxRatio), "ScatterGather.MinRatio", sg.MinRatio, fmt.Sprintf("want 0 < MinRatio ≤ MaxRatio (%g), finite", sg.MaxRatio)},
		{gs.Window > 0, "GatherScatter.Window", gs.Window, "want > 0"},
		{gs.MinCounterparties >= 2, "GatherScatter.MinCounterparties", gs.MinCounterparties, "want at least 2"},
		{ratios(gs.MinRatio, gs.MaxRatio), "GatherScatter.MinRatio", gs.MinRatio, fmt.Sprintf("want 0 < MinRatio ≤ MaxRatio (%g), finite", gs.MaxRatio)},
		{finite(gs.MinTotal), "GatherScatter.MinTotal", gs.MinTotal, "want a finite amount"},
		{cy.Window > 0, "Cycle.Window", cy.Window, "want > 0"},
		{cy.MinLen >= 2 && cy.MinLen <= cy.MaxLen && cy.MaxLen <= maxCycleLen, "Cycle.MinLen", fmt.Sprintf("%d..%d", cy.MinLen, cy.MaxLen), fmt.Sprintf("want 2 ≤ MinLen ≤ MaxLen ≤ %d", maxCycleLen)},
		{cy.AmountTolerance > 0 && !math.IsNaN(cy.AmountTolerance), "Cycle.AmountTolerance", cy.AmountTolerance, "want > 0 (+Inf ignores amounts)"},
		{finite(cy.MinAmount), "Cycle.MinAmount", cy.MinAmount, "want a finite amount"},
		{cy.MaxExpansions > 0, "Cycle.MaxExpansions", cy.MaxExpansions, "want > 0"},
		{st.Threshold > 0 && finite(st.Threshold), "Structuring.Threshold", st.Threshold, "want a finite amount > 0"},
		{st.Band > 0 && st.Band < 1, "Structuring.Band", st.Band, "want 0 < Band < 1"},
		{st.Window > 0, "Structuring.Window", st.Window, "want > 0"},
		{st.MinCount >= 2, "Structuring.MinCount", st.MinCount, "want at least 2"},
		{pt.MaxDelay > 0, "PassThrough.MaxDelay", pt.MaxDelay, "want > 0"},
		{ratios(pt.MinRatio, pt.MaxRatio), "PassThrough.MinRatio", pt.MinRatio, fmt.Sprintf("want 0 < MinRatio ≤ MaxRatio (%g), finite", pt.MaxRatio)},
		{finite(pt.MinAmount), "PassThrough.MinAmount", pt.MinAmount, "want a finite amount"},
		{ch.HopDelay > 0, "MuleChain.HopDelay", ch.HopDelay, "want > 0"},
		{ch.MinHops >= 2 && ch.MinHops <= ch.MaxHops && ch.MaxHops <= maxCycleLen, "MuleChain.MinHops", fmt.Sprintf("%d..%d", ch.MinHops, ch.MaxHops), fmt.Sprintf("want 2 ≤ MinHops ≤ MaxHops ≤ %d", maxCycleLen)},
		{ratios(ch.MinRatio, ch.MaxRatio), "MuleChain.MinRatio", ch.MinRatio, fmt.Sprintf("want 0 < MinRatio ≤ MaxRatio (%g), finite", ch.MaxRatio)},
		{finite(ch.MinAmount), "MuleChain.MinAmount", ch.MinAmount, "want a finite amount"},
		{ch.MaxExpansions > 0, "MuleChain.MaxExpansions", ch.MaxExpansions, "want > 0"},
		{d.MaxEdgesPerAccount >= minEdgesPerAccountSane, "MaxEdgesPerAccount", d.MaxEdgesPerAccount, fmt.Sprintf("want at least %d", minEdgesPerAccountSane)},
		{d.HitRetention > 0, "HitRetention", d.HitRetention, "want > 0"},
	}
	for _, k := range checks {
		if !k.ok {
			return configError(k.field, k.v, k.want)
		}
	}
	return d.Ring.Validate()
}

func (f FanConfig) validate(name string) error {
	switch {
	case f.Window <= 0:
		return configError(name+".Window", f.Window, "want > 0")
	case f.MinCounterparties < 2:
		return configError(name+".MinCounterparties", f.MinCounterparties, "want at least 2")
	case f.MinTransfersEach < 1:
		return configError(name+".MinTransfersEach", f.MinTransfersEach, "want at least 1")
	case !finite(f.MinTotal):
		return configError(name+".MinTotal", f.MinTotal, "want a finite amount")
	case f.BulkMin > 0 && f.BulkMin < 2:
		return configError(name+".BulkMin", f.BulkMin, "want at least 2 (negative: no bulk runs)")
	case f.BulkSpan <= 0:
		return configError(name+".BulkSpan", f.BulkSpan, "want > 0")
	}
	return nil
}

// Validate reports a RingConfig field out of range as an error wrapping
// ErrConfig. Zero fields are valid (they mean the default).
func (r RingConfig) Validate() error {
	d := r.withDefaults()
	for _, k := range d.Kinds {
		switch k {
		case graph.KindDevice, graph.KindCard, graph.KindPhone, graph.KindEmail, graph.KindIP:
		default:
			return configError("Ring.Kinds", k, "want Device, Card, Phone, Email or IP")
		}
	}
	w := d.Window
	switch {
	case d.MinUsers < 2:
		return configError("Ring.MinUsers", d.MinUsers, "want at least 2")
	case d.MaxUsersPerID < 2:
		return configError("Ring.MaxUsersPerID", d.MaxUsersPerID, "want at least 2")
	case d.MaxMembers < d.MinUsers:
		return configError("Ring.MaxMembers", d.MaxMembers, fmt.Sprintf("want at least MinUsers (%d)", d.MinUsers))
	case !(d.Resolution > 0) || math.IsInf(d.Resolution, 0):
		return configError("Ring.Resolution", d.Resolution, "want a finite value > 0")
	case d.MaxVisit < 1:
		return configError("Ring.MaxVisit", d.MaxVisit, "want > 0")
	case !w.From.IsZero() && !w.To.IsZero() && w.To.Before(w.From):
		return configError("Ring.Window", fmt.Sprintf("[%v, %v)", w.From, w.To), "want From ≤ To")
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func ratios(lo, hi float64) bool { return lo > 0 && lo <= hi && finite(hi) }

// enabled reports whether typology name runs under c.
func (c *Config) enabled(name string) bool {
	return len(c.Typologies) == 0 || slices.Contains(c.Typologies, name)
}

// lookback is how far back from a transfer the enabled transfer
// detectors look: the Engine keeps that much history per account.
func (c *Config) lookback() time.Duration {
	var w time.Duration
	add := func(name string, d time.Duration) {
		if c.enabled(name) {
			w = max(w, d)
		}
	}
	add(FanIn, c.FanIn.Window)
	add(FanOut, c.FanOut.Window)
	add(ScatterGather, c.ScatterGather.Window+c.ScatterGather.MaxDelay)
	add(GatherScatter, 2*c.GatherScatter.Window)
	add(Cycle, c.Cycle.Window)
	add(Structuring, c.Structuring.Window)
	add(RapidPassThrough, c.PassThrough.MaxDelay)
	add(MuleChain, time.Duration(c.MuleChain.MaxHops)*c.MuleChain.HopDelay)
	return w
}
