package gnn

import (
	"fmt"
	"sync"

	"github.com/riskgraph/riskgraph/gnn/artefact"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// inputs are the per-batch values fed to a graph, computed in plain Go by
// fill. With n rows (a bucket):
//
//	z0 [n, D0]         x0 | a1[0] | … | a1[R1-1] | 1
//	z1 [R1, n·K1, D1]  x1[r] | a2[r][0] | … | a2[r][R2-1] | 1
//	w1 [R1, n·K1, H]   M1[r,b,k] / max(1, Σ_k M1[r,b,k]), the masked-mean
//	                   weight, repeated H times so g needs no broadcast
//
// The slices are the tensors' backings, kept so that fill and the native
// kernel reach them without Dense.Data (which allocates on every call).
type inputs struct {
	n                      int
	z0, z1, w1             *tensor.Dense
	z0Data, z1Data, w1Data []float32
}

func newInputs(d artefact.Dims, n int) inputs {
	d0, d1 := inDims(d)
	in := inputs{
		n:      n,
		z0Data: make([]float32, n*d0),
		z1Data: make([]float32, d.R1*n*d.K1*d1),
		w1Data: make([]float32, d.R1*n*d.K1*d.H),
	}
	in.z0 = tensor.New(tensor.WithShape(n, d0), tensor.WithBacking(in.z0Data))
	in.z1 = tensor.New(tensor.WithShape(d.R1, n*d.K1, d1), tensor.WithBacking(in.z1Data))
	in.w1 = tensor.New(tensor.WithShape(d.R1, n*d.K1, d.H), tensor.WithBacking(in.w1Data))
	return in
}

// graphNodes are the nodes of one forward graph.
type graphNodes struct {
	z0, z1, w1 *G.Node // inputs
	logit      *G.Node // [n, 1] pre-sigmoid
	// learnable weights in packed order: w0, w1, nb2, w2, hd
	weights G.Nodes
}

// buildForward adds the forward pass for n rows to g. With p.ext (the
// inference form) biases ride on constant-one columns and there is no
// broadcast; otherwise (training) layer 2 and the head get their bias
// through a concatenated ones column, so every weight stays learnable.
//
// Op count, inference: 2 (layer-1 target) + 2 (layer-1 hop-1) + 1 or 4
// (masked mean g; 1 when K1 = 1) + 2 (Σ_r g[r]·l2.nb.w[r]) + 3 (layer 2)
// + 2 (head and sigmoid) = 12 or 15.
func buildForward(g *G.ExprGraph, d artefact.Dims, p packed, in inputs) (graphNodes, error) {
	n := in.n
	d0, d1 := inDims(d)
	H, R1, K1 := d.H, d.R1, d.K1
	wide := H
	if p.ext {
		wide = H + 1
	}
	var gn graphNodes
	gn.z0 = G.NewMatrix(g, G.Float32, G.WithShape(n, d0), G.WithName("z0"), G.WithValue(in.z0))
	gn.z1 = G.NewTensor(g, G.Float32, 3, G.WithShape(R1, n*K1, d1), G.WithName("z1"), G.WithValue(in.z1))
	gn.w1 = G.NewTensor(g, G.Float32, 3, G.WithShape(R1, n*K1, H), G.WithName("w1"), G.WithValue(in.w1))

	weight := func(name string, data []float32, shape ...int) *G.Node {
		// A Dense header per graph over the shared, read-only backing.
		t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
		var nd *G.Node
		if len(shape) == 2 {
			nd = G.NewMatrix(g, G.Float32, G.WithShape(shape...), G.WithName(name), G.WithValue(t))
		} else {
			nd = G.NewTensor(g, G.Float32, len(shape), G.WithShape(shape...), G.WithName(name), G.WithValue(t))
		}
		gn.weights = append(gn.weights, nd)
		return nd
	}
	w0 := weight("W0", p.w0, d0, wide)
	w1 := weight("W1", p.w1, R1, d1, H)
	nb2 := weight("NB2", p.nb2, R1, H, wide)
	w2 := weight("W2", p.w2, H+1, wide)
	hd := weight("HD", p.hd, H+1, 1)

	var err error
	must := func(nd *G.Node, e error) *G.Node {
		if err == nil && e != nil {
			err = e
		}
		return nd
	}
	// Layer 1, target: h0 = relu(z0·W0) [n, wide].
	h0 := must(G.Rectify(must(G.Mul(gn.z0, w0))))
	// Layer 1, hop-1 nodes of every relation at once: [R1, n·K1, H].
	h1 := must(G.Rectify(must(G.BatchedMatMul(gn.z1, w1))))
	if err != nil {
		return gn, err
	}
	// g = masked mean over K1: weight each hop-1 row, then sum its K1
	// slots: [R1, n, H]. (A BatchedMatMul of [R1·n,1,K1]×[R1·n,K1,H] is
	// the textbook form, but Gorgonia loops over its R1·n tiny batch
	// elements with a slice and a gemm each: 10× slower at n = 64.)
	gr := must(G.HadamardProd(h1, gn.w1))
	if K1 > 1 {
		// Sum over axis 2 of [R1,n,K1,H] gives wrong sums in Gorgonia
		// v0.9.18 / tensor v0.9.23; axis 1 of a 3-tensor is right.
		gr = must(G.Sum(must(G.Reshape(gr, tensor.Shape{R1 * n, K1, H})), 1))
		gr = must(G.Reshape(gr, tensor.Shape{R1, n, H}))
	}
	// Σ_r g[r]·l2.nb.w[r]: [R1, n, wide] summed over relations.
	nbs := must(G.BatchedMatMul(gr, nb2))
	nb := must(G.Sum(nbs, 0))
	if err != nil {
		return gn, err
	}
	if !p.ext {
		h0 = must(G.Concat(1, h0, ones(g, n, "ones0")))
	}
	h2 := must(G.Rectify(must(G.Add(must(G.Mul(h0, w2)), nb))))
	if !p.ext {
		h2 = must(G.Concat(1, h2, ones(g, n, "ones2")))
	}
	gn.logit = must(G.Mul(h2, hd))
	if err != nil {
		return gn, fmt.Errorf("gnn: building graph for %d rows: %w", n, err)
	}
	return gn, nil
}

func ones(g *G.ExprGraph, n int, name string) *G.Node {
	b := make([]float32, n)
	for i := range b {
		b[i] = 1
	}
	return G.NewMatrix(g, G.Float32, G.WithShape(n, 1), G.WithName(name),
		G.WithValue(tensor.New(tensor.WithShape(n, 1), tensor.WithBacking(b))))
}

// program is a compiled inference graph for one bucket, with its input
// buffers. Not safe for concurrent use.
type program struct {
	in    inputs
	gn    graphNodes
	score *G.Node
	vm    G.VM
}

// buildMu serialises building Gorgonia expression graphs. Gorgonia keeps
// package-level state that graph construction mutates without locks (op
// groups in internal/encoding, node hash codes), so two goroutines building
// programs — for one model or for two, as during a hot swap — race. It
// guards Gorgonia's state, not ours; running built programs needs no lock.
var buildMu sync.Mutex

func newProgram(d artefact.Dims, p packed, n int) (*program, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	g := G.NewGraph()
	in := newInputs(d, n)
	gn, err := buildForward(g, d, p, in)
	if err != nil {
		return nil, err
	}
	score, err := G.Sigmoid(gn.logit)
	if err != nil {
		return nil, fmt.Errorf("gnn: building graph for %d rows: %w", n, err)
	}
	pr := &program{in: in, gn: gn, score: score}
	pr.vm = G.NewTapeMachine(g)
	return pr, nil
}

func (pr *program) inputs() inputs { return pr.in }

// run binds the program's input buffers (already filled) and runs the
// graph; the returned slice is the program's own output buffer (scores, or
// the pre-sigmoid logits when logits is set), valid until the next run.
func (pr *program) run(logits bool) ([]float32, error) {
	for _, b := range [...]struct {
		n *G.Node
		v *tensor.Dense
	}{{pr.gn.z0, pr.in.z0}, {pr.gn.z1, pr.in.z1}, {pr.gn.w1, pr.in.w1}} {
		if err := G.Let(b.n, b.v); err != nil {
			return nil, fmt.Errorf("gnn: binding input: %w", err)
		}
	}
	defer pr.vm.Reset()
	if err := pr.vm.RunAll(); err != nil {
		return nil, fmt.Errorf("gnn: forward: %w", err)
	}
	if logits {
		return pr.gn.logit.Value().Data().([]float32), nil
	}
	return pr.score.Value().Data().([]float32), nil
}
