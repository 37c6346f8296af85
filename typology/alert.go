package typology

import (
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// Typology names, as used in alerts, subjects (riskgraph.v1.alert.<name>)
// and decision reasons.
const (
	FanIn            = "fan_in"
	FanOut           = "fan_out"
	ScatterGather    = "scatter_gather"
	GatherScatter    = "gather_scatter"
	Cycle            = "cycle"
	Structuring      = "structuring"
	RapidPassThrough = "rapid_pass_through"
	MuleChain        = "mule_chain"
	SharedIDRing     = "shared_id_ring"
)

// Severity ranks an alert for triage.
type Severity string

// Severities, lowest first.
const (
	SeverityLow    Severity = "low"
	SeverityMedium Severity = "medium"
	SeverityHigh   Severity = "high"
)

// Alert is one typology detection: a pattern of money movement (or of
// shared identifiers) that a detector found over a time window.
type Alert struct {
	// ID is stable for the same detection: the typology, the focal node and
	// the window start, so re-running a detector over the same history
	// yields the same ids (and JetStream deduplicates re-published alerts).
	// Where two detections can share those three (two sinks of one
	// scatter, two loops from one hop), a digest of what tells them apart
	// is added: "<typology>-<16 hex digits>".
	ID       string   `json:"id"`
	Typology string   `json:"typology"`
	Severity Severity `json:"severity"`
	// Focus is the node the pattern centres on (the fan-in hub, the
	// cycle's first account, the ring's seed).
	Focus graph.NodeRef `json:"focus"`
	// Members are every node taking part, Focus included.
	Members []graph.NodeRef `json:"members"`
	// Txns are the ids of the transactions that make up the pattern.
	Txns []string `json:"txns"`
	// Start and End bound the pattern's transactions in time; At is when
	// the detector raised it (the time of the transaction that completed it,
	// for incremental detection).
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	At    time.Time `json:"at"`
	// Amount is the total moved by the pattern's transactions.
	Amount float64 `json:"amount"`
	// Detail says in words what was seen ("23 senders into one account in
	// 72h, 41,200.00 total").
	Detail string `json:"detail"`
}
