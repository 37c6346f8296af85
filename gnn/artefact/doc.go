// Package artefact reads, checks and writes GNN model artefacts: a
// directory holding manifest.json (a Manifest) and the weights file it
// names, weights.safetensors or weights.npz. The Go trainer writes them
// with Write; a JAX or PyTorch job exports them and `riskgraph model
// import` installs them with Import; the scorer reads them with Load, or
// with LoadFS from an fs.FS such as the embed.FS of package
// gnn/defaultmodel.
//
// # Formats
//
// weights.safetensors follows huggingface/safetensors: an 8-byte
// little-endian header length, a JSON header mapping each tensor name to
// {"dtype", "shape", "data_offsets": [begin, end]} (offsets into the data
// section) plus an optional "__metadata__" object of strings, then the
// data section. Tensors are F32 or BF16, little-endian, row-major.
//
// weights.npz is what numpy.savez (stored) or numpy.savez_compressed
// (deflated) write: a zip archive with one NAME.npy entry per tensor, each
// an .npy file (format 1.0, 2.0 or 3.0) in C order: '<f4' for float32 and,
// when the manifest says bfloat16, '<u2', '|V2' or 'bfloat16' for the raw
// 16 bits.
//
// Write produces float32 tensors in either format; bfloat16 tensors, from
// TPU exports, are widened on load to the float32 whose upper 16 bits they
// are.
//
// # Validation
//
// Loading is strict, so that the forward pass can never panic on a model:
// every tensor of the architecture's table (Dims.Tensors) and no other,
// with its shape, every byte of the weights file accounted for, the whole
// file and each tensor matching the manifest's SHA-256, and every weight
// finite. All structural checks run before any tensor memory is
// allocated, and what is allocated is bounded by the validated manifest
// (MaxParams, MaxHeaderBytes, MaxNPZEntries, MaxNPYHeader). Each failure
// is reported by an error wrapping one of the package's sentinel errors
// (ErrChecksum, ErrOffsets, ErrZipBomb, …; see errors.go) with the file,
// tensor, field or offset at fault; a shape mismatch is a *ShapeError
// carrying both shapes.
package artefact
