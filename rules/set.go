package rules

import (
	"bytes"
	"fmt"
	"math"
	"strings"

	"github.com/riskgraph/riskgraph/graph"
)

// Set is a validated, immutable rule set, safe for concurrent use. Get one
// from Load or LoadFile: the zero Set is not usable.
type Set struct {
	name        string
	version     string
	description string
	digest      string
	source      []byte // the file as loaded
	degraded    Decision

	block, allow [graph.NumKinds]map[string]struct{}
	blockChecks  []listCheck
	allowChecks  []listCheck

	velocity []velocityRule
	amount   []amountRule
	typology []typologyRule
	bands    []band

	// typoIndex maps a typology name to the indexes of its rules in
	// typology ("*" rules excluded); nil with more than
	// maxIndexedTypology rules.
	typoIndex map[string][]int
}

// maxIndexedTypology bounds the typology rules Evaluate indexes (a bit set
// on the stack marks those that fire).
const maxIndexedTypology = 128

// listCheck looks one transaction field up in one list.
type listCheck struct {
	edge   graph.EdgeKind // the field: Txn.Entity(edge)
	values map[string]struct{}
	hit    Hit
}

// head is what every rule has.
type head struct {
	id     string
	code   string
	action Decision
	detail detail
}

func (h *head) hit(v *vars) Hit {
	v.id = h.id
	return Hit{RuleID: h.id, Code: h.code, Detail: h.detail.render(v), Action: h.action}
}

type velocityRule struct {
	head
	entity    graph.Kind
	name      string // the entity in lower case
	window    Window
	maxCount  int64 // < 0: no count limit
	maxAmount float64
	hasAmount bool
}

type amountRule struct {
	head
	over                             float64
	channel, country, kind, currency string // "" matches anything
}

type typologyRule struct {
	head
	typology string // "*" for any
	minHits  int
}

type band struct {
	head          // action is the band's decision
	below float64 // +Inf for the last band
}

// Name returns the name the set was loaded under (usually its path).
func (s *Set) Name() string { return s.name }

// Version returns the file's version, stamped on every Result.
func (s *Set) Version() string { return s.version }

// Description returns the file's free-text description ("" when none).
func (s *Set) Description() string { return s.description }

// Digest returns "sha256:" and the hex SHA-256 of the file's bytes.
func (s *Set) Digest() string { return s.digest }

// Source returns the bytes the set was loaded from (Digest is their
// SHA-256): what an archive keeps to replay a past decision under the
// same rules. The caller owns the slice.
func (s *Set) Source() []byte { return bytes.Clone(s.source) }

// String summarises the set, e.g. "rules.yaml (2026-11-26.1): 12 velocity,
// 3 amount, 2 typology rules, 3 bands, 10000 blocked, 20 allowed".
func (s *Set) String() string {
	var blocked, allowed int
	for k := range s.block {
		blocked += len(s.block[k])
		allowed += len(s.allow[k])
	}
	return fmt.Sprintf("%s (%s): %d velocity, %d amount, %d typology rules, %d bands, %d blocked, %d allowed",
		s.name, s.version, len(s.velocity), len(s.amount), len(s.typology), len(s.bands), blocked, allowed)
}

// Blocked reports whether value is on the block list of kind k (for
// tooling; Evaluate does its own look-ups).
func (s *Set) Blocked(k graph.Kind, value string) bool {
	if int(k) >= len(s.block) {
		return false
	}
	_, ok := s.block[k][value]
	return ok
}

// Allowed reports whether value is on the allow list of kind k.
func (s *Set) Allowed(k graph.Kind, value string) bool {
	if int(k) >= len(s.allow) {
		return false
	}
	_, ok := s.allow[k][value]
	return ok
}

// Evaluate decides one transaction; see the package documentation for the
// precedence. It panics if in.Txn is nil (a programming error). Evaluate
// allocates only for hits: one slice and one string per templated detail.
func (s *Set) Evaluate(in Input) Result {
	t := in.Txn
	if t == nil {
		panic("rules: Evaluate with a nil Input.Txn")
	}
	res := Result{Version: s.version}
	var hits hitBuf
	addHit := hits.add

	for i := range s.blockChecks {
		c := &s.blockChecks[i]
		if v := t.Entity(c.edge); v != "" {
			if _, ok := c.values[v]; ok {
				addHit(c.hit)
				res.Blocked = true
			}
		}
	}
	allowed := false
	for i := range s.allowChecks {
		c := &s.allowChecks[i]
		if v := t.Entity(c.edge); v != "" {
			if _, ok := c.values[v]; ok {
				addHit(c.hit)
				allowed = true
			}
		}
	}

	var strictest Decision // strictest rule action; 0 when none fired
	for i := range s.velocity {
		r := &s.velocity[i]
		c := in.Facts.Velocity[r.entity][r.window]
		if (r.maxCount >= 0 && int64(c.Count) > r.maxCount) || (r.hasAmount && c.Amount > r.maxAmount) {
			addHit(r.hit(&vars{txn: t, entity: r.name, window: r.window,
				count: c.Count, sum: c.Amount, maxCount: r.maxCount, maxAmt: r.maxAmount}))
			strictest = max(strictest, r.action)
		}
	}
	for i := range s.amount {
		r := &s.amount[i]
		if t.Amount > r.over &&
			(r.channel == "" || r.channel == t.Channel) &&
			(r.kind == "" || r.kind == t.Kind) &&
			(r.country == "" || strings.EqualFold(r.country, t.Country)) &&
			(r.currency == "" || strings.EqualFold(r.currency, t.Currency)) {
			addHit(r.hit(&vars{txn: t, over: r.over}))
			strictest = max(strictest, r.action)
		}
	}
	if n := len(in.Facts.Typologies); n > 0 {
		// Few facts (the usual case): look each up once in the rules'
		// index and mark the rules that fire; many: look each rule up.
		var fired [maxIndexedTypology / 64]uint64
		indexed := n < len(s.typology) && s.typoIndex != nil
		if indexed {
			for name, hits := range in.Facts.Typologies {
				for _, i := range s.typoIndex[name] {
					if hits >= s.typology[i].minHits {
						fired[i/64] |= 1 << (i % 64)
					}
				}
			}
		}
		for i := range s.typology {
			r := &s.typology[i]
			name, hits := r.typology, 0
			switch {
			case name == "*":
				name, hits = maxTypology(in.Facts.Typologies)
			case indexed:
				if fired[i/64]&(1<<(i%64)) == 0 {
					continue
				}
				hits = in.Facts.Typologies[name]
			default:
				hits = in.Facts.Typologies[name]
			}
			if hits >= r.minHits {
				addHit(r.hit(&vars{txn: t, typology: name, hits: hits, minHits: r.minHits}))
				strictest = max(strictest, r.action)
			}
		}
	}

	base := s.degraded
	if in.HasScore && !math.IsNaN(in.Score) {
		b := &s.bands[len(s.bands)-1]
		for i := range s.bands {
			if in.Score < s.bands[i].below {
				b = &s.bands[i]
				break
			}
		}
		addHit(b.hit(&vars{txn: t, score: in.Score, below: b.below}))
		base = b.action
	} else {
		res.Degraded = true
	}

	res.Hits = hits.slice()
	switch {
	case res.Blocked:
		res.Decision = Decline
	case allowed && strictest < Decline:
		res.Decision = Approve
	default:
		res.Decision = max(strictest, base)
	}
	return res
}

// hitBuf collects hits on the stack, so that Evaluate allocates the
// result's slice once, at its final size.
type hitBuf struct {
	n    int
	arr  [8]Hit
	more []Hit // beyond len(arr)
}

func (b *hitBuf) add(h Hit) {
	if b.n < len(b.arr) {
		b.arr[b.n] = h
		b.n++
		return
	}
	b.more = append(b.more, h)
}

func (b *hitBuf) slice() []Hit {
	if b.n == 0 {
		return nil
	}
	out := make([]Hit, b.n, b.n+len(b.more))
	copy(out, b.arr[:b.n])
	return append(out, b.more...)
}

// maxTypology returns the typology with the most hits (the smallest name
// on a tie, so the result does not depend on map order).
func maxTypology(m map[string]int) (string, int) {
	best, n := "", 0
	for k, v := range m {
		if v > n || (v == n && v > 0 && k < best) {
			best, n = k, v
		}
	}
	return best, n
}
