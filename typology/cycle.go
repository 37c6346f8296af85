package typology

import (
	"slices"
	"strings"
)

// Cycles (round-tripping): money that goes round a loop of distinct
// accounts, A→B→…→A, within Window. By default the loop is temporal: each
// hop is strictly later than the one before, so the money can have gone
// round (a "temporal cycle", Kumar and Calders, 2-SCENT, 2018); a loop
// whose hops run backwards in time is not a round trip. Consecutive hops
// carry about the same amount (AmountTolerance): the same money, less
// fees.
//
// Each transfer is tried as the last hop of a loop: a depth-first search
// walks back from its sender through earlier transfers until it reaches
// its receiver, so every temporal cycle is found once, when its last hop
// arrives, with work bounded by MaxExpansions. A loop seen again (the same
// accounts in the same order, within the window) joins the same alert.

// cycleSearch is the state of one backward search for loops.
type cycleSearch struct {
	e      *Engine
	c      *CycleConfig
	x      transfer
	target *account // the account the loop must return to (x's receiver)
	lo     int64    // earliest time a hop may have
	budget int
	found  []uint64 // loops reported by this search
}

// cycle looks for the loops that transfer x closes.
func (e *Engine) cycle(from, to *account, x transfer) {
	c := &e.cfg.Cycle
	if c.MinAmount > 0 && x.amt < c.MinAmount {
		return
	}
	e.path = append(e.path[:0], hop{edge: edge{t: x.t, amt: x.amt, peer: to, txn: x.id}, from: from, to: to})
	s := cycleSearch{e: e, c: c, x: x, target: to, lo: x.t - int64(c.Window), budget: c.MaxExpansions}
	s.extend(from)
}

// extend tries every transfer into acc that could be the hop before the
// path's earliest one.
func (s *cycleSearch) extend(acc *account) {
	e, c := s.e, s.c
	next := e.path[len(e.path)-1]
	hi := next.t
	if c.AnyOrder {
		hi = s.x.t
	}
	in := acc.in.between(s.lo, hi)
	var prev *edge
	for i := len(in) - 1; i >= 0; i-- {
		y := &in[i]
		switch {
		case !c.AnyOrder && y.t >= next.t,
			c.AnyOrder && y.txn == s.x.id,
			c.MinAmount > 0 && y.amt < c.MinAmount,
			!similar(y.amt, next.amt, c.AmountTolerance),
			prev != nil && y.peer == prev.peer && y.t == prev.t && y.amt == prev.amt: // a parallel copy
			continue
		}
		prev = y
		if s.budget--; s.budget < 0 {
			return
		}
		if y.peer == s.target {
			if len(e.path)+1 >= c.MinLen {
				e.path = append(e.path, hop{edge: *y, from: y.peer, to: acc})
				s.report()
				e.path = e.path[:len(e.path)-1]
			}
			continue
		}
		if len(e.path)+2 > c.MaxLen || s.onPath(y.peer) {
			continue
		}
		e.path = append(e.path, hop{edge: *y, from: y.peer, to: acc})
		s.extend(y.peer)
		e.path = e.path[:len(e.path)-1]
	}
}

func (s *cycleSearch) onPath(a *account) bool {
	for _, h := range s.e.path {
		if h.from == a || h.to == a {
			return true
		}
	}
	return false
}

// similar reports whether two consecutive hops carry about the same
// amount: they differ by at most tol of the larger.
func similar(a, b, tol float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= tol*max(a, b)
}

// report raises (or extends) the loop on the search path.
func (s *cycleSearch) report() {
	e := s.e
	path := e.path
	n := len(path)
	// Forward order is the path reversed: path[n-1] leaves the target.
	parts := e.parts[:0]
	for i := n - 1; i >= 0; i-- {
		h := &path[i]
		parts = append(parts, part{t: h.t, amt: h.amt, from: h.from, to: h.to, txn: h.txn})
	}
	// The loop's identity: its accounts from the one with the smallest
	// serial, in order.
	first := 0
	for i := range parts {
		if parts[i].from.serial < parts[first].from.serial {
			first = i
		}
	}
	key := uint64(14695981039346656037)
	for k := range n {
		key ^= uint64(parts[(first+k)%n].from.serial)
		key *= 1099511628211
	}
	if slices.Contains(s.found, key) {
		e.parts = parts
		return
	}
	s.found = append(s.found, key)
	// The focus is the sender of the earliest hop; the alert lists the
	// loop from there.
	start := 0
	for i := range parts {
		if parts[i].t < parts[start].t {
			start = i
		}
	}
	rot := append(parts[start:n:n], parts[:start]...)
	e.parts = parts
	e.report(tCycle, epKey{typ: tCycle, a: key}, int64(s.c.Window), rot[0].from, loopName(rot), s.x.t, rot, [4]float64{})
}

// loopName is the loop's accounts, from the smallest id, joined by ">":
// the same loop has the same name whatever the order transfers came in.
func loopName(parts []part) string {
	first := 0
	for i := range parts {
		if parts[i].from.id < parts[first].from.id {
			first = i
		}
	}
	var b strings.Builder
	for k := range parts {
		if k > 0 {
			b.WriteByte('>')
		}
		b.WriteString(parts[(first+k)%len(parts)].from.id)
	}
	return b.String()
}
