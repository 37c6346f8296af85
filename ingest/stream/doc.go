// Package stream is riskgraph's JetStream log: the Publisher appends
// transactions and labels to it, the Consumer materialises it into a graph
// store.
//
// # The log
//
// One stream (DefaultStream, "RISKGRAPH") holds SubjectTxn and SubjectLabel
// on file storage; EnsureStream creates it with its dead-letter stream
// (DefaultDeadLetterStream on SubjectDeadLetterPrefix + ">"). A message's
// body is the contract's JSON and its Nats-Msg-Id the transaction id (for a
// label, LabelMsgID), so the server drops a re-send within the Duplicates
// window and says so in the publish acknowledgement.
//
// # The materialised view
//
// The embedded graph is a view of the log: on start it loads its last
// snapshot and a Consumer replays the stream from the snapshot's LastSeq+1.
// The start position always comes from the store, never from server-side
// consumer state: the Consumer creates a fresh ephemeral consumer at that
// sequence each time it (re)subscribes. It applies messages strictly in
// stream order, in batches, with graph.Mutation.Seq set to the stream
// sequence, and acknowledges a message only after Apply returned. Applying
// twice is harmless (stores are idempotent by transaction id), so a crash
// anywhere costs at most a replay, never a lost or a double-counted
// transaction. ConsumerConfig.Checkpoint is called only between batches, when
// everything up to the store's LastSeq is applied: the place to snapshot.
//
// # Poison
//
// A message that does not decode or validate is published to
// DeadLetterSubject(subject) with the reason (naming the field), the
// original subject, stream sequence and delivery count in headers
// (HeaderReason …), then terminated. A message the store keeps failing on
// is tried MaxDeliver times and then dead-lettered the same way. The
// consumer never stalls on poison, and never lets a later message overtake
// an unresolved one (see Consumer for why failed applies are retried in
// place instead of Nak'ed).
//
// Neither side logs message bodies: they may hold personal data.
package stream
