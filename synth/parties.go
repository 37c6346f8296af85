package synth

import "math/rand/v2"

// party is someone acting in a pattern instance: a customer (recruited,
// victimised or taken over) or a fresh party the generator makes up for
// the instance. Party n is user u<n> and owns account a<n>, email n and
// phone n.
type party struct {
	id      int32
	device  int32
	ip      uint32
	ipc     uint8 // country of ip
	country uint8 // home country: the currency of its transfers
	cust    bool  // an ordinary customer, whose online behaviour it keeps
}

func (g *gen) randomCustomer(r *rand.Rand) int32 { return 1 + r.Int32N(g.pop.users) }

// customerIn returns a random customer of country c, or of any country
// when c has none.
func (g *gen) customerIn(r *rand.Rand, c uint8) int32 {
	if cs := g.pop.byCountry[c]; len(cs) > 0 {
		return cs[r.IntN(len(cs))]
	}
	return g.randomCustomer(r)
}

func (g *gen) customerParty(i int32) party {
	c := &g.pop.cust[i]
	return party{id: i, device: c.device(i, 0), ip: g.pop.homeIP(i, c.country), ipc: c.country, country: c.country, cust: true}
}

func (g *gen) freshParty(c uint8) party {
	id := g.newParty()
	return party{id: id, device: g.newDevice(), ip: g.pop.homeIP(id, c), ipc: c, country: c}
}

// fraudDevice is a fraudster's device: one of the shared pool (40%) or a
// fresh one.
func (g *gen) fraudDevice(r *rand.Rand) int32 {
	if r.Float64() < 0.4 {
		return g.fraudDevices[r.IntN(len(g.fraudDevices))]
	}
	return g.newDevice()
}

// fraudAddr is a fraudster's address and its country: one of the shared
// pool (40%) or a fresh datacenter or foreign address.
func (g *gen) fraudAddr(r *rand.Rand) (uint32, uint8) {
	if r.Float64() < 0.4 {
		k := r.IntN(len(g.fraudIPs))
		return g.fraudIPs[k], g.fraudIPc[k]
	}
	return fraudIP(r)
}

// transfer adds an account-to-account transfer. A customer sends from its
// own devices and addresses; a fresh party from its own.
func (g *gen) transfer(r *rand.Rand, at int64, from, to party, amount float64) {
	e := event{
		at: at, amount: amount, user: from.id, account: from.id, counter: to.id,
		kind: kindTransfer, channel: chApp, currency: from.country,
	}
	if r.Float64() < 0.4 {
		e.channel = chWeb
	}
	if from.cust {
		g.online(r, from.id, &g.pop.cust[from.id], &e, false)
	} else {
		e.device, e.ip, e.country = from.device, from.ip, from.ipc
	}
	g.add(e)
}

// crew picks the distinct parties of one laundering instance: recruited
// customers of the instance's country with probability recruit, fresh
// parties otherwise (a tenth of them abroad). A sloppy crew's fresh parties
// often share their operator's device and address, which links them in the
// graph.
type crew struct {
	g        *gen
	country  uint8
	recruit  float64
	operator party // zero unless sloppy
	used     []int32
}

func (g *gen) newCrew(r *rand.Rand, recruit float64) *crew {
	cr := &crew{g: g, country: homeCountry(r), recruit: recruit}
	if r.Float64() < 0.4 {
		cr.operator = g.freshParty(cr.country)
	}
	return cr
}

func (cr *crew) member(r *rand.Rand) party {
	g := cr.g
	if r.Float64() < cr.recruit {
		for range 3 {
			i := g.customerIn(r, cr.country)
			if !cr.taken(i) {
				cr.used = append(cr.used, i)
				return g.customerParty(i)
			}
		}
	}
	c := cr.country
	if r.Float64() < 0.1 {
		c = homeCountry(r)
	}
	p := g.freshParty(c)
	if cr.operator.id != 0 {
		if r.Float64() < 0.7 {
			p.device = cr.operator.device
		}
		if r.Float64() < 0.5 {
			p.ip, p.ipc = cr.operator.ip, cr.operator.ipc
		}
	}
	cr.used = append(cr.used, p.id)
	return p
}

func (cr *crew) taken(id int32) bool {
	for _, u := range cr.used {
		if u == id {
			return true
		}
	}
	return false
}

// members returns n distinct members.
func (cr *crew) members(r *rand.Rand, n int) []party {
	out := make([]party, n)
	for i := range out {
		out[i] = cr.member(r)
	}
	return out
}

// split divides total into n positive parts of roughly equal size (each
// within ±30% of the mean), in cents, summing to total.
func split(r *rand.Rand, total float64, n int) []float64 {
	w := make([]float64, n)
	sum := 0.0
	for i := range w {
		w[i] = uniform(r, 0.7, 1.3)
		sum += w[i]
	}
	left := total
	for i := range n - 1 {
		w[i] = cents(total * w[i] / sum)
		left -= w[i]
	}
	w[n-1] = cents(left)
	return w
}
