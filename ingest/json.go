package ingest

import (
	"errors"
	"sync"
	"unicode/utf8"

	"github.com/riskgraph/riskgraph/graph"
)

// Keys of the contract without a Mapping, shared read-only.
var (
	contractTxnKeys   = keyFields(txnFields[:], nil)
	contractLabelKeys = keyFields(labelFields[:], nil)
)

// DecodeTransaction decodes one v1 transaction from a JSON object (a NATS
// request body, a JetStream log entry), validates it and tokenises its card
// numbers with tok. A bad message is a *RowError (Line 0) naming the
// field. JSON details:
//   - string fields take a string or a number ("user": 42 is "42"); null is
//     absent;
//   - time is an RFC 3339 string or integer unix milliseconds (a number or
//     a string of digits); amount is a number or a numeric string;
//   - label is fraud, legit, laundering, 1 or 0;
//   - attrs is an object; a number, boolean, object or array inside it is
//     kept as its JSON text; null is dropped;
//   - any other key is kept in attrs in the same way (attrs wins a clash),
//     so that foreign JSON loses nothing.
//
// A nil tok is an error that does not wrap ErrInvalid (it is the caller's
// bug, not the message's).
func DecodeTransaction(b []byte, tok *Tokenizer) (graph.Transaction, error) {
	if tok == nil {
		return graph.Transaction{}, errors.New("ingest: DecodeTransaction: nil Tokenizer")
	}
	r := jsonRows.Get().(*jsonRow)
	t, rerr := r.decodeTxn(b, contractTxnKeys, tok)
	if cap(r.buf) > maxPooledRow {
		r.buf = nil
	}
	jsonRows.Put(r)
	if rerr != nil {
		return graph.Transaction{}, rerr
	}
	return t, nil
}

// DecodeLabel decodes one v1 label from a JSON object: txn or entity
// (KIND:ID), label, time (optional, as in transactions) and source. Other
// keys are ignored. A bad message is a *RowError (Line 0) naming the field.
// DecodeLabel has no Tokenizer, so an entity id holding a card number is
// refused: name a card by its token. LabelReader, which has one, tokenises
// instead.
func DecodeLabel(b []byte) (graph.Label, error) {
	l, rerr := decodeLabelJSON(b, contractLabelKeys, nil)
	if rerr != nil {
		return graph.Label{}, rerr
	}
	return l, nil
}

// jsonProblem collects what is wrong with a JSON row's values, so that the
// problem reported does not depend on the order of its keys: a bad field
// (the first in contract order), else a bad attribute (the smallest key),
// else a key that is not valid UTF-8.
type jsonProblem struct {
	fields  [numTxnFields]string // reason per field, "" when fine
	attrKey string
	attr    *RowError
	badKey  bool
}

func (p *jsonProblem) attribute(key, reason string) {
	if p.attr == nil || key < p.attrKey {
		p.attrKey, p.attr = key, fieldError(attrsKey, "attribute "+echo(key)+": "+reason)
	}
}

func (p *jsonProblem) err(names []string) *RowError {
	for f, reason := range p.fields[:len(names)] {
		if reason != "" {
			return fieldError(names[f], reason)
		}
	}
	switch {
	case p.attr != nil:
		return p.attr
	case p.badKey:
		return fieldError("", "a key is not valid UTF-8")
	}
	return nil
}

// openObject starts scanning b, which must hold one JSON object.
func (s *jsonScan) openObject(b []byte) *RowError {
	*s = jsonScan{b: b}
	s.ws()
	switch {
	case s.i == len(b):
		return fieldError("", "empty message: want a JSON object")
	case b[s.i] != '{':
		// Tell JSON that is not an object from what is not JSON at all.
		if _, ok := s.value(0); ok && s.end() {
			return fieldError("", "not a JSON object")
		}
		return fieldError("", maskDigitRuns(s.err))
	}
	s.open()
	return nil
}

// jsonRow gathers the texts of one JSON row in a single buffer that becomes
// a single string at the end, so that a row's strings cost one allocation
// between them (as in encoding/csv), whatever their number.
type jsonRow struct {
	buf     []byte
	fields  [numTxnFields]span
	attrs   []attrSpan
	problem jsonProblem
	utf8OK  bool       // the whole row is valid UTF-8: its parts need no check
	keep    attrFilter // attributes kept; nil for all
}

type span struct{ start, end int }

// attrSpan places an attribute's key at buf[key:value] and its value at
// buf[value:end].
type attrSpan struct{ key, value, end int }

// member files one member of the top-level object under the field(s) its
// key feeds, else in attrs; it returns the value when the key is attrs.
func (r *jsonRow) member(key, val jsonValue, keys map[string][]uint8) (attrsObject jsonValue) {
	if !r.utf8OK && !utf8.Valid(key.raw) {
		// With a filter, the key cannot be kept: drop it.
		r.problem.badKey = r.problem.badKey || r.keep == nil
		return jsonValue{}
	}
	ks := len(r.buf)
	r.buf = key.appendText(r.buf)
	if fs := keys[string(r.buf[ks:])]; fs != nil { // does not allocate
		r.buf = r.buf[:ks]
		var reason string
		r.buf, reason = appendScalar(r.buf, val, r.utf8OK)
		for _, f := range fs {
			r.fields[f], r.problem.fields[f] = span{ks, len(r.buf)}, reason
		}
		return jsonValue{}
	}
	if string(r.buf[ks:]) == attrsKey {
		r.buf = r.buf[:ks]
		return val
	}
	r.attr(ks, val)
	return jsonValue{}
}

// attr files the value of an attribute whose key is at buf[ks:].
func (r *jsonRow) attr(ks int, val jsonValue) {
	if !r.keep.admits(string(r.buf[ks:])) {
		r.buf = r.buf[:ks]
		return
	}
	ke := len(r.buf)
	buf, keep, reason := appendAttr(r.buf, val, r.utf8OK)
	switch {
	case reason != "":
		r.problem.attribute(string(buf[ks:ke]), reason)
		r.buf = buf[:ks]
	case keep:
		r.buf = buf
		r.attrs = append(r.attrs, attrSpan{ks, ke, len(buf)})
	default:
		r.buf = buf[:ks]
	}
}

// mergeAttrs files the members of an attrs object, already scanned, after
// the other attributes, so that they win a clash.
func (r *jsonRow) mergeAttrs(val jsonValue) {
	switch val.kind {
	case jsonNull:
		return
	case jsonObject:
	default:
		if r.problem.attr == nil {
			r.problem.attr = fieldError(attrsKey, "want an object of strings")
		}
		return
	}
	s := jsonScan{b: val.raw}
	s.open()
	for first := true; ; first = false {
		key, v, ok := s.member(first, 1)
		if !ok {
			return
		}
		if !r.utf8OK && !utf8.Valid(key.raw) {
			r.problem.badKey = r.problem.badKey || r.keep == nil
			continue
		}
		ks := len(r.buf)
		r.buf = key.appendText(r.buf)
		r.attr(ks, v)
	}
}

// jsonRows recycles the scratch space of DecodeTransaction.
var jsonRows = sync.Pool{New: func() any { return new(jsonRow) }}

// maxPooledRow is the largest buffer a recycled jsonRow keeps.
const maxPooledRow = 64 << 10

// decodeTxnJSON decodes a transaction whose keys feed fields as keys says,
// using r's buffers as scratch space.
func (r *jsonRow) decodeTxn(b []byte, keys map[string][]uint8, tok *Tokenizer) (graph.Transaction, *RowError) {
	var s jsonScan
	if rerr := s.openObject(b); rerr != nil {
		return graph.Transaction{}, rerr
	}
	*r = jsonRow{buf: r.buf[:0], attrs: r.attrs[:0], utf8OK: utf8.Valid(b), keep: r.keep}
	var explicit jsonValue
	for first := true; ; first = false {
		key, val, ok := s.member(first, 1)
		if !ok {
			break
		}
		if v := r.member(key, val, keys); v.kind != 0 {
			explicit = v
		}
	}
	if s.err != "" || !s.end() {
		return graph.Transaction{}, fieldError("", maskDigitRuns(s.err))
	}
	if explicit.kind != 0 {
		r.mergeAttrs(explicit)
	}
	if rerr := r.problem.err(txnFields[:]); rerr != nil {
		return graph.Transaction{}, rerr
	}
	all := string(r.buf)
	var v txnValues
	for f, sp := range r.fields {
		v[f] = all[sp.start:sp.end]
	}
	var attrs map[string]string
	if len(r.attrs) > 0 {
		attrs = make(map[string]string, len(r.attrs))
		for _, a := range r.attrs {
			attrs[all[a.key:a.value]] = all[a.value:a.end]
		}
	}
	return buildTxn(&v, attrs, tok, r.utf8OK)
}

// appendScalar appends the text of a JSON value for a contract field: a
// string's content or a number's literal; nothing for null. Booleans,
// objects and arrays get a reason instead. utf8OK says the value is known
// to be valid UTF-8.
func appendScalar(dst []byte, v jsonValue, utf8OK bool) ([]byte, string) {
	switch v.kind {
	case jsonString:
		if !utf8OK && !utf8.Valid(v.raw) {
			return dst, "not valid UTF-8"
		}
		return v.appendText(dst), ""
	case jsonNumber:
		return append(dst, v.raw...), ""
	case jsonNull:
		return dst, ""
	case jsonBool:
		return dst, "is a boolean: want a string or a number"
	case jsonObject:
		return dst, "is an object: want a string or a number"
	}
	return dst, "is an array: want a string or a number"
}

// jsonScalar is appendScalar returning a string.
func jsonScalar(v jsonValue, utf8OK bool) (string, string) {
	b, reason := appendScalar(nil, v, utf8OK)
	return string(b), reason
}

// appendAttr appends the attrs text of a JSON value: a string's content,
// the literal of a number or boolean, the compact text of an object or
// array. keep is false for null. utf8OK says the value is known to be valid
// UTF-8.
func appendAttr(dst []byte, v jsonValue, utf8OK bool) (_ []byte, keep bool, reason string) {
	if !utf8OK && !utf8.Valid(v.raw) {
		return dst, false, "not valid UTF-8"
	}
	switch v.kind {
	case jsonNull:
		return dst, false, ""
	case jsonObject, jsonArray:
		return appendCompact(dst, v.raw), true, ""
	}
	return v.appendText(dst), true, ""
}

// appendCompact appends scanned JSON without the whitespace between tokens,
// as json.Compact does.
func appendCompact(dst, raw []byte) []byte {
	inString := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case inString:
			dst = append(dst, c)
			if c == '\\' && i+1 < len(raw) {
				i++
				dst = append(dst, raw[i])
			} else if c == '"' {
				inString = false
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			dst = append(dst, c)
			inString = c == '"'
		}
	}
	return dst
}

// decodeLabelJSON decodes a label whose keys feed fields as keys says.
// Other keys are ignored, whatever their value.
func decodeLabelJSON(b []byte, keys map[string][]uint8, tok *Tokenizer) (graph.Label, *RowError) {
	var s jsonScan
	if rerr := s.openObject(b); rerr != nil {
		return graph.Label{}, rerr
	}
	var (
		v       labelValues
		problem jsonProblem
	)
	for first := true; ; first = false {
		key, val, ok := s.member(first, 1)
		if !ok {
			break
		}
		if !utf8.Valid(key.raw) {
			continue
		}
		for _, f := range keys[key.text()] {
			v[f], problem.fields[f] = jsonScalar(val, false)
		}
	}
	if s.err != "" || !s.end() {
		return graph.Label{}, fieldError("", maskDigitRuns(s.err))
	}
	if rerr := problem.err(labelFields[:]); rerr != nil {
		return graph.Label{}, rerr
	}
	return buildLabel(&v, tok)
}
