package ingest

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// scanAll scans b as one JSON value and, for an object, returns its members
// (the last of a repeated key winning) as key → text of the value: a
// string's content, another value's compact JSON by appendCompact.
func scanAll(b []byte) (map[string]string, bool) {
	s := &jsonScan{b: b}
	s.ws()
	if s.i < len(b) && b[s.i] == '{' {
		s.open()
		out := map[string]string{}
		for first := true; ; first = false {
			k, v, ok := s.member(first, 1)
			if !ok {
				break
			}
			if v.kind == jsonString {
				out[k.text()] = v.text()
			} else {
				out[k.text()] = string(appendCompact(nil, v.raw))
			}
		}
		return out, s.err == "" && s.end()
	}
	_, ok := s.value(0)
	return nil, ok && s.end()
}

// compactText is json.Compact's answer.
func compactText(text string) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(text)); err != nil {
		return "compact: " + err.Error()
	}
	return buf.String()
}

// stdAll is scanAll done with encoding/json.
func stdAll(b []byte) (map[string]string, bool) {
	if !json.Valid(b) {
		return nil, false
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(b, &obj) != nil || obj == nil {
		return nil, true // valid JSON, not an object (null unmarshals into a nil map)
	}
	out := map[string]string{}
	for k, raw := range obj {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			out[k] = s
			continue
		}
		out[k] = compactText(string(raw))
	}
	return out, true
}

var jsonScanSeeds = []string{
	`{}`, ` { "a" : 1 , "b":[true,false,null,{"c":"d"}] } `, `{"a":"\u00e9\ud83d\ude00\ud800x\/\b\f\n\r\t\"\\"}`,
	`{"a":-0.5e+10,"b":0,"c":1E3}`, `{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a":.5}`, `{"a":1e}`,
	`{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"` + "\x01" + `"}`, `{"a" 1}`, `{"a":1,}`, `{,}`, `{"a":1}}`,
	`{"a":[ 1 , {"b" : "x \" y" } ],"c":{ }}`, `[1,2,]`, `[`, `"s"`, `nul`, `tru`, `{"a":[1 2]}`, `{"a":{"b":}}`, `{"a":1,"a":2}`, ``, ` `,
}

func TestJSONScanMatchesEncodingJSON(t *testing.T) {
	for _, in := range jsonScanSeeds {
		t.Run(in, func(t *testing.T) { compareJSONScan(t, []byte(in)) })
	}
}

// FuzzJSONScan holds the scanner to encoding/json's answers on valid UTF-8:
// the same texts accepted, the same members read.
func FuzzJSONScan(f *testing.F) {
	for _, s := range jsonScanSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(compareJSONScan)
}

func compareJSONScan(t *testing.T, b []byte) {
	if !utf8.Valid(b) {
		return // encoding/json replaces bad bytes; the scanner keeps them
	}
	got, gotOK := scanAll(b)
	want, wantOK := stdAll(b)
	if gotOK != wantOK {
		t.Fatalf("scanner accepts %q: %v; encoding/json: %v", b, gotOK, wantOK)
	}
	if gotOK && want != nil {
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("members of %q (-encoding/json +scanner):\n%s", b, diff)
		}
	}
}
