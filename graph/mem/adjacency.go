package mem

import (
	"sort"
	"sync/atomic"
)

// adjList is an entity's transactions across one edge kind, sorted by time,
// equal times in arrival order. Entries [0, n) are immutable once published;
// the writer appends in place past n while capacity lasts, and otherwise
// (growth, or an insertion before the end) builds a new list and swaps it
// into the entity's slot.
type adjList struct {
	n     atomic.Uint32
	txns  []uint32 // transaction indexes
	times []int64  // unix nanoseconds
}

// view returns the published entries. The slices must not be modified.
func (l *adjList) view() ([]uint32, []int64) {
	if l == nil {
		return nil, nil
	}
	n := l.n.Load()
	return l.txns[:n:n], l.times[:n:n]
}

// growCap is the capacity after cap: doubling while small, then by a
// quarter, which keeps the slack of big lists near 12%.
func growCap(c int) int {
	switch {
	case c < 2:
		return 2
	case c < 64:
		return c * 2
	}
	return c + c/4
}

// insertAdj adds (txn, t) to the list in slot, keeping time order, and
// publishes it. Only the writer calls it.
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
	// Position after every entry with time <= t: equal times keep arrival order.
	p := n
	if n > 0 && l.times[n-1] > t {
		p = sort.Search(n, func(i int) bool { return l.times[i] > t })
	}
	if p == n && n < len(l.txns) {
		l.txns[n], l.times[n] = txn, t
		l.n.Store(uint32(n + 1))
		return
	}
	c := len(l.txns)
	if n == c {
		c = growCap(c)
	}
	nl := &adjList{txns: make([]uint32, c), times: make([]int64, c)}
	copy(nl.txns, l.txns[:p])
	copy(nl.times, l.times[:p])
	nl.txns[p], nl.times[p] = txn, t
	copy(nl.txns[p+1:], l.txns[p:n])
	copy(nl.times[p+1:], l.times[p:n])
	nl.n.Store(uint32(n + 1))
	slot.Store(nl)
}

// span returns the index range [lo, hi) of times inside [from, to), in
// unix nanoseconds; minTime and maxTime leave a side unbounded.
func span(times []int64, from, to int64) (lo, hi int) {
	hi = len(times)
	if to != maxTime {
		hi = sort.Search(len(times), func(i int) bool { return times[i] >= to })
	}
	if from != minTime {
		lo = sort.Search(hi, func(i int) bool { return times[i] >= from })
	}
	return lo, hi
}
