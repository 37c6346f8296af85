// Package casefile keeps compliance cases as an append-only audit log on
// JetStream: every action an analyst takes (open, assign, note, attach,
// close, export) is one Event saying who did what, when, to which case,
// and a case is nothing but the fold of its events (Fold). There is no
// other copy of a case to drift from its history.
//
// # The log
//
// One stream, DefaultStream (RISKGRAPH_AUDIT), on file storage, holds
// subjects SubjectPrefix + case id. Deleting or purging messages is
// denied by the stream itself, so history cannot be rewritten through
// JetStream's API. A case id (C-20260314-000042) is the UTC day the case
// was opened and the stream sequence of its open event: unique, short,
// and sorting in the order cases were opened.
//
// Writes are optimistic: an event is appended only if the case's last
// event is still the one its state was folded from (JetStream's expected
// last subject sequence), so two analysts cannot both close a case, and a
// note can never land after a close. On a conflict the case is re-read,
// the action re-checked against the new state and retried.
//
// # Closing
//
// Closed cases are immutable: notes, assignments, attachments and a second
// close are refused with an error wrapping ErrClosedCase. A close carries a
// disposition; confirmed_fraud and laundering_suspicion turn the case's
// entities and transactions into graph.Label events (source "case:<id>")
// published to the transaction log's label subject through a Labeller
// (the ingest/stream Publisher), so verdicts reach the graph and the next
// training run the same way chargebacks do. Label message ids are
// deterministic (stream.LabelMsgID over the close time), so PublishLabels
// can safely publish them again after a failure.
//
// casefile is an adapter: only cmd and tests import it.
package casefile
