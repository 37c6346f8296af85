package artefact

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// Artefact is a loaded, fully validated model: its manifest and weights.
type Artefact struct {
	// Manifest is the validated manifest.
	Manifest Manifest
	// Tensors holds every tensor of Manifest.Dims.Tensors, widened to
	// float32, row-major (C order), its shape in Manifest.Tensors. The
	// Artefact owns the slices; treat them as read-only once shared.
	Tensors map[string][]float32
	// Dir is the directory the manifest was read from (for Import, the
	// directory installed into).
	Dir string
}

// Format is a weights file format.
type Format int

// The weights formats.
const (
	// FormatSafetensors is weights.safetensors (huggingface/safetensors).
	FormatSafetensors Format = iota + 1
	// FormatNPZ is weights.npz (numpy.savez: a zip of NAME.npy entries).
	FormatNPZ
)

// FileName is the weights file name of f in an artefact directory, or ""
// for an unknown format.
func (f Format) FileName() string {
	switch f {
	case FormatSafetensors:
		return SafetensorsFile
	case FormatNPZ:
		return NPZFile
	}
	return ""
}

func (f Format) String() string {
	switch f {
	case FormatSafetensors:
		return "safetensors"
	case FormatNPZ:
		return "npz"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// formatOf is the format of a manifest's weights file name.
func formatOf(name string) (Format, error) {
	switch name {
	case SafetensorsFile:
		return FormatSafetensors, nil
	case NPZFile:
		return FormatNPZ, nil
	}
	return 0, fmt.Errorf("manifest: weights %q: want %s or %s: %w", name, SafetensorsFile, NPZFile, ErrManifest)
}

// ModelID is the serving id of the model, Manifest.ID@ followed by the
// first 12 hex digits of the weights file's SHA-256.
func (a *Artefact) ModelID() string { return a.Manifest.ModelID() }

// ModelID is the serving id of the model the manifest describes,
// m.ID@ followed by the first 12 hex digits of m.WeightsSHA256.
func (m Manifest) ModelID() string {
	sha := m.WeightsSHA256
	if len(sha) > 12 {
		sha = sha[:12]
	}
	return m.ID + "@" + sha
}

// Load reads the artefact in dir: dir/manifest.json and the weights file
// it names. See LoadFiles for the checks.
func Load(dir string) (*Artefact, error) {
	m, err := readManifest(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, err
	}
	tensors, err := readWeights(filepath.Join(dir, m.Weights), &m)
	if err != nil {
		return nil, err
	}
	return &Artefact{Manifest: m, Tensors: tensors, Dir: dir}, nil
}

// LoadFiles reads the manifest at manifestPath and the weights at
// weightsPath, in the format the manifest's Weights names whatever the
// file is called. Every check runs before any tensor memory is allocated,
// and the allocation is bounded by the validated manifest: the manifest
// (Manifest.Validate), then the weights file's structure against it
// (header, offsets, npz entries and .npy headers, dtypes, shapes, sizes),
// then the file's SHA-256; then each tensor is read and checked against
// its SHA-256 and for NaN or ±Inf. Errors wrap the package's sentinels,
// or are file system errors (test with errors.Is(err, fs.ErrNotExist)).
func LoadFiles(manifestPath, weightsPath string) (*Artefact, error) {
	m, err := readManifest(manifestPath)
	if err != nil {
		return nil, err
	}
	tensors, err := readWeights(weightsPath, &m)
	if err != nil {
		return nil, err
	}
	return &Artefact{Manifest: m, Tensors: tensors, Dir: filepath.Dir(manifestPath)}, nil
}

// readWeights reads and checks the weights file at path against the
// validated manifest m.
func readWeights(path string, m *Manifest) (map[string][]float32, error) {
	if _, err := formatOf(m.Weights); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "load", Path: path, Err: errors.New("not a regular file")}
	}
	return readWeightsAt(f, st.Size(), path, m)
}

// readWeightsAt reads and checks the size bytes of the weights file in ra
// (named where in errors) against the validated manifest m.
func readWeightsAt(ra io.ReaderAt, size int64, where string, m *Manifest) (map[string][]float32, error) {
	format, err := formatOf(m.Weights)
	if err != nil {
		return nil, err
	}
	if format == FormatNPZ {
		return readNPZ(ra, size, where, m)
	}
	return readSafetensors(ra, size, where, m)
}

// checkFileSHA checks that the size bytes of ra hash to want.
func checkFileSHA(ra io.ReaderAt, size int64, where, want string) error {
	h := sha256.New()
	if _, err := io.CopyBuffer(h, io.NewSectionReader(ra, 0, size), make([]byte, 256<<10)); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%s: sha256 %s, manifest has weights_sha256 %s: %w", where, got, want, ErrChecksum)
	}
	return nil
}

// Write writes the artefact of m and tensors into dir, creating dir if
// needed and replacing an artefact there: the weights file of format, then
// manifest.json, each atomically (a temporary file, fsync, rename, fsync
// of dir). An interrupted replacement can leave the old manifest next to
// new weights, which Load then refuses with ErrChecksum; it never mixes
// them silently.
//
// The caller fills ID, Target, Dims, Relations1, Relations2, Features and
// Training. Write sets FormatVersion and Architecture if zero, Weights,
// WeightsSHA256 and Tensors (dtype float32, the shapes of Dims.Tensors,
// per-tensor SHA-256), and returns the completed manifest. tensors must
// hold exactly the tensors of m.Dims.Tensors, row-major, all finite.
// Everything is validated before the first byte is written.
func Write(dir string, m Manifest, tensors map[string][]float32, format Format) (Manifest, error) {
	name := format.FileName()
	if name == "" {
		return Manifest{}, fmt.Errorf("write: unknown %v: %w", format, ErrManifest)
	}
	if m.FormatVersion == 0 {
		m.FormatVersion = FormatVersion
	}
	if m.Architecture == "" {
		m.Architecture = ArchHeteroSAGE
	}
	if err := m.Dims.Validate(); err != nil {
		return Manifest{}, fmt.Errorf("write: %w", err)
	}
	specs := m.Dims.Tensors()
	if err := checkWriteTensors(specs, tensors); err != nil {
		return Manifest{}, err
	}
	// Validate the rest of the manifest with placeholder checksums.
	const zeroSHA = "0000000000000000000000000000000000000000000000000000000000000000"
	m.Weights = name
	m.WeightsSHA256 = zeroSHA
	m.Tensors = make(map[string]TensorInfo, len(specs))
	for _, s := range specs {
		m.Tensors[s.Name] = TensorInfo{DType: DTypeFloat32, Shape: s.Shape, SHA256: zeroSHA}
	}
	if err := m.Validate(); err != nil {
		return Manifest{}, fmt.Errorf("write: %w", err)
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Manifest{}, err
	}
	err := writeFileAtomic(dir, name, func(w io.Writer) error {
		h := sha256.New()
		mw := io.MultiWriter(w, h)
		var infos map[string]TensorInfo
		var err error
		if format == FormatNPZ {
			infos, err = writeNPZ(mw, specs, tensors)
		} else {
			infos, err = writeSafetensors(mw, specs, tensors)
		}
		m.Tensors = infos
		m.WeightsSHA256 = hex.EncodeToString(h.Sum(nil))
		return err
	})
	if err != nil {
		return Manifest{}, fmt.Errorf("write: %w", err)
	}
	if err := writeManifest(dir, m); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// checkWriteTensors checks that tensors are exactly those of specs, each
// with the values its shape needs, all finite.
func checkWriteTensors(specs []TensorSpec, tensors map[string][]float32) error {
	var unknown []string
	for name := range tensors {
		if !slices.ContainsFunc(specs, func(s TensorSpec) bool { return s.Name == name }) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return fmt.Errorf("write: tensors %q: not used by %s: %w", unknown, ArchHeteroSAGE, ErrUnknownTensor)
	}
	for _, s := range specs {
		v, ok := tensors[s.Name]
		if !ok {
			return fmt.Errorf("write: tensor %q: %w", s.Name, ErrMissingTensor)
		}
		if n := numElems(s.Shape); int64(len(v)) != n {
			return fmt.Errorf("write: tensor %q: %d values, shape %v needs %d: %w", s.Name, len(v), s.Shape, n, ErrShapeMismatch)
		}
		if err := checkFinite(s.Name, v); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
	return nil
}

// writeManifest writes m as indented JSON to dir/manifest.json atomically.
func writeManifest(dir string, m Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("manifest: %v: %w", err, ErrManifest)
	}
	b = append(b, '\n')
	return writeFileAtomic(dir, ManifestFile, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// Import checks the artefact made of the manifest at manifestPath and the
// weights at weightsPath exactly as LoadFiles does, then installs it in
// outDir (created if needed) as manifest.json and the weights file the
// manifest names, each atomically, weights first. The copied bytes are
// hashed again as they are written, so a weights file changed after
// validation is refused with ErrChecksum. If outDir already has a
// manifest.json with a different weights_sha256, or one that cannot be
// read, Import refuses with ErrExists; the same weights are re-installed.
// The returned Artefact's Dir is outDir.
func Import(weightsPath, manifestPath, outDir string) (*Artefact, error) {
	a, err := LoadFiles(manifestPath, weightsPath)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	m := a.Manifest
	if err := checkReplace(outDir, m); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	err = writeFileAtomic(outDir, m.Weights, func(w io.Writer) error {
		src, err := os.Open(weightsPath)
		if err != nil {
			return err
		}
		defer src.Close()
		h := sha256.New()
		if _, err := io.Copy(io.MultiWriter(w, h), src); err != nil {
			return err
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != m.WeightsSHA256 {
			return fmt.Errorf("%s changed while importing: sha256 %s, manifest has %s: %w", weightsPath, got, m.WeightsSHA256, ErrChecksum)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	if err := writeManifest(outDir, m); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	a.Dir = outDir
	return a, nil
}

// checkReplace refuses to install m over a different model in dir.
func checkReplace(dir string, m Manifest) error {
	path := filepath.Join(dir, ManifestFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	var old Manifest
	if err := json.Unmarshal(data, &old); err != nil {
		return fmt.Errorf("import: %s exists and is unreadable (%v): %w", path, err, ErrExists)
	}
	if old.WeightsSHA256 != m.WeightsSHA256 {
		return fmt.Errorf("import: %s holds %s, not %s: %w", dir, old.ModelID(), m.ModelID(), ErrExists)
	}
	return nil
}

// writeFileAtomic writes dir/name through write: into a temporary file in
// dir, flushed and fsynced, renamed over name, then dir is fsynced. On
// error the temporary file is removed and name is untouched.
func writeFileAtomic(dir, name string, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
