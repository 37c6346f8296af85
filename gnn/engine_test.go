package gnn_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/riskgraph/riskgraph/gnn"
	"github.com/riskgraph/riskgraph/gnn/artefact"
)

// TestEnginesAgree scores the same batches with the native kernel and the
// Gorgonia graph: every score within 1e-6 (they differ only in float32
// summation order), for shapes with one and several hop-1 slots, several
// hop-2 relations, padded buckets and a batch split into chunks.
func TestEnginesAgree(t *testing.T) {
	odd := artefact.Dims{F0: 3, F1: 7, F2: 2, R1: 4, R2: 2, K1: 3, K2: 5, H: 5}
	for _, d := range []artefact.Dims{txnDims, acctDims, odd} {
		for _, B := range []int{1, 3, 8, 64, 70} {
			t.Run(fmt.Sprintf("%v/B=%d", d, B), func(t *testing.T) {
				b := randBatch(rand.New(rand.NewPCG(uint64(B), 9)), d, B)
				native := newTestModel(t, d, 5, gnn.WithEngine(gnn.EngineNative))
				ref := newTestModel(t, d, 5, gnn.WithEngine(gnn.EngineGorgonia))
				got, err := native.Score(b, nil)
				if err != nil {
					t.Fatal(err)
				}
				want, err := ref.Score(b, nil)
				if err != nil {
					t.Fatal(err)
				}
				var worst float64
				for i := range want {
					e := math.Abs(float64(got[i] - want[i]))
					worst = max(worst, e)
					if e > 1e-6 {
						t.Errorf("score[%d]: native %.9g, gorgonia %.9g", i, got[i], want[i])
					}
				}
				t.Logf("max |native − gorgonia| = %.3g", worst)
			})
		}
	}
}

func TestParseEngine(t *testing.T) {
	for _, e := range []gnn.Engine{gnn.EngineNative, gnn.EngineGorgonia} {
		got, err := gnn.ParseEngine(e.String())
		if err != nil || got != e {
			t.Errorf("ParseEngine(%q) = %v, %v", e.String(), got, err)
		}
	}
	var e gnn.Engine
	if err := e.UnmarshalText([]byte("gorgonia")); err != nil || e != gnn.EngineGorgonia {
		t.Errorf("UnmarshalText(gorgonia) = %v, %v", e, err)
	}
	if err := e.UnmarshalText([]byte("tpu")); !errors.Is(err, gnn.ErrConfig) || e != gnn.EngineGorgonia {
		t.Errorf("UnmarshalText(tpu) = %v, %v: want ErrConfig and e unchanged", e, err)
	}
	if _, err := gnn.ParseEngine("tpu"); !errors.Is(err, gnn.ErrConfig) {
		t.Errorf("ParseEngine(tpu): %v, want ErrConfig", err)
	}
	if _, err := gnn.New(testManifest(acctDims), randWeights(rand.New(rand.NewPCG(1, 1)), acctDims), gnn.WithEngine(7)); !errors.Is(err, gnn.ErrConfig) {
		t.Errorf("WithEngine(7): %v, want ErrConfig", err)
	}
}
