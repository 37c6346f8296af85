package gnn

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"

	"github.com/riskgraph/riskgraph/gnn/artefact"
)

// Sentinel errors. Every error returned by this package wraps one of them.
var (
	// ErrArchitecture: the manifest names another architecture or format
	// version, or its dims are out of bounds.
	ErrArchitecture = errors.New("gnn: unsupported architecture")
	// ErrWeights: a tensor is missing, unknown, misshapen or not finite.
	ErrWeights = errors.New("gnn: invalid weights")
	// ErrBatch: a batch does not match the model's dims or is malformed
	// (array lengths, a mask value other than 0 or 1, a row out of range).
	ErrBatch = errors.New("gnn: invalid batch")
	// ErrConfig: an Option or TrainConfig value is out of range.
	ErrConfig = errors.New("gnn: invalid configuration")
)

// ShapeError is a tensor or batch array whose shape is not the expected
// one. It wraps ErrWeights (a weight tensor) or ErrBatch (a batch array).
type ShapeError struct {
	Name      string // tensor name, or the batch array ("X1")
	Want, Got []int
	kind      error
}

func (e *ShapeError) Error() string {
	return fmt.Sprintf("%v: %s has shape %v, want %v", e.kind, e.Name, e.Got, e.Want)
}

// Unwrap returns ErrWeights or ErrBatch.
func (e *ShapeError) Unwrap() error { return e.kind }

// DefaultBuckets are the batch sizes a Model compiles graphs for.
var DefaultBuckets = []int{1, 2, 4, 8, 16, 32, 64}

// Option configures a Model. Options validate their argument and New
// returns their error, wrapping ErrConfig.
type Option func(*options) error

type options struct {
	buckets []int
	maxIdle int
	hop2    bool
	engine  Engine
}

// Engine is what runs a Model's forward pass.
type Engine uint8

const (
	// EngineNative (the default) multiplies the packed weights with
	// gonum's BLAS directly, allocating nothing per batch. New checks it
	// against EngineGorgonia on a probe batch before returning.
	EngineNative Engine = iota
	// EngineGorgonia runs a compiled Gorgonia expression graph on a tape
	// machine: the reference form of the forward pass.
	EngineGorgonia
)

func (e Engine) String() string {
	switch e {
	case EngineNative:
		return "native"
	case EngineGorgonia:
		return "gorgonia"
	}
	return fmt.Sprintf("Engine(%d)", uint8(e))
}

// ParseEngine returns the Engine named s ("native" or "gorgonia").
func ParseEngine(s string) (Engine, error) {
	for _, e := range []Engine{EngineNative, EngineGorgonia} {
		if e.String() == s {
			return e, nil
		}
	}
	return 0, fmt.Errorf("%w: engine %q: want native or gorgonia", ErrConfig, s)
}

// MarshalText returns the engine's name.
func (e Engine) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// UnmarshalText sets e from a name ParseEngine accepts.
func (e *Engine) UnmarshalText(b []byte) error {
	v, err := ParseEngine(string(b))
	if err == nil {
		*e = v
	}
	return err
}

// WithEngine sets what runs the forward pass (default EngineNative).
func WithEngine(e Engine) Option {
	return func(o *options) error {
		if e != EngineNative && e != EngineGorgonia {
			return fmt.Errorf("%w: %v", ErrConfig, e)
		}
		o.engine = e
		return nil
	}
}

// WithBuckets sets the batch sizes graphs are compiled for (default
// DefaultBuckets). Sizes must be positive and at most 4096; a batch is
// padded up to the smallest bucket that holds it and one larger than the
// largest is scored in chunks of the largest.
func WithBuckets(sizes ...int) Option {
	return func(o *options) error {
		if len(sizes) == 0 {
			return fmt.Errorf("%w: no buckets", ErrConfig)
		}
		s := slices.Clone(sizes)
		slices.Sort(s)
		s = slices.Compact(s)
		if s[0] < 1 || s[len(s)-1] > 4096 {
			return fmt.Errorf("%w: bucket sizes %v: want 1..4096", ErrConfig, sizes)
		}
		o.buckets = s
		return nil
	}
}

// WithMaxIdle bounds the compiled programs kept per bucket (default
// GOMAXPROCS). More concurrent scorers than that build throwaway programs.
func WithMaxIdle(n int) Option {
	return func(o *options) error {
		if n < 1 || n > 1024 {
			return fmt.Errorf("%w: max idle %d: want 1..1024", ErrConfig, n)
		}
		o.maxIdle = n
		return nil
	}
}

// WithHop2Occlusion makes Explain also occlude each present hop-2
// neighbour (default false: hop-1 neighbours and features only).
func WithHop2Occlusion(on bool) Option {
	return func(o *options) error { o.hop2 = on; return nil }
}

// Model scores batches with one set of weights. It is safe for concurrent
// use; its weights are never modified.
type Model struct {
	man  artefact.Manifest
	d    artefact.Dims
	p    packed // inference form (extended with the bias-carrying column)
	opts options
	// pools[i] holds idle forwarders for opts.buckets[i].
	pools []chan forwarder
}

// New checks the manifest and the weights against m.Dims.Tensors() and
// returns a Model. w maps tensor names to row-major float32 data; the
// Model copies what it needs and keeps no reference to w. Graphs are
// compiled lazily, on the first batch of each bucket.
func New(m artefact.Manifest, w map[string][]float32, opts ...Option) (*Model, error) {
	o := options{buckets: DefaultBuckets, maxIdle: runtime.GOMAXPROCS(0)}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if err := checkManifest(m); err != nil {
		return nil, err
	}
	if err := CheckWeights(m.Dims, w); err != nil {
		return nil, err
	}
	md := &Model{man: m, d: m.Dims, p: pack(m.Dims, w).extend(m.Dims), opts: o}
	md.pools = make([]chan forwarder, len(o.buckets))
	for i := range md.pools {
		md.pools[i] = make(chan forwarder, o.maxIdle)
	}
	if o.engine == EngineNative {
		if err := md.crossCheck(); err != nil {
			return nil, err
		}
	}
	return md, nil
}

func checkManifest(m artefact.Manifest) error {
	if m.Architecture != artefact.ArchHeteroSAGE {
		return fmt.Errorf("%w: %q, want %q", ErrArchitecture, m.Architecture, artefact.ArchHeteroSAGE)
	}
	if m.FormatVersion != artefact.FormatVersion {
		return fmt.Errorf("%w: format version %d, want %d", ErrArchitecture, m.FormatVersion, artefact.FormatVersion)
	}
	if err := m.Dims.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrArchitecture, err)
	}
	return nil
}

// CheckWeights reports whether w holds exactly the tensors of d.Tensors(),
// each of the right length and finite. A wrong length is a *ShapeError.
func CheckWeights(d artefact.Dims, w map[string][]float32) error {
	specs := d.Tensors()
	for _, s := range specs {
		v, ok := w[s.Name]
		if !ok {
			return fmt.Errorf("%w: missing tensor %s", ErrWeights, s.Name)
		}
		if n := numel(s.Shape); len(v) != n {
			return &ShapeError{Name: s.Name, Want: s.Shape, Got: []int{len(v)}, kind: ErrWeights}
		}
		for i, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return fmt.Errorf("%w: %s[%d] = %v", ErrWeights, s.Name, i, x)
			}
		}
	}
	if len(w) != len(specs) {
		for name := range w {
			if !slices.ContainsFunc(specs, func(s artefact.TensorSpec) bool { return s.Name == name }) {
				return fmt.Errorf("%w: unknown tensor %s", ErrWeights, name)
			}
		}
	}
	return nil
}

// Manifest returns the manifest the Model was built with.
func (md *Model) Manifest() artefact.Manifest { return md.man }

func numel(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

// packed holds the weights stacked for the graph. With D0 = F0+R1·F1+1
// and D1 = F1+R2·F2+1 (the trailing 1 is a constant-one input column that
// carries the bias):
//
//	w0  [D0, H]       rows l1.self0.w, l1.nb0.w[0..R1), l1.self0.b
//	w1  [R1, D1, H]   rows l1.self1.w[r], l1.nb1.w[r,0..R2), l1.self1.b[r]
//	nb2 [R1, H, H]    l2.nb.w
//	w2  [H+1, H]      rows l2.self.w, l2.self.b
//	hd  [H+1, 1]      rows head.w, head.b
//
// extend adds one output column to w0, nb2 and w2 (H+1 wide) that is the
// constant 1 after layer 1 and layer 2, so that inference needs no bias
// broadcast at all: w0's extra column is 1 on the bias row only, nb2's is
// 0, w2's is 1 on the bias row only; relu(1) = 1.
type packed struct {
	w0, w1, nb2, w2, hd []float32
	ext                 bool
}

func inDims(d artefact.Dims) (d0, d1 int) {
	return d.F0 + d.R1*d.F1 + 1, d.F1 + d.R2*d.F2 + 1
}

func pack(d artefact.Dims, w map[string][]float32) packed {
	d0, d1 := inDims(d)
	H := d.H
	var p packed
	p.w0 = make([]float32, 0, d0*H)
	p.w0 = append(p.w0, w["l1.self0.w"]...)
	p.w0 = append(p.w0, w["l1.nb0.w"]...)
	p.w0 = append(p.w0, w["l1.self0.b"]...)
	p.w1 = make([]float32, 0, d.R1*d1*H)
	for r := range d.R1 {
		p.w1 = append(p.w1, w["l1.self1.w"][r*d.F1*H:(r+1)*d.F1*H]...)
		p.w1 = append(p.w1, w["l1.nb1.w"][r*d.R2*d.F2*H:(r+1)*d.R2*d.F2*H]...)
		p.w1 = append(p.w1, w["l1.self1.b"][r*H:(r+1)*H]...)
	}
	p.nb2 = slices.Clone(w["l2.nb.w"])
	p.w2 = append(slices.Clone(w["l2.self.w"]), w["l2.self.b"]...)
	p.hd = append(slices.Clone(w["head.w"]), w["head.b"]...)
	return p
}

// unpack is the inverse of pack.
func (p packed) unpack(d artefact.Dims) map[string][]float32 {
	if p.ext {
		panic("gnn: unpack of extended weights")
	}
	_, d1 := inDims(d)
	H, F0, F1, F2, R1, R2 := d.H, d.F0, d.F1, d.F2, d.R1, d.R2
	w := map[string][]float32{
		"l1.self0.w": slices.Clone(p.w0[:F0*H]),
		"l1.nb0.w":   slices.Clone(p.w0[F0*H : (F0+R1*F1)*H]),
		"l1.self0.b": slices.Clone(p.w0[(F0+R1*F1)*H:]),
		"l2.nb.w":    slices.Clone(p.nb2),
		"l2.self.w":  slices.Clone(p.w2[:H*H]),
		"l2.self.b":  slices.Clone(p.w2[H*H:]),
		"head.w":     slices.Clone(p.hd[:H]),
		"head.b":     slices.Clone(p.hd[H:]),
	}
	var s1, n1, b1 []float32
	for r := range R1 {
		blk := p.w1[r*d1*H : (r+1)*d1*H]
		s1 = append(s1, blk[:F1*H]...)
		n1 = append(n1, blk[F1*H:(F1+R2*F2)*H]...)
		b1 = append(b1, blk[(F1+R2*F2)*H:]...)
	}
	w["l1.self1.w"], w["l1.nb1.w"], w["l1.self1.b"] = s1, n1, b1
	return w
}

// extend returns the inference form of p (see packed).
func (p packed) extend(d artefact.Dims) packed {
	d0, _ := inDims(d)
	H := d.H
	widen := func(src []float32, rows int, last func(row int) float32) []float32 {
		out := make([]float32, 0, rows*(H+1))
		for i := range rows {
			out = append(out, src[i*H:(i+1)*H]...)
			out = append(out, last(i))
		}
		return out
	}
	return packed{
		w0:  widen(p.w0, d0, func(i int) float32 { return b2f(i == d0-1) }),
		w1:  p.w1,
		nb2: widen(p.nb2, d.R1*H, func(int) float32 { return 0 }),
		w2:  widen(p.w2, H+1, func(i int) float32 { return b2f(i == H) }),
		hd:  p.hd,
		ext: true,
	}
}

func b2f(b bool) float32 {
	if b {
		return 1
	}
	return 0
}
