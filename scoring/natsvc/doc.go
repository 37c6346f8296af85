// Package natsvc serves authorization over NATS micro (DESIGN:
// "Authorization"): the service riskgraph, endpoint "authorize" on
// riskgraph.v1.authorize in queue group riskgraph, so that any number of
// replicas share the requests and micro's $SRV.PING, $SRV.INFO and
// $SRV.STATS find them.
//
// # Requests
//
// A request is a v1 Transaction as JSON (see ingest.DecodeTransaction),
// plus an optional top-level deadline_ms: an integer number of milliseconds
// in 1..Config.MaxDeadline, measured from receipt, after which the
// Authorizer's context is done. Without it the deadline is
// Config.DefaultDeadline. deadline_ms is taken out before decoding, so it
// never reaches attrs. Card numbers are tokenised while decoding.
//
// # Replies
//
// A decided request gets the JSON of scoring.Decision, with latency_us
// (time since receipt) filled in when the Authorizer left it 0, txn when it
// left it empty, and reasons and typologies as [] rather than null. Anything
// else gets a micro error reply (no body; headers Nats-Service-Error and
// Nats-Service-Error-Code):
//
//	400  malformed JSON, a missing or invalid field, a bad deadline_ms, or
//	     scoring.ErrInvalid from the Authorizer; the description names the
//	     field ("amount: negative") and never holds a card number
//	503  too many requests in flight (Config.MaxInFlight: refused at once,
//	     never queued), the service stopping, scoring.ErrOverload or
//	     scoring.ErrClosed: retry, preferably on another replica
//	504  scoring.ErrDeadline or the context's deadline
//	500  anything else; the description is generic and the detail is
//	     logged (never the request body)
//
// The mapping from errors to codes lives in one function, classify.
//
// # Concurrency, monitoring and shutdown
//
// Each admitted request runs on a goroutine of its own; the endpoint's
// subscription only admits or refuses. So micro's $SRV.STATS counts every
// request (num_requests) but its error count and processing times see only
// the hand-off: the endpoint's data field holds natsvc.Stats (in flight,
// and replies by outcome). Service.Stop drains: no new requests, then it
// waits for the admitted ones.
//
// natsvc is an adapter: only cmd and tests import it.
package natsvc
