package synth

import (
	"math"
	"math/rand/v2"
	"slices"
)

// The world's geography is fictional: country codes and currencies are
// real, the IPv4 prefixes assigned to them are made up.

// country is one place customers live, merchants trade or fraud comes from.
type country struct {
	code     string
	currency string
	weight   float64   // share of customers, merchants and employers
	prefixes [2]uint32 // first octets of the country's residential IPv4 space
}

// countries: the first numHome carry customers; the rest are sources of
// foreign fraud traffic only.
var countries = [...]country{
	{"GB", "GBP", 0.30, [2]uint32{81, 86}},
	{"DE", "EUR", 0.15, [2]uint32{84, 91}},
	{"FR", "EUR", 0.15, [2]uint32{90, 92}},
	{"ES", "EUR", 0.08, [2]uint32{83, 88}},
	{"IT", "EUR", 0.08, [2]uint32{79, 93}},
	{"NL", "EUR", 0.06, [2]uint32{77, 145}},
	{"PL", "PLN", 0.05, [2]uint32{89, 178}},
	{"US", "USD", 0.05, [2]uint32{24, 73}},
	{"IE", "EUR", 0.04, [2]uint32{87, 109}},
	{"SE", "SEK", 0.04, [2]uint32{78, 155}},
	// Fraud sources.
	{"NG", "NGN", 0, [2]uint32{102, 105}},
	{"RU", "RUB", 0, [2]uint32{95, 176}},
	{"BR", "BRL", 0, [2]uint32{177, 179}},
	{"VN", "VND", 0, [2]uint32{113, 116}},
	{"RO", "RON", 0, [2]uint32{188, 5}},
}

const (
	numHome      = 10
	numCountries = len(countries)
)

// datacenterPrefixes are first octets of hosting and VPN space (located in
// the US and NL) that fraudsters proxy through.
var datacenterPrefixes = [...]struct {
	octet   uint32
	country uint8
}{{45, 7}, {185, 5}, {198, 7}}

// category is a merchant category: its MCC, the log-normal amount
// distribution of its purchases, its share of merchants and how its
// merchants sell (card present only, online only, or both).
type category struct {
	mcc           string
	median, sigma float64
	share         float64
	pos, online   float64 // probability a merchant is card-present only / online only; the rest are both
	bnpl          bool    // offers buy-now-pay-later online
	highValue     bool    // what account takeovers and bust-outs buy
	testing       bool    // where card testers probe cards
}

var categories = [...]category{
	{"5411", 35, 0.60, 0.16, 0.70, 0.00, false, false, false},  // grocery
	{"5812", 28, 0.50, 0.14, 0.85, 0.00, false, false, false},  // restaurants
	{"5814", 10, 0.40, 0.08, 0.50, 0.00, false, false, false},  // fast food
	{"5541", 55, 0.35, 0.06, 1.00, 0.00, false, false, false},  // fuel
	{"5311", 60, 0.80, 0.05, 0.00, 0.20, true, false, false},   // department stores
	{"5732", 180, 0.90, 0.06, 0.00, 0.50, true, true, false},   // electronics
	{"5999", 30, 0.90, 0.10, 0.40, 0.30, false, false, false},  // miscellaneous retail
	{"4121", 18, 0.50, 0.04, 0.00, 1.00, false, false, false},  // taxis and ride hailing
	{"5691", 70, 0.70, 0.10, 0.30, 0.30, true, false, false},   // clothing
	{"4511", 280, 0.60, 0.02, 0.00, 1.00, false, true, false},  // airlines
	{"7011", 170, 0.50, 0.03, 0.00, 0.70, false, false, false}, // hotels
	{"5815", 9, 0.70, 0.07, 0.00, 1.00, false, true, true},     // digital goods, gift cards
	{"5944", 450, 0.90, 0.02, 0.50, 0.00, false, true, false},  // jewellery
	{"8398", 20, 0.80, 0.03, 0.00, 1.00, false, false, true},   // charities
}

// Merchant sales profiles.
const (
	profilePOS uint8 = iota
	profileOnline
	profileMixed
)

type merchant struct {
	category uint8
	country  uint8
	profile  uint8
}

// zipf draws ranks 0..n-1 with probability ∝ 1/(rank+1)^s from a
// cumulative table, so any *rand.Rand can drive it.
type zipf struct{ cdf []float64 }

func newZipf(n int, s float64) zipf {
	cdf := make([]float64, n)
	sum := 0.0
	for i := range cdf {
		sum += 1 / math.Pow(float64(i+1), s)
		cdf[i] = sum
	}
	for i := range cdf {
		cdf[i] /= sum
	}
	return zipf{cdf}
}

func (z zipf) draw(r *rand.Rand) int {
	i, _ := slices.BinarySearch(z.cdf, r.Float64())
	return min(i, len(z.cdf)-1)
}

// merchantSet is a popularity-ordered list of merchant numbers with its
// Zipf table.
type merchantSet struct {
	ids []int32
	z   zipf
}

func (s *merchantSet) draw(r *rand.Rand) int32 { return s.ids[s.z.draw(r)] }
func (s *merchantSet) empty() bool             { return len(s.ids) == 0 }

// Limits of a customer's fixed attributes.
const (
	maxFavs     = 6
	maxPayees   = 3
	maxDevices  = 3 // in use at once
	deviceSlots = 4 // device numbers reserved per party: one upgrade
	cardSlots   = 2
)

// customer is an ordinary customer's fixed profile and slowly changing
// state. Customer i (1-based) is user u<i> and owns account a<i>, email i,
// phone i, cards 2i and 2i+1 (the second only when nCards is 2) and devices
// 4i..4i+3 (slots).
type customer struct {
	rate      float32 // purchases per day
	xferRate  float32 // person-to-person transfers per day
	salary    float32
	rent      float32
	employer  int32 // party number of the employer, 0 when not paid
	landlord  int32 // customer number, 0 when no rent
	favs      [maxFavs]int32
	payees    [maxPayees]int32
	tripUntil int32 // last day of the current trip, -1 when home
	country   uint8
	trip      uint8 // country visited while tripUntil ≥ today
	nFavs     uint8
	nPayees   uint8
	nCards    uint8
	nDevices  uint8
	devices   [maxDevices]uint8 // slots in use; devices[0] is the phone
	nextSlot  uint8
	rentDay   uint8 // day of the month rent is paid
	hourShift int8
	landlordF bool // receives rent
}

func (c *customer) device(i int32, k int) int32 { return i*deviceSlots + int32(c.devices[k]) }

// population is the world: merchants, customers and employers.
type population struct {
	seed       uint64
	users      int32
	employers  int32      // parties users+1 .. users+employers
	merchants  []merchant // merchant m is merchants[m-1]
	local      [numHome]merchantSet
	online     merchantSet // online and mixed merchants, every country
	testing    []int32     // online merchants where card testers probe
	highValue  []int32     // online high-value merchants
	cust       []customer  // cust[i] is customer i; cust[0] unused
	byCountry  [numHome][]int32
	employerOf [numHome][]int32 // employer party numbers by country
	employerC  []uint8          // country of employer j (index j-1)
	mobilePool uint32           // mobile (CGNAT) addresses per country
}

// newPopulation builds the world for cfg from its own random stream.
func newPopulation(cfg *Config) *population {
	r := rand.New(rand.NewPCG(cfg.Seed, streamPopulation))
	p := &population{seed: cfg.Seed, users: int32(cfg.Users)}
	p.mobilePool = uint32(max(16, cfg.Users/300))
	p.buildMerchants(r, min(max(cfg.Users/15, 200), 100_000))
	p.buildCustomers(r)
	return p
}

func homeCountry(r *rand.Rand) uint8 {
	x := r.Float64()
	for i := range numHome {
		x -= countries[i].weight
		if x < 0 {
			return uint8(i)
		}
	}
	return 0
}

func (p *population) buildMerchants(r *rand.Rand, n int) {
	var catCDF [len(categories)]float64
	sum := 0.0
	for i, c := range categories {
		sum += c.share
		catCDF[i] = sum
	}
	p.merchants = make([]merchant, n)
	for i := range p.merchants {
		ci, _ := slices.BinarySearch(catCDF[:], r.Float64()*sum)
		ci = min(ci, len(categories)-1)
		c := &categories[ci]
		m := merchant{category: uint8(ci), country: homeCountry(r), profile: profileMixed}
		switch x := r.Float64(); {
		case x < c.pos:
			m.profile = profilePOS
		case x < c.pos+c.online:
			m.profile = profileOnline
		}
		p.merchants[i] = m
		id := int32(i + 1)
		p.local[m.country].ids = append(p.local[m.country].ids, id)
		if m.profile != profilePOS {
			p.online.ids = append(p.online.ids, id)
			if c.testing {
				p.testing = append(p.testing, id)
			}
			if c.highValue {
				p.highValue = append(p.highValue, id)
			}
		}
	}
	if len(p.online.ids) == 0 { // vanishingly unlikely, but draws need one
		p.merchants[0].profile = profileMixed
		p.online.ids = []int32{1}
	}
	if len(p.testing) == 0 || len(p.highValue) == 0 {
		// Only possible for tiny worlds: fall back on every online merchant.
		p.testing, p.highValue = p.online.ids, p.online.ids
	}
	// The order of each list is its popularity order: shuffle it so that
	// merchant numbers say nothing about popularity.
	shuffle := func(ids []int32) { r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] }) }
	for i := range p.local {
		shuffle(p.local[i].ids)
		p.local[i].z = newZipf(len(p.local[i].ids), 1.1)
	}
	shuffle(p.online.ids)
	p.online.z = newZipf(len(p.online.ids), 1.1)
}

func (p *population) buildCustomers(r *rand.Rand) {
	n := int(p.users)
	p.cust = make([]customer, n+1)
	for i := 1; i <= n; i++ {
		c := &p.cust[i]
		c.country = homeCountry(r)
		p.byCountry[c.country] = append(p.byCountry[c.country], int32(i))
	}
	// Employers: one per 150 customers, at least one.
	p.employers = int32(max(1, n/150))
	p.employerC = make([]uint8, p.employers)
	for j := range p.employerC {
		cc := homeCountry(r)
		p.employerC[j] = cc
		p.employerOf[cc] = append(p.employerOf[cc], p.users+int32(j)+1)
	}
	// Landlords: 2% of customers receive rent.
	var landlords [numHome][]int32
	for i := 1; i <= n; i++ {
		if r.Float64() < 0.02 {
			c := &p.cust[i]
			c.landlordF = true
			landlords[c.country] = append(landlords[c.country], int32(i))
		}
	}
	for i := 1; i <= n; i++ {
		c := &p.cust[i]
		c.rate = float32(lognormalMean1(r, 0.6))
		c.xferRate = float32(lognormalMean1(r, 0.8))
		c.tripUntil = -1
		c.hourShift = int8(r.IntN(3) - 1)
		c.nCards = 1 + uint8(r.IntN(10)/7) // 30% have two cards
		switch x := r.Float64(); {
		case x < 0.4:
			c.nDevices = 1
		case x < 0.8:
			c.nDevices = 2
		default:
			c.nDevices = 3
		}
		for k := range c.nDevices {
			c.devices[k] = k
		}
		c.nextSlot = c.nDevices
		c.nFavs = uint8(3 + r.IntN(maxFavs-2))
		for k := range c.nFavs {
			if r.Float64() < 0.7 && !p.local[c.country].empty() {
				c.favs[k] = p.local[c.country].draw(r)
			} else {
				c.favs[k] = p.online.draw(r)
			}
		}
		peers := p.byCountry[c.country]
		for range 1 + r.IntN(maxPayees) {
			if q := peers[r.IntN(len(peers))]; q != int32(i) {
				c.payees[c.nPayees] = q
				c.nPayees++
			}
		}
		if es := p.employerOf[c.country]; len(es) > 0 && r.Float64() < paidShare {
			c.employer = es[r.IntN(len(es))]
			c.salary = float32(cents(2600 * lognormalMean1(r, 0.35)))
		}
		if ls := landlords[c.country]; len(ls) > 0 && r.Float64() < rentShare {
			if l := ls[r.IntN(len(ls))]; l != int32(i) {
				c.landlord = l
				c.rent = float32(10 * math.Round(90*lognormalMean1(r, 0.3)))
				c.rentDay = uint8(1 + r.IntN(5))
			}
		}
	}
}

// lognormalMean1 draws from a log-normal distribution with mean 1.
func lognormalMean1(r *rand.Rand, sigma float64) float64 {
	return math.Exp(sigma*r.NormFloat64() - sigma*sigma/2)
}

// logNormal draws an amount with the given median, rounded to cents,
// capped at 50 medians and at least 0.5.
func logNormal(r *rand.Rand, median, sigma float64) float64 {
	return cents(max(0.5, min(median*math.Exp(sigma*r.NormFloat64()), 50*median)))
}

// cents rounds to two decimals.
func cents(x float64) float64 { return math.Round(x*100) / 100 }

// uniform draws from [lo, hi).
func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// between draws an integer in [lo, hi].
func between(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }

// poisson draws from a Poisson distribution with mean lambda (Knuth's
// method; a rounded normal approximation above 30).
func poisson(r *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 30 {
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*r.NormFloat64())))
	}
	l, k, prod := math.Exp(-lambda), 0, r.Float64()
	for prod > l {
		k++
		prod *= r.Float64()
	}
	return k
}

// splitmix64 is a fixed mixing function (Steele, Lea and Flood, "Fast
// splittable pseudorandom number generators", OOPSLA 2014): addresses are
// hashes of the seed and a number, so they need no storage.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// ipIn returns an address in the /8 whose first octet is prefix, with host
// bits taken from h (last octet 1..254).
func ipIn(prefix uint32, h uint64) uint32 {
	return prefix<<24 | uint32(h>>8)&0xffff00 | uint32(1+h%254)
}

// homeIP is party n's residential address in country c.
func (p *population) homeIP(n int32, c uint8) uint32 {
	h := splitmix64(p.seed ^ uint64(n)<<8 ^ 0x686f6d65)
	return ipIn(countries[c].prefixes[h>>63], h)
}

// mobileIP is one of the country's shared mobile-carrier addresses.
func (p *population) mobileIP(r *rand.Rand, c uint8) uint32 {
	k := uint64(r.Uint32N(p.mobilePool))
	h := splitmix64(p.seed ^ (uint64(c)<<32 | k) ^ 0x6d6f62696c65<<16)
	return ipIn(countries[c].prefixes[h>>63], h)
}

// randomIP is a fresh residential address in country c (hotel wifi,
// proxies, fresh parties).
func randomIP(r *rand.Rand, c uint8) uint32 {
	h := r.Uint64()
	return ipIn(countries[c].prefixes[h>>63], h)
}

// fraudIP is where fraudsters come from: a datacenter or VPN address (40%)
// or a residential address in a fraud-source country. It returns the
// address and its country.
func fraudIP(r *rand.Rand) (uint32, uint8) {
	if r.Float64() < 0.4 {
		d := datacenterPrefixes[r.IntN(len(datacenterPrefixes))]
		return ipIn(d.octet, r.Uint64()), d.country
	}
	c := uint8(numHome + r.IntN(numCountries-numHome))
	return randomIP(r, c), c
}
