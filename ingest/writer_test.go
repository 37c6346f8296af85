package ingest_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest"
)

// roundTripTxns are valid transactions with every field in use and the
// awkward values a CSV or JSON encoder must quote or escape.
func roundTripTxns(tb testing.TB) []graph.Transaction {
	tok := testTokenizer(tb)
	return []graph.Transaction{
		{
			ID: "t-0001", Time: ts(tb, "2024-03-01T12:00:00Z"), Amount: 12.34, Currency: "EUR", Kind: "card",
			User: "u-1", Account: "acc-1", Card: tok.Card(testPANs[0]), Device: "dev-1", IP: "192.0.2.1",
			Email: "a@example.com", Phone: "+441234567890", Merchant: "m-1", MCC: "5411", Counterparty: "acc-2",
			Country: "GB", Channel: "web", Label: graph.ClassFraud,
			Attrs: map[string]string{"segment": "retail", "note": "first"},
		},
		{
			// Nanoseconds, a time zone other than UTC, a tiny amount.
			ID: "t-0002", Time: time.Date(2024, 3, 1, 13, 0, 0, 123456789, time.FixedZone("CET", 3600)).UTC(), Amount: 1e-7,
			User: `quote " and comma , and backslash \`, Merchant: " leading and trailing spaces ",
			Attrs: map[string]string{"note": "two\nlines\r\nand a tab\t", "segment": "ünïcödé ✓ \u2028"},
		},
		{
			// Zero amount, huge amount, epoch, legit label, no attrs.
			ID: "t-0003", Time: time.UnixMilli(0).UTC(), Amount: 0, Label: graph.ClassLegit,
		},
		{ID: "t-0004", Time: ts(tb, "9999-12-31T23:59:59.999999999Z"), Amount: 1e21, Kind: "transfer", Account: "a", Counterparty: "b",
			Label: graph.ClassLaundering, Attrs: map[string]string{"note": `"quoted"`}},
		{ID: "t,0005", Time: ts(tb, "0001-01-01T00:00:00.001Z"), Amount: 123456.789, Device: "\"", Attrs: map[string]string{"segment": "="}},
	}
}

func TestTxnWriterRoundTrip(t *testing.T) {
	want := roundTripTxns(t)
	for _, f := range []ingest.Format{ingest.FormatJSONL, ingest.FormatCSV} {
		t.Run(f.String(), func(t *testing.T) {
			var buf bytes.Buffer
			w, err := ingest.NewTxnWriter(&buf, f, []string{"segment", "note"})
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if err := w.Write(&want[i]); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			r, err := ingest.NewTxnReader(&buf, f, testConfig(t))
			if err != nil {
				t.Fatal(err)
			}
			got, errs := readTxns(t, r)
			if len(errs) > 0 {
				t.Errorf("row errors: %q", errs)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("read back (-written +read):\n%s", diff)
			}
		})
	}
}

func TestTxnWriterCSVHeader(t *testing.T) {
	var buf bytes.Buffer
	w, err := ingest.NewTxnWriter(&buf, ingest.FormatCSV, []string{"segment"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "id,time,amount,currency,kind,user,account,card,device,ip,email,phone,merchant,mcc,counterparty,country,channel,label,segment\n"
	if got := buf.String(); got != want {
		t.Errorf("header = %q, want %q", got, want)
	}
}

func TestNewTxnWriterErrors(t *testing.T) {
	tests := []struct {
		name   string
		format ingest.Format
		extra  []string
	}{
		{"empty column name", ingest.FormatCSV, []string{""}},
		{"spaces around a name", ingest.FormatCSV, []string{" segment"}},
		{"contract column", ingest.FormatCSV, []string{"amount"}},
		{"column twice", ingest.FormatJSONL, []string{"a", "b", "a"}},
		{"invalid UTF-8", ingest.FormatCSV, []string{"\xff"}},
		{"zero format", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ingest.NewTxnWriter(&bytes.Buffer{}, tt.format, tt.extra); err == nil {
				t.Errorf("NewTxnWriter(%v, %q) succeeded", tt.format, tt.extra)
			}
		})
	}
}

func TestTxnWriterRefuses(t *testing.T) {
	valid := graph.Transaction{ID: "t", Time: ts(t, "2024-01-01T00:00:00Z"), Amount: 1}
	tests := []struct {
		name    string
		format  ingest.Format
		txn     graph.Transaction
		wantErr string
	}{
		{"no id", ingest.FormatJSONL, graph.Transaction{Time: valid.Time}, "ingest: write: id: missing"},
		{"negative amount", ingest.FormatCSV, graph.Transaction{ID: "t", Time: valid.Time, Amount: -1}, "ingest: write: amount: negative (-1)"},
		{"attribute without a column", ingest.FormatCSV, graph.Transaction{ID: "t", Time: valid.Time, Attrs: map[string]string{"x": "1"}},
			`ingest: write: attrs: attribute "x" has no CSV column: add it to the writer's extra columns`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := ingest.NewTxnWriter(&buf, tt.format, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = w.Write(&tt.txn)
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("Write error = %v, want %q", err, tt.wantErr)
			}
			if !errors.Is(err, ingest.ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
			}
			// The writer is still usable.
			if err := w.Write(&valid); err != nil {
				t.Errorf("Write after a refused row: %v", err)
			}
		})
	}
}

// failWriter fails every write.
type failWriter struct{}

var errDiskFull = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestTxnWriterStickyError(t *testing.T) {
	for _, f := range []ingest.Format{ingest.FormatJSONL, ingest.FormatCSV} {
		t.Run(f.String(), func(t *testing.T) {
			w, err := ingest.NewTxnWriter(failWriter{}, f, nil)
			if err != nil {
				t.Fatal(err)
			}
			txn := graph.Transaction{ID: "t", Time: ts(t, "2024-01-01T00:00:00Z"), Amount: 1, User: strings.Repeat("u", 200)}
			var werr error
			for range 1000 { // enough to overflow the buffer
				if werr = w.Write(&txn); werr != nil {
					break
				}
			}
			if werr == nil {
				werr = w.Flush()
			}
			if !errors.Is(werr, errDiskFull) {
				t.Fatalf("error = %v, want the underlying writer's", werr)
			}
			if err := w.Flush(); !errors.Is(err, errDiskFull) {
				t.Errorf("Flush after a failure = %v, want the same error again", err)
			}
		})
	}
}
