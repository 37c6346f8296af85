package artefact

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// fixture is a valid artefact for a corruption to damage.
type fixture struct {
	m       Manifest             // the manifest; edits are written out
	w       []byte               // the valid weights file
	tensors map[string][]float32 // the weights it holds
}

// stJoin assembles a safetensors file from a header and a data section.
func stJoin(header, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

// stEdit parses a safetensors file, lets edit change the header entries
// and return a new data section, and reassembles it.
func stEdit(t *testing.T, w []byte, edit func(h map[string]stEntry, data []byte) []byte) []byte {
	t.Helper()
	n := binary.LittleEndian.Uint64(w)
	var h map[string]stEntry
	if err := json.Unmarshal(w[8:8+n], &h); err != nil {
		t.Fatal(err)
	}
	data := edit(h, slices.Clone(w[8+n:]))
	return stJoin(mustJSON(t, h), data)
}

// stHeaderPrefix inserts raw JSON members at the start of the header.
func stHeaderPrefix(t *testing.T, w []byte, members string) []byte {
	n := binary.LittleEndian.Uint64(w)
	header := "{" + members + "," + string(w[9:8+n])
	return stJoin([]byte(header), w[8+n:])
}

// setValue writes v at element i of tensor name of a safetensors file and
// updates the manifest's per-tensor checksum to match.
func setValue(t *testing.T, fx *fixture, name string, i int, v float32) []byte {
	return stEdit(t, fx.w, func(h map[string]stEntry, data []byte) []byte {
		e := h[name]
		binary.LittleEndian.PutUint32(data[e.DataOffsets[0]+4*int64(i):], math.Float32bits(v))
		info := fx.m.Tensors[name]
		info.SHA256 = sha256Hex(data[e.DataOffsets[0]:e.DataOffsets[1]])
		fx.m.Tensors[name] = info
		return data
	})
}

func int64Shape(s []int) []int64 {
	out := make([]int64, len(s))
	for i, v := range s {
		out[i] = int64(v)
	}
	return out
}

// zent is an entry of a test zip archive.
type zent struct {
	name    string
	body    []byte
	deflate bool
}

func buildZip(t *testing.T, ents []zent) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range ents {
		method := zip.Store
		if e.deflate {
			method = zip.Deflate
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// npyBody is an .npy file with the given header fields and raw data.
func npyBody(descr string, fortran bool, shape []int, data []byte) []byte {
	dims := make([]string, len(shape))
	for i, s := range shape {
		dims[i] = fmt.Sprint(s)
	}
	tuple := strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	order := "False"
	if fortran {
		order = "True"
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }\n", descr, order, tuple)
	b := []byte(npyMagic + "\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(dict)))
	return append(append(b, dict...), data...)
}

// npzEntries are the valid .npy entries of the fixture's tensors.
func npzEntries(fx *fixture) []zent {
	var ents []zent
	for _, s := range fx.m.Dims.Tensors() {
		data, _ := encodeFloat32(fx.tensors[s.Name])
		ents = append(ents, zent{name: s.Name + ".npy", body: npyBody("<f4", false, s.Shape, data)})
	}
	return ents
}

// npzWith builds the fixture's archive with entry name replaced by body
// (or dropped if body is nil).
func npzWith(t *testing.T, fx *fixture, name string, body []byte) []byte {
	var ents []zent
	for _, e := range npzEntries(fx) {
		if e.name == name {
			if body == nil {
				continue
			}
			e.body = body
		}
		ents = append(ents, e)
	}
	return buildZip(t, ents)
}

// le32 is v as little-endian float32 bytes.
func le32(v ...float32) []byte {
	b, _ := encodeFloat32(v)
	return b
}

func TestLoadCorrupt(t *testing.T) {
	const (
		st  = FormatSafetensors
		npz = FormatNPZ
	)
	H := smallDims.H
	tests := []struct {
		name   string
		format Format
		// mutate returns the damaged weights file; it may edit fx.m.
		mutate func(t *testing.T, fx *fixture) []byte
		// manifestJSON, if set, damages the manifest's JSON text.
		manifestJSON func(b []byte) []byte
		// keepSHA leaves weights_sha256 as it was instead of resealing it
		// to the damaged file, so that the damage itself is what fails.
		keepSHA bool
		want    error
		mention string // the error must name this (a tensor, a field)
	}{
		// safetensors structure
		{name: "st header too large", format: st, want: ErrHeaderTooLarge, mutate: func(t *testing.T, fx *fixture) []byte {
			w := slices.Clone(fx.w)
			binary.LittleEndian.PutUint64(w, MaxHeaderBytes+1)
			return w
		}},
		{name: "st header longer than file", format: st, want: ErrTruncated, mutate: func(t *testing.T, fx *fixture) []byte {
			w := slices.Clone(fx.w)
			binary.LittleEndian.PutUint64(w, uint64(len(w)))
			return w
		}},
		{name: "st shorter than header length", format: st, want: ErrTruncated, mutate: func(t *testing.T, fx *fixture) []byte { return fx.w[:5] }},
		{name: "st header not JSON", format: st, want: ErrHeader, mutate: func(t *testing.T, fx *fixture) []byte {
			w := slices.Clone(fx.w)
			n := binary.LittleEndian.Uint64(w)
			copy(w[8:8+n], bytes.Repeat([]byte("x"), int(n)))
			return w
		}},
		{name: "st header an array", format: st, want: ErrHeader, mutate: func(t *testing.T, fx *fixture) []byte {
			return stJoin([]byte(`[]`), nil)
		}},
		{name: "st metadata not strings", format: st, want: ErrHeader, mutate: func(t *testing.T, fx *fixture) []byte {
			return stHeaderPrefix(t, fx.w, `"__metadata__":{"epoch":3}`)
		}},
		{name: "st entry field twice, folded", format: st, want: ErrHeader, mutate: func(t *testing.T, fx *fixture) []byte {
			return stHeaderPrefix(t, fx.w, `"l3.w":{"dtype":"F32","DType":"BF16","shape":[1],"data_offsets":[0,4]}`)
		}},
		{name: "st unknown entry field", format: st, want: ErrHeader, mutate: func(t *testing.T, fx *fixture) []byte {
			return stHeaderPrefix(t, fx.w, `"l3.w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"stride":[1]}`)
		}},
		{name: "st duplicate tensor", format: st, want: ErrDuplicateTensor, mention: "head.b", mutate: func(t *testing.T, fx *fixture) []byte {
			return stHeaderPrefix(t, fx.w, `"head.b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}`)
		}},
		{name: "st hole in offsets", format: st, want: ErrOffsets, mention: "head.b", mutate: func(t *testing.T, fx *fixture) []byte {
			return stEdit(t, fx.w, func(h map[string]stEntry, data []byte) []byte {
				e := h["head.b"]
				e.DataOffsets = []int64{e.DataOffsets[0] + 4, e.DataOffsets[1] + 4}
				h["head.b"] = e
				return slices.Insert(data, len(data)-4, 0, 0, 0, 0)
			})
		}},
		{name: "st overlapping offsets", format: st, want: ErrOffsets, mention: "head.b", mutate: func(t *testing.T, fx *fixture) []byte {
			return stEdit(t, fx.w, func(h map[string]stEntry, data []byte) []byte {
				e := h["head.b"]
				e.DataOffsets = []int64{e.DataOffsets[0] - 4, e.DataOffsets[1] - 4}
				h["head.b"] = e
				return data[:len(data)-4]
			})
		}},
		{name: "st begin after end", format: st, want: ErrOffsets, mutate: func(t *testing.T, fx *fixture) []byte {
			return stEdit(t, fx.w, func(h map[string]stEntry, data []byte) []byte {
				e := h["head.b"]
				e.DataOffsets = []int64{e.DataOffsets[1], e.DataOffsets[0]}
				h["head.b"] = e
				return data
			})
		}},
		{name: "st trailing bytes", format: st, want: ErrOffsets, mutate: func(t *testing.T, fx *fixture) []byte {
			return append(slices.Clone(fx.w), 0, 0, 0, 0)
		}},
		{name: "st size mismatch", format: st, want: ErrSizeMismatch, mention: "head.b", mutate: func(t *testing.T, fx *fixture) []byte {
			return stEdit(t, fx.w, func(h map[string]stEntry, data []byte) []byte {
				e := h["head.b"]
				e.DataOffsets[1] += 4
				h["head.b"] = e
				return append(data, 0, 0, 0, 0)
			})
		}},
		{name: "st unknown dtype", format: st, want: ErrDType, mention: "l2.nb.w", mutate: func(t *testing.T, fx *fixture) []byte {
			return stEdit(t, fx.w, func(h map[string]stEntry, data []byte) []byte {
				e := h["l2.nb.w"]
				e.DType = "F16"
				h["l2.nb.w"] = e
				return data
			})
		}},
		{name: "st dtype differs from manifest", format: st, want: ErrDType, mutate: func(t *testing.T, fx *fixture) []byte {
			return stEdit(t, fx.w, func(h map[string]stEntry, data []byte) []byte {
				e := h["head.b"]
				e.DType = "BF16"
				h["head.b"] = e
				return data
			})
		}},
		{name: "st missing tensor", format: st, want: ErrMissingTensor, mention: "head.b", mutate: func(t *testing.T, fx *fixture) []byte {
			return stEdit(t, fx.w, func(h map[string]stEntry, data []byte) []byte {
				delete(h, "head.b")
				return data[:len(data)-4]
			})
		}},
		{name: "st unknown tensor", format: st, want: ErrUnknownTensor, mention: "l3.w", mutate: func(t *testing.T, fx *fixture) []byte {
			return stEdit(t, fx.w, func(h map[string]stEntry, data []byte) []byte {
				h["l3.w"] = stEntry{DType: "F32", Shape: []int64{1}, DataOffsets: []int64{int64(len(data)), int64(len(data) + 4)}}
				return append(data, le32(1)...)
			})
		}},
		{name: "st shape mismatch", format: st, want: ErrShapeMismatch, mention: "l1.self0.w", mutate: func(t *testing.T, fx *fixture) []byte {
			return stEdit(t, fx.w, func(h map[string]stEntry, data []byte) []byte {
				e := h["l1.self0.w"]
				e.Shape = []int64{e.Shape[1], e.Shape[0]} // same size, transposed
				h["l1.self0.w"] = e
				return data
			})
		}},
		{name: "st truncated data", format: st, want: ErrTruncated, keepSHA: true, mutate: func(t *testing.T, fx *fixture) []byte { return fx.w[:len(fx.w)-3] }},
		{name: "st file checksum", format: st, want: ErrChecksum, keepSHA: true, mention: "weights_sha256", mutate: func(t *testing.T, fx *fixture) []byte {
			w := slices.Clone(fx.w)
			w[len(w)-1] ^= 1
			return w
		}},
		{name: "st tensor checksum", format: st, want: ErrChecksum, mention: "head.b", mutate: func(t *testing.T, fx *fixture) []byte {
			w := slices.Clone(fx.w)
			w[len(w)-1] ^= 1
			return w
		}},
		{name: "st NaN", format: st, want: ErrNonFinite, mention: `"head.b": element 0`, mutate: func(t *testing.T, fx *fixture) []byte {
			return setValue(t, fx, "head.b", 0, float32(math.NaN()))
		}},
		{name: "st +Inf", format: st, want: ErrNonFinite, mention: `"l2.self.b": element 2`, mutate: func(t *testing.T, fx *fixture) []byte {
			return setValue(t, fx, "l2.self.b", 2, float32(math.Inf(1)))
		}},
		{name: "st -Inf", format: st, want: ErrNonFinite, mutate: func(t *testing.T, fx *fixture) []byte {
			return setValue(t, fx, "l1.nb1.w", 7, float32(math.Inf(-1)))
		}},

		// manifest
		{name: "unknown architecture", format: st, want: ErrUnknownArchitecture, mutate: func(t *testing.T, fx *fixture) []byte {
			fx.m.Architecture = "gat-v9"
			return fx.w
		}},
		{name: "bad format version", format: st, want: ErrFormatVersion, mutate: func(t *testing.T, fx *fixture) []byte {
			fx.m.FormatVersion = 2
			return fx.w
		}},
		{name: "dims out of range", format: st, want: ErrDims, mention: "dims.hidden", mutate: func(t *testing.T, fx *fixture) []byte {
			fx.m.Dims.H = 5000
			return fx.w
		}},
		{name: "too many parameters", format: st, want: ErrDims, mutate: func(t *testing.T, fx *fixture) []byte {
			fx.m.Dims = Dims{F0: 4096, F1: 4096, F2: 4096, R1: 64, R2: 64, K1: 1, K2: 1, H: 4096}
			return fx.w
		}},
		{name: "manifest missing tensor", format: st, want: ErrMissingTensor, mention: "head.w", mutate: func(t *testing.T, fx *fixture) []byte {
			delete(fx.m.Tensors, "head.w")
			return fx.w
		}},
		{name: "manifest unknown tensor", format: st, want: ErrUnknownTensor, mention: "l3.w", mutate: func(t *testing.T, fx *fixture) []byte {
			fx.m.Tensors["l3.w"] = fx.m.Tensors["head.w"]
			return fx.w
		}},
		{name: "manifest shape mismatch", format: st, want: ErrShapeMismatch, mention: "head.w", mutate: func(t *testing.T, fx *fixture) []byte {
			info := fx.m.Tensors["head.w"]
			info.Shape = []int{1, H}
			fx.m.Tensors["head.w"] = info
			return fx.w
		}},
		{name: "manifest dtype", format: st, want: ErrDType, mention: "l1.nb0.w", mutate: func(t *testing.T, fx *fixture) []byte {
			info := fx.m.Tensors["l1.nb0.w"]
			info.DType = "float16"
			fx.m.Tensors["l1.nb0.w"] = info
			return fx.w
		}},
		{name: "manifest tensor sha not hex", format: st, want: ErrManifest, mutate: func(t *testing.T, fx *fixture) []byte {
			info := fx.m.Tensors["head.b"]
			info.SHA256 = strings.ToUpper(info.SHA256)
			fx.m.Tensors["head.b"] = info
			return fx.w
		}},
		{name: "feature std zero", format: st, want: ErrManifest, mention: "features.hop1[0]", mutate: func(t *testing.T, fx *fixture) []byte {
			fx.m.Features.Hop1[0].Std = 0
			return fx.w
		}},
		{name: "feature count", format: st, want: ErrManifest, mention: "features.target", mutate: func(t *testing.T, fx *fixture) []byte {
			fx.m.Features.Target = fx.m.Features.Target[1:]
			return fx.w
		}},
		{name: "relations count", format: st, want: ErrManifest, mention: "relations1", mutate: func(t *testing.T, fx *fixture) []byte {
			fx.m.Relations1 = fx.m.Relations1[:1]
			return fx.w
		}},
		{name: "target", format: st, want: ErrManifest, mutate: func(t *testing.T, fx *fixture) []byte {
			fx.m.Target = "Merchant"
			return fx.w
		}},
		{name: "weights name", format: st, want: ErrManifest, mutate: func(t *testing.T, fx *fixture) []byte {
			fx.m.Weights = "weights.bin"
			return fx.w
		}},
		{name: "manifest not JSON", format: st, want: ErrManifest, mutate: func(t *testing.T, fx *fixture) []byte { return fx.w },
			manifestJSON: func(b []byte) []byte { return b[:len(b)/2] }},
		{name: "manifest unknown field", format: st, want: ErrManifest, mutate: func(t *testing.T, fx *fixture) []byte { return fx.w },
			manifestJSON: func(b []byte) []byte { return append([]byte(`{"learning_rate":0.1,`), b[1:]...) }},
		{name: "manifest duplicate field", format: st, want: ErrManifest, mention: `"id"`, mutate: func(t *testing.T, fx *fixture) []byte { return fx.w },
			manifestJSON: func(b []byte) []byte { return append([]byte(`{"id":"other",`), b[1:]...) }},
		{name: "manifest field twice, folded", format: st, want: ErrManifest, mention: `"id"`, mutate: func(t *testing.T, fx *fixture) []byte { return fx.w },
			manifestJSON: func(b []byte) []byte { return append([]byte(`{"ID":"other",`), b[1:]...) }},

		// npz
		{name: "npz not a zip", format: npz, want: ErrNPZ, mutate: func(t *testing.T, fx *fixture) []byte { return []byte("PK\x03\x04 not really") }},
		{name: "npz truncated", format: npz, want: ErrNPZ, mutate: func(t *testing.T, fx *fixture) []byte { return fx.w[:len(fx.w)-10] }},
		{name: "npz zip bomb declared", format: npz, want: ErrZipBomb, mention: "head.b.npy", mutate: func(t *testing.T, fx *fixture) []byte {
			ents := npzEntries(fx)
			last := &ents[len(ents)-1]
			last.body = npyBody("<f4", false, []int{1 << 18}, make([]byte, 1<<20))
			last.deflate = true
			return buildZip(t, ents)
		}},
		{name: "npz zip bomb produced", format: npz, want: ErrZipBomb, mention: "head.b.npy", mutate: func(t *testing.T, fx *fixture) []byte {
			// head.b.npy declares exactly its size but inflates to 1 MiB more.
			ents := npzEntries(fx)
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			for _, e := range ents {
				body, extra := e.body, []byte(nil)
				if e.name == "head.b.npy" {
					extra = make([]byte, 1<<20)
				}
				var comp bytes.Buffer
				fw, _ := flate.NewWriter(&comp, flate.BestCompression)
				fw.Write(body)
				fw.Write(extra)
				fw.Close()
				w, err := zw.CreateRaw(&zip.FileHeader{Name: e.name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(body),
					CompressedSize64: uint64(comp.Len()), UncompressedSize64: uint64(len(body))})
				if err != nil {
					t.Fatal(err)
				}
				w.Write(comp.Bytes())
			}
			zw.Close()
			return buf.Bytes()
		}},
		{name: "npz too many entries", format: npz, want: ErrZipBomb, mutate: func(t *testing.T, fx *fixture) []byte {
			ents := npzEntries(fx)
			for i := len(ents); i <= MaxNPZEntries; i++ {
				ents = append(ents, zent{name: fmt.Sprintf("arr_%d.npy", i), body: npyBody("<f4", false, []int{1}, le32(0))})
			}
			return buildZip(t, ents)
		}},
		{name: "npz fortran order", format: npz, want: ErrNPY, mention: "head.w.npy", mutate: func(t *testing.T, fx *fixture) []byte {
			data, _ := encodeFloat32(fx.tensors["head.w"])
			return npzWith(t, fx, "head.w.npy", npyBody("<f4", true, []int{H, 1}, data))
		}},
		{name: "npz bad magic", format: npz, want: ErrNPY, mutate: func(t *testing.T, fx *fixture) []byte {
			b := npyBody("<f4", false, []int{1}, le32(0.5))
			b[1] = 'n'
			return npzWith(t, fx, "head.b.npy", b)
		}},
		{name: "npz npy version 4", format: npz, want: ErrNPY, mutate: func(t *testing.T, fx *fixture) []byte {
			b := npyBody("<f4", false, []int{1}, le32(0.5))
			b[6] = 4
			return npzWith(t, fx, "head.b.npy", b)
		}},
		{name: "npz shape mismatch", format: npz, want: ErrShapeMismatch, mention: "head.w", mutate: func(t *testing.T, fx *fixture) []byte {
			data, _ := encodeFloat32(fx.tensors["head.w"])
			return npzWith(t, fx, "head.w.npy", npyBody("<f4", false, []int{1, H}, data))
		}},
		{name: "npz float64", format: npz, want: ErrDType, mutate: func(t *testing.T, fx *fixture) []byte {
			return npzWith(t, fx, "head.b.npy", npyBody("<f8", false, []int{1}, make([]byte, 8)))
		}},
		{name: "npz bfloat16 bits for a float32 tensor", format: npz, want: ErrDType, mutate: func(t *testing.T, fx *fixture) []byte {
			return npzWith(t, fx, "head.b.npy", npyBody("<u2", false, []int{1}, make([]byte, 2)))
		}},
		{name: "npz size mismatch", format: npz, want: ErrSizeMismatch, mention: "head.b.npy", mutate: func(t *testing.T, fx *fixture) []byte {
			return npzWith(t, fx, "head.b.npy", npyBody("<f4", false, []int{1}, le32(0.5, 0.25)))
		}},
		{name: "npz duplicate entry", format: npz, want: ErrDuplicateTensor, mention: "head.b", mutate: func(t *testing.T, fx *fixture) []byte {
			ents := npzEntries(fx)
			return buildZip(t, append(ents, ents[len(ents)-1]))
		}},
		{name: "npz missing entry", format: npz, want: ErrMissingTensor, mention: "head.b", mutate: func(t *testing.T, fx *fixture) []byte {
			return npzWith(t, fx, "head.b.npy", nil)
		}},
		{name: "npz unknown entry", format: npz, want: ErrUnknownTensor, mention: "arr_0", mutate: func(t *testing.T, fx *fixture) []byte {
			return buildZip(t, append(npzEntries(fx), zent{name: "arr_0.npy", body: npyBody("<f4", false, []int{1}, le32(0))}))
		}},
		{name: "npz entry not npy", format: npz, want: ErrNPZ, mutate: func(t *testing.T, fx *fixture) []byte {
			return buildZip(t, append(npzEntries(fx), zent{name: "README.txt", body: []byte("hi")}))
		}},
		{name: "npz file checksum", format: npz, want: ErrChecksum, keepSHA: true, mutate: func(t *testing.T, fx *fixture) []byte {
			w := slices.Clone(fx.w)
			i := bytes.Index(w, le32(fx.tensors["l2.self.b"]...))
			w[i] ^= 1
			return w
		}},
		{name: "npz crc-32", format: npz, want: ErrChecksum, mention: "crc-32", mutate: func(t *testing.T, fx *fixture) []byte {
			// The tensor's sha256 is resealed too: only the zip CRC is left to notice.
			w := slices.Clone(fx.w)
			data := le32(fx.tensors["l2.self.b"]...)
			i := bytes.Index(w, data)
			w[i] ^= 1
			info := fx.m.Tensors["l2.self.b"]
			info.SHA256 = sha256Hex(w[i : i+len(data)])
			fx.m.Tensors["l2.self.b"] = info
			return w
		}},
		{name: "npz tensor checksum", format: npz, want: ErrChecksum, mention: "l1.nb0.w", mutate: func(t *testing.T, fx *fixture) []byte {
			data, _ := encodeFloat32(fx.tensors["l1.nb0.w"])
			data[0] ^= 1
			return npzWith(t, fx, "l1.nb0.w.npy", npyBody("<f4", false, []int{smallDims.R1, smallDims.F1, H}, data))
		}},
		{name: "npz NaN", format: npz, want: ErrNonFinite, mention: "head.b", mutate: func(t *testing.T, fx *fixture) []byte {
			data := le32(float32(math.NaN()))
			info := fx.m.Tensors["head.b"]
			info.SHA256 = sha256Hex(data)
			fx.m.Tensors["head.b"] = info
			return npzWith(t, fx, "head.b.npy", npyBody("<f4", false, []int{1}, data))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, tt.format)
			w := tt.mutate(t, fx)
			if !tt.keepSHA {
				fx.m.WeightsSHA256 = sha256Hex(w)
			}
			mj := mustJSON(t, fx.m)
			if tt.manifestJSON != nil {
				mj = tt.manifestJSON(mj)
			}
			dir := writeRaw(t, mj, w, tt.format.FileName())
			a, err := Load(dir)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Load error = %v, want %v", err, tt.want)
			}
			t.Log(err)
			if a != nil {
				t.Errorf("Load returned an artefact with its error")
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not mention %q", err, tt.mention)
			}
			// LoadFS refuses the same damage, from disk and from memory.
			if _, err := LoadFS(os.DirFS(dir), "."); !errors.Is(err, tt.want) {
				t.Errorf("LoadFS(os.DirFS) error = %v, want %v", err, tt.want)
			}
			if _, err := LoadFS(fstest.MapFS{"m/" + ManifestFile: {Data: mj}, "m/" + tt.format.FileName(): {Data: w}}, "m"); !errors.Is(err, tt.want) {
				t.Errorf("LoadFS(fstest.MapFS) error = %v, want %v", err, tt.want)
			}
			// Import refuses the same damage and installs nothing.
			out := filepath.Join(t.TempDir(), "out")
			if _, err := Import(filepath.Join(dir, tt.format.FileName()), filepath.Join(dir, ManifestFile), out); !errors.Is(err, tt.want) {
				t.Errorf("Import error = %v, want %v", err, tt.want)
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a failed Import created %s", out)
			}
		})
	}
}

// newFixture writes a valid artefact and returns its parts.
func newFixture(t *testing.T, format Format) *fixture {
	dir, m, tensors := writeValid(t, format)
	w, err := os.ReadFile(filepath.Join(dir, m.Weights))
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{m: m, w: w, tensors: tensors}
}
