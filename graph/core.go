package graph

// TxnCore is the numeric core of a stored transaction: what entity
// features read, without strings. It is for stores' optional fast paths
// (graph/mem's RecentCores); the Store contract never returns it.
type TxnCore struct {
	// Time is the transaction time in Unix nanoseconds.
	Time   int64
	Amount float64
	// Entities holds, per edge kind (index EdgeKind-1), an opaque key of
	// the entity on that edge, 0 for none. Keys are unique per entity
	// within one store (across kinds) and mean nothing outside it.
	Entities [NumEdgeKinds - 1]uint64
	// Label is the transaction's latest label ("" if none); LabelTime is
	// when it became known in Unix nanoseconds, 0 when it came with the row.
	Label     Class
	LabelTime int64
}
