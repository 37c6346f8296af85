package creative

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/riskgraph/riskgraph/signal"
)

// Subscriber is the part of *nats.Conn that Subscribe needs.
type Subscriber interface {
	Subscribe(subject string, cb nats.MsgHandler) (*nats.Subscription, error)
}

var _ Subscriber = (*nats.Conn)(nil)

// Subscribe consumes signals published on subject (empty:
// signal.SubjectAll) and hands each to Handle. Messages that do not decode
// as v1 signals, or that Handle refuses, are counted in Stats.Invalid and
// otherwise ignored. The caller unsubscribes (or drains) the returned
// subscription.
func (c *Creative) Subscribe(nc Subscriber, subject string) (*nats.Subscription, error) {
	if subject == "" {
		subject = signal.SubjectAll
	}
	sub, err := nc.Subscribe(subject, func(m *nats.Msg) {
		c.received.Add(1)
		s, err := signal.Decode(m.Data)
		if err == nil {
			err = c.Handle(context.Background(), s)
		}
		if err != nil {
			c.invalid.Add(1)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("creative: subscribe %s: %w", subject, err)
	}
	return sub, nil
}
