package mem

import (
	"sort"
	"sync/atomic"
)

// adjList is an entity's transactions across one edge kind, as two runs,
// each sorted by (time, transaction index) — transaction indexes grow with
// arrival, so equal times stay in arrival order:
//
//   - the main run: entries [0, n) of txns/times are immutable once
//     published; the writer appends past n in place while capacity lasts
//     (the common, in-order case) and otherwise swaps in a new list;
//   - the late run: transactions older than the main run's newest, kept in a
//     small copy-on-write run that is merged into the main run when it
//     outgrows a sixteenth of it, so a late arrival costs amortised O(16)
//     copies instead of O(n).
//
// Readers merge the two runs.
type adjList struct {
	n     atomic.Uint32
	txns  []uint32 // transaction indexes
	times []int64  // unix nanoseconds
	late  atomic.Pointer[run]
}

// run is an immutable sorted run of (transaction, time) entries.
type run struct {
	txns  []uint32
	times []int64
}

// view returns the published main run and the late run (nil if none). The
// slices must not be modified.
func (l *adjList) view() (main run, late *run) {
	if l == nil {
		return run{}, nil
	}
	n := l.n.Load()
	return run{l.txns[:n:n], l.times[:n:n]}, l.late.Load()
}

// size is the number of entries in both runs.
func (l *adjList) size() int {
	m, late := l.view()
	if late == nil {
		return len(m.txns)
	}
	return len(m.txns) + len(late.txns)
}

// growCap is the capacity after c: by half while small, then by a
// quarter, which keeps the average slack near 20% and 12%. (Doubling
// would leave ~40%; the lists are most of the store's memory.)
func growCap(c int) int {
	switch {
	case c < 4:
		return 4
	case c < 1024:
		return c + c/2
	}
	return c + c/4
}

// lateLimit is how large the late run may grow before it is merged.
func lateLimit(n int) int { return max(32, n/16) }

// insertAdj adds (txn, t) to the list in slot and publishes it. txn is
// larger than every index already in the list. Only the writer calls it.
func insertAdj(slot *atomic.Pointer[adjList], txn uint32, t int64) {
	l := slot.Load()
	if l == nil {
		l = &adjList{txns: make([]uint32, 2), times: make([]int64, 2)}
		l.txns[0], l.times[0] = txn, t
		l.n.Store(1)
		slot.Store(l)
		return
	}
	n := int(l.n.Load())
	if n == 0 || l.times[n-1] <= t {
		if n < len(l.txns) {
			l.txns[n], l.times[n] = txn, t
			l.n.Store(uint32(n + 1))
			return
		}
		nl := &adjList{txns: make([]uint32, growCap(n)), times: make([]int64, growCap(n))}
		copy(nl.txns, l.txns[:n])
		copy(nl.times, l.times[:n])
		nl.txns[n], nl.times[n] = txn, t
		nl.n.Store(uint32(n + 1))
		nl.late.Store(l.late.Load())
		slot.Store(nl)
		return
	}
	// A late arrival: into the late run, after every entry with time <= t.
	old := l.late.Load()
	var lt []uint32
	var lm []int64
	if old != nil {
		lt, lm = old.txns, old.times
	}
	p := sort.Search(len(lm), func(i int) bool { return lm[i] > t })
	nr := &run{txns: make([]uint32, len(lt)+1), times: make([]int64, len(lm)+1)}
	copy(nr.txns, lt[:p])
	copy(nr.times, lm[:p])
	nr.txns[p], nr.times[p] = txn, t
	copy(nr.txns[p+1:], lt[p:])
	copy(nr.times[p+1:], lm[p:])
	if len(nr.txns) <= lateLimit(n) {
		l.late.Store(nr)
		return
	}
	slot.Store(merged(run{l.txns[:n], l.times[:n]}, *nr))
}

// merged returns a new list holding both runs as its main run.
func merged(a, b run) *adjList {
	total := len(a.txns) + len(b.txns)
	nl := &adjList{txns: make([]uint32, growCap(total)), times: make([]int64, growCap(total))}
	i, j := 0, 0
	for k := range total {
		if j == len(b.txns) || (i < len(a.txns) && before(a.times[i], a.txns[i], b.times[j], b.txns[j])) {
			nl.txns[k], nl.times[k] = a.txns[i], a.times[i]
			i++
		} else {
			nl.txns[k], nl.times[k] = b.txns[j], b.times[j]
			j++
		}
	}
	nl.n.Store(uint32(total))
	return nl
}

// before orders entries by time, then by arrival (transaction index).
func before(t1 int64, x1 uint32, t2 int64, x2 uint32) bool {
	return t1 < t2 || (t1 == t2 && x1 < x2)
}

// span returns the index range [lo, hi) of times inside [from, to), in
// unix nanoseconds; minTime and maxTime leave a side unbounded.
func span(times []int64, from, to int64) (lo, hi int) {
	hi = len(times)
	// The usual window ends at the event being scored, after everything
	// stored: the (cache-hot) tail answers it without a search.
	if to != maxTime && hi > 0 && times[hi-1] >= to {
		hi = searchTime(times, to)
	}
	if from != minTime {
		lo = searchTime(times[:hi], from)
	}
	return lo, hi
}

// searchTime returns the first index whose time is >= t. Lists of busy
// entities are long and their times spread evenly, so a few interpolation
// steps narrow the range to a cache line or two before the binary search
// finishes: about 4 cache misses instead of log2(n).
func searchTime(times []int64, t int64) int {
	lo, hi := 0, len(times) // invariant: times[:lo] < t <= times[hi:]
	for step := 0; step < 3 && hi-lo > 64; step++ {
		a, b := times[lo], times[hi-1]
		if t <= a {
			return lo
		}
		if t > b {
			return hi
		}
		// Guess where t falls between a and b, then bracket the guess.
		g := lo + int(float64(hi-1-lo)*(float64(t-a)/float64(b-a)))
		g = min(max(g, lo), hi-1)
		const slack = 16
		if times[g] < t {
			lo = g + 1
			if e := min(g+slack, hi-1); times[e] >= t {
				hi = e + 1
			} else {
				lo = e + 1
			}
		} else {
			hi = g + 1
			if e := max(g-slack, lo); times[e] < t {
				lo = e + 1
			} else {
				hi = e + 1
			}
		}
	}
	return lo + sort.Search(hi-lo, func(i int) bool { return times[lo+i] >= t })
}
