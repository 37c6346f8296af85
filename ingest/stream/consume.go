package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest"
)

// Applier is what a Consumer needs of a graph store.
type Applier interface {
	// Apply applies a batch, idempotently (see graph.Store.Apply). Errors
	// wrapping graph.ErrInvalid are the data's fault, graph.ErrUnavailable
	// the backend's, graph.ErrClosed final.
	Apply(ctx context.Context, batch ...graph.Mutation) (graph.Applied, error)
	// LastSeq returns the largest stream sequence applied.
	LastSeq(ctx context.Context) (uint64, error)
}

var _ Applier = graph.Store(nil)

// Defaults applied to zero ConsumerConfig fields.
const (
	DefaultBatchSize     = 1024
	DefaultMaxDeliver    = 5
	DefaultRetryDelay    = 200 * time.Millisecond
	DefaultMaxRetryDelay = 10 * time.Second
	DefaultAckWait       = 30 * time.Second
)

// ConsumerConfig configures a Consumer.
type ConsumerConfig struct {
	// Stream and DeadLetterStream name the log and dead-letter streams.
	// Defaults DefaultStream and DefaultDeadLetterStream.
	Stream, DeadLetterStream string

	// Tokenizer screens every decoded transaction for card numbers (see
	// ingest.DecodeTransaction): a log written by Publisher holds tokens
	// only, but the log is an input like any other. Required.
	Tokenizer *ingest.Tokenizer

	// BatchSize is the most messages applied in one Store.Apply call; the
	// consumer keeps up to 4×BatchSize messages requested from the server.
	// Default DefaultBatchSize.
	BatchSize int

	// DecodeWorkers is how many goroutines decode a large batch (decoding
	// is most of the consumer's CPU time; applying stays on one goroutine,
	// in stream order). Default runtime.GOMAXPROCS(0); 1 decodes inline.
	DecodeWorkers int

	// MaxDeliver is how many times a message is tried against the store
	// before it is dead-lettered (errors wrapping graph.ErrInvalid are
	// dead-lettered at once, graph.ErrUnavailable is retried without
	// limit). Default DefaultMaxDeliver.
	MaxDeliver int

	// RetryDelay is the wait before the second try of a failed apply; it
	// doubles per try up to MaxRetryDelay. Defaults DefaultRetryDelay and
	// DefaultMaxRetryDelay.
	RetryDelay, MaxRetryDelay time.Duration

	// AckWait is how long the server waits for an acknowledgement before it
	// redelivers; redeliveries of applied messages are skipped (counted in
	// ConsumerStats.Redelivered). Default DefaultAckWait.
	AckWait time.Duration

	// PerMessageAcks acknowledges every message on its own. The default
	// (false) acknowledges a whole batch with one AckAll acknowledgement of
	// its last message, which is correct because batches are resolved in
	// stream order, and costs one acknowledgement per batch instead of one
	// per message (see BenchmarkConsumeApply).
	PerMessageAcks bool

	// Checkpoint, when not nil, is called after every CheckpointEvery
	// applied messages and after CheckpointInterval has passed with
	// messages applied since the last call (either may be 0 to disable
	// it). It runs between batches on the applying goroutine, so every
	// message up to the store's LastSeq has been applied (or
	// dead-lettered) and nothing is applied while it runs: the place to
	// snapshot the store. An error is logged and counted, and the next
	// checkpoint is tried as usual. Run does not checkpoint on return.
	Checkpoint         func(ctx context.Context) error
	CheckpointEvery    int
	CheckpointInterval time.Duration

	// Logger receives the consumer's log lines. Message bodies are never
	// logged, nor are failure reasons (they may quote values); those go to
	// the dead-letter headers. Nil discards.
	Logger *slog.Logger
}

// Validate reports the first invalid field as an error wrapping
// ErrInvalidConfig.
func (c ConsumerConfig) Validate() error {
	switch {
	case !validStreamName(c.Stream):
		return fmt.Errorf("%w: Stream %q: no spaces, dots, '*', '>' or path separators", ErrInvalidConfig, c.Stream)
	case !validStreamName(c.DeadLetterStream):
		return fmt.Errorf("%w: DeadLetterStream %q: no spaces, dots, '*', '>' or path separators", ErrInvalidConfig, c.DeadLetterStream)
	case c.Tokenizer == nil:
		return fmt.Errorf("%w: Tokenizer is required", ErrInvalidConfig)
	case c.BatchSize < 0:
		return fmt.Errorf("%w: BatchSize %d < 0", ErrInvalidConfig, c.BatchSize)
	case c.DecodeWorkers < 0:
		return fmt.Errorf("%w: DecodeWorkers %d < 0", ErrInvalidConfig, c.DecodeWorkers)
	case c.MaxDeliver < 0:
		return fmt.Errorf("%w: MaxDeliver %d < 0", ErrInvalidConfig, c.MaxDeliver)
	case c.RetryDelay < 0 || c.MaxRetryDelay < 0:
		return fmt.Errorf("%w: RetryDelay %v and MaxRetryDelay %v must be ≥ 0", ErrInvalidConfig, c.RetryDelay, c.MaxRetryDelay)
	case c.AckWait < 0:
		return fmt.Errorf("%w: AckWait %v < 0", ErrInvalidConfig, c.AckWait)
	case c.CheckpointEvery < 0:
		return fmt.Errorf("%w: CheckpointEvery %d < 0", ErrInvalidConfig, c.CheckpointEvery)
	case c.CheckpointInterval < 0:
		return fmt.Errorf("%w: CheckpointInterval %v < 0", ErrInvalidConfig, c.CheckpointInterval)
	}
	return nil
}

func (c ConsumerConfig) withDefaults() ConsumerConfig {
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.DeadLetterStream == "" {
		c.DeadLetterStream = DefaultDeadLetterStream
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.DecodeWorkers == 0 {
		c.DecodeWorkers = runtime.GOMAXPROCS(0)
	}
	if c.MaxDeliver == 0 {
		c.MaxDeliver = DefaultMaxDeliver
	}
	if c.RetryDelay == 0 {
		c.RetryDelay = DefaultRetryDelay
	}
	if c.MaxRetryDelay == 0 {
		c.MaxRetryDelay = DefaultMaxRetryDelay
	}
	c.MaxRetryDelay = max(c.MaxRetryDelay, c.RetryDelay)
	if c.AckWait == 0 {
		c.AckWait = DefaultAckWait
	}
	return c
}

// ConsumerStats are a Consumer's counters since it was made.
type ConsumerStats struct {
	Applied          int64  // messages applied to the store (transactions and labels)
	Duplicates       int64  // of those, transactions the store already held
	DeadLettered     int64  // messages sent to the dead-letter stream
	Redelivered      int64  // deliveries of messages already resolved, skipped
	Retries          int64  // failed apply attempts that were tried again
	Resubscribes     int64  // server consumers re-created after lost deliveries or a lost consumer
	Checkpoints      int64  // successful Checkpoint calls
	CheckpointErrors int64  // failed Checkpoint calls
	Resolved         uint64 // stream sequence up to which every message is applied or dead-lettered
}

// Consumer materialises the log into a store. It reads the stream from the
// store's LastSeq+1 (the store, not server-side state, says where to
// start), applies messages in stream order in batches with Mutation.Seq set
// to the stream sequence, and acknowledges a message only after Apply
// returned. A message that cannot be decoded or validated, or that fails
// MaxDeliver tries, is published to the dead-letter stream and terminated;
// the consumer carries on with the next.
//
// Failed applies are retried in place, in order, rather than Nak'ed for
// redelivery: a Nak lets later messages overtake the failed one, the
// store's LastSeq would then pass a message that was never applied, and a
// snapshot taken at that point followed by a restart from LastSeq+1 would
// lose it.
type Consumer struct {
	js    jetstream.JetStream
	store Applier
	cfg   ConsumerConfig
	log   *slog.Logger

	running atomic.Bool

	mu       sync.Mutex
	resolved uint64
	progress chan struct{} // closed and replaced when resolved advances

	applied, duplicates, deadLettered, redelivered, retries, resubscribes, checkpoints, checkpointErrs atomic.Int64

	// Reused per batch by the applying goroutine.
	work   []jetstream.Msg // deliveries to decode
	seqs   [][2]uint64     // stream sequence and delivery count of work[i]
	labels []*graph.Label  // decoded label of work[i]
	groups [][]record      // decoded records of work[i], a group message
	errs   []error         // decoding error of work[i]
	muts   []graph.Mutation
	mmsg   []origin // where muts[i] came from
}

// NewConsumer returns a Consumer applying the log read through js to store.
func NewConsumer(js jetstream.JetStream, store Applier, cfg ConsumerConfig) (*Consumer, error) {
	if js == nil || store == nil {
		return nil, fmt.Errorf("%w: nil JetStream or store", ErrInvalidConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Consumer{js: js, store: store, cfg: cfg, log: log, progress: make(chan struct{})}, nil
}

// Stats returns the consumer's counters. Safe to call at any time.
func (c *Consumer) Stats() ConsumerStats {
	c.mu.Lock()
	resolved := c.resolved
	c.mu.Unlock()
	return ConsumerStats{
		Applied:          c.applied.Load(),
		Duplicates:       c.duplicates.Load(),
		DeadLettered:     c.deadLettered.Load(),
		Redelivered:      c.redelivered.Load(),
		Retries:          c.retries.Load(),
		Resubscribes:     c.resubscribes.Load(),
		Checkpoints:      c.checkpoints.Load(),
		CheckpointErrors: c.checkpointErrs.Load(),
		Resolved:         resolved,
	}
}

// WaitFor blocks until every message up to stream sequence seq has been
// applied or dead-lettered, or ctx ends (returning its error). Use the
// largest Ack.Seq of a publish to wait until the store reflects it. A
// sequence that the stream no longer holds is reached when a later one is.
func (c *Consumer) WaitFor(ctx context.Context, seq uint64) error {
	for {
		c.mu.Lock()
		done, ch := c.resolved >= seq, c.progress
		c.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (c *Consumer) setResolved(seq uint64) {
	c.mu.Lock()
	if seq > c.resolved {
		c.resolved = seq
		close(c.progress)
		c.progress = make(chan struct{})
	}
	c.mu.Unlock()
}

func (c *Consumer) resolvedSeq() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.resolved
}

// errResubscribe ends a session: deliveries were lost, or the server
// consumer went away; start a new one after the last resolved message.
var errResubscribe = errors.New("stream: resubscribe")

// Run consumes until ctx ends, then returns nil. It returns an error
// wrapping ErrConsumer when it cannot go on: the store is closed, its
// LastSeq cannot be read, the connection is closed for good, or the store
// is ahead of the log (ErrStoreAhead). Only one Run may be active per
// Consumer; a later Run starts again from the store's LastSeq.
func (c *Consumer) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return fmt.Errorf("%w: Run is already active", ErrConsumer)
	}
	defer c.running.Store(false)

	last, err := c.store.LastSeq(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("%w: store LastSeq: %w", ErrConsumer, err)
	}
	c.mu.Lock()
	c.resolved = last
	close(c.progress)
	c.progress = make(chan struct{})
	c.mu.Unlock()
	c.log.Info("consumer starting", "stream", c.cfg.Stream, "from_seq", last+1)

	ck := newCheckpointer(c)
	delay := c.cfg.RetryDelay
	for ctx.Err() == nil {
		s, err := c.subscribe(ctx, c.resolvedSeq()+1)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if errors.Is(err, ErrStoreAhead) {
				return err
			}
			if c.js.Conn().IsClosed() {
				return fmt.Errorf("%w: connection closed", ErrConsumer)
			}
			c.log.Warn("consumer: cannot subscribe, retrying", "stream", c.cfg.Stream, "err", err, "in", delay)
			if !sleep(ctx, delay) {
				break
			}
			delay = min(2*delay, c.cfg.MaxRetryDelay)
			continue
		}
		delay = c.cfg.RetryDelay
		err = c.loop(ctx, s, ck)
		s.close()
		switch {
		case ctx.Err() != nil:
		case errors.Is(err, errResubscribe):
			c.resubscribes.Add(1)
			c.log.Info("consumer: resubscribing", "stream", c.cfg.Stream, "from_seq", c.resolvedSeq()+1)
		case err != nil:
			return err
		}
	}
	return nil
}

// loop applies batches from one session until ctx ends or the session
// breaks.
func (c *Consumer) loop(ctx context.Context, s *session, ck *checkpointer) error {
	var tick <-chan time.Time
	if c.cfg.Checkpoint != nil && c.cfg.CheckpointInterval > 0 {
		t := time.NewTicker(c.cfg.CheckpointInterval)
		defer t.Stop()
		tick = t.C
	}
	batch := make([]jetstream.Msg, 0, c.cfg.BatchSize)
	for {
		batch = batch[:0]
		select {
		case m := <-s.msgs:
			batch = append(batch, m)
		case <-s.broken:
			return errResubscribe
		case <-tick:
			ck.maybe(ctx, true)
			continue
		case <-ctx.Done():
			return nil
		}
	fill:
		for len(batch) < cap(batch) {
			select {
			case m := <-s.msgs:
				batch = append(batch, m)
			default:
				break fill
			}
		}
		if err := c.process(ctx, s, batch); err != nil {
			return err
		}
		ck.maybe(ctx, false)
	}
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// checkpointer decides when to call ConsumerConfig.Checkpoint.
type checkpointer struct {
	c     *Consumer
	since int64 // applied messages at the last checkpoint
}

func newCheckpointer(c *Consumer) *checkpointer {
	return &checkpointer{c: c, since: c.applied.Load()}
}

// maybe runs the checkpoint when CheckpointEvery messages were applied since
// the last one, or, on a tick, when any were.
func (k *checkpointer) maybe(ctx context.Context, tick bool) {
	cfg := &k.c.cfg
	if cfg.Checkpoint == nil {
		return
	}
	n := k.c.applied.Load() - k.since
	due := (tick && n > 0) || (cfg.CheckpointEvery > 0 && n >= int64(cfg.CheckpointEvery))
	if !due || ctx.Err() != nil {
		return
	}
	start := time.Now()
	if err := cfg.Checkpoint(ctx); err != nil {
		if ctx.Err() != nil {
			return
		}
		k.c.checkpointErrs.Add(1)
		k.c.log.Warn("consumer: checkpoint failed", "err", err)
		return
	}
	k.since += n
	k.c.checkpoints.Add(1)
	k.c.log.Debug("consumer: checkpoint", "resolved", k.c.resolvedSeq(), "took", time.Since(start))
}
