package natsvc

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest"
)

// deadlineKey is the request member that is not part of the Transaction.
const deadlineKey = "deadline_ms"

// request is a decoded authorization request.
type request struct {
	txn graph.Transaction
	// deadline is the request's deadline_ms; 0 when it named none.
	deadline time.Duration
}

// decodeRequest decodes a request body: a v1 Transaction JSON object with
// an optional top-level deadline_ms (an integer number of milliseconds in
// 1..max/time.Millisecond; null is the same as absent). deadline_ms is
// taken out before the rest goes to ingest.DecodeTransaction, so it never
// lands in attrs. b is not modified. A bad request is an *ingest.RowError
// naming the field, wrapping ingest.ErrInvalid, and never holding a card
// number.
func decodeRequest(b []byte, tok *ingest.Tokenizer, max time.Duration) (request, error) {
	rest, raw, err := cutDeadline(b)
	if err != nil {
		return request{}, err
	}
	var r request
	if raw != nil {
		if r.deadline, err = parseDeadline(raw, max); err != nil {
			return request{}, err
		}
	}
	if r.txn, err = ingest.DecodeTransaction(rest, tok); err != nil {
		return request{}, err
	}
	return r, nil
}

// parseDeadline parses the JSON value of deadline_ms. The reasons never
// echo the value.
func parseDeadline(raw []byte, max time.Duration) (time.Duration, error) {
	maxMS := int64(max / time.Millisecond)
	switch {
	case string(raw) == "null":
		return 0, nil
	case len(raw) > 1 && raw[0] == '-' && allDigits(raw[1:]):
		return 0, deadlineError("must be at least 1")
	case !allDigits(raw) || (raw[0] == '0' && len(raw) > 1):
		return 0, deadlineError("want an integer number of milliseconds in 1.." + strconv.FormatInt(maxMS, 10))
	}
	var n int64
	for _, c := range raw {
		n = n*10 + int64(c-'0')
		if n > maxMS {
			return 0, deadlineError("exceeds the maximum of " + strconv.FormatInt(maxMS, 10))
		}
	}
	if n < 1 {
		return 0, deadlineError("must be at least 1")
	}
	return time.Duration(n) * time.Millisecond, nil
}

func deadlineError(reason string) error {
	return &ingest.RowError{Field: deadlineKey, Reason: reason}
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// cutDeadline finds the top-level member deadline_ms of the JSON object in
// b. When there is none, rest is b itself and raw is nil (no copy: the
// common path allocates nothing). When there is one, rest is a copy of b
// without that member and raw is its value's text. When b is not a
// well-formed object, rest is b and raw nil, and DecodeTransaction reports
// the syntax error in its own words. A key written with escapes
// ("deadline\u005fms") is recognised too; a second deadline_ms is an error.
//
// The scan only tokenises: it trusts DecodeTransaction to validate the
// rest, and parseDeadline to validate raw.
func cutDeadline(b []byte) (rest, raw []byte, err error) {
	s := scanner{b: b}
	s.ws()
	if !s.byte('{') {
		return b, nil, nil
	}
	s.ws()
	if s.byte('}') {
		return b, nil, nil
	}
	// The member to cut spans b[cutFrom:cutTo], a comma included.
	cutFrom, cutTo := -1, -1
	for first := true; ; first = false {
		s.ws()
		memberStart := s.i
		keyStart := s.i
		if !s.string() {
			return b, nil, nil
		}
		key := b[keyStart:s.i]
		s.ws()
		if !s.byte(':') {
			return b, nil, nil
		}
		s.ws()
		valStart := s.i
		if !s.value() {
			return b, nil, nil
		}
		valEnd := s.i
		s.ws()
		isDeadline := isDeadlineKey(key)
		if isDeadline && cutFrom >= 0 {
			return b, nil, deadlineError("given more than once")
		}
		if isDeadline {
			raw = b[valStart:valEnd]
			cutFrom, cutTo = memberStart, s.i
		}
		if s.byte(',') {
			if isDeadline {
				cutTo = s.i // take the comma after it
			}
			continue
		}
		if !s.byte('}') {
			return b, nil, nil
		}
		if isDeadline && !first {
			// The last member: take the comma before it instead.
			cutFrom = bytes.LastIndexByte(b[:cutFrom], ',')
		}
		break
	}
	s.ws()
	if s.i != len(b) || cutFrom < 0 {
		return b, nil, nil
	}
	rest = make([]byte, 0, len(b)-(cutTo-cutFrom))
	rest = append(append(rest, b[:cutFrom]...), b[cutTo:]...)
	return rest, raw, nil
}

// isDeadlineKey reports whether the quoted JSON string key is deadline_ms.
func isDeadlineKey(key []byte) bool {
	if string(key) == `"`+deadlineKey+`"` {
		return true
	}
	// At most 6 bytes per escaped character, plus the quotes.
	if len(key) > 2+6*len(deadlineKey) || bytes.IndexByte(key, '\\') < 0 {
		return false
	}
	var k string
	return json.Unmarshal(key, &k) == nil && k == deadlineKey
}

// scanner tokenises well-formed JSON; on malformed input its methods
// return false and the caller gives up.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// byte consumes c if it is next.
func (s *scanner) byte(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// string consumes a string, quotes included.
func (s *scanner) string() bool {
	if !s.byte('"') {
		return false
	}
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return true
		case c == '\\':
			s.i += 2
		case c < 0x20:
			return false
		default:
			s.i++
		}
	}
	return false
}

// value consumes one value: a string, an object or array (by bracket
// depth, skipping strings), or a scalar (up to the next delimiter).
func (s *scanner) value() bool {
	if s.i >= len(s.b) {
		return false
	}
	switch s.b[s.i] {
	case '"':
		return s.string()
	case '{', '[':
		var stack []byte // closing brackets expected, innermost last
		var buf [32]byte
		stack = buf[:0]
		for s.i < len(s.b) {
			switch c := s.b[s.i]; c {
			case '"':
				if !s.string() {
					return false
				}
				continue
			case '{':
				stack = append(stack, '}')
			case '[':
				stack = append(stack, ']')
			case '}', ']':
				if len(stack) == 0 || stack[len(stack)-1] != c {
					return false
				}
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					s.i++
					return true
				}
			}
			s.i++
		}
		return false
	}
	start := s.i
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r', '"', '{', '[', ':':
			return s.i > start
		}
		s.i++
	}
	return s.i > start
}
