// Package registry is the model registry: the GNN artefacts a deployment
// may serve, which of them is the champion (decides) and which the shadow
// (scores the same traffic, never decides), and an append-only log of who
// changed that, when and why.
//
// # Model ids
//
// A model is stored under its serving id, artefact.Manifest.ModelID
// (name@ first 12 hex digits of the weights' SHA-256), so the registry is
// content-addressed: adding the same artefact twice stores it once, and an
// id always names the same weights. Commands accept any unique prefix of an
// id, or of the hash after its '@'.
//
// # State, log and promotion rules
//
// Every change is an Event: add, promote, shadow, rollback or repair. An
// event carries the State it leaves in force (champion, shadow and the
// earlier champions that rollback returns to), so the last event committed
// — the head — is the registry's state, and the log of events is its
// history. A Backend commits an event by compare-and-swap on the head's
// sequence number, then appends it to the log; a failure between the two is
// repaired by the next commit, which first appends a head the log lacks.
//
// Promote refuses, unless forced, a challenger that scores worse than the
// champion (lower AUC or lower average precision) on the same held-out set,
// and refuses to decide — asking for force and saying why — when the two
// cannot be compared: one has no held-out metrics, or their held-out sets
// differ. Metrics come from the manifests (see EvaluationOf); the registry
// never re-scores a model. An artefact that does not load (checksums,
// shapes, finite weights: artefact.LoadFS) is never added, promoted or made
// shadow, forced or not.
//
// # Backends
//
// Dir keeps the registry in a directory (by default <data-dir>/models): one
// sub-directory per model, the head in pointer.json (written to a temporary
// file, fsynced, renamed), the log in log.jsonl (one event per line,
// fsynced), and an advisory lock serialising commits across processes. It
// can be changed while a server runs over the same data directory. Package
// registry/natsobj keeps it in NATS JetStream (an object store bucket for
// the artefacts, a key-value bucket for the head and the log) for
// deployments where several servers share one cluster. Both pass the
// conformance suite in registry/registrytest.
//
// Servers follow the head with Registry.Watch: Dir polls the pointer
// file's content, natsobj uses a key-value watch.
package registry
