package neo4j

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// Values travel to and from Neo4j as parameters and properties: strings,
// int64 and float64, with null (nil) for an absent value. Times are Unix
// nanoseconds, which holds every instant from 1677-09-21 to 2262-04-11 with
// the exact precision of time.Time.

// Time range the store accepts (int64 Unix nanoseconds).
var (
	minTime = time.Unix(0, -1<<63).UTC()
	maxTime = time.Unix(0, 1<<63-1).UTC()
)

// nanos returns t as Unix nanoseconds, or false when t falls outside what
// int64 nanoseconds can hold (the exclusive upper bound leaves room for
// the end of an unbounded window).
func nanos(t time.Time) (int64, bool) {
	if t.Before(minTime) || !t.Before(maxTime) {
		return 0, false
	}
	return t.UnixNano(), true
}

func fromNanos(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// labelNanos returns a label's time as stored: nil for a label without a
// time (it does not override a verdict known at a time, the way the
// embedded store treats time zero).
func labelNanos(t time.Time) any {
	if t.IsZero() || t.UnixNano() == 0 {
		return nil
	}
	return t.UnixNano()
}

// orNil maps "" to nil so that empty fields are not stored.
func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// checkTimes reports a mutation time the store cannot hold, as a
// *graph.FieldError (wrapping graph.ErrInvalid).
func checkTimes(m *graph.Mutation) error {
	switch {
	case m.Txn != nil:
		if _, ok := nanos(m.Txn.Time); !ok {
			return &graph.FieldError{Field: "time", Reason: fmt.Sprintf("%v outside the range Neo4j stores (%v to %v)", m.Txn.Time, minTime, maxTime)}
		}
	case m.Label != nil && !m.Label.Time.IsZero():
		if _, ok := nanos(m.Label.Time); !ok {
			return &graph.FieldError{Field: "time", Reason: fmt.Sprintf("%v outside the range Neo4j stores (%v to %v)", m.Label.Time, minTime, maxTime)}
		}
	}
	return nil
}

// txnRow is a transaction as a row of applyTxns. Its "arrival" is set when
// the write transaction has reserved arrival numbers; label, labelTime and
// labelSource are the row's own label (restores pass stored ones).
func txnRow(t *graph.Transaction) map[string]any {
	ns, _ := nanos(t.Time)
	var attrs any
	if len(t.Attrs) > 0 {
		b, err := json.Marshal(t.Attrs)
		if err != nil {
			panic("neo4j: marshal map[string]string: " + err.Error()) // cannot fail
		}
		attrs = string(b)
	}
	degree := int64(0)
	for _, e := range graph.EdgeKinds() {
		if t.Entity(e) != "" {
			degree++
		}
	}
	return map[string]any{
		"id": t.ID, "time": ns, "amount": t.Amount,
		"currency": orNil(t.Currency), "kind": orNil(t.Kind),
		"user": orNil(t.User), "account": orNil(t.Account), "counterparty": orNil(t.Counterparty),
		"card": orNil(t.Card), "device": orNil(t.Device), "ip": orNil(t.IP),
		"merchant": orNil(t.Merchant), "email": orNil(t.Email), "phone": orNil(t.Phone),
		"mcc": orNil(t.MCC), "country": orNil(t.Country), "channel": orNil(t.Channel),
		"attrs": attrs, "label": orNil(string(t.Label)), "labelTime": nil, "labelSource": nil,
		"arrival": int64(0), "degree": degree,
	}
}

// labelRow is a verdict as a row of labelTxns or a label<Kind> statement.
func labelRow(id string, class graph.Class, ts any, source string) map[string]any {
	return map[string]any{"id": id, "class": string(class), "ts": ts, "source": orNil(source)}
}

// storedTxn is a transaction node's properties as returned by
// transactionByID and snapshotTxns, decoded.
type storedTxn struct {
	txn         graph.Transaction
	labelTime   *int64
	labelSource string
	arrival     int64
}

// decodeTxn decodes a transaction node's property map.
func decodeTxn(v any) (storedTxn, error) {
	var out storedTxn
	m, ok := v.(map[string]any)
	if !ok {
		return out, shapeErr(fmt.Sprintf("transaction is %T", v))
	}
	str := func(k string) (string, error) {
		switch x := m[k].(type) {
		case nil:
			return "", nil
		case string:
			return x, nil
		default:
			return "", shapeErr(fmt.Sprintf("transaction %s is %T", k, x))
		}
	}
	t := &out.txn
	var err error
	fields := []struct {
		key string
		dst *string
	}{
		{"id", &t.ID}, {"currency", &t.Currency}, {"kind", &t.Kind}, {"user", &t.User},
		{"account", &t.Account}, {"counterparty", &t.Counterparty}, {"card", &t.Card},
		{"device", &t.Device}, {"ip", &t.IP}, {"merchant", &t.Merchant}, {"email", &t.Email},
		{"phone", &t.Phone}, {"mcc", &t.MCC}, {"country", &t.Country}, {"channel", &t.Channel},
		{"labelSource", &out.labelSource},
	}
	for _, f := range fields {
		if *f.dst, err = str(f.key); err != nil {
			return out, err
		}
	}
	label, err := str("label")
	if err != nil {
		return out, err
	}
	t.Label = graph.Class(label)
	ns, ok := m["time"].(int64)
	if !ok {
		return out, shapeErr(fmt.Sprintf("transaction time is %T", m["time"]))
	}
	t.Time = fromNanos(ns)
	if t.Amount, ok = m["amount"].(float64); !ok {
		return out, shapeErr(fmt.Sprintf("transaction amount is %T", m["amount"]))
	}
	if out.arrival, ok = m["arrival"].(int64); !ok {
		return out, shapeErr(fmt.Sprintf("transaction arrival is %T", m["arrival"]))
	}
	switch lt := m["labelTime"].(type) {
	case nil:
	case int64:
		out.labelTime = &lt
	default:
		return out, shapeErr(fmt.Sprintf("transaction labelTime is %T", lt))
	}
	attrs, err := str("attrs")
	if err != nil {
		return out, err
	}
	if attrs != "" {
		if err := json.Unmarshal([]byte(attrs), &t.Attrs); err != nil {
			return out, shapeErr("transaction attrs: " + err.Error())
		}
	}
	return out, nil
}

// decodeNode decodes a record of a node or nodes statement.
func decodeNode(ref graph.NodeRef, get func(string) (any, bool)) (graph.Node, error) {
	n := graph.Node{Ref: ref}
	v, _ := get("degree")
	switch d := v.(type) {
	case nil:
	case int64:
		n.Degree = int(d)
	default:
		return n, shapeErr(fmt.Sprintf("degree is %T", v))
	}
	times := []struct {
		key string
		dst *time.Time
	}{{"first", &n.First}, {"last", &n.Last}, {"labelTime", &n.LabelTime}}
	for _, f := range times {
		v, _ := get(f.key)
		switch x := v.(type) {
		case nil:
		case int64:
			*f.dst = fromNanos(x)
		default:
			return n, shapeErr(fmt.Sprintf("%s is %T", f.key, v))
		}
	}
	if n.Degree == 0 && ref.Kind != graph.KindTransaction {
		n.First, n.Last = time.Time{}, time.Time{} // an entity known only from a label
	}
	v, _ = get("class")
	switch c := v.(type) {
	case nil:
	case string:
		n.Label = graph.Class(c)
	default:
		return n, shapeErr(fmt.Sprintf("class is %T", v))
	}
	return n, nil
}
