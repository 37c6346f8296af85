package graph

import (
	"fmt"
	"math"
	"time"
	"unicode/utf8"
)

// Class is a label's value.
type Class string

// Label classes.
const (
	ClassFraud      Class = "fraud"
	ClassLegit      Class = "legit"
	ClassLaundering Class = "laundering"
)

// ParseClass accepts "", fraud, legit and laundering (and the 1/0 of
// benchmark datasets: 1 is fraud, 0 is legit).
func ParseClass(s string) (Class, error) {
	switch s {
	case "":
		return "", nil
	case "fraud", "1":
		return ClassFraud, nil
	case "legit", "0":
		return ClassLegit, nil
	case "laundering":
		return ClassLaundering, nil
	}
	return "", fmt.Errorf("graph: label %q: want fraud, legit or laundering: %w", s, ErrInvalid)
}

// Positive reports whether the class marks bad behaviour (fraud or laundering).
func (c Class) Positive() bool { return c == ClassFraud || c == ClassLaundering }

// Limits every event must respect.
const (
	// MaxIDLen is the longest id or string field, in bytes.
	MaxIDLen = 256
	// MaxAttrs is the largest number of extra attributes on a transaction.
	MaxAttrs = 64
	// MaxAttrLen is the longest attribute value, in bytes.
	MaxAttrLen = 1024
)

// Transaction is the v1 transaction event: one payment, transfer or
// instalment. Amount is in the currency's major unit (12.34 EUR is 12.34).
// Card holds an HMAC token, never a PAN: ingestion tokenises PANs at the
// edge, before a Transaction value exists.
type Transaction struct {
	ID           string            `json:"id"`
	Time         time.Time         `json:"time"`
	Amount       float64           `json:"amount"`
	Currency     string            `json:"currency,omitempty"`
	Kind         string            `json:"kind,omitempty"`
	User         string            `json:"user,omitempty"`
	Account      string            `json:"account,omitempty"`
	Card         string            `json:"card,omitempty"`
	Device       string            `json:"device,omitempty"`
	IP           string            `json:"ip,omitempty"`
	Email        string            `json:"email,omitempty"`
	Phone        string            `json:"phone,omitempty"`
	Merchant     string            `json:"merchant,omitempty"`
	MCC          string            `json:"mcc,omitempty"`
	Counterparty string            `json:"counterparty,omitempty"`
	Country      string            `json:"country,omitempty"`
	Channel      string            `json:"channel,omitempty"`
	Attrs        map[string]string `json:"attrs,omitempty"`
	Label        Class             `json:"label,omitempty"`
}

// Entity returns the id of the entity the transaction links to across edge
// kind e ("" when it has none).
func (t *Transaction) Entity(e EdgeKind) string {
	switch e {
	case EdgeBy:
		return t.User
	case EdgeFrom:
		return t.Account
	case EdgeTo:
		return t.Counterparty
	case EdgeWithCard:
		return t.Card
	case EdgeOnDevice:
		return t.Device
	case EdgeFromIP:
		return t.IP
	case EdgeAt:
		return t.Merchant
	case EdgeWithEmail:
		return t.Email
	case EdgeWithPhone:
		return t.Phone
	}
	return ""
}

// SetEntity sets the id of the entity across edge kind e.
func (t *Transaction) SetEntity(e EdgeKind, id string) {
	switch e {
	case EdgeBy:
		t.User = id
	case EdgeFrom:
		t.Account = id
	case EdgeTo:
		t.Counterparty = id
	case EdgeWithCard:
		t.Card = id
	case EdgeOnDevice:
		t.Device = id
	case EdgeFromIP:
		t.IP = id
	case EdgeAt:
		t.Merchant = id
	case EdgeWithEmail:
		t.Email = id
	case EdgeWithPhone:
		t.Phone = id
	}
}

// FieldError is a validation failure naming the offending field. It wraps
// ErrInvalid.
type FieldError struct {
	Field  string // contract field name, e.g. "amount"
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Validate checks the transaction against the v1 contract: an id, a time,
// a finite amount ≥ 0, ids within MaxIDLen, valid UTF-8 everywhere, and a
// known label. The first failure is returned as a *FieldError.
func (t *Transaction) Validate() error {
	if t.ID == "" {
		return &FieldError{"id", "missing"}
	}
	if t.Time.IsZero() {
		return &FieldError{"time", "missing"}
	}
	if math.IsNaN(t.Amount) || math.IsInf(t.Amount, 0) {
		return &FieldError{"amount", "not a finite number"}
	}
	if t.Amount < 0 {
		return &FieldError{"amount", fmt.Sprintf("negative (%g)", t.Amount)}
	}
	if _, err := ParseClass(string(t.Label)); err != nil {
		return &FieldError{"label", fmt.Sprintf("%q is not fraud, legit or laundering", t.Label)}
	}
	fields := [...]struct{ name, v string }{
		{"id", t.ID}, {"currency", t.Currency}, {"kind", t.Kind}, {"user", t.User},
		{"account", t.Account}, {"card", t.Card}, {"device", t.Device}, {"ip", t.IP},
		{"email", t.Email}, {"phone", t.Phone}, {"merchant", t.Merchant}, {"mcc", t.MCC},
		{"counterparty", t.Counterparty}, {"country", t.Country}, {"channel", t.Channel},
	}
	for _, f := range fields {
		if len(f.v) > MaxIDLen {
			return &FieldError{f.name, fmt.Sprintf("%d bytes long, over the limit of %d", len(f.v), MaxIDLen)}
		}
		if !utf8.ValidString(f.v) {
			return &FieldError{f.name, "not valid UTF-8"}
		}
	}
	if y := t.Time.Year(); y < 1 || y > 9999 {
		return &FieldError{"time", fmt.Sprintf("year %d outside 1–9999", y)}
	}
	if len(t.Attrs) > MaxAttrs {
		return &FieldError{"attrs", fmt.Sprintf("%d attributes, over the limit of %d", len(t.Attrs), MaxAttrs)}
	}
	// Report the smallest bad key, so the error does not depend on map
	// order; never quote a value (it could hold anything, a PAN included).
	bad, reason := "", ""
	for k, v := range t.Attrs {
		r := ""
		switch {
		case k == "" || len(k) > MaxIDLen || !utf8.ValidString(k):
			r = fmt.Sprintf("a key is empty, over %d bytes or not valid UTF-8", MaxIDLen)
		case len(v) > MaxAttrLen:
			r = fmt.Sprintf("the value of %.64q is %d bytes, over the limit of %d", k, len(v), MaxAttrLen)
		case !utf8.ValidString(v):
			r = fmt.Sprintf("the value of %.64q is not valid UTF-8", k)
		}
		if r != "" && (reason == "" || k < bad) {
			bad, reason = k, r
		}
	}
	if reason != "" {
		return &FieldError{"attrs", reason}
	}
	return nil
}

// Label is the v1 label event: a verdict about a transaction (Txn set) or
// an entity (Entity set), known from Time, reported by Source (chargeback,
// analyst, case:123, …).
type Label struct {
	Txn    string    `json:"txn,omitempty"`
	Entity NodeRef   `json:"entity,omitzero"`
	Class  Class     `json:"label"`
	Time   time.Time `json:"time,omitzero"`
	Source string    `json:"source,omitempty"`
}

// Target returns the labelled node.
func (l *Label) Target() NodeRef {
	if l.Txn != "" {
		return NodeRef{Kind: KindTransaction, ID: l.Txn}
	}
	return l.Entity
}

// Validate checks the label: exactly one of Txn and Entity, a known
// non-empty class, ids within limits.
func (l *Label) Validate() error {
	switch {
	case l.Txn == "" && l.Entity.ID == "":
		return &FieldError{"txn", "missing: a label needs txn or entity"}
	case l.Txn != "" && l.Entity.ID != "":
		return &FieldError{"entity", "set together with txn: a label names one node"}
	case l.Txn == "" && !l.Entity.Valid():
		return &FieldError{"entity", "not a valid KIND:ID"}
	case l.Txn == "" && l.Entity.Kind == KindTransaction:
		return &FieldError{"entity", "names a transaction: use txn"}
	case l.Class == "":
		return &FieldError{"label", "missing"}
	}
	if _, err := ParseClass(string(l.Class)); err != nil {
		return &FieldError{"label", "not fraud, legit or laundering"}
	}
	ref := l.Target()
	field := "txn"
	if l.Txn == "" {
		field = "entity"
	}
	switch {
	case len(ref.ID) > MaxIDLen:
		return &FieldError{field, fmt.Sprintf("id is %d bytes long, over the limit of %d", len(ref.ID), MaxIDLen)}
	case !utf8.ValidString(ref.ID):
		return &FieldError{field, "not valid UTF-8"}
	case len(l.Source) > MaxIDLen:
		return &FieldError{"source", fmt.Sprintf("%d bytes long, over the limit of %d", len(l.Source), MaxIDLen)}
	case !utf8.ValidString(l.Source):
		return &FieldError{"source", "not valid UTF-8"}
	case !l.Time.IsZero() && (l.Time.Year() < 1 || l.Time.Year() > 9999):
		return &FieldError{"time", fmt.Sprintf("year %d outside 1–9999", l.Time.Year())}
	}
	return nil
}

// Mutation is one event applied to a store: a transaction or a label, with
// the stream sequence it came from (0 when it did not come from the log).
type Mutation struct {
	Seq   uint64
	Txn   *Transaction
	Label *Label
}

// Validate checks that exactly one of Txn and Label is set and valid.
func (m *Mutation) Validate() error {
	switch {
	case m.Txn != nil && m.Label != nil:
		return fmt.Errorf("graph: mutation carries both a transaction and a label: %w", ErrInvalid)
	case m.Txn != nil:
		return m.Txn.Validate()
	case m.Label != nil:
		return m.Label.Validate()
	}
	return fmt.Errorf("graph: empty mutation: %w", ErrInvalid)
}
