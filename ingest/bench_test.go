package ingest_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest"
)

// benchRows is the number of rows in each benchmark's input.
const benchRows = 1000

// benchTxns returns typical transactions: most fields set, a card token,
// two attributes.
func benchTxns(tb testing.TB) []graph.Transaction {
	tok := testTokenizer(tb)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	txns := make([]graph.Transaction, benchRows)
	for i := range txns {
		txns[i] = graph.Transaction{
			ID: fmt.Sprintf("t-%08d", i), Time: base.Add(time.Duration(i) * time.Second), Amount: float64(i%5000) + 0.99,
			Currency: "EUR", Kind: "card", User: fmt.Sprintf("u-%d", i%300), Account: fmt.Sprintf("a-%d", i%300),
			Card: tok.Card(fmt.Sprintf("4000%012d", i%500)), Device: fmt.Sprintf("d-%d", i%200), IP: "192.0.2.7",
			Merchant: fmt.Sprintf("m-%d", i%50), MCC: "5411", Country: "FR", Channel: "web",
			Attrs: map[string]string{"segment": "retail", "score": "0.25"},
		}
	}
	return txns
}

// benchInput encodes benchTxns in format f.
func benchInput(tb testing.TB, f ingest.Format) []byte {
	var buf bytes.Buffer
	w, err := ingest.NewTxnWriter(&buf, f, []string{"segment", "score"})
	if err != nil {
		tb.Fatal(err)
	}
	for _, t := range benchTxns(tb) {
		if err := w.Write(&t); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func benchmarkDecode(b *testing.B, f ingest.Format) {
	in := benchInput(b, f)
	cfg := testConfig(b)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	rows := 0
	for b.Loop() {
		r, err := ingest.NewTxnReader(bytes.NewReader(in), f, cfg)
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkDecodeJSONL(b *testing.B) { benchmarkDecode(b, ingest.FormatJSONL) }

func BenchmarkDecodeCSV(b *testing.B) { benchmarkDecode(b, ingest.FormatCSV) }

// BenchmarkDecodePAN measures a row whose card field is a card number to
// tokenise (an HMAC per row).
func BenchmarkDecodePAN(b *testing.B) {
	tok := testTokenizer(b)
	msg := []byte(`{"id":"t-1","time":"2024-01-02T03:04:05Z","amount":12.5,"user":"u-1","card":"4111 1111 1111 1111"}`)
	b.ReportAllocs()
	rows := 0
	for b.Loop() {
		if _, err := ingest.DecodeTransaction(msg, tok); err != nil {
			b.Fatal(err)
		}
		rows++
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkAppendTransactionJSON(b *testing.B) {
	txns := benchTxns(b)
	b.ReportAllocs()
	var buf []byte
	rows := 0
	for b.Loop() {
		t := &txns[rows%len(txns)]
		buf = ingest.AppendTransactionJSON(buf[:0], t)
		rows++
	}
	b.SetBytes(int64(len(buf)))
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
