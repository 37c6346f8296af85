package feature

import (
	"math"
	"strconv"

	"github.com/riskgraph/riskgraph/graph"
)

// HashBuckets is the number of buckets of the hashed MCC and country
// one-hots: FNV-1a (32-bit) of the exact string, modulo HashBuckets. An
// empty value sets no bucket. Collisions are accepted: 8 buckets keep the
// vector small, and the entity vectors carry the merchant's behaviour.
const HashBuckets = 8

// Columns of the transaction vector, in order.
const (
	txAmount     = 0  // log1p(amount), amount in the currency's major unit
	txHourSin    = 1  // hour of day (UTC, fractional) on the unit circle
	txHourCos    = 2  //
	txDowSin     = 3  // day of week (UTC, fractional, Sunday = 0)
	txDowCos     = 4  //
	txRound      = 5  // 1 when amount ≥ 50 is a whole multiple of 50
	txChannel    = 6  // web, app, pos, other (empty: no bit)
	txKind       = 10 // card, bnpl, transfer, other (empty: no bit)
	txCurrency   = 14 // EUR, USD, GBP, other (empty: no bit)
	txMCC        = 18 // HashBuckets buckets
	txCountry    = txMCC + HashBuckets
	txHas        = txCountry + HashBuckets // one bit per edge kind, EdgeKind order
	TxnWidth     = txHas + graph.NumEdgeKinds - 1
	hoursPerDay  = 24
	daysPerWeek  = 7
	secondsPerHr = 3600
)

var txnNames = func() []string {
	n := []string{
		"amount_log", "hour_sin", "hour_cos", "dow_sin", "dow_cos", "amount_round_50",
		"channel_web", "channel_app", "channel_pos", "channel_other",
		"kind_card", "kind_bnpl", "kind_transfer", "kind_other",
		"currency_eur", "currency_usd", "currency_gbp", "currency_other",
	}
	for i := range HashBuckets {
		n = append(n, "mcc_hash_"+strconv.Itoa(i))
	}
	for i := range HashBuckets {
		n = append(n, "country_hash_"+strconv.Itoa(i))
	}
	for _, e := range graph.EdgeKinds() {
		n = append(n, "has_"+lower(e.String()))
	}
	if len(n) != TxnWidth {
		panic("feature: transaction names out of step with TxnWidth")
	}
	return n
}()

// TxnNames returns the names of the transaction vector's TxnWidth columns
// ("amount_log", "hour_sin", …, "has_with_phone"). The caller owns the
// slice.
func TxnNames() []string { return append([]string(nil), txnNames...) }

// EncodeTransaction writes the raw (unnormalised) transaction vector of tx
// into dst[:TxnWidth], overwriting it. It reads nothing but tx, never its
// Label, and does not allocate. It panics if len(dst) < TxnWidth.
func EncodeTransaction(dst []float32, tx *graph.Transaction) {
	dst = dst[:TxnWidth]
	clear(dst)
	dst[txAmount] = log1p(tx.Amount)
	t := tx.Time.UTC()
	h, m, s := t.Clock()
	hour := float64(h) + float64(m*60+s)/secondsPerHr
	a := 2 * math.Pi * hour / hoursPerDay
	dst[txHourSin], dst[txHourCos] = float32(math.Sin(a)), float32(math.Cos(a))
	a = 2 * math.Pi * (float64(t.Weekday()) + hour/hoursPerDay) / daysPerWeek
	dst[txDowSin], dst[txDowCos] = float32(math.Sin(a)), float32(math.Cos(a))
	if tx.Amount >= 50 && math.Mod(tx.Amount, 50) == 0 {
		dst[txRound] = 1
	}
	oneHot(dst[txChannel:txChannel+4], tx.Channel, "web", "app", "pos")
	oneHot(dst[txKind:txKind+4], tx.Kind, "card", "bnpl", "transfer")
	oneHot(dst[txCurrency:txCurrency+4], tx.Currency, "EUR", "USD", "GBP")
	if tx.MCC != "" {
		dst[txMCC+int(fnv32(tx.MCC)%HashBuckets)] = 1
	}
	if tx.Country != "" {
		dst[txCountry+int(fnv32(tx.Country)%HashBuckets)] = 1
	}
	for e := graph.EdgeBy; e <= graph.EdgeWithPhone; e++ {
		if tx.Entity(e) != "" {
			dst[txHas+int(e)-1] = 1
		}
	}
}

// oneHot sets dst[i] for the i-th of three known values (case-sensitive
// for currencies, which are upper-case codes; channel and kind values are
// lower-case in the v1 contract), dst[3] for any other non-empty value.
func oneHot(dst []float32, v, a, b, c string) {
	switch v {
	case "":
	case a:
		dst[0] = 1
	case b:
		dst[1] = 1
	case c:
		dst[2] = 1
	default:
		dst[3] = 1
	}
}

// fnv32 is 32-bit FNV-1a (Fowler, Noll, Vo), without allocating.
func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// log1p is log(1+x) as float32, 0 for x ≤ 0.
func log1p(x float64) float32 {
	if x <= 0 {
		return 0
	}
	return float32(math.Log1p(x))
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
