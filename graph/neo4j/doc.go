// Package neo4j is riskgraph's production graph store: a graph.Store kept
// in Neo4j 5 (or later with Cypher 5) through the official Go driver, so
// that many `riskgraph serve` replicas share one graph and investigators
// can query it with Cypher.
//
// # Model
//
// Every entity is a node labelled with its kind (:User, :Account, :Card,
// :Device, :IP, :Merchant, :Email, :Phone) and every transaction a
// :Transaction node; a transaction points at its entities with one
// relationship per edge kind (BY, FROM, TO, WITH_CARD, ON_DEVICE, FROM_IP,
// AT, WITH_EMAIL, WITH_PHONE), as in the design. Every node and
// relationship carries the store's graph name in property g (Config.Graph),
// so several graphs — tenants, tests — share one database.
//
// A relationship carries the transaction's time (Unix nanoseconds), its
// arrival number, and, denormalised, the transaction id (txn) and the
// entity id (ent). Entity nodes keep their degree and first/last edge time;
// a transaction node keeps its entity ids. Labels live on the nodes
// (label, labelTime, labelSource); a verdict about a transaction not seen
// yet is a :RiskgraphPendingLabel node, applied by the statement that
// creates the transaction; :RiskgraphGraph holds the graph's LastSeq and
// arrival counter.
//
// # Time-window queries and the index choice
//
// The sampler's question is "the k most recent neighbours of entity X
// across edge kind E before time T". Expanding from the entity node reads
// all of its relationships of that type and sorts them: fine for a card,
// linear in the degree for a merchant or an IP with a million
// transactions. Instead every relationship type has a composite range
// index on (g, ent, time, arrival), and the neighbour statements match the
// relationship alone with equality on g and ent, a range on time and an
// existence check on arrival — the predicates Neo4j's composite index rules
// let one seek solve — sorted right on the seek by the index columns,
// descending, with a LIMIT, so that the planner can read the window's most
// recent k entries in index order and stop: O(log n + k) whatever the
// degree (PROFILE a neighbours statement to see the seek and the order it
// provides). The arrival column breaks ties in time the way the contract
// asks (later arrival first). A plain
// relationship property index on time alone would not do: it is global to
// the relationship type, not per entity. The cost is one index entry per
// relationship and the two denormalised ids on it.
//
// An Account's FROM and TO lists are two such seeks merged in one
// statement. A transaction's own neighbours come from its node (it holds
// its entity ids), so they need no traversal either. Every read is one
// round trip: the statement also reports whether the node exists.
//
// # Writes, idempotency and concurrent writers
//
// Apply sends a batch as one write transaction (session.ExecuteWrite, so
// the driver retries deadlocks, leader switches and lost connections by
// running the whole transaction again): first allocate, which takes the
// write lock on the graph's :RiskgraphGraph node, reserves arrival numbers
// and raises LastSeq; then batched UNWIND $batch … MERGE statements. A
// transaction row is MERGEd on (g, id), which a uniqueness constraint
// covers: MERGE on a constrained key takes the constraint's index lock, so
// two writers racing on the same id serialise and the second one matches
// the node the first created. A row is created only if the node it
// matched carries its own arrival number; only then are its relationships
// CREATEd, so a duplicate transaction can never add an edge twice.
// Entities are MERGEd on their (g, id) constraint the same way. Because
// every writer locks the graph node first, writers of one graph never wait
// on each other's entity locks in opposite orders (no deadlocks between
// them), arrival numbers follow commit order, and LastSeq commits with the
// data it covers. A batch is all or nothing; a commit whose
// acknowledgement is lost reports graph.ErrUnavailable and applying it
// again is harmless — the reason the whole store is idempotent.
//
// # Statements
//
// Every Cypher statement is a constant in cypher.go and values always
// travel as parameters; where a label or relationship type depends on a
// kind, the code picks one of the constants (statements.go). Statements
// lists them all. cypher_test.go enforces this and keeps a golden file of
// every statement with the parameters the code sends.
//
// # Errors
//
// Driver and server errors are mapped onto the graph contract's
// sentinels: connection failures, timeouts, transient and database errors
// wrap graph.ErrUnavailable; constraint violations and bad values
// graph.ErrInvalid; refused credentials ErrAuth; statements the server
// cannot run ErrStatement; a missing database ErrInvalidConfig. Context
// errors are returned as themselves.
//
// # Limits
//
// Times must lie between 1677-09-21 and 2262-04-11 (int64 nanoseconds);
// Apply rejects others as graph.ErrInvalid. Stats counts by scanning the
// graph's index entries. Restore is not atomic against a server failure
// (see Restore). The schema needs Neo4j 5 (composite uniqueness
// constraints and relationship indexes; Community Edition suffices).
package neo4j
