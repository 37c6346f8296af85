package training

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/sampling"
)

// ExportFormat is the format field of an export's manifest.json.
const ExportFormat = "riskgraph-batches-v1"

// Batches is a prepared data set: its targets, splits and model inputs
// (features normalised as the model will see them), ready to be written
// as batches for an external trainer (training/jax).
type Batches struct {
	// Target, Relations1, Relations2 and Features are the manifest
	// fields a model trained on these batches must carry.
	Target                 string
	Relations1, Relations2 []string
	Features               artefact.FeatureSpec
	// Fingerprint and Split describe the data for the record.
	Fingerprint, Split string

	dims func(hidden int) artefact.Dims
	// rows lists split s's labelled targets; batch fills one batch.
	rows  func(ctx context.Context, s Split) ([]int, []float32, []string, error)
	batch func(ctx context.Context, rows []int, b *sampling.Batch) error
}

// Dims returns the model dimensions with hidden width h.
func (bs *Batches) Dims(h int) artefact.Dims { return bs.dims(h) }

// FolderBatches prepares a labelled-graph folder as TrainFolder would:
// the transform and normalisation fitted on the training split, the
// evaluation sample of neighbours.
func FolderBatches(f *Folder, fc FolderConfig, sc SplitConfig) (*Batches, error) {
	sc = sc.withDefaults(SplitColumn)
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	splits, err := assignFolder(f, sc)
	if err != nil {
		return nil, err
	}
	fitRows := make([]bool, len(f.IDs))
	for i, s := range splits {
		fitRows[i] = s == SplitTrain
	}
	g, err := newFolderGraph(f, fc, fitRows, nil)
	if err != nil {
		return nil, err
	}
	return &Batches{
		Target: FolderTarget, Relations1: g.rels, Relations2: g.rels, Features: g.spec,
		Fingerprint: f.Fingerprint, Split: sc.describe(), dims: g.dims,
		rows: func(_ context.Context, s Split) ([]int, []float32, []string, error) {
			nodes := folderRows(f, splits, s, false)
			rows, labels, ids := make([]int, len(nodes)), make([]float32, len(nodes)), make([]string, len(nodes))
			for i, v := range nodes {
				rows[i], labels[i], ids[i] = int(v), float32(f.Labels[v]), f.IDs[v]
			}
			return rows, labels, ids, nil
		},
		batch: func(_ context.Context, rows []int, b *sampling.Batch) error {
			nodes := make([]int32, len(rows))
			for i, r := range rows {
				nodes[i] = int32(r)
			}
			g.batch(g.dims(1), nodes, -1, b)
			return nil
		},
	}, nil
}

// StoreBatches prepares the labelled targets of a graph store as
// TrainStore would: serving's features, normalised with the training
// split's statistics. dc must ask for a test split as for TrainStore.
func StoreBatches(ctx context.Context, g Graph, dc DatasetConfig) (*Batches, error) {
	ds, err := NewDataset(ctx, g, dc)
	if err != nil {
		return nil, err
	}
	ds.Spec, _ = robustSpec(ds.Spec)
	scfg := ds.SamplingConfig()
	r1, r2 := scfg.RelationNames()
	of := func(s Split) []Example {
		switch s {
		case SplitTrain:
			return ds.Train
		case SplitVal:
			return ds.Val
		case SplitTest:
			return ds.Test
		}
		return nil
	}
	var current []Example
	return &Batches{
		Target: scfg.Target.String(), Relations1: r1, Relations2: r2, Features: ds.Spec,
		Fingerprint: ds.Fingerprint, Split: ds.describeSplit(""), dims: scfg.Dims,
		rows: func(_ context.Context, s Split) ([]int, []float32, []string, error) {
			current = of(s)
			rows, labels, ids := make([]int, len(current)), make([]float32, len(current)), make([]string, len(current))
			for i, e := range current {
				rows[i], labels[i], ids[i] = i, e.Label, e.Ref.ID
			}
			return rows, labels, ids, nil
		},
		batch: func(ctx context.Context, rows []int, b *sampling.Batch) error {
			ex := make([]Example, len(rows))
			for i, r := range rows {
				ex[i] = current[r]
			}
			out, _, err := ds.Batches(ctx, ex)
			if err != nil {
				return err
			}
			*b = *concatBatches(out)
			return nil
		},
	}, nil
}

// concatBatches joins batches of the same dims into one (the data set
// samples in chunks of its BatchSize).
func concatBatches(bs []*sampling.Batch) *sampling.Batch {
	if len(bs) == 1 {
		return bs[0]
	}
	out := *bs[0]
	out.B = 0
	out.X0, out.X1, out.M1, out.X2, out.M2 = nil, nil, nil, nil, nil
	for _, b := range bs {
		out.B += b.B
		out.X0 = append(out.X0, b.X0...)
	}
	// X1, M1, X2, M2 are relation-major: [R1, B, …].
	for r := range out.R1 {
		for _, b := range bs {
			n1 := b.B * b.K1
			out.M1 = append(out.M1, b.M1[r*n1:(r+1)*n1]...)
			out.X1 = append(out.X1, b.X1[r*n1*b.F1:(r+1)*n1*b.F1]...)
			n2 := n1 * b.R2 * b.K2
			out.M2 = append(out.M2, b.M2[r*n2:(r+1)*n2]...)
			out.X2 = append(out.X2, b.X2[r*n2*b.F2:(r+1)*n2*b.F2]...)
		}
	}
	return &out
}

// ExportConfig configures Batches.Export.
type ExportConfig struct {
	// Splits are the splits written (nil → train and val).
	Splits []Split
	// BatchSize is the rows per file (0 → 256; at most 65,536). The last
	// batch of a split is padded to it by repeating its first rows, with
	// valid = 0 on the padding, so every file has the same shapes.
	BatchSize int
	// Hidden is the hidden width recorded in dims (0 → DefaultHidden).
	Hidden int
}

// ExportManifest is an export's manifest.json.
type ExportManifest struct {
	Format          string               `json:"format"`
	Target          string               `json:"target"`
	Dims            artefact.Dims        `json:"dims"`
	Relations1      []string             `json:"relations1"`
	Relations2      []string             `json:"relations2"`
	Features        artefact.FeatureSpec `json:"features"`
	DataFingerprint string               `json:"data_fingerprint"`
	Split           string               `json:"split"`
	BatchSize       int                  `json:"batch_size"`
	Files           []ExportFile         `json:"files"`
}

// ExportFile is one batch file.
type ExportFile struct {
	Name      string `json:"name"`
	Split     string `json:"split"`
	Rows      int    `json:"rows"` // real rows; the rest is padding
	Positives int    `json:"positives"`
}

// Export writes the batches of cfg.Splits to dir: SPLIT-NNNNNN.npz files
// (numpy.savez layout, float32 little-endian) holding X0, X1, M1, X2, M2
// in the sampling.Batch layout, y (the labels) and valid (1 for a real
// row, 0 for padding), and manifest.json describing dims, relations and
// the feature schema with its normalisation. dir is created; existing
// files of the same names are replaced.
func (bs *Batches) Export(ctx context.Context, dir string, cfg ExportConfig) (*ExportManifest, error) {
	if cfg.Splits == nil {
		cfg.Splits = []Split{SplitTrain, SplitVal}
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 256
	}
	if cfg.Hidden == 0 {
		cfg.Hidden = DefaultHidden
	}
	if cfg.BatchSize < 1 || cfg.BatchSize > 65536 {
		return nil, fmt.Errorf("%w: batch size %d: want 1..65536", ErrConfig, cfg.BatchSize)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("training: export: %w", err)
	}
	m := &ExportManifest{Format: ExportFormat, Target: bs.Target, Dims: bs.dims(cfg.Hidden),
		Relations1: bs.Relations1, Relations2: bs.Relations2, Features: bs.Features,
		DataFingerprint: bs.Fingerprint, Split: bs.Split, BatchSize: cfg.BatchSize}
	var b sampling.Batch
	for _, s := range cfg.Splits {
		rows, labels, _, err := bs.rows(ctx, s)
		if err != nil {
			return nil, err
		}
		if len(rows) == 0 {
			return nil, fmt.Errorf("%w: the %v split is empty", ErrNoData, s)
		}
		for n, lo := 0, 0; lo < len(rows); n, lo = n+1, lo+cfg.BatchSize {
			hi := min(lo+cfg.BatchSize, len(rows))
			part := append([]int(nil), rows[lo:hi]...)
			y := append([]float32(nil), labels[lo:hi]...)
			valid := make([]float32, cfg.BatchSize)
			for i := range part {
				valid[i] = 1
			}
			for i := 0; len(part) < cfg.BatchSize; i++ { // pad by repetition
				part, y = append(part, part[i%(hi-lo)]), append(y, y[i%(hi-lo)])
			}
			if err := bs.batch(ctx, part, &b); err != nil {
				return nil, err
			}
			name := fmt.Sprintf("%s-%06d.npz", s, n)
			if err := writeNPZ(filepath.Join(dir, name), batchArrays(&b, y, valid)); err != nil {
				return nil, err
			}
			var pos int
			for _, v := range labels[lo:hi] {
				pos += int(v)
			}
			m.Files = append(m.Files, ExportFile{Name: name, Split: s.String(), Rows: hi - lo, Positives: pos})
		}
	}
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("training: export manifest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), append(raw, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("training: export manifest: %w", err)
	}
	return m, nil
}

// npyArray is one array of an npz file.
type npyArray struct {
	name  string
	shape []int
	data  []float32
}

func batchArrays(b *sampling.Batch, y, valid []float32) []npyArray {
	return []npyArray{
		{"X0", []int{b.B, b.F0}, b.X0},
		{"X1", []int{b.R1, b.B, b.K1, b.F1}, b.X1},
		{"M1", []int{b.R1, b.B, b.K1}, b.M1},
		{"X2", []int{b.R1, b.B, b.K1, b.R2, b.K2, b.F2}, b.X2},
		{"M2", []int{b.R1, b.B, b.K1, b.R2, b.K2}, b.M2},
		{"y", []int{b.B}, y},
		{"valid", []int{b.B}, valid},
	}
}

// writeNPZ writes arrays as numpy.savez does: a stored zip of NAME.npy
// files, each a version 1.0 .npy header (padded to a multiple of 64
// bytes) and the little-endian float32 data in C order.
func writeNPZ(path string, arrays []npyArray) error {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, a := range arrays {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: a.name + ".npy", Method: zip.Store})
		if err != nil {
			return fmt.Errorf("training: %s: %w", path, err)
		}
		dims := make([]string, len(a.shape))
		for i, d := range a.shape {
			dims[i] = fmt.Sprint(d)
		}
		shape := strings.Join(dims, ", ")
		if len(a.shape) == 1 {
			shape += ","
		}
		header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", shape)
		pad := 64 - (10+len(header)+1)%64
		header += strings.Repeat(" ", pad%64) + "\n"
		pre := make([]byte, 10)
		copy(pre, "\x93NUMPY\x01\x00")
		binary.LittleEndian.PutUint16(pre[8:], uint16(len(header)))
		raw := make([]byte, 4*len(a.data))
		for i, v := range a.data {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
		}
		for _, part := range [][]byte{pre, []byte(header), raw} {
			if _, err := w.Write(part); err != nil {
				return fmt.Errorf("training: %s: %w", path, err)
			}
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("training: %s: %w", path, err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("training: %s: %w", path, err)
	}
	return nil
}
