package rules

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/riskgraph/riskgraph/graph"
)

// ruleID checks an id and records it, reporting duplicates.
func (l *loader) ruleID(n *yaml.Node, path string) (string, bool) {
	id, ok := l.str(n, path, idRe, "an id (a letter, then letters, digits, _ or -; at most 64)")
	if !ok {
		return "", false
	}
	if first := l.ids[id]; first != nil {
		l.errorf(n, path, "duplicate id %q (first at line %d, column %d)", id, first.Line, first.Column)
		return "", false
	}
	l.ids[id] = n
	return id, true
}

// head reads id, action (or decision for bands), reason and detail.
// defCode and defDetail apply when reason and detail are absent.
func (l *loader) head(m map[string]*yaml.Node, path, actionKey string, actions []string, defCode, defDetail string, allowed placeholders) (head, bool) {
	var h head
	ok := true
	if v := m["id"]; v != nil {
		h.id, ok = l.ruleID(v, sub(path, "id"))
	}
	if v := m[actionKey]; v != nil {
		i, good := l.choice(v, sub(path, actionKey), actions...)
		if good {
			h.action, _ = ParseDecision(actions[i])
		}
		ok = ok && good
	}
	h.code = defCode
	if v := m["reason"]; v != nil {
		c, good := l.str(v, sub(path, "reason"), codeRe, "a reason code (UPPER_SNAKE_CASE, at most 64)")
		h.code = c
		ok = ok && good
	}
	src := defDetail
	dn := m["detail"]
	if dn != nil {
		s, good := l.str(dn, sub(path, "detail"), nil, "a detail template")
		src = s
		ok = ok && good
	}
	d, err := compileDetail(src, allowed)
	if err != nil {
		if dn == nil {
			panic("rules: built-in detail: " + err.Error())
		}
		l.errorf(dn, sub(path, "detail"), "%v", err)
		ok = false
	}
	h.detail = d
	return h, ok
}

var ruleActions = []string{"review", "decline"}

func (l *loader) velocityRule(n *yaml.Node, path string, s *Set) {
	m := l.fields(n, path, "id", "entity", "window", "max_count", "max_amount", "action", "reason", "detail")
	if m == nil {
		return
	}
	l.require(n, m, path, "id", "entity", "window", "action")
	r := velocityRule{maxCount: -1}
	ok := true
	if v := m["entity"]; v != nil {
		k, err := graph.ParseKind(v.Value)
		if v.ShortTag() != "!!str" || err != nil || k == graph.KindTransaction || v.Value != strings.ToLower(v.Value) || v.Value == "txn" {
			l.errorf(v, sub(path, "entity"), "got %s, want user, account, card, device, ip, merchant, email or phone", describe(v))
			ok = false
		}
		r.entity = k
	}
	if v := m["window"]; v != nil {
		i, good := l.choice(v, sub(path, "window"), "1h", "24h", "7d")
		r.window = Window(i + 1)
		ok = ok && good
	}
	if v := m["max_count"]; v != nil {
		c, good := l.integer(v, sub(path, "max_count"), 0)
		r.maxCount = c
		ok = ok && good
	}
	if v := m["max_amount"]; v != nil {
		a, good := l.number(v, sub(path, "max_amount"), 0, math.MaxFloat64)
		r.maxAmount, r.hasAmount = a, true
		ok = ok && good
	}
	if m["max_count"] == nil && m["max_amount"] == nil {
		l.errorf(n, sub(path, "max_count"), "missing: a velocity rule needs max_count, max_amount or both")
		ok = false
	}
	ent, win := strings.ToLower(r.entity.String()), r.window.String()
	r.name = ent
	def := "{count} " + ent + " transactions totalling {sum} in {window}"
	switch {
	case m["max_count"] != nil && m["max_amount"] != nil:
		def += " (limits {max_count} and {max_amount})"
	case m["max_count"] != nil:
		def += " (limit {max_count})"
	default:
		def += " (limit {max_amount})"
	}
	h, good := l.head(m, path, "action", ruleActions, "VELOCITY_"+strings.ToUpper(ent+"_"+win), def, phVelocity)
	r.head = h
	if ok && good {
		s.velocity = append(s.velocity, r)
	}
}

var (
	countryRe  = regexp.MustCompile(`^[A-Za-z]{2}$`)
	currencyRe = regexp.MustCompile(`^[A-Za-z]{3}$`)
)

func (l *loader) amountRule(n *yaml.Node, path string, s *Set) {
	m := l.fields(n, path, "id", "over", "channel", "country", "kind", "currency", "action", "reason", "detail")
	if m == nil {
		return
	}
	l.require(n, m, path, "id", "over", "action")
	var r amountRule
	ok := true
	if v := m["over"]; v != nil {
		r.over, ok = l.number(v, sub(path, "over"), 0, math.MaxFloat64)
	}
	opt := func(key string, dst *string, re *regexp.Regexp, want string) {
		if v := m[key]; v != nil {
			var good bool
			*dst, good = l.str(v, sub(path, key), re, want)
			ok = ok && good
		}
	}
	opt("channel", &r.channel, tokenRe, "a channel (lower-case letters, digits and _: web, app, pos, …)")
	opt("kind", &r.kind, tokenRe, "a transaction kind (lower-case letters, digits and _: card, transfer, …)")
	opt("country", &r.country, countryRe, "an ISO 3166 alpha-2 country code")
	opt("currency", &r.currency, currencyRe, "an ISO 4217 currency code")
	def := "amount {amount} over {over}"
	if r.currency != "" {
		def = "amount {amount} {currency} over {over}"
	}
	h, good := l.head(m, path, "action", ruleActions, "AMOUNT_OVER_LIMIT", def, phAmountR)
	r.head = h
	if ok && good {
		s.amount = append(s.amount, r)
	}
}

func (l *loader) typologyRule(n *yaml.Node, path string, s *Set) {
	m := l.fields(n, path, "id", "typology", "min_hits", "action", "reason", "detail")
	if m == nil {
		return
	}
	l.require(n, m, path, "id", "typology", "action")
	r := typologyRule{minHits: 1}
	ok := true
	if v := m["typology"]; v != nil {
		if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" && v.Value == "*" {
			r.typology = "*"
		} else {
			r.typology, ok = l.str(v, sub(path, "typology"), tokenRe, `a typology name (fan_in, …) or "*"`)
		}
	}
	if v := m["min_hits"]; v != nil {
		h, good := l.integer(v, sub(path, "min_hits"), 1)
		if h > math.MaxInt32 {
			h = math.MaxInt32
		}
		r.minHits = int(h)
		ok = ok && good
	}
	code := "TYPOLOGY_" + strings.ToUpper(r.typology)
	if r.typology == "*" {
		code = "TYPOLOGY_HIT"
	}
	h, good := l.head(m, path, "action", ruleActions, code, "{hits} {typology} detections (min {min_hits})", phTypoR)
	r.head = h
	if ok && good {
		s.typology = append(s.typology, r)
	}
}

func (l *loader) bands(n *yaml.Node, s *Set) {
	elems := l.items(n, "bands")
	if len(elems) == 0 {
		l.errorf(n, "bands", "want at least one band: the bands must cover scores from 0 to 1")
		return
	}
	prev := 0.0
	ok := true
	var bands []band
	for i, e := range elems {
		path := fmt.Sprintf("bands[%d]", i)
		m := l.fields(e, path, "id", "below", "decision", "reason", "detail")
		if m == nil {
			ok = false
			continue
		}
		l.require(e, m, path, "decision")
		last := i == len(elems)-1
		b := band{below: math.Inf(1)}
		switch v := m["below"]; {
		case v == nil && !last:
			l.errorf(e, sub(path, "below"), "missing: only the last band may omit below")
			ok = false
		case v != nil && last:
			l.errorf(v, sub(path, "below"), "the last band must omit below, so that it covers scores up to 1")
			ok = false
		case v != nil:
			x, good := l.number(v, sub(path, "below"), 0, 1)
			switch {
			case !good:
				ok = false
			case x <= prev:
				l.errorf(v, sub(path, "below"), "%s does not exceed the previous bound %g: bands must increase from 0", v.Value, prev)
				ok = false
			default:
				b.below, prev = x, x
			}
		}
		dec := "approve"
		if v := m["decision"]; v != nil && v.Kind == yaml.ScalarNode {
			dec = v.Value
		}
		def := "score {score} below {below}"
		if last {
			def = "score {score}"
		}
		h, good := l.head(m, path, "decision", []string{"approve", "review", "decline"}, "SCORE_"+strings.ToUpper(dec), def, phBand)
		if h.id == "" {
			h.id = fmt.Sprintf("band.%d", i+1)
		}
		b.head = h
		ok = ok && good && m["decision"] != nil
		bands = append(bands, b)
	}
	if ok {
		s.bands = bands
	}
}
