package ingest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/ingest"
)

// TestNoPANLeaks feeds card numbers in every place a file can hold them,
// in good rows and in rows malformed in every way, and checks that no
// returned transaction or label, and no error text, holds a run of 12 or
// more digits.
func TestNoPANLeaks(t *testing.T) {
	const (
		visa   = "4111111111111111"
		mc     = "5555 5555 5555 4444"
		amex   = "378282246310005"
		disc   = "6011-1111-1111-1117"
		at     = `"time":"2024-01-02T03:04:05Z"`
		jsonOK = `"id":"t",` + at + `,"amount":1`
	)
	jsonl := []string{
		`{` + jsonOK + `,"card":"` + visa + `"}`,
		`{` + jsonOK + `,"card":"` + mc + `","user":"` + amex + `","account":"acct ` + disc + `","memo":"paid with ` + visa + ` ok","cc_num":` + visa + `}`,
		`{` + jsonOK + `,"attrs":{"` + visa + `":"key","nested":{"pan":"` + amex + `"}}}`,
		`{"id":"t",` + at + `,"amount":-1,"card":"` + visa + `"}`,
		`{` + jsonOK + `,"card":"visa ` + visa + `"}`,
		`{` + jsonOK + `,"card":"` + visa + "\xff" + `"}`,
		`{` + jsonOK + `,"card":{"number":"` + visa + `"}}`,
		`{` + jsonOK + `,"card":true,"user":"` + visa + `"}`,
		`{"id":"t","time":"` + mc + `","amount":1}`,
		`{"id":"t","time":"at ` + visa + `","amount":1}`,
		`{"id":"t","time":` + visa + `,"amount":1}`,
		`{"id":"t",` + at + `,"amount":"` + amex + `x"}`,
		`{` + jsonOK + `,"label":"` + disc + `"}`,
		`{` + jsonOK + `,"attrs":{"pan ` + visa + `":"` + "\xff" + `"}}`,
		`{` + jsonOK + `,"card":` + visa + `,`,
		`{` + jsonOK + `,"card":"` + visa + `"} ` + visa,
		`{` + jsonOK + `,"card":"` + visa + `","pad":"` + strings.Repeat("p", 500) + `"}`,
		`[` + visa + `]`,
	}
	csv := []string{
		"id,time,amount,card,user,memo," + visa,
		"t,1700000000000,1," + visa + "," + amex + ",paid with " + mc + ",x",
		"t,1700000000000,-1," + visa + ",,,",
		"t,1700000000000,1,visa " + visa + ",,,",
		"t,1700000000000,1," + visa + ",,",
		"t,1700000000000,1," + visa + "\"x,,,",
		"t,1700000000000,1,\"" + visa + "\"x,,,",
		"t,1700000000000,1,,,\"memo " + visa + "\"" + visa + ",",
		"t," + visa + "x,1,,,,",
		"t,1700000000000," + amex + "x,,,,",
		"t,1700000000000,1,,,," + strings.Repeat("p", 500) + visa,
		"t,1700000000000,1,\"" + visa + ",,,", // never closed: swallows the rest, then re-read
		"t,1700000000000,1,,\"" + disc + "\",\"" + mc + "\",",
	}
	labels := []string{
		`{"entity":"Card:` + visa + `","label":"fraud","source":"call about ` + mc + `"}`,
		`{"entity":"User:` + amex + `","label":"fraud"}`,
		`{"entity":"Card:visa ` + visa + `","label":"fraud"}`,
		`{"entity":"Nope:` + visa + `","label":"fraud"}`,
		`{"txn":"t","label":"` + visa + `"}`,
		`{"txn":"t","label":"fraud","time":"` + visa + `z"}`,
		`{"txn":"t","label":"fraud","source":"` + "\xff" + visa + `"}`,
	}

	var outputs []string
	check := func(t *testing.T, what, s string) {
		t.Helper()
		outputs = append(outputs, s)
		if m := longDigitRun.FindString(s); m != "" {
			t.Errorf("%s holds the digit run %s: %s", what, ingest.MaskPAN(m), maskAll(s))
		}
	}
	cfg := ingest.Config{Tokenizer: testTokenizer(t), MaxLineBytes: 400}
	for _, in := range []struct {
		name   string
		format ingest.Format
		lines  []string
	}{
		{"jsonl", ingest.FormatJSONL, jsonl},
		{"csv", ingest.FormatCSV, csv},
	} {
		t.Run(in.name, func(t *testing.T) {
			r, err := ingest.NewTxnReader(strings.NewReader(strings.Join(in.lines, "\n")), in.format, cfg)
			if err != nil {
				t.Fatal(err)
			}
			txns, errs := readTxns(t, r)
			if len(txns) < 2 || len(errs) < len(in.lines)/2 {
				t.Errorf("read %d transactions and %d errors from %d lines: the test lost its rows", len(txns), len(errs), len(in.lines))
			}
			for _, txn := range txns {
				check(t, "transaction", string(ingest.AppendTransactionJSON(nil, &txn)))
				check(t, "printed transaction", fmt.Sprintf("%+v", txn))
				if txn.Card != "" && !strings.HasPrefix(txn.Card, ingest.TokenPrefix) {
					t.Errorf("card %q is not a token", txn.Card)
				}
			}
			for _, e := range errs {
				check(t, "error", e)
			}
		})
	}
	t.Run("labels", func(t *testing.T) {
		r, err := ingest.NewLabelReader(strings.NewReader(strings.Join(labels, "\n")), ingest.FormatJSONL, cfg)
		if err != nil {
			t.Fatal(err)
		}
		got, errs := readLabels(t, r)
		if len(got) != 2 {
			t.Errorf("read %d labels, want 2", len(got))
		}
		for _, l := range got {
			check(t, "label", string(ingest.AppendLabelJSON(nil, &l)))
		}
		for _, e := range errs {
			check(t, "error", e)
		}
		for _, line := range labels {
			_, err := ingest.DecodeLabel([]byte(line))
			if err != nil {
				check(t, "DecodeLabel error", err.Error())
			}
		}
	})
	// The test must have looked at tokens and masked numbers, not at
	// nothing.
	all := strings.Join(outputs, "\n")
	for _, want := range []string{ingest.TokenPrefix, "411111******1111"} {
		if !strings.Contains(all, want) {
			t.Errorf("no output holds %q", want)
		}
	}
}

// maskAll masks digit runs for printing a failure without printing a PAN.
func maskAll(s string) string {
	return longDigitRun.ReplaceAllStringFunc(s, ingest.MaskPAN)
}
