package casefile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest/stream"
)

// Names of the audit log.
const (
	DefaultStream = "RISKGRAPH_AUDIT"
	// SubjectPrefix + case id is the subject of a case's events.
	SubjectPrefix = "riskgraph.v1.audit.case."
	// Subjects is the stream's subject filter.
	Subjects = "riskgraph.v1.audit.>"
	// DefaultDuplicates is the window in which a re-sent event (same body)
	// is dropped.
	DefaultDuplicates = 10 * time.Minute
	// DefaultMaxRetries is how many times a write is retried after
	// conflicting with another writer.
	DefaultMaxRetries = 10
)

// Labeller publishes labels to the transaction log; the ingest/stream
// Publisher is one.
type Labeller interface {
	PublishLabel(ctx context.Context, l *graph.Label) (stream.Ack, error)
}

var _ Labeller = (*stream.Publisher)(nil)

// Config configures a Log.
type Config struct {
	// Stream names the audit stream. Default DefaultStream.
	Stream string
	// Replicas of the stream: 1 (the default) for the embedded server, 3
	// in a cluster.
	Replicas int
	// Now is the clock that stamps events. Required.
	Now func() time.Time
	// Labels receives the labels of cases closed as fraud or laundering.
	// Required.
	Labels Labeller
	// MaxRetries bounds retries after write conflicts. Default
	// DefaultMaxRetries.
	MaxRetries int
}

// Validate reports the first invalid field as an error wrapping
// ErrInvalidConfig.
func (c Config) Validate() error {
	switch {
	case c.Now == nil:
		return fmt.Errorf("%w: Now (the clock) is required", ErrInvalidConfig)
	case c.Labels == nil:
		return fmt.Errorf("%w: Labels (where case verdicts are published) is required", ErrInvalidConfig)
	case c.Replicas < 0 || c.Replicas > 5:
		return fmt.Errorf("%w: Replicas %d: want 0 to 5", ErrInvalidConfig, c.Replicas)
	case c.MaxRetries < 0:
		return fmt.Errorf("%w: MaxRetries is negative", ErrInvalidConfig)
	}
	return nil
}

// Log is the case file over one JetStream audit stream. It is safe for
// concurrent use, also by several processes: writes are optimistic (see
// the package documentation).
type Log struct {
	js  jetstream.JetStream
	str jetstream.Stream
	cfg Config
}

// Open creates the audit stream if needed (or updates it to cfg) and
// returns the Log over it.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (*Log, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Stream == "" {
		cfg.Stream = DefaultStream
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = DefaultMaxRetries
	}
	str, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        cfg.Stream,
		Description: "riskgraph case audit log: append-only",
		Subjects:    []string{Subjects},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardNew,
		Duplicates:  DefaultDuplicates,
		Replicas:    cfg.Replicas,
		DenyDelete:  true,
		DenyPurge:   true,
	})
	if err != nil {
		return nil, fmt.Errorf("casefile: audit stream %s: %w", cfg.Stream, err)
	}
	return &Log{js: js, str: str, cfg: cfg}, nil
}

// OpenRequest opens a case.
type OpenRequest struct {
	Actor string
	OpenData
}

// Open opens a case and returns it with its new id.
func (l *Log) Open(ctx context.Context, req OpenRequest) (Case, error) {
	for try := 0; ; try++ {
		info, err := l.str.Info(ctx)
		if err != nil {
			return Case{}, fmt.Errorf("casefile: audit stream: %w", err)
		}
		last := info.State.LastSeq
		now := l.cfg.Now().UTC()
		data := req.OpenData
		e := Event{Case: NewID(now, last+1), Action: ActionOpen, Actor: req.Actor, Time: now, Open: &data}
		var c Case
		if err := e.Validate(); err != nil {
			return c, err
		}
		// Expecting the stream's last sequence makes last+1 this event's
		// sequence, hence the id unique.
		err = l.append(ctx, &e, jetstream.WithExpectLastSequence(last))
		if err == nil {
			err = c.apply(&e)
			return c, err
		}
		if !isConflict(err) {
			return c, err
		}
		if try >= l.cfg.MaxRetries {
			return c, fmt.Errorf("%w: opening a case: %d tries", ErrConflict, try+1)
		}
		backoff(ctx, try)
	}
}

// Assign assigns the case to assignee.
func (l *Log) Assign(ctx context.Context, id, actor, assignee string) (Case, error) {
	return l.write(ctx, id, actor, ActionAssign, func(e *Event, _ *Case) { e.Assign = &AssignData{Assignee: assignee} })
}

// Note adds a note to the case.
func (l *Log) Note(ctx context.Context, id, actor, text string) (Case, error) {
	return l.write(ctx, id, actor, ActionNote, func(e *Event, _ *Case) { e.Note = &NoteData{Text: text} })
}

// Attach adds entities, transactions or alerts to the case.
func (l *Log) Attach(ctx context.Context, id, actor string, data AttachData) (Case, error) {
	return l.write(ctx, id, actor, ActionAttach, func(e *Event, _ *Case) { e.Attach = &data })
}

// Close closes the case with a disposition and a reason, then publishes
// the labels it produces (Case.Labels). When publishing fails the case
// stays closed and the error wraps ErrLabels: call PublishLabels.
func (l *Log) Close(ctx context.Context, id, actor string, d Disposition, reason string) (Case, error) {
	c, err := l.write(ctx, id, actor, ActionClose, func(e *Event, c *Case) {
		e.Close = &CloseData{Disposition: d, Reason: reason}
		closed := *c
		closed.Status, closed.Disposition, closed.Closed = StatusClosed, d, e.Time
		e.Close.Labels = len(closed.Labels())
	})
	if err != nil {
		return c, err
	}
	return c, l.publish(ctx, &c)
}

// PublishLabels publishes the labels of a closed case again (they are
// deduplicated by the label log). It returns how many were published.
func (l *Log) PublishLabels(ctx context.Context, id string) (int, error) {
	c, err := l.Get(ctx, id)
	if err != nil {
		return 0, err
	}
	if c.Status != StatusClosed {
		return 0, fmt.Errorf("%w: case %s is still open", ErrInvalid, id)
	}
	return len(c.Labels()), l.publish(ctx, &c)
}

func (l *Log) publish(ctx context.Context, c *Case) error {
	labels := c.Labels()
	for i := range labels {
		if _, err := l.cfg.Labels.PublishLabel(ctx, &labels[i]); err != nil {
			return fmt.Errorf("%w: case %s is closed, but %d of its %d labels were not published (%v): publish them again",
				ErrLabels, c.ID, len(labels)-i, len(labels), err)
		}
	}
	return nil
}

// ExportRequest records an export.
type ExportRequest struct {
	Actor  string
	Format string
	// Doc is exactly what was written; the event keeps its SHA-256.
	Doc  []byte
	Txns int
}

// RecordExport appends an export event for the case. Exports are allowed
// open or closed, except for a case closed as a false positive
// (ErrNotReportable).
func (l *Log) RecordExport(ctx context.Context, id string, req ExportRequest) (Case, error) {
	sum := sha256.Sum256(req.Doc)
	return l.write(ctx, id, req.Actor, ActionExport, func(e *Event, _ *Case) {
		e.Export = &ExportData{Format: req.Format, SHA256: hex.EncodeToString(sum[:]), Txns: req.Txns, Bytes: len(req.Doc)}
	})
}

// CheckExport says whether the case may be exported now, without writing
// anything: callers check before building a report.
func (l *Log) CheckExport(ctx context.Context, id string) (Case, error) {
	c, err := l.Get(ctx, id)
	if err != nil {
		return c, err
	}
	return c, c.check(ActionExport)
}

// write appends one event to an existing case, optimistically: fill sets
// the payload from the current state; a conflict re-reads and retries.
func (l *Log) write(ctx context.Context, id, actor string, a Action, fill func(*Event, *Case)) (Case, error) {
	for try := 0; ; try++ {
		c, err := l.Get(ctx, id)
		if err != nil {
			return c, err
		}
		if err := c.check(a); err != nil {
			return c, err
		}
		e := Event{Case: id, Action: a, Actor: actor, Time: l.cfg.Now().UTC()}
		fill(&e, &c)
		if err := e.Validate(); err != nil {
			return c, err
		}
		err = l.append(ctx, &e, jetstream.WithExpectLastSequenceForSubject(c.LastSeq, subject(id)))
		if err == nil {
			err = c.apply(&e)
			return c, err
		}
		if !isConflict(err) {
			return c, err
		}
		if try >= l.cfg.MaxRetries {
			return c, fmt.Errorf("%w: %s on case %s: %d tries", ErrConflict, a, id, try+1)
		}
		backoff(ctx, try)
	}
}

func subject(id string) string { return SubjectPrefix + id }

// append publishes e and sets e.Seq. The message id is a digest of the
// body, so a re-send of the same event is dropped by the server.
func (l *Log) append(ctx context.Context, e *Event, opts ...jetstream.PublishOpt) error {
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("casefile: encoding event: %w", err)
	}
	sum := sha256.Sum256(body)
	opts = append(opts, jetstream.WithMsgID("audit-"+hex.EncodeToString(sum[:16])), jetstream.WithExpectStream(l.cfg.Stream))
	ack, err := l.js.PublishMsg(ctx, &nats.Msg{Subject: subject(e.Case), Data: body}, opts...)
	if err != nil {
		return fmt.Errorf("casefile: appending %s to case %s: %w", e.Action, e.Case, err)
	}
	e.Seq = ack.Sequence
	return nil
}

func isConflict(err error) bool {
	var api *jetstream.APIError
	return errors.As(err, &api) && (api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

func backoff(ctx context.Context, try int) {
	t := time.NewTimer(time.Duration(1+try*try) * 5 * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Get returns the case with the given id: the fold of its events. An
// unknown id is an error wrapping ErrNotFound; a malformed one ErrInvalid.
func (l *Log) Get(ctx context.Context, id string) (Case, error) {
	events, err := l.Events(ctx, id)
	if err != nil {
		return Case{}, err
	}
	c, err := Fold(events)
	if err != nil {
		return c, fmt.Errorf("%w: case %s: %w", ErrCorrupt, id, err)
	}
	return c, nil
}

// Events returns the audit events of one case, oldest first, with Seq
// set.
func (l *Log) Events(ctx context.Context, id string) ([]Event, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	last, err := l.str.GetLastMsgForSubject(ctx, subject(id))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, fmt.Errorf("case %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("casefile: case %s: %w", id, err)
	}
	return l.read(ctx, subject(id), last.Sequence)
}

// All returns every event of the audit log, oldest first, with Seq set.
func (l *Log) All(ctx context.Context) ([]Event, error) {
	info, err := l.str.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("casefile: audit stream: %w", err)
	}
	return l.read(ctx, Subjects, info.State.LastSeq)
}

// List returns every case, folded, in id order (the order they were
// opened).
func (l *Log) List(ctx context.Context) ([]Case, error) {
	events, err := l.All(ctx)
	if err != nil {
		return nil, err
	}
	byCase := map[string][]Event{}
	for _, e := range events {
		byCase[e.Case] = append(byCase[e.Case], e)
	}
	out := make([]Case, 0, len(byCase))
	for id, evs := range byCase {
		c, err := Fold(evs)
		if err != nil {
			return nil, fmt.Errorf("%w: case %s: %w", ErrCorrupt, id, err)
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].ID, out[j].ID
		return len(a) < len(b) || (len(a) == len(b) && a < b)
	})
	return out, nil
}

// read returns the events on subject up to stream sequence upto, through
// an ordered consumer.
func (l *Log) read(ctx context.Context, filter string, upto uint64) ([]Event, error) {
	if upto == 0 {
		return nil, nil
	}
	cons, err := l.js.OrderedConsumer(ctx, l.cfg.Stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{filter}, InactiveThreshold: 30 * time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("casefile: reading the audit log: %w", err)
	}
	var out []Event
	for {
		batch, err := cons.Fetch(512, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return nil, fmt.Errorf("casefile: reading the audit log: %w", err)
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			meta, err := msg.Metadata()
			if err != nil {
				return nil, fmt.Errorf("casefile: reading the audit log: %w", err)
			}
			seq := meta.Sequence.Stream
			if seq > upto {
				return out, nil
			}
			var e Event
			if err := json.Unmarshal(msg.Data(), &e); err != nil {
				return nil, fmt.Errorf("%w: sequence %d: %v", ErrCorrupt, seq, err)
			}
			e.Seq = seq
			out = append(out, e)
			if seq == upto {
				return out, nil
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return nil, fmt.Errorf("casefile: reading the audit log: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, fmt.Errorf("casefile: reading the audit log: stopped before sequence %d", upto)
		}
	}
}
