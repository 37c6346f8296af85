package stream

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest"
)

// Headers of a dead letter. Its body is the original message's body.
const (
	// HeaderReason says why the message was not applied, naming the field
	// when one is at fault ("amount: negative (-3)").
	HeaderReason = "Riskgraph-Reason"
	// HeaderField is the contract field at fault, "" when none is.
	HeaderField = "Riskgraph-Field"
	// HeaderSubject, HeaderStream and HeaderSeq locate the original.
	HeaderSubject = "Riskgraph-Subject"
	HeaderStream  = "Riskgraph-Stream"
	HeaderSeq     = "Riskgraph-Seq"
	// HeaderDeliveries is how many times the message was delivered or
	// tried against the store.
	HeaderDeliveries = "Riskgraph-Deliveries"
	// HeaderMsgID is the original Nats-Msg-Id (the transaction id).
	HeaderMsgID = "Riskgraph-Msg-Id"
	// HeaderRecord is, for one record of a group message (HeaderRecords),
	// its 1-based position; the dead letter's body is that record alone.
	HeaderRecord = "Riskgraph-Record"
)

// maxReason caps HeaderReason, in bytes.
const maxReason = 1024

// DeadLetterSubject returns the dead-letter subject for a message
// published on subject: SubjectDeadLetterPrefix and the subject's last
// token (riskgraph.v1.txn → riskgraph.v1.deadletter.txn).
func DeadLetterSubject(subject string) string {
	if i := strings.LastIndexByte(subject, '.'); i >= 0 {
		subject = subject[i+1:]
	}
	if subject == "" {
		subject = "unknown"
	}
	return SubjectDeadLetterPrefix + subject
}

// deadLetter publishes p to the dead-letter stream and waits for the
// acknowledgement, retrying until it comes or ctx ends: a message must be
// safe in the dead-letter stream before the consumer moves past it. The
// message id (stream:seq) makes a second attempt after a restart a
// duplicate.
func (c *Consumer) deadLetter(ctx context.Context, p poison) error {
	field, reason := describe(p.cause)
	data := p.msg.Data()
	if p.rec > 0 {
		data = p.data
	}
	dm := &nats.Msg{Subject: DeadLetterSubject(p.msg.Subject()), Data: data, Header: nats.Header{}}
	dm.Header.Set(HeaderReason, reason)
	dm.Header.Set(HeaderField, field)
	dm.Header.Set(HeaderSubject, p.msg.Subject())
	dm.Header.Set(HeaderStream, c.cfg.Stream)
	dm.Header.Set(HeaderSeq, strconv.FormatUint(p.seq, 10))
	dm.Header.Set(HeaderDeliveries, strconv.FormatUint(max(p.deliveries, 1), 10))
	if h := p.msg.Headers(); h != nil {
		if id := h.Get(jetstream.MsgIDHeader); id != "" {
			dm.Header.Set(HeaderMsgID, id)
		}
	}
	id := c.cfg.Stream + ":" + strconv.FormatUint(p.seq, 10)
	if p.rec > 0 {
		dm.Header.Set(HeaderRecord, strconv.Itoa(p.rec))
		id += ":" + strconv.Itoa(p.rec)
	}
	delay := c.cfg.RetryDelay
	for {
		_, err := c.js.PublishMsg(ctx, dm, jetstream.WithMsgID(id), jetstream.WithExpectStream(c.cfg.DeadLetterStream))
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.log.Warn("consumer: dead-letter publish failed, retrying", "seq", p.seq, "err", err, "in", delay)
		if !sleep(ctx, delay) {
			return ctx.Err()
		}
		delay = min(2*delay, c.cfg.MaxRetryDelay)
	}
	c.deadLettered.Add(1)
	// The reason stays out of the log: it may quote a value.
	c.log.Warn("consumer: message dead-lettered", "seq", p.seq, "subject", p.msg.Subject(), "field", field,
		"class", errClass(p.cause), "deliveries", p.deliveries)
	return nil
}

// describe returns the field at fault (if any) and a one-line reason.
func describe(err error) (field, reason string) {
	var re *ingest.RowError
	var fe *graph.FieldError
	switch {
	case errors.As(err, &re):
		field = re.Field
	case errors.As(err, &fe):
		field = fe.Field
	}
	reason = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, err.Error())
	if len(reason) > maxReason {
		reason = strings.ToValidUTF8(reason[:maxReason], "") + "…"
	}
	return field, reason
}
