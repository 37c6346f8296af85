// Package cache is a bounded, in-process cache of recent neighbourhoods in
// front of a graph store's reads: what scoring needs when the graph lives
// in Neo4j, a network round trip away, and the same users, cards, devices
// and merchants come back transaction after transaction.
//
// # What is cached
//
// Three kinds of entries, all keyed by node: a node (Node), a transaction
// (Transaction), and a neighbour prefix — the most recent neighbours of a
// node across one edge kind (or all of them), with a flag saying whether
// that is all of them. A neighbour query (Neighbors, CountNeighbors) is
// answered from the prefix whenever the answer provably lies inside it:
// the store's order (time, then arrival, newest first) is total, so the
// prefix is an exact head of the full list, and a query's answer is exact
// once it has collected its Limit, or met an edge older than its window,
// or the list is complete. A prefix holds Config.Prefix neighbours more
// than the largest Limit asked of it, and grows (up to Config.MaxPrefix)
// when a query needs more, so scoring's "k most recent before the
// transaction's time" and the feature encoders' capped counts are hits
// after the first read; anything beyond goes to the store. Misses are
// never cached (a node that does not exist yet may exist after the next
// write).
//
// # Freshness
//
// The cache never returns what an applied mutation has changed: Apply
// passes a batch to the store and then invalidates every node the batch
// touched (a transaction, its entities, a label's target); Invalidate does
// the same for writes made elsewhere (another process, a replica that
// learns of them from the log). A read racing an invalidation cannot put
// back a stale entry: each node hashes to a version counter that
// invalidation bumps, a reader notes it before reading the store and
// inserts only if it is unchanged (checked under the same lock as the
// invalidation's delete). Writes that bypass both are bounded by
// Config.TTL.
//
// # Bounds and cost
//
// A least-recently-used list per shard (16 shards by node hash) bounds the
// number of entries and, optionally, their approximate size in bytes. A hit
// is a hash, a mutex, a map lookup and a copy of at most Limit neighbours:
// see BenchmarkNeighborsHit.
package cache
