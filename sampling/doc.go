// Package sampling builds the fixed-shape, time-respecting 2-hop samples
// the heterogeneous GraphSAGE model consumes (see Batch for the tensor
// layout and gnn/artefact.Dims.Tensors for the model).
//
// Every read is strictly before the target's as-of time t: for a
// Transaction target its own time (so neither it nor anything at or after
// it is ever a neighbour), for an Account target a time the caller gives.
//
// # Relation trees
//
// Transaction targets (payment fraud), Relations1 = the 9 edge kinds in
// graph.EdgeKind order — BY, FROM, TO, WITH_CARD, ON_DEVICE, FROM_IP, AT,
// WITH_EMAIL, WITH_PHONE — with K1 = 1 (a transaction names at most one
// entity per kind); Relations2 = one relation, "REVERSE": the hop-1
// entity's transactions across the same edge kind, the K2 (default 10)
// most recent strictly before t. X0 and X2 are transaction vectors, X1
// entity vectors as of t.
//
// Account targets (AML), Relations1 = FROM, TO: the account's outgoing and
// incoming transactions before t, K1 (default 16) per relation, either the
// most recent (Hop1Recent, the default: laundering typologies live in
// recent windows) or a seeded uniform sample without replacement among the
// Config.Pool most recent (Hop1Uniform), shown newest first either way;
// Relations2 = the 9 edge kinds again, K2 = 1: the entities each of those
// transactions names (its FROM is the target itself). X0 and X2 are
// entity vectors as of t, X1 transaction vectors.
//
// # Determinism
//
// A row depends only on the graph, the Config and its target: never on
// the other targets of the batch. Uniform sampling draws from a PCG stream
// seeded with (Config.Seed, FNV-1a of the target's KIND:ID, t in unix
// nanoseconds). The same seed and graph give the same Batch bit for bit.
//
// # Cost
//
// Structure (refs and masks only) of a Transaction target is one
// Transaction read and 9 bounded Neighbors reads; Sample adds the feature
// encoders (package feature), which dominate. A Sampler reuses its
// buffers and the Batch's across calls and is not safe for concurrent use.
package sampling
