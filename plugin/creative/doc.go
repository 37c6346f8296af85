// Package creative is a reference signal plug-in for AI-generated
// campaigns and lookbooks: a registry of creative assets, each with
// targeting rules and an incentive, gated by the risk signals of the
// subjects they would target.
//
// # Contract
//
// Register adds an Asset{ID, Kind (campaign|lookbook), MaxBand, Incentive,
// Exclude}; ids are unique (ErrDuplicateAsset). For a subject, Gate
// answers for one asset and Targets lists every asset that may target it:
//
//   - Targeting. A subject's effective band is the worst band signalled
//     within Config.Window (default 7 days), or Config.UnknownBand (default
//     medium) when there is none. An asset never targets a critical
//     subject, nor one whose band is riskier than its MaxBand (default
//     medium), nor one that showed any of its Exclude classes within
//     Window.
//   - Incentives. A subject in a risky cluster gets the asset without its
//     incentive (Grant.HeldBack, Incentive 0): generated content is cheap,
//     vouchers and cashback are what fraud rings farm. A subject is in a
//     risky cluster when, within Window, it or its cluster
//     (Config.ClusterOf, an optional subject → cluster id function, e.g. a
//     shared-device community) received a signal carrying a ring class
//     (Config.RingClasses, default device and identity) at
//     Config.RingBand (default medium) or worse.
//
// The plug-in sees only filtered signals: no aml class, and bands computed
// without AML evidence (package signal, "Tipping off"), so withholding an
// incentive never follows from an AML suspicion. ClassAML cannot be a ring
// class, and a full (compliance) signal is refused with
// ErrComplianceSignal.
//
// It runs in-process (register a *Creative with a signal.Router) or as a
// separate NATS consumer (Subscribe on riskgraph.v1.signal.>); each
// instance keeps its own state (bounded by Config.Capacity subjects and
// clusters, least recently updated out first).
package creative
