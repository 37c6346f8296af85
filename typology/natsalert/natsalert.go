package natsalert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/typology"
)

// Defaults and names.
const (
	// DefaultStream is the alert stream's name.
	DefaultStream = "RISKGRAPH_ALERTS"
	// SubjectPrefix + the typology name is an alert's subject.
	SubjectPrefix = "riskgraph.v1.alert."
	// DefaultDuplicates is the message-id deduplication window. Alerts are
	// few (thousands a day, not thousands a second), so the server can
	// afford to remember a day of ids: a daily re-scan stores nothing new.
	DefaultDuplicates = 24 * time.Hour
)

// Sentinel errors; test with errors.Is.
var (
	// ErrInvalidConfig: a Config field is out of range (the error names it).
	ErrInvalidConfig = errors.New("natsalert: invalid config")
	// ErrInvalidAlert: an alert cannot be published (no id, a typology
	// that is not a subject token, no time).
	ErrInvalidAlert = errors.New("natsalert: invalid alert")
	// ErrPublish: JetStream did not acknowledge a publish.
	ErrPublish = errors.New("natsalert: publish failed")
	// ErrCorrupt: a message in the stream is not an alert.
	ErrCorrupt = errors.New("natsalert: corrupt alert message")
)

// Config configures the alert stream.
type Config struct {
	// Stream names the stream. 0 → DefaultStream.
	Stream string
	// Duplicates is the deduplication window. 0 → DefaultDuplicates.
	Duplicates time.Duration
	// Replicas: 1 for the embedded server (0 → 1), 3 in a cluster; at
	// most 5.
	Replicas int
	// MaxAge bounds how long alerts are kept (0: for ever). At least
	// Duplicates when set.
	MaxAge time.Duration
}

// Validate reports the first invalid field as an error wrapping
// ErrInvalidConfig. Zero fields are valid (they mean the default).
func (c Config) Validate() error {
	switch {
	case strings.ContainsAny(c.Stream, " \t\r\n.*>/\\"):
		return fmt.Errorf("%w: Stream %q: no spaces, dots, '*', '>' or path separators", ErrInvalidConfig, c.Stream)
	case c.Duplicates < 0:
		return fmt.Errorf("%w: Duplicates %v < 0", ErrInvalidConfig, c.Duplicates)
	case c.Replicas < 0 || c.Replicas > 5:
		return fmt.Errorf("%w: Replicas %d: want 1..5", ErrInvalidConfig, c.Replicas)
	case c.MaxAge < 0:
		return fmt.Errorf("%w: MaxAge %v < 0", ErrInvalidConfig, c.MaxAge)
	case c.MaxAge > 0 && c.withDefaults().Duplicates > c.MaxAge:
		return fmt.Errorf("%w: Duplicates %v exceeds MaxAge %v", ErrInvalidConfig, c.withDefaults().Duplicates, c.MaxAge)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.Duplicates == 0 {
		c.Duplicates = DefaultDuplicates
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	return c
}

// Log is the alert stream. It is safe for concurrent use.
type Log struct {
	js  jetstream.JetStream
	cfg Config
}

// Open creates the alert stream, or updates it to cfg if it exists
// (JetStream refuses changes it cannot make, such as the storage type),
// and returns the Log over it.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (*Log, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        cfg.Stream,
		Description: "riskgraph v1 typology alerts (msg id = alert id)",
		Subjects:    []string{SubjectPrefix + ">"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      cfg.MaxAge,
		Duplicates:  cfg.Duplicates,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("natsalert: ensure stream %s: %w", cfg.Stream, err)
	}
	return &Log{js: js, cfg: cfg}, nil
}

// Subject returns the subject of a typology's alerts.
func Subject(typ string) string { return SubjectPrefix + typ }

// Published counts what one Publish did.
type Published struct {
	Stored     int // alerts stored
	Duplicates int // alerts the stream already held (within its window)
}

// Publish appends alerts to the stream and waits for every
// acknowledgement. Every alert is checked first: one that cannot be
// published fails the call, naming its index, before anything is sent
// (ErrInvalidAlert). A missing acknowledgement is an error wrapping
// ErrPublish; the alerts acknowledged before it are stored.
func (l *Log) Publish(ctx context.Context, alerts ...typology.Alert) (Published, error) {
	var out Published
	msgs := make([]*nats.Msg, len(alerts))
	for i := range alerts {
		if err := check(&alerts[i]); err != nil {
			return out, fmt.Errorf("%w: alert %d (%q): %v", ErrInvalidAlert, i, alerts[i].ID, err)
		}
		data, err := json.Marshal(&alerts[i])
		if err != nil {
			return out, fmt.Errorf("%w: alert %d (%q): %v", ErrInvalidAlert, i, alerts[i].ID, err)
		}
		msgs[i] = &nats.Msg{Subject: Subject(alerts[i].Typology), Data: data}
	}
	// Publish in windows, so that a large scan never has more
	// acknowledgements outstanding than the client allows.
	for lo := 0; lo < len(msgs); lo += publishWindow {
		hi := min(lo+publishWindow, len(msgs))
		futures := make([]jetstream.PubAckFuture, 0, hi-lo)
		for i := lo; i < hi; i++ {
			f, err := l.js.PublishMsgAsync(msgs[i], jetstream.WithMsgID(alerts[i].ID), jetstream.WithExpectStream(l.cfg.Stream))
			if err != nil {
				return out, fmt.Errorf("%w: alert %q: %w", ErrPublish, alerts[i].ID, err)
			}
			futures = append(futures, f)
		}
		for k, f := range futures {
			id := alerts[lo+k].ID
			select {
			case ack := <-f.Ok():
				if ack.Duplicate {
					out.Duplicates++
				} else {
					out.Stored++
				}
			case err := <-f.Err():
				return out, fmt.Errorf("%w: alert %q: %w", ErrPublish, id, err)
			case <-ctx.Done():
				return out, fmt.Errorf("%w: alert %q: %w", ErrPublish, id, ctx.Err())
			}
		}
	}
	return out, nil
}

// publishWindow is how many alerts Publish sends before it waits for
// their acknowledgements.
const publishWindow = 512

// check reports why an alert cannot be published, or nil.
func check(a *typology.Alert) error {
	switch {
	case a.ID == "":
		return errors.New("no id")
	case a.Typology == "" || strings.ContainsAny(a.Typology, " \t\r\n.*>"):
		return fmt.Errorf("typology %q is not a subject token", a.Typology)
	case a.At.IsZero():
		return errors.New("no time (At)")
	}
	return nil
}

// List returns the alerts raised (At) at or after since — every alert for
// a zero since — in the order they were stored, each id once (the first
// stored). It reads the whole stream: alerts are few. A message that is
// not an alert is an error wrapping ErrCorrupt naming its sequence.
func (l *Log) List(ctx context.Context, since time.Time) ([]typology.Alert, error) {
	s, err := l.js.Stream(ctx, l.cfg.Stream)
	if err != nil {
		return nil, fmt.Errorf("natsalert: list: %w", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("natsalert: list: %w", err)
	}
	upto := info.State.LastSeq
	if info.State.Msgs == 0 {
		return nil, nil
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{InactiveThreshold: 30 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("natsalert: list: %w", err)
	}
	var out []typology.Alert
	seen := make(map[string]bool)
	for {
		batch, err := cons.Fetch(512, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return nil, fmt.Errorf("natsalert: list: %w", err)
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			meta, err := msg.Metadata()
			if err != nil {
				return nil, fmt.Errorf("natsalert: list: %w", err)
			}
			seq := meta.Sequence.Stream
			if seq > upto {
				return out, nil
			}
			a, err := Decode(msg.Data())
			if err != nil {
				return nil, fmt.Errorf("%w: %s sequence %d: %w", ErrCorrupt, l.cfg.Stream, seq, err)
			}
			if !seen[a.ID] && !a.At.Before(since) {
				out = append(out, a)
			}
			seen[a.ID] = true
			if seq >= upto {
				return out, nil
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return nil, fmt.Errorf("natsalert: list: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("natsalert: list: %w", err)
		}
		if n == 0 {
			return nil, fmt.Errorf("natsalert: list: the stream stopped before sequence %d", upto)
		}
	}
}

// Decode parses one alert message and checks that it can be an alert: an
// id, a typology, a time. Unknown fields are ignored (a newer writer may
// add some).
func Decode(data []byte) (typology.Alert, error) {
	var a typology.Alert
	if err := json.Unmarshal(data, &a); err != nil {
		return typology.Alert{}, err
	}
	if err := check(&a); err != nil {
		return typology.Alert{}, err
	}
	return a, nil
}
