package scoring_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/gnn"
	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/sampling"
	"github.com/riskgraph/riskgraph/scoring"
)

var dims = artefact.Dims{F0: 3, F1: 2, F2: 3, R1: 2, R2: 1, K1: 1, K2: 2, H: 4}

func model(t testing.TB, seed uint64) *gnn.Model {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed))
	w := map[string][]float32{}
	for _, ts := range dims.Tensors() {
		n := 1
		for _, s := range ts.Shape {
			n *= s
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		w[ts.Name] = v
	}
	stat := func(n int) []artefact.FeatureStat {
		out := make([]artefact.FeatureStat, n)
		for i := range out {
			out[i] = artefact.FeatureStat{Name: string(rune('a' + i)), Std: 1}
		}
		return out
	}
	m := artefact.Manifest{FormatVersion: 1, Architecture: artefact.ArchHeteroSAGE, ID: "t", Target: "Transaction", Dims: dims,
		Relations1: []string{"BY", "AT"}, Relations2: []string{"REVERSE"},
		Features: artefact.FeatureSpec{Version: "v1", Target: stat(3), Hop1: stat(2), Hop2: stat(3)}}
	md, err := gnn.New(m, w)
	if err != nil {
		t.Fatal(err)
	}
	return md
}

// row returns a random one-row batch with some padded neighbours.
func row(r *rand.Rand) *sampling.Batch {
	d := dims
	b := &sampling.Batch{B: 1, F0: d.F0, F1: d.F1, F2: d.F2, R1: d.R1, R2: d.R2, K1: d.K1, K2: d.K2}
	fill := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	mask := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			if r.IntN(4) > 0 {
				v[i] = 1
			}
		}
		return v
	}
	b.X0 = fill(d.F0)
	b.X1, b.M1 = fill(d.R1*d.K1*d.F1), mask(d.R1*d.K1)
	b.X2, b.M2 = fill(d.R1*d.K1*d.R2*d.K2*d.F2), mask(d.R1*d.K1*d.R2*d.K2)
	return b
}

func alone(t testing.TB, m *gnn.Model, b *sampling.Batch) float32 {
	s, err := m.Score(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s[0]
}

// Rows scored together through the batcher get exactly the scores they
// get alone, and concurrent requests really are batched.
func TestBatcherMatchesScoringAlone(t *testing.T) {
	m := model(t, 1)
	// Each forward takes a millisecond, so that requests queue behind it
	// however fast the engine is.
	bt, err := scoring.NewBatcher(slow{m, time.Millisecond}, scoring.BatcherConfig{Window: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer bt.Close()
	r := rand.New(rand.NewPCG(2, 2))
	rows := make([]*sampling.Batch, 256)
	for i := range rows {
		rows[i] = row(r)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(rows))
	start := make(chan struct{}) // all requests at once, not as they are spawned
	for _, b := range rows {
		wg.Go(func() {
			<-start
			got, err := bt.Score(context.Background(), b)
			if err != nil {
				errs <- err
				return
			}
			if want := alone(t, m, b); got != want {
				errs <- errors.New("batched score differs from scoring alone")
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := bt.Stats()
	if st.Rows != int64(len(rows)) || st.Forwards >= st.Rows {
		t.Errorf("stats %+v: want %d rows in fewer forwards", st, len(rows))
	}
}

// slow delays every forward: a model that cannot meet the deadline.
type slow struct {
	m     scoring.Model
	delay time.Duration
}

func (s slow) Score(b *sampling.Batch, out []float32) ([]float32, error) {
	time.Sleep(s.delay)
	return s.m.Score(b, out)
}

func TestBatcherDeadline(t *testing.T) {
	bt, _ := scoring.NewBatcher(slow{model(t, 1), 300 * time.Millisecond}, scoring.BatcherConfig{Workers: 1})
	defer bt.Close()
	r := rand.New(rand.NewPCG(3, 3))
	var wg sync.WaitGroup
	for range 8 {
		x := row(r)
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
			defer cancel()
			if _, err := bt.Score(ctx, x); !errors.Is(err, scoring.ErrDeadline) {
				t.Errorf("Score with a 5ms deadline on a 300ms model = %v, want ErrDeadline", err)
			}
		})
	}
	wg.Wait()
}

// Swapping models under load fails no request; every answer is one of the
// two models' scores for that row.
func TestBatcherHotSwap(t *testing.T) {
	a, b := model(t, 1), model(t, 2)
	bt, _ := scoring.NewBatcher(a, scoring.BatcherConfig{Window: 100 * time.Microsecond})
	defer bt.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	failures, scored := 0, 0
	for w := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 9))
			for ctx.Err() == nil {
				x := row(r)
				got, err := bt.Score(context.Background(), x)
				mu.Lock()
				scored++
				if err != nil || (got != alone(t, a, x) && got != alone(t, b, x)) {
					failures++
				}
				mu.Unlock()
			}
		})
	}
	for i := range 50 {
		if i%2 == 0 {
			bt.SetModel(b)
		} else {
			bt.SetModel(a)
		}
		time.Sleep(2 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if failures != 0 || scored < 50 {
		t.Errorf("%d of %d requests failed or got a score from no installed model", failures, scored)
	}
}

func TestBatcherOverloadAndClose(t *testing.T) {
	// One worker, one row per forward, two queue slots, 50ms per forward:
	// of 16 simultaneous requests at most 3 can be held; the rest must be
	// refused at once rather than queued.
	bt, _ := scoring.NewBatcher(slow{model(t, 1), 50 * time.Millisecond}, scoring.BatcherConfig{Workers: 1, Queue: 2, MaxBatch: 1})
	r := rand.New(rand.NewPCG(4, 4))
	rows := make([]*sampling.Batch, 16)
	for i := range rows {
		rows[i] = row(r)
	}
	results := make(chan error, len(rows))
	for _, x := range rows {
		go func() {
			_, err := bt.Score(context.Background(), x)
			results <- err
		}()
	}
	var overload, closed, ok int
	count := func(err error) {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, scoring.ErrOverload):
			overload++
		case errors.Is(err, scoring.ErrClosed):
			closed++
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	for range len(rows) - 3 {
		count(<-results)
	}
	bt.Close()
	for range 3 {
		count(<-results)
	}
	if overload < len(rows)-3 || ok < 1 {
		t.Errorf("ok %d, overload %d, closed %d: want at least %d refused with ErrOverload and 1 scored", ok, overload, closed, len(rows)-3)
	}
	if _, err := bt.Score(context.Background(), rows[0]); !errors.Is(err, scoring.ErrClosed) {
		t.Errorf("Score after Close = %v, want ErrClosed", err)
	}
}

func BenchmarkBatcher(b *testing.B) {
	m := model(b, 1)
	bt, _ := scoring.NewBatcher(m, scoring.BatcherConfig{})
	defer bt.Close()
	r := rand.New(rand.NewPCG(5, 5))
	rows := make([]*sampling.Batch, 64)
	for i := range rows {
		rows[i] = row(r)
	}
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := bt.Score(context.Background(), rows[i%len(rows)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	st := bt.Stats()
	b.ReportMetric(float64(st.Rows)/float64(max(st.Forwards, 1)), "rows/forward")
}
