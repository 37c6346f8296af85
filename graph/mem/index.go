package mem

import (
	"hash/maphash"
	"math/bits"
	"sync/atomic"

	"github.com/riskgraph/riskgraph/graph"
)

// handle names a node densely: a transaction's index, or an entity's index
// with entityBit set.
type handle uint32

const entityBit handle = 1 << 31

func txnHandle(i uint32) handle { return handle(i) }
func entHandle(i uint32) handle { return handle(i) | entityBit }
func (h handle) isEntity() bool { return h&entityBit != 0 }
func (h handle) index() uint32  { return uint32(h &^ entityBit) }

// index maps (kind, id) to a handle: open addressing with linear probing.
// A slot is 0 when empty, else tag<<32 | handle, where tag is 31 bits of
// the key's hash with the low bit set. The table is never mutated in place
// except to fill an empty slot (an atomic store), and is replaced whole
// when it grows, so readers probe it without locks.
type index struct {
	slots []atomic.Uint64
	shift uint8 // 64 - log2(len(slots))
	n     int   // writer: filled slots
}

const minIndexBits = 10

func newIndex(bitsLen uint8) *index {
	if bitsLen < minIndexBits {
		bitsLen = minIndexBits
	}
	return &index{slots: make([]atomic.Uint64, 1<<bitsLen), shift: 64 - bitsLen}
}

// indexBitsFor returns table size bits for n keys at a load under 3/4.
func indexBitsFor(n int) uint8 {
	return uint8(bits.Len(uint(n*4/3 + 1)))
}

func tagOf(seed maphash.Seed, k graph.Kind, id string) uint32 {
	h := maphash.String(seed, id) ^ uint64(k)*0x9E3779B97F4A7C15
	return uint32(h>>32) | 1
}

// home is the first slot probed for tag: Fibonacci hashing of the tag.
func (x *index) home(tag uint32) uint64 {
	return (uint64(tag) * 0x9E3779B97F4A7C15) >> x.shift
}

// lookup returns the handle whose key matches; match compares a candidate's
// key with the wanted one.
func (x *index) lookup(tag uint32, match func(handle) bool) (handle, bool) {
	mask := uint64(len(x.slots) - 1)
	for i := x.home(tag); ; i = (i + 1) & mask {
		v := x.slots[i].Load()
		if v == 0 {
			return 0, false
		}
		if uint32(v>>32) == tag && match(handle(v)) {
			return handle(v), true
		}
	}
}

// lookupOrInsert returns the handle of a matching key, or inserts h and
// reports false: one probe where lookup then insert would take two. The
// caller must have grown the table if full() said so.
func (x *index) lookupOrInsert(tag uint32, h handle, match func(handle) bool) (handle, bool) {
	mask := uint64(len(x.slots) - 1)
	i := x.home(tag)
	for {
		v := x.slots[i].Load()
		if v == 0 {
			x.slots[i].Store(uint64(tag)<<32 | uint64(h))
			x.n++
			return h, false
		}
		if uint32(v>>32) == tag && match(handle(v)) {
			return handle(v), true
		}
		i = (i + 1) & mask
	}
}

// insert adds a key known to be absent. The caller (the writer) must grow
// the table when full() reports so, before inserting.
func (x *index) insert(tag uint32, h handle) {
	mask := uint64(len(x.slots) - 1)
	i := x.home(tag)
	for x.slots[i].Load() != 0 {
		i = (i + 1) & mask
	}
	x.slots[i].Store(uint64(tag)<<32 | uint64(h))
	x.n++
}

// full reports whether one more key would push the load past 3/4.
func (x *index) full() bool { return (x.n+1)*4 > len(x.slots)*3 }

// grown returns a copy of x with twice the slots, rehashed from the tags.
func (x *index) grown() *index {
	y := newIndex(uint8(64-x.shift) + 1)
	for i := range x.slots {
		if v := x.slots[i].Load(); v != 0 {
			y.insert(uint32(v>>32), handle(v))
		}
	}
	return y
}
