package natsvc

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/scoring"
)

// outcome classifies a reply; each has a micro error code but outcomeOK.
type outcome uint8

const (
	outcomeOK outcome = iota
	outcomeInvalid
	outcomeUnavailable
	outcomeTimeout
	outcomeFailed
	numOutcomes
)

// Codes of micro error replies (header Nats-Service-Error-Code), after
// their HTTP namesakes.
var codes = [numOutcomes]string{
	outcomeInvalid:     "400",
	outcomeUnavailable: "503",
	outcomeTimeout:     "504",
	outcomeFailed:      "500",
}

// failedDescription is the whole description of a 500: the detail is
// logged, never sent.
const failedDescription = "internal error"

// classify maps an error from decoding or from the Authorizer to its
// outcome and the description sent with it. This is the one place where
// riskgraph's errors become NATS error codes.
func classify(err error) (outcome, string) {
	switch {
	case errors.Is(err, ingest.ErrInvalid), errors.Is(err, scoring.ErrInvalid):
		// decodeRequest's errors (*ingest.RowError) are masked already;
		// the Authorizer's (graph.FieldError, wrapping graph.ErrInvalid
		// which is ingest.ErrInvalid) name the field but may quote its
		// value.
		return outcomeInvalid, maskDigitRuns(err.Error())
	case errors.Is(err, scoring.ErrOverload):
		return outcomeUnavailable, "overloaded: retry"
	case errors.Is(err, scoring.ErrClosed):
		return outcomeUnavailable, "scorer closed: retry"
	case errors.Is(err, scoring.ErrDeadline), errors.Is(err, context.DeadlineExceeded):
		return outcomeTimeout, "deadline exceeded"
	}
	return outcomeFailed, failedDescription
}

// respondErr answers a failed request, logging the detail of a 500.
func (s *Service) respondErr(reply, txnID string, err error) {
	o, desc := classify(err)
	if o == outcomeFailed {
		s.log.Error("natsvc: authorization failed", "txn", txnID, "error", maskDigitRuns(err.Error()))
	}
	s.respondError(reply, o, desc)
}

// respondError sends a micro error reply: no body, the description and
// code in micro's headers.
func (s *Service) respondError(reply string, o outcome, desc string) {
	s.counts[o].Add(1)
	msg := &nats.Msg{
		Subject: reply,
		Header: nats.Header{
			micro.ErrorHeader:     []string{desc},
			micro.ErrorCodeHeader: []string{codes[o]},
		},
	}
	if err := s.nc.PublishMsg(msg); err != nil {
		s.log.Warn("natsvc: error reply not sent", "code", codes[o], "error", err.Error())
	}
}

// respond sends a decision.
func (s *Service) respond(reply, txnID string, d scoring.Decision) {
	body, err := json.Marshal(d)
	if err != nil {
		// A NaN or infinite score: the Authorizer's bug.
		s.log.Error("natsvc: decision not encodable", "txn", txnID, "error", err.Error())
		s.respondError(reply, outcomeFailed, failedDescription)
		return
	}
	s.counts[outcomeOK].Add(1)
	if err := s.nc.Publish(reply, body); err != nil {
		s.log.Warn("natsvc: decision not sent", "txn", txnID, "error", err.Error())
	}
}

// maskDigitRuns masks, with ingest.MaskPAN, every run of 12 or more digits
// in s (runs may be broken by spaces and dashes, as card numbers are
// written), so that an error text can be sent or logged without a card
// number in it.
func maskDigitRuns(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		start, end, n := i, i, 0
		for j := i; j < len(s); j++ {
			if isDigit(s[j]) {
				n++
				end = j + 1
			} else if s[j] != ' ' && s[j] != '-' {
				break
			}
		}
		i = end
		if n < 12 {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(ingest.MaskPAN(s[start:end]))
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
