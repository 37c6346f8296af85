package gnn_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/riskgraph/riskgraph/gnn"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/sampling"
)

// parityTol is the largest |go − torch| allowed on a score. Both sides are
// float32 but sum in different orders (Go stacks the weights, see package
// doc); the fixture's f32-vs-f64 error is ~2e-7, so 1e-5 leaves 50× margin
// while still catching any real formula difference (which moves scores by
// >1e-3 at these dims).
const parityTol = 1e-5

// loadBatch reads testdata/parity/<case>/inputs.npz into a Batch.
func loadBatch(t testing.TB, dir string) *sampling.Batch {
	t.Helper()
	b, err := readBatch(dir)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readBatch(dir string) (*sampling.Batch, error) {
	v, _, err := readNPZ(filepath.Join(dir, "inputs.npz"))
	if err != nil {
		return nil, err
	}
	d := v["dims"] // B F0 F1 F2 R1 R2 K1 K2 H
	return &sampling.Batch{
		B: int(d[0]), F0: int(d[1]), F1: int(d[2]), F2: int(d[3]),
		R1: int(d[4]), R2: int(d[5]), K1: int(d[6]), K2: int(d[7]),
		X0: v["X0"], X1: v["X1"], M1: v["M1"], X2: v["X2"], M2: v["M2"],
	}, nil
}

func loadExpected(t testing.TB, dir string) (f32, bf16 []float32) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Scores     []float64 `json:"scores"`
		ScoresBF16 []float64 `json:"scores_bf16"`
	}
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	conv := func(x []float64) []float32 {
		out := make([]float32, len(x))
		for i, v := range x {
			out[i] = float32(v)
		}
		return out
	}
	return conv(e.Scores), conv(e.ScoresBF16)
}

func loadModel(t testing.TB, dir string, opts ...gnn.Option) *gnn.Model {
	t.Helper()
	a, err := artefact.Load(dir)
	if err != nil {
		t.Fatalf("loading %s: %v", dir, err)
	}
	m, err := gnn.New(a.Manifest, a.Tensors, opts...)
	if err != nil {
		t.Fatalf("gnn.New(%s): %v", dir, err)
	}
	return m
}

func TestParity(t *testing.T) {
	for _, tc := range []struct {
		name, caseDir, weights string
		bf16                   bool
	}{
		{"txn/f32-safetensors", "txn", "f32-safetensors", false},
		{"txn/f32-npz", "txn", "f32-npz", false},
		{"txn/bf16-safetensors", "txn", "bf16-safetensors", true},
		{"account/f32-safetensors", "account", "f32-safetensors", false},
		{"account/f32-npz", "account", "f32-npz", false},
	} {
		for _, engine := range []gnn.Engine{gnn.EngineNative, gnn.EngineGorgonia} {
			t.Run(tc.name+"/"+engine.String(), func(t *testing.T) {
				dir := filepath.Join("testdata", "parity", tc.caseDir)
				b := loadBatch(t, dir)
				want, wantBF16 := loadExpected(t, dir)
				if tc.bf16 {
					want = wantBF16
				}
				m := loadModel(t, filepath.Join(dir, tc.weights), gnn.WithEngine(engine))
				got, err := m.Score(b, nil)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) {
					t.Fatalf("got %d scores, want %d", len(got), len(want))
				}
				var worst float64
				for i := range got {
					e := math.Abs(float64(got[i]) - float64(want[i]))
					worst = max(worst, e)
					if e > parityTol {
						t.Errorf("score[%d] = %.9g, torch %.9g (|Δ| = %.3g > %g)", i, got[i], want[i], e, parityTol)
					}
				}
				t.Logf("max |go − torch| = %.3g over %d scores", worst, len(got))
			})
		}
	}
}
