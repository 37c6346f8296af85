package ingest

import (
	"encoding/csv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitRecord(t *testing.T) {
	tests := []struct {
		name      string
		rec       string
		want      []string
		wantField int
		wantErr   string
	}{
		{name: "plain", rec: "a,b,c", want: []string{"a", "b", "c"}},
		{name: "empty fields", rec: ",,", want: []string{"", "", ""}},
		{name: "empty record", rec: "", want: []string{""}},
		{name: "quoted", rec: `"a,b","c""d",""`, want: []string{"a,b", `c"d`, ""}},
		{name: "quoted newline and CRLF kept", rec: "\"a\nb\",\"c\r\nd\"", want: []string{"a\nb", "c\r\nd"}},
		{name: "spaces kept", rec: " a , b ", want: []string{" a ", " b "}},
		{name: "bare quote", rec: `a,b"c`, wantField: 1, wantErr: `bare " in non-quoted field`},
		{name: "space before a quote", rec: `a, "b"`, wantField: 1, wantErr: `bare " in non-quoted field`},
		{name: "text after a closing quote", rec: `"a"b,c`, wantField: 0, wantErr: `extraneous or missing " in quoted field`},
		{name: "quote not closed", rec: `a,"b`, wantField: 1, wantErr: "quoted field is not closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, _, field, reason := splitRecord([]byte(tt.rec), nil, nil, nil)
			if reason != tt.wantErr || (reason != "" && field != tt.wantField) {
				t.Fatalf("splitRecord(%q) error in field %d: %q; want field %d: %q", tt.rec, field, reason, tt.wantField, tt.wantErr)
			}
			if reason != "" {
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("splitRecord(%q) (-want +got):\n%s", tt.rec, diff)
			}
		})
	}
}

// FuzzSplitRecord checks splitRecord against encoding/csv on single-line
// records, where the two must agree on the fields and on whether the
// record is malformed.
func FuzzSplitRecord(f *testing.F) {
	for _, s := range []string{"a,b,c", `"a,b","c""d"`, `a,b"c`, `"a"b`, `"a`, `,`, `""`, `"",""x`, "é,\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rec string) {
		if rec == "" || strings.ContainsAny(rec, "\r\n") {
			return // csv.Reader skips empty lines and rewrites CRLF
		}
		got, _, _, _, reason := splitRecord([]byte(rec), nil, nil, nil)
		want, err := csv.NewReader(strings.NewReader(rec + "\n")).Read()
		if (reason != "") != (err != nil) {
			t.Fatalf("splitRecord(%q): %q; encoding/csv: %v", rec, reason, err)
		}
		if err == nil {
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("splitRecord(%q) (-encoding/csv +got):\n%s", rec, diff)
			}
		}
	})
}

func TestQuoteState(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  []bool // in a quote after each line
	}{
		{"plain", []string{"a,b"}, []bool{false}},
		{"open", []string{`a,"b`}, []bool{true}},
		{"closed on the next line", []string{`a,"b`, `c",d`}, []bool{true, false}},
		{"escaped quote keeps it open", []string{`"a""`, `b""`, `"`}, []bool{true, true, false}},
		{"quote inside an unquoted field", []string{`a"b,c`}, []bool{false}},
		{"quote at a line end closes", []string{`"a`, `"`}, []bool{true, false}},
		{"empty line inside a quote", []string{`"a`, ``, `b"`}, []bool{true, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newQuoteState()
			var got []bool
			for _, l := range tt.lines {
				q.feed([]byte(l))
				got = append(got, q.inQuote)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("inQuote after each line (-want +got):\n%s", diff)
			}
		})
	}
}
