package typology

// Rapid pass-through: an account pays out, within MaxDelay, about what it
// has just received: the money does not stay. On each payment out, the
// payments in of the last MaxDelay are set against everything paid out
// since the first of them; a ratio out/in within [MinRatio, MaxRatio] is
// a pass-through.
//
// Mule chains: the pass-through repeated along a path, A→B→C→…, each
// intermediate account relaying what it received (within HopDelay, at
// MinRatio..MaxRatio of the amount) to the next. A chain is reported when
// its longest relay path ending with a transfer has MinHops transfers or
// more, and grows while later hops extend it.

// passThrough checks the sender of transfer x.
func (e *Engine) passThrough(p *account, x transfer) {
	c := &e.cfg.PassThrough
	ins := p.in.between(x.t-int64(c.MaxDelay), x.t)
	if len(ins) == 0 {
		return
	}
	in := 0.0
	for _, y := range ins {
		in += y.amt
	}
	if (c.MinAmount > 0 && in < c.MinAmount) || in <= 0 {
		return
	}
	outs := p.out.between(ins[0].t, x.t)
	out := 0.0
	for _, y := range outs {
		out += y.amt
	}
	if out < c.MinRatio*in || out > c.MaxRatio*in {
		return
	}
	parts := e.parts[:0]
	for _, y := range ins {
		parts = append(parts, part{t: y.t, amt: y.amt, from: y.peer, to: p, txn: y.txn})
	}
	for _, y := range outs {
		parts = append(parts, part{t: y.t, amt: y.amt, from: p, to: y.peer, txn: y.txn})
	}
	e.parts = parts
	e.report(tPassThrough, epKey{typ: tPassThrough, a: uint64(p.serial)}, int64(c.MaxDelay), p, "", x.t, parts, [4]float64{in, out})
}

// hop is one transfer on a searched path.
type hop struct {
	edge
	from, to *account
}

// chainSearch is the state of one backward search for relay paths.
type chainSearch struct {
	e      *Engine
	c      *ChainConfig
	budget int
}

// muleChain looks for the longest relay chain that transfer x ends.
func (e *Engine) muleChain(from, to *account, x transfer) {
	c := &e.cfg.MuleChain
	if c.MinAmount > 0 && x.amt < c.MinAmount {
		return
	}
	e.path = append(e.path[:0], hop{edge: edge{t: x.t, amt: x.amt, peer: to, txn: x.id}, from: from, to: to})
	e.best = e.best[:0]
	s := chainSearch{e: e, c: c, budget: c.MaxExpansions}
	s.extend(from)
	if len(e.best) < c.MinHops {
		return
	}
	// e.best runs from x backwards; the chain starts at its last hop.
	parts := e.parts[:0]
	for i := len(e.best) - 1; i >= 0; i-- {
		h := &e.best[i]
		parts = append(parts, part{t: h.t, amt: h.amt, from: h.from, to: h.to, txn: h.txn})
	}
	e.parts = parts
	first := parts[0]
	key := epKey{typ: tMuleChain, a: fnv64(first.txn)}
	e.report(tMuleChain, key, int64(c.HopDelay), first.from, first.txn, x.t, parts, [4]float64{float64(len(parts)), first.amt})
}

// fnv64 is the 64-bit FNV-1a hash of s.
func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// extend tries every transfer into acc that the path's earliest hop could
// be relaying, keeping the longest path in e.best.
func (s *chainSearch) extend(acc *account) {
	e, c := s.e, s.c
	next := e.path[len(e.path)-1]
	in := acc.in.between(next.t-int64(c.HopDelay), next.t)
	for i := len(in) - 1; i >= 0; i-- {
		y := in[i]
		if y.t >= next.t || y.amt <= 0 || (c.MinAmount > 0 && y.amt < c.MinAmount) {
			continue
		}
		if r := next.amt / y.amt; r < c.MinRatio || r > c.MaxRatio || s.onPath(y.peer) {
			continue
		}
		if s.budget--; s.budget < 0 {
			return
		}
		e.path = append(e.path, hop{edge: y, from: y.peer, to: acc})
		if len(e.path) > len(e.best) {
			e.best = append(e.best[:0], e.path...)
		}
		if len(e.path) < c.MaxHops {
			s.extend(y.peer)
		}
		e.path = e.path[:len(e.path)-1]
	}
}

func (s *chainSearch) onPath(a *account) bool {
	for _, h := range s.e.path {
		if h.from == a || h.to == a {
			return true
		}
	}
	return false
}
