package typology

import (
	"cmp"
	"slices"
)

// Layering typologies that pass money through a layer of accounts.
//
// Scatter-gather: a source pays several intermediaries within Window;
// each passes its share on (at MinRatio..MaxRatio of it, within MaxDelay)
// to one sink. It is checked when an intermediary pays the sink: the
// payment must relay one the intermediary received, and the sink must have
// had such relays from MinIntermediaries distinct intermediaries of the
// same source.
//
// Gather-scatter: a hub receives from MinCounterparties distinct senders
// within Window, then pays MinCounterparties distinct receivers within
// Window, paying out MinRatio..MaxRatio of what it received. It is checked
// on each payment out of the hub.

// relays reports whether out is what an intermediary passes on of in.
func relays(in, out, lo, hi float64) bool {
	return in > 0 && out >= lo*in && out <= hi*in
}

// scatterGather checks transfer x as an intermediary m paying a sink s.
func (e *Engine) scatterGather(m, s *account, x transfer) {
	c := &e.cfg.ScatterGather
	d, w := int64(c.MaxDelay), int64(c.Window)
	srcIn := m.in.between(x.t-d, x.t)
	var tried []*account
	for i := len(srcIn) - 1; i >= 0; i-- {
		y := &srcIn[i]
		src := y.peer
		if src == s || !relays(y.amt, x.amt, c.MinRatio, c.MaxRatio) || slices.Contains(tried, src) {
			continue
		}
		tried = append(tried, src)
		e.gatherFrom(src, s, y.t, x, c, d, w)
	}
}

// gatherFrom counts the intermediaries that relayed money from src to s
// around the scatter at scatterT, and reports the pattern when there are
// enough.
func (e *Engine) gatherFrom(src, s *account, scatterT int64, x transfer, c *ScatterGatherConfig, d, w int64) {
	parts := e.parts[:0]
	var mids []*account
	sum := 0.0
	sinkIn := s.in.between(x.t-w-d, x.t)
	for j := range sinkIn {
		z := &sinkIn[j]
		mid := z.peer
		if mid == src || slices.Contains(mids, mid) {
			continue
		}
		for _, u := range mid.in.between(z.t-d, z.t) {
			if u.peer != src || u.t < scatterT-w || u.t > scatterT+w || !relays(u.amt, z.amt, c.MinRatio, c.MaxRatio) {
				continue
			}
			mids = append(mids, mid)
			sum += u.amt
			parts = append(parts,
				part{t: u.t, amt: u.amt, from: src, to: mid, txn: u.txn},
				part{t: z.t, amt: z.amt, from: mid, to: s, txn: z.txn})
			break
		}
	}
	e.parts = parts
	if len(mids) < c.MinIntermediaries {
		return
	}
	key := epKey{typ: tScatterGather, a: uint64(src.serial), b: uint64(s.serial)}
	// The sink leads the relays: put it right after the source.
	parts = append(parts[:0:0], parts...)
	slices.SortStableFunc(parts, func(a, b part) int {
		return cmp.Compare(sgOrder(a, s), sgOrder(b, s))
	})
	e.report(tScatterGather, key, w+d, src, s.id, x.t, parts, [4]float64{sum})
}

// sgOrder puts a scatter-gather's payments out of the source first, so
// that the members list the source, the intermediaries, then the sink.
func sgOrder(p part, sink *account) int {
	if p.to == sink {
		return 1
	}
	return 0
}

// gatherScatter checks transfer x as a hub h paying out.
func (e *Engine) gatherScatter(h *account, x transfer) {
	c := &e.cfg.GatherScatter
	w := int64(c.Window)
	outs := h.out.since(x.t - w)
	if len(outs) < c.MinCounterparties {
		return
	}
	first := outs[0].t
	ins := h.in.between(first-w, first)
	if len(ins) > 0 && ins[len(ins)-1].t == first {
		// Payments in at the very instant of the first payment out may
		// come after it: leave them out.
		k := len(ins)
		for k > 0 && ins[k-1].t == first {
			k--
		}
		ins = ins[:k]
	}
	if len(ins) < c.MinCounterparties {
		return // checked first: it is cheap, and most payers have no such inflow
	}
	receivers := e.distinct(outs)
	if receivers < c.MinCounterparties {
		return
	}
	senders := e.distinct(ins)
	in, out := 0.0, 0.0
	for _, y := range ins {
		in += y.amt
	}
	for _, y := range outs {
		out += y.amt
	}
	if senders < c.MinCounterparties || (c.MinTotal > 0 && in < c.MinTotal) || !relays(in, out, c.MinRatio, c.MaxRatio) {
		return
	}
	parts := e.parts[:0]
	for _, y := range ins {
		parts = append(parts, part{t: y.t, amt: y.amt, from: y.peer, to: h, txn: y.txn})
	}
	for _, y := range outs {
		parts = append(parts, part{t: y.t, amt: y.amt, from: h, to: y.peer, txn: y.txn})
	}
	e.parts = parts
	e.report(tGatherScatter, epKey{typ: tGatherScatter, a: uint64(h.serial)}, 2*w, h, "", x.t, parts,
		[4]float64{in, float64(senders), float64(receivers), out})
}

// distinct counts the distinct counterparties of w.
func (e *Engine) distinct(w []edge) int {
	peers := e.peers[:0]
	for i := range w {
		peers = append(peers, peerIdx{serial: w[i].peer.serial})
	}
	e.peers = peers
	slices.SortFunc(peers, func(a, b peerIdx) int { return cmp.Compare(a.serial, b.serial) })
	n := 0
	for i := range peers {
		if i == 0 || peers[i].serial != peers[i-1].serial {
			n++
		}
	}
	return n
}
