package stream

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest"
)

// Defaults applied to zero PublisherConfig fields.
const (
	DefaultMaxInFlight = 2048
	DefaultAckTimeout  = 10 * time.Second
)

// PublisherConfig configures a Publisher.
type PublisherConfig struct {
	// Stream is the log stream's name. Every publish carries it as the
	// expected stream, so a subject bound to another stream is an error
	// rather than a silent misroute. Default DefaultStream.
	Stream string

	// MaxInFlight bounds the asynchronous publishes of one Batch that are
	// not acknowledged yet; Batch.Add blocks at the bound. Keep it at or
	// below the JetStream context's own async limit (4000 unless set with
	// jetstream.WithPublishAsyncMaxPending). Default DefaultMaxInFlight.
	MaxInFlight int

	// AckTimeout is how long a Batch waits for one acknowledgement before
	// reporting ErrAckTimeout for that message. Default DefaultAckTimeout.
	AckTimeout time.Duration
}

// Validate reports the first invalid field as an error wrapping
// ErrInvalidConfig.
func (c PublisherConfig) Validate() error {
	switch {
	case !validStreamName(c.Stream):
		return fmt.Errorf("%w: Stream %q: no spaces, dots, '*', '>' or path separators", ErrInvalidConfig, c.Stream)
	case c.MaxInFlight < 0:
		return fmt.Errorf("%w: MaxInFlight %d < 0", ErrInvalidConfig, c.MaxInFlight)
	case c.AckTimeout < 0:
		return fmt.Errorf("%w: AckTimeout %v < 0", ErrInvalidConfig, c.AckTimeout)
	}
	return nil
}

// Publisher appends transactions and labels to the log. Each message's
// Nats-Msg-Id is the transaction id (for a label, LabelMsgID), so a re-send
// inside the stream's Duplicates window is dropped by the server and
// reported as a duplicate. The body is the contract's JSON. A Publisher is
// safe for concurrent use.
type Publisher struct {
	js  jetstream.JetStream
	cfg PublisherConfig
}

// NewPublisher returns a Publisher on js.
func NewPublisher(js jetstream.JetStream, cfg PublisherConfig) (*Publisher, error) {
	if js == nil {
		return nil, fmt.Errorf("%w: nil JetStream", ErrInvalidConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Stream == "" {
		cfg.Stream = DefaultStream
	}
	if cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if cfg.AckTimeout == 0 {
		cfg.AckTimeout = DefaultAckTimeout
	}
	return &Publisher{js: js, cfg: cfg}, nil
}

// Ack is the server's answer to one publish.
type Ack struct {
	// Seq is the message's stream sequence; for a duplicate, the sequence
	// of the copy stored first.
	Seq uint64
	// Duplicate is true when the server already held a message with the
	// same id (within the Duplicates window) and dropped this one.
	Duplicate bool
}

// Publish validates t and appends it, waiting for the server's
// acknowledgement. An invalid t is an error wrapping graph.ErrInvalid and
// nothing is sent; a missing acknowledgement wraps ErrPublish. t.Card must
// already be a token (ingest's decoders tokenise card numbers).
func (p *Publisher) Publish(ctx context.Context, t *graph.Transaction) (Ack, error) {
	return p.publishSync(ctx, graph.Mutation{Txn: t})
}

// PublishLabel validates l and appends it, waiting for the acknowledgement.
// Errors are as for Publish.
func (p *Publisher) PublishLabel(ctx context.Context, l *graph.Label) (Ack, error) {
	return p.publishSync(ctx, graph.Mutation{Label: l})
}

func (p *Publisher) publishSync(ctx context.Context, m graph.Mutation) (Ack, error) {
	msg, id, err := p.message(m, nil)
	if err != nil {
		return Ack{}, err
	}
	pa, err := p.js.PublishMsg(ctx, msg, jetstream.WithMsgID(id), jetstream.WithExpectStream(p.cfg.Stream))
	if err != nil {
		return Ack{}, fmt.Errorf("%w: %s: %w", ErrPublish, msg.Subject, err)
	}
	return Ack{Seq: pa.Sequence, Duplicate: pa.Duplicate}, nil
}

// message validates m and encodes it into a message, appending the body to
// buf. It returns the message id.
func (p *Publisher) message(m graph.Mutation, buf []byte) (*nats.Msg, string, error) {
	if err := m.Validate(); err != nil {
		return nil, "", fmt.Errorf("stream: publish: %w", err)
	}
	if m.Txn != nil {
		return &nats.Msg{Subject: SubjectTxn, Data: ingest.AppendTransactionJSON(buf, m.Txn)}, m.Txn.ID, nil
	}
	return &nats.Msg{Subject: SubjectLabel, Data: ingest.AppendLabelJSON(buf, m.Label)}, LabelMsgID(m.Label), nil
}

// LabelMsgID returns a label's message id: "label-" and 32 hex digits of
// SHA-256 over its target, class, time (Unix nanoseconds, so the time zone
// does not matter) and source. The same verdict re-sent gets the same id
// and is deduplicated; a new verdict about the same node (another class,
// time or source) is a new message.
func LabelMsgID(l *graph.Label) string {
	h := sha256.New()
	ref := l.Target()
	var n [8]byte
	writeField := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	writeField(ref.Kind.String())
	writeField(ref.ID)
	writeField(string(l.Class))
	var ns int64
	if !l.Time.IsZero() {
		ns = l.Time.UnixNano()
	}
	binary.BigEndian.PutUint64(n[:], uint64(ns))
	h.Write(n[:])
	writeField(l.Source)
	var sum [sha256.Size]byte
	return "label-" + hex.EncodeToString(h.Sum(sum[:0])[:16])
}

// Result is the outcome of one asynchronous publish.
type Result struct {
	// Index is the message's position among the Batch's accepted Adds
	// (and in PublishBatch's input).
	Index int
	// ID is the message id (transaction id or LabelMsgID).
	ID string
	Ack
	// Err is nil, or an error wrapping ErrPublish (ErrAckTimeout when no
	// acknowledgement came in time; a server refusal otherwise). Such a
	// message may or may not be stored: publish it again, the id makes
	// that safe.
	Err error
}

// Summary counts a Batch's outcomes.
type Summary struct {
	Published  int    // messages acknowledged as new
	Duplicates int    // messages the server dropped as duplicates
	Failed     int    // messages without an acknowledgement (Result.Err set)
	LastSeq    uint64 // largest acknowledged stream sequence (new or duplicate)
}

// Batch publishes asynchronously, for bulk ingest: Add returns once the
// message is sent, without waiting for its acknowledgement; at most
// PublisherConfig.MaxInFlight are unacknowledged at any time. Wait waits for
// all of them. A Batch is used by one goroutine.
type Batch struct {
	p      *Publisher
	onAck  func(Result)
	slots  chan struct{}
	queue  chan pending
	done   chan struct{}
	n      int
	closed bool

	sum Summary // written by the collector, read after done
	err error   // first failure, ditto
}

type pending struct {
	index int
	id    string
	fut   jetstream.PubAckFuture
	buf   *[]byte
	sent  time.Time
}

var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// NewBatch starts a Batch. onAck, when not nil, is called once per message
// in Add order, from one goroutine, as acknowledgements arrive; it must not
// call the Batch.
func (p *Publisher) NewBatch(onAck func(Result)) *Batch {
	b := &Batch{
		p:     p,
		onAck: onAck,
		slots: make(chan struct{}, p.cfg.MaxInFlight),
		queue: make(chan pending, p.cfg.MaxInFlight),
		done:  make(chan struct{}),
	}
	go b.collect()
	return b
}

// Add validates m and sends it, blocking while MaxInFlight messages await
// their acknowledgement. An invalid m is an error wrapping graph.ErrInvalid
// and is not sent (nor counted: the Batch stays usable). Other errors (ctx
// done, the connection closed) mean m was not sent. m.Seq is ignored.
func (b *Batch) Add(ctx context.Context, m graph.Mutation) error {
	if b.closed {
		return ErrBatchClosed
	}
	buf := bodyPool.Get().(*[]byte)
	msg, id, err := b.p.message(m, (*buf)[:0])
	if err != nil {
		bodyPool.Put(buf)
		return err
	}
	*buf = msg.Data
	select {
	case b.slots <- struct{}{}:
	case <-ctx.Done():
		bodyPool.Put(buf)
		return ctx.Err()
	}
	fut, err := b.p.js.PublishMsgAsync(msg, jetstream.WithMsgID(id), jetstream.WithExpectStream(b.p.cfg.Stream))
	if err != nil {
		<-b.slots
		bodyPool.Put(buf)
		return fmt.Errorf("%w: %s: %w", ErrPublish, msg.Subject, err)
	}
	b.queue <- pending{index: b.n, id: id, fut: fut, buf: buf, sent: time.Now()}
	b.n++
	return nil
}

// collect resolves the futures in Add order.
func (b *Batch) collect() {
	defer close(b.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for pd := range b.queue {
		r := Result{Index: pd.index, ID: pd.id}
		// Deadlines run from each send, so futures that never resolve
		// all time out within AckTimeout of the last send, not one after
		// the other.
		timer.Reset(time.Until(pd.sent.Add(b.p.cfg.AckTimeout)))
		select {
		case pa := <-pd.fut.Ok():
			r.Ack = Ack{Seq: pa.Sequence, Duplicate: pa.Duplicate}
		case err := <-pd.fut.Err():
			r.Err = fmt.Errorf("%w: %s: %w", ErrPublish, pd.id, err)
		case <-timer.C:
			r.Err = fmt.Errorf("%w: %s after %v", ErrAckTimeout, pd.id, b.p.cfg.AckTimeout)
		}
		if r.Err == nil {
			// Only an acknowledged message is off the wire for good; on an
			// error the client may still retry it from its buffer.
			bodyPool.Put(pd.buf)
		}
		<-b.slots
		switch {
		case r.Err != nil:
			b.sum.Failed++
			if b.err == nil {
				b.err = r.Err
			}
		case r.Duplicate:
			b.sum.Duplicates++
		default:
			b.sum.Published++
		}
		if r.Err == nil {
			b.sum.LastSeq = max(b.sum.LastSeq, r.Seq)
		}
		if b.onAck != nil {
			b.onAck(r)
		}
	}
}

// Wait waits for the acknowledgement (or failure) of every message added
// and returns the counts. The error is the first failure, wrapping
// ErrPublish, or ctx's error if ctx ends first (the Batch's outcomes are
// then lost to the caller). A Batch cannot be added to after Wait.
func (b *Batch) Wait(ctx context.Context) (Summary, error) {
	if !b.closed {
		b.closed = true
		close(b.queue)
	}
	select {
	case <-b.done:
		return b.sum, b.err
	case <-ctx.Done():
		return Summary{}, ctx.Err()
	}
}

// PublishBatch publishes ms asynchronously and waits for every
// acknowledgement. Results are index-aligned with ms; an invalid mutation
// gets a Result with Err wrapping graph.ErrInvalid and is not sent. The
// error is the first failure of any kind, nil when all were acknowledged.
func (p *Publisher) PublishBatch(ctx context.Context, ms []graph.Mutation) ([]Result, error) {
	res := make([]Result, len(ms))
	// origin[k] is the ms index of the Batch's k-th accepted message. It is
	// written before the Add that queues message k, so the collector, which
	// reads it after receiving message k, sees it.
	origin := make([]int, len(ms))
	b := p.NewBatch(func(r Result) {
		r.Index = origin[r.Index]
		res[r.Index] = r
	})
	var first error
	k := 0
	for i := range ms {
		origin[k] = i
		err := b.Add(ctx, ms[i])
		if err == nil {
			k++
			continue
		}
		res[i] = Result{Index: i, Err: err}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			for j := i + 1; j < len(ms); j++ {
				res[j] = Result{Index: j, Err: ctx.Err()}
			}
			break
		}
	}
	_, err := b.Wait(ctx)
	if first == nil {
		first = err
	}
	return res, first
}
