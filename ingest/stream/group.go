package stream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest"
)

// HeaderRecords marks a group message: its body holds that many records
// (transactions on SubjectTxn, labels on SubjectLabel), one JSON object per
// line. A message without it holds exactly one record.
const HeaderRecords = "Riskgraph-Records"

// Defaults applied to zero GroupConfig fields.
const (
	DefaultGroupRecords = 256
	DefaultGroupBytes   = 512 << 10
)

// GroupConfig configures a GroupCommitter.
type GroupConfig struct {
	// Stream is the log stream's name (default DefaultStream).
	Stream string
	// MaxRecords caps the records in one group message (default
	// DefaultGroupRecords); 1 turns grouping off.
	MaxRecords int
	// MaxBytes caps a group message's body (default DefaultGroupBytes). A
	// record larger than it travels alone.
	MaxBytes int
	// AckTimeout bounds the wait for one group's acknowledgement (default
	// DefaultAckTimeout).
	AckTimeout time.Duration
}

// Validate reports the first invalid field as an error wrapping
// ErrInvalidConfig.
func (c GroupConfig) Validate() error {
	if err := (PublisherConfig{Stream: c.Stream, AckTimeout: c.AckTimeout}).Validate(); err != nil {
		return err
	}
	switch {
	case c.MaxRecords < 0 || c.MaxRecords > 65536:
		return fmt.Errorf("%w: MaxRecords %d: want 0..65536", ErrInvalidConfig, c.MaxRecords)
	case c.MaxBytes < 0:
		return fmt.Errorf("%w: MaxBytes %d < 0", ErrInvalidConfig, c.MaxBytes)
	}
	return nil
}

// GroupCommitter appends transactions to the log with group commit: while
// one group message is being stored (with a stream that syncs every write,
// one fsync), the transactions that arrive meanwhile queue up and go out
// together in the next message. Append returns only once its
// transaction's group is acknowledged, so a caller that answers after
// Append knows the transaction is durable, and the log's write rate is
// bounded by groups per second rather than transactions per second. A
// lone transaction waits for no one: grouping costs no latency at low
// load.
//
// Group messages carry no per-transaction Nats-Msg-Id, so the server does
// not deduplicate their transactions; the graph does (applying a
// transaction id twice changes nothing). A GroupCommitter is safe for
// concurrent use.
type GroupCommitter struct {
	js  jetstream.JetStream
	cfg GroupConfig

	mu      sync.Mutex
	pending []*groupWaiter
	closed  bool
	wake    chan struct{}
	done    chan struct{}
	pool    sync.Pool
	groups  int64
	records int64
}

type groupWaiter struct {
	g    *GroupCommitter
	id   string
	body []byte
	done chan struct{}
	ack  Ack
	err  error
}

// NewGroupCommitter starts a GroupCommitter on js. Close stops it.
func NewGroupCommitter(js jetstream.JetStream, cfg GroupConfig) (*GroupCommitter, error) {
	if js == nil {
		return nil, fmt.Errorf("%w: nil JetStream", ErrInvalidConfig)
	}
	if cfg.Stream == "" {
		cfg.Stream = DefaultStream
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxRecords == 0 {
		cfg.MaxRecords = DefaultGroupRecords
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultGroupBytes
	}
	if cfg.AckTimeout == 0 {
		cfg.AckTimeout = DefaultAckTimeout
	}
	g := &GroupCommitter{js: js, cfg: cfg, wake: make(chan struct{}, 1), done: make(chan struct{})}
	g.pool.New = func() any { return &groupWaiter{done: make(chan struct{}, 1)} }
	go g.loop()
	return g, nil
}

// Append validates t and appends it to the log in the next group, waiting
// for that group's acknowledgement or ctx. An invalid t wraps
// graph.ErrInvalid and nothing is sent; a failed or unacknowledged group
// wraps ErrPublish; after Close, ErrCommitterClosed. When ctx ends first the
// transaction may still be stored. t.Card must already be a token.
func (g *GroupCommitter) Append(ctx context.Context, t *graph.Transaction) (Ack, error) {
	p, err := g.Begin(t)
	if err != nil {
		return Ack{}, err
	}
	return p.Wait(ctx)
}

// Pending is a transaction queued by Begin, not yet waited for.
type Pending struct {
	w *groupWaiter
}

// Begin is Append's first half: it validates t, encodes it and queues it
// for the next group, without waiting; the caller goes on with other work
// and then calls Wait exactly once. Its errors are Append's, less the
// publish ones, which Wait returns.
func (g *GroupCommitter) Begin(t *graph.Transaction) (Pending, error) {
	if err := t.Validate(); err != nil {
		return Pending{}, fmt.Errorf("stream: append: %w", err)
	}
	w := g.pool.Get().(*groupWaiter)
	w.g, w.id, w.body, w.ack, w.err = g, t.ID, ingest.AppendTransactionJSON(w.body[:0], t), Ack{}, nil
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		g.pool.Put(w)
		return Pending{}, ErrCommitterClosed
	}
	g.pending = append(g.pending, w)
	g.mu.Unlock()
	select {
	case g.wake <- struct{}{}:
	default:
	}
	return Pending{w}, nil
}

// Wait waits for the acknowledgement of p's group, or ctx. When ctx ends
// first the transaction may still be stored.
func (p Pending) Wait(ctx context.Context) (Ack, error) {
	w := p.w
	select {
	case <-w.done:
		ack, err := w.ack, w.err
		w.g.pool.Put(w)
		return ack, err
	case <-ctx.Done():
		// The waiter still belongs to the loop, which will signal it; it
		// is not returned to the pool.
		return Ack{}, fmt.Errorf("stream: append %s: %w", w.id, ctx.Err())
	}
}

// GroupStats counts the group messages sent and the records they carried.
type GroupStats struct {
	Groups, Records int64
}

// Stats returns the counts so far.
func (g *GroupCommitter) Stats() GroupStats {
	g.mu.Lock()
	defer g.mu.Unlock()
	return GroupStats{Groups: g.groups, Records: g.records}
}

// Close stops accepting transactions, sends what is pending and returns
// once it is acknowledged (or failed).
func (g *GroupCommitter) Close() {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		<-g.done
		return
	}
	g.closed = true
	g.mu.Unlock()
	select {
	case g.wake <- struct{}{}:
	default:
	}
	<-g.done
}

func (g *GroupCommitter) loop() {
	defer close(g.done)
	var group []*groupWaiter
	var body []byte
	for {
		<-g.wake
		for {
			g.mu.Lock()
			group = group[:0]
			n, size := 0, 0
			for n < len(g.pending) && n < g.cfg.MaxRecords {
				s := len(g.pending[n].body) + 1
				if n > 0 && size+s > g.cfg.MaxBytes {
					break
				}
				size += s
				n++
			}
			group = append(group, g.pending[:n]...)
			rest := copy(g.pending, g.pending[n:])
			clear(g.pending[rest:])
			g.pending = g.pending[:rest]
			closed := g.closed
			g.mu.Unlock()
			if len(group) == 0 {
				if closed {
					return
				}
				break
			}
			body = g.send(group, body[:0])
		}
	}
}

// send publishes one group and signals its waiters.
func (g *GroupCommitter) send(group []*groupWaiter, body []byte) []byte {
	var msg *nats.Msg
	var id string
	if len(group) == 1 {
		msg, id = &nats.Msg{Subject: SubjectTxn, Data: group[0].body}, group[0].id
	} else {
		h := sha256.New()
		for i, w := range group {
			if i > 0 {
				body = append(body, '\n')
			}
			body = append(body, w.body...)
			h.Write([]byte(w.id))
			h.Write([]byte{0})
		}
		msg = &nats.Msg{Subject: SubjectTxn, Data: body, Header: nats.Header{}}
		msg.Header.Set(HeaderRecords, strconv.Itoa(len(group)))
		id = "group-" + hex.EncodeToString(h.Sum(nil)[:16])
	}
	ctx, cancel := context.WithTimeout(context.Background(), g.cfg.AckTimeout)
	pa, err := g.js.PublishMsg(ctx, msg, jetstream.WithMsgID(id), jetstream.WithExpectStream(g.cfg.Stream))
	cancel()
	var ack Ack
	if err != nil {
		err = fmt.Errorf("%w: group of %d: %w", ErrPublish, len(group), err)
	} else {
		ack = Ack{Seq: pa.Sequence, Duplicate: pa.Duplicate}
	}
	g.mu.Lock()
	g.groups++
	g.records += int64(len(group))
	g.mu.Unlock()
	for _, w := range group {
		w.ack, w.err = ack, err
		w.done <- struct{}{}
	}
	return body
}
