// Package typology detects anti-money-laundering typologies — known shapes
// of money movement and of shared identity — over riskgraph's transfer
// graph, within time windows.
//
// A transfer is a graph.Transaction with an Account (the sender, its FROM
// edge) and a Counterparty (the receiver, its TO edge). The detectors and
// their parameters (see Config; every default is documented there):
//
//   - fan_in, fan_out: many distinct counterparties into or out of one
//     account within a window, leaving out bulk payment runs (FanConfig).
//   - scatter_gather: a source splits money across intermediaries that pass
//     it on to one sink; gather_scatter: a hub collects from many and soon
//     pays about as much out to many (ScatterGatherConfig,
//     GatherScatterConfig).
//   - cycle: round-tripping, money going round a loop of up to six
//     accounts back to its start, each hop later than the one before, with
//     about the same amount (CycleConfig).
//   - structuring: repeated transfers just under a reporting threshold
//     (StructuringConfig).
//   - rapid_pass_through: an account pays out about what it has just
//     received (PassThroughConfig); mule_chain: that relay repeated along
//     a path A→B→C→… (ChainConfig).
//   - shared_id_ring: users linked by the devices, cards, phones, emails or
//     addresses they share: connected components and Louvain communities
//     of the user–identifier graph, with gonum (RingConfig).
//
// Detectors never read labels: a label says what a pattern was, not
// whether it is there.
//
// # Batch and incremental
//
// An Engine observes transfers as they arrive (Engine.Observe) and raises
// an alert when one completes a pattern, keeping only the transfers of the
// longest window per account, so its memory is bounded by traffic, not by
// history. Its Hits count the alerts each account and user took part in,
// which feeds the GNN's typology_hits_log feature (the Engine implements
// feature.TypologyCounter). Detect runs the same detectors over stored
// history by replaying it through an Engine, so batch and incremental
// detection agree by construction; it also finds shared-identifier rings,
// which are about identity rather than transfers. RingAround returns the
// ring around one entity, for investigations.
//
// # Alerts
//
// Every detection is an Alert whose ID is stable: a digest of the
// typology, the focus, the start of the pattern and, where two patterns
// can share those (the sink of a scatter-gather, the accounts of a loop),
// what tells them apart. Re-running a detector over the same history gives
// the same ids, so the alert stream (package typology/natsalert)
// deduplicates re-published alerts.
//
// # Accuracy and cost
//
// On riskgraph's synthetic traffic (package synth) every detector finds
// its planted pattern (TestPlantedPatterns: recall 0.83–1.00 per
// typology, precision 0.96–1.00), and the defaults raise about 0.4
// alerts per 1,000 accounts a month on normal traffic alone, all of them
// landlords collecting rent from a dozen tenants or more in a morning
// (TestFalseAlarms). On IBM's AMLSim fan-in/cycle data
// (../shared/data/amlsim-fanin-cycle), with the parameters in
// TestAMLSimAccuracy's comment, the fan-in and cycle detectors flag 661
// accounts at precision 0.997 and find 98.5% of the accounts that the data
// shows in a complete planted fan-in or loop; a third of AMLSim's
// laundering accounts make no transfer that differs from its background,
// which no structural detector can find.
//
// Engine.Observe takes about 0.4 µs per transfer at the median and 6 µs at
// the 99th percentile on realistic traffic (BenchmarkObserve); Detect
// scans a million transactions in about 3 s with under 150 MiB of heap growth
// (BenchmarkDetect with -typology.txns=1000000).
package typology
