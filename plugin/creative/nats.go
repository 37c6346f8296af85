package creative

import (
	"github.com/nats-io/nats.go"

	"github.com/riskgraph/riskgraph/signal"
)

// Subscriber is the part of *nats.Conn that Subscribe needs.
type Subscriber = signal.Subscriber

// Subscribe consumes signals published on subject (empty:
// signal.SubjectAll) and hands each to Handle. Messages that do not decode
// as v1 signals, or that Handle refuses, are counted in Stats.Invalid and
// otherwise ignored. The caller unsubscribes (or drains) the returned
// subscription.
func (c *Creative) Subscribe(nc Subscriber, subject string) (*nats.Subscription, error) {
	return signal.Subscribe(nc, subject, c, func(ok bool) {
		c.received.Add(1)
		if !ok {
			c.invalid.Add(1)
		}
	})
}
