package ingest

import (
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/riskgraph/riskgraph/graph"
)

// AppendTransactionJSON appends t to dst as one compact JSON object of the
// v1 contract and returns the extended slice: keys in contract order, empty
// fields left out, time in RFC 3339 UTC with nanoseconds, attrs with sorted
// keys. It does not validate t. A valid transaction with a time in years
// 1–9999 decodes with DecodeTransaction to an equal one. A NaN or infinite
// amount, which JSON cannot hold, is written as a string that
// DecodeTransaction refuses; invalid UTF-8 is written as U+FFFD.
func AppendTransactionJSON(dst []byte, t *graph.Transaction) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendJSONString(dst, t.ID)
	dst = append(dst, `,"time":"`...)
	dst = t.Time.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","amount":`...)
	dst = appendAmountJSON(dst, t.Amount)
	for f := fieldCurrency; f < fieldLabel; f++ {
		if s := *stringField(t, f); s != "" {
			dst = appendJSONKey(dst, txnFields[f])
			dst = appendJSONString(dst, s)
		}
	}
	if len(t.Attrs) > 0 {
		dst = append(dst, `,"attrs":{`...)
		keys := make([]string, 0, len(t.Attrs))
		for k := range t.Attrs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			dst = appendJSONString(dst, t.Attrs[k])
		}
		dst = append(dst, '}')
	}
	if t.Label != "" {
		dst = appendJSONKey(dst, "label")
		dst = appendJSONString(dst, string(t.Label))
	}
	return append(dst, '}')
}

// AppendLabelJSON appends l to dst as one compact JSON object of the v1
// label contract (txn or entity, label, time when set, source when set) and
// returns the extended slice. A valid label decodes with DecodeLabel to an
// equal one.
func AppendLabelJSON(dst []byte, l *graph.Label) []byte {
	dst = append(dst, '{')
	switch {
	case l.Txn != "":
		dst = append(dst, `"txn":`...)
		dst = appendJSONString(dst, l.Txn)
		if l.Entity != (graph.NodeRef{}) {
			dst = append(dst, `,"entity":`...)
			dst = appendJSONString(dst, l.Entity.String())
		}
		dst = append(dst, ',')
	case l.Entity != (graph.NodeRef{}):
		dst = append(dst, `"entity":`...)
		dst = appendJSONString(dst, l.Entity.String())
		dst = append(dst, ',')
	}
	dst = append(dst, `"label":`...)
	dst = appendJSONString(dst, string(l.Class))
	if !l.Time.IsZero() {
		dst = append(dst, `,"time":"`...)
		dst = l.Time.UTC().AppendFormat(dst, time.RFC3339Nano)
		dst = append(dst, '"')
	}
	if l.Source != "" {
		dst = appendJSONKey(dst, "source")
		dst = appendJSONString(dst, l.Source)
	}
	return append(dst, '}')
}

func appendJSONKey(dst []byte, k string) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, k...)
	return append(dst, '"', ':')
}

// appendAmountJSON formats a float as encoding/json does (shortest form that
// reads back exactly; exponent only for very small or large values).
func appendAmountJSON(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		dst = append(dst, '"')
		dst = strconv.AppendFloat(dst, f, 'g', -1, 64)
		return append(dst, '"')
	}
	return appendAmount(dst, f)
}

// appendAmount formats a finite float in the shortest form that parses back
// to the same value, as encoding/json does.
func appendAmount(dst []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string literal, escaping as
// encoding/json does except for HTML characters, which need no escaping
// outside HTML.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but end lines in JavaScript.
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
