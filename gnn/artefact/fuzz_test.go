package artefact

import (
	"bytes"
	"errors"
	"testing"
)

// sentinels are every error the decoders may wrap.
var sentinels = []error{
	ErrManifest, ErrFormatVersion, ErrUnknownArchitecture, ErrDims, ErrMissingTensor, ErrUnknownTensor,
	ErrDuplicateTensor, ErrShapeMismatch, ErrDType, ErrChecksum, ErrHeaderTooLarge, ErrHeader, ErrOffsets,
	ErrSizeMismatch, ErrTruncated, ErrZipBomb, ErrNPZ, ErrNPY, ErrNonFinite, ErrExists,
}

// fuzzDecoder runs decode on arbitrary bytes against the manifest of a
// valid tiny artefact, resealed to the input's SHA-256 so that decoding
// goes past the file checksum. It must not panic, must return either
// every tensor with its size or an error wrapping a sentinel, and its
// allocations are bounded by the manifest (tiny) and the input.
func fuzzDecoder(f *testing.F, format Format, decode func(*bytes.Reader, int64, *Manifest) (map[string][]float32, error)) {
	dir := f.TempDir()
	tiny := Dims{F0: 2, F1: 1, F2: 1, R1: 1, R2: 1, K1: 2, K2: 2, H: 2}
	m, err := Write(dir, testManifest(tiny), testTensors(tiny, 3), format)
	if err != nil {
		f.Fatal(err)
	}
	valid, err := readFileBytes(dir, m.Weights)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		mm := m
		mm.WeightsSHA256 = sha256Hex(b)
		tensors, err := decode(bytes.NewReader(b), int64(len(b)), &mm)
		if err != nil {
			if tensors != nil {
				t.Errorf("tensors returned with error %v", err)
			}
			for _, s := range sentinels {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("error wraps no sentinel: %v", err)
		}
		for _, s := range tiny.Tensors() {
			if int64(len(tensors[s.Name])) != numElems(s.Shape) {
				t.Fatalf("tensor %q: %d values, want %d", s.Name, len(tensors[s.Name]), numElems(s.Shape))
			}
		}
		if len(tensors) != len(tiny.Tensors()) {
			t.Fatalf("%d tensors, want %d", len(tensors), len(tiny.Tensors()))
		}
	})
}

func FuzzSafetensors(f *testing.F) {
	fuzzDecoder(f, FormatSafetensors, func(r *bytes.Reader, size int64, m *Manifest) (map[string][]float32, error) {
		return readSafetensors(r, size, "fuzz.safetensors", m)
	})
}

func FuzzNPZ(f *testing.F) {
	fuzzDecoder(f, FormatNPZ, func(r *bytes.Reader, size int64, m *Manifest) (map[string][]float32, error) {
		return readNPZ(r, size, "fuzz.npz", m)
	})
}

// FuzzManifest checks that no manifest text panics parseManifest and that
// every rejection wraps a sentinel.
func FuzzManifest(f *testing.F) {
	dir := f.TempDir()
	if _, err := Write(dir, testManifest(smallDims), testTensors(smallDims, 1), FormatSafetensors); err != nil {
		f.Fatal(err)
	}
	valid, err := readFileBytes(dir, ManifestFile)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add([]byte(`{"format_version":1,"format_version":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := parseManifest(b); err != nil {
			for _, s := range sentinels {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("error wraps no sentinel: %v", err)
		}
	})
}
