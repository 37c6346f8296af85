// Package scoring turns model outputs into decisions that people and
// payment services can act on. So far it holds the reason codes: the
// translation of a gnn.Explanation (occlusion of neighbours and features)
// into short codes with human-readable detail and a weight.
package scoring
