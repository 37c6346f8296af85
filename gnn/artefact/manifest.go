package artefact

import "fmt"

// FormatVersion is the manifest format this build reads and writes.
const FormatVersion = 1

// ArchHeteroSAGE is the heterogeneous GraphSAGE architecture over a 2-hop
// relation tree: target → R1 relations × K1 neighbours → R2 relations × K2
// neighbours each. See Dims.Tensors for its weights and package gnn for the
// forward pass.
const ArchHeteroSAGE = "hetero-sage-v1"

// Manifest is manifest.json: everything needed to check the weights and to
// run them, written by the Go trainer and by the JAX exporter alike.
type Manifest struct {
	FormatVersion int    `json:"format_version"`
	Architecture  string `json:"architecture"`
	// ID names the model; the serving id is ID@sha256 of the weights file.
	ID string `json:"id"`
	// Target is the scored node kind: "Transaction" or "Account".
	Target string `json:"target"`
	Dims   Dims   `json:"dims"`
	// Relations1 names the R1 hop-1 relations (edge kinds, e.g. "BY"),
	// Relations2 the R2 hop-2 relations, in tensor order.
	Relations1 []string `json:"relations1"`
	Relations2 []string `json:"relations2"`
	// Features is the feature schema with normalisation statistics.
	Features FeatureSpec `json:"features"`
	// Weights is the weights file name: weights.safetensors or weights.npz.
	Weights string `json:"weights"`
	// WeightsSHA256 is the hex SHA-256 of the whole weights file.
	WeightsSHA256 string `json:"weights_sha256"`
	// Tensors describes every tensor: dtype ("float32" or "bfloat16"),
	// shape, and the hex SHA-256 of its raw little-endian bytes as stored.
	Tensors map[string]TensorInfo `json:"tensors"`
	// Training records provenance: data fingerprint, seed, split, metrics.
	Training Training `json:"training"`
}

// Dims are the model's dimensions. F0 is the target's feature width, F1
// the hop-1 nodes', F2 the hop-2 nodes'; K1 and K2 the fanouts; H the
// hidden width.
type Dims struct {
	F0 int `json:"f0"`
	F1 int `json:"f1"`
	F2 int `json:"f2"`
	R1 int `json:"r1"`
	R2 int `json:"r2"`
	K1 int `json:"k1"`
	K2 int `json:"k2"`
	H  int `json:"hidden"`
}

// TensorInfo describes one stored tensor.
type TensorInfo struct {
	DType  string `json:"dtype"`
	Shape  []int  `json:"shape"`
	SHA256 string `json:"sha256"`
}

// FeatureSpec is the versioned feature schema: the names of the target,
// hop-1 and hop-2 feature vectors and the normalisation applied to each
// (x-Mean)/Std, computed on training data.
type FeatureSpec struct {
	Version string         `json:"version"`
	Target  []FeatureStat  `json:"target"`
	Hop1    []FeatureStat  `json:"hop1"`
	Hop2    []FeatureStat  `json:"hop2"`
	Extra   map[string]any `json:"extra,omitempty"`
}

// FeatureStat is one feature and its normalisation.
type FeatureStat struct {
	Name string  `json:"name"`
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
}

// Training is provenance, copied into model cards.
type Training struct {
	DataFingerprint string             `json:"data_fingerprint,omitempty"`
	Seed            uint64             `json:"seed,omitempty"`
	Split           string             `json:"split,omitempty"`
	Trainer         string             `json:"trainer,omitempty"` // "gorgonia", "jax", "pytorch"
	Metrics         map[string]float64 `json:"metrics,omitempty"`
}

// TensorSpec is a tensor an architecture needs.
type TensorSpec struct {
	Name  string
	Shape []int
}

// Tensors returns every tensor of ArchHeteroSAGE with dims d, in a fixed
// order. With x0 [B,F0], a1[r] the masked mean over K1 of hop-1 features of
// relation r, x1[r] [B·K1,F1], a2[r][s] the masked mean over K2 of the
// hop-2 features under relation s of those nodes:
//
//	h0    = relu(x0·l1.self0.w + l1.self0.b + Σ_r a1[r]·l1.nb0.w[r])         [B,H]
//	h1[r] = relu(x1[r]·l1.self1.w[r] + l1.self1.b[r] + Σ_s a2[r][s]·l1.nb1.w[r,s])  [B·K1,H]
//	g[r]  = masked mean over K1 of h1[r]                                     [B,H]
//	h2    = relu(h0·l2.self.w + l2.self.b + Σ_r g[r]·l2.nb.w[r])             [B,H]
//	score = sigmoid(h2·head.w + head.b)                                      [B,1]
//
// A masked mean over no present neighbours is the zero vector.
func (d Dims) Tensors() []TensorSpec {
	return []TensorSpec{
		{"l1.self0.w", []int{d.F0, d.H}},
		{"l1.self0.b", []int{d.H}},
		{"l1.nb0.w", []int{d.R1, d.F1, d.H}},
		{"l1.self1.w", []int{d.R1, d.F1, d.H}},
		{"l1.self1.b", []int{d.R1, d.H}},
		{"l1.nb1.w", []int{d.R1, d.R2, d.F2, d.H}},
		{"l2.self.w", []int{d.H, d.H}},
		{"l2.self.b", []int{d.H}},
		{"l2.nb.w", []int{d.R1, d.H, d.H}},
		{"head.w", []int{d.H, 1}},
		{"head.b", []int{1}},
	}
}

// MaxParams bounds the total number of weights of a model (1 GiB of
// float32), so that no allocation sized from a manifest can be absurd.
const MaxParams = 1 << 28

// Validate checks that every dimension is within sane bounds and that the
// model has at most MaxParams weights, so that no allocation sized from a
// manifest can be absurd. Errors wrap ErrDims.
func (d Dims) Validate() error {
	for _, v := range []struct {
		name   string
		v, max int
	}{
		{"f0", d.F0, 4096}, {"f1", d.F1, 4096}, {"f2", d.F2, 4096},
		{"r1", d.R1, 64}, {"r2", d.R2, 64}, {"k1", d.K1, 1024}, {"k2", d.K2, 1024}, {"hidden", d.H, 4096},
	} {
		if v.v < 1 || v.v > v.max {
			return fmt.Errorf("dims.%s = %d: want 1..%d: %w", v.name, v.v, v.max, ErrDims)
		}
	}
	if n := d.Params(); n > MaxParams {
		return fmt.Errorf("dims: %d parameters, want at most %d: %w", n, MaxParams, ErrDims)
	}
	return nil
}

// Params returns the number of weights of the model, the sum over
// Tensors of the product of each shape. With dims that pass the range
// checks of Validate it cannot overflow an int64.
func (d Dims) Params() int64 {
	var n int64
	for _, t := range d.Tensors() {
		n += numElems(t.Shape)
	}
	return n
}

// numElems is the product of shape (1 for a scalar).
func numElems(shape []int) int64 {
	n := int64(1)
	for _, s := range shape {
		n *= int64(s)
	}
	return n
}
