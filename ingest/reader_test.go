package ingest_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest"
)

// tenMB is ten times the default line limit, made when first needed.
var tenMB = sync.OnceValue(func() string { return strings.Repeat("x", 10<<20) })

// TestTxnReaderMalformedJSONL puts one bad line between two good ones: the
// bad line must give one RowError naming its line and field, and both good
// rows must be read.
func TestTxnReaderMalformedJSONL(t *testing.T) {
	const good1 = `{"id":"a","time":"2024-01-02T03:04:05Z","amount":1}`
	const good3 = `{"id":"c","time":"2024-01-02T03:04:06Z","amount":2}`
	tests := []struct {
		name    string
		line    string
		wantErr string
	}{
		{"missing id", `{"time":"2024-01-02T03:04:05Z","amount":1}`, "line 2: id: missing"},
		{"empty id", `{"id":"","time":"2024-01-02T03:04:05Z","amount":1}`, "line 2: id: missing"},
		{"id over the length limit", `{"id":"` + strings.Repeat("i", 300) + `","time":"2024-01-02T03:04:05Z","amount":1}`,
			"line 2: id: 300 bytes long, over the limit of 256"},
		{"missing time", `{"id":"b","amount":1}`, "line 2: time: missing"},
		{"bad time", `{"id":"b","time":"yesterday","amount":1}`,
			`line 2: time: "yesterday" is neither RFC 3339 nor integer unix milliseconds`},
		{"time in microseconds", `{"id":"b","time":1700000000000000,"amount":1}`,
			"line 2: time: year 55840 is outside 1–9999 (unix milliseconds expected, not microseconds)"},
		{"fractional unix time", `{"id":"b","time":1.7e12,"amount":1}`,
			`line 2: time: "1.7e12" is neither RFC 3339 nor integer unix milliseconds`},
		{"missing amount", `{"id":"b","time":"2024-01-02T03:04:05Z"}`, "line 2: amount: missing"},
		{"null amount", `{"id":"b","time":"2024-01-02T03:04:05Z","amount":null}`, "line 2: amount: missing"},
		{"negative amount", `{"id":"b","time":"2024-01-02T03:04:05Z","amount":-3}`, "line 2: amount: negative (-3)"},
		{"negative amount string", `{"id":"b","time":"2024-01-02T03:04:05Z","amount":"-0.5"}`, "line 2: amount: negative (-0.5)"},
		{"NaN amount", `{"id":"b","time":"2024-01-02T03:04:05Z","amount":"NaN"}`, `line 2: amount: "NaN" is not a decimal number`},
		{"infinite amount", `{"id":"b","time":"2024-01-02T03:04:05Z","amount":1e999}`, `line 2: amount: "1e999" is out of range`},
		{"hex amount", `{"id":"b","time":"2024-01-02T03:04:05Z","amount":"0x10"}`, `line 2: amount: "0x10" is not a decimal number`},
		{"boolean amount", `{"id":"b","time":"2024-01-02T03:04:05Z","amount":true}`,
			"line 2: amount: is a boolean: want a string or a number"},
		{"object user", `{"id":"b","time":"2024-01-02T03:04:05Z","amount":1,"user":{}}`,
			"line 2: user: is an object: want a string or a number"},
		{"bad label", `{"id":"b","time":"2024-01-02T03:04:05Z","amount":1,"label":"maybe"}`,
			`line 2: label: "maybe" is not fraud, legit, laundering, 1 or 0`},
		{"invalid UTF-8 in a field", "{\"id\":\"b\",\"time\":\"2024-01-02T03:04:05Z\",\"amount\":1,\"user\":\"\xff\"}",
			"line 2: user: not valid UTF-8"},
		{"invalid UTF-8 in an escaped field", "{\"id\":\"b\",\"time\":\"2024-01-02T03:04:05Z\",\"amount\":1,\"user\":\"\\n\xff\"}",
			"line 2: user: not valid UTF-8"},
		{"invalid UTF-8 in an extra key's value", "{\"id\":\"b\",\"time\":\"2024-01-02T03:04:05Z\",\"amount\":1,\"memo\":\"\xc3\"}",
			`line 2: attrs: attribute "memo": not valid UTF-8`},
		{"invalid UTF-8 in a key", "{\"id\":\"b\",\"time\":\"2024-01-02T03:04:05Z\",\"amount\":1,\"\xff\":\"x\"}",
			"line 2: a key is not valid UTF-8"},
		{"attrs not an object", `{"id":"b","time":"2024-01-02T03:04:05Z","amount":1,"attrs":"x"}`,
			"line 2: attrs: want an object of strings"},
		{"truncated JSON", `{"id":"b","time":"2024-01-02T03:04:05Z","amount":1`,
			"line 2: invalid JSON at byte 50: unexpected end of JSON input"},
		{"trailing garbage", `{"id":"b","time":"2024-01-02T03:04:05Z","amount":1} x`,
			"line 2: invalid JSON at byte 53: invalid character 'x' after top-level value"},
		{"not an object", `["b","2024-01-02T03:04:05Z",1]`, "line 2: not a JSON object"},
		{"10 MB line", `{"id":"b","memo":"` + tenMB() + `"}`, "line 2: line exceeds 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := good1 + "\n" + tt.line + "\n" + good3 + "\n"
			r, err := ingest.NewTxnReader(strings.NewReader(in), ingest.FormatJSONL, testConfig(t))
			if err != nil {
				t.Fatal(err)
			}
			txns, errs := readTxns(t, r)
			if diff := cmp.Diff([]string{"a", "c"}, ids(txns)); diff != "" {
				t.Errorf("ids read (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{tt.wantErr}, errs); diff != "" {
				t.Errorf("row errors (-want +got):\n%s", diff)
			}
			if r.Offset() != int64(len(in)) {
				t.Errorf("Offset() = %d at the end, want %d", r.Offset(), len(in))
			}
		})
	}
}

// TestTxnReaderMalformedCSV is TestTxnReaderMalformedJSONL for CSV.
func TestTxnReaderMalformedCSV(t *testing.T) {
	const header = "id,time,amount,user,card,memo"
	const good2 = "a,2024-01-02T03:04:05Z,1,u1,,"
	const good4 = "c,2024-01-02T03:04:06Z,2,u2,,"
	tests := []struct {
		name    string
		line    string
		wantErr string
	}{
		{"missing id", ",2024-01-02T03:04:05Z,1,u1,,", "line 3: id: missing"},
		{"bad time", "b,2024-13-01,1,u1,,", `line 3: time: "2024-13-01" is neither RFC 3339 nor integer unix milliseconds`},
		{"missing time", "b,,1,u1,,", "line 3: time: missing"},
		{"negative amount", "b,2024-01-02T03:04:05Z,-3,u1,,", "line 3: amount: negative (-3)"},
		{"amount with a decimal comma", `b,2024-01-02T03:04:05Z,"12,50",u1,,`, `line 3: amount: "12,50" is not a decimal number`},
		{"too few columns", "b,2024-01-02T03:04:05Z,1", "line 3: has 3 fields, the header has 6"},
		{"too many columns", "b,2024-01-02T03:04:05Z,1,u1,,,", "line 3: has 7 fields, the header has 6"},
		{"bare quote", `b,2024-01-02T03:04:05Z,1,u"1,,`, `line 3: user: bare " in non-quoted field`},
		{"text after a closing quote", `b,2024-01-02T03:04:05Z,1,"u1"x,,`, `line 3: user: extraneous or missing " in quoted field`},
		{"bare quote in an extra column", `b,2024-01-02T03:04:05Z,1,u1,,m"`, `line 3: attrs: column "memo": bare " in non-quoted field`},
		{"quote never closed", `b,2024-01-02T03:04:05Z,1,"u1,,`, "line 3: quoted field not closed before the end of input"},
		{"invalid UTF-8 in a field", "b,2024-01-02T03:04:05Z,1,\xffu1,,", "line 3: user: not valid UTF-8"},
		{"invalid UTF-8 in an extra column", "b,2024-01-02T03:04:05Z,1,u1,,\xc3", `line 3: attrs: attribute "memo": not valid UTF-8`},
		{"10 MB line", "b,2024-01-02T03:04:05Z,1,u1,," + tenMB(), "line 3: line exceeds 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := header + "\n" + good2 + "\r\n" + tt.line + "\n" + good4 + "\n"
			r, err := ingest.NewTxnReader(strings.NewReader(in), ingest.FormatCSV, testConfig(t))
			if err != nil {
				t.Fatal(err)
			}
			txns, errs := readTxns(t, r)
			if diff := cmp.Diff([]string{"a", "c"}, ids(txns)); diff != "" {
				t.Errorf("ids read (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{tt.wantErr}, errs); diff != "" {
				t.Errorf("row errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCSVStrayQuote checks that an opening quote never closed costs only
// its own row, even when the rows after it hold quotes of their own.
func TestCSVStrayQuote(t *testing.T) {
	in := "id,time,amount,memo\n" +
		"a,1700000000000,1,\"open\n" + // line 2: never closed
		"b,1700000000000,2,plain\n" +
		"c,1700000000000,3,\"quoted, fine\"\n" +
		"d,1700000000000,4,\"two\nlines\"\n" + // lines 5–6
		"e,1700000000000,5,\n"
	tests := []struct {
		name    string
		max     int
		wantErr string
	}{
		// Line 2's quote is closed by the first quote of line 4, and the
		// record of lines 2–4 then fails to split.
		{"closed by a later quote", 0, `line 2: attrs: column "memo": extraneous or missing " in quoted field`},
		// Lines 2–4 together exceed the limit before that.
		{"over the limit first", 60, "line 2: quoted field not closed within 60 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ingest.NewTxnReader(strings.NewReader(in), ingest.FormatCSV, ingest.Config{Tokenizer: testTokenizer(t), MaxLineBytes: tt.max})
			if err != nil {
				t.Fatal(err)
			}
			txns, errs := readTxns(t, r)
			if diff := cmp.Diff([]string{"b", "c", "d", "e"}, ids(txns)); diff != "" {
				t.Errorf("ids read (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{tt.wantErr}, errs); diff != "" {
				t.Errorf("row errors (-want +got):\n%s", diff)
			}
			if len(txns) == 4 && txns[2].Attrs["memo"] != "two\nlines" {
				t.Errorf("multi-line memo = %q", txns[2].Attrs["memo"])
			}
		})
	}
}

// TestCSVLines checks Line() over blank lines, CRLF line ends, a byte order
// mark and a record spanning lines.
func TestCSVLines(t *testing.T) {
	in := "\ufeffid,time,amount,memo\r\n" +
		"\r\n" +
		"a,1700000000000,1,\"x\r\ny\"\r\n" + // lines 3–4
		"\n" +
		"b,1700000000000,2,\r\n" + // line 6
		"c,1700000000000,3," // line 7, no final line end
	r, err := ingest.NewTxnReader(strings.NewReader(in), ingest.FormatCSV, testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	var memos []string
	for {
		txn, err := r.Next()
		if err != nil {
			break
		}
		lines = append(lines, r.Line())
		memos = append(memos, txn.Attrs["memo"])
	}
	if diff := cmp.Diff([]int{3, 6, 7}, lines); diff != "" {
		t.Errorf("Line() per row (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"x\r\ny", "", ""}, memos); diff != "" {
		t.Errorf("memos (-want +got):\n%s", diff)
	}
}

func TestJSONLLines(t *testing.T) {
	in := "\ufeff{\"id\":\"a\",\"time\":1700000000000,\"amount\":1}\r\n" +
		"\n   \t\n" +
		"{\"id\":\"b\",\"time\":1700000000000,\"amount\":1}" // line 4, no final line end
	r, err := ingest.NewTxnReader(strings.NewReader(in), ingest.FormatJSONL, testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for {
		if _, err := r.Next(); err != nil {
			break
		}
		lines = append(lines, r.Line())
	}
	if diff := cmp.Diff([]int{1, 4}, lines); diff != "" {
		t.Errorf("Line() per row (-want +got):\n%s", diff)
	}
}

func TestNewTxnReaderHeaderErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		mapping string
		max     int
		wantErr string
	}{
		{"empty input", "", "", 0, "ingest: CSV input is empty: want a header row: invalid"},
		{"only blank lines", "\n\r\n", "", 0, "ingest: CSV input is empty: want a header row: invalid"},
		{"column named twice", "id,time,amount,id\n", "", 0, `ingest: CSV header on line 1: column "id" appears twice (columns 1 and 4): invalid`},
		{"no amount column", "id,time,value\n", "", 0, "ingest: CSV header: no amount column (name foreign columns with a Mapping): invalid"},
		{"no id column after mapping", "Source,Amount,Time\n", "amount=Amount,time=Time", 0,
			"ingest: CSV header: no id column under mapping amount=Amount,time=Time: invalid"},
		{"mapped column missing", "id,time,Amt\n", "amount=Amount", 0,
			`ingest: CSV header on line 1: mapping amount=Amount: no column "Amount" in the header: invalid`},
		{"bare quote in header", "id,ti\"me,amount\n", "", 0, `ingest: CSV header on line 1: column 2: bare " in non-quoted field: invalid`},
		{"header too long", "id,time,amount," + strings.Repeat("x", 100) + "\n", "", 50, "ingest: CSV header: line 1: line exceeds 50 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ingest.ParseMapping(tt.mapping)
			if err != nil {
				t.Fatal(err)
			}
			cfg := ingest.Config{Tokenizer: testTokenizer(t), Mapping: m, MaxLineBytes: tt.max}
			_, err = ingest.NewTxnReader(strings.NewReader(tt.in), ingest.FormatCSV, cfg)
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("NewTxnReader error = %v, want %q", err, tt.wantErr)
			}
			if !errors.Is(err, ingest.ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
			}
		})
	}
}

func TestNewTxnReaderConfigErrors(t *testing.T) {
	tests := []struct {
		name   string
		format ingest.Format
		cfg    ingest.Config
	}{
		{"no tokenizer", ingest.FormatCSV, ingest.Config{}},
		{"negative line limit", ingest.FormatCSV, ingest.Config{Tokenizer: testTokenizer(t), MaxLineBytes: -1}},
		{"unknown mapping field", ingest.FormatCSV, ingest.Config{Tokenizer: testTokenizer(t), Mapping: ingest.Mapping{"sender": "Source"}}},
		{"zero format", 0, testConfig(t)},
		{"empty attribute name", ingest.FormatCSV, ingest.Config{Tokenizer: testTokenizer(t), Attrs: []string{"a", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ingest.NewTxnReader(strings.NewReader("id,time,amount\n"), tt.format, tt.cfg)
			if err == nil {
				t.Fatal("NewTxnReader succeeded")
			}
			if errors.Is(err, ingest.ErrInvalid) {
				t.Errorf("a configuration error %v wraps ErrInvalid, which is for bad data", err)
			}
		})
	}
}

// TestTxnReaderMapping reads a foreign file (PaySim-like columns) through a
// mapping, in CSV and in JSON Lines.
func TestTxnReaderMapping(t *testing.T) {
	m, err := ingest.ParseMapping("id=TxnID, user=Source, account=Source, counterparty=Target, amount=Amount, time=Time, label=Fraud, kind=Type")
	if err != nil {
		t.Fatal(err)
	}
	want := []graph.Transaction{
		{ID: "t1", Time: time.UnixMilli(1700000000000).UTC(), Amount: 100.5, Kind: "PAYMENT", User: "C123", Account: "C123",
			Counterparty: "M456", Label: graph.ClassLegit, Attrs: map[string]string{"Step": "1"}},
		{ID: "t2", Time: ts(t, "2023-11-14T22:14:20Z"), Amount: 2500, Kind: "TRANSFER", User: "C123", Account: "C123",
			Counterparty: "C789", Label: graph.ClassFraud, Attrs: map[string]string{"Step": "2", "id": "ignored-id"}},
	}
	inputs := []struct {
		name   string
		format ingest.Format
		in     string
	}{
		{"csv", ingest.FormatCSV, ",TxnID,Step,Source,Target,Amount,Time,Fraud,Type,id\n" +
			"0,t1,1,C123,M456,100.5,1700000000000,0,PAYMENT,\n" +
			"1,t2,2,C123,C789,2500,2023-11-15T00:14:20+02:00,1,TRANSFER,ignored-id\n"},
		{"jsonl", ingest.FormatJSONL,
			`{"TxnID":"t1","Step":1,"Source":"C123","Target":"M456","Amount":100.5,"Time":1700000000000,"Fraud":0,"Type":"PAYMENT"}` + "\n" +
				`{"TxnID":"t2","Step":"2","Source":"C123","Target":"C789","Amount":"2500","Time":"2023-11-15T00:14:20+02:00","Fraud":"1","Type":"TRANSFER","id":"ignored-id"}` + "\n"},
	}
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			r, err := ingest.NewTxnReader(strings.NewReader(in.in), in.format, ingest.Config{Tokenizer: testTokenizer(t), Mapping: m})
			if err != nil {
				t.Fatal(err)
			}
			got, errs := readTxns(t, r)
			if len(errs) > 0 {
				t.Errorf("row errors: %q", errs)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("transactions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLabelReader(t *testing.T) {
	tok := testTokenizer(t)
	m := ingest.Mapping{"txn": "TransactionID", "label": "Verdict"}
	want := []graph.Label{
		{Txn: "t1", Class: graph.ClassFraud, Time: ts(t, "2024-02-01T00:00:00Z"), Source: "chargeback"},
		{Entity: graph.Ref(graph.KindUser, "u7"), Class: graph.ClassLaundering, Source: "case:12"},
		{Entity: graph.Ref(graph.KindCard, tok.Card(testPANs[0])), Class: graph.ClassFraud},
		{Txn: "t4", Class: graph.ClassLegit, Time: time.UnixMilli(1700000000000).UTC()},
	}
	// Row errors, by row: rows 5 to 8 are bad.
	wantErrs := []string{
		`label: "bad" is not fraud, legit, laundering, 1 or 0`,
		"entity: set together with txn: a label names one node",
		`entity: "Planet:x" is not a KIND:ID reference such as User:u-17`,
		"txn: missing: a label needs txn or entity",
	}
	inputs := []struct {
		name   string
		format ingest.Format
		in     string
	}{
		{"csv", ingest.FormatCSV, "TransactionID,entity,Verdict,time,source,note\n" +
			"t1,,fraud,2024-02-01T00:00:00Z,chargeback,x\n" +
			",user:u7,laundering,,case:12,\n" +
			",Card:4111 1111 1111 1111,FRAUD,,,\n" +
			"t4,,0,1700000000000,,\n" +
			"t5,,bad,,,\n" +
			"t6,User:u1,fraud,,,\n" +
			",Planet:x,fraud,,,\n" +
			",,fraud,,,\n"},
		{"jsonl", ingest.FormatJSONL,
			`{"TransactionID":"t1","Verdict":"fraud","time":"2024-02-01T00:00:00Z","source":"chargeback","note":"x"}` + "\n" +
				`{"entity":"user:u7","Verdict":"laundering","source":"case:12"}` + "\n" +
				`{"entity":"Card:4111 1111 1111 1111","Verdict":"FRAUD"}` + "\n" +
				`{"TransactionID":"t4","Verdict":0,"time":1700000000000}` + "\n" +
				`{"TransactionID":"t5","Verdict":"bad"}` + "\n" +
				`{"TransactionID":"t6","entity":"User:u1","Verdict":"fraud"}` + "\n" +
				`{"entity":"Planet:x","Verdict":"fraud"}` + "\n" +
				`{"Verdict":"fraud"}` + "\n"},
	}
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			r, err := ingest.NewLabelReader(strings.NewReader(in.in), in.format, ingest.Config{Tokenizer: tok, Mapping: m})
			if err != nil {
				t.Fatal(err)
			}
			got, errs := readLabels(t, r)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
			firstLine := 5 // JSON Lines: row 5 is on line 5
			if in.format == ingest.FormatCSV {
				firstLine = 6 // after the header
			}
			var want []string
			for i, e := range wantErrs {
				want = append(want, fmt.Sprintf("line %d: %s", firstLine+i, e))
			}
			if diff := cmp.Diff(want, errs); diff != "" {
				t.Errorf("row errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewLabelReaderHeaderErrors(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"no label column", "txn,time\n", "ingest: CSV header: no label column (name foreign columns with a Mapping): invalid"},
		{"no target column", "label,time\n", "ingest: CSV header: neither a txn nor an entity column (name foreign columns with a Mapping): invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ingest.NewLabelReader(strings.NewReader(tt.in), ingest.FormatCSV, testConfig(t))
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("NewLabelReader error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestConfigAttrs keeps only the named extra columns, in CSV and JSON
// Lines, so that a wide file stays within graph.MaxAttrs.
func TestConfigAttrs(t *testing.T) {
	var header, row, obj strings.Builder
	header.WriteString("id,time,amount")
	row.WriteString("t1,1700000000000,1")
	obj.WriteString(`{"id":"t1","time":1700000000000,"amount":1`)
	for i := range 100 {
		fmt.Fprintf(&header, ",c%d", i)
		fmt.Fprintf(&row, ",v%d", i)
		fmt.Fprintf(&obj, `,"c%d":"v%d"`, i, i)
	}
	obj.WriteString(`,"attrs":{"c7":"inner","c8":"dropped"},"` + "\xff" + `":"bad key, dropped"}`)
	inputs := []struct {
		name   string
		format ingest.Format
		in     string
		want   map[string]string
		// wantErr is the row's error without Attrs.
		wantErr string
	}{
		{"csv", ingest.FormatCSV, header.String() + "\n" + row.String() + "\n", map[string]string{"c3": "v3", "c7": "v7"},
			"line 2: attrs: 100 attributes, over the limit of 64"},
		{"jsonl", ingest.FormatJSONL, obj.String() + "\n", map[string]string{"c3": "v3", "c7": "inner"},
			"line 1: a key is not valid UTF-8"},
	}
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			all, err := ingest.NewTxnReader(strings.NewReader(in.in), in.format, testConfig(t))
			if err != nil {
				t.Fatal(err)
			}
			if _, errs := readTxns(t, all); !cmp.Equal(errs, []string{in.wantErr}) {
				t.Errorf("without Attrs: row errors %q, want %q", errs, in.wantErr)
			}
			cfg := testConfig(t)
			cfg.Attrs = []string{"c7", "c3"}
			r, err := ingest.NewTxnReader(strings.NewReader(in.in), in.format, cfg)
			if err != nil {
				t.Fatal(err)
			}
			txns, errs := readTxns(t, r)
			if len(errs) > 0 || len(txns) != 1 {
				t.Fatalf("read %d transactions, errors %q", len(txns), errs)
			}
			if diff := cmp.Diff(in.want, txns[0].Attrs); diff != "" {
				t.Errorf("attrs (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("csv column missing", func(t *testing.T) {
		cfg := testConfig(t)
		cfg.Attrs = []string{"c7", "nope"}
		_, err := ingest.NewTxnReader(strings.NewReader(header.String()+"\n"), ingest.FormatCSV, cfg)
		want := `ingest: CSV header on line 1: attribute column "nope" is not in the header: invalid`
		if err == nil || err.Error() != want {
			t.Errorf("NewTxnReader error = %v, want %q", err, want)
		}
	})
}
