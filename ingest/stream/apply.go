package stream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest"
)

// decoded holds the decoding of c.work: for message i, either errs[i], or
// groups[i] (a group message's records), or labels[i] (a label), or
// txns[i] (a transaction).
type decoded struct {
	txns   []graph.Transaction // fresh per batch: the store may keep pointers into it
	labels []*graph.Label
	groups [][]record
	errs   []error
}

// record is one record of a group message (HeaderRecords): its line, and
// its decoding or the error that stops it.
type record struct {
	line  []byte
	txn   *graph.Transaction
	label *graph.Label
	err   error
}

// minParallelDecode is the smallest batch decoded by more than one
// goroutine: below it, starting them costs more than it saves.
const minParallelDecode = 256

// decodeAll decodes c.work, split across DecodeWorkers goroutines when the
// batch is large. Decoding (JSON, validation, card screening) is most of
// the consumer's CPU time; applying stays on one goroutine, in order.
func (c *Consumer) decodeAll() decoded {
	n := len(c.work)
	d := decoded{
		txns:   make([]graph.Transaction, n),
		labels: slices.Grow(c.labels[:0], n)[:n],
		groups: slices.Grow(c.groups[:0], n)[:n],
		errs:   slices.Grow(c.errs[:0], n)[:n],
	}
	clear(d.labels)
	clear(d.groups)
	clear(d.errs)
	c.labels, c.groups, c.errs = d.labels, d.groups, d.errs
	workers := c.cfg.DecodeWorkers
	if n < minParallelDecode || workers <= 1 {
		c.decodeRange(d, 0, n)
		return d
	}
	workers = min(workers, n/(minParallelDecode/4))
	chunk := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := chunk; lo < n; lo += chunk {
		wg.Go(func() { c.decodeRange(d, lo, min(lo+chunk, n)) })
	}
	c.decodeRange(d, 0, min(chunk, n))
	wg.Wait()
	return d
}

func (c *Consumer) decodeRange(d decoded, lo, hi int) {
	for i := lo; i < hi; i++ {
		m := c.work[i]
		if h := m.Headers(); h != nil && h.Get(HeaderRecords) != "" {
			d.groups[i], d.errs[i] = c.decodeGroup(m)
			continue
		}
		switch m.Subject() {
		case SubjectTxn:
			d.txns[i], d.errs[i] = ingest.DecodeTransaction(m.Data(), c.cfg.Tokenizer)
		case SubjectLabel:
			l, err := ingest.DecodeLabel(m.Data())
			if err != nil {
				d.errs[i] = err
				continue
			}
			d.labels[i] = &l
		default:
			d.errs[i] = fmt.Errorf("subject %q is neither %s nor %s: %w", m.Subject(), SubjectTxn, SubjectLabel, graph.ErrInvalid)
		}
	}
}

// decodeGroup decodes a group message's records, one per non-empty line.
// A record that does not decode stops only itself. The error is for a
// message that holds no record at all.
func (c *Consumer) decodeGroup(m jetstream.Msg) ([]record, error) {
	var recs []record
	data := m.Data()
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		r := record{line: line}
		switch m.Subject() {
		case SubjectTxn:
			t, err := ingest.DecodeTransaction(line, c.cfg.Tokenizer)
			r.txn, r.err = &t, err
		case SubjectLabel:
			l, err := ingest.DecodeLabel(line)
			r.label, r.err = &l, err
		default:
			return nil, fmt.Errorf("subject %q is neither %s nor %s: %w", m.Subject(), SubjectTxn, SubjectLabel, graph.ErrInvalid)
		}
		recs = append(recs, r)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%s: %q but no records: %w", HeaderRecords, m.Headers().Get(HeaderRecords), graph.ErrInvalid)
	}
	return recs, nil
}

// poison is a message, or one record of a group message, that will not be
// applied.
type poison struct {
	msg        jetstream.Msg
	seq        uint64
	deliveries uint64
	cause      error
	// rec is the 1-based record of a group message, 0 for a whole message;
	// data is that record's line.
	rec  int
	data []byte
}

// origin locates a mutation's source: its message, and for a group
// message the record (1-based) and its line.
type origin struct {
	msg  jetstream.Msg
	rec  int
	data []byte
}

// process resolves one batch of deliveries, in stream order: messages that
// do not decode go to the dead-letter stream first, then the rest are
// applied (retried in place on failure), and only then is anything
// acknowledged and the resolved sequence advanced. A lost delivery ends
// the session after the messages before it (errResubscribe).
func (c *Consumer) process(ctx context.Context, s *session, batch []jetstream.Msg) error {
	resolved := c.resolvedSeq()
	top := resolved
	var topMsg jetstream.Msg
	c.work, c.seqs = c.work[:0], c.seqs[:0]
	gap := false
	for _, m := range batch {
		delivered, seq, dseq, ok := ackMeta(m.Reply())
		if !ok {
			c.log.Warn("consumer: delivery without JetStream metadata, skipped", "subject", m.Subject())
			continue
		}
		if dseq != s.nextDelivery {
			c.log.Warn("consumer: deliveries lost, resubscribing", "want_delivery", s.nextDelivery, "got_delivery", dseq)
			gap = true
			break
		}
		s.nextDelivery++
		if seq <= top {
			// A redelivery (AckWait passed) of a message resolved already,
			// or of one earlier in this batch.
			c.redelivered.Add(1)
			if seq <= resolved {
				_ = m.Ack()
			}
			continue
		}
		if top == s.start-1 && seq > s.start {
			c.log.Warn("consumer: stream holds no messages in a range the store has not applied (deleted or expired)",
				"from_seq", s.start, "to_seq", seq-1)
		}
		top, topMsg = seq, m
		c.work = append(c.work, m)
		c.seqs = append(c.seqs, [2]uint64{seq, delivered})
	}

	d := c.decodeAll()
	c.muts, c.mmsg = c.muts[:0], c.mmsg[:0]
	var bad []poison
	for i, m := range c.work {
		seq, deliveries := c.seqs[i][0], c.seqs[i][1]
		switch {
		case d.errs[i] != nil:
			bad = append(bad, poison{msg: m, seq: seq, deliveries: deliveries, cause: d.errs[i]})
			continue
		case d.groups[i] != nil:
			for k, r := range d.groups[i] {
				if r.err != nil {
					bad = append(bad, poison{msg: m, seq: seq, deliveries: deliveries, cause: r.err, rec: k + 1, data: r.line})
					continue
				}
				c.muts = append(c.muts, graph.Mutation{Seq: seq, Txn: r.txn, Label: r.label})
				c.mmsg = append(c.mmsg, origin{msg: m, rec: k + 1, data: r.line})
			}
			continue
		case d.labels[i] != nil:
			c.muts = append(c.muts, graph.Mutation{Seq: seq, Label: d.labels[i]})
		default:
			c.muts = append(c.muts, graph.Mutation{Seq: seq, Txn: &d.txns[i]})
		}
		c.mmsg = append(c.mmsg, origin{msg: m})
	}
	clear(c.work)

	for _, p := range bad {
		if err := c.deadLetter(ctx, p); err != nil {
			return err
		}
	}
	failed, err := c.applyAll(ctx)
	if err != nil {
		return err
	}
	for _, p := range bad {
		_ = p.msg.Term()
	}
	for _, m := range failed {
		_ = m.Term()
	}
	if c.cfg.PerMessageAcks {
		for _, o := range c.mmsg {
			_ = o.msg.Ack() // dead-lettered ones are terminated already; this is a no-op for them
		}
	} else if topMsg != nil {
		_ = topMsg.Ack()
	}
	clear(c.mmsg) // drop references for the GC
	if top > resolved {
		c.setResolved(top)
	}
	if gap {
		return errResubscribe
	}
	return nil
}

// applyAll applies c.muts, retrying as ConsumerConfig says. It returns the
// messages it dead-lettered (to be terminated).
func (c *Consumer) applyAll(ctx context.Context) ([]jetstream.Msg, error) {
	if len(c.muts) == 0 {
		return nil, nil
	}
	delay := c.cfg.RetryDelay
	for {
		a, err := c.store.Apply(ctx, c.muts...)
		if err == nil {
			c.account(a, len(c.muts))
			return nil, nil
		}
		if err := c.fatal(ctx, err); err != nil {
			return nil, err
		}
		c.retries.Add(1)
		if !errors.Is(err, graph.ErrUnavailable) {
			c.log.Warn("consumer: batch apply failed, applying one by one", "messages", len(c.muts), "err", errClass(err))
			break
		}
		c.log.Warn("consumer: store unavailable, retrying batch", "in", delay)
		if !sleep(ctx, delay) {
			return nil, ctx.Err()
		}
		delay = min(2*delay, c.cfg.MaxRetryDelay)
	}
	var failed []jetstream.Msg
	for i := range c.muts {
		ok, err := c.applyOne(ctx, i)
		if err != nil {
			return nil, err
		}
		if !ok {
			failed = append(failed, c.mmsg[i].msg)
		}
	}
	return failed, nil
}

// applyOne applies c.muts[i] on its own, after the batch holding it failed
// once. It reports false when it dead-lettered the message instead.
func (c *Consumer) applyOne(ctx context.Context, i int) (bool, error) {
	tries := 1 // the failed batch
	delay := c.cfg.RetryDelay
	for {
		tries++
		a, err := c.store.Apply(ctx, c.muts[i])
		if err == nil {
			c.account(a, 1)
			return true, nil
		}
		if err := c.fatal(ctx, err); err != nil {
			return false, err
		}
		switch {
		case errors.Is(err, graph.ErrInvalid):
			return false, c.deadLetterApplied(ctx, i, tries, err)
		case errors.Is(err, graph.ErrUnavailable):
			tries-- // not the message's fault
		case tries >= c.cfg.MaxDeliver:
			return false, c.deadLetterApplied(ctx, i, tries, fmt.Errorf("apply failed %d times: %w", tries, err))
		}
		c.retries.Add(1)
		if !sleep(ctx, delay) {
			return false, ctx.Err()
		}
		delay = min(2*delay, c.cfg.MaxRetryDelay)
	}
}

func (c *Consumer) deadLetterApplied(ctx context.Context, i, tries int, cause error) error {
	o := c.mmsg[i]
	delivered, _, _, _ := ackMeta(o.msg.Reply())
	return c.deadLetter(ctx, poison{msg: o.msg, seq: c.muts[i].Seq, deliveries: max(delivered, uint64(tries)), cause: cause,
		rec: o.rec, data: o.data})
}

// fatal returns nil for an apply error worth retrying, else the error Run
// should end with (ctx's own error when ctx ended).
func (c *Consumer) fatal(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, graph.ErrClosed) {
		return fmt.Errorf("%w: store: %w", ErrConsumer, err)
	}
	return nil
}

func (c *Consumer) account(a graph.Applied, n int) {
	c.applied.Add(int64(n))
	c.duplicates.Add(int64(a.Duplicates))
}

// errClass names an error's kind for logs without its text (which may
// quote message values).
func errClass(err error) string {
	switch {
	case errors.Is(err, graph.ErrInvalid):
		return "invalid"
	case errors.Is(err, graph.ErrUnavailable):
		return "unavailable"
	case errors.Is(err, graph.ErrNotFound):
		return "not found"
	}
	return "other"
}
