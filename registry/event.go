package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// EncodeEvent returns ev as one line of JSON (no trailing newline), after
// checking that DecodeEvent will accept it: a backend never writes what it
// cannot read back.
func EncodeEvent(ev Event) ([]byte, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("%w: event %d: %v", ErrInvalid, ev.Seq, err)
	}
	if _, err := DecodeEvent(b); err != nil {
		return nil, fmt.Errorf("%w: refusing to write event %d: %v", ErrInvalid, ev.Seq, err)
	}
	return b, nil
}

// DecodeEvent decodes and checks one event as EncodeEvent writes it (a
// pointer file, a log line, a key-value entry). Anything else is
// ErrCorrupt, with the field at fault: unknown fields, a zero Seq or Time,
// an unknown action, no actor, or an id that ValidID refuses.
func DecodeEvent(b []byte) (Event, error) {
	var ev Event
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if dec.More() {
		return Event{}, fmt.Errorf("%w: trailing data after the event", ErrCorrupt)
	}
	switch {
	case ev.Seq == 0:
		return Event{}, fmt.Errorf("%w: seq is 0", ErrCorrupt)
	case ev.Time.IsZero():
		return Event{}, fmt.Errorf("%w: event %d: no time", ErrCorrupt, ev.Seq)
	case ev.Actor == "":
		return Event{}, fmt.Errorf("%w: event %d: no actor", ErrCorrupt, ev.Seq)
	}
	switch ev.Action {
	case ActionAdd, ActionPromote, ActionShadow, ActionRollback, ActionRepair:
	default:
		return Event{}, fmt.Errorf("%w: event %d: unknown action %q", ErrCorrupt, ev.Seq, ev.Action)
	}
	ids := append([]string{ev.Model, ev.Replaced, ev.After.Champion, ev.After.Shadow}, ev.After.Previous...)
	for i, id := range ids {
		if id == "" && i >= 4 || id != "" && !ValidID(id) {
			return Event{}, fmt.Errorf("%w: event %d: model id %q", ErrCorrupt, ev.Seq, id)
		}
	}
	return ev, nil
}
