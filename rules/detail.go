package rules

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/riskgraph/riskgraph/graph"
)

// placeholder is one {name} of a detail template.
type placeholder uint8

const (
	phNone placeholder = iota
	phID
	phAmount
	phCurrency
	phChannel
	phCountry
	phEntity
	phWindow
	phCount
	phSum
	phMaxCount
	phMaxAmount
	phOver
	phTypology
	phHits
	phMinHits
	phScore
	phBelow
	numPlaceholders
)

var placeholderNames = [numPlaceholders]string{"", "id", "amount", "currency", "channel", "country",
	"entity", "window", "count", "sum", "max_count", "max_amount", "over", "typology", "hits", "min_hits", "score", "below"}

// placeholders is a set of placeholders, as a bit mask.
type placeholders uint32

func phs(p ...placeholder) placeholders {
	var s placeholders
	for _, x := range p {
		s |= 1 << x
	}
	return s
}

func (s placeholders) has(p placeholder) bool { return s&(1<<p) != 0 }

func (s placeholders) names() string {
	var out []string
	for p := phID; p < numPlaceholders; p++ {
		if s.has(p) {
			out = append(out, "{"+placeholderNames[p]+"}")
		}
	}
	return strings.Join(out, ", ")
}

// The placeholders each kind of rule may use.
var (
	phCommon   = phs(phID, phAmount, phCurrency, phChannel, phCountry)
	phVelocity = phCommon | phs(phEntity, phWindow, phCount, phSum, phMaxCount, phMaxAmount)
	phAmountR  = phCommon | phs(phOver)
	phTypoR    = phCommon | phs(phTypology, phHits, phMinHits)
	phBand     = phCommon | phs(phScore, phBelow)
)

// segment is a literal followed by an optional placeholder.
type segment struct {
	lit string
	ph  placeholder
}

// detail is a compiled detail template. A template without placeholders
// renders without allocating.
type detail struct {
	segs  []segment
	fixed string // the whole text when there is no placeholder
}

// compileDetail parses src, allowing the placeholders in allowed.
func compileDetail(src string, allowed placeholders) (detail, error) {
	var d detail
	var lit strings.Builder
	hasPh := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case (c == '{' || c == '}') && i+1 < len(src) && src[i+1] == c:
			lit.WriteByte(c)
			i++
		case c == '{':
			end := strings.IndexByte(src[i:], '}')
			if end < 0 {
				return detail{}, fmt.Errorf("unclosed { at byte %d (write {{ for a literal brace)", i)
			}
			name := src[i+1 : i+end]
			p := phNone
			for q := phID; q < numPlaceholders; q++ {
				if placeholderNames[q] == name {
					p = q
				}
			}
			if p == phNone || !allowed.has(p) {
				return detail{}, fmt.Errorf("unknown placeholder {%s} (want %s)", name, allowed.names())
			}
			d.segs = append(d.segs, segment{lit: lit.String(), ph: p})
			lit.Reset()
			hasPh = true
			i += end
		default:
			lit.WriteByte(c)
		}
	}
	if !hasPh {
		return detail{fixed: lit.String()}, nil
	}
	if lit.Len() > 0 {
		d.segs = append(d.segs, segment{lit: lit.String()})
	}
	return d, nil
}

// vars are the values a hit renders its detail with.
type vars struct {
	id       string
	txn      *graph.Transaction
	entity   string // lower case: "card"
	window   Window
	count    int
	sum      float64
	maxCount int64
	maxAmt   float64
	over     float64
	typology string
	hits     int
	minHits  int
	score    float64
	below    float64
}

func (d *detail) render(v *vars) string {
	if d.segs == nil {
		return d.fixed
	}
	var buf [160]byte // most details fit: one allocation, the string
	b := buf[:0]
	for _, s := range d.segs {
		b = append(b, s.lit...)
		switch s.ph {
		case phID:
			b = append(b, v.id...)
		case phAmount:
			b = appendNum(b, v.txn.Amount)
		case phCurrency:
			b = append(b, v.txn.Currency...)
		case phChannel:
			b = append(b, v.txn.Channel...)
		case phCountry:
			b = append(b, v.txn.Country...)
		case phEntity:
			b = append(b, v.entity...)
		case phWindow:
			b = append(b, v.window.String()...)
		case phCount:
			b = strconv.AppendInt(b, int64(v.count), 10)
		case phSum:
			b = appendNum(b, v.sum)
		case phMaxCount:
			b = strconv.AppendInt(b, v.maxCount, 10)
		case phMaxAmount:
			b = appendNum(b, v.maxAmt)
		case phOver:
			b = appendNum(b, v.over)
		case phTypology:
			b = append(b, v.typology...)
		case phHits:
			b = strconv.AppendInt(b, int64(v.hits), 10)
		case phMinHits:
			b = strconv.AppendInt(b, int64(v.minHits), 10)
		case phScore:
			b = strconv.AppendFloat(b, v.score, 'f', 3, 64)
		case phBelow:
			b = strconv.AppendFloat(b, v.below, 'f', -1, 64)
		}
	}
	return string(b)
}

// appendNum appends an amount: integers without decimals, others with two.
func appendNum(b []byte, x float64) []byte {
	if x < 1e15 && x > -1e15 && x == float64(int64(x)) {
		return strconv.AppendInt(b, int64(x), 10)
	}
	return strconv.AppendFloat(b, x, 'f', 2, 64)
}
