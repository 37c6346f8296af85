package synth

import (
	"math/rand/v2"
	"time"
)

// hourWeights is the diurnal rhythm of customers' own activity: relative
// weight of each hour of the day (UTC, taken as local time).
var hourWeights = [24]float64{
	0.30, 0.15, 0.10, 0.08, 0.08, 0.15, 0.50, 1.20, 2.00, 2.60, 3.00, 3.60,
	4.60, 4.30, 3.50, 3.40, 3.80, 4.60, 5.20, 5.00, 4.20, 3.00, 1.80, 0.90,
}

// hourCDF is the cumulative form of hourWeights, normalised to 1.
var hourCDF = func() (cdf [24]float64) {
	sum := 0.0
	for i, w := range hourWeights {
		sum += w
		cdf[i] = sum
	}
	for i := range cdf {
		cdf[i] /= sum
	}
	return cdf
}()

// dowFactor is the weekly variation of purchases (mean 1), by weekday.
var dowFactor = [7]float64{
	time.Sunday: 0.75, time.Monday: 0.92, time.Tuesday: 0.95, time.Wednesday: 1.00,
	time.Thursday: 1.05, time.Friday: 1.20, time.Saturday: 1.13,
}

// Rates of the slow changes in customers' lives, per customer per day.
const (
	tripRate    = 1.0 / 120 // trips abroad: about three a year
	upgradeRate = 1.0 / 365 // a new phone
	tripBoost   = 1.3       // more purchases while travelling
)

// timeOfDay draws the time of a customer's action in the day starting at
// dayStart: the hour follows the diurnal rhythm (in UTC, whatever the
// time of day of Config.Start), shifted by the customer's habit.
func (g *gen) timeOfDay(r *rand.Rand, dayStart int64, shift int8) int64 {
	x, h := r.Float64(), 0
	for h < 23 && hourCDF[h] < x {
		h++
	}
	h = (h + int(shift) + 24) % 24
	tod := int64(h)*3600 + r.Int64N(3600)
	return dayStart + (tod-g.phase+daySeconds)%daySeconds
}

// payday is the day of the month salaries arrive: the 25th, or the Friday
// before when it falls on a weekend.
func payday(t time.Time) bool {
	p := time.Date(t.Year(), t.Month(), 25, 0, 0, 0, 0, time.UTC)
	switch p.Weekday() {
	case time.Saturday:
		p = p.AddDate(0, 0, -1)
	case time.Sunday:
		p = p.AddDate(0, 0, -2)
	}
	return t.Day() == p.Day()
}

// normalDay appends day d's legitimate traffic to pending[d]: purchases,
// person-to-person transfers, rent and payroll, from the day's own random
// stream.
func (g *gen) normalDay(d int) {
	r := rand.New(rand.NewPCG(g.cfg.Seed, streamNormal+uint64(d)))
	dayStart := g.start + int64(d)*daySeconds
	t := time.Unix(dayStart, 0).UTC()
	purchases := g.cfg.purchases() * dowFactor[t.Weekday()]
	transfers := g.cfg.transfers()
	pay := transfers > 0 && payday(t)
	rent := transfers > 0
	p := g.pop
	out := g.pending[d]
	for i := int32(1); i <= p.users; i++ {
		c := &p.cust[i]
		if c.tripUntil < int32(d) && r.Float64() < tripRate {
			c.tripUntil = int32(d + between(r, 2, 9))
			c.trip = uint8(r.IntN(numHome - 1))
			if c.trip >= c.country {
				c.trip++
			}
		}
		if c.nextSlot < deviceSlots && r.Float64() < upgradeRate {
			c.devices[0] = c.nextSlot
			c.nextSlot++
		}
		away := c.tripUntil >= int32(d)
		lambda := purchases * float64(c.rate)
		if away {
			lambda *= tripBoost
		}
		for range poisson(r, lambda) {
			out = append(out, g.purchase(r, i, c, g.timeOfDay(r, dayStart, c.hourShift), away))
		}
		for range poisson(r, transfers*float64(c.xferRate)) {
			to := p.byCountry[c.country][r.IntN(len(p.byCountry[c.country]))]
			if c.nPayees > 0 && r.Float64() < 0.8 {
				to = c.payees[r.IntN(int(c.nPayees))]
			}
			if to != i {
				out = append(out, g.p2p(r, i, c, to, g.timeOfDay(r, dayStart, c.hourShift), logNormal(r, 40, 1.0), away))
			}
		}
		if rent && c.landlord != 0 && t.Day() == int(c.rentDay) {
			at := dayStart + (6*3600+r.Int64N(4*3600)-g.phase+daySeconds)%daySeconds
			out = append(out, g.p2p(r, i, c, c.landlord, at, cents(float64(c.rent)), away))
		}
		if pay && c.employer != 0 {
			out = append(out, g.salary(r, c, i, dayStart))
		}
	}
	g.pending[d] = out
}

// purchase is one card or BNPL purchase by customer i.
func (g *gen) purchase(r *rand.Rand, i int32, c *customer, at int64, away bool) event {
	p := g.pop
	var mid int32
	switch x := r.Float64(); {
	case away && x < 0.7 && !p.local[c.trip].empty():
		mid = p.local[c.trip].draw(r)
	case x < 0.75:
		n := int(c.nFavs)
		mid = c.favs[min(r.IntN(n), r.IntN(n))] // favours the first favourites
	case x < 0.8 && !p.local[c.country].empty():
		mid = p.local[c.country].draw(r)
	default:
		mid = p.online.draw(r)
	}
	m := &p.merchants[mid-1]
	if away && m.profile == profilePOS && m.country != c.trip && !p.local[c.trip].empty() {
		mid = p.local[c.trip].draw(r)
		m = &p.merchants[mid-1]
	}
	cat := &categories[m.category]
	e := event{
		at:       at,
		amount:   logNormal(r, cat.median, cat.sigma),
		user:     i,
		card:     i*cardSlots + int32(r.IntN(4)/3)*int32(c.nCards-1), // second card a quarter of the time
		merchant: mid,
		mcc:      m.category + 1,
		kind:     kindCard,
		currency: m.country,
	}
	switch x := r.Float64(); {
	case m.profile == profilePOS || (m.profile == profileMixed && x < 0.65):
		e.channel = chPOS
	case m.profile == profileOnline && x < 0.55, m.profile == profileMixed && x < 0.85:
		e.channel = chWeb
	default:
		e.channel = chApp
	}
	if e.channel == chPOS {
		e.country = m.country
		return e
	}
	if cat.bnpl && r.Float64() < 0.15 {
		e.kind = kindBNPL
		e.phone = i
	}
	e.email = i
	if e.channel == chApp {
		e.phone = i
	}
	g.online(r, i, c, &e, away)
	return e
}

// online sets the device, IP and country of customer i's online action.
func (g *gen) online(r *rand.Rand, i int32, c *customer, e *event, away bool) {
	e.device = c.device(i, 0)
	if e.channel == chWeb && c.nDevices > 1 {
		e.device = c.device(i, 1)
	}
	if c.nDevices > 1 && r.Float64() < 0.15 {
		e.device = c.device(i, r.IntN(int(c.nDevices)))
	}
	switch x := r.Float64(); {
	case away && e.channel == chApp:
		e.ip, e.country = g.pop.mobileIP(r, c.trip), c.trip
	case away:
		e.ip, e.country = randomIP(r, c.trip), c.trip
	case e.channel == chApp && x < 0.6, e.channel == chWeb && x < 0.15:
		e.ip, e.country = g.pop.mobileIP(r, c.country), c.country
	default:
		e.ip, e.country = g.pop.homeIP(i, c.country), c.country
	}
}

// p2p is a transfer from customer i to customer to.
func (g *gen) p2p(r *rand.Rand, i int32, c *customer, to int32, at int64, amount float64, away bool) event {
	e := event{
		at: at, amount: amount, user: i, account: i, counter: to,
		kind: kindTransfer, channel: chApp, currency: c.country,
	}
	if r.Float64() < 0.25 {
		e.channel = chWeb
	}
	g.online(r, i, c, &e, away)
	return e
}

// salary is the monthly payroll transfer from customer i's employer, sent
// in one early-morning batch per employer.
func (g *gen) salary(r *rand.Rand, c *customer, i int32, dayStart int64) event {
	emp := c.employer
	ec := g.pop.employerC[emp-g.pop.users-1]
	return event{
		at:     dayStart + (7*3600+int64(emp%60)*60+r.Int64N(300)-g.phase+daySeconds)%daySeconds,
		amount: cents(float64(c.salary)), user: emp, account: emp, counter: i,
		device: emp * deviceSlots, ip: g.pop.homeIP(emp, ec),
		kind: kindTransfer, channel: chWeb, country: ec, currency: ec,
	}
}
