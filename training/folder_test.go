package training_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/training"
)

// writeFolder writes files (name → content; a .gz name is compressed)
// into a new directory.
func writeFolder(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		b := []byte(content)
		if strings.HasSuffix(name, ".gz") {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write(b)
			zw.Close()
			b = buf.Bytes()
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestReadFolder(t *testing.T) {
	dir := writeFolder(t, map[string]string{
		"nodes.csv":        "node_id,label,split,a,b\nn1,1,train,0.5,2\nn2,0,val,-1,3e2\nn3,,test,0,0\nn4,0,,1,1\n",
		"edges_pay.csv.gz": "src,dst,amount,time\nn1,n2,10.5,3\nn2,n3,1,4\n",
		"edges_own.csv":    "dst,src\nn4,n1\n",
		"README.md":        "ignored",
	})
	f, err := training.ReadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		IDs          []string
		Labels       []int8
		Splits       []training.Split
		FeatureNames []string
		X            []float32
		Relations    []training.Relation
	}
	want := got{
		IDs:          []string{"n1", "n2", "n3", "n4"},
		Labels:       []int8{1, 0, -1, 0},
		Splits:       []training.Split{training.SplitTrain, training.SplitVal, training.SplitTest, training.SplitNone},
		FeatureNames: []string{"a", "b"},
		X:            []float32{0.5, 2, -1, 300, 0, 0, 1, 1},
		Relations: []training.Relation{
			{Name: "own", Src: []int32{0}, Dst: []int32{3}},
			{Name: "pay", Src: []int32{0, 1}, Dst: []int32{1, 2}, Time: []float64{3, 4}, Amount: []float64{10.5, 1}},
		},
	}
	if diff := cmp.Diff(want, got{f.IDs, f.Labels, f.Splits, f.FeatureNames, f.X, f.Relations}); diff != "" {
		t.Errorf("folder (-want +got):\n%s", diff)
	}
	if i, ok := f.Index("n3"); !ok || i != 2 {
		t.Errorf("Index(n3) = %d, %v", i, ok)
	}
	if len(f.Fingerprint) != 64 {
		t.Errorf("fingerprint %q", f.Fingerprint)
	}
	// The fingerprint covers every file's bytes.
	again, _ := training.ReadFolder(dir)
	os.WriteFile(filepath.Join(dir, "edges_own.csv"), []byte("dst,src\nn4,n2\n"), 0o644)
	changed, err := training.ReadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.Fingerprint != f.Fingerprint || changed.Fingerprint == f.Fingerprint {
		t.Errorf("fingerprints %s, %s (same data), %s (an edge changed)", f.Fingerprint, again.Fingerprint, changed.Fingerprint)
	}
}

func TestReadFolderErrors(t *testing.T) {
	nodes := "node_id,label,split,a\nn1,1,train,1\nn2,0,val,2\n"
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string // in the error
	}{
		{"no nodes file", map[string]string{"edges_x.csv": "src,dst\n"}, "no nodes.csv"},
		{"two nodes files", map[string]string{"nodes.csv": nodes, "nodes.csv.gz": nodes}, "both"},
		{"node header", map[string]string{"nodes.csv": "id,label,split\nn1,1,train\n"}, "header"},
		{"label", map[string]string{"nodes.csv": "node_id,label,split,a\nn1,yes,train,1\n"}, "nodes.csv line 2: label \"yes\""},
		{"split", map[string]string{"nodes.csv": "node_id,label,split,a\nn1,1,training,1\n"}, "nodes.csv line 2: "},
		{"feature", map[string]string{"nodes.csv": "node_id,label,split,a\nn1,1,train,1\nn2,0,train,x\n"}, "nodes.csv line 3: a = \"x\""},
		{"NaN feature", map[string]string{"nodes.csv": "node_id,label,split,a\nn1,1,train,NaN\n"}, "line 2: a"},
		{"duplicate node", map[string]string{"nodes.csv": "node_id,label,split,a\nn1,1,train,1\nn1,0,val,2\n"}, "line 3: node_id \"n1\" repeated"},
		{"short row", map[string]string{"nodes.csv": "node_id,label,split,a\nn1,1,train\n"}, "line 2: 3 fields"},
		{"empty", map[string]string{"nodes.csv": ""}, "empty file"},
		{"no rows", map[string]string{"nodes.csv": "node_id,label,split,a\n"}, "no nodes"},
		{"unknown node", map[string]string{"nodes.csv": nodes, "edges_x.csv": "src,dst\nn1,n2\nn1,n9\n"}, "edges_x.csv line 3: dst \"n9\""},
		{"edge column", map[string]string{"nodes.csv": nodes, "edges_x.csv": "src,dst,weight\n"}, "column \"weight\""},
		{"edge header", map[string]string{"nodes.csv": nodes, "edges_x.csv": "src,time\n"}, "lacks src or dst"},
		{"negative amount", map[string]string{"nodes.csv": nodes, "edges_x.csv": "src,dst,amount\nn1,n2,-3\n"}, "line 2: amount -3"},
		{"bad time", map[string]string{"nodes.csv": nodes, "edges_x.csv": "src,dst,time\nn1,n2,soon\n"}, "line 2: time = \"soon\""},
		{"not gzip", nil, "edges_x.csv.gz"}, // written below
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.files == nil {
				dir := writeFolder(t, map[string]string{"nodes.csv": nodes})
				os.WriteFile(filepath.Join(dir, "edges_x.csv.gz"), []byte("not gzip"), 0o644)
				_, err := training.ReadFolder(dir)
				check(t, err, tc.want)
				return
			}
			_, err := training.ReadFolder(writeFolder(t, tc.files))
			check(t, err, tc.want)
		})
	}
}

func check(t *testing.T, err error, want string) {
	t.Helper()
	if !errors.Is(err, training.ErrData) {
		t.Fatalf("error %v, want ErrData", err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
}

func TestReadSplitFile(t *testing.T) {
	c, err := training.ReadSplitFile(strings.NewReader("id,split\na,train\nb,test\nc,\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]training.Split{"a": training.SplitTrain, "b": training.SplitTest, "c": training.SplitNone}
	if diff := cmp.Diff(want, c.Assign); diff != "" || c.Kind != training.SplitFile || len(c.FileSHA256) != 64 {
		t.Errorf("split file: kind %q sha %q, assign (-want +got):\n%s", c.Kind, c.FileSHA256, diff)
	}
	for _, tc := range []struct{ name, in, want string }{
		{"header", "node,split\na,train\n", "header"},
		{"split", "id,split\na,later\n", "line 2"},
		{"repeated", "id,split\na,train\na,val\n", "line 3: id \"a\" repeated"},
		{"empty id", "id,split\n,train\n", "line 2"},
		{"no rows", "id,split\n", "no rows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := training.ReadSplitFile(strings.NewReader(tc.in))
			check(t, err, tc.want)
		})
	}
}

// FuzzReadFolder feeds arbitrary node and edge files to the decoders:
// they must return a folder or an ErrData error, never panic.
func FuzzReadFolder(f *testing.F) {
	f.Add("node_id,label,split,a\nn1,1,train,1\nn2,0,val,2\n", "src,dst,time,amount\nn1,n2,1,2\n")
	f.Add("node_id,label,split\nx,,\n", "dst,src\nx,x\n")
	f.Add("node_id,label,split,a,a\n", "src\n")
	f.Add("\"", "src,dst\n\"n1")
	f.Fuzz(func(t *testing.T, nodes, edges string) {
		dir := writeFolder(t, map[string]string{"nodes.csv": nodes, "edges_e.csv": edges})
		fo, err := training.ReadFolder(dir)
		if err != nil {
			if !errors.Is(err, training.ErrData) {
				t.Fatalf("error %v does not wrap ErrData", err)
			}
			return
		}
		if len(fo.X) != len(fo.IDs)*len(fo.FeatureNames) || len(fo.Labels) != len(fo.IDs) {
			t.Fatalf("inconsistent folder: %d ids, %d labels, %d values for %d columns", len(fo.IDs), len(fo.Labels), len(fo.X), len(fo.FeatureNames))
		}
		for _, r := range fo.Relations {
			for i := range r.Src {
				if int(r.Src[i]) >= len(fo.IDs) || int(r.Dst[i]) >= len(fo.IDs) {
					t.Fatalf("edge %d out of range", i)
				}
			}
		}
	})
}

func FuzzReadSplitFile(f *testing.F) {
	f.Add("id,split\na,train\nb,val\n")
	f.Add("id,split\n\"a\nb\",test\n")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := training.ReadSplitFile(strings.NewReader(in))
		if err != nil {
			if !errors.Is(err, training.ErrData) {
				t.Fatalf("error %v does not wrap ErrData", err)
			}
			return
		}
		if len(c.Assign) == 0 {
			t.Fatal("no error and no rows")
		}
	})
}

// genFolder writes a labelled-graph folder whose labels only the graph
// explains: n accounts with three noise features pay each other at
// random; a planted fraction pays in rings of 3 (positives) or into
// fan-in hubs (the payers and the hub are positive). The split column is
// a seeded random 60/20/20; a few test nodes are unlabelled.
func genFolder(t testing.TB, seed uint64, n int) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 77))
	label := make([]int, n)
	var edges strings.Builder
	edges.WriteString("src,dst,amount,time\n")
	edge := func(a, b int, amount float64, at int) {
		fmt.Fprintf(&edges, "a%d,a%d,%.2f,%d\n", a, b, amount, at)
	}
	for range 4 * n {
		edge(rng.IntN(n), rng.IntN(n), 100+rng.ExpFloat64()*200, rng.IntN(100))
	}
	for i := 0; i+3 <= n/10; i += 3 { // rings among the first tenth
		at := rng.IntN(90)
		for k := range 3 {
			edge(i+k, i+(k+1)%3, 50+rng.Float64()*400, at+k)
			label[i+k] = 1
		}
	}
	for h := n / 10; h < n/10+n/100; h++ { // fan-in hubs, 5 payers each
		label[h] = 1
		at := rng.IntN(90)
		for range 5 {
			p := n/5 + rng.IntN(n-n/5)
			label[p] = 1
			edge(p, h, 100+rng.Float64()*300, at+rng.IntN(3))
		}
	}
	var nodes strings.Builder
	nodes.WriteString("node_id,label,split,f0,f1,f2\n")
	for i := range n {
		split := [...]string{"train", "train", "train", "val", "test"}[rng.IntN(5)]
		lab := fmt.Sprint(label[i])
		if split == "test" && rng.IntN(20) == 0 {
			lab = ""
		}
		fmt.Fprintf(&nodes, "a%d,%s,%s,%.4f,%.4f,%.4f\n", i, lab, split, rng.NormFloat64(), rng.ExpFloat64(), rng.Float64())
	}
	return writeFolder(t, map[string]string{"nodes.csv": nodes.String(), "edges_pay.csv.gz": edges.String()})
}
