package main

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/gnn/artefact"
)

// randomWeights returns normal(0, scale) weights for every tensor of d.
func randomWeights(d artefact.Dims, seed uint64, scale float64) map[string][]float32 {
	r := rand.New(rand.NewPCG(seed, seed))
	w := map[string][]float32{}
	for _, ts := range d.Tensors() {
		n := 1
		for _, s := range ts.Shape {
			n *= s
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64() * scale)
		}
		w[ts.Name] = v
	}
	return w
}

// smallArtefact writes a valid random-weight artefact and returns its dir.
func smallArtefact(t *testing.T, format artefact.Format) string {
	t.Helper()
	d := artefact.Dims{F0: 3, F1: 2, F2: 3, R1: 2, R2: 1, K1: 1, K2: 2, H: 4}
	w := randomWeights(d, 1, 1)
	stats := func(n int, prefix string) []artefact.FeatureStat {
		var out []artefact.FeatureStat
		for i := range n {
			out = append(out, artefact.FeatureStat{Name: prefix + string(rune('a'+i)), Mean: 0, Std: 1})
		}
		return out
	}
	m := artefact.Manifest{
		ID: "tiny", Target: "Transaction", Dims: d,
		Relations1: []string{"BY", "AT"}, Relations2: []string{"REVERSE"},
		Features: artefact.FeatureSpec{Version: "v1", Target: stats(3, "t"), Hop1: stats(2, "e"), Hop2: stats(3, "t")},
	}
	dir := t.TempDir()
	if _, err := artefact.Write(dir, m, w, format); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestModelImportAndShow(t *testing.T) {
	for _, format := range []artefact.Format{artefact.FormatSafetensors, artefact.FormatNPZ} {
		t.Run(format.String(), func(t *testing.T) {
			src := smallArtefact(t, format)
			out := filepath.Join(t.TempDir(), "model")
			stdout, _ := mustRun(t, "model", "import", "--from", filepath.Join(src, format.FileName()),
				"--manifest", filepath.Join(src, artefact.ManifestFile), "--out", out)
			if !strings.Contains(stdout, "installed tiny@") {
				t.Errorf("import output = %q", stdout)
			}
			show, _ := mustRun(t, "model", "show", out)
			if !strings.Contains(show, "hetero-sage-v1") || !strings.Contains(show, "hop 1: BY,AT") {
				t.Errorf("show output = %q", show)
			}
		})
	}
}

func TestModelImportRefusesCorruptWeights(t *testing.T) {
	src := smallArtefact(t, artefact.FormatSafetensors)
	wpath := filepath.Join(src, artefact.SafetensorsFile)
	b, _ := os.ReadFile(wpath)
	b[len(b)-3] ^= 0x01 // one bit in the last tensor's data
	os.WriteFile(wpath, b, 0o600)
	out := filepath.Join(t.TempDir(), "model")
	_, _, err := run(t, "model", "import", "--from", wpath, "--manifest", filepath.Join(src, artefact.ManifestFile), "--out", out)
	if !errors.Is(err, artefact.ErrChecksum) {
		t.Fatalf("import of a corrupt file = %v, want ErrChecksum", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused import left %s behind (stat err %v)", out, err)
	}
	if _, _, err := run(t, "model", "import", "--from", wpath); err == nil {
		t.Error("import without --manifest/--out succeeded")
	}
}

// The parity fixture (made by PyTorch, not Gorgonia) imports in every
// format it ships in.
func TestModelImportAcceptsParityFixture(t *testing.T) {
	base := filepath.Join("..", "..", "gnn", "testdata", "parity")
	cases := []struct{ dir, weights string }{
		{"txn/f32-safetensors", artefact.SafetensorsFile},
		{"txn/f32-npz", artefact.NPZFile},
		{"txn/bf16-safetensors", artefact.SafetensorsFile},
		{"account/f32-safetensors", artefact.SafetensorsFile},
		{"account/f32-npz", artefact.NPZFile},
	}
	for _, tc := range cases {
		t.Run(tc.dir, func(t *testing.T) {
			src := filepath.Join(base, tc.dir)
			out := filepath.Join(t.TempDir(), "m")
			stdout, _ := mustRun(t, "model", "import", "--from", filepath.Join(src, tc.weights),
				"--manifest", filepath.Join(src, artefact.ManifestFile), "--out", out)
			if !strings.Contains(stdout, "installed ") {
				t.Errorf("output = %q", stdout)
			}
			if _, err := artefact.Load(out); err != nil {
				t.Errorf("installed model does not load: %v", err)
			}
		})
	}
}
