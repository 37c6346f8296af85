package casefile

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/riskgraph/riskgraph/graph"
)

// Action is what an event does to a case.
type Action string

// Actions.
const (
	ActionOpen   Action = "open"
	ActionAssign Action = "assign"
	ActionNote   Action = "note"
	ActionAttach Action = "attach"
	ActionClose  Action = "close"
	ActionExport Action = "export"
)

// Limits on what an event carries.
const (
	MaxActorLen  = 128
	MaxTitleLen  = 512
	MaxNoteLen   = 16 << 10
	MaxRefs      = 10_000 // entities + transactions + alerts of one event
	maxFormatLen = 32
)

// Event is one entry of the audit log: who (Actor) did what (Action and
// its payload) to which case, when. Exactly the payload field named by
// Action is set.
type Event struct {
	Case   string    `json:"case"`
	Action Action    `json:"action"`
	Actor  string    `json:"actor"`
	Time   time.Time `json:"time"`

	Open   *OpenData   `json:"open,omitempty"`
	Assign *AssignData `json:"assign,omitempty"`
	Note   *NoteData   `json:"note,omitempty"`
	Attach *AttachData `json:"attach,omitempty"`
	Close  *CloseData  `json:"close,omitempty"`
	Export *ExportData `json:"export,omitempty"`

	// Seq is the event's audit-log sequence, set when it is read back
	// (not part of the stored body).
	Seq uint64 `json:"-"`
}

// OpenData is the payload of an open event: what the case is about.
type OpenData struct {
	Title    string          `json:"title"`
	Entities []graph.NodeRef `json:"entities,omitempty"`
	Txns     []string        `json:"txns,omitempty"`
	Alerts   []string        `json:"alerts,omitempty"`
}

// AssignData is the payload of an assign event.
type AssignData struct {
	Assignee string `json:"assignee"`
}

// NoteData is the payload of a note event.
type NoteData struct {
	Text string `json:"text"`
}

// AttachData is the payload of an attach event: more of what the case is
// about.
type AttachData struct {
	Entities []graph.NodeRef `json:"entities,omitempty"`
	Txns     []string        `json:"txns,omitempty"`
	Alerts   []string        `json:"alerts,omitempty"`
}

// CloseData is the payload of a close event.
type CloseData struct {
	Disposition Disposition `json:"disposition"`
	Reason      string      `json:"reason,omitempty"`
	// Labels is how many labels the close produces (see Case.Labels).
	Labels int `json:"labels"`
}

// ExportData is the payload of an export event: which report was
// written, and a digest of exactly what was written.
type ExportData struct {
	Format string `json:"format"`
	SHA256 string `json:"sha256"`
	Txns   int    `json:"txns"`
	Bytes  int    `json:"bytes"`
}

// Validate checks the event's fields and that exactly the payload named
// by its action is set. Errors wrap ErrInvalid and name the field.
func (e *Event) Validate() error {
	if err := ValidateID(e.Case); err != nil {
		return err
	}
	if err := ValidateActor(e.Actor); err != nil {
		return err
	}
	if e.Time.IsZero() {
		return fmt.Errorf("%w: time: missing", ErrInvalid)
	}
	payloads := []struct {
		action Action
		set    bool
	}{
		{ActionOpen, e.Open != nil}, {ActionAssign, e.Assign != nil}, {ActionNote, e.Note != nil},
		{ActionAttach, e.Attach != nil}, {ActionClose, e.Close != nil}, {ActionExport, e.Export != nil},
	}
	known := false
	for _, p := range payloads {
		known = known || p.action == e.Action
	}
	if !known {
		return fmt.Errorf("%w: action %q: unknown", ErrInvalid, e.Action)
	}
	for _, p := range payloads {
		if p.set != (p.action == e.Action) {
			return fmt.Errorf("%w: %s event: payload %q must be set for action %s only", ErrInvalid, e.Action, p.action, p.action)
		}
	}
	switch e.Action {
	case ActionOpen:
		if err := text("title", e.Open.Title, MaxTitleLen, false); err != nil {
			return err
		}
		if len(e.Open.Entities) == 0 && len(e.Open.Txns) == 0 {
			return fmt.Errorf("%w: open: a case needs at least one entity or transaction", ErrInvalid)
		}
		return refs(e.Open.Entities, e.Open.Txns, e.Open.Alerts)
	case ActionAssign:
		return ValidateActor(e.Assign.Assignee)
	case ActionNote:
		return text("note", e.Note.Text, MaxNoteLen, true)
	case ActionAttach:
		if len(e.Attach.Entities)+len(e.Attach.Txns)+len(e.Attach.Alerts) == 0 {
			return fmt.Errorf("%w: attach: nothing to attach", ErrInvalid)
		}
		return refs(e.Attach.Entities, e.Attach.Txns, e.Attach.Alerts)
	case ActionClose:
		if _, err := ParseDisposition(string(e.Close.Disposition)); err != nil {
			return err
		}
		if e.Close.Labels < 0 {
			return fmt.Errorf("%w: close: labels is negative", ErrInvalid)
		}
		return text("reason", e.Close.Reason, MaxNoteLen, true)
	case ActionExport:
		if err := text("format", e.Export.Format, maxFormatLen, false); err != nil {
			return err
		}
		if len(e.Export.SHA256) != 64 || strings.Trim(e.Export.SHA256, "0123456789abcdef") != "" {
			return fmt.Errorf("%w: export: sha256 %q: want 64 lower-case hex digits", ErrInvalid, e.Export.SHA256)
		}
	}
	return nil
}

// ValidateActor checks who is acting: a non-empty name of at most
// MaxActorLen bytes of printable UTF-8.
func ValidateActor(s string) error {
	if s == "" {
		return fmt.Errorf("%w: actor: missing (who is acting?)", ErrInvalid)
	}
	return text("actor", s, MaxActorLen, false)
}

// text checks a free-text field: non-empty, at most max bytes, valid
// UTF-8 and, unless multiline, no control characters at all; multiline
// text may hold newlines and tabs.
func text(field, s string, max int, multiline bool) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fmt.Errorf("%w: %s: empty", ErrInvalid, field)
	case len(s) > max:
		return fmt.Errorf("%w: %s: %d bytes, at most %d", ErrInvalid, field, len(s), max)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: %s: not valid UTF-8", ErrInvalid, field)
	}
	for i, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			return fmt.Errorf("%w: %s: control character %U at byte %d", ErrInvalid, field, r, i)
		}
	}
	return nil
}

func refs(entities []graph.NodeRef, txns, alerts []string) error {
	if n := len(entities) + len(txns) + len(alerts); n > MaxRefs {
		return fmt.Errorf("%w: %d references in one event, at most %d", ErrInvalid, n, MaxRefs)
	}
	for i, r := range entities {
		if !r.Valid() || len(r.ID) > graph.MaxIDLen {
			return fmt.Errorf("%w: entities[%d]: %q is not a valid KIND:ID", ErrInvalid, i, r)
		}
		if r.Kind == graph.KindTransaction {
			return fmt.Errorf("%w: entities[%d]: %s is a transaction: list it under txns", ErrInvalid, i, r)
		}
	}
	for _, l := range []struct {
		name string
		ids  []string
	}{{"txns", txns}, {"alerts", alerts}} {
		for i, id := range l.ids {
			if id == "" || len(id) > graph.MaxIDLen || !utf8.ValidString(id) {
				return fmt.Errorf("%w: %s[%d]: %q is not a valid id", ErrInvalid, l.name, i, id)
			}
		}
	}
	return nil
}
