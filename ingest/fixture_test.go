package ingest_test

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest"
)

// Fixtures shared by the test files of this package.

// testKey is the tokenizer key of every test.
var testKey = bytes.Repeat([]byte{0x42}, ingest.KeySize)

func testTokenizer(tb testing.TB) *ingest.Tokenizer {
	tb.Helper()
	tok, err := ingest.NewTokenizer(testKey)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

func testConfig(tb testing.TB) ingest.Config {
	return ingest.Config{Tokenizer: testTokenizer(tb)}
}

// Luhn-valid test card numbers (the networks' published test PANs).
var testPANs = []string{
	"4111111111111111",    // Visa
	"5555555555554444",    // Mastercard
	"378282246310005",     // Amex, 15 digits
	"6011111111111117",    // Discover
	"30569309025904",      // Diners, 14 digits
	"6304000000000000000", // 19 digits
	"123456789015",        // 12 digits
}

// longDigitRun matches 12 or more digits, possibly broken by spaces and
// dashes: what a card number looks like in text.
var longDigitRun = regexp.MustCompile(`[0-9](?:[ -]*[0-9]){11,}`)

// ts parses an RFC 3339 time for test tables.
func ts(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t.UTC()
}

// readTxns reads r to the end and returns the transactions and the texts of
// the row errors, checking that each row error is a *RowError wrapping
// ErrInvalid whose line matches r.Line.
func readTxns(tb testing.TB, r *ingest.TxnReader) ([]graph.Transaction, []string) {
	tb.Helper()
	var txns []graph.Transaction
	var errs []string
	for range 1_000_000 {
		t, err := r.Next()
		if err == io.EOF {
			return txns, errs
		}
		if err != nil {
			checkRowError(tb, err, r.Line())
			errs = append(errs, err.Error())
			continue
		}
		txns = append(txns, t)
	}
	tb.Fatal("reader did not reach io.EOF")
	return nil, nil
}

// readLabels is readTxns for labels.
func readLabels(tb testing.TB, r *ingest.LabelReader) ([]graph.Label, []string) {
	tb.Helper()
	var labels []graph.Label
	var errs []string
	for range 1_000_000 {
		l, err := r.Next()
		if err == io.EOF {
			return labels, errs
		}
		if err != nil {
			checkRowError(tb, err, r.Line())
			errs = append(errs, err.Error())
			continue
		}
		labels = append(labels, l)
	}
	tb.Fatal("reader did not reach io.EOF")
	return nil, nil
}

func checkRowError(tb testing.TB, err error, line int) {
	tb.Helper()
	var re *ingest.RowError
	if !errors.As(err, &re) {
		tb.Fatalf("Next: %v (%T), want a *RowError", err, err)
	}
	if !errors.Is(err, ingest.ErrInvalid) {
		tb.Errorf("errors.Is(%v, ErrInvalid) = false", err)
	}
	if re.Line != line {
		tb.Errorf("RowError.Line = %d, Line() = %d", re.Line, line)
	}
}

// ids returns the ids of txns.
func ids(txns []graph.Transaction) []string {
	out := []string{}
	for _, t := range txns {
		out = append(out, t.ID)
	}
	return out
}
