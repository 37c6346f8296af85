package stream

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Sentinel errors of package stream; callers test with errors.Is.
var (
	// ErrInvalidConfig: a Config field is out of range (the error names it).
	ErrInvalidConfig = errors.New("stream: invalid config")
	// ErrPublish: JetStream did not acknowledge a publish.
	ErrPublish = errors.New("stream: publish failed")
	// ErrAckTimeout: no acknowledgement for an asynchronous publish within
	// PublisherConfig.AckTimeout. It wraps ErrPublish.
	ErrAckTimeout = fmt.Errorf("%w: no acknowledgement in time", ErrPublish)
	// ErrBatchClosed: Add or Wait on a Batch after Wait.
	ErrBatchClosed = errors.New("stream: batch already waited for")
	// ErrCommitterClosed is returned by GroupCommitter.Append after Close.
	ErrCommitterClosed = errors.New("stream: group committer closed")
	// ErrConsumer: the consumer could not be created or its connection was
	// closed for good; Run returns it.
	ErrConsumer = errors.New("stream: consumer failed")
	// ErrStoreAhead: the store has applied sequences the stream does not
	// hold: the log was deleted or reset, or the snapshot belongs to
	// another stream. Consuming would skip every new message, so Run stops
	// with this error (wrapped in ErrConsumer); rebuild the store from an
	// empty state instead.
	ErrStoreAhead = errors.New("stream: store is ahead of the log")
)

// Subjects of the v1 log. Transactions and labels share one stream so that
// one sequence orders them: a label published after its transaction is
// applied after it.
const (
	SubjectTxn   = "riskgraph.v1.txn"
	SubjectLabel = "riskgraph.v1.label"
	// SubjectDeadLetterPrefix + the original subject's last token (txn,
	// label) is where poison messages go.
	SubjectDeadLetterPrefix = "riskgraph.v1.deadletter."
)

// Defaults applied to zero StreamConfig fields.
const (
	DefaultStream           = "RISKGRAPH"
	DefaultDeadLetterStream = "RISKGRAPH_DLQ"
	// DefaultDuplicates is the message-id deduplication window. See
	// StreamConfig.Duplicates for the reasoning.
	DefaultDuplicates = 10 * time.Minute
)

// StreamConfig configures the log stream and its dead-letter stream.
type StreamConfig struct {
	// Name of the log stream (subjects SubjectTxn and SubjectLabel).
	// Default DefaultStream.
	Name string

	// DeadLetterName names the dead-letter stream (subjects
	// SubjectDeadLetterPrefix + ">"). Default DefaultDeadLetterStream.
	DeadLetterName string

	// Duplicates is the window in which JetStream drops a message whose
	// Nats-Msg-Id (the transaction id) it has already stored. Default
	// DefaultDuplicates (10 minutes).
	//
	// Why not 24h: the server holds every id of the window in memory
	// (about 100 B each) and rescans the window on restart, so a 24h window
	// at 5,000 tx/s is ~430M ids, tens of GB. Why not 2m: re-sends come from
	// client retries, reconnects and producer restarts, which can take a few
	// minutes. Correctness never rests on the window: the graph store is
	// idempotent by transaction id, so a re-send outside the window costs
	// one log entry, never a double-counted payment. The dead-letter stream
	// uses the same window.
	Duplicates time.Duration

	// Replicas of each stream: 1 for the embedded server (the default), 3
	// in a NATS cluster. At most 5.
	Replicas int

	// MaxAge and MaxBytes bound the log (0 = unbounded, the default). The
	// embedded graph is rebuilt from its last snapshot plus the log after
	// the snapshot's sequence, so the log must reach back past the oldest
	// snapshot you may restore; with limits, snapshot more often than MaxAge.
	MaxAge   time.Duration
	MaxBytes int64

	// DeadLetterMaxAge bounds the dead-letter stream (0 = keep until an
	// operator purges it, the default).
	DeadLetterMaxAge time.Duration
}

// Validate reports the first invalid field as an error wrapping
// ErrInvalidConfig. Zero values that have a default are valid.
func (c StreamConfig) Validate() error {
	switch {
	case !validStreamName(c.Name):
		return fmt.Errorf("%w: Name %q: no spaces, dots, '*', '>' or path separators", ErrInvalidConfig, c.Name)
	case !validStreamName(c.DeadLetterName):
		return fmt.Errorf("%w: DeadLetterName %q: no spaces, dots, '*', '>' or path separators", ErrInvalidConfig, c.DeadLetterName)
	case c.Name != "" && c.Name == c.DeadLetterName:
		return fmt.Errorf("%w: Name and DeadLetterName are both %q", ErrInvalidConfig, c.Name)
	case c.Duplicates < 0:
		return fmt.Errorf("%w: Duplicates %v < 0", ErrInvalidConfig, c.Duplicates)
	case c.Replicas < 0 || c.Replicas > 5:
		return fmt.Errorf("%w: Replicas %d: want 1..5", ErrInvalidConfig, c.Replicas)
	case c.MaxAge < 0:
		return fmt.Errorf("%w: MaxAge %v < 0", ErrInvalidConfig, c.MaxAge)
	case c.MaxAge > 0 && c.Duplicates > c.MaxAge:
		return fmt.Errorf("%w: Duplicates %v exceeds MaxAge %v", ErrInvalidConfig, c.Duplicates, c.MaxAge)
	case c.MaxBytes < 0:
		return fmt.Errorf("%w: MaxBytes %d < 0", ErrInvalidConfig, c.MaxBytes)
	case c.DeadLetterMaxAge < 0:
		return fmt.Errorf("%w: DeadLetterMaxAge %v < 0", ErrInvalidConfig, c.DeadLetterMaxAge)
	}
	return nil
}

func validStreamName(s string) bool {
	return !strings.ContainsAny(s, " \t\r\n.*>/\\")
}

func (c StreamConfig) withDefaults() StreamConfig {
	if c.Name == "" {
		c.Name = DefaultStream
	}
	if c.DeadLetterName == "" {
		c.DeadLetterName = DefaultDeadLetterStream
	}
	if c.Duplicates == 0 {
		c.Duplicates = DefaultDuplicates
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	return c
}

// EnsureStream creates the log stream and the dead-letter stream, or
// updates them to cfg if they exist (JetStream refuses changes it cannot
// make, such as the storage type, and so does EnsureStream). Both streams
// use file storage. It returns the log stream.
func EnsureStream(ctx context.Context, js jetstream.JetStream, cfg StreamConfig) (jetstream.Stream, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	maxBytes := cfg.MaxBytes
	if maxBytes == 0 {
		maxBytes = -1
	}
	log, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        cfg.Name,
		Description: "riskgraph v1 log: transactions and labels (msg id = transaction id)",
		Subjects:    []string{SubjectTxn, SubjectLabel},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      cfg.MaxAge,
		MaxBytes:    maxBytes,
		Duplicates:  cfg.Duplicates,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("stream: ensure %s: %w", cfg.Name, err)
	}
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        cfg.DeadLetterName,
		Description: "riskgraph v1 dead letters: messages the consumer could not apply, with the reason in headers",
		Subjects:    []string{SubjectDeadLetterPrefix + ">"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      cfg.DeadLetterMaxAge,
		Duplicates:  min(cfg.Duplicates, dlqMaxDuplicates(cfg.DeadLetterMaxAge)),
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("stream: ensure %s: %w", cfg.DeadLetterName, err)
	}
	return log, nil
}

// dlqMaxDuplicates keeps the dead-letter dedupe window within its MaxAge,
// which JetStream requires.
func dlqMaxDuplicates(maxAge time.Duration) time.Duration {
	if maxAge == 0 {
		return time.Duration(1<<63 - 1)
	}
	return maxAge
}
