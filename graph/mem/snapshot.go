package mem

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/riskgraph/riskgraph/graph"
)

const snapVersion = 2 // 2: interned field tuples, ids outside the records

// Snapshot implements graph.Store. It takes no lock: it reads LastSeq
// first and then the published prefix of every structure, so the snapshot
// holds at least every mutation up to the LastSeq it records; mutations
// applied meanwhile may be included too, and replaying them is harmless.
//
// Layout (inside checksummed blocks): version, LastSeq, counts; the raw
// string arena; the interned offsets; entities (kind, id offset, label);
// transactions (id offset, time as a delta from the previous one, amount
// bits, a bitmask of edges and their entity indexes, field tuple and attrs
// offsets, label); label times; pending labels.
func (s *Store) Snapshot(ctx context.Context, w io.Writer) error {
	st, err := s.load()
	if err != nil {
		return err
	}
	seq := st.lastSeq.Load()
	nTxns := st.txns.Len()
	nEnts := st.ents.Len()
	nInt := st.internLog.Len()
	size := st.arena.pub.Load()

	bw := newBlockWriter(w)
	for _, v := range []uint64{snapVersion, seq, size, uint64(nInt), uint64(nEnts), uint64(nTxns)} {
		bw.uvarint(v)
	}
	chunks := *st.arena.dir.Load()
	for c := uint64(0); c*arenaChunk < size; c++ {
		bw.bytes(chunks[c][:min(arenaChunk, size-c*arenaChunk)])
	}
	for i := range nInt {
		bw.uvarint(uint64(*st.internLog.at(i)))
	}
	for i := range nEnts {
		e := st.ents.at(i)
		bw.buf = append(bw.buf, byte(e.kind), byte(e.label.Load()))
		bw.uvarint(uint64(e.id))
	}
	var prev int64
	for i := range nTxns {
		if i&0xffff == 0 && ctx.Err() != nil {
			return fmt.Errorf("mem: snapshot: %w", ctx.Err())
		}
		r := st.txns.at(i)
		bw.uvarint(uint64(*st.ids.at(i) >> 16))
		bw.varint(r.time - prev)
		prev = r.time
		bw.u64(math.Float64bits(r.amount))
		var mask uint64
		for e, x := range r.ent {
			if x != 0 {
				mask |= 1 << e
			}
		}
		bw.uvarint(mask)
		for _, x := range r.ent {
			if x != 0 {
				bw.uvarint(uint64(x - 1))
			}
		}
		bw.uvarint(uint64(r.fields))
		bw.uvarint(uint64(r.attrs))
		bw.buf = append(bw.buf, byte(r.label.Load()))
	}
	type labelTime struct {
		h handle
		t int64
	}
	var lts []labelTime
	st.labelTimes.Range(func(k, v any) bool {
		h := k.(handle)
		if (h.isEntity() && h.index() < nEnts) || (!h.isEntity() && h.index() < nTxns) {
			lts = append(lts, labelTime{h, v.(int64)})
		}
		return true
	})
	slices.SortFunc(lts, func(a, b labelTime) int { return cmp.Compare(a.h, b.h) })
	bw.uvarint(uint64(len(lts)))
	for _, lt := range lts {
		bw.uvarint(uint64(lt.h))
		bw.varint(lt.t)
	}
	st.pendMu.Lock()
	pend := make([]graph.Label, 0, len(st.pending))
	for _, l := range st.pending {
		pend = append(pend, l)
	}
	st.pendMu.Unlock()
	slices.SortFunc(pend, func(a, b graph.Label) int { return cmp.Compare(a.Txn, b.Txn) })
	bw.uvarint(uint64(len(pend)))
	for _, l := range pend {
		bw.str(l.Txn)
		bw.str(string(l.Class))
		var t int64
		if !l.Time.IsZero() {
			t = l.Time.UnixNano()
		}
		bw.varint(t)
		bw.str(l.Source)
	}
	if err := bw.close(); err != nil {
		return fmt.Errorf("mem: snapshot: %w", err)
	}
	return nil
}

// Restore implements graph.Store. The snapshot is read and checked into a
// new state; the store switches to it only when all of it is sound.
func (s *Store) Restore(ctx context.Context, r io.Reader) error {
	st, err := readState(ctx, r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.Load() == nil {
		return fmt.Errorf("mem: restore: %w", graph.ErrClosed)
	}
	s.st.Store(st)
	return nil
}

func readState(ctx context.Context, r io.Reader) (*state, error) {
	br, err := newBlockReader(r)
	if err != nil {
		return nil, err
	}
	var hdr [6]uint64
	for i := range hdr {
		if hdr[i], err = br.uvarint(); err != nil {
			return nil, err
		}
	}
	version, seq, size, nInt, nEnts, nTxns := hdr[0], hdr[1], hdr[2], hdr[3], hdr[4], hdr[5]
	switch {
	case version != snapVersion:
		return nil, corrupt("format version %d, this build reads %d", version, snapVersion)
	case size == 0 || size > arenaMax:
		return nil, corrupt("string arena of %d bytes", size)
	case nEnts >= uint64(entityBit) || nTxns >= uint64(entityBit) || nInt > size:
		return nil, corrupt("counts out of range (%d entities, %d transactions, %d strings)", nEnts, nTxns, nInt)
	}
	st := newState(int(min(nEnts+nTxns, 1<<30)))
	st.lastSeq.Store(seq)
	if err := st.readArena(br, size); err != nil {
		return nil, err
	}
	if err := st.readInterned(br, nInt, size); err != nil {
		return nil, err
	}
	if err := st.readEntities(br, nEnts, size); err != nil {
		return nil, err
	}
	if err := st.readTxns(ctx, br, nTxns, size); err != nil {
		return nil, err
	}
	if err := st.readLabels(br); err != nil {
		return nil, err
	}
	if err := br.finish(); err != nil {
		return nil, err
	}
	// Indexing the transaction ids and rebuilding the adjacency both only
	// read the records: do them side by side.
	dup := make(chan error, 1)
	go func() { dup <- st.indexTxns() }()
	st.buildAdjacency()
	if err := <-dup; err != nil {
		return nil, err
	}
	return st, nil
}

// indexTxns adds every transaction id to the index, refusing duplicates.
func (st *state) indexTxns() error {
	for i := range st.txns.Len() {
		id := st.txnID(i)
		if st.claimKey(graph.KindTransaction, id, txnHandle(i)) {
			return corrupt("transaction %q appears twice", id)
		}
	}
	return nil
}

func (st *state) readArena(br *blockReader, size uint64) error {
	var chunks []*[arenaChunk]byte
	for c := uint64(0); c*arenaChunk < size; c++ {
		ch := new([arenaChunk]byte)
		if err := br.full(ch[:min(arenaChunk, size-c*arenaChunk)]); err != nil {
			return err
		}
		chunks = append(chunks, ch)
	}
	st.arena.dir.Store(&chunks)
	st.arena.used = size
	st.arena.pub.Store(size)
	return nil
}

func (st *state) readInterned(br *blockReader, n, size uint64) error {
	for i := range n {
		o, err := br.uvarint()
		if err != nil {
			return err
		}
		if o == 0 || !st.arena.valid(uint32(o), size) || o > math.MaxUint32 {
			return corrupt("interned string %d at bad offset %d", i, o)
		}
		st.interned[st.arena.str(uint32(o))] = uint32(o)
		_, p := st.internLog.next()
		*p = uint32(o)
	}
	st.internLog.publish()
	return nil
}

func (st *state) readEntities(br *blockReader, n, size uint64) error {
	for i := range n {
		var kl [2]byte
		if err := br.full(kl[:]); err != nil {
			return err
		}
		k, cls := graph.Kind(kl[0]), uint32(kl[1])
		off, err := br.uvarint()
		if err != nil {
			return err
		}
		if !k.Valid() || k == graph.KindTransaction || cls >= numClasses {
			return corrupt("entity %d: kind %d, label %d", i, kl[0], kl[1])
		}
		if off == 0 || off > math.MaxUint32 || !st.arena.valid(uint32(off), size) {
			return corrupt("entity %d: id at bad offset %d", i, off)
		}
		id := st.arena.str(uint32(off))
		j, e := st.ents.next()
		e.id, e.kind = uint32(off), k
		e.label.Store(cls)
		st.ents.publish()
		if st.claimKey(k, id, entHandle(j)) {
			return corrupt("entity %s:%s appears twice", k, id)
		}
		st.nodes[k].Add(1)
	}
	return nil
}

func (st *state) readTxns(ctx context.Context, br *blockReader, n, size uint64) error {
	nEnts := uint64(st.ents.Len())
	kinds := make([]graph.Kind, nEnts) // compact copy: checked once per edge
	for i := range kinds {
		kinds[i] = st.ents.at(uint32(i)).kind
	}
	var prev int64
	offset := func(i uint64, what string) (uint32, error) {
		o, err := br.uvarint()
		if err != nil {
			return 0, err
		}
		if o > math.MaxUint32 || !st.arena.valid(uint32(o), size) {
			return 0, corrupt("transaction %d: %s at bad offset %d", i, what, o)
		}
		return uint32(o), nil
	}
	for i := range n {
		if i&0xffff == 0 && ctx.Err() != nil {
			return fmt.Errorf("mem: restore: %w", ctx.Err())
		}
		var r txnRec
		id, err := offset(i, "id")
		if err != nil {
			return err
		}
		dt, err := br.varint()
		if err != nil {
			return err
		}
		r.time = prev + dt
		prev = r.time
		bitsAmount, err := br.u64()
		if err != nil {
			return err
		}
		r.amount = math.Float64frombits(bitsAmount)
		mask, err := br.uvarint()
		if err != nil {
			return err
		}
		if mask >= 1<<numEdges {
			return corrupt("transaction %d: edge mask %b", i, mask)
		}
		for e := range numEdges {
			if mask&(1<<e) == 0 {
				continue
			}
			x, err := br.uvarint()
			if err != nil {
				return err
			}
			if x >= nEnts || kinds[x] != graph.EdgeKind(e+1).Target() {
				return corrupt("transaction %d: %v edge to bad entity %d", i, graph.EdgeKind(e+1), x)
			}
			r.ent[e] = uint32(x) + 1
		}
		if r.fields, err = offset(i, "fields"); err != nil {
			return err
		}
		if !st.validFields(r.fields, size) {
			return corrupt("transaction %d: malformed field tuple at %d", i, r.fields)
		}
		if r.attrs, err = offset(i, "attrs"); err != nil {
			return err
		}
		if !st.validAttrs(r.attrs, size) {
			return corrupt("transaction %d: malformed attributes at %d", i, r.attrs)
		}
		cls, err := br.ReadByte()
		if err != nil {
			return err
		}
		if cls >= numClasses || math.IsNaN(r.amount) || r.amount < 0 {
			return corrupt("transaction %d: label %d, amount %g", i, cls, r.amount)
		}
		if id == 0 {
			return corrupt("transaction %d: empty id", i)
		}
		_, p := st.txns.next()
		p.time, p.amount, p.ent, p.fields, p.attrs = r.time, r.amount, r.ent, r.fields, r.attrs
		_, ref := st.ids.next()
		*ref = st.arena.ref(id)
		p.label.Store(uint32(cls))
		if cls != classNone {
			st.classes[cls].Add(1)
		}
	}
	st.ids.publish()
	st.txns.publish()
	st.nodes[graph.KindTransaction].Store(int64(n))
	return nil
}

func (st *state) readLabels(br *blockReader) error {
	n, err := br.uvarint()
	if err != nil {
		return err
	}
	for range n {
		h, err := br.uvarint()
		if err != nil {
			return err
		}
		t, err := br.varint()
		if err != nil {
			return err
		}
		hd := handle(h)
		if h > math.MaxUint32 || (hd.isEntity() && hd.index() >= st.ents.Len()) || (!hd.isEntity() && hd.index() >= st.txns.Len()) {
			return corrupt("label time for unknown node %d", h)
		}
		st.labelTimes.Store(hd, t)
	}
	if n, err = br.uvarint(); err != nil {
		return err
	}
	for range n {
		var l graph.Label
		var cls string
		if l.Txn, err = br.str(graph.MaxIDLen); err != nil {
			return err
		}
		if cls, err = br.str(32); err != nil {
			return err
		}
		l.Class = graph.Class(cls)
		t, err := br.varint()
		if err != nil {
			return err
		}
		if t != 0 {
			l.Time = unixTime(t)
		}
		if l.Source, err = br.str(graph.MaxIDLen); err != nil {
			return err
		}
		if err := l.Validate(); err != nil {
			return corrupt("pending label: %v", err)
		}
		st.pending[l.Txn] = l
	}
	return nil
}

// buildAdjacency rebuilds every entity's lists from the transactions:
// exact sizes, arrival order, then a stable sort by time where needed. Two
// goroutines split the entities; each scans all records (sequential reads)
// and writes only its own lists (random writes, the expensive part).
func (st *state) buildAdjacency() {
	nEnts := st.ents.Len()
	mid := nEnts / 2
	var other [graph.NumEdgeKinds]int64
	done := make(chan struct{})
	go func() {
		other = st.buildAdjacencyRange(mid, nEnts)
		close(done)
	}()
	edges := st.buildAdjacencyRange(0, mid)
	<-done
	for e := range edges {
		st.edges[e].Store(edges[e] + other[e])
	}
}

// buildAdjacencyRange builds the lists of entities [lo, hi) and returns
// the number of edges of each kind among them.
func (st *state) buildAdjacencyRange(lo, hi uint32) (edges [graph.NumEdgeKinds]int64) {
	nTxns := st.txns.Len()
	// List (entity - lo)*2 + slot.
	counts := make([]uint32, 2*(hi-lo))
	for i := range nTxns {
		r := st.txns.at(i)
		for e, x := range r.ent {
			if x != 0 && x-1 >= lo && x-1 < hi {
				counts[2*(x-1-lo)+uint32(slotOf(graph.EdgeKind(e+1)))]++
			}
		}
	}
	nLists := 0
	for _, c := range counts {
		if c > 0 {
			nLists++
		}
	}
	// List headers in one allocation; each list's arrays sized exactly.
	headers := make([]adjList, nLists)
	lists := make([]*adjList, len(counts))
	k := 0
	for i, c := range counts {
		if c > 0 {
			l := &headers[k]
			k++
			l.txns, l.times = make([]uint32, 0, c), make([]int64, 0, c)
			lists[i] = l
		}
	}
	for i := range nTxns {
		r := st.txns.at(i)
		for e, x := range r.ent {
			if x != 0 && x-1 >= lo && x-1 < hi {
				l := lists[2*(x-1-lo)+uint32(slotOf(graph.EdgeKind(e+1)))]
				l.txns = append(l.txns, i)
				l.times = append(l.times, r.time)
				edges[e+1]++
			}
		}
	}
	for i, l := range lists {
		if l == nil {
			continue
		}
		if !slices.IsSorted(l.times) {
			idx := make([]int, len(l.txns))
			for j := range idx {
				idx[j] = j
			}
			slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(l.times[a], l.times[b]) })
			txns, times := make([]uint32, len(idx)), make([]int64, len(idx))
			for j, k := range idx {
				txns[j], times[j] = l.txns[k], l.times[k]
			}
			l.txns, l.times = txns, times
		}
		l.n.Store(uint32(len(l.txns)))
		st.ents.at(lo + uint32(i/2)).adj[i%2].Store(l)
	}
	return edges
}

// SaveFile writes a snapshot to path atomically: a temporary file in the
// same directory, fsync, rename over path, fsync of the directory. A crash
// at any point leaves the previous snapshot or the new one.
func (s *Store) SaveFile(ctx context.Context, path string) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("mem: save snapshot: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err = s.Snapshot(ctx, bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("mem: save snapshot: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("mem: save snapshot: fsync: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("mem: save snapshot: %w", err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("mem: save snapshot: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("mem: save snapshot: open dir: %w", err)
	}
	defer d.Close()
	if err = d.Sync(); err != nil {
		return fmt.Errorf("mem: save snapshot: fsync dir: %w", err)
	}
	return nil
}

// LoadFile restores the store from a snapshot file written by SaveFile. A
// missing file is an error satisfying errors.Is(err, fs.ErrNotExist).
func (s *Store) LoadFile(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("mem: load snapshot: %w", err)
	}
	defer f.Close()
	if err := s.Restore(ctx, f); err != nil {
		return fmt.Errorf("%w (file %s)", err, path)
	}
	return nil
}
