package mem

import (
	"encoding/binary"
	"slices"

	"github.com/riskgraph/riskgraph/graph"
)

// encodeFields stores a transaction's low-cardinality fields (currency,
// kind, mcc, country, channel) as one interned tuple of their arena
// offsets, 4 bytes each: a bank has a few thousand distinct tuples, so each
// record pays 4 bytes for all five instead of 20.
func (st *state) encodeFields(t *graph.Transaction) (uint32, error) {
	if t.Currency == "" && t.Kind == "" && t.MCC == "" && t.Country == "" && t.Channel == "" {
		return 0, nil
	}
	buf := st.scratch[:0]
	for _, v := range [numStr]string{t.Currency, t.Kind, t.MCC, t.Country, t.Channel} {
		off, err := st.intern(v)
		if err != nil {
			return 0, err
		}
		buf = binary.LittleEndian.AppendUint32(buf, off)
	}
	st.scratch = buf
	if off, ok := st.interned[string(buf)]; ok {
		return off, nil
	}
	return st.intern(string(buf))
}

// decodeFields returns the field offsets of the tuple at off.
func (st *state) decodeFields(off uint32) (f [numStr]uint32) {
	if off == 0 {
		return f
	}
	b := st.arena.str(off)
	for i := range f {
		f[i] = binary.LittleEndian.Uint32([]byte(b[4*i : 4*i+4]))
	}
	return f
}

// validFields reports whether off holds a well-formed field tuple whose
// offsets all name strings below size (Restore's check).
func (st *state) validFields(off uint32, size uint64) bool {
	if off == 0 {
		return true
	}
	b := st.arena.str(off)
	if len(b) != 4*numStr {
		return false
	}
	for i := range numStr {
		if !st.arena.valid(binary.LittleEndian.Uint32([]byte(b[4*i:4*i+4])), size) {
			return false
		}
	}
	return true
}

// validAttrs is validFields for an attribute set.
func (st *state) validAttrs(off uint32, size uint64) bool {
	if off == 0 {
		return true
	}
	b := st.arena.str(off)
	n, k := binary.Uvarint([]byte(b[:min(len(b), binary.MaxVarintLen64)]))
	if k <= 0 || n == 0 || n > graph.MaxAttrs || uint64(len(b)) != uint64(k)+8*n {
		return false
	}
	for i := range int(n) {
		p := k + i*8
		if !st.arena.valid(binary.LittleEndian.Uint32([]byte(b[p:p+4])), size) ||
			!st.arena.valid(binary.LittleEndian.Uint32([]byte(b[p+4:p+8])), size) {
			return false
		}
	}
	return true
}

// encodeAttrs stores a transaction's attributes as one interned blob: a
// uvarint count, then per pair (sorted by key) the arena offsets of key and
// value, 4 bytes each. Rows with the same attributes share one blob.
func (st *state) encodeAttrs(attrs map[string]string) (uint32, error) {
	if len(attrs) == 0 {
		return 0, nil
	}
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf := binary.AppendUvarint(st.scratch[:0], uint64(len(keys)))
	for _, k := range keys {
		ko, err := st.intern(k)
		if err != nil {
			return 0, err
		}
		vo, err := st.intern(attrs[k])
		if err != nil {
			return 0, err
		}
		buf = binary.LittleEndian.AppendUint32(buf, ko)
		buf = binary.LittleEndian.AppendUint32(buf, vo)
	}
	st.scratch = buf
	if off, ok := st.interned[string(buf)]; ok {
		return off, nil
	}
	return st.intern(string(buf))
}

// decodeAttrs returns the attributes stored at off (nil for 0).
func (st *state) decodeAttrs(off uint32) map[string]string {
	if off == 0 {
		return nil
	}
	b := st.arena.str(off)
	n, k := binary.Uvarint([]byte(b[:min(len(b), binary.MaxVarintLen64)]))
	m := make(map[string]string, n)
	for i := range int(n) {
		p := k + i*8
		ko := binary.LittleEndian.Uint32([]byte(b[p : p+4]))
		vo := binary.LittleEndian.Uint32([]byte(b[p+4 : p+8]))
		m[st.arena.str(ko)] = st.arena.str(vo)
	}
	return m
}
