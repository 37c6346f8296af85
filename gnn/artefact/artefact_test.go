package artefact

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// smallDims are the dims of most tests: every tensor of the table, tiny.
var smallDims = Dims{F0: 3, F1: 2, F2: 2, R1: 2, R2: 1, K1: 4, K2: 3, H: 4}

// testManifest is a manifest for d as a trainer hands it to Write.
func testManifest(d Dims) Manifest {
	stats := func(prefix string, n int) []FeatureStat {
		s := make([]FeatureStat, n)
		for i := range s {
			s[i] = FeatureStat{Name: fmt.Sprintf("%s%d", prefix, i), Mean: 0.5 * float64(i), Std: 1 + float64(i)}
		}
		return s
	}
	names := func(prefix string, n int) []string {
		s := make([]string, n)
		for i := range s {
			s[i] = fmt.Sprintf("%s%d", prefix, i)
		}
		return s
	}
	return Manifest{
		ID:         "fraud-test",
		Target:     "Transaction",
		Dims:       d,
		Relations1: names("R1_", d.R1),
		Relations2: names("R2_", d.R2),
		Features: FeatureSpec{
			Version: "v1",
			Target:  stats("t", d.F0),
			Hop1:    stats("h1_", d.F1),
			Hop2:    stats("h2_", d.F2),
		},
		Training: Training{Seed: 7, Trainer: "test", Metrics: map[string]float64{"auc": 0.9}},
	}
}

// testTensors are seeded random weights for d.
func testTensors(d Dims, seed uint64) map[string][]float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	out := map[string][]float32{}
	for _, s := range d.Tensors() {
		v := make([]float32, numElems(s.Shape))
		for i := range v {
			v[i] = float32(r.NormFloat64() * 0.1)
		}
		out[s.Name] = v
	}
	return out
}

// writeValid writes a valid artefact of smallDims into a new directory.
func writeValid(t testing.TB, format Format) (string, Manifest, map[string][]float32) {
	t.Helper()
	dir := t.TempDir()
	tensors := testTensors(smallDims, 1)
	m, err := Write(dir, testManifest(smallDims), tensors, format)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return dir, m, tensors
}

// writeRaw writes manifest JSON and weights bytes into a new directory.
func writeRaw(t *testing.T, manifest, weights []byte, weightsName string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), manifest, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, weightsName), weights, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWriteLoadRoundTrip(t *testing.T) {
	for _, format := range []Format{FormatSafetensors, FormatNPZ} {
		t.Run(format.String(), func(t *testing.T) {
			dir, m, tensors := writeValid(t, format)
			a, err := Load(dir)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			// float32 survives both formats bit for bit: no tolerance.
			if diff := cmp.Diff(tensors, a.Tensors); diff != "" {
				t.Errorf("tensors (-wrote +loaded):\n%s", diff)
			}
			if diff := cmp.Diff(m, a.Manifest); diff != "" {
				t.Errorf("manifest (-Write returned +loaded):\n%s", diff)
			}
			if got, want := a.Manifest.Weights, format.FileName(); got != want {
				t.Errorf("Weights = %q, want %q", got, want)
			}
			if got, want := a.ModelID(), "fraud-test@"+m.WeightsSHA256[:12]; got != want {
				t.Errorf("ModelID = %q, want %q", got, want)
			}
			if a.Dir != dir {
				t.Errorf("Dir = %q, want %q", a.Dir, dir)
			}
			b, err := LoadFiles(filepath.Join(dir, ManifestFile), filepath.Join(dir, m.Weights))
			if err != nil {
				t.Fatalf("LoadFiles: %v", err)
			}
			if diff := cmp.Diff(a, b); diff != "" {
				t.Errorf("LoadFiles differs from Load:\n%s", diff)
			}
			weights, err := os.ReadFile(filepath.Join(dir, m.Weights))
			if err != nil {
				t.Fatal(err)
			}
			if got := sha256Hex(weights); got != m.WeightsSHA256 {
				t.Errorf("file sha256 %s, manifest %s", got, m.WeightsSHA256)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 2 {
				t.Errorf("dir holds %d entries, want manifest and weights only", len(entries))
			}
		})
	}
}

func TestWriteDeterministic(t *testing.T) {
	for _, format := range []Format{FormatSafetensors, FormatNPZ} {
		_, m1, _ := writeValid(t, format)
		_, m2, _ := writeValid(t, format)
		if m1.WeightsSHA256 != m2.WeightsSHA256 {
			t.Errorf("%v: same tensors, different files: %s vs %s", format, m1.WeightsSHA256, m2.WeightsSHA256)
		}
	}
}

func TestWriteReplaces(t *testing.T) {
	dir, _, _ := writeValid(t, FormatSafetensors)
	tensors := testTensors(smallDims, 2)
	m, err := Write(dir, testManifest(smallDims), tensors, FormatNPZ)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if a.ModelID() != m.ModelID() {
		t.Errorf("loaded %s, want the replacement %s", a.ModelID(), m.ModelID())
	}
	if diff := cmp.Diff(tensors, a.Tensors); diff != "" {
		t.Errorf("tensors (-want +got):\n%s", diff)
	}
}

func TestWriteRejects(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(m *Manifest, tensors map[string][]float32)
		format Format
		want   error
	}{
		{"missing tensor", func(_ *Manifest, ts map[string][]float32) { delete(ts, "head.w") }, FormatSafetensors, ErrMissingTensor},
		{"unknown tensor", func(_ *Manifest, ts map[string][]float32) { ts["l3.w"] = []float32{1} }, FormatSafetensors, ErrUnknownTensor},
		{"wrong length", func(_ *Manifest, ts map[string][]float32) { ts["head.b"] = []float32{1, 2} }, FormatNPZ, ErrShapeMismatch},
		{"NaN", func(_ *Manifest, ts map[string][]float32) { ts["l2.nb.w"][5] = float32(math.NaN()) }, FormatNPZ, ErrNonFinite},
		{"unknown format", func(*Manifest, map[string][]float32) {}, Format(9), ErrManifest},
		{"bad dims", func(m *Manifest, _ map[string][]float32) { m.Dims.K1 = 0 }, FormatSafetensors, ErrDims},
		{"bad target", func(m *Manifest, _ map[string][]float32) { m.Target = "Merchant" }, FormatSafetensors, ErrManifest},
		{"bad architecture", func(m *Manifest, _ map[string][]float32) { m.Architecture = "gat-v2" }, FormatSafetensors, ErrUnknownArchitecture},
		{"no feature version", func(m *Manifest, _ map[string][]float32) { m.Features.Version = "" }, FormatNPZ, ErrManifest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "model")
			m, tensors := testManifest(smallDims), testTensors(smallDims, 1)
			tt.edit(&m, tensors)
			_, err := Write(dir, m, tensors, tt.format)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Write error %v, want %v", err, tt.want)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("Write failed but created %s (stat error %v)", dir, err)
			}
		})
	}
}

// bf16Bits returns the bfloat16 of v, which must be exactly representable.
func bf16Bits(t *testing.T, v float32) uint16 {
	bits := math.Float32bits(v)
	if bits&0xffff != 0 {
		t.Fatalf("%v is not exactly a bfloat16", v)
	}
	return uint16(bits >> 16)
}

// bf16Fixture returns tensors of values exactly representable in
// bfloat16, their stored bytes, and a manifest declaring them bfloat16.
func bf16Fixture(t *testing.T, weights string) (Manifest, map[string][]float32, map[string][]byte) {
	m := testManifest(smallDims)
	m.FormatVersion, m.Architecture, m.Weights = FormatVersion, ArchHeteroSAGE, weights
	m.Tensors = map[string]TensorInfo{}
	want := map[string][]float32{}
	stored := map[string][]byte{}
	for ti, s := range smallDims.Tensors() {
		v := make([]float32, numElems(s.Shape))
		var b []byte
		for i := range v {
			v[i] = float32((i+ti)%9-4) * 0.125 // k/8 for small k: exact in bfloat16
			b = binary.LittleEndian.AppendUint16(b, bf16Bits(t, v[i]))
		}
		want[s.Name], stored[s.Name] = v, b
		m.Tensors[s.Name] = TensorInfo{DType: DTypeBFloat16, Shape: s.Shape, SHA256: sha256Hex(b)}
	}
	return m, want, stored
}

func TestBFloat16Safetensors(t *testing.T) {
	m, want, stored := bf16Fixture(t, SafetensorsFile)
	header := map[string]any{"__metadata__": map[string]string{"format": "jax"}}
	var data []byte
	for _, s := range smallDims.Tensors() {
		header[s.Name] = stEntry{DType: "BF16", Shape: int64Shape(s.Shape), DataOffsets: []int64{int64(len(data)), int64(len(data) + len(stored[s.Name]))}}
		data = append(data, stored[s.Name]...)
	}
	w := stJoin(mustJSON(t, header), data)
	m.WeightsSHA256 = sha256Hex(w)
	a, err := Load(writeRaw(t, mustJSON(t, m), w, SafetensorsFile))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if diff := cmp.Diff(want, a.Tensors); diff != "" {
		t.Errorf("tensors (-want +got):\n%s", diff)
	}
}

func TestBFloat16NPZ(t *testing.T) {
	for _, descr := range []string{"<u2", "|V2", "bfloat16"} {
		t.Run(descr, func(t *testing.T) {
			m, want, stored := bf16Fixture(t, NPZFile)
			var ents []zent
			for _, s := range smallDims.Tensors() {
				ents = append(ents, zent{name: s.Name + ".npy", body: npyBody(descr, false, s.Shape, stored[s.Name]), deflate: true})
			}
			w := buildZip(t, ents)
			m.WeightsSHA256 = sha256Hex(w)
			a, err := Load(writeRaw(t, mustJSON(t, m), w, NPZFile))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if diff := cmp.Diff(want, a.Tensors); diff != "" {
				t.Errorf("tensors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestImport(t *testing.T) {
	src, m, tensors := writeValid(t, FormatSafetensors)
	// An export names its files as it likes; the manifest names the format.
	exported := filepath.Join(t.TempDir(), "export-0001.bin")
	b, err := os.ReadFile(filepath.Join(src, SafetensorsFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exported, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "models", "current")
	a, err := Import(exported, filepath.Join(src, ManifestFile), out)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if a.Dir != out || a.ModelID() != m.ModelID() {
		t.Errorf("Import = dir %q id %q, want %q %q", a.Dir, a.ModelID(), out, m.ModelID())
	}
	loaded, err := Load(out)
	if err != nil {
		t.Fatalf("Load installed: %v", err)
	}
	if diff := cmp.Diff(tensors, loaded.Tensors); diff != "" {
		t.Errorf("installed tensors (-want +got):\n%s", diff)
	}
	// The same model again is fine.
	if _, err := Import(exported, filepath.Join(src, ManifestFile), out); err != nil {
		t.Errorf("re-Import of the same model: %v", err)
	}
	// A different model is refused, and the installed one is intact.
	other, _, _ := func() (string, Manifest, error) {
		dir := t.TempDir()
		m, err := Write(dir, testManifest(smallDims), testTensors(smallDims, 99), FormatNPZ)
		return dir, m, err
	}()
	_, err = Import(filepath.Join(other, NPZFile), filepath.Join(other, ManifestFile), out)
	if !errors.Is(err, ErrExists) {
		t.Errorf("Import over a different model: error %v, want ErrExists", err)
	}
	if again, err := Load(out); err != nil || again.ModelID() != m.ModelID() {
		t.Errorf("after refused Import: Load = %v, %v; want %s intact", again, err, m.ModelID())
	}
	// An invalid artefact installs nothing.
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(exported, b[:len(b)-1], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Import(exported, filepath.Join(src, ManifestFile), empty); !errors.Is(err, ErrTruncated) {
		t.Errorf("Import of a truncated file: error %v, want ErrTruncated", err)
	}
	if _, err := os.Stat(empty); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed Import created %s", empty)
	}
}

func TestLoadMissingFiles(t *testing.T) {
	_, err := Load(t.TempDir())
	if !errors.Is(err, os.ErrNotExist) || !errors.Is(err, ErrManifest) {
		t.Errorf("Load of an empty dir: %v, want ErrManifest and fs.ErrNotExist", err)
	}
	dir, _, _ := writeValid(t, FormatNPZ)
	if err := os.Remove(filepath.Join(dir, NPZFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load without weights: %v, want fs.ErrNotExist", err)
	}
}

func TestShapeError(t *testing.T) {
	_, m, _ := writeValid(t, FormatSafetensors)
	m.Tensors["head.w"] = TensorInfo{DType: DTypeFloat32, Shape: []int{1, smallDims.H}, SHA256: m.Tensors["head.w"].SHA256}
	err := m.Validate()
	var se *ShapeError
	if !errors.As(err, &se) || !errors.Is(err, ErrShapeMismatch) {
		t.Fatalf("Validate = %v, want a *ShapeError", err)
	}
	want := &ShapeError{Tensor: "head.w", Where: "manifest", Want: []int{smallDims.H, 1}, Got: []int{1, smallDims.H}}
	if diff := cmp.Diff(want, se); diff != "" {
		t.Errorf("ShapeError (-want +got):\n%s", diff)
	}
}

func TestFindDupKey(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantKey   string
		wantDepth int
		wantErr   bool
	}{
		{"flat", `{"a":1,"b":2}`, "", 0, false},
		{"top dup", `{"a":1,"b":2,"a":3}`, "a", 1, false},
		{"nested dup", `{"a":{"x":1,"x":2}}`, "x", 2, false},
		{"same key in siblings", `{"a":{"x":1},"b":{"x":[{"x":1},{"x":2}]}}`, "", 0, false},
		{"dup after array", `{"a":[1,{"y":2}],"a":0}`, "a", 1, false},
		{"empty objects", `{"a":{},"b":[]}`, "", 0, false},
		{"case-folded dup", `{"id":1,"ID":2}`, "ID", 1, false},
		{"kelvin dup", "{\"kind\":1,\"\u212aind\":2}", "\u212aind", 1, false},
		{"trailing value", `{"a":1} {}`, "", 0, true},
		{"unterminated", `{"a":1`, "", 0, true},
		{"not JSON", `{a:1}`, "", 0, true},
		{"empty", ``, "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, depth, err := findDupKey([]byte(tt.in))
			if (err != nil) != tt.wantErr || key != tt.wantKey || depth != tt.wantDepth {
				t.Errorf("findDupKey(%s) = %q, %d, %v; want %q, %d, error %v", tt.in, key, depth, err, tt.wantKey, tt.wantDepth, tt.wantErr)
			}
		})
	}
}

func TestParseNPYDict(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want npyHeader
		err  bool
	}{
		{"numpy 1-d", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }          \n", npyHeader{"<f4", false, []int64{3}}, false},
		{"numpy 2-d", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }\n", npyHeader{"<f4", false, []int64{3, 4}}, false},
		{"scalar", "{'descr': '<f4', 'fortran_order': False, 'shape': ()}", npyHeader{"<f4", false, []int64{}}, false},
		{"other order, double quotes", `{"shape": (2,5,), "fortran_order": True, "descr": "|V2"}`, npyHeader{"|V2", true, []int64{2, 5}}, false},
		{"int not tuple", "{'descr': '<f4', 'fortran_order': False, 'shape': (3), }", npyHeader{}, true},
		{"missing key", "{'descr': '<f4', 'shape': (3,), }", npyHeader{}, true},
		{"duplicate key", "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", npyHeader{}, true},
		{"unknown key", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1}", npyHeader{}, true},
		{"negative dim", "{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }", npyHeader{}, true},
		{"huge dim", "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999,), }", npyHeader{}, true},
		{"trailing", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), } x", npyHeader{}, true},
		{"bad bool", "{'descr': '<f4', 'fortran_order': 0, 'shape': (3,), }", npyHeader{}, true},
		{"escape", `{'descr': '<f\4', 'fortran_order': False, 'shape': (3,), }`, npyHeader{}, true},
		{"empty", "", npyHeader{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseNPYDict([]byte(tt.in))
			if tt.err {
				if !errors.Is(err, ErrNPY) {
					t.Errorf("parseNPYDict(%q) = %+v, %v; want ErrNPY", tt.in, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseNPYDict(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(npyHeader{})); diff != "" {
				t.Errorf("parseNPYDict(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestNPYHeaderNumpyLayout checks the written header against the layout
// numpy itself writes (numpy.lib.format, version 1.0).
func TestNPYHeaderNumpyLayout(t *testing.T) {
	h := npyFloat32Header([]int{3})
	want := "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }" + strings.Repeat(" ", 60) + "\n"
	if string(h) != want {
		t.Errorf("header\n%q, want\n%q", h, want)
	}
}

var benchDims = Dims{F0: 96, F1: 64, F2: 64, R1: 6, R2: 4, K1: 16, K2: 8, H: 256}

// BenchmarkLoad loads a realistic model: about 1.1M weights, 4.3 MB.
func BenchmarkLoad(b *testing.B) {
	for _, format := range []Format{FormatSafetensors, FormatNPZ} {
		b.Run(format.String(), func(b *testing.B) {
			dir := b.TempDir()
			m, err := Write(dir, testManifest(benchDims), testTensors(benchDims, 1), format)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(4 * benchDims.Params())
			b.ReportAllocs()
			for b.Loop() {
				a, err := Load(dir)
				if err != nil || a.ModelID() != m.ModelID() {
					b.Fatal(err)
				}
			}
		})
	}
}

func readFileBytes(dir, name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(dir, name))
}
