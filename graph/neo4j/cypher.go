package neo4j

// Every Cypher statement the package sends is a constant in this file.
// Values always travel as parameters ($name); the only identifiers in the
// text are labels, relationship types and property keys of the fixed model
// below, and where one of them depends on a value (a node kind, an edge
// kind) the code picks one of these constants with a switch (statements.go)
// — nothing is ever formatted or concatenated into a statement. The type
// cypher has no other source: cypher_test.go rejects any conversion to it,
// any variable of it, and any non-literal constant.
//
// Model (see doc.go): one node per entity, (:User {g, id, degree, first,
// last, label, labelTime, labelSource}) and likewise for every entity
// label; (:Transaction {g, id, time, amount, …, arrival, degree});
// relationships (:Transaction)-[:BY {g, ent, txn, time, arrival}]->(:User)
// and so on for every edge kind; (:RiskgraphPendingLabel {g, txn, class,
// ts, source}) for verdicts waiting for their transaction;
// (:RiskgraphGraph {g, lastSeq, arrival}) for the graph's counters. Times
// are Unix nanoseconds (UTC).

// cypher is a Cypher statement. Only constants of this file have the type.
type cypher string

// Schema: a uniqueness constraint on (g, id) for every node kind, which is
// also the index behind every lookup by id and the lock MERGE takes, so
// concurrent writers can never create the same node twice; a composite
// range index (g, ent, time, arrival) per relationship type, which answers
// "the neighbours of entity X across edge kind E in [from, to), newest
// first" with one index seek in index order.
const (
	schemaUser        cypher = `CREATE CONSTRAINT riskgraph_user_key IF NOT EXISTS FOR (n:User) REQUIRE (n.g, n.id) IS UNIQUE`
	schemaAccount     cypher = `CREATE CONSTRAINT riskgraph_account_key IF NOT EXISTS FOR (n:Account) REQUIRE (n.g, n.id) IS UNIQUE`
	schemaCard        cypher = `CREATE CONSTRAINT riskgraph_card_key IF NOT EXISTS FOR (n:Card) REQUIRE (n.g, n.id) IS UNIQUE`
	schemaDevice      cypher = `CREATE CONSTRAINT riskgraph_device_key IF NOT EXISTS FOR (n:Device) REQUIRE (n.g, n.id) IS UNIQUE`
	schemaIP          cypher = `CREATE CONSTRAINT riskgraph_ip_key IF NOT EXISTS FOR (n:IP) REQUIRE (n.g, n.id) IS UNIQUE`
	schemaMerchant    cypher = `CREATE CONSTRAINT riskgraph_merchant_key IF NOT EXISTS FOR (n:Merchant) REQUIRE (n.g, n.id) IS UNIQUE`
	schemaEmail       cypher = `CREATE CONSTRAINT riskgraph_email_key IF NOT EXISTS FOR (n:Email) REQUIRE (n.g, n.id) IS UNIQUE`
	schemaPhone       cypher = `CREATE CONSTRAINT riskgraph_phone_key IF NOT EXISTS FOR (n:Phone) REQUIRE (n.g, n.id) IS UNIQUE`
	schemaTransaction cypher = `CREATE CONSTRAINT riskgraph_transaction_key IF NOT EXISTS FOR (n:Transaction) REQUIRE (n.g, n.id) IS UNIQUE`
	schemaPending     cypher = `CREATE CONSTRAINT riskgraph_pending_label_key IF NOT EXISTS FOR (n:RiskgraphPendingLabel) REQUIRE (n.g, n.txn) IS UNIQUE`
	schemaGraph       cypher = `CREATE CONSTRAINT riskgraph_graph_key IF NOT EXISTS FOR (n:RiskgraphGraph) REQUIRE n.g IS UNIQUE`

	schemaByWindow        cypher = `CREATE INDEX riskgraph_by_window IF NOT EXISTS FOR ()-[r:BY]-() ON (r.g, r.ent, r.time, r.arrival)`
	schemaFromWindow      cypher = `CREATE INDEX riskgraph_from_window IF NOT EXISTS FOR ()-[r:FROM]-() ON (r.g, r.ent, r.time, r.arrival)`
	schemaToWindow        cypher = `CREATE INDEX riskgraph_to_window IF NOT EXISTS FOR ()-[r:TO]-() ON (r.g, r.ent, r.time, r.arrival)`
	schemaWithCardWindow  cypher = `CREATE INDEX riskgraph_with_card_window IF NOT EXISTS FOR ()-[r:WITH_CARD]-() ON (r.g, r.ent, r.time, r.arrival)`
	schemaOnDeviceWindow  cypher = `CREATE INDEX riskgraph_on_device_window IF NOT EXISTS FOR ()-[r:ON_DEVICE]-() ON (r.g, r.ent, r.time, r.arrival)`
	schemaFromIPWindow    cypher = `CREATE INDEX riskgraph_from_ip_window IF NOT EXISTS FOR ()-[r:FROM_IP]-() ON (r.g, r.ent, r.time, r.arrival)`
	schemaAtWindow        cypher = `CREATE INDEX riskgraph_at_window IF NOT EXISTS FOR ()-[r:AT]-() ON (r.g, r.ent, r.time, r.arrival)`
	schemaWithEmailWindow cypher = `CREATE INDEX riskgraph_with_email_window IF NOT EXISTS FOR ()-[r:WITH_EMAIL]-() ON (r.g, r.ent, r.time, r.arrival)`
	schemaWithPhoneWindow cypher = `CREATE INDEX riskgraph_with_phone_window IF NOT EXISTS FOR ()-[r:WITH_PHONE]-() ON (r.g, r.ent, r.time, r.arrival)`

	schemaTxnArrival cypher = `CREATE INDEX riskgraph_transaction_arrival IF NOT EXISTS FOR (n:Transaction) ON (n.g, n.arrival)`
	schemaTxnLabel   cypher = `CREATE INDEX riskgraph_transaction_label IF NOT EXISTS FOR (n:Transaction) ON (n.g, n.label)`

	// awaitIndexes blocks until every index is online (or $timeout pass).
	awaitIndexes cypher = `CALL db.awaitIndexes($timeout)`
)

// Writes. Every write transaction starts with allocate, which locks the
// graph's counter node: writers of one graph are serialised there (never
// deadlocking on entity locks taken in different orders), arrival numbers
// follow commit order, and LastSeq moves in the same transaction as the
// data it covers.
const (
	// allocate reserves $n arrival numbers (base+1 … base+$n) and
	// raises lastSeq to $seq.
	allocate cypher = `MERGE (m:RiskgraphGraph {g: $g})
ON CREATE SET m.lastSeq = 0, m.arrival = 0
SET m.arrival = m.arrival + $n,
    m.lastSeq = CASE WHEN $seq > m.lastSeq THEN $seq ELSE m.lastSeq END
RETURN m.arrival - $n AS base`

	// applyTxns creates the transactions of $batch that do not exist yet
	// (MERGE on the constrained key; a row whose node already existed has
	// another arrival number and stops at the WHERE), links each new one
	// to its entities (created as needed), keeps the entities' degree and
	// first/last edge time, applies a pending label, and returns how many
	// transactions it created. Row ids are distinct (the caller dedupes).
	// A pending label is kept once applied: a snapshot taken while its
	// transaction arrives then holds it either way (restorePending skips
	// those whose transaction the snapshot holds).
	applyTxns cypher = `UNWIND $batch AS r
MERGE (t:Transaction {g: $g, id: r.id})
ON CREATE SET t.time = r.time, t.amount = r.amount, t.currency = r.currency, t.kind = r.kind,
    t.user = r.user, t.account = r.account, t.counterparty = r.counterparty, t.card = r.card,
    t.device = r.device, t.ip = r.ip, t.merchant = r.merchant, t.email = r.email, t.phone = r.phone,
    t.mcc = r.mcc, t.country = r.country, t.channel = r.channel, t.attrs = r.attrs,
    t.label = r.label, t.labelTime = r.labelTime, t.labelSource = r.labelSource,
    t.arrival = r.arrival, t.degree = r.degree
WITH t, r
WHERE t.arrival = r.arrival
FOREACH (x IN CASE WHEN r.user IS NULL THEN [] ELSE [r.user] END |
  MERGE (e:User {g: $g, id: x})
  ON CREATE SET e.degree = 0
  SET e.degree = e.degree + 1,
      e.first = CASE WHEN e.first IS NULL OR r.time < e.first THEN r.time ELSE e.first END,
      e.last = CASE WHEN e.last IS NULL OR r.time > e.last THEN r.time ELSE e.last END
  CREATE (t)-[:BY {g: $g, ent: x, txn: r.id, time: r.time, arrival: r.arrival}]->(e))
FOREACH (x IN CASE WHEN r.account IS NULL THEN [] ELSE [r.account] END |
  MERGE (e:Account {g: $g, id: x})
  ON CREATE SET e.degree = 0
  SET e.degree = e.degree + 1,
      e.first = CASE WHEN e.first IS NULL OR r.time < e.first THEN r.time ELSE e.first END,
      e.last = CASE WHEN e.last IS NULL OR r.time > e.last THEN r.time ELSE e.last END
  CREATE (t)-[:FROM {g: $g, ent: x, txn: r.id, time: r.time, arrival: r.arrival}]->(e))
FOREACH (x IN CASE WHEN r.counterparty IS NULL THEN [] ELSE [r.counterparty] END |
  MERGE (e:Account {g: $g, id: x})
  ON CREATE SET e.degree = 0
  SET e.degree = e.degree + 1,
      e.first = CASE WHEN e.first IS NULL OR r.time < e.first THEN r.time ELSE e.first END,
      e.last = CASE WHEN e.last IS NULL OR r.time > e.last THEN r.time ELSE e.last END
  CREATE (t)-[:TO {g: $g, ent: x, txn: r.id, time: r.time, arrival: r.arrival}]->(e))
FOREACH (x IN CASE WHEN r.card IS NULL THEN [] ELSE [r.card] END |
  MERGE (e:Card {g: $g, id: x})
  ON CREATE SET e.degree = 0
  SET e.degree = e.degree + 1,
      e.first = CASE WHEN e.first IS NULL OR r.time < e.first THEN r.time ELSE e.first END,
      e.last = CASE WHEN e.last IS NULL OR r.time > e.last THEN r.time ELSE e.last END
  CREATE (t)-[:WITH_CARD {g: $g, ent: x, txn: r.id, time: r.time, arrival: r.arrival}]->(e))
FOREACH (x IN CASE WHEN r.device IS NULL THEN [] ELSE [r.device] END |
  MERGE (e:Device {g: $g, id: x})
  ON CREATE SET e.degree = 0
  SET e.degree = e.degree + 1,
      e.first = CASE WHEN e.first IS NULL OR r.time < e.first THEN r.time ELSE e.first END,
      e.last = CASE WHEN e.last IS NULL OR r.time > e.last THEN r.time ELSE e.last END
  CREATE (t)-[:ON_DEVICE {g: $g, ent: x, txn: r.id, time: r.time, arrival: r.arrival}]->(e))
FOREACH (x IN CASE WHEN r.ip IS NULL THEN [] ELSE [r.ip] END |
  MERGE (e:IP {g: $g, id: x})
  ON CREATE SET e.degree = 0
  SET e.degree = e.degree + 1,
      e.first = CASE WHEN e.first IS NULL OR r.time < e.first THEN r.time ELSE e.first END,
      e.last = CASE WHEN e.last IS NULL OR r.time > e.last THEN r.time ELSE e.last END
  CREATE (t)-[:FROM_IP {g: $g, ent: x, txn: r.id, time: r.time, arrival: r.arrival}]->(e))
FOREACH (x IN CASE WHEN r.merchant IS NULL THEN [] ELSE [r.merchant] END |
  MERGE (e:Merchant {g: $g, id: x})
  ON CREATE SET e.degree = 0
  SET e.degree = e.degree + 1,
      e.first = CASE WHEN e.first IS NULL OR r.time < e.first THEN r.time ELSE e.first END,
      e.last = CASE WHEN e.last IS NULL OR r.time > e.last THEN r.time ELSE e.last END
  CREATE (t)-[:AT {g: $g, ent: x, txn: r.id, time: r.time, arrival: r.arrival}]->(e))
FOREACH (x IN CASE WHEN r.email IS NULL THEN [] ELSE [r.email] END |
  MERGE (e:Email {g: $g, id: x})
  ON CREATE SET e.degree = 0
  SET e.degree = e.degree + 1,
      e.first = CASE WHEN e.first IS NULL OR r.time < e.first THEN r.time ELSE e.first END,
      e.last = CASE WHEN e.last IS NULL OR r.time > e.last THEN r.time ELSE e.last END
  CREATE (t)-[:WITH_EMAIL {g: $g, ent: x, txn: r.id, time: r.time, arrival: r.arrival}]->(e))
FOREACH (x IN CASE WHEN r.phone IS NULL THEN [] ELSE [r.phone] END |
  MERGE (e:Phone {g: $g, id: x})
  ON CREATE SET e.degree = 0
  SET e.degree = e.degree + 1,
      e.first = CASE WHEN e.first IS NULL OR r.time < e.first THEN r.time ELSE e.first END,
      e.last = CASE WHEN e.last IS NULL OR r.time > e.last THEN r.time ELSE e.last END
  CREATE (t)-[:WITH_PHONE {g: $g, ent: x, txn: r.id, time: r.time, arrival: r.arrival}]->(e))
WITH t
OPTIONAL MATCH (p:RiskgraphPendingLabel {g: $g, txn: t.id})
SET t.label = CASE WHEN p IS NULL THEN t.label ELSE p.class END,
    t.labelTime = CASE WHEN p IS NULL THEN t.labelTime ELSE p.ts END,
    t.labelSource = CASE WHEN p IS NULL THEN t.labelSource ELSE p.source END
RETURN count(t) AS created`

	// labelTxns applies verdicts about transactions (one per transaction
	// in $batch): a known transaction takes the label unless it holds one
	// known later; an unknown one gets a pending label, replacing a pending
	// label unless that one is known later.
	labelTxns cypher = `UNWIND $batch AS r
OPTIONAL MATCH (t:Transaction {g: $g, id: r.id})
FOREACH (x IN CASE WHEN t IS NOT NULL AND (t.labelTime IS NULL OR t.labelTime <= coalesce(r.ts, 0)) THEN [1] ELSE [] END |
  SET t.label = r.class, t.labelTime = coalesce(r.ts, t.labelTime), t.labelSource = r.source)
FOREACH (x IN CASE WHEN t IS NULL THEN [1] ELSE [] END |
  MERGE (p:RiskgraphPendingLabel {g: $g, txn: r.id})
  SET p += CASE WHEN p.class IS NULL OR p.ts IS NULL OR r.ts >= p.ts
    THEN {class: r.class, ts: r.ts, source: r.source} ELSE {} END)`
)

// Entity verdicts, one statement per entity label: the entity is created
// if unknown; it takes the label unless it holds one known later.
const (
	labelUser cypher = `UNWIND $batch AS r
MERGE (e:User {g: $g, id: r.id})
ON CREATE SET e.degree = 0
FOREACH (x IN CASE WHEN e.labelTime IS NULL OR e.labelTime <= coalesce(r.ts, 0) THEN [1] ELSE [] END |
  SET e.label = r.class, e.labelTime = coalesce(r.ts, e.labelTime), e.labelSource = r.source)`
	labelAccount cypher = `UNWIND $batch AS r
MERGE (e:Account {g: $g, id: r.id})
ON CREATE SET e.degree = 0
FOREACH (x IN CASE WHEN e.labelTime IS NULL OR e.labelTime <= coalesce(r.ts, 0) THEN [1] ELSE [] END |
  SET e.label = r.class, e.labelTime = coalesce(r.ts, e.labelTime), e.labelSource = r.source)`
	labelCard cypher = `UNWIND $batch AS r
MERGE (e:Card {g: $g, id: r.id})
ON CREATE SET e.degree = 0
FOREACH (x IN CASE WHEN e.labelTime IS NULL OR e.labelTime <= coalesce(r.ts, 0) THEN [1] ELSE [] END |
  SET e.label = r.class, e.labelTime = coalesce(r.ts, e.labelTime), e.labelSource = r.source)`
	labelDevice cypher = `UNWIND $batch AS r
MERGE (e:Device {g: $g, id: r.id})
ON CREATE SET e.degree = 0
FOREACH (x IN CASE WHEN e.labelTime IS NULL OR e.labelTime <= coalesce(r.ts, 0) THEN [1] ELSE [] END |
  SET e.label = r.class, e.labelTime = coalesce(r.ts, e.labelTime), e.labelSource = r.source)`
	labelIP cypher = `UNWIND $batch AS r
MERGE (e:IP {g: $g, id: r.id})
ON CREATE SET e.degree = 0
FOREACH (x IN CASE WHEN e.labelTime IS NULL OR e.labelTime <= coalesce(r.ts, 0) THEN [1] ELSE [] END |
  SET e.label = r.class, e.labelTime = coalesce(r.ts, e.labelTime), e.labelSource = r.source)`
	labelMerchant cypher = `UNWIND $batch AS r
MERGE (e:Merchant {g: $g, id: r.id})
ON CREATE SET e.degree = 0
FOREACH (x IN CASE WHEN e.labelTime IS NULL OR e.labelTime <= coalesce(r.ts, 0) THEN [1] ELSE [] END |
  SET e.label = r.class, e.labelTime = coalesce(r.ts, e.labelTime), e.labelSource = r.source)`
	labelEmail cypher = `UNWIND $batch AS r
MERGE (e:Email {g: $g, id: r.id})
ON CREATE SET e.degree = 0
FOREACH (x IN CASE WHEN e.labelTime IS NULL OR e.labelTime <= coalesce(r.ts, 0) THEN [1] ELSE [] END |
  SET e.label = r.class, e.labelTime = coalesce(r.ts, e.labelTime), e.labelSource = r.source)`
	labelPhone cypher = `UNWIND $batch AS r
MERGE (e:Phone {g: $g, id: r.id})
ON CREATE SET e.degree = 0
FOREACH (x IN CASE WHEN e.labelTime IS NULL OR e.labelTime <= coalesce(r.ts, 0) THEN [1] ELSE [] END |
  SET e.label = r.class, e.labelTime = coalesce(r.ts, e.labelTime), e.labelSource = r.source)`
)

// Reset deletes a graph page by page (transactions first: DETACH DELETE
// takes their relationships with them), then the counters. restoreMeta
// sets the counters of a restored graph.
const (
	resetTransaction cypher = `MATCH (n:Transaction) WHERE n.g = $g AND n.id IS NOT NULL
WITH n LIMIT $page
DETACH DELETE n
RETURN count(*) AS deleted`
	resetUser cypher = `MATCH (n:User) WHERE n.g = $g AND n.id IS NOT NULL
WITH n LIMIT $page
DETACH DELETE n
RETURN count(*) AS deleted`
	resetAccount cypher = `MATCH (n:Account) WHERE n.g = $g AND n.id IS NOT NULL
WITH n LIMIT $page
DETACH DELETE n
RETURN count(*) AS deleted`
	resetCard cypher = `MATCH (n:Card) WHERE n.g = $g AND n.id IS NOT NULL
WITH n LIMIT $page
DETACH DELETE n
RETURN count(*) AS deleted`
	resetDevice cypher = `MATCH (n:Device) WHERE n.g = $g AND n.id IS NOT NULL
WITH n LIMIT $page
DETACH DELETE n
RETURN count(*) AS deleted`
	resetIP cypher = `MATCH (n:IP) WHERE n.g = $g AND n.id IS NOT NULL
WITH n LIMIT $page
DETACH DELETE n
RETURN count(*) AS deleted`
	resetMerchant cypher = `MATCH (n:Merchant) WHERE n.g = $g AND n.id IS NOT NULL
WITH n LIMIT $page
DETACH DELETE n
RETURN count(*) AS deleted`
	resetEmail cypher = `MATCH (n:Email) WHERE n.g = $g AND n.id IS NOT NULL
WITH n LIMIT $page
DETACH DELETE n
RETURN count(*) AS deleted`
	resetPhone cypher = `MATCH (n:Phone) WHERE n.g = $g AND n.id IS NOT NULL
WITH n LIMIT $page
DETACH DELETE n
RETURN count(*) AS deleted`
	resetPending cypher = `MATCH (n:RiskgraphPendingLabel) WHERE n.g = $g AND n.txn IS NOT NULL
WITH n LIMIT $page
DETACH DELETE n
RETURN count(*) AS deleted`
	resetGraph cypher = `MATCH (m:RiskgraphGraph {g: $g})
DETACH DELETE m
RETURN count(*) AS deleted`

	// restorePending restores the pending labels of a snapshot whose
	// transactions are not in it.
	restorePending cypher = `UNWIND $batch AS r
OPTIONAL MATCH (t:Transaction {g: $g, id: r.id})
WITH r WHERE t IS NULL
MERGE (p:RiskgraphPendingLabel {g: $g, txn: r.id})
SET p.class = r.class, p.ts = r.ts, p.source = r.source`

	restoreMeta cypher = `MERGE (m:RiskgraphGraph {g: $g})
SET m.lastSeq = $seq, m.arrival = $arrival`
)

// Point reads.
const (
	meta cypher = `OPTIONAL MATCH (m:RiskgraphGraph {g: $g})
RETURN coalesce(m.lastSeq, 0) AS lastSeq, coalesce(m.arrival, 0) AS arrival`

	nodeUser cypher = `MATCH (n:User {g: $g, id: $id})
RETURN n.degree AS degree, n.first AS first, n.last AS last, n.label AS class, n.labelTime AS labelTime`
	nodeAccount cypher = `MATCH (n:Account {g: $g, id: $id})
RETURN n.degree AS degree, n.first AS first, n.last AS last, n.label AS class, n.labelTime AS labelTime`
	nodeCard cypher = `MATCH (n:Card {g: $g, id: $id})
RETURN n.degree AS degree, n.first AS first, n.last AS last, n.label AS class, n.labelTime AS labelTime`
	nodeDevice cypher = `MATCH (n:Device {g: $g, id: $id})
RETURN n.degree AS degree, n.first AS first, n.last AS last, n.label AS class, n.labelTime AS labelTime`
	nodeIP cypher = `MATCH (n:IP {g: $g, id: $id})
RETURN n.degree AS degree, n.first AS first, n.last AS last, n.label AS class, n.labelTime AS labelTime`
	nodeMerchant cypher = `MATCH (n:Merchant {g: $g, id: $id})
RETURN n.degree AS degree, n.first AS first, n.last AS last, n.label AS class, n.labelTime AS labelTime`
	nodeEmail cypher = `MATCH (n:Email {g: $g, id: $id})
RETURN n.degree AS degree, n.first AS first, n.last AS last, n.label AS class, n.labelTime AS labelTime`
	nodePhone cypher = `MATCH (n:Phone {g: $g, id: $id})
RETURN n.degree AS degree, n.first AS first, n.last AS last, n.label AS class, n.labelTime AS labelTime`
	nodeTransaction cypher = `MATCH (n:Transaction {g: $g, id: $id})
RETURN n.degree AS degree, n.time AS first, n.time AS last, n.label AS class, n.labelTime AS labelTime`

	// transactionByID returns every stored field of one transaction.
	transactionByID cypher = `MATCH (t:Transaction {g: $g, id: $id})
RETURN t {.id, .time, .amount, .currency, .kind, .user, .account, .counterparty, .card, .device,
    .ip, .merchant, .email, .phone, .mcc, .country, .channel, .attrs, .label, .labelTime,
    .labelSource, .arrival} AS t`

	// transactionEdges returns what a transaction's neighbours are made
	// of: its time and its entity ids in EdgeKind order.
	transactionEdges cypher = `MATCH (t:Transaction {g: $g, id: $id})
RETURN t.time AS ts, [t.user, t.account, t.counterparty, t.card, t.device, t.ip, t.merchant, t.email, t.phone] AS ents`
)

// Neighbours of an entity, one statement per edge kind (and one for both
// of an Account's kinds), each one round trip: the $limit most recent
// edges with time in [$since, $until) from a seek in the (g, ent, time,
// arrival) index, sorted right on the seek in the index's own order
// (descending; the ORDER BY names the equality columns too) so that the
// planner can read them in index order and stop after $limit; then whether
// the node exists (a miss is ErrNotFound, not an empty list). collect over
// no rows gives one row with an empty list.
const (
	neighborsBy cypher = `MATCH ()-[r:BY]->()
WHERE r.g = $g AND r.ent = $id AND r.time >= $since AND r.time < $until AND r.arrival IS NOT NULL
WITH r ORDER BY r.g DESC, r.ent DESC, r.time DESC, r.arrival DESC LIMIT $limit
WITH collect(r {.txn, ts: r.time, .arrival, edge: type(r)}) AS hits
OPTIONAL MATCH (n:User {g: $g, id: $id})
RETURN n IS NOT NULL AS found, hits`
	neighborsFrom cypher = `MATCH ()-[r:FROM]->()
WHERE r.g = $g AND r.ent = $id AND r.time >= $since AND r.time < $until AND r.arrival IS NOT NULL
WITH r ORDER BY r.g DESC, r.ent DESC, r.time DESC, r.arrival DESC LIMIT $limit
WITH collect(r {.txn, ts: r.time, .arrival, edge: type(r)}) AS hits
OPTIONAL MATCH (n:Account {g: $g, id: $id})
RETURN n IS NOT NULL AS found, hits`
	neighborsTo cypher = `MATCH ()-[r:TO]->()
WHERE r.g = $g AND r.ent = $id AND r.time >= $since AND r.time < $until AND r.arrival IS NOT NULL
WITH r ORDER BY r.g DESC, r.ent DESC, r.time DESC, r.arrival DESC LIMIT $limit
WITH collect(r {.txn, ts: r.time, .arrival, edge: type(r)}) AS hits
OPTIONAL MATCH (n:Account {g: $g, id: $id})
RETURN n IS NOT NULL AS found, hits`
	neighborsWithCard cypher = `MATCH ()-[r:WITH_CARD]->()
WHERE r.g = $g AND r.ent = $id AND r.time >= $since AND r.time < $until AND r.arrival IS NOT NULL
WITH r ORDER BY r.g DESC, r.ent DESC, r.time DESC, r.arrival DESC LIMIT $limit
WITH collect(r {.txn, ts: r.time, .arrival, edge: type(r)}) AS hits
OPTIONAL MATCH (n:Card {g: $g, id: $id})
RETURN n IS NOT NULL AS found, hits`
	neighborsOnDevice cypher = `MATCH ()-[r:ON_DEVICE]->()
WHERE r.g = $g AND r.ent = $id AND r.time >= $since AND r.time < $until AND r.arrival IS NOT NULL
WITH r ORDER BY r.g DESC, r.ent DESC, r.time DESC, r.arrival DESC LIMIT $limit
WITH collect(r {.txn, ts: r.time, .arrival, edge: type(r)}) AS hits
OPTIONAL MATCH (n:Device {g: $g, id: $id})
RETURN n IS NOT NULL AS found, hits`
	neighborsFromIP cypher = `MATCH ()-[r:FROM_IP]->()
WHERE r.g = $g AND r.ent = $id AND r.time >= $since AND r.time < $until AND r.arrival IS NOT NULL
WITH r ORDER BY r.g DESC, r.ent DESC, r.time DESC, r.arrival DESC LIMIT $limit
WITH collect(r {.txn, ts: r.time, .arrival, edge: type(r)}) AS hits
OPTIONAL MATCH (n:IP {g: $g, id: $id})
RETURN n IS NOT NULL AS found, hits`
	neighborsAt cypher = `MATCH ()-[r:AT]->()
WHERE r.g = $g AND r.ent = $id AND r.time >= $since AND r.time < $until AND r.arrival IS NOT NULL
WITH r ORDER BY r.g DESC, r.ent DESC, r.time DESC, r.arrival DESC LIMIT $limit
WITH collect(r {.txn, ts: r.time, .arrival, edge: type(r)}) AS hits
OPTIONAL MATCH (n:Merchant {g: $g, id: $id})
RETURN n IS NOT NULL AS found, hits`
	neighborsWithEmail cypher = `MATCH ()-[r:WITH_EMAIL]->()
WHERE r.g = $g AND r.ent = $id AND r.time >= $since AND r.time < $until AND r.arrival IS NOT NULL
WITH r ORDER BY r.g DESC, r.ent DESC, r.time DESC, r.arrival DESC LIMIT $limit
WITH collect(r {.txn, ts: r.time, .arrival, edge: type(r)}) AS hits
OPTIONAL MATCH (n:Email {g: $g, id: $id})
RETURN n IS NOT NULL AS found, hits`
	neighborsWithPhone cypher = `MATCH ()-[r:WITH_PHONE]->()
WHERE r.g = $g AND r.ent = $id AND r.time >= $since AND r.time < $until AND r.arrival IS NOT NULL
WITH r ORDER BY r.g DESC, r.ent DESC, r.time DESC, r.arrival DESC LIMIT $limit
WITH collect(r {.txn, ts: r.time, .arrival, edge: type(r)}) AS hits
OPTIONAL MATCH (n:Phone {g: $g, id: $id})
RETURN n IS NOT NULL AS found, hits`

	// neighborsAccount reads an Account's FROM and TO lists, each its own
	// seek limited to $limit; the caller merges them and keeps the $limit
	// most recent (a self-transfer is in both lists at the same time and
	// arrival: FROM sorts first).
	neighborsAccount cypher = `MATCH ()-[r:FROM]->()
WHERE r.g = $g AND r.ent = $id AND r.time >= $since AND r.time < $until AND r.arrival IS NOT NULL
WITH r ORDER BY r.g DESC, r.ent DESC, r.time DESC, r.arrival DESC LIMIT $limit
WITH collect(r {.txn, ts: r.time, .arrival, edge: type(r)}) AS fromHits
OPTIONAL MATCH ()-[r:TO]->()
WHERE r.g = $g AND r.ent = $id AND r.time >= $since AND r.time < $until AND r.arrival IS NOT NULL
WITH fromHits, r ORDER BY r.g DESC, r.ent DESC, r.time DESC, r.arrival DESC LIMIT $limit
WITH fromHits, collect(r {.txn, ts: r.time, .arrival, edge: type(r)}) AS toHits
OPTIONAL MATCH (n:Account {g: $g, id: $id})
RETURN n IS NOT NULL AS found, fromHits, toHits`
)

// Pages of the nodes of one kind, in id order after $after (Nodes,
// Snapshot), through the (g, id) constraint's index.
const (
	nodesUser cypher = `MATCH (n:User) WHERE n.g = $g AND n.id > $after
RETURN n.id AS nid, n.degree AS degree, n.first AS first, n.last AS last, n.label AS class,
    n.labelTime AS labelTime, n.labelSource AS labelSource
ORDER BY nid LIMIT $page`
	nodesAccount cypher = `MATCH (n:Account) WHERE n.g = $g AND n.id > $after
RETURN n.id AS nid, n.degree AS degree, n.first AS first, n.last AS last, n.label AS class,
    n.labelTime AS labelTime, n.labelSource AS labelSource
ORDER BY nid LIMIT $page`
	nodesCard cypher = `MATCH (n:Card) WHERE n.g = $g AND n.id > $after
RETURN n.id AS nid, n.degree AS degree, n.first AS first, n.last AS last, n.label AS class,
    n.labelTime AS labelTime, n.labelSource AS labelSource
ORDER BY nid LIMIT $page`
	nodesDevice cypher = `MATCH (n:Device) WHERE n.g = $g AND n.id > $after
RETURN n.id AS nid, n.degree AS degree, n.first AS first, n.last AS last, n.label AS class,
    n.labelTime AS labelTime, n.labelSource AS labelSource
ORDER BY nid LIMIT $page`
	nodesIP cypher = `MATCH (n:IP) WHERE n.g = $g AND n.id > $after
RETURN n.id AS nid, n.degree AS degree, n.first AS first, n.last AS last, n.label AS class,
    n.labelTime AS labelTime, n.labelSource AS labelSource
ORDER BY nid LIMIT $page`
	nodesMerchant cypher = `MATCH (n:Merchant) WHERE n.g = $g AND n.id > $after
RETURN n.id AS nid, n.degree AS degree, n.first AS first, n.last AS last, n.label AS class,
    n.labelTime AS labelTime, n.labelSource AS labelSource
ORDER BY nid LIMIT $page`
	nodesEmail cypher = `MATCH (n:Email) WHERE n.g = $g AND n.id > $after
RETURN n.id AS nid, n.degree AS degree, n.first AS first, n.last AS last, n.label AS class,
    n.labelTime AS labelTime, n.labelSource AS labelSource
ORDER BY nid LIMIT $page`
	nodesPhone cypher = `MATCH (n:Phone) WHERE n.g = $g AND n.id > $after
RETURN n.id AS nid, n.degree AS degree, n.first AS first, n.last AS last, n.label AS class,
    n.labelTime AS labelTime, n.labelSource AS labelSource
ORDER BY nid LIMIT $page`
	nodesTransaction cypher = `MATCH (n:Transaction) WHERE n.g = $g AND n.id > $after
RETURN n.id AS nid, n.degree AS degree, n.time AS first, n.time AS last, n.label AS class,
    n.labelTime AS labelTime, n.labelSource AS labelSource
ORDER BY nid LIMIT $page`
)

// Snapshot pages: transactions in arrival order up to the arrival counter
// read when the snapshot began, and pending labels in id order.
const (
	snapshotTxns cypher = `MATCH (t:Transaction) WHERE t.g = $g AND t.arrival > $after AND t.arrival <= $upto
RETURN t {.id, .time, .amount, .currency, .kind, .user, .account, .counterparty, .card, .device,
    .ip, .merchant, .email, .phone, .mcc, .country, .channel, .attrs, .label, .labelTime,
    .labelSource, .arrival} AS t
ORDER BY t.arrival LIMIT $page`
	snapshotPending cypher = `MATCH (p:RiskgraphPendingLabel) WHERE p.g = $g AND p.txn > $after
RETURN p.txn AS nid, p.class AS class, p.ts AS ts, p.source AS source
ORDER BY nid LIMIT $page`
)

// stats counts nodes by kind, relationships by type and labelled
// transactions by class in one round trip, from the indexes (every count
// is an index scan of this graph's entries).
const stats cypher = `MATCH (n:User) WHERE n.g = $g AND n.id IS NOT NULL RETURN 'node' AS part, 'User' AS what, count(n) AS total
UNION ALL MATCH (n:Account) WHERE n.g = $g AND n.id IS NOT NULL RETURN 'node' AS part, 'Account' AS what, count(n) AS total
UNION ALL MATCH (n:Card) WHERE n.g = $g AND n.id IS NOT NULL RETURN 'node' AS part, 'Card' AS what, count(n) AS total
UNION ALL MATCH (n:Device) WHERE n.g = $g AND n.id IS NOT NULL RETURN 'node' AS part, 'Device' AS what, count(n) AS total
UNION ALL MATCH (n:IP) WHERE n.g = $g AND n.id IS NOT NULL RETURN 'node' AS part, 'IP' AS what, count(n) AS total
UNION ALL MATCH (n:Merchant) WHERE n.g = $g AND n.id IS NOT NULL RETURN 'node' AS part, 'Merchant' AS what, count(n) AS total
UNION ALL MATCH (n:Email) WHERE n.g = $g AND n.id IS NOT NULL RETURN 'node' AS part, 'Email' AS what, count(n) AS total
UNION ALL MATCH (n:Phone) WHERE n.g = $g AND n.id IS NOT NULL RETURN 'node' AS part, 'Phone' AS what, count(n) AS total
UNION ALL MATCH (n:Transaction) WHERE n.g = $g AND n.id IS NOT NULL RETURN 'node' AS part, 'Transaction' AS what, count(n) AS total
UNION ALL MATCH ()-[r:BY]->() WHERE r.g = $g AND r.ent IS NOT NULL AND r.time IS NOT NULL AND r.arrival IS NOT NULL RETURN 'edge' AS part, 'BY' AS what, count(r) AS total
UNION ALL MATCH ()-[r:FROM]->() WHERE r.g = $g AND r.ent IS NOT NULL AND r.time IS NOT NULL AND r.arrival IS NOT NULL RETURN 'edge' AS part, 'FROM' AS what, count(r) AS total
UNION ALL MATCH ()-[r:TO]->() WHERE r.g = $g AND r.ent IS NOT NULL AND r.time IS NOT NULL AND r.arrival IS NOT NULL RETURN 'edge' AS part, 'TO' AS what, count(r) AS total
UNION ALL MATCH ()-[r:WITH_CARD]->() WHERE r.g = $g AND r.ent IS NOT NULL AND r.time IS NOT NULL AND r.arrival IS NOT NULL RETURN 'edge' AS part, 'WITH_CARD' AS what, count(r) AS total
UNION ALL MATCH ()-[r:ON_DEVICE]->() WHERE r.g = $g AND r.ent IS NOT NULL AND r.time IS NOT NULL AND r.arrival IS NOT NULL RETURN 'edge' AS part, 'ON_DEVICE' AS what, count(r) AS total
UNION ALL MATCH ()-[r:FROM_IP]->() WHERE r.g = $g AND r.ent IS NOT NULL AND r.time IS NOT NULL AND r.arrival IS NOT NULL RETURN 'edge' AS part, 'FROM_IP' AS what, count(r) AS total
UNION ALL MATCH ()-[r:AT]->() WHERE r.g = $g AND r.ent IS NOT NULL AND r.time IS NOT NULL AND r.arrival IS NOT NULL RETURN 'edge' AS part, 'AT' AS what, count(r) AS total
UNION ALL MATCH ()-[r:WITH_EMAIL]->() WHERE r.g = $g AND r.ent IS NOT NULL AND r.time IS NOT NULL AND r.arrival IS NOT NULL RETURN 'edge' AS part, 'WITH_EMAIL' AS what, count(r) AS total
UNION ALL MATCH ()-[r:WITH_PHONE]->() WHERE r.g = $g AND r.ent IS NOT NULL AND r.time IS NOT NULL AND r.arrival IS NOT NULL RETURN 'edge' AS part, 'WITH_PHONE' AS what, count(r) AS total
UNION ALL MATCH (t:Transaction) WHERE t.g = $g AND t.label IS NOT NULL RETURN 'label' AS part, t.label AS what, count(t) AS total`
