package decisionlog

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/scoring"
)

// Names of the stream and its subject.
const (
	DefaultStream = "RISKGRAPH_DECISIONS"
	Subject       = "riskgraph.v1.decision"
	// HeaderRecords counts the records (JSON lines) of a message.
	HeaderRecords = "Riskgraph-Records"
)

// Defaults applied to zero Config fields.
const (
	DefaultQueue      = 65536
	DefaultMaxRecords = 256
	DefaultFlush      = 5 * time.Millisecond
)

// Sentinel errors; callers test with errors.Is.
var (
	// ErrInvalidConfig: a Config field is out of range (the error names it).
	ErrInvalidConfig = errors.New("decisionlog: invalid config")
	// ErrNotFound: no decision for the transaction in the log.
	ErrNotFound = errors.New("decisionlog: no decision recorded")
	// ErrCorrupt: a stored message does not decode.
	ErrCorrupt = errors.New("decisionlog: corrupt record")
)

// Record is one decision as the log keeps it.
type Record struct {
	scoring.Decision
	// TxnTime is the transaction's own time: the as-of time of its
	// features.
	TxnTime time.Time `json:"txn_time"`
	// DecidedAt is when the decision was made (the server's clock).
	DecidedAt time.Time `json:"decided_at"`
}

// Config configures a Log.
type Config struct {
	// Stream names the stream (default DefaultStream).
	Stream string
	// Replicas of the stream: 1 (default) embedded, 3 on a cluster.
	Replicas int
	// MaxAge bounds how long decisions are kept (0: until purged).
	MaxAge time.Duration
	// Queue bounds the records waiting to be sent (default DefaultQueue).
	Queue int
	// MaxRecords caps the records in one message (default
	// DefaultMaxRecords).
	MaxRecords int
	// Flush is the longest a record waits for others to share its message
	// (default DefaultFlush).
	Flush time.Duration
}

// Validate reports the first invalid field, wrapping ErrInvalidConfig.
func (c Config) Validate() error {
	switch {
	case c.Replicas < 0 || c.Replicas > 5:
		return fmt.Errorf("%w: Replicas %d: want 1..5", ErrInvalidConfig, c.Replicas)
	case c.MaxAge < 0:
		return fmt.Errorf("%w: MaxAge %v < 0", ErrInvalidConfig, c.MaxAge)
	case c.Queue < 0 || c.MaxRecords < 0 || c.MaxRecords > 65536:
		return fmt.Errorf("%w: Queue %d, MaxRecords %d", ErrInvalidConfig, c.Queue, c.MaxRecords)
	case c.Flush < 0:
		return fmt.Errorf("%w: Flush %v < 0", ErrInvalidConfig, c.Flush)
	}
	return nil
}

// Stats count what the log did.
type Stats struct {
	Recorded, Dropped, Failed int64
}

// Log records decisions. Safe for concurrent use.
type Log struct {
	js   jetstream.JetStream
	cfg  Config
	q    chan Record
	done chan struct{}
	once sync.Once

	recorded, dropped, failed atomic.Int64
}

// EnsureStream creates or updates the decisions stream.
func EnsureStream(ctx context.Context, js jetstream.JetStream, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	cfg = cfg.withDefaults()
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: cfg.Stream, Subjects: []string{Subject}, Storage: jetstream.FileStorage,
		Replicas: max(cfg.Replicas, 1), MaxAge: cfg.MaxAge, Discard: jetstream.DiscardOld,
	})
	if err != nil {
		return fmt.Errorf("decisionlog: stream %s: %w", cfg.Stream, err)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.Queue == 0 {
		c.Queue = DefaultQueue
	}
	if c.MaxRecords == 0 {
		c.MaxRecords = DefaultMaxRecords
	}
	if c.Flush == 0 {
		c.Flush = DefaultFlush
	}
	return c
}

// Open ensures the stream and starts the sender. Close flushes it.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (*Log, error) {
	if js == nil {
		return nil, fmt.Errorf("%w: nil JetStream", ErrInvalidConfig)
	}
	if err := EnsureStream(ctx, js, cfg); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	l := &Log{js: js, cfg: cfg, q: make(chan Record, cfg.Queue), done: make(chan struct{})}
	go l.run()
	return l, nil
}

// Record queues r without blocking. It reports false (and counts a drop)
// when the queue is full or the log is closed.
func (l *Log) Record(r Record) (ok bool) {
	defer func() {
		if recover() != nil { // closed queue
			ok = false
			l.dropped.Add(1)
		}
	}()
	select {
	case l.q <- r:
		return true
	default:
		l.dropped.Add(1)
		return false
	}
}

// Stats returns the counts so far.
func (l *Log) Stats() Stats {
	return Stats{Recorded: l.recorded.Load(), Dropped: l.dropped.Load(), Failed: l.failed.Load()}
}

// Close sends what is queued and waits for the acknowledgements (or ctx).
func (l *Log) Close(ctx context.Context) error {
	l.once.Do(func() { close(l.q) })
	select {
	case <-l.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *Log) run() {
	defer close(l.done)
	var batch []Record
	var body []byte
	var pending []jetstream.PubAckFuture
	flush := func() {
		if len(batch) == 0 {
			return
		}
		body = body[:0]
		for i := range batch {
			if i > 0 {
				body = append(body, '\n')
			}
			b, err := json.Marshal(&batch[i])
			if err != nil {
				l.failed.Add(1)
				continue
			}
			body = append(body, b...)
		}
		msg := &nats.Msg{Subject: Subject, Data: bytes.Clone(body), Header: nats.Header{}}
		msg.Header.Set(HeaderRecords, strconv.Itoa(len(batch)))
		f, err := l.js.PublishMsgAsync(msg, jetstream.WithExpectStream(l.cfg.Stream))
		if err != nil {
			l.failed.Add(int64(len(batch)))
		} else {
			pending = append(pending, f)
			l.recorded.Add(int64(len(batch)))
		}
		batch = batch[:0]
		pending = l.reap(pending, false)
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case r, ok := <-l.q:
			if !ok {
				flush()
				l.reap(pending, true)
				return
			}
			if len(batch) == 0 {
				timer.Reset(l.cfg.Flush)
			}
			batch = append(batch, r)
			if len(batch) >= l.cfg.MaxRecords {
				timer.Stop()
				flush()
			}
		case <-timer.C:
			flush()
		}
	}
}

// reap counts the settled acknowledgements (all of them, waiting up to a
// few seconds, when wait) and returns those still pending.
func (l *Log) reap(pending []jetstream.PubAckFuture, wait bool) []jetstream.PubAckFuture {
	keep := pending[:0]
	deadline := time.After(5 * time.Second)
	for _, f := range pending {
		if wait {
			select {
			case <-f.Ok():
				continue
			case err := <-f.Err():
				l.failUnacked(f, err)
				continue
			case <-deadline:
				l.failUnacked(f, errors.New("no acknowledgement"))
				continue
			}
		}
		select {
		case <-f.Ok():
		case err := <-f.Err():
			l.failUnacked(f, err)
		default:
			keep = append(keep, f)
		}
	}
	return keep
}

func (l *Log) failUnacked(f jetstream.PubAckFuture, _ error) {
	n, _ := strconv.Atoi(f.Msg().Header.Get(HeaderRecords))
	l.failed.Add(int64(n))
	l.recorded.Add(-int64(n))
}

// Find returns the latest recorded decision on transaction txnID, reading
// the stream from its start (a CLI lookup, not a hot path). A miss is an
// error wrapping ErrNotFound; a record that does not decode, ErrCorrupt.
func Find(ctx context.Context, js jetstream.JetStream, streamName, txnID string) (Record, error) {
	if streamName == "" {
		streamName = DefaultStream
	}
	s, err := js.Stream(ctx, streamName)
	if err != nil {
		return Record{}, fmt.Errorf("decisionlog: stream %s: %w", streamName, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return Record{}, fmt.Errorf("decisionlog: stream %s: %w", streamName, err)
	}
	if info.State.Msgs == 0 {
		return Record{}, fmt.Errorf("%w: %s (the log is empty)", ErrNotFound, txnID)
	}
	c, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return Record{}, fmt.Errorf("decisionlog: read %s: %w", streamName, err)
	}
	key := []byte(`"txn":` + strconv.Quote(txnID))
	var found Record
	ok := false
	for seen, idle := uint64(0), 0; seen < info.State.Msgs && idle < 100; {
		batch, err := c.FetchNoWait(512)
		if err != nil {
			return Record{}, fmt.Errorf("decisionlog: read %s: %w", streamName, err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			meta, merr := m.Metadata()
			if merr == nil && meta.Sequence.Stream > info.State.LastSeq {
				seen = info.State.Msgs
				break
			}
			if !bytes.Contains(m.Data(), key) {
				continue
			}
			sc := bufio.NewScanner(bytes.NewReader(m.Data()))
			sc.Buffer(nil, 16<<20)
			for sc.Scan() {
				if !bytes.Contains(sc.Bytes(), key) {
					continue
				}
				var r Record
				if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
					return Record{}, fmt.Errorf("%w: stream %s seq %d: %w", ErrCorrupt, streamName, seqOf(meta), err)
				}
				if r.Txn == txnID {
					found, ok = r, true
				}
			}
		}
		if err := batch.Error(); err != nil {
			return Record{}, fmt.Errorf("decisionlog: read %s: %w", streamName, err)
		}
		seen += uint64(n)
		if n == 0 { // messages deleted since Info, or slow delivery
			if ctx.Err() != nil {
				return Record{}, ctx.Err()
			}
			idle++
			time.Sleep(10 * time.Millisecond)
		} else {
			idle = 0
		}
	}
	if !ok {
		return Record{}, fmt.Errorf("%w: %s", ErrNotFound, txnID)
	}
	return found, nil
}

func seqOf(m *jetstream.MsgMetadata) uint64 {
	if m == nil {
		return 0
	}
	return m.Sequence.Stream
}
