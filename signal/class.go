package signal

import (
	"strings"
	"unicode"
)

// Class is a coarse reason class: what kind of evidence raised the risk,
// never which rule or feature did.
type Class string

// The reason classes. ClassAML is only ever seen by compliance plug-ins.
const (
	ClassVelocity Class = "velocity" // rates, counts and recency of activity
	ClassDevice   Class = "device"   // devices, IPs, fingerprints
	ClassIdentity Class = "identity" // users, accounts, cards, emails, phones, account age
	ClassAmount   Class = "amount"   // amounts and their shape
	ClassMerchant Class = "merchant" // merchants and MCCs
	ClassNetwork  Class = "network"  // counterparties, degree, rings, clusters
	ClassOther    Class = "other"    // anything unrecognised (default deny)
	ClassAML      Class = "aml"      // AML suspicion: compliance plug-ins only
)

// classOrder fixes the index of each class (ties in Signal.Reasons are
// broken in this order).
var classOrder = [...]Class{ClassVelocity, ClassDevice, ClassIdentity, ClassAmount, ClassMerchant, ClassNetwork, ClassOther, ClassAML}

type classID uint8

const (
	idVelocity classID = iota
	idDevice
	idIdentity
	idAmount
	idMerchant
	idNetwork
	idOther
	idAML
	numClasses
)

// Valid reports whether c is one of the classes above.
func (c Class) Valid() bool {
	for _, k := range classOrder {
		if c == k {
			return true
		}
	}
	return false
}

// AMLTerms is the explicit AML list. A reason code (or model id) is AML
// when, after normalisation (upper case; '-', ' ', '.', ':', '/' become
// '_'), any of its '_'-separated tokens starts a match of one of these
// terms (the term may span tokens: "FAN_IN" matches "LINKED_FAN_IN_24H").
// Matching over-reaches on purpose: a non-AML code wrongly held back costs a
// little personalisation; an AML code let through is tipping off.
//
//   - regulatory: AML, SAR, STR (suspicious transaction report), CASE,
//     SUSPICIOUS, SUSPICION, SANCTION, WATCHLIST, PEP, TERROR
//   - typologies: TYPOLOGY, STRUCTURING, SMURF, LAUNDER (LAUNDERING),
//     MULE, LAYERING, FAN_IN, FANIN, FAN_OUT, FANOUT, CYCLE, CIRCULAR,
//     ROUND_TRIP, SCATTER, GATHER, PASS_THROUGH, PASSTHROUGH,
//     RAPID_MOVEMENT
//   - labels: LABEL, FLAGGED. Label-derived features (feature's
//     label_positive_rate, entity_flagged) count both fraud and laundering
//     labels (graph.Class.Positive), so they can reveal a laundering label.
//
// Every entry of Decision.Typologies is AML whatever its name.
var AMLTerms = []string{
	"AML", "SAR", "STR", "CASE", "SUSPICIOUS", "SUSPICION", "SANCTION", "WATCHLIST", "PEP", "TERROR",
	"TYPOLOGY", "STRUCTURING", "SMURF", "LAUNDER", "MULE", "LAYERING",
	"FAN_IN", "FANIN", "FAN_OUT", "FANOUT", "CYCLE", "CIRCULAR", "ROUND_TRIP",
	"SCATTER", "GATHER", "PASS_THROUGH", "PASSTHROUGH", "RAPID_MOVEMENT",
	"LABEL", "FLAGGED",
}

// classTokens maps whole tokens to a class; the first token of a code (left
// to right) that is in the table decides, except that AML terms win
// anywhere in the code.
var classTokens = map[string]classID{
	"VELOCITY": idVelocity, "RECENT": idVelocity, "RECENCY": idVelocity, "BURST": idVelocity,
	"FREQUENCY": idVelocity, "COUNT": idVelocity, "HISTORY": idVelocity,
	"DEVICE": idDevice, "DEVICES": idDevice, "IP": idDevice, "IPS": idDevice, "FINGERPRINT": idDevice,
	"EMULATOR": idDevice, "BROWSER": idDevice, "USERAGENT": idDevice, "PROXY": idDevice, "VPN": idDevice,
	"USER": idIdentity, "USERS": idIdentity, "ACCOUNT": idIdentity, "ACCOUNTS": idIdentity,
	"CARD": idIdentity, "CARDS": idIdentity, "EMAIL": idIdentity, "PHONE": idIdentity,
	"IDENTITY": idIdentity, "KYC": idIdentity, "AGE": idIdentity, "NAME": idIdentity,
	"ADDRESS": idIdentity, "SYNTHETIC": idIdentity,
	"AMOUNT": idAmount, "VALUE": idAmount, "SUM": idAmount,
	"MERCHANT": idMerchant, "MERCHANTS": idMerchant, "MCC": idMerchant,
	"COUNTERPARTY": idNetwork, "DEGREE": idNetwork, "RING": idNetwork, "CLUSTER": idNetwork,
	"COMMUNITY": idNetwork, "NEIGHBOUR": idNetwork, "NEIGHBOR": idNetwork, "GRAPH": idNetwork,
	"SHARED": idNetwork, "TRANSFER": idNetwork,
}

// "HISTORY" is a prefix of hop-2 feature codes (HISTORY_AMOUNT_LOG): a
// later, more specific token should decide, so it is only a fallback.
var weakTokens = map[string]bool{"HISTORY": true}

// Classify maps a reason code to its class: ClassAML for the AMLTerms,
// otherwise the class of its first recognised token (a weak token such as
// HISTORY only when nothing else is recognised), otherwise ClassOther. It
// never returns the code itself.
func Classify(code string) Class { return classOrder[classify(code)] }

// IsAML reports whether code matches AMLTerms.
func IsAML(code string) bool { return classify(code) == idAML }

func classify(code string) classID {
	norm := normalise(code)
	if norm == "" {
		return idOther
	}
	if matchesAML(norm) {
		return idAML
	}
	weak := idOther
	for tok := range strings.SplitSeq(norm, "_") {
		id, ok := classTokens[tok]
		if !ok {
			continue
		}
		if weakTokens[tok] {
			if weak == idOther {
				weak = id
			}
			continue
		}
		return id
	}
	return weak
}

func normalise(code string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '-', ' ', '.', ':', '/':
			return '_'
		}
		return unicode.ToUpper(r)
	}, code)
}

// matchesAML reports whether one of AMLTerms starts at a token boundary of
// norm.
func matchesAML(norm string) bool {
	for start := 0; start < len(norm); {
		rest := norm[start:]
		for _, t := range AMLTerms {
			if strings.HasPrefix(rest, t) {
				return true
			}
		}
		i := strings.IndexByte(rest, '_')
		if i < 0 {
			break
		}
		start += i + 1
	}
	return false
}
