package artefact

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Limits on an npz archive; with them the bytes read from an archive are
// bounded by what its manifest's tensors need.
const (
	// MaxNPZEntries bounds the number of entries of an npz archive.
	MaxNPZEntries = 64
	// MaxNPYHeader bounds an .npy entry's preamble and header dict, so an
	// entry may declare at most its tensor's bytes plus MaxNPYHeader.
	MaxNPYHeader = 16 << 10
)

// npyMagic starts every .npy file.
const npyMagic = "\x93NUMPY"

// npzEntry is a checked npz entry: its zip file and .npy header length.
type npzEntry struct {
	name   string
	f      *zip.File
	hdrLen int64
}

// readNPZ reads an npz archive (numpy.savez or savez_compressed: a zip of
// NAME.npy entries, stored or deflated). Structure first: entry count,
// names and declared sizes against m, then every .npy header, then the
// file's SHA-256, then each tensor, reading no entry past its declared
// size. where names the file in errors.
func readNPZ(ra io.ReaderAt, size int64, where string, m *Manifest) (map[string][]float32, error) {
	plan, err := parseNPZ(ra, size, where, m)
	if err != nil {
		return nil, err
	}
	if err := checkFileSHA(ra, size, where, m.WeightsSHA256); err != nil {
		return nil, err
	}
	out := make(map[string][]float32, len(plan))
	for _, e := range plan {
		v, err := readNPZTensor(e, m.Tensors[e.name])
		if err != nil {
			return nil, fmt.Errorf("%s: %s.npy: %w", where, e.name, err)
		}
		out[e.name] = v
	}
	return out, nil
}

// parseNPZ checks the archive's directory and .npy headers against m.
func parseNPZ(ra io.ReaderAt, size int64, where string, m *Manifest) ([]npzEntry, error) {
	// Bound the archive before parsing its directory: stored entries take
	// their size plus headers, deflated ones at most a little more.
	var need int64
	for _, info := range m.Tensors {
		need += tensorBytes(info) + MaxNPYHeader
	}
	if limit := 2*need + 1<<20; size > limit {
		return nil, fmt.Errorf("%s: %d bytes, the manifest's tensors allow at most %d: %w", where, size, limit, ErrZipBomb)
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %w", where, err, ErrNPZ)
	}
	if len(zr.File) > MaxNPZEntries {
		return nil, fmt.Errorf("%s: %d entries, limit %d: %w", where, len(zr.File), MaxNPZEntries, ErrZipBomb)
	}
	byName := make(map[string]*zip.File, len(zr.File))
	var declared uint64
	for i, f := range zr.File {
		name, ok := strings.CutSuffix(f.Name, ".npy")
		if !ok {
			return nil, fmt.Errorf("%s: entry %d %q: want NAME.npy: %w", where, i, f.Name, ErrNPZ)
		}
		if _, dup := byName[name]; dup {
			return nil, fmt.Errorf("%s: entry %d: tensor %q appears twice: %w", where, i, name, ErrDuplicateTensor)
		}
		info, ok := m.Tensors[name]
		if !ok {
			return nil, fmt.Errorf("%s: entry %d: tensor %q: not used by %s: %w", where, i, name, ArchHeteroSAGE, ErrUnknownTensor)
		}
		if f.Method != zip.Store && f.Method != zip.Deflate {
			return nil, fmt.Errorf("%s: %s: compression method %d: want stored or deflated: %w", where, f.Name, f.Method, ErrNPZ)
		}
		if limit := uint64(tensorBytes(info) + MaxNPYHeader); f.UncompressedSize64 > limit {
			return nil, fmt.Errorf("%s: %s: declares %d bytes, tensor needs at most %d: %w", where, f.Name, f.UncompressedSize64, limit, ErrZipBomb)
		}
		declared += f.UncompressedSize64
		byName[name] = f
	}
	if declared > uint64(need) {
		return nil, fmt.Errorf("%s: entries declare %d bytes in all, limit %d: %w", where, declared, need, ErrZipBomb)
	}
	specs := m.Dims.Tensors()
	plan := make([]npzEntry, 0, len(specs))
	for _, s := range specs {
		f, ok := byName[s.Name]
		if !ok {
			return nil, fmt.Errorf("%s: tensor %q: no entry %s.npy: %w", where, s.Name, s.Name, ErrMissingTensor)
		}
		e := npzEntry{name: s.Name, f: f}
		if e.hdrLen, err = checkNPYEntry(f, m.Tensors[s.Name]); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", where, f.Name, err)
		}
		plan = append(plan, e)
	}
	return plan, nil
}

// checkNPYEntry reads the .npy header of f, checks it against info and
// that f declares exactly header plus data, and returns the header length.
func checkNPYEntry(f *zip.File, info TensorInfo) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, fmt.Errorf("%v: %w", err, ErrNPZ)
	}
	defer rc.Close()
	h, hdrLen, err := readNPYHeader(zipEntryReader{rc})
	if err != nil {
		return 0, err
	}
	if err := checkDescr(h.descr, info.DType); err != nil {
		return 0, err
	}
	if h.fortran {
		return 0, fmt.Errorf("fortran_order is True, want C order: %w", ErrNPY)
	}
	if !shapeEqual(h.shape, info.Shape) {
		return 0, &ShapeError{Tensor: strings.TrimSuffix(f.Name, ".npy"), Where: "npy header", Want: info.Shape, Got: intShape(h.shape)}
	}
	if want := uint64(hdrLen + tensorBytes(info)); f.UncompressedSize64 != want {
		return 0, fmt.Errorf("declares %d bytes, a %d-byte header and shape %v of %s need %d: %w",
			f.UncompressedSize64, hdrLen, info.Shape, info.DType, want, ErrSizeMismatch)
	}
	return hdrLen, nil
}

// readNPZTensor reads the data of a checked entry and makes sure the entry
// ends there (its CRC-32 is checked at the end).
func readNPZTensor(e npzEntry, info TensorInfo) ([]float32, error) {
	rc, err := e.f.Open()
	if err != nil {
		return nil, fmt.Errorf("%v: %w", err, ErrNPZ)
	}
	defer rc.Close()
	r := zipEntryReader{rc}
	if _, err := io.CopyN(io.Discard, r, e.hdrLen); err != nil {
		return nil, npyReadErr(err)
	}
	v, err := readTensor(io.LimitReader(r, tensorBytes(info)), e.name, info.DType, numElems(info.Shape), info.SHA256)
	if err != nil {
		return nil, err
	}
	var one [1]byte
	switch n, err := io.ReadFull(r, one[:]); {
	case n > 0:
		return nil, fmt.Errorf("entry continues past its tensor's %d bytes: %w", tensorBytes(info), ErrZipBomb)
	case err == io.ErrUnexpectedEOF:
		return nil, fmt.Errorf("entry ends before its declared size: %w", ErrTruncated)
	case err != io.EOF:
		return nil, err
	}
	return v, nil
}

// zipEntryReader maps the errors of a zip entry reader to the package's:
// a CRC-32 mismatch to ErrChecksum, more bytes than declared to
// ErrZipBomb, a corrupt stream to ErrNPZ. Short reads stay
// io.ErrUnexpectedEOF for the caller to report as ErrTruncated.
type zipEntryReader struct{ r io.Reader }

func (z zipEntryReader) Read(p []byte) (int, error) {
	n, err := z.r.Read(p)
	switch {
	case err == nil, err == io.EOF, err == io.ErrUnexpectedEOF:
		return n, err
	case errors.Is(err, zip.ErrChecksum):
		return n, fmt.Errorf("crc-32: %w", ErrChecksum)
	case errors.Is(err, zip.ErrFormat):
		return n, fmt.Errorf("entry inflates past its declared size: %w", ErrZipBomb)
	}
	return n, fmt.Errorf("%v: %w", err, ErrNPZ)
}

// tensorBytes is the stored size of a tensor the manifest describes.
func tensorBytes(info TensorInfo) int64 {
	size, _ := dtypeSize(info.DType) // a validated manifest
	return numElems(info.Shape) * size
}

// checkDescr checks an .npy descr against the manifest dtype: '<f4' for
// float32; '<u2', '|V2' or 'bfloat16' for bfloat16.
func checkDescr(descr, dtype string) error {
	ok := false
	switch dtype {
	case DTypeFloat32:
		ok = descr == "<f4"
	case DTypeBFloat16:
		ok = descr == "<u2" || descr == "|V2" || descr == "bfloat16"
	}
	if !ok {
		return fmt.Errorf("descr %q does not store %s: %w", descr, dtype, ErrDType)
	}
	return nil
}

// npyHeader is the header dict of an .npy file.
type npyHeader struct {
	descr   string
	fortran bool
	shape   []int64
}

// readNPYHeader reads the preamble and header dict of an .npy file
// (format versions 1.0, 2.0 and 3.0) and returns them with their length.
func readNPYHeader(r io.Reader) (npyHeader, int64, error) {
	var pre [12]byte
	if _, err := io.ReadFull(r, pre[:8]); err != nil {
		return npyHeader{}, 0, npyReadErr(err)
	}
	if string(pre[:6]) != npyMagic {
		return npyHeader{}, 0, fmt.Errorf("magic %q, want %q: %w", pre[:6], npyMagic, ErrNPY)
	}
	major, minor := pre[6], pre[7]
	if major < 1 || major > 3 || minor != 0 {
		return npyHeader{}, 0, fmt.Errorf("format version %d.%d, want 1.0, 2.0 or 3.0: %w", major, minor, ErrNPY)
	}
	var preLen, hlen int64
	if major == 1 {
		preLen = 10
		if _, err := io.ReadFull(r, pre[8:10]); err != nil {
			return npyHeader{}, 0, npyReadErr(err)
		}
		hlen = int64(binary.LittleEndian.Uint16(pre[8:10]))
	} else {
		preLen = 12
		if _, err := io.ReadFull(r, pre[8:12]); err != nil {
			return npyHeader{}, 0, npyReadErr(err)
		}
		hlen = int64(binary.LittleEndian.Uint32(pre[8:12]))
	}
	if preLen+hlen > MaxNPYHeader {
		return npyHeader{}, 0, fmt.Errorf("header of %d bytes, limit %d: %w", preLen+hlen, MaxNPYHeader, ErrNPY)
	}
	dict := make([]byte, hlen)
	if _, err := io.ReadFull(r, dict); err != nil {
		return npyHeader{}, 0, npyReadErr(err)
	}
	h, err := parseNPYDict(dict)
	if err != nil {
		return npyHeader{}, 0, err
	}
	return h, preLen + hlen, nil
}

func npyReadErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("header: %w", ErrTruncated)
	}
	return fmt.Errorf("header: %w", err)
}

// parseNPYDict parses the Python literal header of an .npy file, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }: exactly the
// keys descr, fortran_order and shape, each once.
func parseNPYDict(s []byte) (npyHeader, error) {
	bad := func(what string) (npyHeader, error) {
		return npyHeader{}, fmt.Errorf("header dict %q: %s: %w", s, what, ErrNPY)
	}
	p := pyLit{s: s}
	if !p.eat('{') {
		return bad("want '{'")
	}
	var h npyHeader
	seen := map[string]bool{}
	for !p.eat('}') {
		key, ok := p.str()
		if !ok || !p.eat(':') {
			return bad("want 'key':")
		}
		if seen[key] {
			return bad("key " + key + " twice")
		}
		seen[key] = true
		switch key {
		case "descr":
			if h.descr, ok = p.str(); !ok {
				return bad("descr is not a string")
			}
		case "fortran_order":
			switch p.ident() {
			case "True":
				h.fortran = true
			case "False":
			default:
				return bad("fortran_order is not True or False")
			}
		case "shape":
			if h.shape, ok = p.tuple(); !ok {
				return bad("shape is not a tuple of integers")
			}
		default:
			return bad("unknown key " + key)
		}
		if !p.eat(',') {
			if !p.eat('}') {
				return bad("want ',' or '}'")
			}
			break
		}
	}
	p.space()
	if p.i != len(s) {
		return bad("data after '}'")
	}
	if len(seen) != 3 {
		return bad("want descr, fortran_order and shape")
	}
	return h, nil
}

// pyLit scans the Python literals of an .npy header.
type pyLit struct {
	s []byte
	i int
}

func (p *pyLit) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

// eat consumes c after white space, if it is next.
func (p *pyLit) eat(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str scans a quoted string without escapes.
func (p *pyLit) str() (string, bool) {
	p.space()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", false
	}
	q := p.s[p.i]
	j := bytes.IndexByte(p.s[p.i+1:], q)
	if j < 0 || bytes.IndexByte(p.s[p.i+1:p.i+1+j], '\\') >= 0 {
		return "", false
	}
	v := string(p.s[p.i+1 : p.i+1+j])
	p.i += j + 2
	return v, true
}

// ident scans a run of ASCII letters.
func (p *pyLit) ident() string {
	p.space()
	j := p.i
	for j < len(p.s) && (p.s[j] >= 'a' && p.s[j] <= 'z' || p.s[j] >= 'A' && p.s[j] <= 'Z') {
		j++
	}
	v := string(p.s[p.i:j])
	p.i = j
	return v
}

// tuple scans a tuple of non-negative integers: (), (3,), (3, 4) or (3, 4,).
func (p *pyLit) tuple() ([]int64, bool) {
	if !p.eat('(') {
		return nil, false
	}
	dims := []int64{}
	commas := 0
	for !p.eat(')') {
		p.space()
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		if j == p.i || j-p.i > 12 {
			return nil, false
		}
		v, err := strconv.ParseInt(string(p.s[p.i:j]), 10, 64)
		if err != nil {
			return nil, false
		}
		p.i = j
		dims = append(dims, v)
		if p.eat(',') {
			commas++
			continue
		}
		if !p.eat(')') {
			return nil, false
		}
		break
	}
	if len(dims) == 1 && commas == 0 { // (3) is an int, not a tuple
		return nil, false
	}
	return dims, true
}

// npyFloat32Header returns the version 1.0 .npy preamble and header of a
// C-order float32 array, padded to a multiple of 64 bytes exactly as numpy pads it.
func npyFloat32Header(shape []int) []byte {
	var d strings.Builder
	d.WriteString("{'descr': '<f4', 'fortran_order': False, 'shape': (")
	for i, s := range shape {
		if i > 0 {
			d.WriteString(", ")
		}
		d.WriteString(strconv.Itoa(s))
	}
	if len(shape) == 1 {
		d.WriteByte(',')
	}
	d.WriteString("), }")
	// numpy.lib.format pads with 1 to 64 spaces, then '\n'.
	d.WriteString(strings.Repeat(" ", 64-(10+d.Len()+1)%64))
	d.WriteByte('\n')
	b := []byte(npyMagic + "\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(d.Len()))
	return append(b, d.String()...)
}

// writeNPZ writes tensors, which the caller has checked against specs, as
// an uncompressed npz archive (like numpy.savez) of float32 NAME.npy
// entries in specs order, and returns each tensor's TensorInfo.
func writeNPZ(w io.Writer, specs []TensorSpec, tensors map[string][]float32) (map[string]TensorInfo, error) {
	zw := zip.NewWriter(w)
	infos := make(map[string]TensorInfo, len(specs))
	for _, s := range specs {
		data, sum := encodeFloat32(tensors[s.Name])
		hdr := npyFloat32Header(s.Shape)
		crc := crc32.Update(crc32.ChecksumIEEE(hdr), crc32.IEEETable, data)
		n := uint64(len(hdr) + len(data))
		ew, err := zw.CreateRaw(&zip.FileHeader{
			Name: s.Name + ".npy", Method: zip.Store,
			CRC32: crc, CompressedSize64: n, UncompressedSize64: n,
		})
		if err != nil {
			return nil, err
		}
		if _, err := ew.Write(hdr); err != nil {
			return nil, err
		}
		if _, err := ew.Write(data); err != nil {
			return nil, err
		}
		infos[s.Name] = TensorInfo{DType: DTypeFloat32, Shape: slices.Clone(s.Shape), SHA256: sum}
	}
	return infos, zw.Close()
}
