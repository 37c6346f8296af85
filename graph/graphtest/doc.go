// Package graphtest is the conformance suite of the graph.Store contract.
// Every store runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		graphtest.Run(t, func(t *testing.T) graph.Store { return mem.New() })
//	}
//
// The suite checks idempotent apply, time-window neighbour queries and their
// recency order against a brute-force reference model on random graphs,
// labels (including pending ones), sequence tracking, snapshot round trips
// and corruption detection, and concurrent readers during writes.
package graphtest
