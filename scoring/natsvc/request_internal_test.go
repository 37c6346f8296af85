package natsvc

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/ingest"
)

func testTokenizer(t testing.TB) *ingest.Tokenizer {
	t.Helper()
	tok, err := ingest.NewTokenizer(bytes.Repeat([]byte("k"), ingest.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestCutDeadline(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantRest string
		wantRaw  string // "" for none
		wantErr  bool
	}{
		{"absent", `{"id":"t1"}`, `{"id":"t1"}`, "", false},
		{"empty object", ` {} `, ` {} `, "", false},
		{"only member", `{"deadline_ms":5}`, `{}`, "5", false},
		{"first", `{"deadline_ms":5,"id":"t1"}`, `{"id":"t1"}`, "5", false},
		{"middle", `{"a":1,"deadline_ms":5,"b":2}`, `{"a":1,"b":2}`, "5", false},
		{"last", `{"a":1,"deadline_ms":5}`, `{"a":1}`, "5", false},
		{"last with spaces", "{ \"a\" : [1,{\"deadline_ms\":9}] ,\n \"deadline_ms\" : 5 \n}", "{ \"a\" : [1,{\"deadline_ms\":9}] }", "5", false},
		{"nested is not ours", `{"attrs":{"deadline_ms":5}}`, `{"attrs":{"deadline_ms":5}}`, "", false},
		{"in a string is not ours", `{"memo":"\"deadline_ms\":5"}`, `{"memo":"\"deadline_ms\":5"}`, "", false},
		{"escaped key", `{"id":"t1","deadline\u005fms":7}`, `{"id":"t1"}`, "7", false},
		{"other value kinds", `{"deadline_ms":"x","a":null}`, `{"a":null}`, `"x"`, false},
		{"twice", `{"deadline_ms":5,"deadline_ms":6}`, "", "", true},
		{"malformed is left alone", `{"deadline_ms":5,`, `{"deadline_ms":5,`, "", false},
		{"trailing garbage is left alone", `{"deadline_ms":5} x`, `{"deadline_ms":5} x`, "", false},
		{"not an object", `[1]`, `[1]`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rest, raw, err := cutDeadline([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if string(rest) != tt.wantRest || string(raw) != tt.wantRaw {
				t.Errorf("cutDeadline(%s) = %s, %q; want %s, %q", tt.in, rest, raw, tt.wantRest, tt.wantRaw)
			}
		})
	}
}

func TestParseDeadline(t *testing.T) {
	tests := []struct {
		raw     string
		want    time.Duration
		wantErr string
	}{
		{"1", time.Millisecond, ""},
		{"5000", 5 * time.Second, ""},
		{"null", 0, ""},
		{"0", 0, "deadline_ms: must be at least 1"},
		{"-1", 0, "deadline_ms: must be at least 1"},
		{"5001", 0, "deadline_ms: exceeds the maximum of 5000"},
		{"01", 0, "deadline_ms: want an integer number of milliseconds in 1..5000"},
		{"1e3", 0, "deadline_ms: want an integer number of milliseconds in 1..5000"},
		{"-", 0, "deadline_ms: want an integer number of milliseconds in 1..5000"},
		{"true", 0, "deadline_ms: want an integer number of milliseconds in 1..5000"},
		{"[1]", 0, "deadline_ms: want an integer number of milliseconds in 1..5000"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := parseDeadline([]byte(tt.raw), DefaultMaxDeadline)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
				if !errors.Is(err, ingest.ErrInvalid) {
					t.Errorf("error %v does not wrap ingest.ErrInvalid", err)
				}
			}
			if got != tt.want || gotErr != tt.wantErr {
				t.Errorf("parseDeadline(%s) = %v, %q; want %v, %q", tt.raw, got, gotErr, tt.want, tt.wantErr)
			}
		})
	}
}

func TestMaskDigitRuns(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"amount: negative (-3)", "amount: negative (-3)"},
		{"card 4111111111111111 seen", "card 411111******1111 seen"},
		{"card 4111 1111-1111 1111.", "card 411111******1111."},
		{"phone 12345678901", "phone 12345678901"},
		{"a 411111111111 b 5555555555554444", "a 411111******1111 b 555555******4444"},
	}
	for _, tt := range tests {
		if got := maskDigitRuns(tt.in); got != tt.want {
			t.Errorf("maskDigitRuns(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

var fuzzSeeds = []string{
	`{"id":"t1","time":"2024-01-02T03:04:05Z","amount":1}`,
	`{"deadline_ms":5,"id":"t1","time":1704164645000,"amount":"2","card":"4111 1111 1111 1111"}`,
	`{"id":"t1","time":1704164645000,"amount":2,"deadline_ms":5000}`,
	`{"id":"t1","time":1704164645000,"amount":2,"deadline_ms":5001}`,
	`{"id":"t1","time":1704164645000,"amount":2,"deadline\u005fms":null,"attrs":{"deadline_ms":"x"}}`,
	`{"id":"t1","deadline_ms":1,"deadline_ms":2}`,
	`{"id":"t1","deadline_ms":[1,{"a":"]"}],"time":1}`,
	`{"id":"t1","deadline_ms":1e2}`,
	`{"deadline_ms":"4111111111111111"}`,
	`{"deadline_ms":5`,
	"{\"id\":\"\xff\",\"deadline_ms\":3}",
	`[]`,
	``,
}

// longDigits finds a run of 12 or more digits, possibly split by spaces or
// dashes: the shape of a card number.
var longDigits = regexp.MustCompile(`\d(?:[ -]*\d){11,}`)

// FuzzDecodeRequest: decodeRequest never panics and never modifies its
// input; a success holds a valid transaction with no deadline_ms in attrs
// and a deadline in range; a failure wraps ingest.ErrInvalid without a card
// number in its text; and on well-formed JSON objects the deadline found
// agrees with encoding/json.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	tok := testTokenizer(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		in := bytes.Clone(b)
		r, err := decodeRequest(b, tok, DefaultMaxDeadline)
		if !bytes.Equal(in, b) {
			t.Fatalf("input modified")
		}
		if err != nil {
			if !errors.Is(err, ingest.ErrInvalid) {
				t.Fatalf("error %v does not wrap ingest.ErrInvalid", err)
			}
			if longDigits.MatchString(err.Error()) {
				t.Fatalf("error %q may hold a card number", err)
			}
		} else {
			if verr := r.txn.Validate(); verr != nil {
				t.Fatalf("decoded transaction invalid: %v", verr)
			}
			// An explicit attrs object may name deadline_ms; nothing else
			// puts it there.
			if _, ok := r.txn.Attrs[deadlineKey]; ok && !bytes.Contains(b, []byte(`"attrs"`)) {
				t.Fatalf("deadline_ms in attrs: %v", r.txn.Attrs)
			}
			if r.deadline < 0 || r.deadline > DefaultMaxDeadline || r.deadline%time.Millisecond != 0 {
				t.Fatalf("deadline %v out of range", r.deadline)
			}
		}
		checkAgainstEncodingJSON(t, b)
	})
}

// checkAgainstEncodingJSON holds cutDeadline to encoding/json's reading of
// a well-formed object: the same deadline_ms value, and the rest equal to
// the object without it.
func checkAgainstEncodingJSON(t *testing.T, b []byte) {
	var whole map[string]json.RawMessage
	if !json.Valid(b) || json.Unmarshal(b, &whole) != nil {
		return
	}
	rest, raw, err := cutDeadline(b)
	if err != nil {
		if !strings.Contains(err.Error(), "more than once") {
			t.Fatalf("cutDeadline(well-formed) = %v", err)
		}
		return
	}
	want, ok := whole[deadlineKey]
	if ok != (raw != nil) || (ok && !bytes.Equal(want, raw)) {
		t.Fatalf("cutDeadline found %q, encoding/json %q (present %v)", raw, want, ok)
	}
	var gotRest map[string]json.RawMessage
	if err := json.Unmarshal(rest, &gotRest); err != nil {
		t.Fatalf("rest %q is not JSON: %v", rest, err)
	}
	delete(whole, deadlineKey)
	if diff := cmp.Diff(whole, gotRest); diff != "" {
		t.Fatalf("rest differs from the object without deadline_ms (-want +got):\n%s", diff)
	}
}

func BenchmarkDecodeRequest(b *testing.B) {
	tok := testTokenizer(b)
	const txn = `"id":"t-000123","time":"2024-01-02T03:04:05Z","amount":12.5,"currency":"EUR","kind":"card",` +
		`"user":"u1","account":"a1","card":"4111111111111111","device":"d1","ip":"192.0.2.1","merchant":"m1",` +
		`"mcc":"5411","country":"GB","channel":"web"`
	for _, bb := range []struct{ name, body string }{
		{"without_deadline", `{` + txn + `}`},
		{"with_deadline", `{` + txn + `,"deadline_ms":120}`},
	} {
		b.Run(bb.name, func(b *testing.B) {
			body := []byte(bb.body)
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := decodeRequest(body, tok, DefaultMaxDeadline); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("ingest_only", func(b *testing.B) {
		body := []byte(`{` + txn + `}`)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ingest.DecodeTransaction(body, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}
