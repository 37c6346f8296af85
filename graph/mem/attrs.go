package mem

import (
	"encoding/binary"
	"slices"
)

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
