package ingest

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riskgraph/riskgraph/graph"
)

// TxnWriter writes transactions in the v1 contract, as JSON Lines (one
// AppendTransactionJSON object per line) or as CSV whose header is the
// contract's columns (id, time, amount, …, channel, label) followed by one
// column per attribute named in extraCols. Whatever it writes, TxnReader
// reads back as equal transactions, with one exception in CSV: an attribute
// whose value is "" is read back as absent, since an empty cell is. Writes
// are buffered: call Flush at the end. A TxnWriter does not tokenise: it
// writes the card field as given, so that test data can hold card numbers
// for the readers to tokenise. It is not safe for concurrent use.
type TxnWriter struct {
	format Format
	bw     *bufio.Writer // JSONL
	cw     *csv.Writer   // CSV
	extra  []string
	buf    []byte
	row    []string
	err    error // sticky error of the underlying writer
}

// NewTxnWriter returns a writer of format f to w. For CSV it writes the
// header row (to the buffer). extraCols name the attributes that get a CSV
// column; they must be non-empty valid UTF-8 without surrounding spaces,
// distinct, and not contract column names. JSON Lines holds every
// attribute whatever extraCols says.
func NewTxnWriter(w io.Writer, f Format, extraCols []string) (*TxnWriter, error) {
	if !f.Valid() {
		return nil, fmt.Errorf("ingest: unknown format %v", f)
	}
	for i, c := range extraCols {
		switch {
		case c == "" || strings.TrimSpace(c) != c || !utf8.ValidString(c):
			return nil, fmt.Errorf("ingest: extra column %d: name %q must be non-empty valid UTF-8 without surrounding spaces", i+1, c)
		case slices.Contains(txnFields[:], c):
			return nil, fmt.Errorf("ingest: extra column %q is a contract column", c)
		case slices.Contains(extraCols[:i], c):
			return nil, fmt.Errorf("ingest: extra column %q is named twice", c)
		}
	}
	tw := &TxnWriter{format: f, extra: slices.Clone(extraCols)}
	if f == FormatJSONL {
		tw.bw = bufio.NewWriterSize(w, 64<<10)
		return tw, nil
	}
	tw.cw = csv.NewWriter(w)
	tw.row = make([]string, 0, len(txnFields)+len(extraCols))
	tw.row = append(append(tw.row, txnFields[:]...), extraCols...)
	if err := tw.cw.Write(tw.row); err != nil {
		return nil, fmt.Errorf("ingest: write CSV header: %w", err)
	}
	return tw, nil
}

// Write writes one transaction. An invalid transaction (see
// graph.Transaction.Validate), or in CSV one with an attribute not named
// in extraCols, is refused with an error wrapping ErrInvalid and nothing is
// written. An error of the underlying writer is returned by this and every
// later call.
func (w *TxnWriter) Write(t *graph.Transaction) error {
	if w.err != nil {
		return w.err
	}
	if err := t.Validate(); err != nil {
		return fmt.Errorf("ingest: write: %w", asRowError(err))
	}
	if w.format == FormatJSONL {
		w.buf = AppendTransactionJSON(w.buf[:0], t)
		w.buf = append(w.buf, '\n')
		if _, err := w.bw.Write(w.buf); err != nil {
			w.err = fmt.Errorf("ingest: write: %w", err)
		}
		return w.err
	}
	for k := range t.Attrs {
		if !slices.Contains(w.extra, k) {
			return fmt.Errorf("ingest: write: %w", fieldError("attrs", "attribute "+echo(k)+" has no CSV column: add it to the writer's extra columns"))
		}
	}
	w.row = w.row[:0]
	for f := range numTxnFields {
		switch f {
		case fieldTime:
			w.buf = t.Time.UTC().AppendFormat(w.buf[:0], time.RFC3339Nano)
			w.row = append(w.row, string(w.buf))
		case fieldAmount:
			w.buf = appendAmount(w.buf[:0], t.Amount)
			w.row = append(w.row, string(w.buf))
		case fieldLabel:
			w.row = append(w.row, string(t.Label))
		default:
			w.row = append(w.row, *stringField(t, f))
		}
	}
	for _, k := range w.extra {
		w.row = append(w.row, t.Attrs[k])
	}
	if err := w.cw.Write(w.row); err != nil {
		w.err = fmt.Errorf("ingest: write: %w", err)
	}
	return w.err
}

// Flush writes any buffered data to the underlying writer.
func (w *TxnWriter) Flush() error {
	if w.err != nil {
		return w.err
	}
	var err error
	if w.format == FormatJSONL {
		err = w.bw.Flush()
	} else {
		w.cw.Flush()
		err = w.cw.Error()
	}
	if err != nil {
		w.err = fmt.Errorf("ingest: flush: %w", err)
	}
	return w.err
}
