// Package signal turns scoring decisions into versioned risk signals (v1)
// and routes them to plug-ins (personalization, creative, …) and to the
// NATS subjects riskgraph.v1.signal.<band>, without ever tipping off.
//
// # Signal
//
// A Signal carries a pseudonymous subject (HMAC-SHA-256 of the user, else
// account, else card id under Config.SubjectKey; never the raw id), a band
// (low|medium|high|critical by Config.Cuts), a score in [0, 1], coarse
// reason classes (Classify: velocity, device, identity, amount, merchant,
// network, other; aml for compliance only), the transaction id, the
// decision time and the model id. Raw reason codes, details, typologies and
// the approve/review/decline decision never leave in a non-compliance
// signal. Decode parses and validates one.
//
// Classification is default deny: a code that matches nothing becomes
// "other", and the code itself is never forwarded. The AML list (AMLTerms)
// wins over every other class and over-reaches on purpose.
//
// # Tipping off
//
// Anti-money-laundering law forbids alerting a customer, directly or
// through the behaviour of marketing systems, that they are suspected. A
// marketing plug-in that sees "critical" right after a laundering alert and
// withdraws offers is tipping off. So the Router builds two views of every
// decision:
//
//   - The full view, for plug-ins registered with Compliance: the raw score
//     and its band, every class including aml, and a Compliance section
//     (decision, raw reasons, typologies, and what the public view showed).
//   - The filtered view, for every other plug-in and for NATS: the AML
//     class removed, no Compliance section, and a score and band computed
//     as if the AML evidence did not exist.
//
// The rule for the filtered score. A decision is AML-touched when one of
// its reasons classifies as aml or it has any typology. For an untouched
// decision the filtered score is the score. For a touched one, with L the
// log-odds of the score, A the sum of the positive weights (log-odds) of
// its AML reasons and N that of its other reasons:
//
//	attributed (every AML reason has a positive weight, no typologies):
//	    score' = sigmoid(L − A)
//	unattributed (typologies, or an AML reason without weight):
//	    score' = min(sigmoid(L − A), sigmoid(logit(Config.PriorScore) + N))
//
// that is, the AML reasons' share of the log-odds is taken out, and when
// part of the AML contribution cannot be measured, the score is capped at
// what the non-AML reasons alone justify from the prior. score' is then
// coarsened down to a multiple of Config.ScoreStep and the filtered band is
// Cuts.Band(score'). Consequences, by design: an attributed decision looks
// exactly like the same decision scored without its AML reasons; a decision
// driven only by AML evidence looks like a clean one (band low, no
// classes); a fraud signal (device ring, velocity) that came with AML
// evidence still shows at the strength of the fraud evidence. The cost is
// that marketing may keep treating a suspected launderer normally; that is
// what the law asks, and compliance plug-ins are where action is taken.
// The model id is blanked in the filtered view when it itself classifies
// as AML (an "aml-…" model).
//
// # Routing
//
// Register adds a plug-in under a unique name (duplicates are refused) and
// states whether it is a compliance plug-in. Route builds both views once
// and offers each consumer its own copy through a bounded queue drained by
// that consumer's goroutine; a full queue drops the copy and counts it
// (Stats), so a slow plug-in never blocks scoring. Close drains and stops.
//
// signal is a domain package: it imports graph and scoring only. NATS
// enters through the Publisher interface, which *nats.Conn satisfies.
package signal
