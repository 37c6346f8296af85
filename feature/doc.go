// Package feature is riskgraph's feature schema (version "v1") and its
// encoders: the single code path that turns graph facts into float32
// vectors, for training and for serving alike.
//
// There are two vectors:
//
//   - the transaction vector (TxnWidth columns, TxnNames), a pure function
//     of one graph.Transaction: amount, time of day and week, channel,
//     kind, currency, hashed MCC and country, which entities it names. It
//     never looks at the transaction's label.
//   - the entity vector (EntityWidth columns, EntityNames), computed by an
//     Encoder from what the graph knew strictly before an as-of time t
//     (every read uses the window [.., t)): kind, age, degree, velocity,
//     the entities sharing its recent transactions, and the rate of
//     positive labels among its recent transactions whose label was known
//     before t.
//
// Schema returns the names of the target, hop-1 and hop-2 vectors of the
// sampling relation tree for a target kind; Layout.Spec turns them and
// their normalisation statistics (accumulated with Stats, Welford's
// algorithm) into the model manifest's artefact.FeatureSpec, and NewNorm
// turns a manifest's statistics back into the (x-mean)/std transform.
//
// # Leakage
//
// A label is known from graph.Node.LabelTime when the store has one, and
// otherwise (labels that came inline with a historical row) from the
// transaction's time plus Config.LabelDelay (default 14 days: chargebacks
// arrive weeks after the payment). A label known at or after t does not
// count. Only the store's latest label is visible, so a label replaced
// after t hides any earlier one: the encoder errs on the side of knowing
// less.
//
// # Bounded cost
//
// An entity vector costs one Node read, one Neighbors read of at most
// Config.DegreeCap edges (degree and velocity counts saturate there), and a
// Transaction and a Node read for each of its Config.Recent most recent
// transactions (amounts, shared entities, labels). An Encoder caches the
// transactions and entity vectors it has read until Reset, so the
// transactions shared by many entities of one batch are read once.
package feature
