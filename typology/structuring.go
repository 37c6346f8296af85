package typology

// Structuring (smurfing below a threshold): one account makes repeated
// transfers just under the amount that triggers a currency transaction
// report, so that none is reported. A pattern is MinCount or more
// transfers from one account in [Threshold·(1−Band), Threshold) within
// Window. The counterparties do not matter: structurers spread the
// transfers across several.

// structuring checks the sender of transfer x.
func (e *Engine) structuring(from *account, x transfer) {
	c := &e.cfg.Structuring
	lo := c.Threshold * (1 - c.Band)
	if x.amt < lo || x.amt >= c.Threshold {
		return
	}
	parts := e.parts[:0]
	for _, y := range from.out.since(x.t - int64(c.Window)) {
		if y.amt >= lo && y.amt < c.Threshold {
			parts = append(parts, part{t: y.t, amt: y.amt, from: from, to: y.peer, txn: y.txn})
		}
	}
	e.parts = parts
	if len(parts) < c.MinCount {
		return
	}
	e.report(tStructuring, epKey{typ: tStructuring, a: uint64(from.serial)}, int64(c.Window), from, "", x.t, parts, [4]float64{})
}
