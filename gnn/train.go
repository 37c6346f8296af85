package gnn

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/sampling"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TrainConfig configures Train. Zero fields take the documented defaults;
// Validate reports out-of-range values.
type TrainConfig struct {
	Dims artefact.Dims
	// Epochs is the number of passes over the batches (default 10).
	Epochs int
	// LearnRate is Adam's step size (default 0.01).
	LearnRate float64
	// PosWeight multiplies the loss of positive (label 1) rows; 0 (the
	// default) sets it to negatives/positives of the first epoch, capped
	// at 100.
	PosWeight float64
	// L2 is the weight decay passed to Adam (default 0).
	L2 float64
	// Rows is the rows per optimiser step (default 64): each batch is
	// split into chunks of Rows, the last padded (padding rows carry no
	// loss).
	Rows int
	// Seed fixes the Glorot initialisation; the same seed and batches give
	// the same weights, bit for bit.
	Seed uint64
}

func (c *TrainConfig) defaults() {
	if c.Epochs == 0 {
		c.Epochs = 10
	}
	if c.LearnRate == 0 {
		c.LearnRate = 0.01
	}
	if c.Rows == 0 {
		c.Rows = 64
	}
}

// Validate checks the config after defaults; errors wrap ErrConfig.
func (c TrainConfig) Validate() error {
	c.defaults()
	switch {
	case c.Dims.Validate() != nil:
		return fmt.Errorf("%w: %w", ErrConfig, c.Dims.Validate())
	case c.Epochs < 1 || c.Epochs > 100000:
		return fmt.Errorf("%w: epochs %d", ErrConfig, c.Epochs)
	case !(c.LearnRate > 0 && c.LearnRate < 10):
		return fmt.Errorf("%w: learn rate %v", ErrConfig, c.LearnRate)
	case !(c.PosWeight >= 0 && c.PosWeight <= 1e6), !(c.L2 >= 0 && c.L2 < 1):
		return fmt.Errorf("%w: pos weight %v, L2 %v", ErrConfig, c.PosWeight, c.L2)
	case c.Rows < 1 || c.Rows > 4096:
		return fmt.Errorf("%w: rows %d", ErrConfig, c.Rows)
	}
	return nil
}

// TrainReport summarises a training run.
type TrainReport struct {
	Epochs    int
	PosWeight float64
	// Loss is the mean weighted binary cross-entropy per row, per epoch,
	// measured during the epoch (before each step).
	Loss []float64
	// TrainAUC is the ROC AUC of the final weights on the last epoch's
	// batches (NaN with only one class).
	TrainAUC float64
}

// Train fits the hetero-sage-v1 weights for cfg.Dims on the labelled
// batches that batches returns for each epoch (labels[j][i] is 0 or 1 for
// row i of batch j) and returns them by tensor name, ready for New or
// artefact.Write. It stops with ctx's error when ctx is done.
func Train(ctx context.Context, cfg TrainConfig, batches func(epoch int) ([]*sampling.Batch, [][]float32, error)) (map[string][]float32, TrainReport, error) {
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return nil, TrainReport{}, err
	}
	d, n := cfg.Dims, cfg.Rows
	p := pack(d, glorot(d, rand.New(rand.NewPCG(cfg.Seed, 0x6e6e))))

	// Building the graph takes buildMu (Gorgonia's package-level state);
	// running it does not.
	buildMu.Lock()
	g := G.NewGraph()
	in := newInputs(d, n)
	gn, err := buildForward(g, d, p, in)
	if err != nil {
		buildMu.Unlock()
		return nil, TrainReport{}, err
	}
	// Weighted BCE on logits z: c1·softplus(z) − c2·z, with c1 = pw·y+(1−y)
	// and c2 = pw·y, each over the real rows of the chunk.
	c1v, c2v := make([]float32, n), make([]float32, n)
	c1t := tensor.New(tensor.WithShape(n, 1), tensor.WithBacking(c1v))
	c2t := tensor.New(tensor.WithShape(n, 1), tensor.WithBacking(c2v))
	c1 := G.NewMatrix(g, G.Float32, G.WithShape(n, 1), G.WithName("c1"), G.WithValue(c1t))
	c2 := G.NewMatrix(g, G.Float32, G.WithShape(n, 1), G.WithName("c2"), G.WithValue(c2t))
	var lossVal G.Value
	build := func() (*G.Node, error) {
		sp, err := G.Softplus(gn.logit)
		if err != nil {
			return nil, err
		}
		a, err := G.HadamardProd(c1, sp)
		if err != nil {
			return nil, err
		}
		b, err := G.HadamardProd(c2, gn.logit)
		if err != nil {
			return nil, err
		}
		diff, err := G.Sub(a, b)
		if err != nil {
			return nil, err
		}
		return G.Sum(diff)
	}
	loss, err := build()
	if err != nil {
		buildMu.Unlock()
		return nil, TrainReport{}, fmt.Errorf("gnn: building loss: %w", err)
	}
	G.Read(loss, &lossVal)
	if _, err := G.Grad(loss, gn.weights...); err != nil {
		buildMu.Unlock()
		return nil, TrainReport{}, fmt.Errorf("gnn: differentiating: %w", err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(gn.weights...))
	buildMu.Unlock()
	defer vm.Close()
	opts := []G.SolverOpt{G.WithLearnRate(cfg.LearnRate)}
	if cfg.L2 > 0 {
		opts = append(opts, G.WithL2Reg(cfg.L2))
	}
	solver := G.NewAdamSolver(opts...)

	rep := TrainReport{Epochs: cfg.Epochs, PosWeight: cfg.PosWeight}
	var last []*sampling.Batch
	var lastLabels [][]float32
	for epoch := range cfg.Epochs {
		bs, labels, err := batches(epoch)
		if err != nil {
			return nil, rep, fmt.Errorf("gnn: epoch %d batches: %w", epoch, err)
		}
		if len(bs) != len(labels) {
			return nil, rep, fmt.Errorf("%w: %d batches, %d label vectors", ErrBatch, len(bs), len(labels))
		}
		if rep.PosWeight == 0 {
			rep.PosWeight = autoPosWeight(labels)
		}
		pw := float32(rep.PosWeight)
		var sum float64
		var rowsSeen int
		for j, b := range bs {
			if err := checkBatch(d, b); err != nil {
				return nil, rep, err
			}
			if len(labels[j]) != b.B {
				return nil, rep, fmt.Errorf("%w: batch %d has %d rows, %d labels", ErrBatch, j, b.B, len(labels[j]))
			}
			for lo := 0; lo < b.B; lo += n {
				if err := ctx.Err(); err != nil {
					return nil, rep, err
				}
				hi := min(lo+n, b.B)
				if err := fill(d, b, lo, hi, in); err != nil {
					return nil, rep, err
				}
				clear(c1v)
				clear(c2v)
				k := float32(hi - lo)
				for i, y := range labels[j][lo:hi] {
					if y != 0 && y != 1 {
						return nil, rep, fmt.Errorf("%w: label %v, want 0 or 1", ErrBatch, y)
					}
					c1v[i], c2v[i] = (pw*y+1-y)/k, pw*y/k
				}
				if err := vm.RunAll(); err != nil {
					return nil, rep, fmt.Errorf("gnn: training step: %w", err)
				}
				if err := solver.Step(G.NodesToValueGrads(gn.weights)); err != nil {
					return nil, rep, fmt.Errorf("gnn: optimiser step: %w", err)
				}
				sum += float64(lossVal.Data().(float32)) * float64(hi-lo)
				rowsSeen += hi - lo
				vm.Reset()
			}
		}
		rep.Loss = append(rep.Loss, sum/float64(max(rowsSeen, 1)))
		last, lastLabels = bs, labels
	}

	var out packed
	for i, dst := range []*[]float32{&out.w0, &out.w1, &out.nb2, &out.w2, &out.hd} {
		*dst = slices.Clone(gn.weights[i].Value().Data().([]float32))
	}
	w := out.unpack(d)
	if err := CheckWeights(d, w); err != nil {
		return nil, rep, fmt.Errorf("gnn: training diverged: %w", err)
	}
	rep.TrainAUC, err = evalAUC(d, w, last, lastLabels)
	return w, rep, err
}

// glorot draws every weight matrix uniformly in ±sqrt(6/(fan_in+fan_out))
// (Glorot & Bengio 2010), fan_in and fan_out being its last two dims;
// biases start at 0.
func glorot(d artefact.Dims, rng *rand.Rand) map[string][]float32 {
	w := map[string][]float32{}
	for _, s := range d.Tensors() {
		v := make([]float32, numel(s.Shape))
		if len(s.Shape) >= 2 && s.Name != "head.b" {
			fin, fout := s.Shape[len(s.Shape)-2], s.Shape[len(s.Shape)-1]
			a := math.Sqrt(6 / float64(fin+fout))
			for i := range v {
				v[i] = float32((2*rng.Float64() - 1) * a)
			}
		}
		w[s.Name] = v
	}
	return w
}

func autoPosWeight(labels [][]float32) float64 {
	var pos, neg float64
	for _, l := range labels {
		for _, y := range l {
			if y == 1 {
				pos++
			} else {
				neg++
			}
		}
	}
	if pos == 0 || neg == 0 {
		return 1
	}
	return min(neg/pos, 100)
}

func evalAUC(d artefact.Dims, w map[string][]float32, bs []*sampling.Batch, labels [][]float32) (float64, error) {
	m, err := New(artefact.Manifest{FormatVersion: artefact.FormatVersion, Architecture: artefact.ArchHeteroSAGE, Dims: d}, w, WithMaxIdle(1))
	if err != nil {
		return 0, err
	}
	var s, y []float32
	for j, b := range bs {
		out, err := m.Score(b, nil)
		if err != nil {
			return 0, err
		}
		s, y = append(s, out...), append(y, labels[j]...)
	}
	return AUC(s, y), nil
}

// AUC is the area under the ROC curve of scores against 0/1 labels (the
// Mann–Whitney U statistic, ties counted half); NaN if a class is absent.
func AUC(scores, labels []float32) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(scores[a], scores[b]) })
	var pos, neg, rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		mid := float64(i+j+1) / 2 // mean 1-based rank of the tie group
		for _, k := range idx[i:j] {
			if labels[k] == 1 {
				pos++
				rankSum += mid
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}
