package artefact

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// MaxHeaderBytes bounds the JSON header of a safetensors file.
const MaxHeaderBytes = 16 << 20

// safetensors dtype names and the manifest dtypes they store.
var stDTypes = map[string]string{"F32": DTypeFloat32, "BF16": DTypeBFloat16}

// stEntry is one tensor of a safetensors header.
type stEntry struct {
	DType       string  `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// stTensor is where a tensor's bytes lie, as absolute file offsets.
type stTensor struct {
	name       string
	begin, end int64
}

// readSafetensors reads a safetensors file of size bytes (the format of
// huggingface/safetensors: an 8-byte little-endian header length N, N
// bytes of JSON header, then the data section). Structure first, bounded
// by MaxHeaderBytes: the header against m, then the file's SHA-256, then
// each tensor. where names the file in errors.
func readSafetensors(ra io.ReaderAt, size int64, where string, m *Manifest) (map[string][]float32, error) {
	plan, err := parseSafetensors(ra, size, where, m)
	if err != nil {
		return nil, err
	}
	if err := checkFileSHA(ra, size, where, m.WeightsSHA256); err != nil {
		return nil, err
	}
	out := make(map[string][]float32, len(plan))
	for _, t := range plan {
		info := m.Tensors[t.name]
		v, err := readTensor(io.NewSectionReader(ra, t.begin, t.end-t.begin), t.name, info.DType, numElems(info.Shape), info.SHA256)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		out[t.name] = v
	}
	return out, nil
}

// parseSafetensors checks the header of a safetensors file against m and
// returns the tensors sorted by offset. It allocates at most the header.
func parseSafetensors(ra io.ReaderAt, size int64, where string, m *Manifest) ([]stTensor, error) {
	var lenBuf [8]byte
	if size < int64(len(lenBuf)) {
		return nil, fmt.Errorf("%s: %d bytes, shorter than the 8-byte header length: %w", where, size, ErrTruncated)
	}
	if _, err := ra.ReadAt(lenBuf[:], 0); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("%w: %w", err, ErrTruncated)
		}
		return nil, fmt.Errorf("%s: header length: %w", where, err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > MaxHeaderBytes {
		return nil, fmt.Errorf("%s: header of %d bytes, limit %d: %w", where, n, MaxHeaderBytes, ErrHeaderTooLarge)
	}
	if int64(n) > size-8 {
		return nil, fmt.Errorf("%s: header of %d bytes at offset 8, file has %d bytes: %w", where, n, size, ErrTruncated)
	}
	if n == 0 {
		return nil, fmt.Errorf("%s: header of 0 bytes: want a JSON object: %w", where, ErrHeader)
	}
	header := make([]byte, n)
	if _, err := ra.ReadAt(header, 8); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("%w: %w", err, ErrTruncated)
		}
		return nil, fmt.Errorf("%s: header: %w", where, err)
	}
	dataStart := 8 + int64(n)
	entries, err := parseSTHeader(header, where)
	if err != nil {
		return nil, err
	}

	names := make([]string, 0, len(entries))
	for name := range entries {
		names = append(names, name)
	}
	slices.Sort(names)
	plan := make([]stTensor, 0, len(names))
	for _, name := range names {
		e := entries[name]
		want, ok := m.Tensors[name]
		if !ok {
			return nil, fmt.Errorf("%s: tensor %q: not used by %s: %w", where, name, ArchHeteroSAGE, ErrUnknownTensor)
		}
		dtype, ok := stDTypes[e.DType]
		if !ok {
			return nil, fmt.Errorf("%s: tensor %q: dtype %q: want F32 or BF16: %w", where, name, e.DType, ErrDType)
		}
		if dtype != want.DType {
			return nil, fmt.Errorf("%s: tensor %q: dtype %s, manifest has %s: %w", where, name, e.DType, want.DType, ErrDType)
		}
		if !shapeEqual(e.Shape, want.Shape) {
			return nil, &ShapeError{Tensor: name, Where: where, Want: want.Shape, Got: intShape(e.Shape)}
		}
		begin, end := e.DataOffsets[0], e.DataOffsets[1]
		if begin < 0 || end < begin {
			return nil, fmt.Errorf("%s: tensor %q: data_offsets [%d, %d]: %w", where, name, begin, end, ErrOffsets)
		}
		elemSize, _ := dtypeSize(dtype) // a known dtype
		if wantBytes := numElems(want.Shape) * elemSize; end-begin != wantBytes {
			return nil, fmt.Errorf("%s: tensor %q: data_offsets [%d, %d] hold %d bytes, shape %v of %s needs %d: %w",
				where, name, begin, end, end-begin, want.Shape, e.DType, wantBytes, ErrSizeMismatch)
		}
		plan = append(plan, stTensor{name: name, begin: begin, end: end})
	}
	for _, s := range m.Dims.Tensors() {
		if _, ok := entries[s.Name]; !ok {
			return nil, fmt.Errorf("%s: tensor %q: %w", where, s.Name, ErrMissingTensor)
		}
	}

	// Sorted by begin, the tensors must tile the data section exactly.
	slices.SortFunc(plan, func(a, b stTensor) int {
		if a.begin != b.begin {
			return compareInt64(a.begin, b.begin)
		}
		return compareInt64(a.end, b.end)
	})
	next := int64(0)
	for i, t := range plan {
		switch {
		case t.begin < next:
			return nil, fmt.Errorf("%s: tensor %q: data_offsets [%d, %d] overlap %q ending at %d: %w",
				where, t.name, t.begin, t.end, plan[i-1].name, next, ErrOffsets)
		case t.begin > next:
			return nil, fmt.Errorf("%s: tensor %q: data_offsets [%d, %d] leave a hole at [%d, %d]: %w",
				where, t.name, t.begin, t.end, next, t.begin, ErrOffsets)
		}
		next = t.end
	}
	dataLen := size - dataStart
	if next > dataLen {
		return nil, fmt.Errorf("%s: tensors need a data section of %d bytes at offset %d, file has %d: %w",
			where, next, dataStart, dataLen, ErrTruncated)
	}
	if next < dataLen {
		return nil, fmt.Errorf("%s: %d bytes after the last tensor at data offset %d: %w", where, dataLen-next, next, ErrOffsets)
	}
	for i := range plan {
		plan[i].begin += dataStart
		plan[i].end += dataStart
	}
	return plan, nil
}

// parseSTHeader parses a safetensors header: a JSON object of tensor
// entries and an optional "__metadata__" object of strings, with no key
// twice and no field the format does not define.
func parseSTHeader(header []byte, where string) (map[string]stEntry, error) {
	key, depth, err := findDupKey(header)
	if err != nil {
		return nil, fmt.Errorf("%s: header: %v: %w", where, err, ErrHeader)
	}
	if key != "" && depth == 1 {
		return nil, fmt.Errorf("%s: header: tensor %q appears twice: %w", where, key, ErrDuplicateTensor)
	}
	if key != "" {
		return nil, fmt.Errorf("%s: header: key %q appears twice in one object (ignoring case): %w", where, key, ErrHeader)
	}
	if !isJSONObject(header) {
		return nil, fmt.Errorf("%s: header: not a JSON object: %w", where, ErrHeader)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(header, &raw); err != nil {
		return nil, fmt.Errorf("%s: header: %v: %w", where, err, ErrHeader)
	}
	entries := make(map[string]stEntry, len(raw))
	for name, v := range raw {
		if name == "__metadata__" {
			var md map[string]string
			if !isJSONObject(v) || decodeStrict(v, &md) != nil {
				return nil, fmt.Errorf("%s: header: __metadata__ is not an object of strings: %w", where, ErrHeader)
			}
			continue
		}
		var e stEntry
		if !isJSONObject(v) {
			return nil, fmt.Errorf("%s: header: tensor %q: entry is not an object: %w", where, name, ErrHeader)
		}
		if err := decodeStrict(v, &e); err != nil {
			return nil, fmt.Errorf("%s: header: tensor %q: %v: %w", where, name, err, ErrHeader)
		}
		if e.Shape == nil || len(e.DataOffsets) != 2 {
			return nil, fmt.Errorf("%s: header: tensor %q: want shape and two data_offsets: %w", where, name, ErrHeader)
		}
		entries[name] = e
	}
	return entries, nil
}

// isJSONObject reports whether the JSON text b starts with '{'.
func isJSONObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// shapeEqual reports whether a stored shape equals the manifest's.
func shapeEqual(got []int64, want []int) bool {
	return slices.EqualFunc(got, want, func(g int64, w int) bool { return g == int64(w) })
}

// intShape converts a stored shape for an error message.
func intShape(s []int64) []int {
	out := make([]int, len(s))
	for i, v := range s {
		out[i] = int(v)
	}
	return out
}

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// writeSafetensors writes tensors, which the caller has checked against
// specs, as a safetensors file of F32 tensors in specs order, the header
// padded with spaces to a multiple of 8 bytes. It returns each tensor's
// float32 TensorInfo.
func writeSafetensors(w io.Writer, specs []TensorSpec, tensors map[string][]float32) (map[string]TensorInfo, error) {
	var h bytes.Buffer
	h.WriteByte('{')
	off := int64(0)
	for i, s := range specs {
		if i > 0 {
			h.WriteByte(',')
		}
		name, _ := json.Marshal(s.Name)
		h.Write(name)
		h.WriteString(`:{"dtype":"F32","shape":[`)
		for j, d := range s.Shape {
			if j > 0 {
				h.WriteByte(',')
			}
			h.WriteString(strconv.Itoa(d))
		}
		end := off + 4*numElems(s.Shape)
		fmt.Fprintf(&h, `],"data_offsets":[%d,%d]}`, off, end)
		off = end
	}
	h.WriteByte('}')
	for (8+h.Len())%8 != 0 {
		h.WriteByte(' ')
	}
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(h.Len()))
	if _, err := w.Write(lenBuf[:]); err != nil {
		return nil, err
	}
	if _, err := w.Write(h.Bytes()); err != nil {
		return nil, err
	}
	infos := make(map[string]TensorInfo, len(specs))
	for _, s := range specs {
		b, sum := encodeFloat32(tensors[s.Name])
		if _, err := w.Write(b); err != nil {
			return nil, err
		}
		infos[s.Name] = TensorInfo{DType: DTypeFloat32, Shape: slices.Clone(s.Shape), SHA256: sum}
	}
	return infos, nil
}
