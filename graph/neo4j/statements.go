package neo4j

import (
	"fmt"

	"github.com/riskgraph/riskgraph/graph"
)

// Statement is one Cypher statement the store sends, for review, for
// documentation and for `--show-cypher` style listings. Values are never
// part of the text: they are the $parameters.
type Statement struct {
	Name   string // a stable name, e.g. "neighbors_by"
	Cypher string
}

// Statements returns every statement the store sends, in a stable order.
// The caller owns the slice.
func Statements() []Statement {
	out := make([]Statement, 0, 96)
	add := func(name string, c cypher) { out = append(out, Statement{name, string(c)}) }
	for _, st := range schemaStatements() {
		add("schema_"+st.name, st.c)
	}
	add("await_indexes", awaitIndexes)
	add("allocate", allocate)
	add("apply_txns", applyTxns)
	add("label_txns", labelTxns)
	for _, k := range entityKinds() {
		add("label_"+snake(k.String()), labelStatement(k))
	}
	for _, k := range graph.Kinds() {
		add("reset_"+snake(k.String()), resetStatement(k))
	}
	add("reset_pending", resetPending)
	add("reset_graph", resetGraph)
	add("restore_pending", restorePending)
	add("restore_meta", restoreMeta)
	add("meta", meta)
	for _, k := range graph.Kinds() {
		add("node_"+snake(k.String()), nodeStatement(k))
	}
	add("transaction_by_id", transactionByID)
	add("transaction_edges", transactionEdges)
	for _, e := range graph.EdgeKinds() {
		add("neighbors_"+snake(e.String()), neighborsStatement(e))
	}
	add("neighbors_account", neighborsAccount)
	for _, k := range graph.Kinds() {
		add("nodes_"+snake(k.String()), nodesStatement(k))
	}
	add("snapshot_txns", snapshotTxns)
	add("snapshot_pending", snapshotPending)
	add("stats", stats)
	return out
}

// snake turns "WITH_CARD", "Transaction" or "IP" into "with_card",
// "transaction", "ip".
func snake(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// entityKinds returns every node kind but Transaction.
func entityKinds() []graph.Kind {
	ks := graph.Kinds()
	return ks[:len(ks)-1]
}

type namedCypher struct {
	name string
	c    cypher
}

// schemaStatements returns Init's statements in order: constraints, then
// indexes.
func schemaStatements() []namedCypher {
	return []namedCypher{
		{"user", schemaUser}, {"account", schemaAccount}, {"card", schemaCard},
		{"device", schemaDevice}, {"ip", schemaIP}, {"merchant", schemaMerchant},
		{"email", schemaEmail}, {"phone", schemaPhone}, {"transaction", schemaTransaction},
		{"pending", schemaPending}, {"graph", schemaGraph},
		{"by_window", schemaByWindow}, {"from_window", schemaFromWindow}, {"to_window", schemaToWindow},
		{"with_card_window", schemaWithCardWindow}, {"on_device_window", schemaOnDeviceWindow},
		{"from_ip_window", schemaFromIPWindow}, {"at_window", schemaAtWindow},
		{"with_email_window", schemaWithEmailWindow}, {"with_phone_window", schemaWithPhoneWindow},
		{"transaction_arrival", schemaTxnArrival}, {"transaction_label", schemaTxnLabel},
	}
}

// The selectors below pick a statement by node or edge kind. They panic on
// a kind the code did not validate first (a broken invariant, never data).

func labelStatement(k graph.Kind) cypher {
	switch k {
	case graph.KindUser:
		return labelUser
	case graph.KindAccount:
		return labelAccount
	case graph.KindCard:
		return labelCard
	case graph.KindDevice:
		return labelDevice
	case graph.KindIP:
		return labelIP
	case graph.KindMerchant:
		return labelMerchant
	case graph.KindEmail:
		return labelEmail
	case graph.KindPhone:
		return labelPhone
	}
	panic(fmt.Sprintf("neo4j: no label statement for kind %v", k))
}

func resetStatement(k graph.Kind) cypher {
	switch k {
	case graph.KindUser:
		return resetUser
	case graph.KindAccount:
		return resetAccount
	case graph.KindCard:
		return resetCard
	case graph.KindDevice:
		return resetDevice
	case graph.KindIP:
		return resetIP
	case graph.KindMerchant:
		return resetMerchant
	case graph.KindEmail:
		return resetEmail
	case graph.KindPhone:
		return resetPhone
	case graph.KindTransaction:
		return resetTransaction
	}
	panic(fmt.Sprintf("neo4j: no reset statement for kind %v", k))
}

func nodeStatement(k graph.Kind) cypher {
	switch k {
	case graph.KindUser:
		return nodeUser
	case graph.KindAccount:
		return nodeAccount
	case graph.KindCard:
		return nodeCard
	case graph.KindDevice:
		return nodeDevice
	case graph.KindIP:
		return nodeIP
	case graph.KindMerchant:
		return nodeMerchant
	case graph.KindEmail:
		return nodeEmail
	case graph.KindPhone:
		return nodePhone
	case graph.KindTransaction:
		return nodeTransaction
	}
	panic(fmt.Sprintf("neo4j: no node statement for kind %v", k))
}

func nodesStatement(k graph.Kind) cypher {
	switch k {
	case graph.KindUser:
		return nodesUser
	case graph.KindAccount:
		return nodesAccount
	case graph.KindCard:
		return nodesCard
	case graph.KindDevice:
		return nodesDevice
	case graph.KindIP:
		return nodesIP
	case graph.KindMerchant:
		return nodesMerchant
	case graph.KindEmail:
		return nodesEmail
	case graph.KindPhone:
		return nodesPhone
	case graph.KindTransaction:
		return nodesTransaction
	}
	panic(fmt.Sprintf("neo4j: no nodes statement for kind %v", k))
}

func neighborsStatement(e graph.EdgeKind) cypher {
	switch e {
	case graph.EdgeBy:
		return neighborsBy
	case graph.EdgeFrom:
		return neighborsFrom
	case graph.EdgeTo:
		return neighborsTo
	case graph.EdgeWithCard:
		return neighborsWithCard
	case graph.EdgeOnDevice:
		return neighborsOnDevice
	case graph.EdgeFromIP:
		return neighborsFromIP
	case graph.EdgeAt:
		return neighborsAt
	case graph.EdgeWithEmail:
		return neighborsWithEmail
	case graph.EdgeWithPhone:
		return neighborsWithPhone
	}
	panic(fmt.Sprintf("neo4j: no neighbours statement for edge kind %v", e))
}
