package training

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/training/eval"
)

// Defaults of FitConfig.
const (
	DefaultFitEpochs    = 60
	DefaultLearnRate    = 0.003
	DefaultWeightDecay  = 1
	DefaultAverage      = 0.5
	DefaultFitBatchSize = 128
	DefaultPatience     = 10
	DefaultMaxPosWeight = 100
)

// FitConfig configures the training loop. Zero fields take the
// documented defaults.
type FitConfig struct {
	// Epochs is the most passes over the training rows (0 →
	// DefaultFitEpochs, 60; at most 100,000).
	Epochs int `json:"epochs"`
	// LearnRate is Adam's step size (0 → DefaultLearnRate, 0.003).
	LearnRate float64 `json:"learn_rate"`
	// WeightDecay is AdamW's decoupled decay of the weight matrices, not
	// the biases: each step multiplies them by 1 − LearnRate·WeightDecay
	// (0 → DefaultWeightDecay, 1; negative → none). Small data sets want
	// more (3–5 on a few thousand rows), large ones less.
	WeightDecay float64 `json:"weight_decay"`
	// BatchSize is the rows per optimiser step (0 → DefaultFitBatchSize,
	// 128; at most 65,536).
	BatchSize int `json:"batch_size"`
	// PosWeight multiplies the loss of positive rows, the class weighting
	// against imbalance (0 → negatives/positives of the training rows,
	// capped at DefaultMaxPosWeight, 100; negative → 1, unweighted).
	PosWeight float64 `json:"pos_weight"`
	// Patience stops training after this many epochs without a better
	// validation average precision; the weights of the best epoch are
	// kept (0 → DefaultPatience, 10; negative → never stop early).
	Patience int `json:"patience"`
	// ZeroNeighbours starts the neighbour weights (l1.nb0.w, l1.nb1.w,
	// l2.nb.w) at 0: the model starts as a multilayer perceptron on the
	// target's own features and uses the graph only as far as it helps.
	ZeroNeighbours bool `json:"zero_neighbours,omitempty"`
	// NeighbourDecay multiplies WeightDecay for the neighbour weights
	// (l1.nb0.w, l1.nb1.w, l2.nb.w and l1.self1.w): with a large value
	// the graph must earn its place against the target's own features
	// (0 → 1, the same decay).
	NeighbourDecay float64 `json:"neighbour_decay,omitempty"`
	// Average, when in (0, 1), evaluates and keeps an exponential moving
	// average of the weights (Polyak averaging), updated after every step
	// so that it decays by Average per epoch, instead of the raw weights
	// (0 → DefaultAverage, 0.5; negative → off).
	Average float64 `json:"average,omitempty"`
	// Dropout zeroes each input feature of a training row with this
	// probability (scaling the others by 1/(1−Dropout)), a regulariser
	// for small data sets; the mask flags of the neighbour slots are
	// kept. 0 → off; at most 0.9.
	Dropout float64 `json:"dropout,omitempty"`
	// Seed fixes the initialisation and the row order of every epoch:
	// the same seed and data give the same weights, bit for bit.
	Seed uint64 `json:"seed"`
}

func (c FitConfig) withDefaults() FitConfig {
	if c.Epochs == 0 {
		c.Epochs = DefaultFitEpochs
	}
	if c.LearnRate == 0 {
		c.LearnRate = DefaultLearnRate
	}
	switch {
	case c.WeightDecay == 0:
		c.WeightDecay = DefaultWeightDecay
	case c.WeightDecay < 0:
		c.WeightDecay = 0
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultFitBatchSize
	}
	if c.Patience == 0 {
		c.Patience = DefaultPatience
	}
	switch {
	case c.Average == 0:
		c.Average = DefaultAverage
	case c.Average < 0:
		c.Average = 0
	}
	return c
}

// Validate reports the first field out of range, wrapping ErrConfig.
func (c FitConfig) Validate() error {
	d := c.withDefaults()
	switch {
	case d.Epochs < 1 || d.Epochs > 100000:
		return fmt.Errorf("%w: epochs %d: want 1..100000", ErrConfig, c.Epochs)
	case !(d.LearnRate > 0 && d.LearnRate < 10):
		return fmt.Errorf("%w: learn rate %v: want (0, 10)", ErrConfig, c.LearnRate)
	case !(d.WeightDecay*d.LearnRate < 1):
		return fmt.Errorf("%w: weight decay %v × learn rate %v: want < 1", ErrConfig, d.WeightDecay, d.LearnRate)
	case d.BatchSize < 1 || d.BatchSize > 65536:
		return fmt.Errorf("%w: batch size %d: want 1..65536", ErrConfig, c.BatchSize)
	case !(d.NeighbourDecay >= 0 && d.WeightDecay*d.LearnRate*max(d.NeighbourDecay, 1) < 1):
		return fmt.Errorf("%w: neighbour decay %v × weight decay %v × learn rate %v: want < 1", ErrConfig, d.NeighbourDecay, d.WeightDecay, d.LearnRate)
	case !(d.Dropout >= 0 && d.Dropout <= 0.9):
		return fmt.Errorf("%w: dropout %v: want [0, 0.9]", ErrConfig, c.Dropout)
	case !(d.Average >= 0 && d.Average < 1):
		return fmt.Errorf("%w: average %v: want [0, 1)", ErrConfig, c.Average)
	case !(d.PosWeight <= 1e6) || math.IsNaN(d.PosWeight):
		return fmt.Errorf("%w: pos weight %v: want at most 1e6", ErrConfig, c.PosWeight)
	}
	return nil
}

// source is a fixed list of examples the trainer reads as records (see
// sage.go).
type source interface {
	// Len is the number of examples.
	Len() int
	// Label is example i's label, 0 or 1.
	Label(i int) float32
	// Fill writes the records of examples rows into dst (len(rows) ×
	// record length). epoch ≥ 0 is a training pass, whose neighbour
	// samples may differ by epoch; −1 is evaluation, whose samples are
	// fixed. Calls are sequential.
	Fill(ctx context.Context, rows []int, epoch int, dst []float32) error
}

// EpochStats reports one epoch to FitReport and to a progress callback.
type EpochStats struct {
	Epoch int `json:"epoch"`
	// Loss is the mean class-weighted cross-entropy per training row,
	// measured during the epoch (before each step).
	Loss float64 `json:"loss"`
	// ValAP and ValAUC are the validation metrics after the epoch.
	ValAP  float64 `json:"val_ap"`
	ValAUC float64 `json:"val_auc"`
	// Best is the epoch whose weights are kept so far.
	Best int `json:"best"`
	// Rows is the training rows seen; Seconds the epoch's duration.
	Rows    int     `json:"rows"`
	Seconds float64 `json:"seconds"`
}

// FitReport summarises a training run.
type FitReport struct {
	Epochs    []EpochStats `json:"epochs"`
	BestEpoch int          `json:"best_epoch"`
	PosWeight float64      `json:"pos_weight"`
	// Stopped says why training ended: "patience" or "epochs".
	Stopped string `json:"stopped"`

	// valScores are the validation scores of the kept weights (the
	// trainer's forward pass, which TestForwardParity holds to gnn.Model).
	valScores []float32
}

// fit trains hetero-sage-v1 with dims d on train, selecting the epoch by
// the average precision on val, and returns the weights by tensor name.
// dead flags the input columns of X0, X1 and X2 that were constant in
// training (nil: none): their weights start at 0 and stay there. now
// measures the epochs' durations (nil: not measured).
func fit(ctx context.Context, d artefact.Dims, cfg FitConfig, train, val source, dead [3][]bool, now func() float64, progress func(EpochStats)) (map[string][]float32, FitReport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, FitReport{}, err
	}
	cfg = cfg.withDefaults()
	if err := d.Validate(); err != nil {
		return nil, FitReport{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := checkSource("training", train); err != nil {
		return nil, FitReport{}, err
	}
	if err := checkSource("validation", val); err != nil {
		return nil, FitReport{}, err
	}
	if now == nil {
		now = func() float64 { return 0 }
	}
	l := newLayout(d)
	rep := FitReport{PosWeight: cfg.PosWeight}
	if rep.PosWeight == 0 {
		var pos float64
		for i := range train.Len() {
			pos += float64(train.Label(i))
		}
		rep.PosWeight = min((float64(train.Len())-pos)/pos, DefaultMaxPosWeight)
	}
	if rep.PosWeight < 0 {
		rep.PosWeight = 1
	}
	p := l.glorot(rand.New(rand.NewPCG(cfg.Seed, 0x696e6974))) // "init"
	if cfg.ZeroNeighbours {
		blocks := l.tensorBlocks()
		for _, name := range []string{"l1.nb0.w", "l1.nb1.w", "l2.nb.w"} {
			for _, r := range blocks[name] {
				clear(p[r[0]:r[1]])
			}
		}
	}
	l.zeroDead(p, dead)
	avg := p
	if cfg.Average > 0 {
		avg = append([]float32(nil), p...)
	}
	best := append([]float32(nil), p...)
	opt := newAdamW(l, cfg.LearnRate, cfg.WeightDecay, cfg.NeighbourDecay)
	grad := make([]float32, l.size)
	w := newWork(l, cfg.BatchSize)
	recs := make([]float32, cfg.BatchSize*l.rec)
	order := make([]int, train.Len())
	bestAP, since := math.Inf(-1), 0
	valScores := make([]float32, val.Len())
	valLabels := make([]float32, val.Len())
	for i := range valLabels {
		valLabels[i] = val.Label(i)
	}
	pw := float32(rep.PosWeight)
	steps := (train.Len() + cfg.BatchSize - 1) / cfg.BatchSize
	decay := float32(math.Pow(cfg.Average, 1/float64(steps))) // per step
	rep.Stopped = "epochs"
	for epoch := range cfg.Epochs {
		start := now()
		for i := range order {
			order[i] = i
		}
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(epoch)))
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var lossSum float64
		for lo := 0; lo < len(order); lo += cfg.BatchSize {
			if err := ctx.Err(); err != nil {
				return nil, rep, err
			}
			rows := order[lo:min(lo+cfg.BatchSize, len(order))]
			n := len(rows)
			if err := train.Fill(ctx, rows, epoch, recs[:n*l.rec]); err != nil {
				return nil, rep, err
			}
			if cfg.Dropout > 0 {
				dropout(l, recs[:n*l.rec], cfg.Dropout, rng)
			}
			w.forward(p, recs, n)
			for i, row := range rows {
				y, z := train.Label(row), w.logit[i]
				c := float32(1)
				if y == 1 {
					c = pw
					lossSum += float64(pw) * softplus(-float64(z))
				} else {
					lossSum += softplus(float64(z))
				}
				w.dz[i] = c * (float32(sigmoid(z)) - y) / float32(n)
			}
			clear(grad)
			w.backward(p, grad, recs)
			opt.step(p, grad)
			if cfg.Average > 0 {
				for i, v := range p {
					avg[i] = decay*avg[i] + (1-decay)*v
				}
			}
		}
		if err := score(ctx, l, avg, val, w, recs, valScores); err != nil {
			return nil, rep, err
		}
		st := EpochStats{Epoch: epoch, Loss: lossSum / float64(len(order)), Rows: len(order),
			ValAP: eval.AveragePrecision(valScores, valLabels), ValAUC: eval.AUC(valScores, valLabels)}
		if math.IsNaN(st.Loss) || math.IsInf(st.Loss, 0) {
			return nil, rep, fmt.Errorf("training: epoch %d: the loss diverged (%v): lower the learn rate", epoch, st.Loss)
		}
		if st.ValAP > bestAP {
			bestAP, since, rep.BestEpoch = st.ValAP, 0, epoch
			copy(best, avg)
			rep.valScores = append(rep.valScores[:0], valScores...)
		} else {
			since++
		}
		st.Best, st.Seconds = rep.BestEpoch, now()-start
		rep.Epochs = append(rep.Epochs, st)
		if progress != nil {
			progress(st)
		}
		if cfg.Patience > 0 && since >= cfg.Patience {
			rep.Stopped = "patience"
			break
		}
	}
	return l.unpack(best), rep, nil
}

func checkSource(name string, s source) error {
	var pos int
	for i := range s.Len() {
		pos += int(s.Label(i))
	}
	if pos == 0 || pos == s.Len() {
		return fmt.Errorf("%w: the %s split has %d rows, %d positive: it needs both classes", ErrNoData, name, s.Len(), pos)
	}
	return nil
}

// score writes the scores of every example of s (evaluation sampling)
// into out, with the trainer's own forward pass.
func score(ctx context.Context, l *layout, p []float32, s source, w *work, recs []float32, out []float32) error {
	bs := len(recs) / l.rec
	rows := make([]int, 0, bs)
	for lo := 0; lo < s.Len(); lo += bs {
		rows = rows[:0]
		for i := lo; i < min(lo+bs, s.Len()); i++ {
			rows = append(rows, i)
		}
		if err := s.Fill(ctx, rows, -1, recs[:len(rows)*l.rec]); err != nil {
			return err
		}
		w.forward(p, recs, len(rows))
		for i := range rows {
			out[lo+i] = float32(sigmoid(w.logit[i]))
		}
	}
	return nil
}

// dropout zeroes each feature of the records with probability q and
// scales the others by 1/(1−q), leaving the slots' mask flags alone.
func dropout(l *layout, recs []float32, q float64, rng *rand.Rand) {
	keep := float32(1 / (1 - q))
	d := l.d
	for i := range recs {
		off := i % l.rec
		if off >= d.F0 && (off-d.F0)%l.slot == 0 {
			continue // a mask flag
		}
		if rng.Float64() < q {
			recs[i] = 0
		} else {
			recs[i] *= keep
		}
	}
}

// adamW is Adam (Kingma & Ba 2015) with decoupled weight decay
// (Loshchilov & Hutter 2019) on the weight matrices.
type adamW struct {
	lr     float64
	decay  []float32 // per parameter: 1 − lr·decay
	m, v   []float32
	t      int
	b1, b2 float64
	eps    float64
}

// newAdamW decays the weights by wd and the neighbour weights by wd·nb
// (nb 0 meaning 1).
func newAdamW(l *layout, lr, wd, nb float64) *adamW {
	if nb == 0 {
		nb = 1
	}
	a := &adamW{lr: lr, decay: make([]float32, l.size), m: make([]float32, l.size), v: make([]float32, l.size), b1: 0.9, b2: 0.999, eps: 1e-8}
	for i, w := range l.weight {
		a.decay[i] = 1
		if w {
			a.decay[i] = float32(1 - lr*wd)
		}
	}
	blocks := l.tensorBlocks()
	for _, name := range []string{"l1.nb0.w", "l1.nb1.w", "l2.nb.w", "l1.self1.w"} {
		for _, r := range blocks[name] {
			for i := r[0]; i < r[1]; i++ {
				a.decay[i] = float32(1 - lr*wd*nb)
			}
		}
	}
	return a
}

func (a *adamW) step(p, g []float32) {
	a.t++
	c1 := 1 - math.Pow(a.b1, float64(a.t))
	c2 := 1 - math.Pow(a.b2, float64(a.t))
	lr := float32(a.lr * math.Sqrt(c2) / c1)
	b1, b2 := float32(a.b1), float32(a.b2)
	eps := float32(a.eps * math.Sqrt(c2))
	for i, gi := range g {
		a.m[i] = b1*a.m[i] + (1-b1)*gi
		a.v[i] = b2*a.v[i] + (1-b2)*gi*gi
		p[i] *= a.decay[i]
		p[i] -= lr * a.m[i] / (float32(math.Sqrt(float64(a.v[i]))) + eps)
	}
}
