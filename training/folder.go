package training

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Split names the part of a data set a row belongs to.
type Split uint8

// Splits. SplitNone is a row in no split (an unlabelled node, or a row
// the split leaves out).
const (
	SplitNone Split = iota
	SplitTrain
	SplitVal
	SplitTest
)

// String returns "", "train", "val" or "test".
func (s Split) String() string {
	switch s {
	case SplitTrain:
		return "train"
	case SplitVal:
		return "val"
	case SplitTest:
		return "test"
	}
	return ""
}

// ParseSplit is the inverse of Split.String ("" is SplitNone).
func ParseSplit(s string) (Split, error) {
	switch s {
	case "":
		return SplitNone, nil
	case "train":
		return SplitTrain, nil
	case "val":
		return SplitVal, nil
	case "test":
		return SplitTest, nil
	}
	return 0, fmt.Errorf("%w: split %q: want train, val, test or empty", ErrData, s)
}

// Folder is a labelled-graph data set read from a folder (the format of
// DESIGN.md): nodes.csv[.gz] with node_id,label,split and numeric feature
// columns, and one edges_<relation>.csv[.gz] per relation with src,dst
// and optional time and amount columns.
type Folder struct {
	// IDs are the node ids in file order; a node's index is its row.
	IDs []string
	// Labels are 1, 0, or -1 when unknown (an empty label).
	Labels []int8
	// Splits is the split column.
	Splits []Split
	// FeatureNames name the numeric columns after split; X holds them
	// row-major, len(IDs) × len(FeatureNames), raw.
	FeatureNames []string
	X            []float32
	// Relations are the edge files, sorted by name.
	Relations []Relation
	// Fingerprint is the hex SHA-256 over every file read (names and
	// bytes as stored, compressed or not, in name order): the data
	// fingerprint of the manifest and the model card.
	Fingerprint string

	index map[string]int32
}

// Relation is one edge file: edge i goes from node Src[i] to node Dst[i].
type Relation struct {
	// Name is the file's <relation> part: edges_invest.csv.gz → "invest".
	Name     string
	Src, Dst []int32
	// Time and Amount are the optional columns, nil when absent.
	Time, Amount []float64
}

// Index returns the row of node id and whether it exists.
func (f *Folder) Index(id string) (int, bool) {
	i, ok := f.index[id]
	return int(i), ok
}

// Relation returns the relation named name, or nil.
func (f *Folder) Relation(name string) *Relation {
	for i := range f.Relations {
		if f.Relations[i].Name == name {
			return &f.Relations[i]
		}
	}
	return nil
}

// Limits of ReadFolder: far above the benchmark data sets, low enough
// that a malformed file cannot exhaust memory through one field.
const (
	MaxFolderNodes    = 1 << 26
	MaxFolderFeatures = 4096
	MaxFolderEdges    = 1 << 30
)

// ReadFolder reads the data set in directory dir. Errors wrap ErrData and
// name the file and line of a malformed row.
func ReadFolder(dir string) (*Folder, error) {
	return ReadFolderFS(os.DirFS(dir), ".")
}

// ReadFolderFS reads the data set in directory dir of fsys.
func ReadFolderFS(fsys fs.FS, dir string) (*Folder, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrData, err)
	}
	var nodeFile string
	edgeFiles := map[string]string{} // relation → file
	for _, e := range entries {
		name := e.Name()
		base := strings.TrimSuffix(name, ".gz")
		if e.IsDir() || !strings.HasSuffix(base, ".csv") {
			continue
		}
		switch {
		case base == "nodes.csv":
			if nodeFile != "" {
				return nil, fmt.Errorf("%w: %s: both %s and %s", ErrData, dir, nodeFile, name)
			}
			nodeFile = name
		case strings.HasPrefix(base, "edges_"):
			rel := strings.TrimSuffix(strings.TrimPrefix(base, "edges_"), ".csv")
			if rel == "" {
				return nil, fmt.Errorf("%w: %s: edge file %s names no relation", ErrData, dir, name)
			}
			if prev, ok := edgeFiles[rel]; ok {
				return nil, fmt.Errorf("%w: %s: both %s and %s", ErrData, dir, prev, name)
			}
			edgeFiles[rel] = name
		}
	}
	if nodeFile == "" {
		return nil, fmt.Errorf("%w: %s: no nodes.csv or nodes.csv.gz", ErrData, dir)
	}
	fp := sha256.New()
	read := func(name string) (io.Reader, error) {
		raw, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrData, err)
		}
		sum := sha256.Sum256(raw)
		fmt.Fprintf(fp, "%s\t%x\n", name, sum)
		if !strings.HasSuffix(name, ".gz") {
			return bytes.NewReader(raw), nil
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrData, name, err)
		}
		return zr, nil
	}
	r, err := read(nodeFile)
	if err != nil {
		return nil, err
	}
	f, err := decodeNodes(r, nodeFile)
	if err != nil {
		return nil, err
	}
	rels := make([]string, 0, len(edgeFiles))
	for rel := range edgeFiles {
		rels = append(rels, rel)
	}
	slices.Sort(rels)
	for _, rel := range rels {
		r, err := read(edgeFiles[rel])
		if err != nil {
			return nil, err
		}
		e, err := decodeEdges(r, edgeFiles[rel], f.index)
		if err != nil {
			return nil, err
		}
		e.Name = rel
		f.Relations = append(f.Relations, e)
	}
	f.Fingerprint = hex.EncodeToString(fp.Sum(nil))
	return f, nil
}

// csvReader returns a CSV reader over r that reuses records.
func csvReader(r io.Reader) *csv.Reader {
	c := csv.NewReader(r)
	c.ReuseRecord = true
	c.FieldsPerRecord = -1
	return c
}

// readHeader reads the header of file.
func readHeader(c *csv.Reader, file string) ([]string, error) {
	h, err := c.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %s: empty file", ErrData, file)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrData, file, err)
	}
	return slices.Clone(h), nil
}

// decodeNodes reads a nodes file.
func decodeNodes(r io.Reader, file string) (*Folder, error) {
	c := csvReader(r)
	h, err := readHeader(c, file)
	if err != nil {
		return nil, err
	}
	if len(h) < 3 || h[0] != "node_id" || h[1] != "label" || h[2] != "split" {
		return nil, fmt.Errorf("%w: %s: header %q: want node_id,label,split,<features…>", ErrData, file, strings.Join(h, ","))
	}
	f := &Folder{FeatureNames: h[3:], index: map[string]int32{}}
	if len(f.FeatureNames) > MaxFolderFeatures {
		return nil, fmt.Errorf("%w: %s: %d feature columns, at most %d", ErrData, file, len(f.FeatureNames), MaxFolderFeatures)
	}
	seen := map[string]bool{}
	for _, n := range f.FeatureNames {
		if n == "" || seen[n] {
			return nil, fmt.Errorf("%w: %s: feature column %q is empty or repeated", ErrData, file, n)
		}
		seen[n] = true
	}
	for {
		rec, err := c.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrData, file, err)
		}
		line, _ := c.FieldPos(0)
		if len(rec) != len(h) {
			return nil, fmt.Errorf("%w: %s line %d: %d fields, header has %d", ErrData, file, line, len(rec), len(h))
		}
		if len(f.IDs) == MaxFolderNodes {
			return nil, fmt.Errorf("%w: %s: more than %d nodes", ErrData, file, MaxFolderNodes)
		}
		id := rec[0]
		if id == "" {
			return nil, fmt.Errorf("%w: %s line %d: empty node_id", ErrData, file, line)
		}
		if _, dup := f.index[id]; dup {
			return nil, fmt.Errorf("%w: %s line %d: node_id %q repeated", ErrData, file, line, id)
		}
		var y int8
		switch rec[1] {
		case "1":
			y = 1
		case "0":
			y = 0
		case "":
			y = -1
		default:
			return nil, fmt.Errorf("%w: %s line %d: label %q: want 1, 0 or empty", ErrData, file, line, rec[1])
		}
		sp, err := ParseSplit(rec[2])
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", file, line, err)
		}
		for j, v := range rec[3:] {
			x, err := strconv.ParseFloat(v, 32)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("%w: %s line %d: %s = %q: want a finite number", ErrData, file, line, f.FeatureNames[j], v)
			}
			f.X = append(f.X, float32(x))
		}
		f.index[id] = int32(len(f.IDs))
		f.IDs = append(f.IDs, id)
		f.Labels = append(f.Labels, y)
		f.Splits = append(f.Splits, sp)
	}
	if len(f.IDs) == 0 {
		return nil, fmt.Errorf("%w: %s: no nodes", ErrData, file)
	}
	return f, nil
}

// decodeEdges reads an edges file whose endpoints must be in index.
func decodeEdges(r io.Reader, file string, index map[string]int32) (Relation, error) {
	c := csvReader(r)
	h, err := readHeader(c, file)
	if err != nil {
		return Relation{}, err
	}
	col := map[string]int{}
	for i, name := range h {
		switch name {
		case "src", "dst", "time", "amount":
		default:
			return Relation{}, fmt.Errorf("%w: %s: column %q: want src,dst[,time][,amount]", ErrData, file, name)
		}
		if _, dup := col[name]; dup {
			return Relation{}, fmt.Errorf("%w: %s: column %q repeated", ErrData, file, name)
		}
		col[name] = i
	}
	si, ok1 := col["src"]
	di, ok2 := col["dst"]
	if !ok1 || !ok2 {
		return Relation{}, fmt.Errorf("%w: %s: header %q lacks src or dst", ErrData, file, strings.Join(h, ","))
	}
	ti, hasTime := col["time"]
	ai, hasAmount := col["amount"]
	var e Relation
	node := func(rec []string, i int, line int) (int32, error) {
		n, ok := index[rec[i]]
		if !ok {
			return 0, fmt.Errorf("%w: %s line %d: %s %q is not in the nodes file", ErrData, file, line, h[i], rec[i])
		}
		return n, nil
	}
	num := func(rec []string, i int, line int) (float64, error) {
		x, err := strconv.ParseFloat(rec[i], 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, fmt.Errorf("%w: %s line %d: %s = %q: want a finite number", ErrData, file, line, h[i], rec[i])
		}
		return x, nil
	}
	for {
		rec, err := c.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Relation{}, fmt.Errorf("%w: %s: %w", ErrData, file, err)
		}
		line, _ := c.FieldPos(0)
		if len(rec) != len(h) {
			return Relation{}, fmt.Errorf("%w: %s line %d: %d fields, header has %d", ErrData, file, line, len(rec), len(h))
		}
		if len(e.Src) == MaxFolderEdges {
			return Relation{}, fmt.Errorf("%w: %s: more than %d edges", ErrData, file, MaxFolderEdges)
		}
		s, err := node(rec, si, line)
		if err != nil {
			return Relation{}, err
		}
		d, err := node(rec, di, line)
		if err != nil {
			return Relation{}, err
		}
		e.Src, e.Dst = append(e.Src, s), append(e.Dst, d)
		if hasTime {
			t, err := num(rec, ti, line)
			if err != nil {
				return Relation{}, err
			}
			e.Time = append(e.Time, t)
		}
		if hasAmount {
			a, err := num(rec, ai, line)
			if err != nil {
				return Relation{}, err
			}
			if a < 0 {
				return Relation{}, fmt.Errorf("%w: %s line %d: amount %v < 0", ErrData, file, line, a)
			}
			e.Amount = append(e.Amount, a)
		}
	}
	if hasTime && e.Time == nil {
		e.Time = []float64{}
	}
	if hasAmount && e.Amount == nil {
		e.Amount = []float64{}
	}
	return e, nil
}
