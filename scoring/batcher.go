package scoring

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riskgraph/riskgraph/sampling"
)

// Errors of the batcher.
var (
	// ErrDeadline: the request's deadline passed (or would pass) before the
	// model could score it; decide from rules alone.
	ErrDeadline = errors.New("scoring: model deadline")
	// ErrNoModel: no model is installed.
	ErrNoModel = errors.New("scoring: no model")
	// ErrClosed: the batcher is closed.
	ErrClosed = errors.New("scoring: batcher closed")
	// ErrConfig: an invalid configuration.
	ErrConfig = errors.New("scoring: invalid config")
)

// Model scores batches; *gnn.Model is one. Score must be safe for
// concurrent use and must score each row independently of the others.
type Model interface {
	Score(b *sampling.Batch, out []float32) ([]float32, error)
}

// BatcherConfig configures a Batcher.
type BatcherConfig struct {
	// MaxBatch is the most rows scored in one forward (default 64).
	MaxBatch int
	// Window is how long a worker waits for more requests to join its
	// batch once load makes them queue (default 200µs): latency traded for
	// throughput. A worker always takes what is already queued; it waits
	// the window only when its batch or its previous one held more than
	// one request, so a lone request at low load pays no wait.
	Window time.Duration
	// Workers run forwards in parallel (default GOMAXPROCS).
	Workers int
	// Queue bounds the waiting requests (default 4096); when it is full,
	// Score fails fast with ErrOverload rather than queue without bound.
	Queue int
}

// ErrOverload: the queue is full.
var ErrOverload = errors.New("scoring: overloaded")

// Validate reports the first invalid field.
func (c BatcherConfig) Validate() error {
	switch {
	case c.MaxBatch < 0 || c.MaxBatch > 4096:
		return fmt.Errorf("%w: MaxBatch %d: want 0..4096", ErrConfig, c.MaxBatch)
	case c.Window < 0:
		return fmt.Errorf("%w: Window %v < 0", ErrConfig, c.Window)
	case c.Workers < 0 || c.Queue < 0:
		return fmt.Errorf("%w: Workers %d and Queue %d must be >= 0", ErrConfig, c.Workers, c.Queue)
	}
	return nil
}

func (c BatcherConfig) withDefaults() BatcherConfig {
	if c.MaxBatch == 0 {
		c.MaxBatch = 64
	}
	if c.Window == 0 {
		c.Window = 200 * time.Microsecond
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.Queue == 0 {
		c.Queue = 4096
	}
	return c
}

// Batcher scores single-row batches from many goroutines by gathering
// them into model forwards of up to MaxBatch rows: one forward of 64 rows
// costs far less than 64 of one. The model can be swapped at any time
// without a pause; requests in flight finish on the model they started on.
type Batcher struct {
	cfg   BatcherConfig
	model atomic.Pointer[modelBox]
	reqs  chan *request
	stop  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once

	forwards, rows, expired atomic.Int64
}

type modelBox struct{ m Model }

type request struct {
	row      *sampling.Batch
	deadline time.Time // zero: none
	done     chan result
}

type result struct {
	score float32
	err   error
}

// NewBatcher starts a Batcher's workers. m may be nil (SetModel later).
func NewBatcher(m Model, cfg BatcherConfig) (*Batcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	b := &Batcher{cfg: cfg, reqs: make(chan *request, cfg.Queue), stop: make(chan struct{})}
	if m != nil {
		b.model.Store(&modelBox{m})
	}
	for range cfg.Workers {
		b.wg.Add(1)
		go b.work()
	}
	return b, nil
}

// SetModel installs m for every forward that starts from now on.
func (b *Batcher) SetModel(m Model) { b.model.Store(&modelBox{m}) }

// BatcherStats are counters since the Batcher started.
type BatcherStats struct {
	Forwards, Rows, Expired int64
}

// Stats returns the counters; Rows/Forwards is the mean batch size.
func (b *Batcher) Stats() BatcherStats {
	return BatcherStats{Forwards: b.forwards.Load(), Rows: b.rows.Load(), Expired: b.expired.Load()}
}

// Score scores row (a Batch with B = 1; it must stay unchanged until Score
// returns). It returns ErrDeadline when ctx's deadline passes first — at
// once if the request is still queued — so the caller can fall back to
// rules within its own deadline.
func (b *Batcher) Score(ctx context.Context, row *sampling.Batch) (float32, error) {
	if row.B != 1 {
		return 0, fmt.Errorf("%w: a request carries one row, not %d", ErrConfig, row.B)
	}
	r := &request{row: row, done: make(chan result, 1)}
	r.deadline, _ = ctx.Deadline()
	select {
	case <-b.stop:
		return 0, ErrClosed
	default:
	}
	select {
	case b.reqs <- r:
	default:
		return 0, ErrOverload
	}
	select {
	case res := <-r.done:
		return res.score, res.err
	case <-ctx.Done():
		return 0, fmt.Errorf("%w: %w", ErrDeadline, ctx.Err())
	}
}

// Close stops the workers after the queued requests are answered.
func (b *Batcher) Close() {
	b.once.Do(func() { close(b.stop) })
	b.wg.Wait()
}

func (b *Batcher) work() {
	defer b.wg.Done()
	batch := make([]*request, 0, b.cfg.MaxBatch)
	var buf sampling.Batch
	var out []float32
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	last := 0 // size of the previous batch
	for {
		batch = batch[:0]
		select {
		case r := <-b.reqs:
			batch = append(batch, r)
		case <-b.stop:
			b.drain()
			return
		}
		// Gather: take what is queued at once, then (with a Window) wait
		// for more while the batch is not full.
	queued:
		for len(batch) < b.cfg.MaxBatch {
			select {
			case r := <-b.reqs:
				batch = append(batch, r)
			default:
				break queued
			}
		}
		busy := len(batch) > 1 || last > 1
		last = len(batch)
		if busy && len(batch) < b.cfg.MaxBatch {
			timer.Reset(b.cfg.Window)
		gather:
			for len(batch) < b.cfg.MaxBatch {
				select {
				case r := <-b.reqs:
					batch = append(batch, r)
				case <-timer.C:
					break gather
				}
			}
			timer.Stop()
		}
		out = b.forward(batch, &buf, out)
	}
}

// forward drops expired requests, scores the rest in one forward and
// answers every request of the batch.
func (b *Batcher) forward(batch []*request, buf *sampling.Batch, out []float32) []float32 {
	now := time.Now()
	live := batch[:0]
	for _, r := range batch {
		if !r.deadline.IsZero() && now.After(r.deadline) {
			b.expired.Add(1)
			r.done <- result{err: ErrDeadline}
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return out
	}
	box := b.model.Load()
	if box == nil {
		for _, r := range live {
			r.done <- result{err: ErrNoModel}
		}
		return out
	}
	rows := make([]*sampling.Batch, len(live))
	for i, r := range live {
		rows[i] = r.row
	}
	err := concat(buf, rows)
	if err == nil {
		out, err = box.m.Score(buf, out)
	}
	b.forwards.Add(1)
	b.rows.Add(int64(len(live)))
	for i, r := range live {
		if err != nil {
			r.done <- result{err: err}
			continue
		}
		r.done <- result{score: out[i]}
	}
	return out
}

// drain answers whatever is still queued at Close.
func (b *Batcher) drain() {
	for {
		select {
		case r := <-b.reqs:
			r.done <- result{err: ErrClosed}
		default:
			return
		}
	}
}

// concat lays rows (each with B = 1 and the same dims) out as one batch in
// dst, reusing dst's arrays: the sampling.Batch layout puts B second in X1,
// M1, X2 and M2, so each relation's block is copied row by row.
func concat(dst *sampling.Batch, rows []*sampling.Batch) error {
	f := rows[0]
	n := len(rows)
	*dst = sampling.Batch{B: n, F0: f.F0, F1: f.F1, F2: f.F2, R1: f.R1, R2: f.R2, K1: f.K1, K2: f.K2,
		X0: dst.X0[:0], X1: dst.X1[:0], M1: dst.M1[:0], X2: dst.X2[:0], M2: dst.M2[:0]}
	s1, m1 := f.K1*f.F1, f.K1
	s2, m2 := f.K1*f.R2*f.K2*f.F2, f.K1*f.R2*f.K2
	dst.X0 = grow(dst.X0, n*f.F0)
	dst.X1, dst.M1 = grow(dst.X1, f.R1*n*s1), grow(dst.M1, f.R1*n*m1)
	dst.X2, dst.M2 = grow(dst.X2, f.R1*n*s2), grow(dst.M2, f.R1*n*m2)
	for b, r := range rows {
		if r.F0 != f.F0 || r.F1 != f.F1 || r.F2 != f.F2 || r.R1 != f.R1 || r.R2 != f.R2 || r.K1 != f.K1 || r.K2 != f.K2 {
			return fmt.Errorf("%w: row %d has other dims than row 0", ErrConfig, b)
		}
		copy(dst.X0[b*f.F0:], r.X0[:f.F0])
		for rel := range f.R1 {
			copy(dst.X1[(rel*n+b)*s1:], r.X1[rel*s1:(rel+1)*s1])
			copy(dst.M1[(rel*n+b)*m1:], r.M1[rel*m1:(rel+1)*m1])
			copy(dst.X2[(rel*n+b)*s2:], r.X2[rel*s2:(rel+1)*s2])
			copy(dst.M2[(rel*n+b)*m2:], r.M2[rel*m2:(rel+1)*m2])
		}
	}
	return nil
}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}
