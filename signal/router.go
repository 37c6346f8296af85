package signal

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Plugin consumes signals. Handle runs on the plug-in's own goroutine, one
// signal at a time in routing order, under a context that ends after
// Config.HandleTimeout or when the Router is closed. Its error is counted
// (PluginStats.Failed) and logged, never returned to the scorer. The Signal
// is the plug-in's own copy.
type Plugin interface {
	Name() string
	Handle(ctx context.Context, s Signal) error
}

// Publisher sends one message; *nats.Conn satisfies it. Publish must not
// keep data after it returns.
type Publisher interface {
	Publish(subject string, data []byte) error
}

// RegisterOptions state what a plug-in may see.
type RegisterOptions struct {
	// Name identifies the plug-in in Stats and logs; empty means p.Name().
	Name string
	// Compliance plug-ins receive the full signal (AML class, raw band
	// and score, raw reasons, typologies). Only plug-ins inside the
	// compliance perimeter may say so.
	Compliance bool
	// QueueSize overrides Config.QueueSize for this plug-in (0: default).
	QueueSize int
}

// Defaults applied by New to zero Config fields.
const (
	DefaultQueueSize     = 1024
	DefaultHandleTimeout = 5 * time.Second
	DefaultScoreStep     = 0.05
	DefaultPriorScore    = 0.02
	// MinKeyLen is the shortest SubjectKey accepted, in bytes.
	MinKeyLen = 16
)

// Config configures a Router.
type Config struct {
	// SubjectKey is the HMAC-SHA-256 key for pseudonymous subjects,
	// at least MinKeyLen bytes. Required. Rotating it changes every
	// subject.
	SubjectKey []byte
	// Cuts are the band cut points (zero: DefaultMediumCut, …).
	Cuts Cuts
	// ScoreStep coarsens the filtered score down to a multiple of it, in
	// (0, 1]. Default DefaultScoreStep.
	ScoreStep float64
	// PriorScore is the score of a transaction with no reasons, in
	// (0, 1): the starting point when the filtered score has to be
	// rebuilt from non-AML reasons alone. Default DefaultPriorScore.
	PriorScore float64
	// QueueSize bounds each plug-in's queue and the publish queue; a
	// signal that finds its queue full is dropped and counted. Default
	// DefaultQueueSize.
	QueueSize int
	// HandleTimeout bounds each Plugin.Handle and Publish call. Default
	// DefaultHandleTimeout.
	HandleTimeout time.Duration
	// Publisher receives every filtered signal as JSON on
	// Subject(band). Nil: nothing is published.
	Publisher Publisher
	// Logger receives plug-in and publish failures (never signal
	// contents). Nil discards them.
	Logger *slog.Logger
	// Now stamps decisions with a zero Time. Default time.Now.
	Now func() time.Time
}

// Validate reports the first invalid field as an error wrapping
// ErrInvalidConfig. Zero values that have a default are valid.
func (c Config) Validate() error {
	switch {
	case len(c.SubjectKey) < MinKeyLen:
		return fmt.Errorf("%w: SubjectKey has %d bytes, want >= %d", ErrInvalidConfig, len(c.SubjectKey), MinKeyLen)
	case c.ScoreStep < 0 || c.ScoreStep > 1:
		return fmt.Errorf("%w: ScoreStep %v not in (0, 1]", ErrInvalidConfig, c.ScoreStep)
	case c.PriorScore < 0 || c.PriorScore >= 1:
		return fmt.Errorf("%w: PriorScore %v not in (0, 1)", ErrInvalidConfig, c.PriorScore)
	case c.QueueSize < 0:
		return fmt.Errorf("%w: QueueSize %d < 0", ErrInvalidConfig, c.QueueSize)
	case c.HandleTimeout < 0:
		return fmt.Errorf("%w: HandleTimeout %v < 0", ErrInvalidConfig, c.HandleTimeout)
	}
	return c.Cuts.Validate()
}

func (c Config) withDefaults() Config {
	c.Cuts = c.Cuts.withDefaults()
	if c.ScoreStep == 0 {
		c.ScoreStep = DefaultScoreStep
	}
	if c.PriorScore == 0 {
		c.PriorScore = DefaultPriorScore
	}
	if c.QueueSize == 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.HandleTimeout == 0 {
		c.HandleTimeout = DefaultHandleTimeout
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Router turns decisions into signals and fans them out: the filtered view
// to non-compliance plug-ins and the Publisher, the full view to
// compliance plug-ins. Each consumer has its own bounded queue and
// goroutine, so Route never waits for one. Safe for concurrent use.
type Router struct {
	cfg          Config
	pseudo       *pseudonymiser
	priorLogOdds float64

	ctx    context.Context // handler context; cancelled by Close
	cancel context.CancelFunc

	mu      sync.RWMutex // guards sinks and closed; Route holds it shared
	sinks   []*sink
	names   map[string]bool
	publish *sink // nil without a Publisher
	closed  bool
	wg      sync.WaitGroup

	routed, invalid atomic.Uint64
}

// New validates cfg and returns a Router with no plug-ins.
func New(cfg Config) (*Router, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	r := &Router{
		cfg:          cfg,
		pseudo:       newPseudonymiser(cfg.SubjectKey),
		priorLogOdds: logit(cfg.PriorScore),
		ctx:          ctx,
		cancel:       cancel,
		names:        map[string]bool{},
	}
	if cfg.Publisher != nil {
		pub := cfg.Publisher
		r.publish = r.start("nats", false, cfg.QueueSize, func(_ context.Context, s Signal) error {
			data, err := json.Marshal(s)
			if err != nil {
				return err
			}
			return pub.Publish(Subject(s.Band), data)
		})
	}
	return r, nil
}

// Register adds p under opts.Name (default p.Name()). It refuses a nil
// plug-in or empty name (ErrInvalidPlugin), a name already registered
// (ErrDuplicatePlugin) and a closed Router (ErrClosed). A plug-in sees the
// signals routed after Register returns.
func (r *Router) Register(p Plugin, opts RegisterOptions) error {
	if p == nil {
		return fmt.Errorf("%w: nil", ErrInvalidPlugin)
	}
	name := opts.Name
	if name == "" {
		name = p.Name()
	}
	if name == "" {
		return fmt.Errorf("%w: empty name", ErrInvalidPlugin)
	}
	if opts.QueueSize < 0 {
		return fmt.Errorf("%w: %s: QueueSize %d < 0", ErrInvalidPlugin, name, opts.QueueSize)
	}
	size := opts.QueueSize
	if size == 0 {
		size = r.cfg.QueueSize
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.closed:
		return ErrClosed
	case r.names[name]:
		return fmt.Errorf("%w: %q", ErrDuplicatePlugin, name)
	}
	r.names[name] = true
	r.sinks = append(r.sinks, r.start(name, opts.Compliance, size, p.Handle))
	return nil
}

// Route builds the decision's signal once and enqueues a copy for every
// consumer without waiting: a full queue drops that consumer's copy and
// counts it. It returns ErrInvalidDecision (wrapped) for a decision with no
// transaction id, no subject id or a score outside [0, 1], and ErrClosed
// after Close. ctx is not passed on: plug-ins run after Route returns,
// under the Router's own context, so a scoring deadline that has passed
// does not stop the signal.
func (r *Router) Route(ctx context.Context, d Decision) error {
	_ = ctx
	full, public, err := r.views(&d)
	if err != nil {
		r.invalid.Add(1)
		return err
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return ErrClosed
	}
	r.routed.Add(1)
	for _, s := range r.sinks {
		if s.compliance {
			s.offer(full.clone())
		} else {
			s.offer(public.clone())
		}
	}
	if r.publish != nil {
		r.publish.offer(public) // marshalled, never shared with a plug-in
	}
	return nil
}

// Close stops accepting signals, lets every consumer drain its queue and
// waits for them, at most until ctx is done; then it cancels the handlers'
// context, and signals still queued are dropped (counted). Close returns
// ctx.Err() in that case and nil otherwise. Either way it returns only
// after every in-flight Handle has returned (handlers must honour their
// context). Safe to call more than once.
func (r *Router) Close(ctx context.Context) error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		for _, s := range r.sinks {
			close(s.q)
		}
		if r.publish != nil {
			close(r.publish.q)
		}
	}
	r.mu.Unlock()
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		r.cancel()
		return nil
	case <-ctx.Done():
		r.cancel()
		<-done
		return ctx.Err()
	}
}

// Stats are the Router's counters since New.
type Stats struct {
	// Routed counts decisions turned into signals; Invalid those refused
	// with ErrInvalidDecision.
	Routed, Invalid uint64
	// Plugins, in registration order.
	Plugins []PluginStats
	// Publish is the NATS publisher's queue (zero without a Publisher).
	Publish PluginStats
}

// PluginStats are one consumer's counters.
type PluginStats struct {
	Name       string
	Compliance bool
	// Delivered: Handle returned nil. Failed: Handle returned an error,
	// panicked, or its signal was dropped at Close. Dropped: the queue
	// was full. Queued: waiting now.
	Delivered, Failed, Dropped uint64
	Queued                     int
}

// Stats returns a snapshot of the counters.
func (r *Router) Stats() Stats {
	st := Stats{Routed: r.routed.Load(), Invalid: r.invalid.Load()}
	r.mu.RLock()
	for _, s := range r.sinks {
		st.Plugins = append(st.Plugins, s.stats())
	}
	r.mu.RUnlock()
	if r.publish != nil {
		st.Publish = r.publish.stats()
	}
	return st
}

// sink is one consumer: a bounded queue drained by one goroutine.
type sink struct {
	name                       string
	compliance                 bool
	q                          chan Signal
	delivered, failed, dropped atomic.Uint64
}

func (r *Router) start(name string, compliance bool, size int, handle func(context.Context, Signal) error) *sink {
	s := &sink{name: name, compliance: compliance, q: make(chan Signal, size)}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for sig := range s.q {
			if r.ctx.Err() != nil {
				s.failed.Add(1) // closing: drain without handling
				continue
			}
			if err := r.call(handle, sig); err != nil {
				s.failed.Add(1)
				if r.cfg.Logger != nil {
					r.cfg.Logger.Warn("signal consumer failed", slog.String("consumer", name), slog.String("error", err.Error()))
				}
				continue
			}
			s.delivered.Add(1)
		}
	}()
	return s
}

// call runs one handler under the handle timeout, turning a panic into an
// error so that a faulty plug-in cannot take scoring down with it.
func (r *Router) call(handle func(context.Context, Signal) error, sig Signal) (err error) {
	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.HandleTimeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return handle(ctx, sig)
}

func (s *sink) offer(sig Signal) {
	select {
	case s.q <- sig:
	default:
		s.dropped.Add(1)
	}
}

func (s *sink) stats() PluginStats {
	return PluginStats{
		Name: s.name, Compliance: s.compliance,
		Delivered: s.delivered.Load(), Failed: s.failed.Load(), Dropped: s.dropped.Load(),
		Queued: len(s.q),
	}
}
