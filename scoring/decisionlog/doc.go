// Package decisionlog keeps every authorization decision in a JetStream
// stream (RISKGRAPH_DECISIONS, subject riskgraph.v1.decision), so that a
// past decision can be explained and reproduced later (riskgraph explain):
// its score, model id, rules version, reasons and the transaction's time.
//
// Recording is off the authorization path: Record never blocks. Records
// queue (bounded; a full queue drops and counts) and go out in group
// messages of up to MaxRecords JSON lines, published asynchronously, so a
// sync-always stream pays one fsync per group rather than per decision.
// The log is an audit aid, not the system of record for transactions: the
// transaction log is (ingest/stream).
package decisionlog
