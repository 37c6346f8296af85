package mem

import (
	"encoding/binary"

	"github.com/riskgraph/riskgraph/graph"
	"sync/atomic"
	"unsafe"
)

// chunked is an append-only array of T in fixed-size chunks. One writer
// appends; readers index elements whose position was published to them
// through some other atomic (a handle in a hash slot, a count).
type chunked[T any] struct {
	dir atomic.Pointer[[]*[chunkLen]T]
	n   atomic.Uint32 // published length
	w   uint32        // writer's length (>= n)
}

const (
	chunkBits = 12
	chunkLen  = 1 << chunkBits
	chunkMask = chunkLen - 1
)

// at returns element i, which must be below a published length.
func (c *chunked[T]) at(i uint32) *T {
	d := *c.dir.Load()
	return &d[i>>chunkBits][i&chunkMask]
}

// next reserves the next element for the writer and returns its index and
// address; it becomes visible to Len only after publish.
func (c *chunked[T]) next() (uint32, *T) {
	i := c.w
	var d []*[chunkLen]T
	if p := c.dir.Load(); p != nil {
		d = *p
	}
	if int(i>>chunkBits) == len(d) {
		nd := make([]*[chunkLen]T, len(d)+1, len(d)+1+len(d)/4)
		copy(nd, d)
		nd[len(d)] = new([chunkLen]T)
		c.dir.Store(&nd)
		d = nd
	}
	c.w++
	return i, &d[i>>chunkBits][i&chunkMask]
}

// publish makes every element reserved so far visible to Len.
func (c *chunked[T]) publish() { c.n.Store(c.w) }

// Len returns the published length.
func (c *chunked[T]) Len() uint32 { return c.n.Load() }

// arena stores strings once, append-only, in 1 MiB chunks. A string is a
// uvarint length and its bytes, never split across chunks; it is named by
// its 32-bit offset. Offset 0 is the empty string.
type arena struct {
	dir  atomic.Pointer[[]*[arenaChunk]byte]
	used uint64        // writer: next free offset
	pub  atomic.Uint64 // published size, for snapshots
}

const (
	arenaBits  = 20
	arenaChunk = 1 << arenaBits
	arenaMask  = arenaChunk - 1
	// arenaMax is the largest usable offset: offsets are uint32.
	arenaMax = 1<<32 - 1
)

func newArena() *arena {
	a := &arena{}
	a.add("") // offset 0 = ""
	return a
}

// add appends s and returns its offset; ok is false when the arena is full.
func (a *arena) add(s string) (off uint32, ok bool) {
	need := uint64(binary.MaxVarintLen16 + len(s))
	var d []*[arenaChunk]byte
	if p := a.dir.Load(); p != nil {
		d = *p
	}
	pos := a.used & arenaMask
	if len(d) == 0 || pos+need > arenaChunk {
		if len(d) > 0 {
			a.used += arenaChunk - pos // skip the chunk's tail
		}
		if a.used+arenaChunk > arenaMax+1 {
			return 0, false
		}
		nd := make([]*[arenaChunk]byte, len(d)+1, len(d)+1+len(d)/4)
		copy(nd, d)
		nd[len(d)] = new([arenaChunk]byte)
		a.dir.Store(&nd)
		d = nd
		pos = 0
	}
	c := d[a.used>>arenaBits]
	k := binary.PutUvarint(c[pos:], uint64(len(s)))
	copy(c[int(pos)+k:], s)
	off = uint32(a.used)
	a.used += uint64(k + len(s))
	a.pub.Store(a.used)
	return off, true
}

// str returns the string at off without copying: the bytes are never
// modified once written, so the string may be kept by anyone.
func (a *arena) str(off uint32) string {
	if off == 0 {
		return ""
	}
	c := (*a.dir.Load())[off>>arenaBits]
	pos := off & arenaMask
	n := uint32(c[pos])
	if n < 0x80 {
		if n == 0 {
			return ""
		}
		return unsafe.String(&c[pos+1], n)
	}
	l, k := binary.Uvarint(c[pos:])
	return unsafe.String(&c[pos+uint32(k)], int(l))
}

// strRef is a string's arena offset with its length: off<<16 | len. A
// string can be made from it without reading the arena.
type strRef uint64

func (a *arena) ref(off uint32) strRef {
	return strRef(uint64(off)<<16 | uint64(len(a.str(off))))
}

// strOf returns the string of a ref without touching its bytes: a reader
// that only passes ids along never pays the arena's cache miss.
func (a *arena) strOf(r strRef) string {
	n := uint32(r & 0xffff)
	if n == 0 {
		return ""
	}
	off := uint32(r >> 16)
	hdr := uint32(1)
	if n >= 0x80 {
		hdr = 2
	}
	c := (*a.dir.Load())[off>>arenaBits]
	return unsafe.String(&c[off&arenaMask+hdr], n)
}

// valid reports whether off names a whole string below size: what
// Restore checks before trusting an offset read from a snapshot.
func (a *arena) valid(off uint32, size uint64) bool {
	if off == 0 {
		return true
	}
	if uint64(off) >= size {
		return false
	}
	c := (*a.dir.Load())[off>>arenaBits]
	pos := off & arenaMask
	l, k := binary.Uvarint(c[pos:])
	return k > 0 && l <= maxArenaString && uint64(pos)+uint64(k)+l <= arenaChunk && uint64(off)+uint64(k)+l <= size
}

// maxArenaString bounds any string the arena holds: ids, attribute values
// (graph.MaxAttrLen) and encoded attribute sets (1 + 8·graph.MaxAttrs).
const maxArenaString = 2 * graph.MaxAttrLen
