// Package natsd runs an embedded NATS server with JetStream for riskgraph's
// single-binary deployment: `riskgraph serve` with no --nats-url starts one
// in-process, and JetStream's file store becomes the durable log that the
// embedded graph is a materialised view of (see ingest/stream).
//
// The server keeps its JetStream file store under Config.StoreDir and, by
// default, fsyncs every write before acknowledging it (sync_always), so an
// acknowledged publish survives a crash of the process or of the machine.
// Without Config.Listen the server opens no network port at all: clients
// reach it through Server.Connect, an in-process connection.
//
// natsd is an adapter: only cmd and tests import it.
package natsd
