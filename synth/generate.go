package synth

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// Summary counts what Generate emitted.
type Summary struct {
	Txns      int                 // rows emitted
	ByPattern map[string]int      // rows by pattern name ("normal" included)
	ByLabel   map[graph.Class]int // rows by label
	Instances map[string]int      // pattern instances started, by pattern name (not "normal")
}

// ErrTooLarge is returned (wrapped) when a data set would need more entity
// numbers than the generator's 31-bit counters hold.
var ErrTooLarge = fmt.Errorf("synth: data set too large: %w", graph.ErrInvalid)

// Generate validates cfg and emits its transactions to emit, one at a
// time, in non-decreasing time order, all within [Start, Start+Days). The
// *graph.Transaction passed to emit is reused: it is valid only during the
// call. Its strings and its Attrs map are fresh for every row, so a shallow
// copy may be kept. Every row passes Transaction.Validate, carries its label
// and Attrs["pattern"], and nothing else in Attrs.
//
// The output is a pure function of cfg: the same Config gives the same rows
// in the same order. Memory is bounded by one day of traffic plus the
// population (about 90 bytes per customer), not by Days.
//
// An invalid cfg is reported by Config.Validate's error before anything is
// emitted.
//
// Generate stops at the first error from emit and returns it unwrapped,
// with the Summary of the rows emitted before it; it returns ctx.Err() when
// ctx is done.
func Generate(ctx context.Context, cfg Config, emit func(*graph.Transaction) error) (Summary, error) {
	return generate(ctx, cfg, func(tx *graph.Transaction, _ *event) error { return emit(tx) })
}

// Random streams: each is a PCG seeded with (Config.Seed, stream), so the
// normal traffic of a day and the instances of a pattern do not depend on
// one another's draws.
const (
	streamPopulation = 1
	streamNormal     = 1 << 32 // + day
	streamPattern    = 2 << 32 // + pattern
)

// Kinds and channels of events.
const (
	kindCard uint8 = iota + 1
	kindBNPL
	kindTransfer
)

var kindNames = [...]string{"", "card", "bnpl", "transfer"}

const (
	chPOS uint8 = iota + 1
	chWeb
	chApp
)

var channelNames = [...]string{"", "pos", "web", "app"}

// event is a compact transaction: numbers in place of strings, 0 for
// absent entities. Strings are made only when the row is emitted.
type event struct {
	at       int64 // unix seconds
	amount   float64
	user     int32 // party: user u<n>
	account  int32 // party: account a<n>
	counter  int32 // party: counterparty account a<n>
	card     int32
	device   int32
	merchant int32
	email    int32
	phone    int32
	ip       uint32
	inst     int32 // pattern instance, 0 for normal traffic
	pattern  pattern
	kind     uint8
	channel  uint8
	country  uint8 // where the transaction happened (POS merchant or IP)
	currency uint8 // country whose currency the amount is in
	mcc      uint8 // category+1, 0 for transfers
}

const daySeconds = 86400

// gen is one run of the generator.
type gen struct {
	cfg   Config
	pop   *population
	start int64 // unix seconds
	end   int64
	phase int64 // seconds from UTC midnight to start
	days  int

	pending [][]event // pending[d]: events of day d not yet emitted
	scratch []event   // events of the instance being generated
	pat     pattern   // pattern being generated
	inst    int32     // instance being generated

	// Counters of fresh entity numbers, above those of customers and
	// employers.
	nextParty, nextDevice, nextCard int64

	fraudDevices []int32  // devices shared by fraud instances
	fraudIPs     []uint32 // with fraudIPc their countries
	fraudIPc     []uint8

	sum Summary
	err error
}

func newGen(cfg Config) *gen {
	g := &gen{cfg: cfg, days: cfg.Days}
	g.start = cfg.start().Unix()
	g.end = g.start + int64(cfg.Days)*daySeconds
	g.phase = (g.start%daySeconds + daySeconds) % daySeconds
	g.pop = newPopulation(&g.cfg)
	first := int64(g.pop.users) + int64(g.pop.employers) + 1
	g.nextParty, g.nextDevice, g.nextCard = first, first*deviceSlots, first*cardSlots
	g.pending = make([][]event, cfg.Days)
	g.sum = Summary{ByPattern: map[string]int{}, ByLabel: map[graph.Class]int{}, Instances: map[string]int{}}

	// The infrastructure fraudsters reuse across instances.
	r := rand.New(rand.NewPCG(cfg.Seed, streamPattern+uint64(numPatterns)))
	n := max(8, cfg.Users/2000)
	for range n {
		g.fraudDevices = append(g.fraudDevices, g.newDevice())
		ip, c := fraudIP(r)
		g.fraudIPs, g.fraudIPc = append(g.fraudIPs, ip), append(g.fraudIPc, c)
	}
	return g
}

func (g *gen) newParty() int32  { return g.next(&g.nextParty) }
func (g *gen) newDevice() int32 { return g.next(&g.nextDevice) }
func (g *gen) newCard() int32   { return g.next(&g.nextCard) }

func (g *gen) next(c *int64) int32 {
	n := *c
	if n >= math.MaxInt32 {
		if g.err == nil {
			g.err = ErrTooLarge
		}
		return 1 // any valid number: the run fails before it is emitted
	}
	*c = n + 1
	return int32(n)
}

// instance is one scheduled pattern instance.
type instance struct {
	t0  int64
	pat pattern
}

// patternSpecs: how long an instance may run (the start is drawn so that
// the instance fits, periods shorter than twice the reserve compress it)
// and the function that generates it.
var patternSpecs = [numPatterns]struct {
	reserve int64
	run     func(g *gen, r *rand.Rand, t0 int64)
}{
	patATO:              {6 * 3600, (*gen).accountTakeover},
	patCardTesting:      {2 * 3600, (*gen).cardTesting},
	patSynthetic:        {10 * daySeconds, (*gen).syntheticIdentity},
	patMule:             {4 * daySeconds, (*gen).mule},
	patFanIn:            {2 * daySeconds, (*gen).fanIn},
	patFanOut:           {2 * daySeconds, (*gen).fanOut},
	patCycle:            {3 * daySeconds, (*gen).cycle},
	patScatterGather:    {2 * daySeconds, (*gen).scatterGather},
	patGatherScatter:    {3 * daySeconds, (*gen).gatherScatter},
	patStructuring:      {10 * daySeconds, (*gen).structuring},
	patRapidPassThrough: {7 * daySeconds, (*gen).rapidPassThrough},
}

// schedule draws the start of every pattern instance: the expected count
// E = rate × Users/10,000 × Days is rounded stochastically (⌊E⌋ plus one
// with probability E − ⌊E⌋), so any pattern with E ≥ 1 appears.
func (g *gen) schedule(rngs *[numPatterns]*rand.Rand) []instance {
	var out []instance
	period := g.end - g.start
	for p := patATO; p < numPatterns; p++ {
		rate := g.cfg.rate(p)
		if rate == 0 {
			continue
		}
		r := rngs[p]
		e := rate * float64(g.cfg.Users) / 10000 * float64(g.cfg.Days)
		n := int(e)
		if r.Float64() < e-float64(n) {
			n++
		}
		span := period - min(patternSpecs[p].reserve, period/2)
		for range n {
			out = append(out, instance{t0: g.start + r.Int64N(span), pat: p})
		}
	}
	slices.SortStableFunc(out, func(a, b instance) int { return cmp.Compare(a.t0, b.t0) })
	return out
}

// add records an event of the pattern instance being generated.
func (g *gen) add(e event) {
	e.pattern, e.inst = g.pat, g.inst
	g.scratch = append(g.scratch, e)
}

// runInstance generates one instance and files its events by day. Events
// beyond the end of the period are pulled in by scaling the instance's
// timeline about t0, which keeps their order.
func (g *gen) runInstance(r *rand.Rand, in instance) {
	g.inst++
	g.pat = in.pat
	g.scratch = g.scratch[:0]
	patternSpecs[in.pat].run(g, r, in.t0)
	last := in.t0
	for i := range g.scratch {
		last = max(last, g.scratch[i].at)
	}
	limit := g.end - 1
	for i := range g.scratch {
		e := &g.scratch[i]
		if e.at < in.t0 {
			panic(fmt.Sprintf("synth: %s instance %d has an event %ds before its start", patternNames[in.pat], g.inst, in.t0-e.at))
		}
		if last > limit {
			e.at = in.t0 + int64(float64(e.at-in.t0)*float64(limit-in.t0)/float64(last-in.t0))
		}
		d := (e.at - g.start) / daySeconds
		g.pending[d] = append(g.pending[d], *e)
	}
	g.sum.Instances[patternNames[in.pat]]++
}

// generate is Generate with access to the compact event, for tests.
func generate(ctx context.Context, cfg Config, emit func(*graph.Transaction, *event) error) (Summary, error) {
	if err := cfg.Validate(); err != nil {
		return Summary{}, err
	}
	g := newGen(cfg)
	var rngs [numPatterns]*rand.Rand
	for p := range rngs {
		rngs[p] = rand.New(rand.NewPCG(cfg.Seed, streamPattern+uint64(p)))
	}
	sched := g.schedule(&rngs)
	if err := g.err; err != nil {
		return g.sum, err
	}
	var (
		tx    graph.Transaction
		keys  []uint64
		spare []event
		buf   []byte
		seq   uint64
	)
	for d := range g.days {
		if err := ctx.Err(); err != nil {
			return g.sum, err
		}
		dayStart := g.start + int64(d)*daySeconds
		for len(sched) > 0 && sched[0].t0 < dayStart+daySeconds {
			g.runInstance(rngs[sched[0].pat], sched[0])
			sched = sched[1:]
		}
		if err := g.err; err != nil {
			return g.sum, err
		}
		// Reuse the largest spent buffer for the day's normal traffic.
		if cap(spare) > cap(g.pending[d]) {
			spare = append(spare[:0], g.pending[d]...)
			g.pending[d], spare = spare, g.pending[d]
		}
		g.normalDay(d)
		day := g.pending[d]
		if len(day) >= 1<<32 {
			return g.sum, fmt.Errorf("synth: day %d has %d transactions: %w", d, len(day), ErrTooLarge)
		}
		// Sort by time, ties in insertion order: key = offset in day, index.
		keys = keys[:0]
		for i := range day {
			keys = append(keys, uint64(day[i].at-dayStart)<<32|uint64(i))
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i&1023 == 0 {
				if err := ctx.Err(); err != nil {
					return g.sum, err
				}
			}
			e := &day[k&(1<<32-1)]
			seq++
			buf = g.fill(&tx, e, seq, buf)
			if err := emit(&tx, e); err != nil {
				return g.sum, err
			}
			g.count(e)
		}
		spare, g.pending[d] = day[:0], nil
	}
	return g.sum, nil
}

func (g *gen) count(e *event) {
	g.sum.Txns++
	g.sum.ByPattern[patternNames[e.pattern]]++
	g.sum.ByLabel[patternClasses[e.pattern]]++
}

// fill turns event e, the seq-th row, into tx, using buf as scratch space;
// it returns buf for reuse.
func (g *gen) fill(tx *graph.Transaction, e *event, seq uint64, buf []byte) []byte {
	str := func(b []byte) string { buf = b; return string(b) }
	*tx = graph.Transaction{
		ID:       str(appendTxnID(buf[:0], seq)),
		Time:     time.Unix(e.at, 0).UTC(),
		Amount:   e.amount,
		Currency: countries[e.currency].currency,
		Kind:     kindNames[e.kind],
		Country:  countries[e.country].code,
		Channel:  channelNames[e.channel],
		Label:    patternClasses[e.pattern],
		Attrs:    map[string]string{"pattern": patternNames[e.pattern]},
	}
	if e.user != 0 {
		tx.User = str(appendID(buf[:0], 'u', e.user))
	}
	if e.account != 0 {
		tx.Account = str(appendID(buf[:0], 'a', e.account))
	}
	if e.counter != 0 {
		tx.Counterparty = str(appendID(buf[:0], 'a', e.counter))
	}
	if e.card != 0 {
		tx.Card = str(appendPAN(buf[:0], e.card))
	}
	if e.device != 0 {
		tx.Device = str(appendID(buf[:0], 'd', e.device))
	}
	if e.ip != 0 {
		tx.IP = str(appendIP(buf[:0], e.ip))
	}
	if e.email != 0 {
		tx.Email = str(appendEmail(buf[:0], e.email))
	}
	if e.phone != 0 {
		tx.Phone = str(appendPhone(buf[:0], e.phone))
	}
	if e.merchant != 0 {
		tx.Merchant = str(appendID(buf[:0], 'm', e.merchant))
		tx.MCC = categories[e.mcc-1].mcc
	}
	return buf
}
