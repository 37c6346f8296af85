// Package graph is riskgraph's vocabulary: the node and edge kinds of the
// user–device–merchant property graph, the Transaction and Label events that
// build it, and the Store contract that every graph store (the embedded
// graph/mem, the Neo4j adapter) implements.
//
// The model is bipartite around transactions: every edge joins a Transaction
// node to one entity (User, Account, Card, Device, IP, Merchant, Email,
// Phone) and carries the transaction's time. Two entities are linked when
// they took part in the same transaction; money flows between accounts are
// transactions with a FROM and a TO edge. Because every edge is timestamped,
// a reader can ask for the neighbours of a node as they were before a given
// instant, which is what keeps features and samples free of leakage.
//
// The package depends on the standard library only. Adapters live in
// sub-packages and are imported only by cmd and tests; the conformance
// suite every Store must pass is graph/graphtest.
package graph
