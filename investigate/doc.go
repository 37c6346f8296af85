// Package investigate answers a compliance analyst's questions about the
// graph: who is this entity and how risky has it been (Profile), how is
// money or identity connected between two entities (Paths), and what
// happened around it, in order (Timeline), and which users form a ring
// around it through shared identifiers (Ring, over typology.RingAround).
// It also draws its answers (ProfileDrawing, PathsDrawing, RingDrawing,
// TimelineDrawing, AlertsDrawing) as Graphviz DOT (WriteDOT) and renders
// them to SVG or PNG with the Graphviz `dot` program when it is installed
// (Graphviz.Render).
//
// # Reading the graph
//
// An Investigator reads through the small Graph interface, which every
// graph.Store satisfies, and learns about typology alerts through an
// AlertSource (the JetStream alert log in production, an Alerts slice in
// tests). It never writes.
//
// The graph is bipartite around transactions: two entities are one hop
// apart when they took part in the same transaction. Every exploration is
// bounded (Config.Fanout transactions read per node, most recent first;
// Config.MaxNodes entities visited; Config.MaxDepth hops), and results
// say when a bound cut them short (Truncated), so a hub with a million
// transactions costs the same as a quiet account.
//
// Cases built on these answers live in investigate/casefile; the reports
// filed from them are written by investigate/report.
//
// # Paths
//
// Money-flow paths follow transfers (transactions with a FROM and a TO
// account) from one account to another, each transfer strictly later than
// the one before it: money cannot leave an account before it arrived.
// They are found by iterative deepening (shortest first) pruned by a
// backward breadth-first search from the destination that ignores time.
//
// Shared-identifier paths link entities that were used together on one
// transaction on the same side of it (a user and the device, card, email,
// phone, address or account they paid with): User:u1 –(t1)– Device:d9
// –(t7)– User:u4. A transfer's receiving account (TO) and the merchant (AT)
// are not shared identifiers and are never walked through.
package investigate
