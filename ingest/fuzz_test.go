package ingest_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest"
)

// Decoders must never panic, must return only valid transactions with no
// card number in them, and must report bad input as *RowError wrapping
// ErrInvalid with no card number in the text. Crashers found by the fuzzer
// are kept under testdata/fuzz.

var jsonSeeds = []string{
	`{"id":"t1","time":"2024-01-02T03:04:05Z","amount":1}`,
	`{"id":"t1","time":1704164645000,"amount":"12.5","currency":"EUR","kind":"card","user":"u1","account":"a1",` +
		`"card":"4111 1111 1111 1111","device":"d","ip":"192.0.2.1","email":"e@x","phone":"+44","merchant":"m",` +
		`"mcc":5411,"counterparty":"a2","country":"GB","channel":"web","attrs":{"k":"v","n":1},"label":"fraud","extra":[1,2]}`,
	`{"id":"t\u00e9","time":"2024-01-02T03:04:05.999999999+14:00","amount":1e-7,"memo":"paid 5555-5555-5555-4444"}`,
	`{"id":"t1","time":"2024-01-02T03:04:05Z","amount":-1}`,
	`{"id":"t1","time":"9999-12-31T23:59:59-01:00","amount":1}`,
	`{"id":"t1","time":"0000-01-01T00:00:00Z","amount":1}`,
	`{"id":"t1","time":"2024-01-02T03:04:05Z","amount":"NaN","card":"visa 4111111111111111"}`,
	`{"id":"t1","attrs":{"4111111111111111":"x","pan 4111111111111111":"` + "\xff" + `"}}`,
	`{"id":`,
	"{\"id\":\"\xff\"}",
	`[]`,
	`null`,
	``,
}

var csvSeeds = []string{
	"id,time,amount,card,memo\nt1,2024-01-02T03:04:05Z,1,4111111111111111,hi\n",
	"id,time,amount,memo\nt1,1700000000000,1,\"two\nlines\"\nt2,1700000000000,2,\"open\nt3,1700000000000,3,x\n",
	"\ufeffid,time,amount,label,,x\r\nt1,1700000000000,0,1,,y\r\nt2,1700000000000,-1,maybe,,\r\n",
	"id,time,amount\nt1,1700000000000\nt2,1700000000000,1,2\n\"t3\"x,1,1\nt\"4,1,1\n",
	"id,id\n",
	"id,time,amount,user\nt1,1700000000000,1,\xff\n",
	"",
}

// checkTxn checks what every decoded transaction must satisfy.
func checkTxn(t *testing.T, txn *graph.Transaction) {
	t.Helper()
	if err := txn.Validate(); err != nil {
		t.Fatalf("decoded transaction is invalid: %v", err)
	}
	if txn.Time.Location() != time.UTC {
		t.Errorf("time in %v, want UTC", txn.Time.Location())
	}
	if y := txn.Time.Year(); y < 1 || y > 9999 {
		t.Errorf("time %v outside years 1–9999", txn.Time)
	}
	if longDigitRun.MatchString(txn.Card) {
		t.Fatalf("card %s holds a digit run of 12 or more", maskAll(txn.Card))
	}
	for _, s := range []string{txn.User, txn.Account, txn.Merchant, txn.Email, txn.Phone, txn.Device} {
		if ingest.IsPAN(s) {
			t.Fatalf("field %s is a card number", maskAll(s))
		}
	}
	for k, v := range txn.Attrs {
		if ingest.IsPAN(k) || ingest.IsPAN(v) {
			t.Fatalf("attribute %s=%s is a card number", maskAll(k), maskAll(v))
		}
	}
}

// checkErr checks what every decoding error must satisfy.
func checkErr(t *testing.T, err error) {
	t.Helper()
	var re *ingest.RowError
	if !errors.As(err, &re) || !errors.Is(err, ingest.ErrInvalid) {
		t.Fatalf("error %v (%T) is not a *RowError wrapping ErrInvalid", err, err)
	}
	if longDigitRun.MatchString(err.Error()) {
		t.Fatalf("error %s echoes a digit run of 12 or more", maskAll(err.Error()))
	}
}

// checkRoundTrip checks that a decoded transaction encodes and decodes to
// itself.
func checkRoundTrip(t *testing.T, tok *ingest.Tokenizer, txn *graph.Transaction) {
	t.Helper()
	b := ingest.AppendTransactionJSON(nil, txn)
	back, err := ingest.DecodeTransaction(b, tok)
	if err != nil {
		t.Fatalf("DecodeTransaction(AppendTransactionJSON(txn)): %v\n%s", err, maskAll(string(b)))
	}
	if diff := cmp.Diff(*txn, back); diff != "" {
		t.Fatalf("round trip (-decoded +again):\n%s", maskAll(diff))
	}
}

func FuzzDecodeTransactionJSON(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	tok := testTokenizer(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		txn, err := ingest.DecodeTransaction(b, tok)
		if err != nil {
			checkErr(t, err)
			return
		}
		checkTxn(t, &txn)
		checkRoundTrip(t, tok, &txn)
	})
}

func FuzzDecodeLabel(f *testing.F) {
	for _, s := range []string{
		`{"txn":"t1","label":"fraud","time":"2024-02-01T00:00:00Z","source":"chargeback"}`,
		`{"entity":"Card:ct_abc","label":0,"time":1700000000000}`,
		`{"entity":"User:4111111111111111","label":"fraud"}`,
		`{"entity":"Card:4111 1111 1111 1111","label":"fraud","source":"re 5555555555554444"}`,
		`{"txn":"t1","entity":"User:u","label":"x"}`,
		`{"entity":":","label":1}`,
		`{"txn":`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ingest.DecodeLabel(b)
		if err != nil {
			checkErr(t, err)
			return
		}
		if err := l.Validate(); err != nil {
			t.Fatalf("decoded label is invalid: %v", err)
		}
		if ingest.IsPAN(l.Source) || ingest.IsPAN(l.Entity.ID) {
			t.Fatalf("label %s names a card number", maskAll(string(ingest.AppendLabelJSON(nil, &l))))
		}
		if l.Entity.Kind == graph.KindCard && longDigitRun.MatchString(l.Entity.ID) {
			t.Fatalf("card entity %s holds a digit run of 12 or more", maskAll(l.Entity.ID))
		}
		back, err := ingest.DecodeLabel(ingest.AppendLabelJSON(nil, &l))
		if err != nil {
			t.Fatalf("DecodeLabel(AppendLabelJSON(l)): %v", err)
		}
		if diff := cmp.Diff(l, back); diff != "" {
			t.Fatalf("round trip (-decoded +again):\n%s", maskAll(diff))
		}
	})
}

// fuzzRead reads every row of data in format, with a small line limit so
// that the long-line paths run too.
func fuzzRead(t *testing.T, data []byte, format ingest.Format, tok *ingest.Tokenizer) {
	r, err := ingest.NewTxnReader(bytes.NewReader(data), format, ingest.Config{Tokenizer: tok, MaxLineBytes: 128})
	if err != nil {
		if !errors.Is(err, ingest.ErrInvalid) {
			t.Fatalf("NewTxnReader: %v does not wrap ErrInvalid", err)
		}
		if longDigitRun.MatchString(err.Error()) {
			t.Fatalf("error %s echoes a digit run of 12 or more", maskAll(err.Error()))
		}
		return
	}
	// Every call consumes at least one line, and a record that fails is
	// read again one line shorter: bound the calls generously.
	limit := 10 + len(data)*len(data)
	for range limit {
		txn, err := r.Next()
		if err == io.EOF {
			if off := r.Offset(); off != int64(len(data)) {
				t.Fatalf("Offset() = %d at the end, want %d", off, len(data))
			}
			return
		}
		if err != nil {
			checkErr(t, err)
			continue
		}
		checkTxn(t, &txn)
		checkRoundTrip(t, tok, &txn)
	}
	t.Fatalf("no io.EOF after %d calls to Next", limit)
}

func FuzzJSONLReader(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s + "\n" + s + "\r\n\n" + s))
	}
	tok := testTokenizer(f)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, data, ingest.FormatJSONL, tok) })
}

func FuzzCSVReader(f *testing.F) {
	for _, s := range csvSeeds {
		f.Add([]byte(s))
	}
	tok := testTokenizer(f)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, data, ingest.FormatCSV, tok) })
}
