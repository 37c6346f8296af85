package ingest_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"strings"

	"github.com/riskgraph/riskgraph/ingest"
)

// ExampleTxnReader reads a foreign CSV file through a column mapping (the
// card column already has the contract's name): the card number becomes a
// token, the column no field reads lands in attrs, and the bad row is
// reported and skipped.
func ExampleTxnReader() {
	const file = `TxnID,When,Amount,Source,card,Channel
t-1,2024-03-01T10:00:00+01:00,12.50,C123,4111 1111 1111 1111,web
t-2,2024-03-01T10:05:00Z,-3,C123,,pos
t-3,1709287800000,99,C456,ct_abcdefghijklmnopabcdefghijklmnopabcdefgh,web
`
	key := []byte("an example key of 32 bytes or more") // in production: ingest.LoadOrCreateKey
	tok, err := ingest.NewTokenizer(key)
	if err != nil {
		log.Fatal(err)
	}
	mapping, err := ingest.ParseMapping("id=TxnID,time=When,amount=Amount,user=Source")
	if err != nil {
		log.Fatal(err)
	}
	r, err := ingest.NewTxnReader(strings.NewReader(file), ingest.FormatCSV, ingest.Config{Tokenizer: tok, Mapping: mapping})
	if err != nil {
		log.Fatal(err)
	}
	for {
		t, err := r.Next()
		if err == io.EOF {
			break
		}
		var rowErr *ingest.RowError
		if errors.As(err, &rowErr) {
			fmt.Println("skipped:", err)
			continue
		}
		if err != nil {
			log.Fatal(err) // the input itself failed
		}
		fmt.Println(t.ID, t.Time.Format("15:04Z07:00"), t.Amount, t.User, strings.HasPrefix(t.Card, ingest.TokenPrefix), t.Attrs)
	}
	// Output:
	// t-1 09:00Z 12.5 C123 true map[Channel:web]
	// skipped: line 3: amount: negative (-3)
	// t-3 10:10Z 99 C456 true map[Channel:web]
}

// ExampleDecodeTransaction decodes a NATS message body. The error of a bad
// message names the field and never repeats a card number.
func ExampleDecodeTransaction() {
	tok, err := ingest.NewTokenizer([]byte("an example key of 32 bytes or more"))
	if err != nil {
		log.Fatal(err)
	}
	t, err := ingest.DecodeTransaction([]byte(`{"id":"t-9","time":1709287800000,"amount":"20.00","card":"5555 5555 5555 4444","mcc":5411}`), tok)
	fmt.Println(t.ID, t.Time, t.Amount, t.MCC, strings.HasPrefix(t.Card, ingest.TokenPrefix), err)

	_, err = ingest.DecodeTransaction([]byte(`{"id":"t-10","time":"5555 5555 5555 4444","amount":1}`), tok)
	fmt.Println(err, errors.Is(err, ingest.ErrInvalid))
	// Output:
	// t-9 2024-03-01 10:10:00 +0000 UTC 20 5411 true <nil>
	// time: "555555******4444" is neither RFC 3339 nor integer unix milliseconds true
}

func ExampleMaskPAN() {
	fmt.Println(ingest.IsPAN("4111 1111 1111 1111"), ingest.MaskPAN("4111 1111 1111 1111"))
	// Output: true 411111******1111
}
