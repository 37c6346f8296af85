// Package natsalert keeps typology alerts in a JetStream stream: the alert
// log that investigations and case management read.
//
// Each alert is one JSON message on riskgraph.v1.alert.<typology> with
// the alert's id as its Nats-Msg-Id, in the stream RISKGRAPH_ALERTS (file
// storage, subjects riskgraph.v1.alert.>), which Open creates or updates.
// Alert ids are stable (a re-run of a detector over the same history gives
// the same ids), so re-publishing is harmless: JetStream drops a repeat
// within the deduplication window and List drops any older repeat.
//
// natsalert is an adapter: only cmd and tests import it.
package natsalert
