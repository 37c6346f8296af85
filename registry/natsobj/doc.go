// Package natsobj keeps the model registry in NATS JetStream, for
// deployments where several riskgraph servers share one NATS cluster: the
// artefacts in an object store bucket (objects "<id>/manifest.json" and
// "<id>/<weights file>"), the head and the log in a key-value bucket (keys
// "head" and "log.<seq, 20 digits>"). Commits compare-and-swap the head's
// revision; servers follow the head with a key-value watch.
//
// Store is a registry.Backend and passes registrytest.Run against an
// embedded server.
package natsobj
