package casefile

import (
	"fmt"
	"strconv"
	"time"
)

// idDigits is the least number of sequence digits in a case id: ids sort
// in opening order as long as the audit log stays under 10^6 events on one
// day's worth of ids (past that, a longer sequence sorts after a shorter
// one of the same day only by length).
const idDigits = 6

// NewID returns the id of a case opened at t whose open event has audit
// stream sequence seq: "C-", the UTC day, "-", the sequence.
func NewID(t time.Time, seq uint64) string {
	return fmt.Sprintf("C-%s-%0*d", t.UTC().Format("20060102"), idDigits, seq)
}

// ValidateID checks that id has the form NewID gives (so it is safe in a
// NATS subject). The error wraps ErrInvalid.
func ValidateID(id string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: case id %q: %s (want C-YYYYMMDD-NNNNNN)", ErrInvalid, id, why)
	}
	if len(id) < 2+8+1+idDigits || len(id) > 2+8+1+20 || id[:2] != "C-" || id[10] != '-' {
		return bad("malformed")
	}
	if _, err := time.Parse("20060102", id[2:10]); err != nil {
		return bad("bad date")
	}
	if _, err := strconv.ParseUint(id[11:], 10, 64); err != nil || len(id[11:]) < idDigits {
		return bad("bad sequence")
	}
	return nil
}
