package signal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// Reason is one reason for a decision, as the scorer reports it (the
// fields of scoring.Reason, which converts to it directly). Declared here
// so that plug-ins depend on this package alone, not on the scorer and its
// model runtime.
type Reason struct {
	Code   string  `json:"code"`
	Detail string  `json:"detail"`
	Weight float64 `json:"weight"`
}

// Version is the version of the Signal JSON contract this package writes
// and the only one Decode accepts.
const Version = 1

// NATS subjects of the signal stream. Only non-compliance (filtered)
// signals are ever published.
const (
	// SubjectPrefix is followed by ".<band>": riskgraph.v1.signal.high.
	SubjectPrefix = "riskgraph.v1.signal"
	// SubjectAll matches every band.
	SubjectAll = SubjectPrefix + ".>"
)

// Subject returns the NATS subject a signal of band b is published on.
func Subject(b Band) string { return SubjectPrefix + "." + string(b) }

// Decision is what the scorer hands the Router after each authorization:
// the scored transaction and everything the scorer concluded. The Router
// never keeps it, never modifies it, and never forwards Txn, Decision,
// Reasons or Typologies to a non-compliance plug-in.
type Decision struct {
	// Txn is the scored transaction (required). Its User (else Account,
	// else Card) id becomes the pseudonymous Signal.Subject; its ID
	// becomes Signal.Txn.
	Txn *graph.Transaction
	// Score is the fraud probability, in [0, 1].
	Score float64
	// Decision is approve|review|decline (compliance plug-ins only).
	Decision string
	// Reasons are the scorer's reasons, codes mapped to classes by
	// Classify. Weights are changes in log-odds.
	Reasons []Reason
	// Typologies are the AML typology hits (fan-in, cycle, …). Every
	// entry is treated as AML, whatever its name.
	Typologies []string
	// Model is the model id (id@sha256).
	Model string
	// Time is when the decision was made; zero means Config.Now().
	Time time.Time
}

// Signal is the v1 risk signal (JSON). Non-compliance consumers see the
// filtered view (see the package documentation, "Tipping off"): no AML
// class, no Compliance section, and a band and score computed without the
// AML contribution. Compliance plug-ins see the full view.
type Signal struct {
	// Version is the contract version (Version).
	Version int `json:"version"`
	// Subject is the pseudonymous subject: hex of the first 16 bytes of
	// HMAC-SHA-256(Config.SubjectKey, kind + "\x00" + id). Never a raw id.
	Subject string `json:"subject"`
	// Band is Config.Cuts.Band(Score).
	Band Band `json:"band"`
	// Score is in [0, 1]; coarsened down to a multiple of
	// Config.ScoreStep in the filtered view, exact in the full view.
	Score float64 `json:"score"`
	// Reasons are coarse reason classes, strongest first; never nil
	// after Route, never a raw code.
	Reasons []Class `json:"reasons"`
	// Txn is the transaction id.
	Txn string `json:"txn"`
	// Time is the decision time.
	Time time.Time `json:"time"`
	// Model is the model id; empty in the filtered view when the id
	// itself classifies as AML.
	Model string `json:"model,omitempty"`
	// Compliance holds the details only compliance plug-ins may see; nil
	// in every filtered signal and on the NATS subject.
	Compliance *Compliance `json:"compliance,omitempty"`
}

// Compliance is the part of a full signal that must never reach a
// non-compliance consumer.
type Compliance struct {
	// AML reports that AML evidence (an AML reason or any typology)
	// touched the decision.
	AML bool `json:"aml"`
	// Decision is the scorer's decision (approve|review|decline).
	Decision string `json:"decision,omitempty"`
	// Reasons are the scorer's reasons with raw codes and details.
	Reasons []Reason `json:"reasons,omitempty"`
	// Typologies are the AML typology hits.
	Typologies []string `json:"typologies,omitempty"`
	// PublicBand and PublicScore are what non-compliance consumers were
	// shown for the same decision, for audit.
	PublicBand  Band    `json:"public_band"`
	PublicScore float64 `json:"public_score"`
}

// clone returns a copy of s that shares no mutable memory with it, so that
// one plug-in cannot change what another sees.
func (s Signal) clone() Signal {
	s.Reasons = append(make([]Class, 0, len(s.Reasons)), s.Reasons...)
	if s.Compliance != nil {
		c := *s.Compliance
		c.Reasons = append([]Reason(nil), c.Reasons...)
		c.Typologies = append([]string(nil), c.Typologies...)
		s.Compliance = &c
	}
	return s
}

// Decode parses and validates a v1 signal. Unknown fields are rejected so
// that a producer on a newer contract is noticed rather than half-read.
// Errors wrap ErrInvalidSignal.
func Decode(data []byte) (Signal, error) {
	var s Signal
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Signal{}, fmt.Errorf("%w: %v", ErrInvalidSignal, err)
	}
	if dec.More() {
		return Signal{}, fmt.Errorf("%w: trailing data", ErrInvalidSignal)
	}
	if err := s.Validate(); err != nil {
		return Signal{}, err
	}
	return s, nil
}

// Validate reports the first invalid field as an error wrapping
// ErrInvalidSignal.
func (s *Signal) Validate() error {
	switch {
	case s.Version != Version:
		return fmt.Errorf("%w: version %d, want %d", ErrInvalidSignal, s.Version, Version)
	case s.Subject == "":
		return fmt.Errorf("%w: subject is required", ErrInvalidSignal)
	case !s.Band.Valid():
		return fmt.Errorf("%w: band %q", ErrInvalidSignal, s.Band)
	case math.IsNaN(s.Score) || s.Score < 0 || s.Score > 1:
		return fmt.Errorf("%w: score %v not in [0, 1]", ErrInvalidSignal, s.Score)
	case s.Txn == "":
		return fmt.Errorf("%w: txn is required", ErrInvalidSignal)
	}
	for _, c := range s.Reasons {
		if !c.Valid() {
			return fmt.Errorf("%w: reason class %q", ErrInvalidSignal, c)
		}
	}
	return nil
}
