package signal

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
)

// Subscriber is the part of *nats.Conn that Subscribe needs.
type Subscriber interface {
	Subscribe(subject string, cb nats.MsgHandler) (*nats.Subscription, error)
}

var _ Subscriber = (*nats.Conn)(nil)

// Subscribe runs p as a separate NATS consumer: every message published on
// subject (empty: SubjectAll) is decoded as a v1 signal and handed to
// p.Handle. count, when not nil, is called once per message with whether
// it decoded and was accepted; anything else about a bad message is
// ignored. The caller unsubscribes (or drains) the returned subscription.
func Subscribe(nc Subscriber, subject string, p Plugin, count func(ok bool)) (*nats.Subscription, error) {
	if subject == "" {
		subject = SubjectAll
	}
	sub, err := nc.Subscribe(subject, func(m *nats.Msg) {
		s, err := Decode(m.Data)
		if err == nil {
			err = p.Handle(context.Background(), s)
		}
		if count != nil {
			count(err == nil)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("signal: subscribe %s for %s: %w", subject, p.Name(), err)
	}
	return sub, nil
}
