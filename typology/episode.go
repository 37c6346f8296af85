package typology

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// An episode is one detected pattern while it may still grow: the fan-in
// that keeps receiving, the cycle that goes round again. Its alert is
// raised when it opens; transfers that extend it within its window join
// it; it closes when its window passes with nothing new.
type episode struct {
	typ     int
	alert   Alert
	window  int64 // unix ns: how long it stays open after its latest part
	last    int64 // time of its latest part
	members map[*account]struct{}
	txns    map[string]struct{}
	times   []int64 // time of each alert.Txns entry
	figs    [4]float64
}

// epKey identifies an open episode: its typology and up to two numbers
// (account serials, or a hash) that tell it apart from the others.
type epKey struct {
	typ  uint8
	a, b uint64
}

// part is one transfer of a pattern.
type part struct {
	t        int64
	amt      float64
	from, to *account
	txn      string
}

// report adds the parts of a pattern to its open episode, or opens one
// (raising its alert) when none is open. focus leads the members; disc
// tells apart episodes that share a focus and a start (the sink of a
// scatter-gather, the accounts of a cycle). at is the time of the transfer
// that completed the pattern; figs are typology-specific figures for the
// alert's detail (the latest report's win).
func (e *Engine) report(typ int, key epKey, window int64, focus *account, disc string, at int64, parts []part, figs [4]float64) {
	ep := e.open[key]
	if ep != nil && ep.last < at-window {
		delete(e.open, key)
		ep = nil
	}
	opened := ep == nil
	if opened {
		start := parts[0].t
		for _, p := range parts {
			start = min(start, p.t)
		}
		focusRef := graph.Ref(graph.KindAccount, focus.id)
		ep = &episode{
			typ:    typ,
			window: window,
			alert: Alert{
				ID:       alertID(transferNames[typ], focusRef, start, disc),
				Typology: transferNames[typ],
				Focus:    focusRef,
				Start:    time.Unix(0, start).UTC(),
				At:       time.Unix(0, at).UTC(),
			},
			members: make(map[*account]struct{}),
			txns:    make(map[string]struct{}),
		}
		e.open[key] = ep
		if e.collect {
			e.all = append(e.all, ep)
		}
		e.join(ep, focus, at)
	}
	for _, p := range parts {
		if _, ok := ep.txns[p.txn]; ok {
			continue
		}
		ep.txns[p.txn] = struct{}{}
		ep.alert.Txns = append(ep.alert.Txns, p.txn)
		ep.times = append(ep.times, p.t)
		ep.alert.Amount += p.amt
		if s := time.Unix(0, p.t).UTC(); s.Before(ep.alert.Start) {
			ep.alert.Start = s
		}
		e.join(ep, p.from, at)
		e.join(ep, p.to, at)
	}
	ep.last = max(ep.last, at)
	ep.figs = figs
	if opened {
		e.raised = append(e.raised, e.finish(ep))
	}
}

// join adds a member to an episode and counts the hit for it and for the
// user last seen paying from it.
func (e *Engine) join(ep *episode, a *account, at int64) {
	if _, ok := ep.members[a]; ok {
		return
	}
	ep.members[a] = struct{}{}
	ref := graph.Ref(graph.KindAccount, a.id)
	ep.alert.Members = append(ep.alert.Members, ref)
	typ := typologyIndex(ep.alert.Typology)
	e.hitOnce(ep.alert.ID, ref, at, typ)
	if a.user != "" {
		e.hitOnce(ep.alert.ID, graph.Ref(graph.KindUser, a.user), at, typ)
	}
}

// finish returns a copy of the episode's alert, complete: its
// transactions in time order, its end, severity and detail.
func (e *Engine) finish(ep *episode) Alert {
	a := ep.alert
	a.Members = slices.Clone(a.Members)
	idx := make([]int, len(a.Txns))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(i, j int) int { return int(sign(ep.times[i] - ep.times[j])) })
	a.Txns = make([]string, len(idx))
	end := int64(math.MinInt64)
	for k, i := range idx {
		a.Txns[k] = ep.alert.Txns[i]
		end = max(end, ep.times[i])
	}
	a.End = time.Unix(0, end).UTC()
	a.Amount = roundCents(a.Amount)
	a.Severity, a.Detail = e.describe(ep.typ, &a, ep.figs)
	return a
}

// roundCents rounds an amount to cents, so sums of many transfers print
// and compare without float noise.
func roundCents(v float64) float64 { return math.Round(v*100) / 100 }

func sign(v int64) int64 {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

// describe returns an alert's severity and detail.
func (e *Engine) describe(typ int, a *Alert, figs [4]float64) (Severity, string) {
	c := &e.cfg
	span := duration(a.End.Sub(a.Start))
	n := len(a.Members)
	switch typ {
	case tFanIn, tFanOut:
		min, verb := c.FanIn.MinCounterparties, "senders into one account"
		if typ == tFanOut {
			min, verb = c.FanOut.MinCounterparties, "receivers paid by one account"
		}
		sev := SeverityMedium
		if n-1 >= 2*min {
			sev = SeverityHigh
		}
		return sev, fmt.Sprintf("%d %s in %s, %s total", n-1, verb, span, money(a.Amount))
	case tScatterGather:
		return SeverityHigh, fmt.Sprintf("one source split %s across %d intermediaries that passed it to one sink, in %s", money(figs[0]), n-2, span)
	case tGatherScatter:
		return SeverityHigh, fmt.Sprintf("a hub collected %s from %d senders and paid %s to %d receivers, in %s",
			money(figs[0]), int(figs[1]), money(figs[3]), int(figs[2]), span)
	case tCycle:
		return SeverityHigh, fmt.Sprintf("money went round %d accounts back to the first, %d transfers in %s, %s total", n, len(a.Txns), span, money(a.Amount))
	case tStructuring:
		sev := SeverityMedium
		if len(a.Txns) >= 2*c.Structuring.MinCount {
			sev = SeverityHigh
		}
		return sev, fmt.Sprintf("%d transfers just under %s in %s, %s total", len(a.Txns), money(c.Structuring.Threshold), span, money(a.Amount))
	case tPassThrough:
		sev := SeverityLow
		if figs[0] >= 10*c.PassThrough.MinAmount {
			sev = SeverityMedium
		}
		return sev, fmt.Sprintf("received %s and paid out %s within %s", money(figs[0]), money(figs[1]), span)
	case tMuleChain:
		sev := SeverityMedium
		if int(figs[0]) >= 5 {
			sev = SeverityHigh
		}
		return sev, fmt.Sprintf("%d-hop relay chain through %d accounts, %s at the start, in %s", int(figs[0]), n, money(figs[1]), span)
	}
	panic(fmt.Sprintf("typology: no description for typology %d", typ))
}

// alertID is the stable id of a detection: the typology, a digest of the
// focus, the start and the discriminator.
func alertID(typ string, focus graph.NodeRef, start int64, disc string) string {
	h := sha256.New()
	h.Write([]byte(typ))
	h.Write([]byte{0})
	h.Write([]byte(focus.String()))
	h.Write([]byte{0})
	h.Write(strconv.AppendInt(nil, start, 10))
	h.Write([]byte{0})
	h.Write([]byte(disc))
	return typ + "-" + hex.EncodeToString(h.Sum(nil)[:8])
}

// money formats an amount with thousands separators: 41,200.00.
func money(v float64) string {
	s := strconv.FormatFloat(math.Abs(v), 'f', 2, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if v < 0 {
		b.WriteByte('-')
	}
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	b.WriteByte('.')
	b.WriteString(frac)
	return b.String()
}

// duration formats a span for people: 45m, 6h30m, 3d4h.
func duration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	}
	days, h := int(d.Hours())/24, int(d.Hours())%24
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%dh", days, h)
}
