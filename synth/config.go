package synth

import (
	"fmt"
	"math"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// Pattern names: the value of Attrs["pattern"] on every generated row.
const (
	PatternNormal            = "normal"
	PatternAccountTakeover   = "account_takeover"
	PatternCardTesting       = "card_testing"
	PatternSyntheticIdentity = "synthetic_identity"
	PatternMule              = "mule"
	PatternFanIn             = "aml_fan_in"
	PatternFanOut            = "aml_fan_out"
	PatternCycle             = "aml_cycle"
	PatternScatterGather     = "aml_scatter_gather"
	PatternGatherScatter     = "aml_gather_scatter"
	PatternStructuring       = "aml_structuring"
	PatternRapidPassThrough  = "aml_rapid_pass_through"
)

// Default volumes of normal traffic, per ordinary customer per day.
const (
	// DefaultPurchases is the mean number of card and BNPL purchases.
	DefaultPurchases = 0.72
	// DefaultTransfers is the mean number of person-to-person transfers
	// (rent and payroll come on top, see the package documentation).
	DefaultTransfers = 0.05
	// DefaultReportingThreshold is the cash-reporting threshold that
	// structuring stays under, in the major currency unit.
	DefaultReportingThreshold = 10000
)

// Limits checked by Config.Validate.
const (
	MaxUsers = 20_000_000
	MaxDays  = 3660
	// MaxRate caps every pattern rate (instances per 10,000 customers per
	// day) and MaxVolume the per-customer daily purchase and transfer means.
	MaxRate   = 1000
	MaxVolume = 100
	// MaxTxns caps the expected number of transactions (Config.ExpectedTxns).
	MaxTxns = 1_000_000_000
)

// Config describes one synthetic data set. The zero value of every field
// but Users and Days means its documented default. Pattern rates are
// expected pattern instances started per 10,000 ordinary customers per day;
// zero takes the default (see the package documentation) and a negative rate
// switches the pattern off.
type Config struct {
	// Seed makes the output reproducible: the same Config gives the same
	// rows, byte for byte.
	Seed uint64
	// Users is the number of ordinary customers (≥ 1). Employers, fraud
	// rings and laundering accounts come on top.
	Users int
	// Days is the length of the period (≥ 1).
	Days int
	// Start is the start of the period; the zero time means
	// 2026-01-01T00:00:00Z. It is used in UTC, truncated to the second.
	Start time.Time

	// Purchases is the mean number of card/BNPL purchases per customer per
	// day (0 → DefaultPurchases, negative → none).
	Purchases float64
	// Transfers is the mean number of person-to-person transfers per
	// customer per day (0 → DefaultTransfers); negative switches off every
	// normal account-to-account transfer, rent and payroll included.
	Transfers float64

	// Fraud patterns (label fraud).
	AccountTakeover   float64 // default 5
	CardTesting       float64 // default 1.2
	SyntheticIdentity float64 // default 0.45 (rings)
	Mule              float64 // default 3

	// Laundering patterns (label laundering).
	FanIn            float64 // default 0.6
	FanOut           float64 // default 0.6
	Cycle            float64 // default 1.5
	ScatterGather    float64 // default 0.8
	GatherScatter    float64 // default 0.5
	Structuring      float64 // default 1.5
	RapidPassThrough float64 // default 1.4

	// ReportingThreshold is the threshold structuring stays just under
	// (0 → DefaultReportingThreshold).
	ReportingThreshold float64
}

// defaultStart is the start of the period when Config.Start is zero.
var defaultStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Patterns returns every pattern name, "normal" first, then the fraud and
// the laundering patterns. The caller owns the slice.
func Patterns() []string {
	out := make([]string, len(patternNames))
	copy(out, patternNames[:])
	return out
}

// PatternClass returns the label every row of the named pattern carries,
// and false for an unknown name.
func PatternClass(name string) (graph.Class, bool) {
	for i, n := range patternNames {
		if n == name {
			return patternClasses[i], true
		}
	}
	return "", false
}

// pattern indexes the pattern tables; 0 is normal traffic.
type pattern uint8

const (
	patNormal pattern = iota
	patATO
	patCardTesting
	patSynthetic
	patMule
	patFanIn
	patFanOut
	patCycle
	patScatterGather
	patGatherScatter
	patStructuring
	patRapidPassThrough
	numPatterns
)

var patternNames = [numPatterns]string{
	PatternNormal, PatternAccountTakeover, PatternCardTesting, PatternSyntheticIdentity, PatternMule,
	PatternFanIn, PatternFanOut, PatternCycle, PatternScatterGather, PatternGatherScatter,
	PatternStructuring, PatternRapidPassThrough,
}

var patternClasses = [numPatterns]graph.Class{
	graph.ClassLegit, graph.ClassFraud, graph.ClassFraud, graph.ClassFraud, graph.ClassFraud,
	graph.ClassLaundering, graph.ClassLaundering, graph.ClassLaundering, graph.ClassLaundering,
	graph.ClassLaundering, graph.ClassLaundering, graph.ClassLaundering,
}

// defaultRates are the default pattern rates, instances per 10,000
// customers per day (index patNormal unused).
var defaultRates = [numPatterns]float64{0, 5, 1.2, 0.45, 3, 0.6, 0.6, 1.5, 0.8, 0.5, 1.5, 1.4}

// meanSize is the approximate mean number of rows of one instance of each
// pattern, used by ExpectedTxns only.
var meanSize = [numPatterns]float64{0, 6, 27.5, 65, 10.5, 14, 14, 4.5, 11, 17, 5.5, 4}

// rateField returns a pointer to the rate field of pattern p.
func (c *Config) rateField(p pattern) *float64 {
	switch p {
	case patATO:
		return &c.AccountTakeover
	case patCardTesting:
		return &c.CardTesting
	case patSynthetic:
		return &c.SyntheticIdentity
	case patMule:
		return &c.Mule
	case patFanIn:
		return &c.FanIn
	case patFanOut:
		return &c.FanOut
	case patCycle:
		return &c.Cycle
	case patScatterGather:
		return &c.ScatterGather
	case patGatherScatter:
		return &c.GatherScatter
	case patStructuring:
		return &c.Structuring
	case patRapidPassThrough:
		return &c.RapidPassThrough
	}
	panic(fmt.Sprintf("synth: no rate field for pattern %d", p))
}

// fieldNames are the Config field names of the rates, for errors.
var fieldNames = [numPatterns]string{
	"", "AccountTakeover", "CardTesting", "SyntheticIdentity", "Mule", "FanIn", "FanOut", "Cycle",
	"ScatterGather", "GatherScatter", "Structuring", "RapidPassThrough",
}

func patternByName(name string) (pattern, bool) {
	for i, n := range patternNames {
		if n == name {
			return pattern(i), true
		}
	}
	return 0, false
}

// Rate returns the effective rate of the named pattern with defaults
// applied: expected instances per 10,000 customers per day, 0 when the
// pattern is switched off. It returns false for "normal" and unknown names.
func (c Config) Rate(name string) (float64, bool) {
	p, ok := patternByName(name)
	if !ok || p == patNormal {
		return 0, false
	}
	return c.rate(p), true
}

func (c *Config) rate(p pattern) float64 {
	v := *c.rateField(p)
	switch {
	case v == 0:
		return defaultRates[p]
	case v < 0:
		return 0
	}
	return v
}

// SetRate sets the rate of the named pattern (instances per 10,000
// customers per day): 0 restores the default, a negative rate switches the
// pattern off. An unknown name, "normal" included, is an error wrapping
// graph.ErrInvalid.
func (c *Config) SetRate(name string, rate float64) error {
	p, ok := patternByName(name)
	if !ok || p == patNormal {
		return fmt.Errorf("synth: no pattern rate named %q: %w", name, graph.ErrInvalid)
	}
	*c.rateField(p) = rate
	return nil
}

func (c *Config) purchases() float64 { return orDefault(c.Purchases, DefaultPurchases) }
func (c *Config) transfers() float64 { return orDefault(c.Transfers, DefaultTransfers) }
func (c *Config) threshold() float64 {
	if c.ReportingThreshold == 0 {
		return DefaultReportingThreshold
	}
	return c.ReportingThreshold
}

func (c *Config) start() time.Time {
	if c.Start.IsZero() {
		return defaultStart
	}
	return c.Start.UTC().Truncate(time.Second)
}

func orDefault(v, def float64) float64 {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// Validate reports the first invalid field as an error wrapping
// graph.ErrInvalid and naming the field.
func (c Config) Validate() error {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("synth: config %s = %v: %s: %w", field, v, want, graph.ErrInvalid)
	}
	switch {
	case c.Users < 1 || c.Users > MaxUsers:
		return bad("Users", c.Users, fmt.Sprintf("want 1 to %d", MaxUsers))
	case c.Days < 1 || c.Days > MaxDays:
		return bad("Days", c.Days, fmt.Sprintf("want 1 to %d", MaxDays))
	}
	if s := c.start(); s.Year() < 1971 || s.AddDate(0, 0, c.Days).Year() > 9999 {
		return bad("Start", c.Start, "the period must lie between 1971 and 9999")
	}
	for _, f := range [...]struct {
		name string
		v    float64
	}{{"Purchases", c.Purchases}, {"Transfers", c.Transfers}} {
		if math.IsNaN(f.v) || f.v > MaxVolume {
			return bad(f.name, f.v, fmt.Sprintf("want at most %d per customer per day (0 for the default, negative for none)", MaxVolume))
		}
	}
	for p := patATO; p < numPatterns; p++ {
		v := *c.rateField(p)
		if math.IsNaN(v) || v > MaxRate {
			return bad(fieldNames[p], v, fmt.Sprintf("want at most %d instances per 10,000 customers per day (0 for the default, negative for off)", MaxRate))
		}
	}
	if t := c.ReportingThreshold; math.IsNaN(t) || math.IsInf(t, 0) || t < 0 || (t > 0 && t < 10) {
		return bad("ReportingThreshold", t, "want 0 (the default) or a finite amount of at least 10")
	}
	if n := c.ExpectedTxns(); n > MaxTxns {
		return bad("Users", c.Users, fmt.Sprintf("about %.3g transactions expected with Days = %d, over the limit of %d", n, c.Days, int64(MaxTxns)))
	}
	return nil
}

// Payroll and rent volumes per customer per day, used by ExpectedTxns: 70%
// of customers are paid once a month, 35% pay rent once a month.
const (
	paidShare     = 0.70
	rentShare     = 0.35
	monthlyPerDay = 12.0 / 365.25
	awayShare     = 6.5 / (1/tripRate + 6.5) // trips last 6.5 days on average
)

// ExpectedTxns estimates the number of rows Generate emits for c (defaults
// applied); the actual count is within a few per cent for large configs.
func (c Config) ExpectedTxns() float64 {
	userDays := float64(c.Users) * float64(c.Days)
	perDay := c.purchases() * (1 + (tripBoost-1)*awayShare)
	if c.transfers() > 0 {
		perDay += c.transfers() + (paidShare+rentShare)*monthlyPerDay
	}
	n := userDays * perDay
	for p := patATO; p < numPatterns; p++ {
		n += c.rate(p) * userDays / 10000 * meanSize[p]
	}
	return n
}
