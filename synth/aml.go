package synth

import (
	"math"
	"math/rand/v2"
)

// Laundering typologies: account-to-account transfers (kind transfer)
// labelled laundering. Their parties come from a crew (see crew): some are
// recruited customers who also have ordinary traffic, the others fresh
// accounts, a sloppy crew's sharing its operator's device and address.
// Timing follows the money, not the clock: any hour of the day.

// fanIn: 8–20 distinct accounts each send one transfer (median 1,500) to
// one collecting account within a window of 2 to 48 hours.
func (g *gen) fanIn(r *rand.Rand, t0 int64) {
	cr := g.newCrew(r, 0.3)
	hub := cr.member(r)
	window := between64(r, 2*3600, 2*daySeconds)
	for k, s := range cr.members(r, between(r, 8, 20)) {
		g.transfer(r, offset(r, t0, k, window), s, hub, logNormal(r, 1500, 0.4))
	}
}

// fanOut: one account sends one transfer (median 1,500) to each of 8–20
// distinct accounts within a window of 2 to 48 hours.
func (g *gen) fanOut(r *rand.Rand, t0 int64) {
	cr := g.newCrew(r, 0.3)
	hub := cr.member(r)
	window := between64(r, 2*3600, 2*daySeconds)
	for k, d := range cr.members(r, between(r, 8, 20)) {
		g.transfer(r, offset(r, t0, k, window), hub, d, logNormal(r, 1500, 0.4))
	}
}

// offset is the k-th event time of a burst starting at t0: the first at
// t0, the others uniform in the window.
func offset(r *rand.Rand, t0 int64, k int, window int64) int64 {
	if k == 0 {
		return t0
	}
	return t0 + r.Int64N(window)
}

// cycle: money goes round a loop of 3–6 distinct accounts, A→B→…→A, each
// hop 30 minutes to 12 hours after the previous one, starting at a median
// of 12,000 and shrinking by a 0.5–2% fee at every hop.
func (g *gen) cycle(r *rand.Rand, t0 int64) {
	cr := g.newCrew(r, 0.3)
	ring := cr.members(r, between(r, 3, 6))
	amount, at := logNormal(r, 12000, 0.5), t0
	for k := range ring {
		if k > 0 {
			at += between64(r, 1800, 12*3600)
			amount = cents(amount * (1 - uniform(r, 0.005, 0.02)))
		}
		g.transfer(r, at, ring[k], ring[(k+1)%len(ring)], amount)
	}
}

// scatterGather: a source account splits a sum (median 20,000) across 3–8
// intermediaries within 6 hours; each passes its share, less a 0.5–3%
// fee, to one sink account 1 to 24 hours after receiving it.
func (g *gen) scatterGather(r *rand.Rand, t0 int64) {
	cr := g.newCrew(r, 0.3)
	src, sink := cr.member(r), cr.member(r)
	mids := cr.members(r, between(r, 3, 8))
	for k, part := range split(r, logNormal(r, 20000, 0.5), len(mids)) {
		in := offset(r, t0, k, 6*3600)
		g.transfer(r, in, src, mids[k], part)
		g.transfer(r, in+between64(r, 3600, daySeconds), mids[k], sink, cents(part*(1-uniform(r, 0.005, 0.03))))
	}
}

// gatherScatter: 5–12 accounts pay a hub (median 2,500 each) within 24
// hours; 1 to 12 hours after the last payment in, the hub pays 95–99% of
// what it received out to 5–12 other accounts over up to 24 hours.
func (g *gen) gatherScatter(r *rand.Rand, t0 int64) {
	cr := g.newCrew(r, 0.3)
	hub := cr.member(r)
	total, last := 0.0, t0
	for k, s := range cr.members(r, between(r, 5, 12)) {
		at, amount := offset(r, t0, k, daySeconds), logNormal(r, 2500, 0.4)
		g.transfer(r, at, s, hub, amount)
		total += amount
		last = max(last, at)
	}
	start := last + between64(r, 3600, 12*3600)
	outs := cr.members(r, between(r, 5, 12))
	for k, part := range split(r, total*uniform(r, 0.95, 0.99), len(outs)) {
		g.transfer(r, offset(r, start, k, daySeconds), hub, outs[k], part)
	}
}

// structuring: one account (a recruited customer 70% of the time) sends
// 3–8 transfers just under the reporting threshold T, in [0.9·T, T) (half
// of them rounded down to a multiple of 50), to 1–3 counterparties over 1
// to 10 days.
func (g *gen) structuring(r *rand.Rand, t0 int64) {
	cr := g.newCrew(r, 0.7)
	actor := cr.member(r)
	cr.recruit = 0.3
	to := cr.members(r, between(r, 1, 3))
	t := g.cfg.threshold()
	span := between64(r, daySeconds, 10*daySeconds)
	for k := range between(r, 3, 8) {
		a := math.Floor(t*uniform(r, 0.9, 0.9999)*100) / 100
		if r.Float64() < 0.5 && math.Floor(a/50)*50 >= 0.9*t {
			a = math.Floor(a/50) * 50
		}
		g.transfer(r, offset(r, t0, k, span), actor, to[r.IntN(len(to))], a)
	}
}

// rapidPassThrough: an account (a recruited customer half the time)
// receives a sum (median 8,000) and sends 97–99.9% of it on to another
// account 5 minutes to 3 hours later; 1–3 rounds, 12 to 72 hours apart,
// each with new senders and receivers.
func (g *gen) rapidPassThrough(r *rand.Rand, t0 int64) {
	cr := g.newCrew(r, 0.5)
	p := cr.member(r)
	cr.recruit = 0.2
	at := t0
	for k := range between(r, 1, 3) {
		if k > 0 {
			at += between64(r, 12*3600, 3*daySeconds)
		}
		amount := logNormal(r, 8000, 0.6)
		g.transfer(r, at, cr.member(r), p, amount)
		g.transfer(r, at+between64(r, 300, 3*3600), p, cr.member(r), cents(amount*uniform(r, 0.97, 0.999)))
	}
}
