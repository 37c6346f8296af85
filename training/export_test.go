package training_test

import (
	"archive/zip"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/gnn"
	"github.com/riskgraph/riskgraph/sampling"
	"github.com/riskgraph/riskgraph/training"
)

// readNPZ reads a float32 npz written by Export: name → (shape, data).
func readNPZ(t *testing.T, path string) map[string]struct {
	shape []int
	data  []float32
} {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	shapeRE := regexp.MustCompile(`'shape': \(([0-9, ]*)\)`)
	out := map[string]struct {
		shape []int
		data  []float32
	}{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if string(raw[:8]) != "\x93NUMPY\x01\x00" {
			t.Fatalf("%s: not an .npy v1.0", f.Name)
		}
		hl := int(binary.LittleEndian.Uint16(raw[8:10]))
		header := string(raw[10 : 10+hl])
		if (10+hl)%64 != 0 || !strings.Contains(header, "'descr': '<f4'") || !strings.Contains(header, "'fortran_order': False") {
			t.Fatalf("%s: header %q", f.Name, header)
		}
		var shape []int
		n := 1
		for _, d := range strings.Split(shapeRE.FindStringSubmatch(header)[1], ",") {
			if d = strings.TrimSpace(d); d != "" {
				v, _ := strconv.Atoi(d)
				shape = append(shape, v)
				n *= v
			}
		}
		body := raw[10+hl:]
		if len(body) != 4*n {
			t.Fatalf("%s: %d bytes for shape %v", f.Name, len(body), shape)
		}
		data := make([]float32, n)
		for i := range data {
			data[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
		}
		out[strings.TrimSuffix(f.Name, ".npy")] = struct {
			shape []int
			data  []float32
		}{shape, data}
	}
	return out
}

// TestExportMatchesTraining exports the test split of a folder and scores
// the exported arrays with the trained model: the scores are those the
// training run reported, so an external trainer sees exactly the inputs
// riskgraph's trainer and evaluator see.
func TestExportMatchesTraining(t *testing.T) {
	ctx := context.Background()
	f, err := training.ReadFolder(genFolder(t, 5, 600))
	if err != nil {
		t.Fatal(err)
	}
	fc := training.FolderConfig{K1: 3, K2: 2, Seed: 4}
	r, err := training.TrainFolder(ctx, f, fc, training.SplitConfig{}, training.Config{Hidden: 8, Fit: training.FitConfig{Epochs: 3, Seed: 1}, Replicates: 10})
	if err != nil {
		t.Fatal(err)
	}
	bs, err := training.FolderBatches(f, fc, training.SplitConfig{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	const B = 50
	man, err := bs.Export(ctx, dir, training.ExportConfig{Splits: []training.Split{training.SplitTest}, BatchSize: B, Hidden: 8})
	if err != nil {
		t.Fatal(err)
	}
	var disk training.ExportManifest
	raw, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err := json.Unmarshal(raw, &disk); err != nil {
		t.Fatal(err)
	}
	if disk.Dims != r.Manifest.Dims || disk.Format != training.ExportFormat || len(disk.Files) != len(man.Files) {
		t.Fatalf("export manifest dims %+v (model %+v), %d files", disk.Dims, r.Manifest.Dims, len(disk.Files))
	}
	model, err := gnn.New(r.Manifest, r.Weights)
	if err != nil {
		t.Fatal(err)
	}
	var want []float32 // the labelled test rows' scores, in node order
	for i, y := range r.Test.Labels {
		if y >= 0 {
			want = append(want, r.Test.Scores[i])
		}
	}
	d := r.Manifest.Dims
	var got []float32
	for _, file := range disk.Files {
		a := readNPZ(t, filepath.Join(dir, file.Name))
		for name, shape := range map[string][]int{
			"X0": {B, d.F0}, "X1": {d.R1, B, d.K1, d.F1}, "M1": {d.R1, B, d.K1},
			"X2": {d.R1, B, d.K1, d.R2, d.K2, d.F2}, "M2": {d.R1, B, d.K1, d.R2, d.K2}, "y": {B}, "valid": {B},
		} {
			if fmt.Sprint(a[name].shape) != fmt.Sprint(shape) {
				t.Fatalf("%s %s: shape %v, want %v", file.Name, name, a[name].shape, shape)
			}
		}
		b := &sampling.Batch{B: B, F0: d.F0, F1: d.F1, F2: d.F2, R1: d.R1, R2: d.R2, K1: d.K1, K2: d.K2,
			X0: a["X0"].data, X1: a["X1"].data, M1: a["M1"].data, X2: a["X2"].data, M2: a["M2"].data}
		s, err := model.Score(b, nil)
		if err != nil {
			t.Fatal(err)
		}
		var valid int
		for i, v := range a["valid"].data {
			if v == 1 {
				got = append(got, s[i])
				valid++
			}
		}
		if valid != file.Rows {
			t.Errorf("%s: %d valid rows, manifest says %d", file.Name, valid, file.Rows)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d exported rows, %d labelled test rows", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("row %d: exported inputs score %v, training reported %v", i, got[i], want[i])
		}
	}
}
