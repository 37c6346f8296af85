package artefact

import (
	"errors"
	"fmt"
)

// Sentinel errors of the artefact package. An error returned by Load,
// LoadFiles, Import, Write or Manifest.Validate wraps one of them with
// context naming the file, tensor, field or offset (test with errors.Is),
// unless it is a file system error (test with errors.Is(err,
// fs.ErrNotExist) and the like).
var (
	// ErrManifest: manifest.json is unreadable, not strict JSON (unknown or
	// duplicate fields, trailing data), or a field is invalid (ID, target,
	// relations, weights file name, checksum syntax, feature spec).
	ErrManifest = errors.New("artefact: invalid manifest")
	// ErrFormatVersion: the manifest's format_version is not FormatVersion.
	ErrFormatVersion = errors.New("artefact: unknown manifest format version")
	// ErrUnknownArchitecture: the manifest names an architecture this build
	// cannot run.
	ErrUnknownArchitecture = errors.New("artefact: unknown architecture")
	// ErrDims: a dimension is out of range, or the model has more than
	// MaxParams parameters.
	ErrDims = errors.New("artefact: dimensions out of range")
	// ErrMissingTensor: a tensor the architecture needs is absent from the
	// manifest or the weights file.
	ErrMissingTensor = errors.New("artefact: missing tensor")
	// ErrUnknownTensor: the manifest or the weights file has a tensor the
	// architecture does not use.
	ErrUnknownTensor = errors.New("artefact: unknown tensor")
	// ErrDuplicateTensor: a tensor name appears twice in a weights file.
	ErrDuplicateTensor = errors.New("artefact: duplicate tensor")
	// ErrShapeMismatch: a tensor's shape differs from the architecture's or
	// the manifest's. The error is a *ShapeError.
	ErrShapeMismatch = errors.New("artefact: shape mismatch")
	// ErrDType: a dtype is not float32/bfloat16, or a file's dtype differs
	// from the manifest's.
	ErrDType = errors.New("artefact: unsupported or mismatched dtype")
	// ErrChecksum: the weights file or a tensor's bytes do not hash to the
	// manifest's SHA-256 (or an npz entry fails its CRC-32).
	ErrChecksum = errors.New("artefact: checksum mismatch")
	// ErrHeaderTooLarge: a safetensors header is longer than MaxHeaderBytes.
	ErrHeaderTooLarge = errors.New("artefact: safetensors header too large")
	// ErrHeader: a safetensors header is not the JSON object the format
	// defines.
	ErrHeader = errors.New("artefact: malformed safetensors header")
	// ErrOffsets: safetensors data_offsets do not tile the data section
	// exactly (a hole, an overlap, begin > end, or trailing bytes).
	ErrOffsets = errors.New("artefact: bad tensor data offsets")
	// ErrSizeMismatch: a tensor's stored byte length is not its element
	// count times its dtype size.
	ErrSizeMismatch = errors.New("artefact: tensor size mismatch")
	// ErrTruncated: the weights file ends before the data it declares.
	ErrTruncated = errors.New("artefact: weights file truncated")
	// ErrZipBomb: an npz archive has too many entries, or an entry declares
	// or produces more bytes than its tensor can need.
	ErrZipBomb = errors.New("artefact: npz archive exceeds limits")
	// ErrNPZ: an npz file is not a readable zip archive of NAME.npy entries.
	ErrNPZ = errors.New("artefact: malformed npz archive")
	// ErrNPY: an .npy entry has a bad magic, version or header, or is in
	// Fortran order.
	ErrNPY = errors.New("artefact: malformed npy entry")
	// ErrNonFinite: a weight is NaN or ±Inf.
	ErrNonFinite = errors.New("artefact: non-finite weight")
	// ErrExists: Import would replace a different model already installed
	// in the output directory.
	ErrExists = errors.New("artefact: a different model is already installed")
)

// ShapeError is a shape mismatch of one tensor; it wraps ErrShapeMismatch.
type ShapeError struct {
	// Tensor is the tensor name.
	Tensor string
	// Where names what disagrees with Want: "manifest", or a weights file.
	Where string
	// Want is the shape the architecture (and the manifest) requires, Got
	// the shape found.
	Want, Got []int
}

func (e *ShapeError) Error() string {
	return fmt.Sprintf("%s: tensor %q: shape %v, want %v: %v", e.Where, e.Tensor, e.Got, e.Want, ErrShapeMismatch)
}

// Unwrap returns ErrShapeMismatch.
func (e *ShapeError) Unwrap() error { return ErrShapeMismatch }
