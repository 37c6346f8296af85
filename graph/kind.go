package graph

import (
	"fmt"
	"strings"
)

// Kind is the kind of a node. The zero Kind is invalid.
type Kind uint8

// Node kinds.
const (
	KindUser Kind = iota + 1
	KindAccount
	KindCard // an HMAC token of the PAN, never the PAN itself
	KindDevice
	KindIP
	KindMerchant
	KindEmail
	KindPhone
	KindTransaction
)

// NumKinds is one more than the largest Kind, so arrays indexed by Kind
// can be declared as [NumKinds]T.
const NumKinds = int(KindTransaction) + 1

var kindNames = [NumKinds]string{"", "User", "Account", "Card", "Device", "IP", "Merchant", "Email", "Phone", "Transaction"}

// Kinds returns every valid node kind in declaration order.
func Kinds() []Kind {
	return []Kind{KindUser, KindAccount, KindCard, KindDevice, KindIP, KindMerchant, KindEmail, KindPhone, KindTransaction}
}

// String returns the kind's name as used in KIND:ID references, e.g. "User".
func (k Kind) String() string {
	if k.Valid() {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Valid reports whether k is one of the declared kinds.
func (k Kind) Valid() bool { return k >= KindUser && k <= KindTransaction }

// ParseKind parses a kind name, case-insensitively; "txn" is accepted for
// Transaction. It returns an error wrapping ErrInvalid for anything else.
func ParseKind(s string) (Kind, error) {
	if strings.EqualFold(s, "txn") {
		return KindTransaction, nil
	}
	for k := KindUser; k <= KindTransaction; k++ {
		if strings.EqualFold(s, kindNames[k]) {
			return k, nil
		}
	}
	return 0, fmt.Errorf("graph: unknown node kind %q: %w", s, ErrInvalid)
}

// MarshalText implements encoding.TextMarshaler.
func (k Kind) MarshalText() ([]byte, error) {
	if !k.Valid() {
		return nil, fmt.Errorf("graph: marshal %v: %w", k, ErrInvalid)
	}
	return []byte(kindNames[k]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *Kind) UnmarshalText(b []byte) error {
	v, err := ParseKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// EdgeKind is the kind of an edge. Every edge runs from a Transaction node to
// one entity; the edge kind fixes the entity's kind (see EdgeKind.Target).
// The zero EdgeKind means "any kind" in a Query.
type EdgeKind uint8

// Edge kinds.
const (
	EdgeBy        EdgeKind = iota + 1 // Transaction → User who made it
	EdgeFrom                          // Transaction → Account debited
	EdgeTo                            // Transaction → counterparty Account credited
	EdgeWithCard                      // Transaction → Card used
	EdgeOnDevice                      // Transaction → Device used
	EdgeFromIP                        // Transaction → IP address
	EdgeAt                            // Transaction → Merchant
	EdgeWithEmail                     // Transaction → Email on the order
	EdgeWithPhone                     // Transaction → Phone on the order
)

// NumEdgeKinds is one more than the largest EdgeKind.
const NumEdgeKinds = int(EdgeWithPhone) + 1

var edgeNames = [NumEdgeKinds]string{"", "BY", "FROM", "TO", "WITH_CARD", "ON_DEVICE", "FROM_IP", "AT", "WITH_EMAIL", "WITH_PHONE"}

var edgeTargets = [NumEdgeKinds]Kind{0, KindUser, KindAccount, KindAccount, KindCard, KindDevice, KindIP, KindMerchant, KindEmail, KindPhone}

// EdgeKinds returns every valid edge kind in declaration order.
func EdgeKinds() []EdgeKind {
	return []EdgeKind{EdgeBy, EdgeFrom, EdgeTo, EdgeWithCard, EdgeOnDevice, EdgeFromIP, EdgeAt, EdgeWithEmail, EdgeWithPhone}
}

// String returns the edge kind's relationship name, e.g. "WITH_CARD".
func (e EdgeKind) String() string {
	if e.Valid() {
		return edgeNames[e]
	}
	return fmt.Sprintf("EdgeKind(%d)", uint8(e))
}

// Valid reports whether e is one of the declared edge kinds.
func (e EdgeKind) Valid() bool { return e >= EdgeBy && e <= EdgeWithPhone }

// Target returns the kind of entity the edge points at; 0 for an invalid e.
func (e EdgeKind) Target() Kind {
	if e.Valid() {
		return edgeTargets[e]
	}
	return 0
}

// EdgeKindsOf returns the edge kinds that can end at an entity of kind k
// (for an Account: FROM and TO), or nil for Transaction and invalid kinds.
func EdgeKindsOf(k Kind) []EdgeKind {
	var out []EdgeKind
	for e := EdgeBy; e <= EdgeWithPhone; e++ {
		if edgeTargets[e] == k {
			out = append(out, e)
		}
	}
	return out
}

// ParseEdgeKind parses a relationship name such as "ON_DEVICE",
// case-insensitively.
func ParseEdgeKind(s string) (EdgeKind, error) {
	for e := EdgeBy; e <= EdgeWithPhone; e++ {
		if strings.EqualFold(s, edgeNames[e]) {
			return e, nil
		}
	}
	return 0, fmt.Errorf("graph: unknown edge kind %q: %w", s, ErrInvalid)
}

// MarshalText implements encoding.TextMarshaler.
func (e EdgeKind) MarshalText() ([]byte, error) {
	if !e.Valid() {
		return nil, fmt.Errorf("graph: marshal %v: %w", e, ErrInvalid)
	}
	return []byte(edgeNames[e]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (e *EdgeKind) UnmarshalText(b []byte) error {
	v, err := ParseEdgeKind(string(b))
	if err != nil {
		return err
	}
	*e = v
	return nil
}
