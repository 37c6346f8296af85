package stream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// consumerIdle is how long the server keeps a consumer nobody pulls from
// (the process died): it then deletes it.
const consumerIdle = time.Minute

// session is one server-side consumer and its delivery pipe. The
// consumer is ephemeral and starts at a sequence the store chose; its own
// ack state only drives flow control and redelivery.
type session struct {
	js   jetstream.JetStream
	cons jetstream.Consumer
	cc   jetstream.ConsumeContext

	msgs   chan jetstream.Msg
	stop   chan struct{} // closed by close: unblocks the handler
	broken chan struct{} // closed when the server consumer is gone
	once   sync.Once

	nextDelivery uint64 // consumer sequence expected next (gap = lost delivery)
	start        uint64 // first stream sequence asked for
}

func (c *Consumer) subscribe(ctx context.Context, start uint64) (*session, error) {
	st, err := c.js.Stream(ctx, c.cfg.Stream)
	if err != nil {
		return nil, err
	}
	state := st.CachedInfo().State
	if state.LastSeq < start-1 {
		return nil, fmt.Errorf("%w: %w: applied up to sequence %d, stream %s ends at %d",
			ErrConsumer, ErrStoreAhead, start-1, c.cfg.Stream, state.LastSeq)
	}
	if state.Msgs > 0 && state.FirstSeq > start {
		c.log.Warn("consumer: the stream no longer holds messages the store has not applied (expired or deleted); rebuild from an older snapshot",
			"stream", c.cfg.Stream, "from_seq", start, "to_seq", state.FirstSeq-1)
	}
	window := 4 * c.cfg.BatchSize
	ack := jetstream.AckAllPolicy
	if c.cfg.PerMessageAcks {
		ack = jetstream.AckExplicitPolicy
	}
	cons, err := st.CreateConsumer(ctx, jetstream.ConsumerConfig{
		Description:   "riskgraph materialiser (ephemeral; start sequence from the graph store)",
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   start,
		AckPolicy:     ack,
		AckWait:       c.cfg.AckWait,
		// Retries are the consumer's business (in order, see Consumer); the
		// server only redelivers after AckWait, and must never give up on a
		// message the consumer has not resolved.
		MaxDeliver:        -1,
		MaxAckPending:     2 * window,
		InactiveThreshold: consumerIdle,
		// The consumer's state is throwaway: the store says where to
		// start. Memory storage keeps acks off the fsync'ed file store.
		MemoryStorage: true,
	})
	if err != nil {
		return nil, err
	}
	s := &session{
		js:           c.js,
		cons:         cons,
		msgs:         make(chan jetstream.Msg, window),
		stop:         make(chan struct{}),
		broken:       make(chan struct{}),
		nextDelivery: 1,
		start:        start,
	}
	s.cc, err = cons.Consume(s.handle,
		jetstream.PullMaxMessages(window),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) ||
				errors.Is(err, jetstream.ErrConnectionClosed) {
				s.breakOff()
			}
		}))
	if err != nil {
		s.deleteConsumer()
		return nil, err
	}
	return s, nil
}

func (s *session) handle(m jetstream.Msg) {
	select {
	case s.msgs <- m:
	case <-s.stop:
	}
}

func (s *session) breakOff() { s.once.Do(func() { close(s.broken) }) }

// close stops deliveries and deletes the server consumer (best effort: a
// consumer left behind is deleted by the server after consumerIdle).
func (s *session) close() {
	close(s.stop)
	s.cc.Stop()
	s.deleteConsumer()
}

func (s *session) deleteConsumer() {
	if s.js.Conn().IsClosed() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.js.DeleteConsumer(ctx, s.cons.CachedInfo().Stream, s.cons.CachedInfo().Name)
}

// ackMeta returns a message's delivery count, stream sequence and consumer
// (delivery) sequence from its reply subject without allocating:
//
//	$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>
//	$JS.ACK.<domain>.<hash>.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>[.<token>…]
func ackMeta(reply string) (delivered, sseq, dseq uint64, ok bool) {
	const prefix = "$JS.ACK."
	if len(reply) < len(prefix) || reply[:len(prefix)] != prefix {
		return 0, 0, 0, false
	}
	tokens := 1
	for i := 0; i < len(reply); i++ {
		if reply[i] == '.' {
			tokens++
		}
	}
	first := 4 // index of <delivered>
	switch {
	case tokens == 9:
	case tokens >= 11:
		first = 6
	default:
		return 0, 0, 0, false
	}
	var vals [3]uint64
	tok := 0
	start := 0
	for i := 0; i <= len(reply); i++ {
		if i < len(reply) && reply[i] != '.' {
			continue
		}
		if k := tok - first; k >= 0 && k < len(vals) {
			n, good := parseUint(reply[start:i])
			if !good {
				return 0, 0, 0, false
			}
			vals[k] = n
		}
		tok++
		start = i + 1
		if tok >= first+len(vals) {
			break
		}
	}
	return vals[0], vals[1], vals[2], true
}

func parseUint(s string) (uint64, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		d := s[i] - '0'
		if d > 9 {
			return 0, false
		}
		n = n*10 + uint64(d)
	}
	return n, true
}
