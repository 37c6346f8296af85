// Package mem is riskgraph's embedded graph store, the default graph.Store:
// an in-process, memory-resident property graph with disk snapshots.
//
// # Layout
//
// Every node gets a dense integer handle behind its string id. Strings (ids,
// currencies, merchant categories, attribute keys and values) live once in
// an append-only byte arena; records hold 32-bit arena offsets. Transactions
// are fixed-size, pointer-free records in chunked arrays (the garbage
// collector never scans them) holding the handles of the entities they link
// to. Each entity keeps, per edge kind, its transactions as two parallel
// arrays (transaction handle, time) sorted by time, ties in arrival order, so
// a time window is two binary searches and "most recent first" is a
// backwards walk. A string id is found through an open-addressing hash
// index whose slots carry a 31-bit hash tag, so a probe rarely touches a
// record it does not want.
//
// # Concurrency
//
// Writers (Apply, Restore) are serialised by one mutex. Readers take no lock
// at all: every structure is append-only or copy-on-write, and a writer
// publishes what it wrote with an atomic store (a hash slot, a list length,
// a chunk directory) only after the bytes behind it are complete. A reader
// therefore never waits for a writer and never sees a half-written record.
// A late transaction whose time falls inside a list is inserted by copying
// that list and swapping the copy in.
//
// # Snapshots
//
// Snapshot writes the content as a sequence of blocks, each with its length
// and a CRC-32C, after a header carrying LastSeq. Adjacency is not written:
// Restore rebuilds it exactly (two passes, no slack) from the transactions.
// SaveFile writes to a temporary file in the target directory, fsyncs it,
// renames it over the old snapshot and fsyncs the directory, so a crash
// leaves either the old snapshot or the new one, never a torn file.
//
// # Limits
//
// 2^31 transactions, 2^31 entities and 4 GiB of distinct strings per store.
package mem
