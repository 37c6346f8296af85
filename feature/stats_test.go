package feature_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/riskgraph/riskgraph/feature"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/graph"
)

func TestStatsMatchesTwoPass(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	names := []string{"a", "b", "const"}
	all, half1, half2 := feature.NewStats(names), feature.NewStats(names), feature.NewStats(names)
	var rows [][]float32
	for i := range 1000 {
		x := []float32{float32(r.NormFloat64()*3 + 10), float32(r.ExpFloat64()), 1}
		rows = append(rows, x)
		all.Add(x)
		if i < 300 {
			half1.Add(x)
		} else {
			half2.Add(x)
		}
	}
	half1.Merge(half2)
	for c := range names {
		var mean, m2 float64
		for _, x := range rows {
			mean += float64(x[c])
		}
		mean /= float64(len(rows))
		for _, x := range rows {
			m2 += (float64(x[c]) - mean) * (float64(x[c]) - mean)
		}
		std := max(math.Sqrt(m2/float64(len(rows))), feature.MinStd)
		for _, s := range []*feature.Stats{all, half1} {
			got := s.FeatureStats()[c]
			// Tolerance 1e-9 relative: float64 accumulation of 1000 rows.
			if math.Abs(got.Mean-mean) > 1e-9*max(1, math.Abs(mean)) || math.Abs(got.Std-std) > 1e-9*max(1, std) {
				t.Errorf("column %s: got %+v, want mean %g std %g", names[c], got, mean, std)
			}
		}
	}
	if got := all.FeatureStats()[2].Std; got != feature.MinStd {
		t.Errorf("constant column std = %g, want the floor %g", got, feature.MinStd)
	}
}

func TestNorm(t *testing.T) {
	names := []string{"a", "b"}
	n, err := feature.NewNorm(names, []artefact.FeatureStat{{Name: "a", Mean: 1, Std: 2}, {Name: "b", Mean: 0, Std: 1e-6}})
	if err != nil {
		t.Fatal(err)
	}
	x := []float32{5, 0}
	n.Apply(x)
	if x[0] != 2 || x[1] != 0 {
		t.Errorf("Apply = %v, want [2 0]", x)
	}
	for _, bad := range [][]artefact.FeatureStat{
		{{Name: "a", Std: 1}},
		{{Name: "a", Std: 1}, {Name: "c", Std: 1}},
		{{Name: "a", Std: 0}, {Name: "b", Std: 1}},
		{{Name: "a", Mean: math.NaN(), Std: 1}, {Name: "b", Std: 1}},
	} {
		if _, err := feature.NewNorm(names, bad); !errors.Is(err, feature.ErrSchema) {
			t.Errorf("NewNorm(%v) = %v, want ErrSchema", bad, err)
		}
	}
	if id, _ := feature.NewNorm(names, nil); !id.Identity() {
		t.Error("nil stats: want the identity")
	}
}

func TestSchema(t *testing.T) {
	tests := []struct {
		kind       graph.Kind
		f0, f1, f2 int
		wantErr    error
	}{
		{graph.KindTransaction, feature.TxnWidth, feature.EntityWidth, feature.TxnWidth, nil},
		{graph.KindAccount, feature.EntityWidth, feature.TxnWidth, feature.EntityWidth, nil},
		{graph.KindUser, 0, 0, 0, feature.ErrKind},
	}
	for _, tc := range tests {
		t.Run(tc.kind.String(), func(t *testing.T) {
			l, err := feature.Schema(tc.kind)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if f0, f1, f2 := l.Widths(); f0 != tc.f0 || f1 != tc.f1 || f2 != tc.f2 {
				t.Errorf("widths %d %d %d, want %d %d %d", f0, f1, f2, tc.f0, tc.f1, tc.f2)
			}
			if err != nil {
				return
			}
			spec, err := l.Spec(feature.Config{}, nil, feature.NewStats(l.Hop1).FeatureStats(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Check(spec); err != nil {
				t.Errorf("Check(own spec) = %v", err)
			}
			spec.Hop2 = spec.Hop2[1:]
			if err := l.Check(spec); !errors.Is(err, feature.ErrSchema) {
				t.Errorf("Check(short hop2) = %v, want ErrSchema", err)
			}
			spec.Version = "v0"
			if err := l.Check(spec); !errors.Is(err, feature.ErrSchema) {
				t.Errorf("Check(v0) = %v, want ErrSchema", err)
			}
		})
	}
}
