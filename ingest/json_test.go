package ingest_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest"
)

func TestDecodeTransaction(t *testing.T) {
	tok := testTokenizer(t)
	at := ts(t, "2024-01-02T03:04:05Z")
	tests := []struct {
		name string
		in   string
		want graph.Transaction
	}{
		{"minimal", `{"id":"t1","time":"2024-01-02T03:04:05Z","amount":1}`,
			graph.Transaction{ID: "t1", Time: at, Amount: 1}},
		{"time zone converted to UTC", `{"id":"t1","time":"2024-01-02T05:04:05.5+02:00","amount":1}`,
			graph.Transaction{ID: "t1", Time: at.Add(500 * time.Millisecond), Amount: 1}},
		{"unix milliseconds, number and string", `{"id":"t1","time":1704164645000,"amount":"2.50"}`,
			graph.Transaction{ID: "t1", Time: at, Amount: 2.5}},
		{"unix milliseconds as a string", `{"id":"t1","time":"1704164645000","amount":"  7 "}`,
			graph.Transaction{ID: "t1", Time: at, Amount: 7}},
		{"numbers for string fields", `{"id":42,"time":"2024-01-02T03:04:05Z","amount":0,"mcc":5411,"user":1.5e3}`,
			graph.Transaction{ID: "42", Time: at, MCC: "5411", User: "1.5e3"}},
		{"null fields are absent", `{"id":"t1","time":"2024-01-02T03:04:05Z","amount":1,"user":null,"label":null,"attrs":null}`,
			graph.Transaction{ID: "t1", Time: at, Amount: 1}},
		{"label 1 and escapes", `{"id":"t\u00e9\n","time":"2024-01-02T03:04:05Z","amount":1,"label":1}`,
			graph.Transaction{ID: "té\n", Time: at, Amount: 1, Label: graph.ClassFraud}},
		{"label in capitals", `{"id":"t1","time":"2024-01-02T03:04:05Z","amount":1,"label":" Laundering "}`,
			graph.Transaction{ID: "t1", Time: at, Amount: 1, Label: graph.ClassLaundering}},
		{"card number tokenised", `{"id":"t1","time":"2024-01-02T03:04:05Z","amount":1,"card":"4111 1111 1111 1111"}`,
			graph.Transaction{ID: "t1", Time: at, Amount: 1, Card: tok.Card(testPANs[0])}},
		{"card number as a JSON number", `{"id":"t1","time":"2024-01-02T03:04:05Z","amount":1,"card":4111111111111111}`,
			graph.Transaction{ID: "t1", Time: at, Amount: 1, Card: tok.Card(testPANs[0])}},
		{"card token kept", `{"id":"t1","time":"2024-01-02T03:04:05Z","amount":1,"card":"tok_visa_4242"}`,
			graph.Transaction{ID: "t1", Time: at, Amount: 1, Card: "tok_visa_4242"}},
		{"card number in another field tokenised", `{"id":"t1","time":"2024-01-02T03:04:05Z","amount":1,"user":"5555-5555-5555-4444"}`,
			graph.Transaction{ID: "t1", Time: at, Amount: 1, User: tok.Card(testPANs[1])}},
		{"luhn-invalid long number in another field kept", `{"id":"t1","time":"2024-01-02T03:04:05Z","amount":1,"account":"4111111111111112"}`,
			graph.Transaction{ID: "t1", Time: at, Amount: 1, Account: "4111111111111112"}},
		{"unknown keys go to attrs", `{"id":"t1","time":"2024-01-02T03:04:05Z","amount":1,"n":5,"ok":true,"geo":{"lat": 1, "lon" : [2]},"nil":null,"s":""}`,
			graph.Transaction{ID: "t1", Time: at, Amount: 1, Attrs: map[string]string{"n": "5", "ok": "true", "geo": `{"lat":1,"lon":[2]}`, "s": ""}}},
		{"attrs object wins a clash", `{"id":"t1","time":"2024-01-02T03:04:05Z","amount":1,"a":"top","attrs":{"a":"inner","b":2,"c":null}}`,
			graph.Transaction{ID: "t1", Time: at, Amount: 1, Attrs: map[string]string{"a": "inner", "b": "2"}}},
		{"card number in attrs tokenised", `{"id":"t1","time":"2024-01-02T03:04:05Z","amount":1,"cc_num":"378282246310005","attrs":{"memo":"paid with 6011 1111 1111 1117, thanks"}}`,
			graph.Transaction{ID: "t1", Time: at, Amount: 1, Attrs: map[string]string{
				"cc_num": tok.Card(testPANs[2]), "memo": "paid with " + tok.Card(testPANs[3]) + ", thanks"}}},
		{"keys holding the same card number: the smallest wins", `{"id":"t1","time":"2024-01-02T03:04:05Z","amount":1,"4111111111111111":"plain","4111 1111 1111 1111":"spaced"}`,
			graph.Transaction{ID: "t1", Time: at, Amount: 1, Attrs: map[string]string{tok.Card(testPANs[0]): "spaced"}}},
		{"whitespace around the object", " \t{ \"id\" : \"t1\" , \"time\" : \"2024-01-02T03:04:05Z\" , \"amount\" : 1 }\r\n",
			graph.Transaction{ID: "t1", Time: at, Amount: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ingest.DecodeTransaction([]byte(tt.in), tok)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DecodeTransaction (-want +got):\n%s", diff)
			}
			if loc := got.Time.Location(); loc != time.UTC {
				t.Errorf("time in %v, want UTC", loc)
			}
		})
	}
}

func TestDecodeTransactionErrors(t *testing.T) {
	tok := testTokenizer(t)
	tests := []struct {
		name, in, wantErr string
	}{
		{"empty", "", "empty message: want a JSON object"},
		{"null", "null", "not a JSON object"},
		{"card number inside text", `{"id":"t1","time":"2024-01-02T03:04:05Z","amount":1,"card":"visa 4111111111111111"}`,
			"card: holds a run of 12 or more digits that is not a card number alone: send the card number by itself, or a token"},
		{"card number too long", `{"id":"t1","time":"2024-01-02T03:04:05Z","amount":1,"card":"41111111111111111113"}`,
			"card: holds a run of 12 or more digits that is not a card number alone: send the card number by itself, or a token"},
		{"first bad field in contract order", `{"label":"x","amount":-1,"time":"x"}`, "id: missing"},
		{"attribute value too long: the smallest bad key is named", `{"id":"t1","time":"2024-01-02T03:04:05Z","amount":1,"b":"` + strings.Repeat("v", 257) + `","a":"` + strings.Repeat("v", 300) + `"}`,
			`attrs: attribute "a": over 256 bytes`},
		{"nested too deeply", `{"id":"t1","x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`, "invalid JSON: nested too deeply"},
		{"nested deeply but within the limit", `{"x":` + strings.Repeat("[", 9998) + strings.Repeat("]", 9998) + `}`, "id: missing"},
		{"too many attributes", `{"id":"t1","time":"2024-01-02T03:04:05Z","amount":1` + manyAttrs(65) + `}`,
			"attrs: 65 attributes, over the limit of 64"},
		{"bad attrs value", `{"id":"t1","time":"2024-01-02T03:04:05Z","amount":1,"attrs":{"a":"\ud800x","b":` + "\"\xff\"" + `}}`,
			`attrs: attribute "b": not valid UTF-8`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ingest.DecodeTransaction([]byte(tt.in), tok)
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("DecodeTransaction error = %v, want %q", err, tt.wantErr)
			}
			var re *ingest.RowError
			if !errors.As(err, &re) || re.Line != 0 || !errors.Is(err, ingest.ErrInvalid) {
				t.Errorf("error %#v is not a line-0 *RowError wrapping ErrInvalid", err)
			}
		})
	}
	t.Run("nil tokenizer", func(t *testing.T) {
		_, err := ingest.DecodeTransaction([]byte(`{"id":"t1","time":"2024-01-02T03:04:05Z","amount":1}`), nil)
		if err == nil || errors.Is(err, ingest.ErrInvalid) {
			t.Errorf("DecodeTransaction(nil tokenizer) error = %v, want a non-ErrInvalid error", err)
		}
	})
}

func TestAppendTransactionJSON(t *testing.T) {
	txn := graph.Transaction{
		ID: "t1", Time: time.Date(2024, 1, 2, 4, 4, 5, 120000000, time.FixedZone("", 3600)), Amount: 1e-7,
		Card: "ct_x", Merchant: "m<&>\u2028\"\\\x01", Attrs: map[string]string{"b": "2", "a": "1"}, Label: graph.ClassFraud,
	}
	want := `{"id":"t1","time":"2024-01-02T03:04:05.12Z","amount":1e-7,"card":"ct_x","merchant":"m<&>\u2028\"\\\u0001","attrs":{"a":"1","b":"2"},"label":"fraud"}`
	if got := string(ingest.AppendTransactionJSON(nil, &txn)); got != want {
		t.Errorf("AppendTransactionJSON =\n%s\nwant\n%s", got, want)
	}
	// The output agrees with encoding/json about the contract's JSON.
	var viaStd graph.Transaction
	if err := json.Unmarshal([]byte(want), &viaStd); err != nil {
		t.Fatal(err)
	}
	txn.Time = txn.Time.UTC()
	if diff := cmp.Diff(txn, viaStd); diff != "" {
		t.Errorf("encoding/json reads (-want +got):\n%s", diff)
	}
	got, err := ingest.DecodeTransaction([]byte(want), testTokenizer(t))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(txn, got); diff != "" {
		t.Errorf("DecodeTransaction reads (-want +got):\n%s", diff)
	}
}

func TestAppendTransactionJSONAmounts(t *testing.T) {
	tok := testTokenizer(t)
	tests := []struct {
		name   string
		amount float64
		want   string
	}{
		{"zero", 0, "0"},
		{"integer", 2500, "2500"},
		{"cents", 12.34, "12.34"},
		{"small", 1e-7, "1e-7"},
		{"large", 1e21, "1e+21"},
		{"largest below the exponent", 999999999999999900000, "999999999999999900000"},
		{"NaN written as a string", math.NaN(), `"NaN"`},
		{"infinity written as a string", math.Inf(1), `"+Inf"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			txn := graph.Transaction{ID: "t", Time: ts(t, "2024-01-01T00:00:00Z"), Amount: tt.amount}
			b := ingest.AppendTransactionJSON(nil, &txn)
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(b, &obj); err != nil {
				t.Fatalf("output %s is not JSON: %v", b, err)
			}
			if got := string(obj["amount"]); got != tt.want {
				t.Errorf("amount written as %s, want %s", got, tt.want)
			}
			got, err := ingest.DecodeTransaction(b, tok)
			if math.IsNaN(tt.amount) || math.IsInf(tt.amount, 0) {
				if !errors.Is(err, ingest.ErrInvalid) {
					t.Errorf("DecodeTransaction of a non-finite amount: %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil || got.Amount != tt.amount {
				t.Errorf("DecodeTransaction: amount %v, %v; want %v", got.Amount, err, tt.amount)
			}
		})
	}
}

func TestDecodeLabel(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want graph.Label
	}{
		{"transaction", `{"txn":"t1","label":"fraud","time":"2024-02-01T00:00:00Z","source":"chargeback"}`,
			graph.Label{Txn: "t1", Class: graph.ClassFraud, Time: ts(t, "2024-02-01T00:00:00Z"), Source: "chargeback"}},
		{"entity, no time, unknown keys ignored", `{"entity":"Account:a-9","label":"laundering","case":{"id":3}}`,
			graph.Label{Entity: graph.Ref(graph.KindAccount, "a-9"), Class: graph.ClassLaundering}},
		{"card token", `{"entity":"Card:ct_abc","label":0,"time":1700000000000}`,
			graph.Label{Entity: graph.Ref(graph.KindCard, "ct_abc"), Class: graph.ClassLegit, Time: time.UnixMilli(1700000000000).UTC()}},
		{"card number in the source masked", `{"txn":"t1","label":"fraud","source":"call about 4111 1111 1111 1111"}`,
			graph.Label{Txn: "t1", Class: graph.ClassFraud, Source: "call about 411111******1111"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ingest.DecodeLabel([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DecodeLabel (-want +got):\n%s", diff)
			}
			back, err := ingest.DecodeLabel(ingest.AppendLabelJSON(nil, &got))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, back); diff != "" {
				t.Errorf("AppendLabelJSON round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeLabelErrors(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"no target", `{"label":"fraud"}`, "txn: missing: a label needs txn or entity"},
		{"no label", `{"txn":"t1"}`, "label: missing"},
		{"both targets", `{"txn":"t1","entity":"User:u1","label":"fraud"}`, "entity: set together with txn: a label names one node"},
		{"bad entity", `{"entity":"u1","label":"fraud"}`, `entity: "u1" is not a KIND:ID reference such as User:u-17`},
		{"card by its number", `{"entity":"Card:4111111111111111","label":"fraud"}`,
			"entity: names a card number: a label must name a card by its token (ct_…)"},
		{"card number as another entity's id", `{"entity":"User:5555555555554444","label":"fraud"}`,
			"entity: names a card number: a label must name a card by its token (ct_…)"},
		{"bad time", `{"txn":"t1","label":"fraud","time":"soon"}`, `time: "soon" is neither RFC 3339 nor integer unix milliseconds`},
		{"boolean label", `{"txn":"t1","label":true}`, "label: is a boolean: want a string or a number"},
		{"not JSON", `{"txn":`, "invalid JSON at byte 7: unexpected end of JSON input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ingest.DecodeLabel([]byte(tt.in))
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("DecodeLabel error = %v, want %q", err, tt.wantErr)
			}
			if !errors.Is(err, ingest.ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
			}
		})
	}
}

// TestDecodeTransactionConcurrent decodes from many goroutines at once,
// since DecodeTransaction recycles its scratch space.
func TestDecodeTransactionConcurrent(t *testing.T) {
	tok := testTokenizer(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				id := fmt.Sprintf("t-%d-%d", g, i)
				msg := fmt.Sprintf(`{"id":%q,"time":1700000000000,"amount":%d,"note":%q,"attrs":{"g":"%d"}}`, id, i, strings.Repeat("n", i%250), g)
				got, err := ingest.DecodeTransaction([]byte(msg), tok)
				if err != nil {
					t.Error(err)
					return
				}
				want := graph.Transaction{ID: id, Time: time.UnixMilli(1700000000000).UTC(), Amount: float64(i),
					Attrs: map[string]string{"note": strings.Repeat("n", i%250), "g": strconv.Itoa(g)}}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("DecodeTransaction (-want +got):\n%s", diff)
					return
				}
			}
		})
	}
	wg.Wait()
}

// manyAttrs returns n members ,"a0":"v",… to splice into a JSON object.
func manyAttrs(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `,"a%d":"v"`, i)
	}
	return b.String()
}
