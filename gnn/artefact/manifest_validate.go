package artefact

import (
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
)

// Names of the files of an artefact directory.
const (
	ManifestFile    = "manifest.json"
	SafetensorsFile = "weights.safetensors"
	NPZFile         = "weights.npz"
)

// Dtypes a manifest may give a tensor.
const (
	DTypeFloat32  = "float32"
	DTypeBFloat16 = "bfloat16"
)

// MaxManifestBytes bounds the size of manifest.json.
const MaxManifestBytes = 16 << 20

// Validate checks the manifest on its own, without reading the weights:
// format_version is FormatVersion (else ErrFormatVersion); architecture is
// ArchHeteroSAGE (else ErrUnknownArchitecture); dims pass Dims.Validate
// (ErrDims); the tensors are exactly those of Dims.Tensors (ErrMissingTensor,
// ErrUnknownTensor) with their shapes (*ShapeError, ErrShapeMismatch) and a
// dtype of float32 or bfloat16 (ErrDType). Everything else wraps
// ErrManifest: a non-empty ID without '@' or white space; target
// "Transaction" or "Account"; R1 and R2 distinct non-empty relation names;
// weights "weights.safetensors" or "weights.npz"; weights_sha256 and every
// tensor sha256 64 lower-case hex digits; a feature spec version, and F0,
// F1 and F2 distinct non-empty feature names with a finite mean and a
// finite std > 0.
func (m Manifest) Validate() error {
	if m.FormatVersion != FormatVersion {
		return fmt.Errorf("manifest: format_version %d, want %d: %w", m.FormatVersion, FormatVersion, ErrFormatVersion)
	}
	if m.Architecture != ArchHeteroSAGE {
		return fmt.Errorf("manifest: architecture %q, want %q: %w", m.Architecture, ArchHeteroSAGE, ErrUnknownArchitecture)
	}
	if m.ID == "" || strings.ContainsFunc(m.ID, func(r rune) bool { return r == '@' || r <= ' ' || r == 0x7f }) {
		return fmt.Errorf("manifest: id %q: want non-empty, without '@', spaces or control characters: %w", m.ID, ErrManifest)
	}
	if m.Target != "Transaction" && m.Target != "Account" {
		return fmt.Errorf("manifest: target %q: want Transaction or Account: %w", m.Target, ErrManifest)
	}
	if err := m.Dims.Validate(); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if err := checkNames("relations1", m.Relations1, m.Dims.R1); err != nil {
		return err
	}
	if err := checkNames("relations2", m.Relations2, m.Dims.R2); err != nil {
		return err
	}
	if _, err := formatOf(m.Weights); err != nil {
		return err
	}
	if !isSHA256Hex(m.WeightsSHA256) {
		return fmt.Errorf("manifest: weights_sha256 %q: want 64 lower-case hex digits: %w", m.WeightsSHA256, ErrManifest)
	}
	if err := m.validateTensors(); err != nil {
		return err
	}
	return m.Features.validate(m.Dims)
}

// validateTensors checks m.Tensors against the architecture's table.
func (m Manifest) validateTensors() error {
	specs := m.Dims.Tensors()
	var unknown []string
	for name := range m.Tensors {
		if !slices.ContainsFunc(specs, func(s TensorSpec) bool { return s.Name == name }) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return fmt.Errorf("manifest: tensors %q: not used by %s: %w", unknown, ArchHeteroSAGE, ErrUnknownTensor)
	}
	for _, s := range specs {
		info, ok := m.Tensors[s.Name]
		if !ok {
			return fmt.Errorf("manifest: tensor %q: %w", s.Name, ErrMissingTensor)
		}
		if !slices.Equal(info.Shape, s.Shape) {
			return &ShapeError{Tensor: s.Name, Where: "manifest", Want: s.Shape, Got: info.Shape}
		}
		if _, err := dtypeSize(info.DType); err != nil {
			return fmt.Errorf("manifest: tensor %q: %w", s.Name, err)
		}
		if !isSHA256Hex(info.SHA256) {
			return fmt.Errorf("manifest: tensor %q: sha256 %q: want 64 lower-case hex digits: %w", s.Name, info.SHA256, ErrManifest)
		}
	}
	return nil
}

// validate checks the feature spec against dims: one stat per feature.
func (f FeatureSpec) validate(d Dims) error {
	if f.Version == "" {
		return fmt.Errorf("manifest: features.version is empty: %w", ErrManifest)
	}
	for _, l := range []struct {
		field string
		stats []FeatureStat
		want  int
	}{{"target", f.Target, d.F0}, {"hop1", f.Hop1, d.F1}, {"hop2", f.Hop2, d.F2}} {
		if len(l.stats) != l.want {
			return fmt.Errorf("manifest: features.%s has %d features, want %d: %w", l.field, len(l.stats), l.want, ErrManifest)
		}
		seen := make(map[string]struct{}, len(l.stats))
		for i, s := range l.stats {
			if s.Name == "" {
				return fmt.Errorf("manifest: features.%s[%d]: empty name: %w", l.field, i, ErrManifest)
			}
			if _, dup := seen[s.Name]; dup {
				return fmt.Errorf("manifest: features.%s[%d]: duplicate name %q: %w", l.field, i, s.Name, ErrManifest)
			}
			seen[s.Name] = struct{}{}
			if math.IsNaN(s.Mean) || math.IsInf(s.Mean, 0) {
				return fmt.Errorf("manifest: features.%s[%d] (%s): mean %v: %w", l.field, i, s.Name, s.Mean, ErrManifest)
			}
			if !(s.Std > 0) || math.IsInf(s.Std, 0) {
				return fmt.Errorf("manifest: features.%s[%d] (%s): std %v: want finite and > 0: %w", l.field, i, s.Name, s.Std, ErrManifest)
			}
		}
	}
	return nil
}

// checkNames checks that names has want distinct non-empty entries.
func checkNames(field string, names []string, want int) error {
	if len(names) != want {
		return fmt.Errorf("manifest: %s has %d names, want %d: %w", field, len(names), want, ErrManifest)
	}
	for i, n := range names {
		if n == "" {
			return fmt.Errorf("manifest: %s[%d]: empty name: %w", field, i, ErrManifest)
		}
		if slices.Contains(names[:i], n) {
			return fmt.Errorf("manifest: %s[%d]: duplicate name %q: %w", field, i, n, ErrManifest)
		}
	}
	return nil
}

// dtypeSize is the stored size in bytes of a manifest dtype.
func dtypeSize(dtype string) (int64, error) {
	switch dtype {
	case DTypeFloat32:
		return 4, nil
	case DTypeBFloat16:
		return 2, nil
	}
	return 0, fmt.Errorf("dtype %q: want %s or %s: %w", dtype, DTypeFloat32, DTypeBFloat16, ErrDType)
}

// isSHA256Hex reports whether s is 64 lower-case hex digits.
func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// readManifest reads and validates the manifest at path: at most
// MaxManifestBytes of strict JSON (no unknown or duplicate fields, no
// trailing data) that passes Manifest.Validate.
func readManifest(path string) (Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return Manifest{}, fmt.Errorf("%w: %w", ErrManifest, err)
	}
	defer f.Close()
	return decodeManifest(f, path)
}

// decodeManifest reads and validates the manifest in r, named where in
// errors, as readManifest does.
func decodeManifest(r io.Reader, where string) (Manifest, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxManifestBytes+1))
	if err != nil {
		return Manifest{}, fmt.Errorf("%s: %w: %w", where, ErrManifest, err)
	}
	m, err := parseManifest(data)
	if err != nil {
		return Manifest{}, fmt.Errorf("%s: %w", where, err)
	}
	return m, nil
}

// parseManifest decodes and validates manifest JSON.
func parseManifest(data []byte) (Manifest, error) {
	if len(data) > MaxManifestBytes {
		return Manifest{}, fmt.Errorf("longer than %d bytes: %w", MaxManifestBytes, ErrManifest)
	}
	key, depth, err := findDupKey(data)
	if err != nil {
		return Manifest{}, fmt.Errorf("not JSON: %v: %w", err, ErrManifest)
	}
	if key != "" {
		return Manifest{}, fmt.Errorf("key %q appears twice in one object (depth %d; keys compare ignoring case): %w", key, depth, ErrManifest)
	}
	var m Manifest
	if err := decodeStrict(data, &m); err != nil {
		return Manifest{}, fmt.Errorf("%v: %w", err, ErrManifest)
	}
	if err := m.Validate(); err != nil {
		return Manifest{}, err
	}
	return m, nil
}
