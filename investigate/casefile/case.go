package casefile

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// Sentinel errors of package casefile; test with errors.Is.
var (
	// ErrInvalidConfig: a Config field is missing or out of range.
	ErrInvalidConfig = errors.New("casefile: invalid config")
	// ErrInvalid: a request is malformed (the error names the field).
	ErrInvalid = errors.New("casefile: invalid request")
	// ErrNotFound: no case has the id.
	ErrNotFound = errors.New("casefile: no such case")
	// ErrClosedCase: the case is closed and can no longer change.
	ErrClosedCase = errors.New("casefile: case is closed")
	// ErrNotReportable: the case was closed as a false positive: there
	// is nothing to report.
	ErrNotReportable = errors.New("casefile: case is not reportable")
	// ErrConflict: other writers kept changing the case; nothing was
	// written.
	ErrConflict = errors.New("casefile: concurrent changes to the case")
	// ErrCorrupt: the audit log holds an event that does not decode or
	// does not follow from the case's history.
	ErrCorrupt = errors.New("casefile: corrupt audit log")
	// ErrLabels: the case was closed but some of its labels could not be
	// published; PublishLabels publishes them again.
	ErrLabels = errors.New("casefile: labels not published")
)

// Status is a case's state.
type Status string

// Statuses.
const (
	StatusOpen   Status = "open"
	StatusClosed Status = "closed"
)

// Disposition is the outcome of a closed case.
type Disposition string

// Dispositions.
const (
	ConfirmedFraud      Disposition = "confirmed_fraud"
	LaunderingSuspicion Disposition = "laundering_suspicion"
	FalsePositive       Disposition = "false_positive"
)

// Dispositions returns every disposition.
func Dispositions() []Disposition {
	return []Disposition{ConfirmedFraud, LaunderingSuspicion, FalsePositive}
}

// ParseDisposition parses a disposition name.
func ParseDisposition(s string) (Disposition, error) {
	d := Disposition(s)
	if !slices.Contains(Dispositions(), d) {
		return "", fmt.Errorf("%w: disposition %q: want confirmed_fraud, laundering_suspicion or false_positive", ErrInvalid, s)
	}
	return d, nil
}

// Class is the label a disposition puts on the case's entities and
// transactions: fraud, laundering, or "" for a false positive (which
// labels nothing: the absence of a verdict is not a legit verdict).
func (d Disposition) Class() graph.Class {
	switch d {
	case ConfirmedFraud:
		return graph.ClassFraud
	case LaunderingSuspicion:
		return graph.ClassLaundering
	}
	return ""
}

// Case is the state of a case: the fold of its events.
type Case struct {
	ID       string    `json:"id"`
	Title    string    `json:"title"`
	Status   Status    `json:"status"`
	OpenedBy string    `json:"opened_by"`
	Opened   time.Time `json:"opened"`
	Assignee string    `json:"assignee,omitempty"`
	// Entities, Txns and Alerts are what the case is about: the subjects,
	// the transactions in question and the typology alerts behind it, in
	// the order they were added.
	Entities []graph.NodeRef `json:"entities"`
	Txns     []string        `json:"txns"`
	Alerts   []string        `json:"alerts,omitempty"`
	Notes    []Note          `json:"notes,omitempty"`
	// Disposition, Reason, ClosedBy and Closed are set once closed.
	Disposition Disposition `json:"disposition,omitempty"`
	Reason      string      `json:"reason,omitempty"`
	ClosedBy    string      `json:"closed_by,omitempty"`
	Closed      time.Time   `json:"closed,omitzero"`
	Exports     []Export    `json:"exports,omitempty"`
	// Updated is the time of the last event; Events counts them.
	Updated time.Time `json:"updated"`
	Events  int       `json:"events"`
	// LastSeq is the audit-log sequence of the case's last event: a write
	// succeeds only while it is still the last.
	LastSeq uint64 `json:"last_seq"`
}

// Note is an analyst's note on a case.
type Note struct {
	Actor string    `json:"actor"`
	Time  time.Time `json:"time"`
	Text  string    `json:"text"`
}

// Export records a report written from the case.
type Export struct {
	Actor  string    `json:"actor"`
	Time   time.Time `json:"time"`
	Format string    `json:"format"`
	SHA256 string    `json:"sha256"`
}

// check says whether action may be taken on c.
func (c *Case) check(a Action) error {
	switch {
	case a == ActionOpen:
		if c.ID != "" {
			return fmt.Errorf("%w: case %s is already open", ErrInvalid, c.ID)
		}
	case c.ID == "":
		return fmt.Errorf("%w: %s before the case was opened", ErrInvalid, a)
	case a == ActionExport:
		if c.Disposition == FalsePositive {
			return fmt.Errorf("case %s was closed as %s: %w", c.ID, FalsePositive, ErrNotReportable)
		}
	case c.Status == StatusClosed:
		return fmt.Errorf("case %s was closed as %s by %s at %s: cannot %s: %w",
			c.ID, c.Disposition, c.ClosedBy, c.Closed.UTC().Format(time.RFC3339), a, ErrClosedCase)
	}
	return nil
}

// apply folds one event into c. The event must be valid (Event.Validate)
// and for c's case; the action must be allowed in c's state.
func (c *Case) apply(e *Event) error {
	if c.ID != "" && e.Case != c.ID {
		return fmt.Errorf("%w: event of case %s folded into case %s", ErrInvalid, e.Case, c.ID)
	}
	if err := c.check(e.Action); err != nil {
		return err
	}
	switch e.Action {
	case ActionOpen:
		*c = Case{ID: e.Case, Title: e.Open.Title, Status: StatusOpen, OpenedBy: e.Actor, Opened: e.Time}
		c.attach(e.Open.Entities, e.Open.Txns, e.Open.Alerts)
	case ActionAssign:
		c.Assignee = e.Assign.Assignee
	case ActionNote:
		c.Notes = append(c.Notes, Note{Actor: e.Actor, Time: e.Time, Text: e.Note.Text})
	case ActionAttach:
		c.attach(e.Attach.Entities, e.Attach.Txns, e.Attach.Alerts)
	case ActionClose:
		c.Status, c.Disposition, c.Reason = StatusClosed, e.Close.Disposition, e.Close.Reason
		c.ClosedBy, c.Closed = e.Actor, e.Time
	case ActionExport:
		c.Exports = append(c.Exports, Export{Actor: e.Actor, Time: e.Time, Format: e.Export.Format, SHA256: e.Export.SHA256})
	}
	c.Updated = e.Time
	c.Events++
	c.LastSeq = e.Seq
	return nil
}

func (c *Case) attach(entities []graph.NodeRef, txns, alerts []string) {
	for _, r := range entities {
		if !slices.Contains(c.Entities, r) {
			c.Entities = append(c.Entities, r)
		}
	}
	for _, t := range txns {
		if !slices.Contains(c.Txns, t) {
			c.Txns = append(c.Txns, t)
		}
	}
	for _, a := range alerts {
		if !slices.Contains(c.Alerts, a) {
			c.Alerts = append(c.Alerts, a)
		}
	}
}

// Fold returns the case its events describe, in log order. The first
// event must open the case; an event that does not follow from the
// history before it is an error naming its sequence.
func Fold(events []Event) (Case, error) {
	var c Case
	if len(events) == 0 {
		return c, fmt.Errorf("%w: no events", ErrInvalid)
	}
	for i := range events {
		if err := events[i].Validate(); err != nil {
			return c, fmt.Errorf("event %d (seq %d): %w", i, events[i].Seq, err)
		}
		if err := c.apply(&events[i]); err != nil {
			return c, fmt.Errorf("event %d (seq %d): %w", i, events[i].Seq, err)
		}
	}
	return c, nil
}

// Labels returns the labels closing c produced: one per entity and one
// per transaction, with the disposition's class, the close time and
// source "case:<id>". None for an open case or a false positive. The same
// case always gives the same labels, so publishing them again is
// deduplicated.
func (c *Case) Labels() []graph.Label {
	class := c.Disposition.Class()
	if c.Status != StatusClosed || class == "" {
		return nil
	}
	src := "case:" + c.ID
	out := make([]graph.Label, 0, len(c.Entities)+len(c.Txns))
	for _, r := range c.Entities {
		out = append(out, graph.Label{Entity: r, Class: class, Time: c.Closed, Source: src})
	}
	for _, t := range c.Txns {
		out = append(out, graph.Label{Txn: t, Class: class, Time: c.Closed, Source: src})
	}
	return out
}
