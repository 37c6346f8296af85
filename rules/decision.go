package rules

import (
	"fmt"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// Decision is the outcome of an evaluation, and the action of a rule.
// Decisions are ordered by strictness: Approve < Review < Decline. The zero
// Decision is invalid.
type Decision uint8

// Decisions.
const (
	Approve Decision = iota + 1
	Review
	Decline
)

var decisionNames = [...]string{"", "approve", "review", "decline"}

// String returns "approve", "review" or "decline".
func (d Decision) String() string {
	if d.Valid() {
		return decisionNames[d]
	}
	return fmt.Sprintf("Decision(%d)", uint8(d))
}

// Valid reports whether d is one of the declared decisions.
func (d Decision) Valid() bool { return d >= Approve && d <= Decline }

// ParseDecision parses "approve", "review" or "decline".
func ParseDecision(s string) (Decision, error) {
	for d := Approve; d <= Decline; d++ {
		if s == decisionNames[d] {
			return d, nil
		}
	}
	return 0, fmt.Errorf("rules: decision %q: want approve, review or decline: %w", s, ErrInvalid)
}

// MarshalText implements encoding.TextMarshaler.
func (d Decision) MarshalText() ([]byte, error) {
	if !d.Valid() {
		return nil, fmt.Errorf("rules: marshal %v: %w", d, ErrInvalid)
	}
	return []byte(decisionNames[d]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Decision) UnmarshalText(b []byte) error {
	v, err := ParseDecision(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Window is a velocity window. The zero Window is invalid.
type Window uint8

// Velocity windows.
const (
	Window1h Window = iota + 1
	Window24h
	Window7d
)

// NumWindows is one more than the largest Window, so arrays indexed by
// Window can be declared as [NumWindows]T.
const NumWindows = int(Window7d) + 1

var windowNames = [NumWindows]string{"", "1h", "24h", "7d"}
var windowDurations = [NumWindows]time.Duration{0, time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}

// Windows returns every valid window, shortest first.
func Windows() []Window { return []Window{Window1h, Window24h, Window7d} }

// String returns "1h", "24h" or "7d".
func (w Window) String() string {
	if w.Valid() {
		return windowNames[w]
	}
	return fmt.Sprintf("Window(%d)", uint8(w))
}

// Valid reports whether w is one of the declared windows.
func (w Window) Valid() bool { return w >= Window1h && w <= Window7d }

// Duration returns the window's length (0 for an invalid window).
func (w Window) Duration() time.Duration {
	if w.Valid() {
		return windowDurations[w]
	}
	return 0
}

// ParseWindow parses "1h", "24h" or "7d".
func ParseWindow(s string) (Window, error) {
	for _, w := range Windows() {
		if s == windowNames[w] {
			return w, nil
		}
	}
	return 0, fmt.Errorf("rules: window %q: want 1h, 24h or 7d: %w", s, ErrInvalid)
}

// Counter is an entity's activity over one window.
type Counter struct {
	// Count is the number of the entity's transactions in the window ending
	// at the transaction being decided, that transaction included (the
	// count before it plus one).
	Count int
	// Amount is the sum of those transactions' amounts, the current one
	// included, in the currency's major unit.
	Amount float64
}

// Facts are what the caller knows about a transaction beyond its fields.
// The zero Facts (no data) fires no velocity or typology rule.
type Facts struct {
	// Velocity[k][w] is the activity of the transaction's entity of kind k
	// (the card for graph.KindCard, the debited account for
	// graph.KindAccount, …) over window w, this transaction included. A
	// zero Counter means no data and never exceeds a limit. The
	// Transaction kind and invalid indexes are ignored.
	Velocity [graph.NumKinds][NumWindows]Counter
	// Typologies counts typology detections involving the transaction's
	// parties, by typology name (typology.Names: fan_in, cycle, …). Nil means none. The map is
	// only read.
	Typologies map[string]int
}

// Input is one transaction to decide.
type Input struct {
	// Txn is the transaction; it must not be nil and is only read.
	Txn *graph.Transaction
	// Score is the model's score in [0,1]; it is used only when HasScore.
	Score float64
	// HasScore is false in degraded mode: the model missed its deadline
	// and the decision comes from the rules alone.
	HasScore bool
	// Facts are the velocity counts and typology hits.
	Facts Facts
}

// Hit is one rule that fired (or the score band that applied).
type Hit struct {
	RuleID string   `json:"rule"`   // rule id, "block.card", "allow.user" or "band.N"
	Code   string   `json:"code"`   // reason code, UPPER_SNAKE_CASE
	Detail string   `json:"detail"` // the rendered detail template
	Action Decision `json:"action"` // what the hit asks for
}

// Result is the outcome of an evaluation.
type Result struct {
	Decision Decision `json:"decision"`
	// Hits lists every rule that fired, in the order block, allow,
	// velocity, amount, typology, then the score band (when scored). Nil
	// when there is none. The caller owns the slice.
	Hits []Hit `json:"hits,omitempty"`
	// Version is the rules file's version.
	Version string `json:"version"`
	// Blocked is true when a block list matched (the decision is Decline).
	Blocked bool `json:"blocked,omitempty"`
	// Degraded is true when the decision was made without a score
	// (HasScore false or a NaN score).
	Degraded bool `json:"degraded,omitempty"`
}
