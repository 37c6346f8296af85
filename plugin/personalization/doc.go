// Package personalization is a reference signal plug-in: it keeps the
// recent risk band of each pseudonymous subject and decides what that
// subject may be offered and how strongly it must authenticate.
//
// # Contract
//
// Eligibility(subject) returns an Offer by the subject's effective band:
//
//	band      tier        instant checkout  credit/BNPL increase  step-up (3DS/OTP)  offers
//	low       preferred   yes               yes                   no                 yes
//	medium    standard    no                no                    no                 yes
//	high      restricted  no                no                    yes                yes
//	critical  suppressed  no                no                    yes                no
//	unknown   standard    no                no                    no                 yes
//
// The effective band is the latest signal's band, unless a worse band was
// signalled within Config.Hold (default 24 h): one good payment does not
// lift a critical hold. A subject with no signal within Config.TTL
// (default 30 days), or evicted by Config.Capacity (least recently
// updated first), is unknown.
//
// The plug-in sees only filtered (non-compliance) signals: the band it acts
// on was computed without AML evidence (see package signal, "Tipping
// off"), so its behaviour cannot reveal an AML suspicion. It refuses a full
// signal with ErrComplianceSignal rather than hold one.
//
// It runs in-process (register a *Personalizer with a signal.Router) or as
// a separate NATS consumer (Subscribe on riskgraph.v1.signal.>); each
// instance keeps its own state, so run one subscriber per instance, not a
// queue group.
package personalization
