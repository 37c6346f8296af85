package typology

import (
	"cmp"
	"slices"
)

// Fan-in and fan-out: many distinct counterparties into (out of) one
// account within a window. A fan is reported when, in the window ending
// with a transfer of the focus, at least MinCounterparties distinct
// counterparties made at least MinTransfersEach transfers each with it,
// worth MinTotal together, leaving out bulk runs (BulkMin transfers within
// BulkSpan: payroll and supplier runs, sent as one payment file).
//
// The rule is the one of FATF's and AMLSim's fan typologies; the bulk-run
// exclusion is what banks do with payment files, and MinTotal keeps the
// landlord collecting rent from a dozen tenants out of the alerts.

// peerIdx is an edge's counterparty serial and its index in the window.
type peerIdx struct {
	serial uint32
	i      int32
}

// fan checks the fan of focus whose transfers in one direction are q,
// after a transfer at t.
func (e *Engine) fan(typ int, focus *account, q *edges, t int64, c *FanConfig) {
	w := q.since(t - int64(c.Window))
	need := c.MinCounterparties * c.MinTransfersEach
	if len(w) < need {
		return
	}
	mask := e.bulkMask(w, c)
	peers := e.peers[:0]
	for i := range w {
		if !mask[i] {
			peers = append(peers, peerIdx{w[i].peer.serial, int32(i)})
		}
	}
	e.peers = peers
	if len(peers) < need {
		return
	}
	slices.SortFunc(peers, func(a, b peerIdx) int {
		if c := cmp.Compare(a.serial, b.serial); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	// Keep the edges of counterparties with enough transfers.
	kept, distinct, total := peers[:0], 0, 0.0
	for lo := 0; lo < len(peers); {
		hi := lo + 1
		for hi < len(peers) && peers[hi].serial == peers[lo].serial {
			hi++
		}
		if hi-lo >= c.MinTransfersEach {
			distinct++
			for _, p := range peers[lo:hi] {
				total += w[p.i].amt
				kept = append(kept, p)
			}
		}
		lo = hi
	}
	if distinct < c.MinCounterparties || (c.MinTotal > 0 && total < c.MinTotal) {
		return
	}
	slices.SortFunc(kept, func(a, b peerIdx) int { return cmp.Compare(a.i, b.i) })
	parts := e.parts[:0]
	for _, p := range kept {
		x := &w[p.i]
		if typ == tFanOut {
			parts = append(parts, part{t: x.t, amt: x.amt, from: focus, to: x.peer, txn: x.txn})
		} else {
			parts = append(parts, part{t: x.t, amt: x.amt, from: x.peer, to: focus, txn: x.txn})
		}
	}
	e.parts = parts
	e.report(typ, epKey{typ: uint8(typ), a: uint64(focus.serial)}, int64(c.Window), focus, "", t, parts, [4]float64{float64(distinct)})
}

// bulkMask marks the edges of w that belong to a bulk run.
func (e *Engine) bulkMask(w []edge, c *FanConfig) []bool {
	mask := e.mask[:0]
	for range w {
		mask = append(mask, false)
	}
	e.mask = mask
	if c.BulkMin <= 0 || len(w) < c.BulkMin {
		return mask
	}
	span, marked := int64(c.BulkSpan), -1
	for i, j := 0, 0; j < len(w); j++ {
		for w[j].t-w[i].t > span {
			i++
		}
		if j-i+1 >= c.BulkMin {
			for k := max(i, marked+1); k <= j; k++ {
				mask[k] = true
			}
			marked = j
		}
	}
	return mask
}
