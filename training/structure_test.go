package training_test

import (
	"math"
	"slices"
	"testing"

	"github.com/riskgraph/riskgraph/training"
)

func TestStructure(t *testing.T) {
	// a⇄b (twice a→b at time 1), b→c→d→b, e→f→g→h→e, x1..x3 → hub.
	dir := writeFolder(t, map[string]string{
		"nodes.csv": "node_id,label,split\na,0,train\nb,0,train\nc,0,train\nd,0,train\ne,0,train\nf,0,train\ng,0,train\nh,0,train\nx1,0,train\nx2,0,train\nx3,0,train\nhub,1,train\n",
		"edges_r.csv": "src,dst,amount,time\n" +
			"a,b,10,1\na,b,30,1\nb,a,5,2\nb,c,1,3\nc,d,1,4\nd,b,1,5\n" +
			"e,f,1,1\nf,g,1,2\ng,h,1,3\nh,e,1,4\n" +
			"x1,hub,100,7\nx2,hub,100,7\nx3,hub,100,8\n",
	})
	f, err := training.ReadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	names, x, err := training.Structure(f, training.StructureConfig{})
	if err != nil {
		t.Fatal(err)
	}
	col := func(name string) []float32 {
		j := slices.Index(names, name)
		if j < 0 {
			t.Fatalf("no column %q in %q", name, names)
		}
		out := make([]float32, len(f.IDs))
		for v := range out {
			out[v] = x[v*len(names)+j]
		}
		return out
	}
	l := func(v float64) float32 { return float32(math.Log1p(v)) }
	//                a       b       c       d       e    f    g    h    x1      x2      x3      hub
	for _, tc := range []struct {
		name string
		want []float32
	}{
		{"g_recip", []float32{l(1), l(1), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"g_cyc3", []float32{0, l(1), l(1), l(1), 0, 0, 0, 0, 0, 0, 0, 0}},
		// Shortest cycle L of at most 6: (7 − L)/5.
		{"g_cycle", []float32{1, 1, 0.8, 0.8, 0.6, 0.6, 0.6, 0.6, 0, 0, 0, 0}},
		{"g_r_out_edges", []float32{l(2), l(2), l(1), l(1), l(1), l(1), l(1), l(1), l(1), l(1), l(1), 0}},
		{"g_r_out_peers", []float32{l(1), l(2), l(1), l(1), l(1), l(1), l(1), l(1), l(1), l(1), l(1), 0}},
		{"g_r_in_peers", []float32{l(1), l(2), l(1), l(1), l(1), l(1), l(1), l(1), 0, 0, 0, l(3)}},
		// x1..x3 pay a receiver with 3 payers: a fan-in hub.
		{"g_r_out_hub", []float32{l(2), l(1), l(1), l(2), l(1), l(1), l(1), l(1), l(3), l(3), l(3), 0}},
		{"g_r_out_maxmult", []float32{l(2), l(1), l(1), l(1), l(1), l(1), l(1), l(1), l(1), l(1), l(1), 0}},
		{"g_r_out_amt_sum", []float32{l(40), l(6), l(1), l(1), l(1), l(1), l(1), l(1), l(100), l(100), l(100), 0}},
		{"g_r_out_amt_min", []float32{l(10), l(1), l(1), l(1), l(1), l(1), l(1), l(1), l(100), l(100), l(100), 0}},
		{"g_r_in_amt_max", []float32{l(5), l(30), l(1), l(1), l(1), l(1), l(1), l(1), 0, 0, 0, l(100)}},
		// Edges at one time: a has two at time 1; hub two at time 7.
		{"g_burst", []float32{l(2), l(2), l(1), l(1), l(1), l(1), l(1), l(1), l(1), l(1), l(1), l(2)}},
		{"g_samestep", []float32{l(2), l(2), l(1), l(1), l(1), l(1), l(1), l(1), l(1), l(1), l(1), l(1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := col(tc.name)
			for v := range got {
				// float32 of the same float64 computation: exact but for the
				// ratio column, computed in float32.
				if math.Abs(float64(got[v]-tc.want[v])) > 1e-6 {
					t.Errorf("%s of %s = %v, want %v", tc.name, f.IDs[v], got[v], tc.want[v])
				}
			}
		})
	}
	// A budget too small to reach the 4-cycle finds none.
	names, x, err = training.Structure(f, training.StructureConfig{CycleBudget: 2})
	if err != nil {
		t.Fatal(err)
	}
	if j := slices.Index(names, "g_cycle"); x[4*len(names)+j] != 0 || x[0*len(names)+j] != 1 {
		t.Errorf("budget 2: g_cycle of e = %v (want 0), of a = %v (want 1)", x[4*len(names)+j], x[j])
	}
	if _, _, err := training.Structure(f, training.StructureConfig{MaxCycle: 1}); err == nil {
		t.Error("MaxCycle 1: want an error")
	}
}
