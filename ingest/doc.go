// Package ingest decodes and validates the v1 Transaction and Label events
// (graph.Transaction, graph.Label) from JSON Lines and CSV, turns card
// numbers into HMAC tokens at the edge, and encodes transactions for
// writing.
//
// # Readers
//
// A TxnReader or LabelReader streams one file. A malformed row is reported
// as a *RowError naming its line, its field and the reason, and the reader
// carries on with the next row, so one bad line never costs the good rows
// around it. Lines longer than Config.MaxLineBytes are skipped without being
// held in memory. JSON and CSV share the contract's snake_case names; a
// Mapping renames foreign columns (or JSON keys) onto them, and
// Config.Attrs chooses which of the remaining ones are kept in attrs (a
// transaction holds at most graph.MaxAttrs). Every decoded transaction has
// passed graph.Transaction.Validate; times are in UTC.
//
// In CSV, a quoted field may span lines. A record that cannot be split
// (an unterminated quote, a bare quote, a wrong number of fields) is
// reported at its first line, and when it spanned several lines the lines
// after its first are read again as records of their own, so a stray quote
// costs one row.
//
// # Card numbers
//
// A full card number (PAN) is never kept in a Transaction, never returned
// and never echoed in an error. The card field is replaced by
// Tokenizer.Card's keyed HMAC token; a card value that still holds a run of
// 12 or more digits afterwards is rejected. In every other field except the
// transaction id, and in attrs keys and values, a card number (12 to 19
// digits passing the Luhn check, possibly in groups split by spaces or
// dashes, not after a "+") is replaced by its token too. So a card number
// sent in the wrong column, or in an unmapped foreign column, is tokenised
// rather than stored, and since the same number always gives the same
// token, the graph still links it. The price is that about one 12–19 digit
// identifier in ten (an account or phone number without its "+") passes the
// Luhn check and is tokenised as well, consistently. Transaction ids are
// taken verbatim: rewriting them would break the labels that refer to them.
// A label's entity id follows the transaction rules in a LabelReader;
// DecodeLabel, which has no Tokenizer, refuses card numbers there. Values
// echoed in error messages have every run of 12 or more digits masked with
// MaskPAN.
//
// # Errors
//
// Every data error (a bad row, a bad CSV header, a bad message) satisfies
// errors.Is(err, ErrInvalid), which is graph.ErrInvalid. Read errors of the
// underlying io.Reader are returned as they are, wrapped with context, and
// end the stream.
package ingest

import "github.com/riskgraph/riskgraph/graph"

// ErrInvalid is graph.ErrInvalid, re-exported so callers that only import
// ingest can test for malformed input with errors.Is.
var ErrInvalid = graph.ErrInvalid
