package synth

import "math/rand/v2"

// Fraud patterns: every row they produce is labelled fraud. Fraudsters act
// at any hour (no diurnal rhythm), from devices and addresses that are new
// to their victims and partly shared between instances (fraudDevice,
// fraudAddr).

// highValueBuy adds a purchase at a high-value online merchant, the kind of
// purchase that turns stolen access into goods.
func (g *gen) highValueBuy(r *rand.Rand, at int64, user, card int32, median float64) event {
	mid := g.pop.highValue[r.IntN(len(g.pop.highValue))]
	m := &g.pop.merchants[mid-1]
	e := event{
		at: at, amount: logNormal(r, median, 0.5), user: user, card: card,
		merchant: mid, mcc: m.category + 1, kind: kindCard, channel: chWeb, currency: m.country,
	}
	if r.Float64() < 0.4 {
		e.channel = chApp
	}
	if categories[m.category].bnpl && r.Float64() < 0.25 {
		e.kind = kindBNPL
	}
	return e
}

// customerCard returns one of customer i's cards.
func (g *gen) customerCard(r *rand.Rand, i int32) int32 {
	return i*cardSlots + int32(r.IntN(int(g.pop.cust[i].nCards)))
}

// accountTakeover: a fraudster logs into an existing customer's account
// from a device the customer never used and an address that is often
// abroad (60%; otherwise a residential proxy in the customer's country),
// and makes 3–8 high-value purchases (median 600) with the customer's cards,
// 1–10 minutes apart. Half the time the order carries the fraudster's own
// email and phone; half the time the burst ends with a transfer of the
// balance (median 1,500) to a fresh drop account.
func (g *gen) accountTakeover(r *rand.Rand, t0 int64) {
	v := g.randomCustomer(r)
	c := &g.pop.cust[v]
	dev := g.fraudDevice(r)
	ip, ipc := g.fraudAddr(r)
	if r.Float64() < 0.4 {
		ip, ipc = randomIP(r, c.country), c.country
	}
	contact := v
	if r.Float64() < 0.5 {
		contact = g.newParty()
	}
	at := t0
	for range between(r, 3, 8) {
		e := g.highValueBuy(r, at, v, g.customerCard(r, v), 600)
		e.device, e.ip, e.country, e.email = dev, ip, ipc, contact
		if e.channel == chApp || e.kind == kindBNPL {
			e.phone = contact
		}
		g.add(e)
		at += between64(r, 60, 600)
	}
	if r.Float64() < 0.5 {
		drop := g.freshParty(homeCountry(r))
		g.add(event{
			at: at, amount: logNormal(r, 1500, 0.6), user: v, account: v, counter: drop.id,
			device: dev, ip: ip, country: ipc, currency: c.country, kind: kindTransfer, channel: chWeb,
		})
	}
}

// cardTesting: a fraudster checks that a stolen card works by making 10–40
// tiny purchases (0.50–2.00) at 10–30 different online merchants that
// sell digital goods or take donations, 5–40 seconds apart, from one device
// and address, with a throwaway email; half the time a high-value purchase
// (median 700) follows within half an hour. The card is a customer's (the
// user is the cardholder, as the issuer sees it).
func (g *gen) cardTesting(r *rand.Rand, t0 int64) {
	v := g.randomCustomer(r)
	card := g.customerCard(r, v)
	dev := g.fraudDevice(r)
	ip, ipc := g.fraudAddr(r)
	email := g.newParty()
	pool := g.pop.testing
	k := min(between(r, 10, 30), len(pool))
	ms := make([]int32, 0, k)
	for len(ms) < k {
		m := pool[r.IntN(len(pool))]
		dup := false
		for _, x := range ms {
			dup = dup || x == m
		}
		if !dup {
			ms = append(ms, m)
		}
	}
	n := max(k, between(r, 10, 40))
	at := t0
	for j := range n {
		mid := ms[j%k]
		if j >= k {
			mid = ms[r.IntN(k)]
		}
		m := &g.pop.merchants[mid-1]
		g.add(event{
			at: at, amount: cents(uniform(r, 0.5, 2.0)), user: v, card: card, device: dev, ip: ip, email: email,
			merchant: mid, mcc: m.category + 1, kind: kindCard, channel: chWeb, country: ipc, currency: m.country,
		})
		at += between64(r, 5, 40)
	}
	if r.Float64() < 0.5 {
		e := g.highValueBuy(r, at+between64(r, 60, 1800), v, card, 700)
		e.device, e.ip, e.country, e.email, e.kind = dev, ip, ipc, email, kindCard
		g.add(e)
	}
}

// syntheticIdentity: a ring of 3–8 made-up customers (fresh users and
// accounts, one card each) that share 1–2 devices, 1–2 phones, 1–3 emails
// and 1–2 addresses. Each member joins during the first third of a 10–30
// day build-up, shops modestly online (0.4 purchases a day at ordinary
// merchants) and half of them send one transfer to another member; then,
// within about a day and a half, every member busts out with 2–5
// high-value purchases (median 1,500) and a third of them move money
// (median 2,000) to a fresh cash-out account. Every row of the ring is
// fraud: the identities are.
func (g *gen) syntheticIdentity(r *rand.Rand, t0 int64) {
	country := homeCountry(r)
	pick := func(lo, hi int, fresh func() int32) []int32 {
		out := make([]int32, between(r, lo, hi))
		for i := range out {
			out[i] = fresh()
		}
		return out
	}
	devices := pick(1, 2, func() int32 { return g.fraudDevice(r) })
	phones := pick(1, 2, g.newParty)
	emails := pick(1, 3, g.newParty)
	ips := make([]uint32, between(r, 1, 2))
	for i := range ips {
		ips[i] = randomIP(r, country)
	}
	type member struct {
		party
		card, email, phone int32
		join               int64
	}
	history := between64(r, 10, 30) * daySeconds
	members := make([]member, between(r, 3, 8))
	for k := range members {
		m := &members[k]
		m.party = g.freshParty(country)
		m.card = g.newCard()
		m.device = devices[r.IntN(len(devices))]
		m.email, m.phone = m.id, m.id
		if r.Float64() < 0.6 {
			m.email = emails[r.IntN(len(emails))]
		}
		if r.Float64() < 0.7 {
			m.phone = phones[r.IntN(len(phones))]
		}
		m.join = t0 + r.Int64N(history/3)
	}
	online := func(e *event, m *member) {
		e.device, e.ip, e.country, e.email, e.phone = m.device, ips[r.IntN(len(ips))], country, m.email, m.phone
		if r.Float64() < 0.15 {
			e.device = g.newDevice() // the odd borrowed device
		}
	}
	local := &g.pop.local[country]
	for k := range members {
		m := &members[k]
		for range poisson(r, 0.4*float64(t0+history-m.join)/daySeconds) {
			mid := g.pop.online.draw(r)
			if r.Float64() < 0.5 && !local.empty() {
				mid = local.draw(r)
			}
			mc := &g.pop.merchants[mid-1]
			cat := &categories[mc.category]
			e := event{
				at: m.join + r.Int64N(t0+history-m.join), amount: logNormal(r, 0.8*cat.median, cat.sigma),
				user: m.id, card: m.card, merchant: mid, mcc: mc.category + 1,
				kind: kindCard, channel: chWeb, currency: mc.country,
			}
			if r.Float64() < 0.5 {
				e.channel = chApp
			}
			online(&e, m)
			g.add(e)
		}
		if len(members) > 1 && r.Float64() < 0.5 {
			to := &members[(k+1+r.IntN(len(members)-1))%len(members)]
			e := event{
				at: max(m.join, to.join) + r.Int64N(t0+history-max(m.join, to.join)), amount: logNormal(r, 200, 0.5),
				user: m.id, account: m.id, counter: to.id, kind: kindTransfer, channel: chApp, currency: country,
			}
			online(&e, m)
			g.add(e)
		}
	}
	bust := t0 + history + r.Int64N(daySeconds/2)
	for k := range members {
		m := &members[k]
		for range between(r, 2, 5) {
			e := g.highValueBuy(r, bust+r.Int64N(daySeconds), m.id, m.card, 1500)
			online(&e, m)
			g.add(e)
		}
		if r.Float64() < 0.33 {
			e := event{
				at: bust + r.Int64N(daySeconds), amount: logNormal(r, 2000, 0.5), user: m.id, account: m.id,
				counter: g.freshParty(country).id, kind: kindTransfer, channel: chApp, currency: country,
			}
			online(&e, m)
			g.add(e)
		}
	}
}

// mule: a money-mule account (a recruited customer 60% of the time,
// otherwise a fresh account) receives transfers from 3–10 scam victims
// (customers sending from their own devices, median 900 each) over 4 hours
// to 3 days, then forwards 90–98% of the total to 2–6 fresh cash-out
// accounts, 10 minutes to 6 hours after the last payment in, 1–20 minutes
// apart.
func (g *gen) mule(r *rand.Rand, t0 int64) {
	country := homeCountry(r)
	var m party
	if r.Float64() < 0.6 {
		m = g.customerParty(g.customerIn(r, country))
	} else {
		m = g.freshParty(country)
	}
	window := between64(r, 4*3600, 3*daySeconds)
	total, last := 0.0, t0
	for k := range between(r, 3, 10) {
		v := g.customerIn(r, country)
		if v == m.id {
			continue
		}
		at := t0 + r.Int64N(window)
		if k == 0 {
			at = t0
		}
		amount := logNormal(r, 900, 0.7)
		g.transfer(r, at, g.customerParty(v), m, amount)
		total += amount
		last = max(last, at)
	}
	at := last + between64(r, 600, 6*3600)
	out := total * uniform(r, 0.90, 0.98)
	n := between(r, 2, 6)
	for _, amount := range split(r, out, n) {
		c := country
		if r.Float64() < 0.3 {
			c = homeCountry(r)
		}
		g.transfer(r, at, m, g.freshParty(c), amount)
		at += between64(r, 60, 1200)
	}
}

// between64 draws an integer in [lo, hi].
func between64(r *rand.Rand, lo, hi int64) int64 { return lo + r.Int64N(hi-lo+1) }
