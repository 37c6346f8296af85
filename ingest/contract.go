package ingest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riskgraph/riskgraph/graph"
)

// txnField numbers the v1 transaction contract's scalar fields, in the
// order errors are looked for and CSV columns are written.
type txnField uint8

const (
	fieldID txnField = iota
	fieldTime
	fieldAmount
	fieldCurrency
	fieldKind
	fieldUser
	fieldAccount
	fieldCard
	fieldDevice
	fieldIP
	fieldEmail
	fieldPhone
	fieldMerchant
	fieldMCC
	fieldCounterparty
	fieldCountry
	fieldChannel
	fieldLabel
	numTxnFields
)

// txnFields are the contract's names of the transaction fields, which are
// also their JSON keys and CSV column names. attrs is not among them: in
// JSON it is an object, in CSV it is every column not named here.
var txnFields = [numTxnFields]string{
	"id", "time", "amount", "currency", "kind", "user", "account", "card", "device",
	"ip", "email", "phone", "merchant", "mcc", "counterparty", "country", "channel", "label",
}

// attrsKey is the JSON key of the attrs object.
const attrsKey = "attrs"

// labelField numbers the v1 label contract's fields.
type labelField uint8

const (
	labelTxn labelField = iota
	labelEntity
	labelClass
	labelTime
	labelSource
	numLabelFields
)

var labelFields = [numLabelFields]string{"txn", "entity", "label", "time", "source"}

// txnValues holds one row's text for each transaction field; "" is absent.
type txnValues [numTxnFields]string

// labelValues holds one row's text for each label field; "" is absent.
type labelValues [numLabelFields]string

// stringField returns the Transaction field that holds a plain string.
func stringField(t *graph.Transaction, f txnField) *string {
	switch f {
	case fieldID:
		return &t.ID
	case fieldCurrency:
		return &t.Currency
	case fieldKind:
		return &t.Kind
	case fieldUser:
		return &t.User
	case fieldAccount:
		return &t.Account
	case fieldCard:
		return &t.Card
	case fieldDevice:
		return &t.Device
	case fieldIP:
		return &t.IP
	case fieldEmail:
		return &t.Email
	case fieldPhone:
		return &t.Phone
	case fieldMerchant:
		return &t.Merchant
	case fieldMCC:
		return &t.MCC
	case fieldCounterparty:
		return &t.Counterparty
	case fieldCountry:
		return &t.Country
	case fieldChannel:
		return &t.Channel
	}
	panic("ingest: stringField of non-string field " + txnFields[f])
}

// buildTxn turns one row's field texts and attrs into a validated
// Transaction, tokenising card numbers with tok (which must not be nil).
// The first problem, in field order, is returned as a RowError without a
// line. utf8OK says the row was valid UTF-8 as a whole, so that its parts
// need no checking. buildTxn owns attrs and may change it.
func buildTxn(v *txnValues, attrs map[string]string, tok *Tokenizer, utf8OK bool) (graph.Transaction, *RowError) {
	var t graph.Transaction
	for f := range numTxnFields {
		s := v[f]
		if !utf8OK && !utf8.ValidString(s) {
			return graph.Transaction{}, fieldError(txnFields[f], "not valid UTF-8")
		}
		switch f {
		case fieldID:
			if s == "" {
				return graph.Transaction{}, fieldError("id", "missing")
			}
			t.ID = s // verbatim: see the package documentation
		case fieldTime:
			tm, reason := parseTime(s)
			if reason != "" {
				return graph.Transaction{}, fieldError("time", reason)
			}
			t.Time = tm
		case fieldAmount:
			a, reason := parseAmount(s)
			if reason != "" {
				return graph.Transaction{}, fieldError("amount", reason)
			}
			t.Amount = a
		case fieldCard:
			c, reason := cardToken(s, tok)
			if reason != "" {
				return graph.Transaction{}, fieldError("card", reason)
			}
			t.Card = c
		case fieldLabel:
			c, reason := parseClass(s)
			if reason != "" {
				return graph.Transaction{}, fieldError("label", reason)
			}
			t.Label = c
		default:
			*stringField(&t, f) = tok.scrub(s)
		}
	}
	attrs, rerr := cleanAttrs(attrs, tok, utf8OK)
	if rerr != nil {
		return graph.Transaction{}, rerr
	}
	t.Attrs = attrs
	if err := t.Validate(); err != nil {
		return graph.Transaction{}, asRowError(err)
	}
	return t, nil
}

// cardToken tokenises a card field. A value that still holds a run of 12 or
// more digits is refused: it is neither a card number alone nor a token.
// Reasons never echo the value.
func cardToken(s string, tok *Tokenizer) (string, string) {
	if s == "" {
		return "", ""
	}
	c := tok.Card(s)
	if longestDigitRun(c) >= minPANDigits {
		return "", "holds a run of 12 or more digits that is not a card number alone: send the card number by itself, or a token"
	}
	return c, ""
}

// cleanAttrs checks attrs against the contract (at most graph.MaxAttrs of
// them, valid UTF-8, keys and values at most graph.MaxIDLen bytes) and
// tokenises the card numbers they hold. It returns nil for an empty map. Of
// several bad attributes, the smallest key is reported, so that errors do
// not depend on map order.
func cleanAttrs(attrs map[string]string, tok *Tokenizer, utf8OK bool) (map[string]string, *RowError) {
	if len(attrs) == 0 {
		return nil, nil
	}
	if len(attrs) > graph.MaxAttrs {
		return nil, fieldError(attrsKey, fmt.Sprintf("%d attributes, over the limit of %d", len(attrs), graph.MaxAttrs))
	}
	var bad, badReason string
	var renamed []string
	for k, v := range attrs {
		reason := ""
		if !utf8OK && (!utf8.ValidString(k) || !utf8.ValidString(v)) {
			reason = "not valid UTF-8"
		} else {
			sk, sv := tok.scrub(k), tok.scrub(v)
			switch {
			case len(sk) > graph.MaxIDLen || len(sv) > graph.MaxIDLen:
				reason = fmt.Sprintf("over %d bytes", graph.MaxIDLen)
			case sk != k:
				attrs[k] = sv
				renamed = append(renamed, k)
			case sv != v:
				attrs[k] = sv
			}
		}
		if reason != "" && (badReason == "" || k < bad) {
			bad, badReason = k, reason
		}
	}
	if badReason != "" {
		return nil, fieldError(attrsKey, "attribute "+echo(bad)+": "+badReason)
	}
	// A key that held a card number yields to a key already named like its
	// token; among such keys, the smallest wins. Either way the result does
	// not depend on map order.
	slices.Sort(renamed)
	for _, k := range renamed {
		v := attrs[k]
		delete(attrs, k)
		if _, taken := attrs[tok.scrub(k)]; !taken {
			attrs[tok.scrub(k)] = v
		}
	}
	return attrs, nil
}

// Years representable in RFC 3339, which is how times are written back.
const (
	minYear = 1
	maxYear = 9999
)

// parseTime parses RFC 3339 (fractional seconds allowed) or integer unix
// milliseconds, and returns the time in UTC, or a reason for refusing it.
func parseTime(s string) (time.Time, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, "missing"
	}
	var t time.Time
	if isInteger(s) {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, echo(s) + " is out of range for unix milliseconds"
		}
		t = time.UnixMilli(ms)
	} else {
		var err error
		if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
			// err quotes the whole value: say it again, masked.
			return time.Time{}, echo(s) + " is neither RFC 3339 nor integer unix milliseconds"
		}
	}
	t = t.UTC()
	if y := t.Year(); y < minYear || y > maxYear {
		return time.Time{}, "year " + strconv.Itoa(y) + " is outside 1–9999 (unix milliseconds expected, not microseconds)"
	}
	return t, ""
}

// isInteger reports whether s is an optional minus sign and digits.
func isInteger(s string) bool {
	s = strings.TrimPrefix(s, "-")
	return allDigits(s)
}

// parseAmount parses a decimal number (sign, digits, point, exponent; no
// hex, no underscores, no NaN or infinities) or gives a reason. Negative
// amounts are returned: Transaction.Validate refuses them with the value.
func parseAmount(s string) (float64, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, "missing"
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c), c == '.', c == '-', c == '+', c == 'e', c == 'E':
		default:
			return 0, echo(s) + " is not a decimal number"
		}
	}
	a, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, echo(s) + " is out of range"
		}
		return 0, echo(s) + " is not a decimal number"
	}
	return a, ""
}

// parseClass parses a label: fraud, legit, laundering, 1 or 0, with any
// case and surrounding spaces; "" is no label.
func parseClass(s string) (graph.Class, string) {
	c, err := graph.ParseClass(strings.ToLower(strings.TrimSpace(s)))
	if err != nil {
		return "", echo(s) + " is not fraud, legit, laundering, 1 or 0"
	}
	return c, ""
}

// buildLabel turns one row's field texts into a validated Label. With a
// nil tok, a card number in the entity id is refused (a label must name a
// card by its token); with one, it is tokenised as in transactions.
func buildLabel(v *labelValues, tok *Tokenizer) (graph.Label, *RowError) {
	var l graph.Label
	for f := range numLabelFields {
		s := v[f]
		if !utf8.ValidString(s) {
			return graph.Label{}, fieldError(labelFields[f], "not valid UTF-8")
		}
		if s == "" {
			continue
		}
		switch f {
		case labelTxn:
			l.Txn = s
		case labelEntity:
			ref, reason := parseEntity(s, tok)
			if reason != "" {
				return graph.Label{}, fieldError("entity", reason)
			}
			l.Entity = ref
		case labelClass:
			c, reason := parseClass(s)
			if reason != "" {
				return graph.Label{}, fieldError("label", reason)
			}
			l.Class = c
		case labelTime:
			tm, reason := parseTime(s)
			if reason != "" {
				return graph.Label{}, fieldError("time", reason)
			}
			l.Time = tm
		case labelSource:
			if tok != nil {
				l.Source = tok.scrub(s)
			} else {
				l.Source = replacePANs(s, MaskPAN)
			}
		}
	}
	if err := l.Validate(); err != nil {
		return graph.Label{}, asRowError(err)
	}
	return l, nil
}

// parseEntity parses a KIND:ID label target, tokenising card numbers in its
// id as transactions do, or refusing them when tok is nil.
func parseEntity(s string, tok *Tokenizer) (graph.NodeRef, string) {
	ref, err := graph.ParseRef(s)
	if err != nil {
		return graph.NodeRef{}, echo(s) + " is not a KIND:ID reference such as User:u-17"
	}
	switch {
	case tok != nil && ref.Kind == graph.KindCard:
		id, reason := cardToken(ref.ID, tok)
		if reason != "" {
			return graph.NodeRef{}, reason
		}
		ref.ID = id
	case tok != nil:
		ref.ID = tok.scrub(ref.ID)
	case ref.Kind == graph.KindCard && longestDigitRun(ref.ID) >= minPANDigits,
		holdsPAN(ref.ID):
		return graph.NodeRef{}, "names a card number: a label must name a card by its token (" + TokenPrefix + "…)"
	}
	return ref, ""
}
