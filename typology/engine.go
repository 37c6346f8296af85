package typology

import (
	"context"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// Engine detects the transfer typologies incrementally: it observes
// transfers as they arrive and raises an alert when one completes a
// pattern. It keeps, per account, the transfers of the longest enabled
// window (Config.lookback) and forgets older ones, so its memory is
// bounded by the traffic of that window (about 100 bytes per transfer,
// capped at Config.MaxEdgesPerAccount per account and direction), not by
// history. Shared-identifier rings are not transfers: Detect finds them,
// and Record feeds them to Hits.
//
// An Engine is safe for concurrent use; calls are serialised by one lock.
type Engine struct {
	mu       sync.Mutex
	cfg      Config
	lookback int64 // unix ns
	on       [numTransferTypologies]bool
	any      bool // some transfer typology is on

	accounts map[string]*account
	serial   uint32
	clock    int64 // latest transfer time seen
	sweepAt  int64
	late     int

	open    map[epKey]*episode
	collect bool       // keep every episode (Detect)
	all     []*episode // every episode, when collect
	raised  []Alert    // alerts raised by the current Observe

	hits map[graph.NodeRef][]hitRec // alerts joined, by member, ascending in time

	// seen holds the ids of the transfers in the lookback (with their
	// times), so that a transfer observed twice — the authorization path
	// and the log's consumer both hand it over — counts once.
	seen map[string]int64
	// counted holds (alert id, member) pairs already counted in hits, with
	// their times: an alert raised here and also recorded from the alert
	// log (a restarted serve restores its hits) counts once.
	counted map[countKey]int64

	// Scratch space reused across calls.
	peers []peerIdx
	mask  []bool
	parts []part
	path  []hop
	best  []hop
}

// Transfer typologies, indexing Engine.on.
const (
	tFanIn = iota
	tFanOut
	tScatterGather
	tGatherScatter
	tCycle
	tStructuring
	tPassThrough
	tMuleChain
	numTransferTypologies
)

var transferNames = [numTransferTypologies]string{FanIn, FanOut, ScatterGather, GatherScatter, Cycle, Structuring, RapidPassThrough, MuleChain}

// maxHitsPerNode bounds the alert times remembered per node; Hits
// saturates there.
const maxHitsPerNode = 1024

// account is one account's recent transfers.
type account struct {
	id     string
	serial uint32
	user   string // the user seen paying from the account most recently
	in     edges  // transfers received, by time
	out    edges  // transfers sent, by time
}

// edge is one transfer seen from one of its accounts.
type edge struct {
	t    int64 // unix ns
	amt  float64
	peer *account
	txn  string
}

// edges is a time-ordered queue of transfers.
type edges struct {
	e    []edge
	head int
}

func (q *edges) live() []edge { return q.e[q.head:] }

// since returns the edges at or after t.
func (q *edges) since(t int64) []edge {
	l := q.live()
	i := sort.Search(len(l), func(i int) bool { return l[i].t >= t })
	return l[i:]
}

// between returns the edges in [from, to].
func (q *edges) between(from, to int64) []edge {
	l := q.since(from)
	j := sort.Search(len(l), func(i int) bool { return l[i].t > to })
	return l[:j]
}

// trim forgets the edges before t.
func (q *edges) trim(t int64) {
	l := q.live()
	i := sort.Search(len(l), func(i int) bool { return l[i].t >= t })
	q.drop(i)
}

func (q *edges) drop(n int) {
	if n == 0 {
		return
	}
	clear(q.e[q.head : q.head+n]) // release peers and ids
	q.head += n
	if q.head == len(q.e) {
		q.e, q.head = q.e[:0], 0
	} else if q.head > 32 && q.head > len(q.e)/2 {
		n := copy(q.e, q.e[q.head:])
		clear(q.e[n:])
		q.e, q.head = q.e[:n], 0
	}
}

// add inserts x in time order (after edges of the same time) and keeps at
// most limit edges.
func (q *edges) add(x edge, limit int) {
	l := q.live()
	if len(l) == 0 || l[len(l)-1].t <= x.t {
		q.e = append(q.e, x)
	} else {
		i := q.head + sort.Search(len(l), func(i int) bool { return l[i].t > x.t })
		q.e = append(q.e, edge{})
		copy(q.e[i+1:], q.e[i:])
		q.e[i] = x
	}
	if n := len(q.e) - q.head; n > limit {
		q.drop(n - limit)
	}
}

// transfer is one account-to-account transfer.
type transfer struct {
	t        int64
	amt      float64
	from, to string
	user     string
	id       string
}

// NewEngine returns an Engine running the enabled transfer typologies of
// cfg (zero fields take their defaults). An invalid cfg is reported by
// Config.Validate's error.
func NewEngine(cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	e := &Engine{
		cfg:      cfg,
		lookback: int64(cfg.lookback()),
		accounts: make(map[string]*account),
		open:     make(map[epKey]*episode),
		hits:     make(map[graph.NodeRef][]hitRec),
		seen:     make(map[string]int64),
		counted:  make(map[countKey]int64),
	}
	for i, n := range transferNames {
		e.on[i] = cfg.enabled(n)
		e.any = e.any || e.on[i]
	}
	return e, nil
}

// Observe records a transaction and returns the alerts it raises: the
// patterns it completes, each reported once, when first seen. A transfer
// that extends a pattern already reported (a 21st sender into a fan-in)
// joins that alert (Detect returns it whole, Hits counts the newcomer)
// without raising a new one. Transactions that are not transfers (no
// Account or no Counterparty) and self-transfers are ignored and return
// nil.
//
// Transfers are expected in about time order, as a log delivers them. One
// earlier than the latest seen is placed in its window; one older than the
// latest minus the longest window is ignored (counted in Stats.Late).
// Observe is idempotent by transaction id within the lookback: a transfer
// handed over twice (by the authorization path and by the log's consumer)
// counts once. Observe keeps the transaction's strings, not the
// transaction. The returned alerts belong to the caller.
func (e *Engine) Observe(txn *graph.Transaction) []Alert {
	if txn == nil || txn.Account == "" || txn.Counterparty == "" || txn.Account == txn.Counterparty || !e.any ||
		txn.Time.IsZero() || !(txn.Amount >= 0) || math.IsInf(txn.Amount, 1) {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if txn.ID != "" {
		if _, dup := e.seen[txn.ID]; dup {
			return nil
		}
		e.seen[txn.ID] = txn.Time.UnixNano()
	}
	e.observe(transfer{t: txn.Time.UnixNano(), amt: txn.Amount, from: txn.Account, to: txn.Counterparty, user: txn.User, id: txn.ID})
	if len(e.raised) == 0 {
		return nil
	}
	out := e.raised
	e.raised = nil
	return out
}

// observe runs the detectors on one transfer, appending new alerts to
// e.raised. The caller holds e.mu.
func (e *Engine) observe(x transfer) {
	if x.t < e.clock-e.lookback {
		e.late++
		return
	}
	if x.t > e.clock {
		e.clock = x.t
	}
	if e.clock >= e.sweepAt {
		e.sweep()
	}
	from, to := e.account(x.from), e.account(x.to)
	if x.user != "" {
		from.user = x.user
	}
	limit, horizon := e.cfg.MaxEdgesPerAccount, e.clock-e.lookback
	from.out.trim(horizon)
	to.in.trim(horizon)
	from.out.add(edge{t: x.t, amt: x.amt, peer: to, txn: x.id}, limit)
	to.in.add(edge{t: x.t, amt: x.amt, peer: from, txn: x.id}, limit)

	if e.on[tFanIn] {
		e.fan(tFanIn, to, &to.in, x.t, &e.cfg.FanIn)
	}
	if e.on[tFanOut] {
		e.fan(tFanOut, from, &from.out, x.t, &e.cfg.FanOut)
	}
	if e.on[tScatterGather] {
		e.scatterGather(from, to, x)
	}
	if e.on[tGatherScatter] {
		e.gatherScatter(from, x)
	}
	if e.on[tCycle] {
		e.cycle(from, to, x)
	}
	if e.on[tStructuring] {
		e.structuring(from, x)
	}
	if e.on[tPassThrough] {
		e.passThrough(from, x)
	}
	if e.on[tMuleChain] {
		e.muleChain(from, to, x)
	}
}

// account returns the state of account id, creating it.
func (e *Engine) account(id string) *account {
	if a, ok := e.accounts[id]; ok {
		return a
	}
	e.serial++
	a := &account{id: id, serial: e.serial}
	e.accounts[id] = a
	return a
}

// sweep forgets accounts with no transfer in the lookback, closed
// episodes and expired hits. It runs every half lookback of transfer time,
// so its cost is spread over the transfers of that period.
func (e *Engine) sweep() {
	horizon := e.clock - e.lookback
	for id, a := range e.accounts {
		a.in.trim(horizon)
		a.out.trim(horizon)
		if len(a.in.live()) == 0 && len(a.out.live()) == 0 {
			delete(e.accounts, id)
		}
	}
	for k, ep := range e.open {
		if ep.last < e.clock-ep.window {
			delete(e.open, k)
		}
	}
	for id, t := range e.seen {
		if t < horizon {
			delete(e.seen, id)
		}
	}
	for k, t := range e.counted {
		if t < e.clock-int64(e.cfg.HitRetention) {
			delete(e.counted, k)
		}
	}
	e.pruneHits()
	e.sweepAt = e.clock + max(e.lookback/2, int64(time.Minute))
}

// EngineStats describes what an Engine holds.
type EngineStats struct {
	Accounts int // accounts with transfers in the lookback
	Edges    int // transfers held, counted once per account and direction
	Open     int // patterns that may still grow
	HitNodes int // nodes with alerts in the hit retention
	Late     int // transfers ignored as older than the lookback
	Clock    time.Time
}

// Stats reports what the engine holds.
func (e *Engine) Stats() EngineStats {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := EngineStats{Accounts: len(e.accounts), Open: len(e.open), HitNodes: len(e.hits), Late: e.late}
	for _, a := range e.accounts {
		s.Edges += len(a.in.live()) + len(a.out.live())
	}
	if e.clock != 0 {
		s.Clock = time.Unix(0, e.clock).UTC()
	}
	return s
}

// Hits returns the number of alerts that ref took part in, raised
// strictly before the given time and within Config.HitRetention of the
// latest transfer seen. An account counts for the alerts it is a member
// of; a user counts for those of the accounts it was last seen paying
// from. Counts saturate at 1024.
func (e *Engine) Hits(ref graph.NodeRef, before time.Time) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	ts := e.hits[ref]
	b := before.UnixNano()
	return sort.Search(len(ts), func(i int) bool { return ts[i].t >= b })
}

// HitsByTypology adds to dst, by typology name, the alerts ref took part
// in strictly before `before` (as Hits counts them), and returns dst (a
// new map when dst is nil and there is something to count).
func (e *Engine) HitsByTypology(ref graph.NodeRef, before time.Time, dst map[string]int) map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	ts := e.hits[ref]
	b := before.UnixNano()
	n := sort.Search(len(ts), func(i int) bool { return ts[i].t >= b })
	if n > 0 && dst == nil {
		dst = make(map[string]int)
	}
	for _, h := range ts[:n] {
		if int(h.typ) < len(typologyNames) {
			dst[typologyNames[h.typ]]++
		}
	}
	return dst
}

// TypologyHits implements feature.TypologyCounter: Hits, with no error.
func (e *Engine) TypologyHits(_ context.Context, ref graph.NodeRef, before time.Time) (int, error) {
	return e.Hits(ref, before), nil
}

// Record adds alerts found elsewhere (Detect's shared-identifier rings,
// alerts read back from the alert stream) to the hit counts: every member
// counts the alert from its At.
func (e *Engine) Record(alerts ...Alert) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range alerts {
		at, typ := alerts[i].At.UnixNano(), typologyIndex(alerts[i].Typology)
		for _, m := range alerts[i].Members {
			e.hitOnce(alerts[i].ID, m, at, typ)
		}
	}
}

// hitRec is one alert a node joined: when, and which typology (its index
// in Names).
type hitRec struct {
	t   int64
	typ uint8
}

// typologyIndex is name's index in Names (len(Names()) when unknown).
func typologyIndex(name string) uint8 {
	for i, n := range typologyNames {
		if n == name {
			return uint8(i)
		}
	}
	return uint8(len(typologyNames))
}

// countKey is one member of one alert.
type countKey struct {
	alert string
	ref   graph.NodeRef
}

// hitOnce counts ref's part in alert id (of typology typ, at t) unless it
// is counted already. An empty id is always counted.
func (e *Engine) hitOnce(id string, ref graph.NodeRef, t int64, typ uint8) {
	if id != "" {
		k := countKey{id, ref}
		if _, dup := e.counted[k]; dup {
			return
		}
		e.counted[k] = t
	}
	e.hit(ref, t, typ)
}

// hit records that ref joined an alert of typology typ at t.
func (e *Engine) hit(ref graph.NodeRef, t int64, typ uint8) {
	ts := e.hits[ref]
	i := sort.Search(len(ts), func(i int) bool { return ts[i].t > t })
	ts = append(ts, hitRec{})
	copy(ts[i+1:], ts[i:])
	ts[i] = hitRec{t, typ}
	if len(ts) > maxHitsPerNode {
		ts = ts[len(ts)-maxHitsPerNode:]
	}
	e.hits[ref] = ts
}

// pruneHits forgets hits older than the retention.
func (e *Engine) pruneHits() {
	horizon := e.clock - int64(e.cfg.HitRetention)
	for ref, ts := range e.hits {
		i := sort.Search(len(ts), func(i int) bool { return ts[i].t >= horizon })
		switch {
		case i == len(ts):
			delete(e.hits, ref)
		case i > 0:
			e.hits[ref] = append(ts[:0:0], ts[i:]...)
		}
	}
}
